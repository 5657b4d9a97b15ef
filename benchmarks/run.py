"""The benchmark suite's entry point: ``python -m benchmarks.run [--quick] [--out PATH]``.

Runs workload A (the compute voucher through ordinance, the hand-written limit and the peers),
workload B (the whole policy on one five-claim case), start-up, ``ordinance batch``, and the
web load (``wrk`` against ``ordinance serve``);
prints one Markdown report and writes it to ``--out`` (default ``benchmarks/results.md``).

Exit status: 0 when every figure of ordinance was computed from right answers, 1 when
ordinance itself got an answer wrong (workload A, B or the batch output), 2 on bad usage.
Targets that are not met do not change the exit status: they are marked in the report.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import batch, machine, startup, targets, web_load, workload_a, workload_b
from .engines import all_engines

DEFAULT_OUT = Path(__file__).resolve().parent / "results.md"
SECTIONS = ("a", "b", "startup", "batch", "web")
NOISE = ("Timings on a shared machine are noisy (the load average above says how busy it was when the run started): "
         "read the figures as orders of magnitude and compare rows of the same run.")

FULL = {"n": 100_000, "batch_cases": 1_000_000, "repeats": 5, "run_seconds": 1.0, "startup_repeats": 5,
        "web_seconds": 10.0}
QUICK = {"n": 10_000, "batch_cases": 10_000, "repeats": 3, "run_seconds": 0.3, "startup_repeats": 3,
         "web_seconds": 3.0}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help=f"a small run: {QUICK['n']:,} applicants, {QUICK['batch_cases']:,} batch cases, "
                        f"{QUICK['repeats']} timed runs")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the Markdown report "
                   "(default: benchmarks/results.md)")
    p.add_argument("--n", type=int, help="applicants in workload A (default 100,000; --quick 10,000)")
    p.add_argument("--batch-cases", type=int, help="cases for `ordinance batch` (default 1,000,000; --quick 10,000)")
    p.add_argument("--repeats", type=int, help="timed runs per figure, after the warm-up (default 5; --quick 3)")
    p.add_argument("--run-seconds", type=float, help="about how long one timed run lasts (default 1.0)")
    p.add_argument("--startup-repeats", type=int, help="fresh processes per start-up figure (default 5)")
    p.add_argument("--web-seconds", type=float, help="length of the timed wrk run against `ordinance serve` "
                   "(default 10; --quick 3)")
    p.add_argument("--only", help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}")
    p.add_argument("--engines", help="only workload A engines whose name contains one of these comma-separated words")
    args = p.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.sections = SECTIONS if not args.only else tuple(s.strip().lower() for s in args.only.split(","))
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: Sequence[str] | None = None, *, extra_engines=(), stream=None) -> int:
    args = parse_args(argv)
    stream = stream or sys.stdout
    started = time.perf_counter()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    header = machine.describe()
    mode = "quick" if args.quick else "full"
    goals: list[targets.Target] = []
    sections: list[str] = []
    wrong: list[str] = []

    if "a" in args.sections:
        log(f"workload A: {args.n:,} applicants")
        engines = all_engines(args.quick)
        if args.engines:
            words = [w.strip().lower() for w in args.engines.split(",") if w.strip()]
            engines = [e for e in engines if e.key == "decimal" or any(w in e.name.lower() for w in words)]
        engines += list(extra_engines)
        a = workload_a.run(args.n, engines, repeats=args.repeats, run_seconds=args.run_seconds, log=log)
        goals += workload_a.targets(a)
        wrong += [r.engine.name for r in a.rows if r.engine.kind in ("ordinance", "limit") and r.status == "mismatch"]
        sections.append(
            f"## Workload A — the compute voucher alone (三(八) 算力券)\n\n"
            f"{a.n:,} generated applicants (seed {workload_a.A.SEED}; the first {a.boundaries} are the tier, "
            f"date, cap and rounding boundaries), one case with one claim each.  Every engine decides every "
            f"applicant once (warm-up) and is checked against the hand-written Decimal function to the cent "
            f"before it is timed (slow engines: the first applicants only, see \"timed on\" and the check). "
            f"Figures: median of {args.repeats} timed runs of about {args.run_seconds:g} s each; "
            f"µs / eval = one applicant decided.  Section time: {a.seconds:.0f} s.\n\n"
            + workload_a.render(a))

    if "b" in args.sections:
        log("workload B: the whole policy, five claims")
        b = workload_b.run(repeats=args.repeats, run_seconds=args.run_seconds)
        goals += workload_b.targets(b)
        if b.status == "mismatch":
            wrong.append("workload B")
        sections.append("## Workload B — the whole policy on one case with five claims\n\n"
                        "The bundled policy (19 measures); one enterprise, two compute vouchers under a yearly cap "
                        "shared with a prior award, a model voucher, and two R&D subsidies for one project in the "
                        "exclusivity group `rd-project` (就高不重復).  The decision is checked claim by claim first "
                        f"(see benchmarks/workload_b.py).  Median of {args.repeats} runs.\n\n" + workload_b.render(b))

    if "startup" in args.sections:
        log("start-up")
        s = startup.run(repeats=args.startup_repeats)
        goals += startup.targets(s)
        sections.append(f"## Start-up\n\nFresh processes; median of {args.startup_repeats} runs after one "
                        "warm-up run.\n\n" + startup.render(s))

    if "batch" in args.sections:
        log(f"batch: {args.batch_cases:,} cases")
        bt = batch.run(args.batch_cases, log=log)
        goals += batch.targets(bt)
        wrong += [f"batch --jobs {r.jobs}" for r in bt.rows if "MISMATCH" in r.check]
        sections.append(f"## Batch — `ordinance batch`, JSON Lines in and out\n\n"
                        f"{bt.cases:,} generated one-claim cases (workload A's generator); wall time of the whole "
                        f"command, start-up and policy load included; every output line checked.\n\n"
                        + batch.render(bt))

    if "web" in args.sections:
        w = web_load.run(args.web_seconds, log=log)
        goals += web_load.targets(w)
        if w.available and w.check.startswith("MISMATCH"):
            wrong.append("web load")
        sections.append("## Web load — `POST /v1/decide` on `ordinance serve --workers 2`\n\n"
                        "`wrk` on loopback posts one-claim compute-voucher cases (workload A's applicants) over "
                        f"{web_load.CONNECTIONS} connections after a short warm-up; the first {web_load.CHECKED} "
                        "answers are checked to the cent first (see benchmarks/web_load.py).\n\n"
                        + web_load.render(w))

    elapsed = time.perf_counter() - started
    lines = ["# ordinance benchmark results", ""]
    lines += [f"- **{k}**: {v}" for k, v in header]
    command = " ".join(["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    lines.append(f"- **run**: `{command}` ({mode}: {args.n:,} applicants, {args.batch_cases:,} batch cases), "
                 f"{elapsed:.0f} s")
    lines += ["", NOISE, ""]
    if wrong:
        lines += [f"**Wrong answers from ordinance or the reference: {', '.join(wrong)}.**", ""]
    lines += ["## Targets", "", targets.render(goals), ""]
    for section in sections:
        lines += [section, ""]
    report = "\n".join(lines)
    print(report, file=stream)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    log(f"written to {args.out} in {elapsed:.0f} s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
