"""Batch: ``ordinance batch`` over generated one-claim cases, JSON Lines in and out.

The cases are workload A's applicants (same generator, same seed), one compute-voucher claim
each, written as one JSON case per line.  ``ordinance batch CASES.jsonl -o OUT.jsonl --jobs N``
runs as a child process for N = 1 and 2; the figure is cases per second of wall time (start-up
and the policy load included).  Every output line is then checked: one decision per case, in
input order, whose total is the hand-written Decimal subsidy to the cent; and the output of
``--jobs 2`` must be the same bytes as that of ``--jobs 1``.

Peak memory is measured three ways, sampling /proc every 50 ms for the batch process and all
its workers: the summed proportional set size (PSS: pages shared between the parent and its
forked workers counted once — the figure against the target) and the summed resident set
(RSS: shared pages counted in every process); and the largest single process's maximum
resident set from ``/usr/bin/time`` (the kernel's own high-water mark, not sampled).

If the command is missing or fails, the rows say "not available" with the reason and the run
goes on.  When a full run at ``--jobs 1`` would not fit its time budget (projected from probes
of 100 and 10,000 cases), fewer cases are used and the table says so.
"""

from __future__ import annotations

import array
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import applicants as A
from .harness import fmt_rate, table
from .reference import expected_cents
from .startup import ROOT, _env, ordinance_command
from .targets import Target

PROBE_CASES = 10_000
_LINE = re.compile(r'"case"\s*:\s*"b(\d+)".*"total"\s*:\s*"(\d+)\.(\d{2})"\s*}\s*$')


@dataclass
class RunRow:
    jobs: int
    cases: int
    seconds: float | None = None
    pss_mb: float | None = None  # peak of the summed PSS of all the batch's processes (sampled)
    rss_mb: float | None = None  # peak of the summed RSS (shared pages counted in each process)
    largest_mb: float | None = None  # the largest single process's maximum RSS (/usr/bin/time)
    check: str = ""
    ok: bool = False

    @property
    def per_second(self) -> float | None:
        return self.cases / self.seconds if self.seconds else None


@dataclass
class Result:
    available: bool
    reason: str = ""
    requested: int = 0
    cases: int = 0
    note: str = ""
    rows: list[RunRow] = field(default_factory=list)
    generate_seconds: float = 0.0

    def row(self, jobs: int) -> RunRow | None:
        return next((r for r in self.rows if r.jobs == jobs), None)


def _help(cmd: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(cmd + ["batch", "--help"], check=False, cwd=ROOT, capture_output=True, env=_env(), timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"`ordinance batch --help` failed: {exc}"
    if done.returncode != 0:
        err = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return False, "`ordinance batch --help`: " + (err[-1] if err else f"exit {done.returncode}")
    return True, done.stdout.decode(errors="replace")


def write_cases(path: Path, n: int) -> array.array:
    """Write ``n`` one-claim cases as JSON Lines; return the expected totals in cents."""
    expected = array.array("q")
    with path.open("w", encoding="utf-8") as f:
        lines = []
        for a in A.iter_applicants(n):
            lines.append(json.dumps(a.case(f"b{a.index}"), ensure_ascii=False, separators=(",", ":")))
            expected.append(expected_cents(a))
            if len(lines) >= 10_000:
                f.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            f.write("\n".join(lines) + "\n")
    return expected


class _TreeSampler(threading.Thread):
    """Samples the summed memory of the descendants of a process: resident set (RSS, shared
    pages counted in every process) and proportional set (PSS, shared pages split)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = self.peak_pss = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                rss, pss = self._tree_memory()
                self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            except Exception:
                pass
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def _tree_memory(self) -> tuple[int, int]:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            parents[int(entry.name)] = int(fields[1])
        tree = {self.pid}
        grew = True
        while grew:
            grew = False
            for pid, ppid in parents.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        tree.discard(self.pid)  # the root is /usr/bin/time (or the batch itself: see _run_batch)
        rss = pss = 0
        for pid in tree:
            try:
                with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                    for line in f:
                        if line.startswith(b"Rss:"):
                            rss += int(line.split()[1]) * 1024
                        elif line.startswith(b"Pss:"):
                            pss += int(line.split()[1]) * 1024
            except (OSError, IndexError, ValueError):
                pass
        return rss, pss


TIME = "/usr/bin/time"


def _run_batch(cmd: list[str], cases: Path, out: Path, jobs: int, use_jobs: bool, timeout: float
               ) -> tuple[float | None, dict[str, float], str]:
    """(wall seconds, peak memory in MB by measure, error).  The batch runs under ``/usr/bin/time``
    when it exists: its maximum resident set is then the batch's own, not inflated by the pages
    of this (large) process that a fork carries until exec."""
    argv = cmd + ["batch", str(cases), "-o", str(out)] + (["--jobs", str(jobs)] if use_jobs else [])
    with tempfile.NamedTemporaryFile(prefix="ordinance-batch-time-", suffix=".txt", delete=False) as f:
        time_file = Path(f.name)
    timed = os.access(TIME, os.X_OK)
    if timed:
        argv = [TIME, "-f", "%M", "-o", str(time_file)] + argv
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=_env())
    sampler = _TreeSampler(proc.pid) if timed else _TreeSampler(os.getpid())
    sampler.start()
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        sampler.stop()
        time_file.unlink(missing_ok=True)
        return None, {}, f"stopped after {timeout:.0f} s"
    seconds = time.perf_counter() - t0
    sampler.stop()
    memory = {"rss": sampler.peak_rss / 2**20, "pss": sampler.peak_pss / 2**20}
    try:
        if timed:
            memory["largest"] = int(time_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    time_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        err = stderr.decode(errors="replace").strip().splitlines()
        err = [e for e in err if not e.startswith("Command exited with non-zero status")] or err
        return seconds, memory, f"exit {proc.returncode}: " + (err[-1][:200] if err else "")
    return seconds, memory, ""


def verify(out: Path, expected: array.array) -> tuple[bool, str]:
    """Every line a decision, in input order, with the expected total."""
    n = len(expected)
    count = bad = 0
    first = ""
    with out.open("r", encoding="utf-8") as f:
        for i, line in enumerate(f):
            count += 1
            m = _LINE.search(line)
            if m is None:
                try:
                    d = json.loads(line)
                    index = int(str(d["case"])[1:])
                    units, cents = str(d["total"]).split(".")
                except Exception:
                    bad += 1
                    first = first or f"line {i + 1}: not a decision: {line[:120]!r}"
                    continue
            else:
                index, units, cents = int(m.group(1)), m.group(2), m.group(3)
            got = int(units) * 100 + int(cents)
            if index != i or i >= n or got != expected[i]:
                bad += 1
                if not first:
                    want = expected[i] if i < n else None
                    first = f"line {i + 1}: case b{index} total {got / 100:.2f}, expected b{i} " + \
                            (f"{want / 100:.2f}" if want is not None else "no line")
    if count != n:
        return False, f"{count:,} lines for {n:,} cases" + (f"; {first}" if first else "")
    if bad:
        return False, f"MISMATCH: {bad:,} of {n:,} lines differ; {first}"
    return True, f"ok ({n:,} totals to the cent)"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(n: int, *, budget_seconds: float = 180.0, log=lambda s: None) -> Result:
    cmd = ordinance_command()
    if cmd is None:
        return Result(False, "no `ordinance` console script found", n)
    ok, help_text = _help(cmd)
    if not ok:
        return Result(False, help_text, n)
    use_jobs = "--jobs" in help_text
    result = Result(True, requested=n, cases=n)
    with tempfile.TemporaryDirectory(prefix="ordinance-batch-") as tmp:
        folder = Path(tmp)
        cases, out = folder / "cases.jsonl", folder / "decisions.jsonl"
        if n > PROBE_CASES:  # will the full run fit?  Probe with 100 cases (start-up) and 10,000
            timings = []
            for size in (100, PROBE_CASES):
                write_cases(cases, size)
                seconds, _, err = _run_batch(cmd, cases, out, 1, use_jobs, timeout=max(60.0, budget_seconds))
                if err or not seconds:
                    result.rows.append(RunRow(1, size, None, check=f"not available: {err}"))
                    return result
                timings.append(seconds)
            start, per_case = timings[0], max(1e-9, (timings[1] - timings[0]) / (PROBE_CASES - 100))
            projected = start + n * per_case
            if projected > budget_seconds:
                fit = max(PROBE_CASES, int((budget_seconds - start) / per_case) // PROBE_CASES * PROBE_CASES)
                result.cases = fit
                result.note = (f"{n:,} cases would take about {projected:,.0f} s at --jobs 1 (probe: "
                               f"{PROBE_CASES:,} cases in {timings[1]:.1f} s, 100 in {timings[0]:.1f} s), over the "
                               f"{budget_seconds:.0f} s budget of one run: run on {fit:,} cases")
        log(f"  batch: writing {result.cases:,} cases ...")
        t0 = time.perf_counter()
        expected = write_cases(cases, result.cases)
        result.generate_seconds = time.perf_counter() - t0
        digests = {}
        for jobs in (1, 2):
            row = RunRow(jobs, result.cases)
            result.rows.append(row)
            if jobs != 1 and not use_jobs:
                row.check = "not available: `ordinance batch` has no --jobs option"
                continue
            log(f"  batch: --jobs {jobs} ...")
            seconds, memory, err = _run_batch(cmd, cases, out, jobs, use_jobs,
                                              timeout=max(60.0, 2.5 * budget_seconds))
            row.pss_mb, row.rss_mb, row.largest_mb = memory.get("pss"), memory.get("rss"), memory.get("largest")
            if err:
                row.check = f"not available: {err}"
                continue
            row.seconds = seconds
            row.ok, row.check = verify(out, expected)
            if row.ok:
                digests[jobs] = _digest(out)
                if jobs != 1 and 1 in digests and digests[jobs] != digests[1]:
                    row.ok, row.check = False, "output differs from --jobs 1 (same totals, other bytes)"
            out.unlink(missing_ok=True)
    return result


def render(result: Result) -> str:
    if not result.available:
        return f"`ordinance batch`: not available — {result.reason}"
    body = []
    for r in result.rows:
        figures = r.seconds is not None and r.check and not r.check.startswith("not available")
        body.append([f"--jobs {r.jobs}", f"{r.cases:,}", f"{r.seconds:.1f}" if figures else "—",
                     fmt_rate(r.per_second) if figures else "—",
                     _mb(r.pss_mb), _mb(r.rss_mb), _mb(r.largest_mb), r.check])
    out = table(["`ordinance batch`", "cases", "wall s", "cases / s", "peak PSS, all processes (MB)",
                 "peak RSS, all processes (MB)", "largest process max RSS (MB)", "output check"], body)
    if result.note:
        out += f"\n\nNote: {result.note}."
    return out


def _mb(value: float | None) -> str:
    return f"{value:.0f}" if value else "—"


def targets(result: Result) -> list[Target]:
    if not result.available:
        why = f"not available: {result.reason}"
        return [Target("batch --jobs 2", "≥ 100,000 cases/s", why, None),
                Target("batch peak memory", "< 200 MB", why, None)]
    two = result.row(2)
    rate = two.per_second if two is not None and two.ok else None
    peaks = [r.pss_mb for r in result.rows if r.pss_mb]
    return [
        Target("batch --jobs 2", "≥ 100,000 cases/s",
               f"{fmt_rate(rate)} cases/s on {result.cases:,}" if rate else
               (two.check if two is not None else "did not run"), None if rate is None else rate >= 100_000),
        Target("batch peak memory", "< 200 MB (PSS of all processes)",
               f"{max(peaks):.0f} MB" if peaks else "not measured", None if not peaks else max(peaks) < 200),
    ]
