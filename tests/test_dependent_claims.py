"""Undetermined claims and the rules that span claims: the bounds are sound.

A case with facts left out is decided; then the same case with every fact given.  Whatever the
missing facts turn out to be, a claim the partial case decided must come out the same, and a
claim it left undetermined must come out within its bounds (``at_least`` to ``at_most``).  The
claims are those of the bundled policy tests, shuffled into cases that share projects, years and
prior awards, so the yearly pools, 就高不重複, one-time awards and caps per project all meet
undetermined claims.  The scenarios one by one, with their figures, are policy tests
(``policy/xiamen-ai-2025/tests/dependent-claims.yaml``).
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

import ordinance
from ordinance.policy import bundled_policy_dir
from ordinance.rules.quotas import apply_quotas

from test_backends import _claims_of_bundled_cases, shuffled_case

ZERO = Decimal(0)


@pytest.fixture(scope="module")
def policy():
    return ordinance.load_policy(bundled_policy_dir())


def _paid(result) -> Decimal:
    """What a decided claim pays (its money, or an assessed benefit's ceiling)."""
    if result.status != "eligible":
        return ZERO
    value = result.amount if result.benefit == "money" else result.ceiling
    return value if value is not None else ZERO


def _check(partial, full, where) -> Counter:
    seen = Counter()
    for p, f in zip(partial.results, full.results):
        assert p.claim == f.claim
        if f.status == "undetermined":
            seen["still undetermined"] += 1
            continue
        if p.status != "undetermined":
            assert (p.status, p.amount) == (f.status, f.amount), (where, p, f)
            seen["decided either way"] += 1
            continue
        if p.at_least is None:  # no bounds: an in-kind or support benefit
            continue
        got = _paid(f)
        assert p.at_least <= got, (where, p.claim, p.at_least, got)
        assert p.at_most is None or got <= p.at_most, (where, p.claim, p.at_most, got)
        seen["within bounds" + (" (dependent)" if p.depends_on else "")] += 1
    return seen


def _leave_out(rng, data):
    """``data`` with a few facts left out: claim facts, a date, or an applicant fact."""
    out = {**data, "applicant": dict(data["applicant"]), "claims": [dict(c) for c in data["claims"]]}
    for _ in range(rng.randrange(1, 3)):
        claim = rng.choice(out["claims"])
        keys = [k for k in claim if k not in ("id", "measure", "project", "note")]
        if rng.random() < 0.1 and out["applicant"]:
            out["applicant"].pop(rng.choice(list(out["applicant"])))
        elif keys:
            claim.pop(rng.choice(keys))
    return out


def test_a_partial_case_never_promises_what_the_full_case_takes_back(policy):
    rng = random.Random(14)
    claims = [c for c in _claims_of_bundled_cases() if "date" in c]
    seen = Counter()
    for i in range(3000):
        full = shuffled_case(rng, f"r{i}", claims, range(2, 6), 0.6)
        try:
            whole = policy.decide(full)
        except ordinance.CaseError:
            continue
        partial = _leave_out(rng, full)
        try:
            part = policy.decide(partial)
        except ordinance.CaseError:
            continue
        seen += _check(part, whole, (full, partial))
    # the property was tested where it bites: claims left open because of another claim
    assert seen["within bounds (dependent)"] > 50, seen
    assert seen["within bounds"] > 200 and seen["decided either way"] > 1000, seen


def test_quota_bounds_hold_whatever_the_undetermined_contenders_come_to(policy):
    """Eleven contenders for ten places, some missing a fact: every award the partial ranking
    decides stands once the facts are given, and every open one lands within its bounds."""
    rng = random.Random(5)
    seen = Counter()
    for round_ in range(80):
        full = []
        for i in range(rng.randrange(9, 15)):
            full.append({"case": f"m{i:02d}", "applicant": {"kind": "enterprise"}, "claims": [
                {"id": "c1", "measure": "hit-product", "date": "2025-12-01", "project": f"hp{i}",
                 "intelligent_product": True, "meets_assessment": rng.random() < 0.8,
                 "annual_sales": f"{rng.randrange(900, 12000)}萬"}]})
        partial = [dict(c, claims=[dict(c["claims"][0])]) for c in full]
        for c in rng.sample(partial, rng.randrange(1, 4)):
            c["claims"][0].pop(rng.choice(["meets_assessment", "annual_sales"]))
        whole = [policy.decide(c) for c in full]
        apply_quotas(whole, policy)
        part = [policy.decide(c) for c in partial]
        apply_quotas(part, policy)
        for p, w in zip(part, whole):
            seen += _check(p, w, round_)
    assert seen["within bounds (dependent)"] > 10 and seen["decided either way"] > 200, seen


def test_the_auditing_guide_shows_real_output(policy):
    """docs/auditing.md, section 7a, quotes the report of examples/cases/dependent-claims.yaml:
    every line it shows is a line of that report (``...`` marks lines left out)."""
    from pathlib import Path

    from ordinance.render.text import render_decision

    root = Path(__file__).resolve().parent.parent
    section = (root / "docs" / "auditing.md").read_text(encoding="utf-8").split("## 7a.", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```\n")[1::2]
    assert len(blocks) == 2
    report = render_decision(policy.evaluate(ordinance.load_case(root / "examples/cases/dependent-claims.yaml",
                                                                 policy))).splitlines()
    quoted = [line for block in blocks for line in block.splitlines() if line.strip() != "..."]
    assert len(quoted) >= 15
    missing = [line for line in quoted if line not in report]
    assert not missing, missing
