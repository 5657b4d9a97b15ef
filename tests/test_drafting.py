"""A drafter changes a rate, a cap, a threshold or a date in YAML and sees the effect: no Python."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from ordinance import load_policy

POLICY = Path(__file__).resolve().parent.parent / "policy" / "xiamen-ai-2025"
CASE = {"applicant": {"kind": "enterprise", "annual_revenue": "5億"},
        "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01",
                    "compute_spend": "800萬", "service_qualified": True}]}


def edited(tmp_path: Path, file: str, old: str, new: str):
    target = tmp_path / "policy"
    shutil.copytree(POLICY, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_policy(target)


def amount(policy, case=CASE):
    return policy.evaluate(case).results[0]


def test_unchanged_policy_gives_the_reference_amount():
    assert amount(load_policy(POLICY)).amount == Decimal("3200000.00")


@pytest.mark.parametrize("old,new,expected", [
    ("set: {rate: 40%, cap: 500萬}", "set: {rate: 35%, cap: 500萬}", "2800000.00"),   # a rate
    ("set: {rate: 40%, cap: 500萬}", "set: {rate: 40%, cap: 300萬}", "3000000.00"),   # a cap
    ("when: applicant.annual_revenue >= 1億", "when: applicant.annual_revenue >= 6億", "2000000.00"),  # a threshold: 50% tier, 200萬 cap
])
def test_editing_the_compute_voucher(tmp_path, old, new, expected):
    policy = edited(tmp_path, "rules/08-compute-voucher.yaml", old, new)
    assert amount(policy).amount == Decimal(expected)


def test_editing_the_validity_date(tmp_path):
    policy = edited(tmp_path, "policy.yaml", "  until: 2027-12-31", "  until: 2025-05-31")
    result = amount(policy)
    assert result.status == "ineligible" and result.reasons[0]["code"] == "outside-validity"


def test_a_changed_value_changes_the_digest(tmp_path):
    policy = edited(tmp_path, "rules/08-compute-voucher.yaml", "rate: 40%", "rate: 35%")
    assert policy.digest != load_policy(POLICY).digest
