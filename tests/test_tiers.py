"""The tier pass of `ordinance check`: unreachable (overlapping) rows and gaps in tiered tables."""

from __future__ import annotations

import pytest

from ordinance import PolicyError
from policy_factory import make_policy


def table(*rows: str) -> str:
    body = "\n".join(f"          - {r}" for r in rows)
    return f"""\
article: 一
measures:
  - id: m
    title: m
    tables:
      tier:
        rows:
{body}
    amount: tier.cap
"""


def problems(tmp_path, *rows):
    try:
        make_policy(tmp_path, {"r": table(*rows)})
    except PolicyError as exc:
        return [(p.code, p.message) for p in exc.problems]
    return []


R = "applicant.annual_revenue"


@pytest.mark.parametrize("rows", [
    # the statute's tiers, in its order: 10億(含)以上 / 1億(含)—10億 / 1億以下
    (f"{{when: {R} >= 10億, set: {{cap: 1000萬}}}}", f"{{when: {R} >= 1億, set: {{cap: 500萬}}}}",
     f"{{when: {R} < 1億, set: {{cap: 200萬}}}}"),
    (f"{{when: {R} < 1億, set: {{cap: 200萬}}}}", f"{{when: '{R} >= 1億 and {R} < 10億', set: {{cap: 500萬}}}}",
     f"{{when: {R} >= 10億, set: {{cap: 1000萬}}}}"),
    (f"{{when: {R} >= 10億, set: {{cap: 1000萬}}}}", "{otherwise: true, set: {cap: 200萬}}"),
    ("{when: applicant.kind == \"university\", set: {cap: 200萬}}", f"{{when: {R} >= 1億, set: {{cap: 500萬}}}}",
     f"{{when: 'between({R}, 0元, 1億)', set: {{cap: 200萬}}}}"),
])
def test_sound_tiers_pass(tmp_path, rows):
    assert problems(tmp_path, *rows) == []


def test_a_gap_is_named(tmp_path):
    found = problems(tmp_path, f"{{when: {R} >= 10億, set: {{cap: 1000萬}}}}",
                     f"{{when: '{R} >= 1億 and {R} < 5億', set: {{cap: 500萬}}}}",
                     f"{{when: {R} < 1億, set: {{cap: 200萬}}}}")
    assert found == [("tier-gap", "no row of table `tier` applies when applicant.annual_revenue is from "
                                  "500,000,000.00 元 (5億) below 1,000,000,000.00 元 (10億)")]


def test_the_boundary_value_itself_can_be_the_gap(tmp_path):
    found = problems(tmp_path, f"{{when: {R} > 1億, set: {{cap: 500萬}}}}",
                     f"{{when: {R} < 1億, set: {{cap: 200萬}}}}")
    assert found[0][0] == "tier-gap" and "exactly 100,000,000.00 元 (1億)" in found[0][1]


def test_an_overlapped_row_that_can_never_match(tmp_path):
    found = problems(tmp_path, f"{{when: {R} >= 1億, set: {{cap: 500萬}}}}",
                     f"{{when: {R} >= 10億, set: {{cap: 1000萬}}}}",
                     f"{{when: {R} < 1億, set: {{cap: 200萬}}}}")
    assert found == [("unreachable-row", "row 2 of table `tier` can never match: applicant.annual_revenue from "
                                         "1,000,000,000.00 元 (10億) is already taken by row 1")]
