"""A policy stays inside its folder and within the limits; a case within its number of claims."""

from __future__ import annotations

import pytest

from ordinance import CaseError, Limits, PolicyError, load_policy
from ordinance.cases import read_case_text
from policy_factory import write_policy

RULE = "article: 一\nmeasures:\n  - {id: m, title: m, amount: 1萬}\n"


def codes(directory, limits=Limits()):
    with pytest.raises(PolicyError) as info:
        load_policy(directory, limits=limits)
    return info.value.codes


def test_a_source_text_outside_the_policy_folder_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("not for rules", encoding="utf-8")
    directory = write_policy(tmp_path / "p", {"r": RULE}, extra="source: {file: ../secret.txt}\n")
    assert codes(directory) == ["outside-policy"]


@pytest.mark.parametrize("pattern", ["../**/*.yaml", "/etc/*.conf"])
def test_rule_patterns_outside_the_policy_folder_are_refused(tmp_path, pattern):
    (tmp_path / "elsewhere.yaml").write_text(RULE, encoding="utf-8")
    directory = write_policy(tmp_path / "p", {"r": RULE}, extra=f"rules: ['{pattern}']\n")
    assert "outside-policy" in codes(directory)


def test_an_oversized_source_text_is_refused_without_reading_it_all(tmp_path):
    directory = write_policy(tmp_path / "p", {"r": RULE}, extra="source: {file: source.txt}\n")
    (directory / "source.txt").write_text("字" * 5000, encoding="utf-8")
    assert "file-too-large" in codes(directory, Limits(max_file_bytes=2000))


def test_too_many_claims_in_one_case(tmp_path):
    policy = load_policy(write_policy(tmp_path / "p", {"r": RULE}))
    claims = "".join(f"  - {{id: c{i}, measure: m, date: 2025-05-01}}\n" for i in range(6))
    text = "claims:\n" + claims
    assert len(policy.evaluate(read_case_text(text, "case.yaml", policy)).results) == 6
    from ordinance.cases.read import read_case
    from ordinance.front.load import load_text as load

    loaded = load(text, "case.yaml", Limits(max_claims=5))
    with pytest.raises(CaseError) as info:
        read_case(loaded.data, policy, "case.yaml", loaded)
    p = info.value.problems[0]
    assert (p.code, str(p.location)) == ("too-many-claims", "case.yaml:2:3")
