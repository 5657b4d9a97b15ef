"""Workload A: the compute voucher alone, the same generated applicants through every engine.

One applicant is one case with one claim.  Each engine is built (timed), decides every
applicant once (the warm-up) and is checked against the hand-written Decimal function to
the cent; only then is it timed: several runs, each over the first applicants (as many as
fit in about ``run_seconds``), and the median per evaluation is its figure.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import applicants as A
from .harness import Engine, Row, fmt_ms, fmt_rate, fmt_us, run_engine, table
from .reference import expected_cents
from .targets import Target


@dataclass
class Result:
    n: int
    rows: list[Row]
    seconds: float
    boundaries: int
    notes: list[str] = field(default_factory=list)

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.engine.key == key), None)

    @property
    def reference_us(self) -> float | None:
        ref = self.row("decimal")
        return ref.us_per_eval if ref is not None else None


def run(n: int, engines: Sequence[Engine], *, repeats: int, run_seconds: float,
        log=lambda s: None) -> Result:
    t0 = time.perf_counter()
    applicants = A.generate(n)
    expected = [expected_cents(a) for a in applicants]
    rows = []
    for engine in engines:
        log(f"  A: {engine.name} ...")
        row = run_engine(engine, applicants, expected, repeats=repeats, run_seconds=run_seconds)
        log(f"     {row.status} {fmt_us(row.us_per_eval)} µs {row.reason}")
        rows.append(row)
    return Result(len(applicants), rows, time.perf_counter() - t0, len(A.boundary_applicants()))


def render(result: Result) -> str:
    ref = result.reference_us
    body = []
    for r in result.rows:
        ratio = f"{r.us_per_eval / ref:,.1f}×" if (ref and r.us_per_eval) else "—"
        if r.status in ("ok", "mismatch"):
            assert r.check is not None
            check = r.check.describe()
            timed = f"{r.timed_cases:,}"
        else:
            check, timed = f"{r.status}: {r.reason}", "—"
        body.append([r.engine.name, r.version or "—", fmt_ms(r.build_ms), fmt_us(r.us_per_eval),
                     fmt_rate(r.per_second), ratio, timed, check])
    out = [table(["engine", "version", "build ms", "µs / eval", "evals / s", "× hand Decimal",
                  "timed on", "cross-check vs hand Decimal"], body), ""]
    out.append("What each engine is given and what one timed call includes:")
    out.append("")
    out.append(table(["engine", "input (prepared before timing)", "one timed call"],
                     [[r.engine.name, r.engine.input, r.engine.includes] for r in result.rows]))
    return "\n".join(out)


def targets(result: Result) -> list[Target]:
    off, on, rule = result.row("ordinance-off"), result.row("ordinance-on"), result.row("ordinance-rule")
    ref = result.reference_us
    out = []

    def us(row):
        return row.us_per_eval if row is not None and row.status == "ok" else None

    # through the public API with the trace off: each way of asking must be within 5 µs; the
    # fastest (one-argument `decide`, as the harness calls peers' bound methods) is compared to peers
    public = [(name, us(result.row(key))) for name, key in (("decide", "ordinance-decide"),
                                                           ("evaluate(trace=False)", "ordinance-off"))
              if result.row(key) is not None]
    timed = [(name, x) for name, x in public if x is not None]
    fastest = min(timed, key=lambda t: t[1]) if timed else None
    off_us = fastest[1] if fastest else None
    out.append(Target("A: ordinance, trace off", "≤ 5 µs per evaluation",
                      "; ".join(f"{name} {fmt_us(x)} µs" for name, x in public) if public else "—",
                      None if not timed or len(timed) < len(public) else max(x for _, x in timed) <= 5))
    # a peer is compared when its answers were right to the cent: one that decides something
    # else (OpenFisca's float32 money) is named, not counted
    peers = [r for r in result.rows if r.engine.kind == "peer" and r.has_figures and r.status == "ok"]
    wrong = [r for r in result.rows if r.engine.kind == "peer" and r.has_figures and r.status == "mismatch"
             and off_us is not None and r.us_per_eval is not None and r.us_per_eval <= off_us]
    if off_us is not None and peers:
        ahead = [r for r in peers if r.us_per_eval is not None and r.us_per_eval <= off_us]
        figure = (f"{fastest[0]} ({fmt_us(off_us)} µs) ahead of all {len(peers)} peers that decided right"
                  if not ahead else f"{fastest[0]} ({fmt_us(off_us)} µs) behind "
                  + ", ".join(f"{r.engine.name} ({fmt_us(r.us_per_eval)} µs)" for r in ahead))
        if wrong:
            figure += "; not counted, wrong answers: " + ", ".join(
                f"{r.engine.name} ({fmt_us(r.us_per_eval)} µs)" for r in wrong)
        out.append(Target("A: ordinance, trace off", "ahead of every peer (right to the cent)", figure, not ahead))
    else:
        out.append(Target("A: ordinance, trace off", "ahead of every peer", "no peer ran", None))
    rule_us = rule.us_per_eval if rule is not None and rule.status == "ok" else None
    out.append(Target("A: compiled rule alone", "within 5× of hand-written Decimal",
                      f"{rule_us / ref:.1f}× ({fmt_us(rule_us)} vs {fmt_us(ref)} µs)" if rule_us and ref else "—",
                      None if not (rule_us and ref) else rule_us <= 5 * ref))
    on_us, plain_us = us(on), us(off)  # the same call, `evaluate(case, trace=...)`, both ways
    out.append(Target("A: ordinance, trace on", "≤ 10× trace off",
                      f"{on_us / plain_us:.1f}× ({fmt_us(on_us)} vs {fmt_us(plain_us)} µs, `evaluate`)"
                      if on_us and plain_us else "—",
                      None if not (on_us and plain_us) else on_us <= 10 * plain_us))
    return out
