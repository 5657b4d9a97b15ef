"""The workbench in Chinese speaks Chinese: every string of the page's own has a Chinese text, and
after deciding a case, trying an edit and comparing, no visible text of the page's chrome is English.

What is not the page's own is left out of the scan, marked where the page puts it: case and rule
data (ids, names, values, labels, quotes: ``data-from="data"``), the engine's messages
(``data-from="engine"``: problems, hints, reasons, notes — the engine translates those), code
(``<code>``) and the editor. What is left may hold ASCII only as an id or a name the policy defines
(a measure, a fact, a file, an enum value, a claim), a digest, a number, a format name (HTML, JSON,
YAML, YYYY-MM-DD), a key's name (Tab, Esc) or the program's name.
"""

from __future__ import annotations

import re

from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser, page)
    BROKEN_EDIT, POLICY_ID, RATE_EDIT, add_claim, base_url, browser, decide, edit_rule, field, fill_compute_voucher,
    open_view, page,
    switch_language)

#: ASCII words the Chinese page may show of its own: the program, formats, keys
OWN_WORDS = {"ordinance", "HTML", "JSON", "YAML", "YYYY-MM-DD", "Tab", "Esc"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-./@]*[A-Za-z0-9_]|[A-Za-z]")
HEX = re.compile(r"[0-9a-f]{8,}")

#: Visible text of the page's chrome: text nodes outside data, engine messages, code and the editor,
#: the chosen option of each select, and the aria-labels and placeholders of the page's own fields.
CHROME = """() => {
    const skip = '[data-from], code, pre, textarea, script, style, option, #editor';
    const foreign = (el) => { const l = el.closest('[lang]'); return l && l !== document.documentElement && !l.lang.startsWith('zh'); };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!n.textContent.trim() || !el || el.closest(skip) || foreign(el)) continue;
        if (!el.checkVisibility({checkVisibilityCSS: true})) continue;
        out.push(n.textContent.trim());
    }
    for (const s of document.querySelectorAll('select')) {
        if (s.checkVisibility() && s.selectedOptions[0]) out.push(s.selectedOptions[0].textContent);
    }
    for (const el of document.querySelectorAll('[aria-label], input[placeholder]:not(.code-input)')) {
        if (!el.closest('[hidden]') && !el.closest('[data-from]')) out.push(el.getAttribute('aria-label') || el.placeholder);
    }
    return out;
}"""


def policy_words(page) -> set[str]:
    """The ids and names the policies define, as the page may show them (and their parts)."""
    words: set[str] = set()
    for summary in page.request.get(page.base_url + "/v1/policies").json()["policies"]:
        p = page.request.get(f"{page.base_url}/v1/policies/{summary['id']}").json()
        words.add(p["id"])
        for m in p["measures"]:
            words.update([m["id"], m.get("exclusive") or "", m.get("file") or ""])
        for f in p["facts"]:
            words.add(f["name"])
            words.update(str(v) for v in f.get("values") or [])
        words.update(x["name"] for x in p["parameters"])
        for path in p["files"]:
            words.add(path)
            words.update(path.split("/"))
    return {w for w in words if w}


def english_words(texts: list[str], allowed: set[str]) -> list[str]:
    out = []
    for text in texts:
        for word in WORD.findall(text):
            if word in OWN_WORDS or word in allowed or HEX.fullmatch(word):
                continue
            out.append(f"{word!r} in {text[:80]!r}")
    return out


def scan(page, where: str, allowed: set[str], found: dict) -> None:
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    found[where] = english_words(page.evaluate(CHROME), allowed)


def test_every_string_of_the_page_has_chinese_and_it_is_chinese(page):
    open_view(page, "decide")
    strings = page.evaluate("async () => (await import('/static/i18n.js')).STRINGS_FOR_TESTS")
    assert set(strings["zh"]) == set(strings["en"])
    named = page.evaluate("""() => [...document.querySelectorAll('[data-i18n]')].map(e => e.dataset.i18n)
        .concat([...document.querySelectorAll('[data-i18n-placeholder]')].map(e => e.dataset.i18nPlaceholder))
        .concat([...document.querySelectorAll('[data-i18n-aria-label]')].map(e => e.dataset.i18nAriaLabel))""")
    assert [k for k in named if k not in strings["zh"]] == []
    # the language button names English in English; the case placeholder is a YAML example
    own = {k: v for k, v in strings["zh"].items() if k not in ("lang.switch", "audit.placeholder")}
    english = {k: words for k, v in own.items() if (words := english_words([re.sub(r"\{\w+\}", "", v)], set()))}
    assert english == {}, english
    # and English is English (no Chinese left in an English string but for amounts and examples)
    assert strings["en"]["lang.switch"] == "中文"


def test_facts_still_needed_are_named_by_their_labels(page):
    facts = {f["name"]: f["label"] for f in page.request.get(f"{page.base_url}/v1/policies/{POLICY_ID}").json()["facts"]}
    open_view(page, "decide")
    field(page, "applicant.kind").select_option("university")
    i = add_claim(page, "compute-voucher")
    field(page, f"claims[{i}].date").fill("2025-06-01")
    field(page, f"claims[{i}].compute_spend").fill("300萬")      # whether the service qualifies: unknown
    decide(page)
    item = page.locator(".claim-card[data-claim-card='c1'] .missing li[data-fact='claim.service_qualified']")
    assert item.locator(".fact-label").inner_text() == facts["claim.service_qualified"]["zh"]
    assert item.locator("code").inner_text() == "claim.service_qualified"
    switch_language(page)
    assert item.locator(".fact-label").inner_text() == facts["claim.service_qualified"]["en"]


def test_the_chinese_page_shows_no_english_of_its_own(page):
    allowed = policy_words(page) | {"c1", "c2", "c3", "h1", "sample", "p1"}
    found: dict[str, list[str]] = {}
    open_view(page, "decide")
    scan(page, "Decide, empty", allowed, found)
    page.click("#fill-example")
    i = add_claim(page, "compute-voucher")
    field(page, f"claims[{i}].date").fill("2025-02-30")              # the engine refuses it: the banner
    page.click("#decide-submit")
    page.wait_for_selector("#form-errors:not([hidden])")
    scan(page, "Decide, a refused case", allowed, found)
    field(page, f"claims[{i}].date").fill("2025-06-01")               # and now a claim still open
    decide(page)
    page.evaluate("document.querySelectorAll('#decision-out details').forEach(d => { d.open = true; })")
    scan(page, "Decide, the decision", allowed, found)

    page.click("#tab-draft")
    page.select_option("#draft-measure", "compute-voucher")
    edit_rule(page, BROKEN_EDIT, "problems")
    page.click("#try-run")
    page.wait_for_selector("#try-out .alert")
    scan(page, "Draft, a problem", allowed, found)
    edit_rule(page, RATE_EDIT)
    page.click("#try-run")
    page.wait_for_selector("#try-out .tests-summary.fail")
    page.evaluate("document.querySelectorAll('#try-out details').forEach(d => { d.open = true; })")
    scan(page, "Draft, tried", allowed, found)

    page.click("#tab-audit")
    page.click("#compare-run")
    page.wait_for_selector("#compare-out table.changes")
    page.click("#audit-from-form")
    page.wait_for_selector("#audit-out .decision")
    page.evaluate("document.querySelectorAll('#compare-out details, #audit-out details').forEach(d => { d.open = true; })")
    scan(page, "Audit, compared", allowed, found)
    assert len(found) == 6
    english = {where: words for where, words in found.items() if words}
    assert english == {}, english


#: the engine's words the page shows, under root: reasons, notes, problems (data-from="engine")
ENGINE_WORDS = """(root) => [...document.querySelectorAll(root + ' [data-from="engine"]')]
    .map(e => e.textContent.trim()).filter(Boolean)"""


def test_the_engines_notes_and_the_inputs_on_the_chinese_page_are_chinese(page):
    """The notes of every step and claim come from the decision's notes_zh on the Chinese page, and a
    step's inputs are named by the facts' labels; in English, the English notes and labels."""
    facts = {f["name"]: f["label"] for f in page.request.get(f"{page.base_url}/v1/policies/{POLICY_ID}").json()["facts"]}
    allowed = policy_words(page) | {"c1", "c2", "year-before-claim"}
    open_view(page, "decide")
    fill_compute_voucher(page)
    decide(page)
    page.evaluate("document.querySelectorAll('#decision-out details').forEach(d => { d.open = true; })")
    notes = page.locator("#decision-out ul.notes li")
    assert notes.count() >= 10
    words = page.evaluate(ENGINE_WORDS, "#decision-out")
    assert len(words) >= 10 and english_words(words, allowed) == []
    assert "第一個符合的列：適用其值" in notes.all_inner_texts()
    amount = page.locator("#decision-out table.inputs tr", has=page.locator("code", has_text="claim.compute_spend")).first
    assert amount.locator(".fact-label").inner_text() == facts["claim.compute_spend"]["zh"]
    cap = page.locator("#decision-out table.inputs th").filter(has_text="餘額")   # a cap's "remaining"
    assert cap.count() >= 1 and cap.first.locator(".input-name").count() == 1
    switch_language(page)
    page.evaluate("document.querySelectorAll('#decision-out details').forEach(d => { d.open = true; })")
    assert "first matching row: its values apply" in notes.all_inner_texts()
    assert amount.locator(".fact-label").inner_text() == facts["claim.compute_spend"]["en"]
    assert page.locator("#decision-out table.inputs th").filter(has_text="餘額").count() == 0


def _report(page, tmp_path, name: str) -> str:
    with page.expect_download() as info:
        page.click("#download-report")
    path = tmp_path / name
    info.value.save_as(path)
    return path.read_text(encoding="utf-8")


def test_the_report_is_in_the_pages_language_and_so_are_the_engines_problems(page, tmp_path):
    allowed = policy_words(page) | {"c1", "c2", "claim.date", "year-before-claim"}
    codes = {"wrong-type", "unknown-name"}  # a problem's code is shown beside its message
    open_view(page, "decide")
    page.click("#fill-example")
    decide(page)
    zh = _report(page, tmp_path, "zh.html")
    assert ">符合<" in zh and ">eligible<" not in zh
    # a date that is no date: the engine's problem, in Chinese, at its field and in the banner
    field(page, "claims[0].date").fill("2025-02-30")
    page.click("#decide-submit")
    page.wait_for_selector("#form-errors:not([hidden])")
    problems = page.evaluate(ENGINE_WORDS, "#view-decide")
    assert problems and english_words(problems, allowed | codes) == [], english_words(problems, allowed | codes)
    # a broken rule in Draft: the problem and its hint, in Chinese
    page.click("#tab-draft")
    page.select_option("#draft-measure", "compute-voucher")
    edit_rule(page, BROKEN_EDIT, "problems")
    words = page.evaluate(ENGINE_WORDS, "#view-draft")
    assert any("claim.compute_spnd" in w for w in words)
    assert english_words(words, allowed | codes | {"claim.compute_spnd"}) == [], english_words(words, allowed | codes)
    # and in English, the report is English
    page.click("#tab-decide")
    switch_language(page)
    field(page, "claims[0].date").fill("2025-06-01")
    decide(page)
    en = _report(page, tmp_path, "en.html")
    assert ">eligible<" in en and ">符合<" not in en
