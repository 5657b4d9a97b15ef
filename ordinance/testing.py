"""Policy test cases written as YAML, run by ``make test`` and by ``ordinance test``.

A test file holds ``tests:``, a list of cases with what they must come to::

    tests:
      - name: revenue of exactly 10億 is in the 30% tier
        case: {applicant: {...}, claims: [...], history: [...]}
        want:
          total: 300萬
          results:
            c1: {status: eligible, amount: 300萬, reasons: [], missing: []}
        trace_contains:
          c1: ["capped per entity per year"]

``cases:`` (a list) instead of ``case:`` decides the cases together, so annual quotas are
ranked; results are then keyed ``case-id/claim-id``.  ``want_error: CODE`` expects the case
to be refused with a problem of that code.  ``policies:`` names extra policy directories
(relative to the test file) to load beside the policy under test.

Amounts in ``want`` may be written as the statute does (``300萬``); they are compared
exactly.  Only the keys given are checked.

A test file is validated against ``schema/tests.schema.json`` before any test runs: an unknown
key (``wnat:``), a test that checks nothing, ``tests: []`` or a value of the wrong shape is a
problem at its file, line and column (:func:`collect` raises one ``PolicyError`` with all of them),
never a test that passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cases.read import _Mismatch, convert_value
from .decision import ClaimResult, Decision
from .errors import OrdinanceError, PolicyError, Problem, SummaryWords
from .front.load import DEFAULT_LIMITS, Limits, load_file
from .front.validate import validate
from .messages import join, msg
from .policy import Policy, load_policy
from . import types as T
from .values import money_string


@dataclass
class PolicyTest:
    name: str
    file: str
    index: int
    spec: dict[str, Any]
    line: int

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}::{self.name}"


@dataclass
class TestOutcome:
    """What a test came to: its failures are messages of the catalogue (:class:`~ordinance.messages.Text`:
    their English as ``str``, :meth:`~ordinance.messages.Text.in_lang` for the Chinese)."""

    test: PolicyTest
    failures: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def collect(directory: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[PolicyTest]:
    """All tests in ``directory/tests/*.yaml`` (or in ``directory`` itself if it is a tests folder),
    each file validated first; raises ``PolicyError`` with every problem of every file."""
    root = Path(directory)
    folder = root / "tests" if (root / "tests").is_dir() else root
    out: list[PolicyTest] = []
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            loaded = load_file(path, str(path), limits)
        except PolicyError as exc:
            problems.extend(exc.problems)
            sources.update(exc.sources)
            continue
        sources[loaded.name] = loaded.text
        found = validate(loaded, "tests")
        if found:
            problems.extend(found)
            continue
        for i, spec in enumerate(loaded.data["tests"]):
            line = loaded.location(("tests", i)).line
            out.append(PolicyTest(spec["name"], str(path), i, spec, line))
    if problems:
        raise PolicyError(problems, sources)
    return out



def run_test(test: PolicyTest, policy: Policy, policy_dir: Path) -> TestOutcome:
    outcome = TestOutcome(test)
    spec = test.spec
    extra = spec.get("policies")
    if extra:
        base = Path(test.file).parent
        policy = load_policy([policy_dir] + [base / p for p in extra])
    want_error = spec.get("want_error")
    try:
        if "cases" in spec:
            decisions = policy.evaluate_many(spec["cases"])
        else:
            decisions = [policy.evaluate(spec.get("case"))]
    except OrdinanceError as exc:
        if want_error and want_error in exc.codes:
            return outcome
        outcome.failures.append(msg("testing.unexpected-error", summary=SummaryWords(exc)) if not want_error else
                                msg("testing.other-error", code=want_error, codes=join(exc.codes),
                                    summary=SummaryWords(exc)))
        return outcome
    outcome.decisions = decisions
    if want_error:
        outcome.failures.append(msg("testing.decided-not-refused", code=want_error))
        return outcome
    want = spec.get("want") or {}
    results: dict[str, ClaimResult] = {}
    for d in decisions:
        for r in d.results:
            results[r.claim if len(decisions) == 1 else f"{d.case}/{r.claim}"] = r
    if "total" in want:
        total = sum((d.total for d in decisions), start=decisions[0].total * 0) if decisions else None
        _compare_money(outcome, "total", want["total"], total)
    for key, expected in (want.get("results") or {}).items():
        result = results.get(str(key))
        if result is None:
            outcome.failures.append(msg("testing.no-result", claim=key, claims=join(results)))
            continue
        _compare_result(outcome, str(key), expected or {}, result)
    for key, needles in (spec.get("trace_contains") or {}).items():
        result = results.get(str(key))
        if result is None or result.trace is None:
            outcome.failures.append(msg("testing.no-trace", claim=key))
            continue
        text = _trace_text(result)
        for needle in needles:
            if str(needle) not in text:
                outcome.failures.append(msg("testing.trace-lacks", claim=key, needle=repr(needle)))
    return outcome


def _compare_result(outcome: TestOutcome, key: str, expected: dict[str, Any], result: ClaimResult) -> None:
    for field_name, want in expected.items():
        if field_name == "status":
            if result.status != want:
                outcome.failures.append(msg("testing.status", claim=key, got=result.status, want=want,
                                            reasons=[r["code"] for r in result.reasons],
                                            missing=list(result.missing)))
        elif field_name in ("amount", "ceiling", "at_least", "at_most"):  # (the bounds: of an undetermined claim)
            _compare_money(outcome, msg("testing.field", claim=key, field=field_name), want, getattr(result, field_name))
        elif field_name == "depends_on":
            if list(result.depends_on) != list(want):
                outcome.failures.append(msg("testing.depends-on", claim=key, got=list(result.depends_on), want=list(want)))
        elif field_name == "reasons":
            codes = [r["code"] for r in result.reasons]
            if codes != list(want):
                outcome.failures.append(msg("testing.reasons", claim=key, got=codes, want=list(want)))
        elif field_name == "failed":
            failed = [r.get("condition") for r in result.reasons if r["code"] == "condition-failed"]
            if failed != list(want):
                outcome.failures.append(msg("testing.failed", claim=key, got=failed, want=list(want)))
        elif field_name == "missing":
            if list(result.missing) != list(want):
                outcome.failures.append(msg("testing.missing", claim=key, got=list(result.missing), want=list(want)))
        elif field_name == "superseded_by":
            if result.superseded_by != want:
                outcome.failures.append(msg("testing.superseded-by", claim=key, got=result.superseded_by, want=want))
        elif field_name == "basis":
            if result.basis != want:
                outcome.failures.append(msg("testing.basis", claim=key, got=result.basis, want=want))
        elif field_name == "benefit":
            if result.benefit != want:
                outcome.failures.append(msg("testing.benefit", claim=key, got=result.benefit, want=want))
        elif field_name == "duration":
            got = str(result.duration) if result.duration is not None else None
            wanted = str(convert_value(want, T.DURATION)) if want is not None else None
            if got != wanted:
                outcome.failures.append(msg("testing.duration", claim=key, got=got, want=wanted))
        elif field_name == "quota":
            got = (result.quota or {}).get("status")
            if got != want:
                outcome.failures.append(msg("testing.quota", claim=key, got=got, want=want))
        else:
            outcome.failures.append(msg("testing.unknown-expectation", claim=key, field=field_name))


def _compare_money(outcome: TestOutcome, what: str, want: Any, got: Any) -> None:
    if want is None:
        if got is not None:
            outcome.failures.append(msg("testing.money-not-null", what=what, got=money_string(got)))
        return
    try:
        wanted = convert_value(want, T.MONEY)
    except _Mismatch:
        outcome.failures.append(msg("testing.money-not-an-amount", what=what, want=repr(want)))
        return
    if got is None:
        outcome.failures.append(msg("testing.money-null", what=what, want=money_string(wanted)))
    elif money_string(got) != money_string(wanted):
        outcome.failures.append(msg("testing.money", what=what, got=money_string(got), want=money_string(wanted)))


def _trace_text(result: ClaimResult) -> str:
    parts = []
    for node in result.trace.walk():
        parts.extend(node.notes)
        parts.append(node.kind)
        parts.append(node.id)
        if node.expression:
            parts.append(node.expression)
        if node.label is not None:
            parts.extend([node.label.zh, node.label.en])
    parts.extend(r["en"] for r in result.reasons)
    parts.extend(result.notes)
    return "\n".join(parts)


def run_directory(directory: str | Path) -> list[TestOutcome]:
    """Run every test of the policy at ``directory``."""
    policy = load_policy(directory)
    return [run_test(t, policy, Path(directory)) for t in collect(directory)]


__all__ = ["PolicyTest", "TestOutcome", "collect", "run_test", "run_directory"]
