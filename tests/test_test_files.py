"""`ordinance test` checks its test files before running them: a test that cannot lie.

A typo in a key, a test with nothing to check, an empty file, ``tests: []`` or a value of the
wrong shape is a problem at its file, line and column (exit 1), never a test that passes, and
never an internal error (exit 3).  A policy without tests fails unless asked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli.main import main
from ordinance.testing import collect

ROOT = Path(__file__).resolve().parent.parent
CASE = ("{applicant: {kind: enterprise, annual_revenue: 5億}, claims: [{id: c1, measure: compute-voucher, "
        "date: 2025-06-01, compute_spend: 100萬, service_qualified: true}]}")
RIGHT = f"  - name: right\n    case: {CASE}\n    want: {{total: 40萬}}\n"


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("p") / "p"
    shutil.copytree(ROOT / "policy" / "xiamen-ai-2025", target)
    for path in (target / "tests").glob("*.yaml"):
        path.unlink()
    return target


def run_tests(policy_dir: Path, text: str, *options: str):
    (policy_dir / "tests" / "t.yaml").write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["test", str(policy_dir), *options])


#: (test file, the code of a problem it must give, its line): each was once a pass, a crash or nothing.
MISTAKES = [
    ("tests:\n  - name: typo\n    case: {claims: []}\n    wnat: {total: 999萬}\n", "unknown-key", 4),
    (f"tests:\n  - name: typo\n    case: {CASE}\n    wnat: {{total: 999萬}}\n    want: {{total: 40萬}}\n",
     "unknown-key", 4),
    ("tests:\n  - name: nothing to check\n    case: {claims: []}\n", "missing-key", 2),
    ("tests:\n  - case: {claims: []}\n    want: {total: 0}\n", "missing-key", 2),
    ("", "empty-file", 1),
    ("tests: []\n", "schema", 1),
    ("tests: 5\n", "wrong-type", 1),
    ("tests: {a: 1}\n", "wrong-type", 1),
    ("tests: [5]\n", "wrong-type", 1),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: 5\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {}\n", "schema", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: 5}\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {}}\n", "schema", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {c1: [1]}}\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {c1: {}}}\n", "schema", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {c1: {status: elligible}}}\n", "not-allowed", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {c1: {amont: 1}}}\n", "unknown-key", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {total: [1]}\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want: {results: {c1: {reasons: x}}}\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    trace_contains: 5\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    trace_contains: {c1: 5}\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    trace_contains: {}\n", "schema", 4),
    ("tests:\n  - name: x\n    case: {claims: []}\n    want_error: 5\n", "wrong-type", 4),
    ("tests:\n  - name: x\n    case: 5\n    want: {total: 0}\n", "wrong-type", 3),
    ("tests:\n  - name: x\n    cases: 5\n    want: {total: 0}\n", "wrong-type", 3),
    ("tests:\n  - name: x\n    cases: []\n    want: {total: 0}\n", "schema", 3),
    ("tests:\n  - name: x\n    want: {total: 0}\n", "missing-key", 2),
    ("tests:\n  - name: x\n    case: {claims: []}\n    cases: [{claims: []}]\n    want: {total: 0}\n", "schema", 2),
    ("tests:\n  - name: x\n    case: {claims: []}\n    policies: other\n    want: {total: 0}\n", "wrong-type", 4),
    ("tests:\n  - name: 5\n    case: {claims: []}\n    want: {total: 0}\n", "wrong-type", 2),
    ("tset:\n  - name: x\n", "unknown-key", 1),
]


@pytest.mark.parametrize("text,code,line", MISTAKES)
def test_a_mistake_in_a_test_file_is_a_located_problem(policy_dir, text, code, line):
    result = run_tests(policy_dir, text)
    assert result.exit_code == 1, result.output
    assert "passed" not in result.output and "internal error" not in result.output
    headlines = [h for h in result.output.splitlines() if "t.yaml:" in h]
    assert any(f"t.yaml:{line}:" in h and f": {code}: " in h for h in headlines), result.output


def test_every_problem_of_a_file_is_reported_at_once(policy_dir):
    result = run_tests(policy_dir, "tests:\n  - name: a\n    case: {claims: []}\n    wnat: {total: 1}\n"
                                   "  - name: b\n    case: {claims: []}\n    want: {results: {c1: [1]}}\n")
    assert result.exit_code == 1
    assert "unknown key `wnat`" in result.output and "did you mean `want`?" in result.output
    assert "tests/1/want/results/c1 must be a mapping" in result.output
    assert "3 problems" in result.output


def test_a_right_file_runs(policy_dir):
    result = run_tests(policy_dir, "tests:\n" + RIGHT)
    assert result.exit_code == 0 and result.output.rstrip().endswith("1 passed, 0 failed")


def test_a_policy_without_tests_fails_unless_asked(policy_dir):
    (policy_dir / "tests" / "t.yaml").unlink(missing_ok=True)
    result = CliRunner().invoke(main, ["test", str(policy_dir)])
    assert result.exit_code == 1 and "no-tests" in result.output and "--allow-no-tests" in result.output
    result = CliRunner().invoke(main, ["test", str(policy_dir), "--allow-no-tests"])
    assert result.exit_code == 0 and "0 passed, 0 failed" in result.output


def test_collect_raises_one_policy_error_with_every_problem(policy_dir):
    (policy_dir / "tests" / "t.yaml").write_text("tests: []\n", encoding="utf-8")
    (policy_dir / "tests" / "u.yaml").write_text("tests:\n  - name: x\n    case: {claims: []}\n", encoding="utf-8")
    try:
        with pytest.raises(ordinance.PolicyError) as info:
            collect(policy_dir)
        assert info.value.codes == ["schema", "missing-key"]
    finally:
        (policy_dir / "tests" / "u.yaml").unlink()


def test_the_schema_is_published_and_the_bundled_tests_follow_it():
    result = CliRunner().invoke(main, ["schema", "--kind", "tests"])
    schema = json.loads(result.output)
    assert result.exit_code == 0 and schema["title"] == "ordinance policy tests"
    assert len(collect(ROOT / "policy" / "xiamen-ai-2025")) > 150  # every bundled file validates
