"""Engines, the correctness cross-check, timing and tables.

An :class:`Engine` names what it needs (an importable module, the PyPI distribution whose
version the report shows) and how to build it; building returns a :class:`Built`: how to
turn an applicant into the engine's own input (outside the timing), the call that decides
one input (timed), and how to read the engine's answer in cents (for the cross-check).
A vectorised engine decides all its inputs in one call instead.

:func:`run_engine` is the whole life of one engine in a workload: detect, build (timed),
decide every applicant once (the warm-up) and check every answer against the reference
*before* any figure exists, then time several runs and take the median.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import importlib.util
import statistics
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from .applicants import Applicant


@dataclass
class Built:
    prepare: Callable[[Applicant], Any]  # applicant -> the engine's input (not timed)
    decide: Callable[[Any], Any]  # one input -> the engine's answer (timed)
    cents: Callable[[Any], int | str]  # answer -> subsidy in cents (or text: not a subsidy)
    context: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext  # around every timed loop
    vectorised: bool = False  # decide takes the list of all inputs and returns all answers
    prepare_all: Callable[[Sequence[Applicant]], Any] | None = None  # for vectorised engines
    cents_all: Callable[[Any], list[int | str]] | None = None  # for vectorised engines
    build_ms: float | None = None  # set when the build worth reporting is only part of build()


@dataclass
class Engine:
    name: str
    kind: str  # "limit" | "ordinance" | "peer"
    build: Callable[[], Built]
    module: str | None = None  # must be importable, else "not installed"
    dist: str | None = None  # PyPI distribution, for the version
    input: str = ""  # what the engine is given, in words
    includes: str = ""  # what one timed call includes, in words
    max_cases: int | None = None  # slow engines: check and time only the first applicants
    key: str = ""  # how the report finds a row (ordinance's rows and the reference)


@dataclass
class Check:
    checked: int = 0
    mismatches: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.checked > 0 and self.mismatches == 0

    def describe(self) -> str:
        if self.ok:
            return f"ok ({self.checked:,} to the cent)"
        return f"MISMATCH: {self.mismatches:,} of {self.checked:,} differ; " + "; ".join(self.examples)


@dataclass
class Row:
    """One engine's line in a table: either figures (after a check) or why there are none."""

    engine: Engine
    status: str  # "ok" | "mismatch" | "not installed" | "failed"
    reason: str = ""
    version: str = ""
    build_ms: float | None = None
    us_per_eval: float | None = None
    runs: list[float] = field(default_factory=list)  # µs per evaluation of each timed run
    timed_cases: int = 0
    check: Check | None = None

    @property
    def per_second(self) -> float | None:
        return 1e6 / self.us_per_eval if self.us_per_eval else None

    @property
    def has_figures(self) -> bool:
        return self.us_per_eval is not None


def dist_version(dist: str | None) -> str:
    if not dist:
        return ""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def installed(module: str | None) -> bool:
    if module is None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def cross_check(applicants: Sequence[Applicant], answers: Sequence[int | str], expected: Sequence[int],
                limit: int = 2) -> Check:
    """Compare an engine's answers (cents) with the reference, applicant by applicant."""
    check = Check(checked=len(applicants))
    if len(answers) != len(applicants):
        check.mismatches = len(applicants)
        check.examples.append(f"{len(answers)} answers for {len(applicants)} applicants")
        return check
    for a, got, want in zip(applicants, answers, expected):
        if got != want:
            check.mismatches += 1
            if len(check.examples) < limit:
                check.examples.append(f"{a.describe()}: expected {money(want)}, got {money(got)}")
    return check


def money(cents: int | str) -> str:
    if isinstance(cents, str):
        return cents
    return f"{cents // 100:,}.{cents % 100:02d}"


def run_engine(engine: Engine, applicants: Sequence[Applicant], expected: Sequence[int], *,
               repeats: int, run_seconds: float) -> Row:
    """Detect, build, check, then time ``engine`` on ``applicants``."""
    row = Row(engine, "ok", version=dist_version(engine.dist))
    if not installed(engine.module):
        row.status, row.reason = "not installed", f"`pip install {engine.dist or engine.module}`"
        return row
    try:
        t0 = time.perf_counter()
        built = engine.build()
        row.build_ms = (time.perf_counter() - t0) * 1e3
        if built.build_ms is not None:
            row.build_ms = built.build_ms
    except Exception as exc:  # a peer that does not build here is reported, not fatal
        row.status, row.reason = "failed", f"build: {_short(exc)}"
        return row
    cases = applicants if engine.max_cases is None else applicants[:engine.max_cases]
    want = expected[:len(cases)]
    try:
        if built.vectorised:
            assert built.prepare_all is not None and built.cents_all is not None
            inputs = built.prepare_all(cases)
            with built.context():
                out = built.decide(inputs)
            answers = built.cents_all(out)
        else:
            inputs = [built.prepare(a) for a in cases]
            decide = built.decide
            with built.context():
                outputs = [decide(x) for x in inputs]  # the warm-up run, kept for the check
            answers = [built.cents(o) for o in outputs]
            del outputs
    except Exception as exc:
        row.status, row.reason = "failed", f"evaluate: {_short(exc)}"
        return row
    row.check = cross_check(cases, answers, want)  # before any figure exists
    if not row.check.ok:
        row.status = "mismatch"
    try:
        row.runs, row.timed_cases = _time(built, inputs, len(cases), repeats, run_seconds)
    except Exception as exc:
        row.status, row.reason = "failed", f"timing: {_short(exc)}"
        return row
    row.us_per_eval = statistics.median(row.runs)
    return row


def _time(built: Built, inputs: Any, count: int, repeats: int, run_seconds: float) -> tuple[list[float], int]:
    """µs per evaluation of ``repeats`` runs; each run decides the first n inputs, n chosen so
    that one run lasts about ``run_seconds`` (all of them if that is quicker), and keeps every
    answer, as a caller does (what keeping them costs the garbage collector is part of the figure)."""
    decide = built.decide
    runs: list[float] = []
    if built.vectorised:
        for _ in range(repeats):
            gc.collect()
            with built.context():
                t0 = time.perf_counter()
                decide(inputs)
                runs.append((time.perf_counter() - t0) * 1e6 / count)
        return runs, count
    # size the runs from one short probe
    probe = inputs[:min(len(inputs), 200)]
    with built.context():
        t0 = time.perf_counter()
        for x in probe:
            decide(x)
        per = (time.perf_counter() - t0) / max(1, len(probe))
    n = len(inputs) if per <= 0 else max(min(len(inputs), 100), min(len(inputs), int(run_seconds / per)))
    sub = inputs[:n]
    for _ in range(repeats):
        gc.collect()
        with built.context():
            t0 = time.perf_counter()
            kept = [decide(x) for x in sub]
            runs.append((time.perf_counter() - t0) * 1e6 / n)
        del kept
    return runs, n


def time_call(fn: Callable[[], Any], *, repeats: int, run_seconds: float) -> tuple[float, list[float], int]:
    """Median µs of ``fn()`` over ``repeats`` runs of n calls each (after a warm-up), and n; every
    answer of a run is kept until the run ends, as a caller keeps them."""
    fn()
    t0 = time.perf_counter()
    fn()
    per = time.perf_counter() - t0
    n = max(1, int(run_seconds / per)) if per > 0 else 1000
    runs = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        kept = [fn() for _ in range(n)]
        runs.append((time.perf_counter() - t0) * 1e6 / n)
        del kept
    return statistics.median(runs), runs, n


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" ({where[0].name})" if where else ""
    return f"{type(exc).__name__}: {text[:160]}{at}"


# -- tables -------------------------------------------------------------------------------------

def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; ``|`` inside cells is escaped."""
    def cell(v: Any) -> str:
        return ("" if v is None else str(v)).replace("|", "\\|").replace("\n", " ")
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def fmt_us(us: float | None) -> str:
    if us is None:
        return "—"
    if us < 1:
        return f"{us:.3f}"
    if us < 10:
        return f"{us:.2f}"
    if us < 1000:
        return f"{us:.1f}"
    return f"{us:,.0f}"


def fmt_rate(per_second: float | None) -> str:
    if per_second is None:
        return "—"
    return f"{per_second:,.0f}"


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.2f}" if ms < 10 else f"{ms:,.0f}" if ms >= 1000 else f"{ms:.1f}"


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT MET")
