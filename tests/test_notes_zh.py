"""The engine's notes come in both languages in the decision, as its reasons and labels do.

A claim's ``notes`` and each trace step's ``notes`` are English; beside them ``notes_zh`` holds the
same notes in Chinese, one for one, in the same order (the workbench shows them on its Chinese page;
a service in Chinese reads them without a second request).  A change of ``notes`` in
``/v1/compare`` carries ``left_zh``/``right_zh`` the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import ordinance
from ordinance.decision import decision_line, to_json
from ordinance.policy import bundled_policy_dir
from ordinance.web.compare import compare_decisions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def policy():
    return ordinance.default_policy()


def _with_notes(data):
    """Every object of ``data`` (a decision as JSON) that has notes."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if "notes" in x or "notes_zh" in x:
                yield x
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


def test_every_note_of_every_example_is_given_in_chinese_too(policy):
    seen = 0
    for path in EXAMPLES:
        decision = policy.evaluate(yaml.safe_load(path.read_text(encoding="utf-8")), name=path.stem)
        for holder in _with_notes(json.loads(to_json(decision.to_dict()))):
            en, zh = holder["notes"], holder["notes_zh"]
            assert len(zh) == len(en) and en, (path.name, holder.get("kind"), en, zh)
            for e, z in zip(en, zh):
                assert CJK.search(z) and z != e, (path.name, e, z)
                seen += 1
    assert seen > 300  # the examples' traces hold hundreds of notes: none of them English only


def test_a_step_or_claim_without_notes_has_no_notes_zh(policy):
    data = policy.evaluate(yaml.safe_load((ROOT / "examples" / "compute-voucher.yaml").read_text(encoding="utf-8"))
                           ).to_dict()
    holders = list(_with_notes(json.loads(to_json(data))))
    assert holders and all("notes" in h and "notes_zh" in h for h in holders)
    assert "notes_zh" not in data["results"][0]  # the claims themselves have no notes here


def test_a_claims_notes_in_chinese_on_both_ways_of_writing_a_decision(policy):
    case = yaml.safe_load((ROOT / "examples" / "cases" / "hit-product.yaml").read_text(encoding="utf-8"))
    decision = policy.decide(case)
    result = decision.to_dict()["results"][0]
    assert result["notes"] and result["notes_zh"] == [n.in_lang("zh") for n in decision.results[0].notes]
    assert CJK.search(result["notes_zh"][0]) and "quota" in result["notes"][0]
    assert json.loads(decision_line(decision))["results"][0]["notes_zh"] == result["notes_zh"]


def test_a_change_of_notes_in_a_comparison_says_both_languages(policy):
    compute = "rules/08-compute-voucher.yaml"
    text = (bundled_policy_dir() / compute).read_text(encoding="utf-8")
    raised = ordinance.load_policy(bundled_policy_dir(), overrides={compute: text.replace("cap: 500萬", "cap: 600萬")})
    case = yaml.safe_load((ROOT / "examples" / "compute-voucher.yaml").read_text(encoding="utf-8"))
    changes = compare_decisions(policy.evaluate(case), raised.evaluate(case))
    notes = [c for c in changes if c["field"] == "notes"]
    assert notes, [c["field"] for c in changes]
    for c in notes:
        for side in ("left", "right"):
            assert len(c[f"{side}_zh"]) == len(c[side])
            assert all(CJK.search(z) and z != e for e, z in zip(c[side], c[f"{side}_zh"]))
    assert all("left_zh" not in c for c in changes if c["field"] != "notes")
    json.dumps(changes)  # plain data


def test_the_inputs_the_engine_names_itself_are_given_in_chinese_too(policy):
    """A cap's step records inputs the engine names (year, cap, remaining, ...): input_names_zh says
    each in Chinese; facts and the policy's names are not among them (their labels are the policy's)."""
    named = 0
    for path in EXAMPLES:
        decision = policy.evaluate(yaml.safe_load(path.read_text(encoding="utf-8")), name=path.stem)
        stack = [json.loads(to_json(decision.to_dict()))]
        while stack:
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(x)
            elif isinstance(x, dict):
                stack.extend(x.values())
                if "input_names_zh" in x:
                    own = x["input_names_zh"]
                    assert own and set(own) <= set(x["inputs"]), x["kind"]
                    for name, zh in own.items():
                        assert CJK.search(zh) and "." not in name, (name, zh)  # a fact's name has a dot
                        named += 1
                    assert all("." in k or k in own or k not in ("year", "cap", "remaining", "amount")
                               for k in x["inputs"])
    assert named > 50
    cap = policy.evaluate(yaml.safe_load((ROOT / "examples" / "compute-voucher.yaml").read_text(encoding="utf-8"))
                          ).results[0].trace.find("yearly-cap").to_dict()
    assert cap["input_names_zh"]["remaining"] == "餘額" and cap["input_names_zh"]["year"] == "年度"
