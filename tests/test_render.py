"""Renderings of decisions: the terminal tree, Markdown and HTML, against golden files; escaping.

The golden files under ``tests/golden/render/`` hold the text, Markdown, HTML and `explain`
renderings of four cases decided with the bundled policy and a fixed date of evaluation:

=============  ====================================================================================
rd-project     eligible and capped per project; superseded twice (就高不重複); a prior award deducted
support        refused (a yes/no condition), undetermined (a missing fact), benefits without money
hit-product    the quota pending; capped per product; amounts counted in whole blocks
refusals       a fact below a threshold, an enumerated fact outside the allowed values, a date after
               the policy expires, a yearly cap used up by the history, an assessed award (ceiling),
               a benefit in kind (duration), a claim without a date decided as of the evaluation date
=============  ====================================================================================

After an intended change of a renderer (or of the rule files), rewrite them with::

    ORDINANCE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py

and review the diff.  Rule locations in the trace are relative to the current directory, so the
tests run from the repository root.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

import pytest

import ordinance
from ordinance.policy import bundled_policy_dir
from ordinance.render import FORMATS, RENDERERS, render
from ordinance.render import html as html_render
from ordinance.render import markdown as md_render
from ordinance.render import text as text_render
from ordinance.render.explain import render_explanation

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "render"
UPDATE = os.environ.get("ORDINANCE_UPDATE_GOLDEN") == "1"
AS_OF = _dt.date(2026, 1, 15)

CASES = {
    "rd-project": "examples/rd-project.yaml",
    "support": "examples/support.yaml",
    "hit-product": "examples/hit-product.yaml",
    "refusals": "tests/golden/render/refusals.yaml",
}


def _explain_all(decision: ordinance.Decision) -> str:
    return "\n".join(render_explanation(r) for r in decision.results)


#: golden suffix -> how to render a decision
RENDERINGS = {
    "txt": lambda d: text_render.render_decision(d),
    "md": lambda d: md_render.render_decision(d),
    "html": lambda d: html_render.render_decision(d),
    "explain.txt": _explain_all,
}


@pytest.fixture(scope="module")
def policy():
    """The bundled policy, loaded from the repository root so that rule locations are relative."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        loaded = ordinance.load_policy(bundled_policy_dir())
    assert loaded.digest == ordinance.default_policy().digest  # the same rules as default_policy()
    return loaded


@pytest.fixture(scope="module")
def decisions(policy):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return {name: policy.evaluate(ordinance.load_case(path, policy), as_of=AS_OF)
                for name, path in CASES.items()}


@pytest.mark.parametrize("suffix", list(RENDERINGS))
@pytest.mark.parametrize("name", list(CASES))
def test_golden(decisions, name, suffix):
    rendered = RENDERINGS[suffix](decisions[name])
    path = GOLDEN / f"{name}.{suffix}"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with ORDINANCE_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")


#: golden suffix -> how to render a decision in Chinese, its facts named by their labels
ZH_RENDERINGS = {
    "zh.txt": lambda d, labels: text_render.render_decision(d, lang="zh", labels=labels),
    "zh.md": lambda d, labels: md_render.render_decision(d, lang="zh", labels=labels),
    "zh.html": lambda d, labels: html_render.render_decision(d, lang="zh", labels=labels),
    "zh.explain.txt": lambda d, labels: "\n".join(render_explanation(r, lang="zh", labels=labels) for r in d.results),
}


@pytest.mark.parametrize("suffix", list(ZH_RENDERINGS))
@pytest.mark.parametrize("name", list(CASES))
def test_golden_in_chinese(policy, decisions, name, suffix):
    rendered = ZH_RENDERINGS[suffix](decisions[name], policy.fact_label)
    path = GOLDEN / f"{name}.{suffix}"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with ORDINANCE_UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")


def test_goldens_cover_every_status_and_benefit(decisions):
    results = [r for d in decisions.values() for r in d.results]
    assert {r.status for r in results} == {"eligible", "ineligible", "undetermined", "superseded"}
    assert {r.benefit for r in results} == {"money", "assessed", "in-kind", "support"}
    assert any(r.quota and r.quota["status"] == "pending" for r in results)
    reasons = {x["code"] for r in results for x in r.reasons}
    assert {"condition-failed", "outside-validity", "missing-facts", "superseded", "yearly-cap-exhausted"} <= reasons


def test_golden_files_are_deterministic_and_relative(decisions):
    for name in CASES:
        for suffix in RENDERINGS:
            text = (GOLDEN / f"{name}.{suffix}").read_text(encoding="utf-8")
            assert str(ROOT) not in text
            assert _dt.date.today().isoformat() not in text or _dt.date.today() == AS_OF
    again = RENDERINGS["html"](decisions["support"])
    assert again == RENDERINGS["html"](decisions["support"])


# -- the dispatch -----------------------------------------------------------------------------------

def test_renderers_include_markdown_and_html(decisions):
    assert {"text", "json", "markdown", "html"} <= set(FORMATS)
    d = decisions["support"]
    assert render(d, "markdown") == md_render.render_decision(d)
    assert render(d, "html") == html_render.render_decision(d)
    assert render(d, "text") == text_render.render_decision(d)
    for fmt, renderer in RENDERERS.items():
        assert renderer(d, colour=False)


# -- the terminal tree -------------------------------------------------------------------------------

def test_text_header_gives_the_date_of_evaluation(decisions):
    text = text_render.render_decision(decisions["support"])
    assert text.splitlines()[0].endswith(", as of 2026-01-15")
    lines = text_render.render_claim(decisions["support"].result("c4"), detail=False)
    assert lines[1].strip() == "INELIGIBLE  support without a computed amount"
    assert not any("├──" in line or "└──" in line for line in lines)


# -- Markdown ----------------------------------------------------------------------------------------

def test_markdown_header_summary_and_derivation(decisions):
    d = decisions["rd-project"]
    text = md_render.render_decision(d)
    assert text.startswith("# Decision on case `example-rd-project`\n")
    assert f"| Policy digest (sha256) | `{d.policy_digest}` |" in text
    assert "| Date of evaluation | 2026-01-15 |" in text
    assert "| claim | measure | status | amount | basis |" in text
    assert re.search(r"^\| \[c2\]\(#claim-c2-rd-provincial\) \| `rd-provincial` .* \| \*\*superseded\*\* \| "
                     r"0\.00 元 \| statutory maximum \(最高不超過\) \|$", text, re.M)
    assert "## Claim c2 rd-provincial" in text
    # a step with its citation (article and quote) and rule location, nested under the claim
    assert "- **cap** `per-project`" in text
    assert "  - rule: `xiamen-ai-2025/rules/01-source-innovation.yaml:" in text
    assert "  - cites 一\\(一\\)" not in text and "  - cites 一(一)「" in text


def test_markdown_without_as_of_leaves_the_date_out(policy):
    d = policy.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "date": "2025-06-01", "ai_startup": True,
         "zero_rent_incubator": True}]})
    assert "Date of evaluation" not in md_render.render_decision(d)


def test_markdown_escapes_case_data(policy):
    d = policy.evaluate({"applicant": {"kind": "enterprise", "name": "<img src=x> | *bold* `tick` [a](b)"},
                         "claims": [{"id": "c1", "measure": "incubator-rent-free", "date": "2025-06-01",
                                     "ai_startup": True, "zero_rent_incubator": True}]})
    text = md_render.render_decision(d)
    prose = re.sub(r"(`+).*?\1", "", text)  # code spans are literal in Markdown
    assert not re.search(r"(?<!\\)[<>]", prose)  # no raw HTML: every angle bracket is escaped
    assert '\\<img src=x\\> \\| \\*bold\\* \\`tick\\` \\[a\\](b)' in text
    assert md_render.md("1. not a list", start=True) == "1\\. not a list"
    assert md_render.md("0.00 元") == "0.00 元"
    assert md_render.code("a`b") == "``a`b``"


def test_markdown_and_html_without_a_trace(policy):
    d = policy.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "date": "2025-06-01", "ai_startup": False,
         "zero_rent_incubator": True}]}, trace=False)
    text = md_render.render_decision(d)
    assert "The decision was made without a trace" in text
    assert "condition not met" in text
    page = html_render.render_decision(d)
    assert "The decision was made without a trace" in page
    assert "the facts were not recorded" in page


# -- HTML --------------------------------------------------------------------------------------------

def test_html_document_frame(decisions):
    page = html_render.render_decision(decisions["refusals"])
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    zh = html_render.render_decision(decisions["refusals"], lang="zh")
    assert zh.startswith('<!DOCTYPE html>\n<html lang="zh-Hant">\n<head>\n<meta charset="utf-8">')


def test_html_in_english_marks_its_chinese_passages(decisions):
    """The page says its language, and an English report marks what is Chinese in it (the statute's
    quotes, the Chinese of the labels, a reason's Chinese), so a screen reader says each in its own."""
    import re

    page = html_render.render_decision(decisions["refusals"])
    quotes = re.findall(r"<blockquote class=\"cite\"[^>]*>", page)
    assert quotes and set(quotes) == {'<blockquote class="cite" lang="zh-Hant">'}
    assert '<span class="srcline" lang="en">(source line ' in page
    labels = re.findall(r'<span class="label">(.*?)</span> ', page)
    assert labels and all(x.startswith('<span lang="zh-Hant">') for x in labels if " / " in x)
    assert '<p class="title"><span lang="zh-Hant">' in page
    zh = html_render.render_decision(decisions["refusals"], lang="zh")
    assert 'lang="zh-Hant">' in zh and '<blockquote class="cite">' in zh
    assert page.rstrip().endswith("</html>")
    assert page.count("<style>") == 1 and "@media print" in page
    assert "details::details-content" in page and "break-inside: avoid" in page


def test_html_content(decisions):
    d = decisions["refusals"]
    page = html_render.render_decision(d)
    assert f"<code class=\"digest\">{d.policy_digest}</code>" in page
    assert "<tr><th>Date of evaluation</th><td>2026-01-15</td></tr>" in page
    assert "<tr><th>Total due</th><td class=\"money\">0.00 元</td></tr>" in page
    # the facts of the case, from the facts steps of the traces
    assert "<tr><td><code>applicant.annual_revenue</code></td><td>80,000,000.00 元 (8000萬)</td>" \
           "<td>all claims</td></tr>" in page
    assert '<td><code>claim.annual_sales</code></td><td>5,000,000.00 元 (500萬)</td>' in page
    # statuses in colour, amounts with the shared formatter
    assert '<span class="badge status-ineligible">ineligible</span>' in page
    assert "<tr><th>Ceiling</th><td>5,000,000.00 元 (500萬)</td></tr>" in page
    assert "<tr><th>Duration</th><td>3 years</td></tr>" in page
    # why not, with the value needed
    assert ("claim.annual_sales would have to be at least threshold = 10,000,000.00 元 (1000萬); "
            "it is 5,000,000.00 元 (500萬)") in page
    # citations: article, quote and source line; rule locations
    assert '<span class="article">二(五)</span>「' in page
    assert '<span class="srcline" lang="en">(source line ' in page
    assert "rule <code>xiamen-ai-2025/rules/05-hit-product.yaml:65:15</code>" in page


def test_html_opens_failed_conditions_and_closes_the_rest(decisions):
    page = html_render.render_decision(decisions["refusals"])
    failed = re.findall(r'<li class="node k-condition n-fail"><details( open)?>', page)
    assert failed and all(failed)
    passed = re.findall(r'<li class="node k-condition"><details( open)?>', page)
    assert passed and not any(passed)
    undetermined = html_render.render_decision(decisions["support"])
    assert '<li class="node k-condition n-open"><details open>' in undetermined


def test_html_says_when_no_date_of_evaluation_was_given(policy):
    d = policy.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "date": "2025-06-01", "ai_startup": True,
         "zero_rent_incubator": True}]})
    page = html_render.render_decision(d)
    assert "<tr><th>Date of evaluation</th><td>not given (each claim is decided as of its own date)</td></tr>" in page


def test_html_escapes_case_data(policy):
    hostile = '<script>alert("x")</script><a href="https://evil.example/">x</a>'
    d = policy.evaluate({"case": "c<1>", "applicant": {"kind": "enterprise", "name": hostile},
                         "claims": [{"id": "c1", "measure": "hit-product", "date": "2025-06-01",
                                     "project": '"><img src=x onerror=alert(1)>', "intelligent_product": True,
                                     "meets_assessment": True, "annual_sales": "2000萬"}]})
    page = html_render.render_decision(d)
    assert "<script" not in page and "<img" not in page and "<a href=\"https" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "c&lt;1&gt;" in page


# -- one language -------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: English a Chinese report may hold that is no chrome: the digest's name, the program's, and the
#: pattern of a rule location (file:line:column)
_ALLOWED = {"sha256", "ordinance", "file", "line", "column"}


def _said(value, lang="zh") -> str:
    say = getattr(value, "in_lang", None)
    return say(lang) if say is not None else str(value)


def _data_words(decision: ordinance.Decision, policy) -> set[str]:
    """The words of what a decision holds that is data, not chrome: ids, names, expressions, values,
    locations, the rule files' Chinese (their labels, reasons, readings and quotes)."""
    from ordinance.render.format import show

    texts = [decision.case, decision.policy_id, decision.policy_digest, decision.policy_digest[:12]]
    for r in decision.results:
        texts += [r.claim, r.measure, r.project or "", *r.missing, *(x["zh"] + " " + x["code"] for x in r.reasons)]
        texts += [str(v) for v in (r.quota or {}).values()]
        for node in (r.trace.walk() if r.trace is not None else ()):
            texts += [node.id, _said(node.expression or ""), str(node.location or ""), _said(node.result)]
            if node.label is not None:
                texts.append(node.label.zh)
            if node.citation is not None:
                texts += [node.citation.article, node.citation.text]
            for k, v in node.inputs.items():
                texts += [_said(k), show(v, node.types.get(k), "zh")]
            texts += [n for n in node.notes if not hasattr(n, "in_lang")]  # notes as data gave them
            texts += [v for n in node.notes for v in _echoed(n)]  # what the engine's notes echo (ids, amounts)
        texts += [v for n in r.notes for v in _echoed(n)]
    return {w for text in texts for w in _WORD.findall(text)}


def _echoed(text) -> list[str]:
    """The values a message echoes (its parameters that are not words themselves), at any depth."""
    out = []
    for value in getattr(text, "params", {}).values():
        if hasattr(value, "params"):
            out += _echoed(value)
        elif isinstance(value, (list, tuple)):
            out += [str(v) for v in value]
        elif not hasattr(value, "in_lang"):
            out.append(str(value))
    return out


def _visible(text: str, suffix: str) -> str:
    if suffix.endswith("html"):
        import html as _html

        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = _html.unescape(re.sub(r"<[^>]+>", " ", text))
    if suffix.endswith("md"):
        text = re.sub(r"\\(.)", r"\1", text)  # Markdown's escapes: claim.actual\_investment
    return text


def test_a_chinese_report_holds_no_english_words_of_its_own(policy):
    """Every example case and every golden case, in every rendering, in Chinese: each English word
    left is a word of the decision's data (an id, a name, an expression, a value, a location, the
    rule files' own Chinese text) or of the small allow-list -- none is the report's."""
    cases = sorted({*(ROOT / "examples").glob("*.yaml"), *(ROOT / p for p in CASES.values())})
    assert len(cases) >= 12
    checked = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        for path in cases:
            decision = policy.evaluate(ordinance.load_case(path, policy), as_of=AS_OF)
            allowed = _data_words(decision, policy) | _ALLOWED
            for suffix, rendering in ZH_RENDERINGS.items():
                text = _visible(rendering(decision, policy.fact_label), suffix)
                left = sorted({w for w in _WORD.findall(text) if w not in allowed})
                assert left == [], f"{path.name} ({suffix}): English words of the report itself: {left}"
                checked += 1
    assert checked == len(cases) * len(ZH_RENDERINGS)


def test_the_check_sees_the_chrome_of_an_english_report(policy, decisions):
    """The check above is not blind: the English report's own words are caught by it."""
    d = decisions["refusals"]
    allowed = _data_words(d, policy) | _ALLOWED
    left = {w for w in _WORD.findall(_visible(html_render.render_decision(d), "html")) if w not in allowed}
    assert {"Decision", "Derivation", "Reasons", "capped", "Facts", "rule"} <= left


def test_an_english_report_names_the_facts_still_needed_by_their_labels(policy, decisions):
    result = decisions["support"].result("c2")
    assert result.missing == ["claim.lawful_market_based"]
    label = policy.fact_label(result.measure, "claim.lawful_market_based")
    assert label is not None and label.en and label.zh
    text = "\n".join(text_render.claim_summary_lines(result, labels=policy.fact_label))
    assert f"  facts needed: {label.en} (claim.lawful_market_based)" in text
    assert "  facts needed: claim.lawful_market_based" in "\n".join(text_render.claim_summary_lines(result))
    zh = "\n".join(text_render.claim_summary_lines(result, lang="zh", labels=policy.fact_label))
    assert f"  尚缺事實：{label.zh}（claim.lawful_market_based）" in zh
    md = "\n".join(md_render.render_claim(result, labels=policy.fact_label))
    assert f"- {md_render.md(label.en)} (`claim.lawful_market_based`)" in md
    html = html_render.render_decision(decisions["support"], labels=policy.fact_label)
    assert f"<li>{html_render.esc(label.en)} (<code>claim.lawful_market_based</code>)</li>" in html
    assert policy.fact_label("compute-voucher", "claim.date").zh == "申請日期"
    assert policy.fact_label("compute-voucher", "claim.nothing") is None


def test_english_is_unchanged_by_the_language_machinery(decisions):
    """lang="en" is the default, and gives the golden English byte for byte (the goldens above)."""
    d = decisions["rd-project"]
    for render_it in (text_render.render_decision, md_render.render_decision, html_render.render_decision):
        assert render_it(d, lang="en") == render_it(d)
