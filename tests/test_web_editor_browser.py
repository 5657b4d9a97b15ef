"""The Draft view's rule editor (CodeMirror 6, ordinance/web/static/rule-editor.js) in a real browser.

The server, the browser and the recording page are tests/web_browser_harness.py's: a test fails if
the page asked another host for anything, logged an error or threw. Here every page also
listens for ``securitypolicyviolation`` events from its first script on, and a test fails on any:
the editor must work under the page's Content-Security-Policy as the server sends it. Skipped only
when /usr/bin/chromium is absent (the browser fixture says so).

Typing goes through ``page.keyboard``, as a drafter types; the text, caret and marks are read from
the editor (tests/rule_editor_driver.py), since CodeMirror draws only the lines in view.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from ordinance.web.common import CSP
from rule_editor_driver import editor_caret_at, editor_line, editor_line_of, editor_selection, editor_text
from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser, page)
    RULE_FILE, RULE_TEXT, TIMEOUT, base_url, browser, decide, fill_compute_voucher, line_of, new_page, open_view, page)

POLICY = "xiamen-ai-2025"
AMOUNT = "amount: claim.compute_spend * tier.rate"
WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => "
         "window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`));")


def watched(page) -> None:
    """Record the page's CSP violations in window.__csp, from before its first script."""
    page.add_init_script(WATCH)


def no_violation(page) -> None:
    assert page.evaluate("window.__csp") == [], page.evaluate("window.__csp")


@pytest.fixture
def draft(page):
    """The Draft view on the compute voucher's rule file, as loaded; afterwards, no CSP violation."""
    watched(page)
    open_view(page, "draft")
    page.select_option("#draft-measure", "compute-voucher")
    page.wait_for_selector("#check-status.ok")
    assert page.locator("#draft-file").input_value() == RULE_FILE
    assert editor_text(page) == RULE_TEXT
    yield page
    no_violation(page)


def strings(page) -> dict:
    return page.evaluate("async () => (await import('/static/i18n.js')).STRINGS_FOR_TESTS")


def completions(page, settled=lambda items: True) -> list[tuple[str, str]]:
    """(label, detail) of the completion list's items, once it is open and ``settled(items)`` (the list
    follows the typing a moment later), or as it is after the tests' timeout."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while True:
        items = page.evaluate("""() => [...document.querySelectorAll('.cm-tooltip-autocomplete li')].map((li) =>
            [li.querySelector('.cm-completionLabel').textContent,
             (li.querySelector('.cm-completionDetail') || {textContent: ''}).textContent])""")
        items = [tuple(i) for i in items]
        if (items and settled(items)) or time.monotonic() > deadline:
            return items
        page.wait_for_timeout(50)


def accept(page) -> None:
    """Enter on the completion list, as a drafter would: CodeMirror ignores keys on a list open for less
    than its interactionDelay (75 ms), so that a list appearing under a key already on its way down
    does not take it."""
    page.wait_for_timeout(150)
    page.keyboard.press("Enter")


def labels(items) -> list[str]:
    return sorted(label for label, _ in items)


def line_element(page, text: str):
    """The rendered line of the editor whose text is ``text`` (stripped), scrolled into view."""
    editor_caret_at(page, text)
    line = page.locator("#editor .cm-line").filter(has_text=text)
    assert line.count() >= 1, text
    return line.first


# -- the component, its styles and the page's policy ------------------------------------------------

def test_the_editor_is_codemirror_styled_under_the_page_s_unchanged_csp(draft):
    page = draft
    editor = page.locator("#editor .cm-editor")
    assert editor.count() == 1 and page.locator("#editor textarea").count() == 0
    content = page.locator("#editor .cm-content")
    assert content.get_attribute("contenteditable") == "true" and content.get_attribute("role") == "textbox"
    zh = strings(page)["zh"]
    assert content.get_attribute("aria-label") == zh["draft.editorLabel"]
    # the hint the editor is described by says how to leave it
    hint = content.get_attribute("aria-describedby")
    assert page.locator(f"#{hint}").inner_text() == zh["draft.editorKeys"]

    # CodeMirror's styles and the theme apply: in a constructable stylesheet, never a <style> element
    styles = page.evaluate("""() => {
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {editor: css('#editor .cm-editor', 'display'), gutters: css('#editor .cm-gutters', 'backgroundColor'),
                font: css('#editor .cm-scroller', 'fontFamily'), styleElements: document.querySelectorAll('style').length,
                adopted: document.adoptedStyleSheets.length};
    }""")
    assert styles["editor"] == "flex" and styles["gutters"] == "rgb(243, 245, 247)", styles
    assert "Mono" in styles["font"] and styles["styleElements"] == 0 and styles["adopted"] >= 1, styles
    box = editor.bounding_box()
    assert box["width"] > 600 and box["height"] > 400, box

    # the bundle came from the server, and the page's policy is the one the server has always sent
    assert any(u.endswith("/static/vendor/codemirror.js") for u in page.rec.requests)
    assert page.request.get(page.base_url + "/").headers["content-security-policy"] == CSP
    assert "style-src 'self';" in CSP and "unsafe" not in CSP


def test_the_page_s_policy_refuses_an_inline_style_and_the_watch_sees_it(browser, base_url):
    """What makes the test above able to fail: a <style> element (what CodeMirror would add without the
    bundle's constructable stylesheet) is refused by the page's policy, and the watch records it."""
    context = browser.new_context()
    page = new_page(context, base_url)
    rec = page.rec
    watched(page)
    page.goto(f"{base_url}/#draft")
    page.wait_for_selector("body[data-ready='1'] #editor .cm-editor")
    page.evaluate("document.head.appendChild(Object.assign(document.createElement('style'), {textContent: 'body {}'}))")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__csp")[0].startswith("style-src")
    assert any("Content Security Policy" in e for e in rec.errors), rec.errors
    context.close()


# -- highlighting ----------------------------------------------------------------------------------

def test_expression_tokens_are_highlighted_inside_the_values_that_hold_expressions(draft):
    page = draft
    row = line_element(page, "- when: applicant.annual_revenue >= 10億")
    assert row.locator(".tok-key").inner_text() == "when"
    assert row.locator(".tok-fact").inner_text() == "applicant"
    assert row.locator(".tok-member").inner_text() == "annual_revenue"
    expect(row.locator(".tok-operator")).to_have_text([".", ">="])
    assert row.locator(".tok-money").inner_text() == "10億"
    # the label below it says 10億 too, but a label is text, not an expression
    label = line_element(page, "zh: 年度營業收入10億元(含)以上")
    assert label.locator(".tok-key").inner_text() == "zh"
    assert label.locator("[class*='tok-']:not(.tok-key):not(.tok-punctuation)").count() == 0

    kinds = line_element(page, 'when: applicant.kind in ["university", "research-institute"]')
    assert kinds.locator(".tok-keyword").inner_text() == "in"
    expect(kinds.locator(".tok-string")).to_have_text(['"university"', '"research-institute"'])
    cells = line_element(page, "set: {rate: 40%, cap: 500萬}")
    assert cells.locator(".tok-rate").inner_text() == "40%" and cells.locator(".tok-money").inner_text() == "500萬"
    expect(cells.locator(".tok-key")).to_have_text(["set", "rate", "cap"])
    amount = line_element(page, AMOUNT)
    assert amount.locator(".tok-table").inner_text() == "tier"

    # what a drafter types is highlighted as it is typed
    editor_caret_at(page, "when: claim.service_qualified", len("when: claim.service_qualified"))
    page.keyboard.type(" and claim.date <= 2027-12-31 and not (3年 > 30 days)")
    typed = page.locator("#editor .cm-activeLine")
    # (the parser catches up with the typing in slices of time: until then, the marks of before)
    expect(typed.locator(".tok-keyword")).to_have_text(["and", "and", "not"])
    expect(typed.locator(".tok-date")).to_have_text(["2027-12-31"])
    expect(typed.locator(".tok-duration")).to_have_text(["3年", "30 days"])
    colour = typed.locator(".tok-keyword").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(102, 57, 186)"          # the theme's, not the text's
    assert typed.locator(".tok-date").evaluate("e => getComputedStyle(e).color") != \
        typed.locator(".tok-member").first.evaluate("e => getComputedStyle(e).color")


# -- completion ------------------------------------------------------------------------------------

def test_completion_offers_the_policy_s_names_with_their_labels(draft):
    page = draft
    policy = page.request.get(f"{page.base_url}/v1/policies/{POLICY}").json()
    facts = {f["name"]: f for f in policy["facts"]}
    revenue = facts["applicant.annual_revenue"]["label"]
    other = next(name for name, f in facts.items() if f["scope"] == "claim" and "compute-voucher" not in f["measures"])

    editor_caret_at(page, AMOUNT, len(AMOUNT))
    page.keyboard.type(" + applicant.")
    offered = completions(page, lambda items: "annual_revenue" in labels(items))
    assert ("annual_revenue", revenue["zh"]) in offered
    assert ("name", "申請主體名稱") in offered                        # a built-in fact
    page.keyboard.type("ann")
    assert labels(completions(page, lambda items: len(items) == 1)) == ["annual_revenue"]
    accept(page)
    assert editor_line(page).endswith(f"{AMOUNT} + applicant.annual_revenue")

    # a claim fact: this measure's, not another's
    page.keyboard.type(" + claim.")
    offered = dict(completions(page, lambda items: "compute_spend" in labels(items)))
    assert offered.get("compute_spend") == facts["claim.compute_spend"]["label"]["zh"], (offered, editor_line(page))
    assert other.split(".", 1)[1] not in offered
    page.keyboard.press("Escape")
    # a table's columns, read from the file as it is
    page.keyboard.type("date + tier.")
    assert labels(completions(page, lambda items: "cap" in labels(items))) == ["cap", "rate"]
    page.keyboard.press("Escape")

    # in English, the English labels
    page.click("#lang-toggle")
    editor_caret_at(page, AMOUNT, len(AMOUNT))
    page.keyboard.type(" + applicant.")
    assert ("annual_revenue", revenue["en"]) in completions(page, lambda items: "annual_revenue" in labels(items))
    page.keyboard.press("Escape")


def test_completion_of_names_and_of_an_enum_fact_s_values(draft):
    page = draft
    editor_caret_at(page, AMOUNT, len(AMOUNT))
    page.keyboard.type(" * ti")
    offered = completions(page, lambda items: "tier" in labels(items))
    assert ("tier", "分檔") in offered                               # the table and its label
    assert offered[0][0] == "tier"                                 # first: Enter picks it
    accept(page)                                                   # tier. and on to its columns
    assert labels(completions(page, lambda items: "cap" in labels(items))) == ["cap", "rate"]
    assert editor_line(page).endswith(f"{AMOUNT} * tier.")
    page.keyboard.press("Escape")
    page.keyboard.type("rate * ma")
    assert "max" in labels(completions(page, lambda items: "max" in labels(items)))       # a function
    page.keyboard.press("Escape")

    needle = '"research-institute"]'
    editor_caret_at(page, needle, len(needle) - 1)
    page.keyboard.type(', "')
    values = page.request.get(f"{page.base_url}/v1/policies/{POLICY}").json()["facts"]
    kinds = next(f for f in values if f["name"] == "applicant.kind")["values"]
    assert labels(completions(page, lambda items: len(items) == len(kinds))) == sorted(kinds)
    page.keyboard.type("ent")
    accept(page)
    assert editor_line(page).endswith('["university", "research-institute", "enterprise"]')


def test_names_are_offered_in_expression_values_only(draft):
    """The completion source asks the YAML whether the caret is in an expression: in the values of
    when, amount, limit, a row's set, ... yes; in a label, a quote, an id, a key, no. The same from
    the editor's tree and from the YAML parsed afresh (what it does when the editor's parser is
    behind: here, a state without the editor's language)."""
    page = draft
    inside = page.evaluate("""async (needles) => {
        const { EditorState, EditorView } = await import('/static/vendor/codemirror.js');
        const { inExpression } = await import('/static/rule-completion.js');
        const view = EditorView.findFromDOM(document.querySelector('#editor .cm-editor'));
        const text = view.state.doc.toString();
        const bare = EditorState.create({ doc: text });
        return [view.state, bare].map((state) =>
            needles.map(([needle, offset]) => inExpression(state, text.indexOf(needle) + offset)));
    }""", [["amount: claim.compute_spend", 12], [AMOUNT, len(AMOUNT)], ["limit: tier.cap", 10],
           ["{rate: 40%", 8], ["when: applicant.kind in", 10],
           ["zh: 購買符合條件的智能算力服務", 6], ["quote: 對購買", 9], ["id: qualified-service", 6], ["amount: claim", 3]])
    assert inside == [[True] * 5 + [False] * 4] * 2


# -- problems --------------------------------------------------------------------------------------

def test_a_mistake_is_underlined_as_it_is_typed_and_goes_when_fixed(draft):
    page = draft
    line = line_of(RULE_TEXT, AMOUNT)
    editor_caret_at(page, AMOUNT, len(AMOUNT))
    for _ in "rate":
        page.keyboard.press("Backspace")
    page.keyboard.type("rat")
    page.wait_for_selector("#check-status.problems")
    mark = page.locator("#editor .cm-lintRange-error")
    mark.wait_for()
    assert editor_line_of(page, ".cm-lintRange-error") == [line]
    problem = page.locator("#problems li.problem").first
    assert problem.get_attribute("data-line") == str(line)
    # the span the engine gives, from its column: the name it does not know
    column = int(problem.get_attribute("data-column"))
    assert mark.inner_text() == "tier.rat" and editor_line(page)[column - 1:].startswith("tier.rat")
    assert editor_line_of(page, ".cm-lint-marker-error") == [line]         # and a mark beside the line
    # its message and hint, on hovering the underline
    mark.hover()
    tooltip = page.locator(".cm-tooltip-lint")
    tooltip.wait_for()
    assert problem.locator(".msg").inner_text() in tooltip.inner_text()
    assert problem.locator(".hint").inner_text() in tooltip.inner_text()         # did you mean `tier.rate`?

    editor_caret_at(page, "tier.rat\n", len("tier.rat"))
    page.keyboard.type("e")
    page.wait_for_selector("#check-status.ok")
    assert page.locator("#editor .cm-lintRange-error").count() == 0
    assert editor_text(page) == RULE_TEXT


def test_bracket_matching_marks_the_pair_or_the_bracket_left_open(draft):
    page = draft
    needle = 'applicant.kind in ["university"'
    editor_caret_at(page, needle, needle.index("["))
    expect(page.locator("#editor .cm-matchingBracket")).to_have_text(["[", "]"])
    assert editor_line_of(page, ".cm-matchingBracket") == [line_of(RULE_TEXT, needle)] * 2

    editor_caret_at(page, AMOUNT, len(AMOUNT))
    page.keyboard.type(" * (")
    expect(page.locator("#editor .cm-nonmatchingBracket")).to_have_text(["("])
    page.keyboard.type("1 + 10%)")
    expect(page.locator("#editor .cm-matchingBracket")).to_have_text(["(", ")"])
    expect(page.locator("#editor .cm-nonmatchingBracket")).to_have_count(0)


# -- going to a place, keys ------------------------------------------------------------------------

def test_a_location_in_a_derivation_opens_the_rule_with_the_caret_on_it(page):
    watched(page)
    open_view(page, "decide")
    fill_compute_voucher(page)
    decide(page)
    step = page.locator(".claim-card[data-claim-card='c1'] details.step[data-kind='amount']")
    step.locator(":scope > summary").click()
    link = step.locator(":scope > .step-body .loc-link")
    file, line, column = link.inner_text().rsplit(":", 2)
    assert file.endswith(RULE_FILE)
    link.click()
    assert page.locator("#view-draft").is_visible() and page.locator("#draft-file").input_value() == RULE_FILE
    caret, _ = editor_selection(page)
    assert caret == sum(len(x) + 1 for x in RULE_TEXT.split("\n")[:int(line) - 1]) + int(column) - 1
    assert RULE_TEXT[caret:].startswith("claim.compute_spend * tier.rate")
    # the editor has the focus, and the line is in view, marked as the caret's
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    active = page.locator("#editor .cm-activeLine")
    assert active.inner_text().strip() == AMOUNT and active.is_visible()
    no_violation(page)


def test_tab_indents_with_spaces_esc_then_tab_leaves_and_search_and_undo_work(draft):
    page = draft
    indent = RULE_TEXT.split(AMOUNT)[0].rsplit("\n", 1)[1]
    editor_caret_at(page, AMOUNT)
    page.keyboard.press("Tab")
    assert editor_line(page) == f"{indent}  {AMOUNT}"
    page.keyboard.press("Shift+Tab")
    assert editor_line(page) == f"{indent}{AMOUNT}"
    assert "\t" not in editor_text(page)
    in_editor = "document.querySelector('#editor .cm-editor').contains(document.activeElement)"
    assert page.evaluate(in_editor)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate(in_editor)                            # Esc then Tab left the editor
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(in_editor)                                # and Shift+Tab comes back
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")
    assert not page.evaluate(in_editor)                            # Esc then Shift+Tab: out, backwards
    page.keyboard.press("Tab")
    assert page.evaluate(in_editor)                                # and Tab comes back
    assert editor_text(page) == RULE_TEXT                          # none of these keys typed anything

    # undo and redo
    page.keyboard.type("x")
    assert editor_text(page) != RULE_TEXT
    page.keyboard.press("Control+z")
    assert editor_text(page) == RULE_TEXT
    page.keyboard.press("Control+y")
    assert editor_text(page) != RULE_TEXT
    page.keyboard.press("Control+z")

    # search, its panel in the page's language
    page.keyboard.press("Control+f")
    field = page.locator("#editor .cm-search input[name='search']")
    field.wait_for()
    phrases = page.evaluate("async () => (await import('/static/rule-editor-phrases.js')).PHRASES_ZH")
    assert field.get_attribute("placeholder") == phrases["Find"]
    page.keyboard.type("tier.cap")
    page.keyboard.press("Enter")
    start, end = editor_selection(page)
    assert editor_text(page)[start:end] == "tier.cap"
    assert start == RULE_TEXT.index("tier.cap")
