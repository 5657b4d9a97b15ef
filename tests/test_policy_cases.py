"""Runs every YAML test case of every bundled policy (policy/*/tests/*.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordinance.policy import load_policy
from ordinance.testing import collect, run_test

ROOT = Path(__file__).resolve().parent.parent
POLICY_DIRS = sorted(p.parent for p in (ROOT / "policy").glob("*/policy.yaml"))
TESTS = [(d, t) for d in POLICY_DIRS for t in collect(d)]
_POLICIES: dict[Path, object] = {}


def _policy(directory: Path):
    if directory not in _POLICIES:
        _POLICIES[directory] = load_policy(directory)
    return _POLICIES[directory]


@pytest.mark.parametrize("directory,test", TESTS, ids=[f"{d.name}/{t.id}" for d, t in TESTS])
def test_policy_case(directory, test):
    outcome = run_test(test, _policy(directory), directory)
    assert outcome.passed, f"{test.file}:{test.line}: {test.name}\n  " + "\n  ".join(outcome.failures)


def test_there_are_policy_cases():
    assert len(TESTS) >= 1
