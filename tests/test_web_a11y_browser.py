"""The workbench against WCAG 2.1 AA: axe-core on every view, the tabs and the editor by keyboard,
and each task done with the keyboard alone.

axe-core (tests/vendor/axe-core) runs on every view with content in it — a decision with its
derivation opened, a rule with a problem, the try panel's results, a decision read in the Audit view
and a comparison — in Chinese and in English, at a desktop width and a phone's; it must find nothing.

The keyboard tests press keys only (Tab, arrows, Enter, Escape, typing); they look at the page, and
at which element has the focus, but never click.
"""

from __future__ import annotations

import pytest

from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser)
    EDITOR, RATE_EDIT, RULE_FILE, RULE_TEXT, axe_counts, axe_violations, base_url, browser, editor_text, line_of,
    open_view, opened, switch_language, walk_every_view)
from rule_editor_driver import editor_selection


@pytest.mark.parametrize("width", [1280, 390])
def test_axe_core_finds_no_violation_in_any_view(browser, base_url, width):
    found: dict[str, list] = {}
    with opened(browser, base_url, width=width, height=900) as page:
        walk_every_view(page, lambda where: found.__setitem__(where, axe_violations(page)))
    assert len(found) == 10
    bad = {where: v for where, v in found.items() if v}
    assert bad == {}, "\n".join(f"{where}: {axe_counts(v)}\n  " + "\n  ".join(
        f"{x['impact']} {x['id']}: {x['help']}: {x['nodes']}" for x in v) for where, v in bad.items())


def test_axe_core_reports_what_it_should(browser, base_url):
    """The check itself can fail: a page with a tree role holding no tree items, and grey text on grey,
    gives axe-core's critical and serious violations."""
    with opened(browser, base_url) as page:
        open_view(page, "decide")
        page.evaluate("""() => {
            const tree = document.createElement('div');
            tree.setAttribute('role', 'tree');
            tree.appendChild(document.createElement('p')).textContent = 'a step';
            const grey = document.createElement('p');
            grey.className = 'hint';
            grey.textContent = 'faint';
            grey.setAttribute('data-probe', '');
            document.querySelector('#view-decide').append(tree, grey);
            for (const s of document.styleSheets) s.insertRule('[data-probe] { color: #c0c0c0 !important; }', 0);
        }""")
        counts = axe_counts(axe_violations(page))
    assert counts.get("critical", 0) >= 1 and counts.get("serious", 0) >= 1, counts


# -- the keyboard ------------------------------------------------------------------------------------

def focused(page) -> str:
    """The element that has the focus: its id, else its tag and classes."""
    return page.evaluate("""() => { const e = document.activeElement;
        return e ? (e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')) : ''; }""")


def tab_to(page, selector: str, *, most: int = 120, back: bool = False) -> None:
    """Press Tab (Shift+Tab with ``back``) until the focus is on ``selector``."""
    seen = []
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        seen.append(focused(page))
    raise AssertionError(f"Tab never reached {selector}; it went through {seen[:40]} ...")


def in_editor(page) -> bool:
    """Has the editor (its text, or a panel of its own) the focus?"""
    return page.evaluate("document.querySelector('#editor').contains(document.activeElement)")


def select_in_editor(page, line: int, word: str) -> None:
    """In the focused editor, select ``word`` on ``line`` with the arrow keys (from the start of the
    text, down at column 0: Home would stop at the end of the line's indentation)."""
    text = editor_text(page).split("\n")[line - 1]
    page.keyboard.press("Control+Home")
    for _ in range(line - 1):
        page.keyboard.press("ArrowDown")
    for _ in range(text.index(word)):
        page.keyboard.press("ArrowRight")
    for _ in range(len(word)):
        page.keyboard.press("Shift+ArrowRight")


def test_the_tabs_follow_the_wai_aria_tabs_pattern(browser, base_url):
    with opened(browser, base_url) as page:
        open_view(page, "decide")
        tabs = page.locator("[role=tablist] [role=tab]")
        assert tabs.count() == 3
        for name in ("decide", "draft", "audit"):
            tab = page.locator(f"#tab-{name}")
            assert tab.get_attribute("aria-controls") == f"view-{name}"
            assert page.locator(f"#view-{name}").get_attribute("role") == "tabpanel"
        # one tab stop: the selected tab
        assert [tabs.nth(i).get_attribute("tabindex") for i in range(3)] == ["0", "-1", "-1"]
        assert [tabs.nth(i).get_attribute("aria-selected") for i in range(3)] == ["true", "false", "false"]
        tab_to(page, "#tab-decide")
        page.keyboard.press("ArrowRight")
        assert focused(page) == "#tab-draft" and page.locator("#view-draft").is_visible()
        assert page.locator("#tab-draft").get_attribute("aria-selected") == "true"
        assert [tabs.nth(i).get_attribute("tabindex") for i in range(3)] == ["-1", "0", "-1"]
        page.keyboard.press("ArrowRight")
        assert focused(page) == "#tab-audit" and page.locator("#view-audit").is_visible()
        page.keyboard.press("ArrowRight")                       # wraps round
        assert focused(page) == "#tab-decide" and page.locator("#view-decide").is_visible()
        page.keyboard.press("ArrowLeft")                        # and back
        assert focused(page) == "#tab-audit"
        page.keyboard.press("Home")
        assert focused(page) == "#tab-decide" and page.locator("#view-decide").is_visible()
        page.keyboard.press("End")
        assert focused(page) == "#tab-audit" and page.evaluate("location.hash") == "#audit"
        # Tab leaves the tab list (no stop on the other tabs)
        page.keyboard.press("Tab")
        assert not focused(page).startswith("#tab-")


def test_the_editor_says_how_to_leave_it_and_escape_then_tab_does(browser, base_url):
    with opened(browser, base_url) as page:
        open_view(page, "draft")
        page.wait_for_selector("#check-status.ok")
        editor = page.locator(EDITOR)
        hint = page.locator(f"#{editor.get_attribute('aria-describedby')}")
        assert hint.is_visible() and "Esc" in hint.inner_text() and "Tab" in hint.inner_text()
        assert editor.get_attribute("aria-label") == "規則文件" and editor.get_attribute("role") == "textbox"
        tab_to(page, EDITOR)
        page.keyboard.press("Control+Home")
        page.keyboard.press("Tab")                       # inserts two spaces, keeps the focus
        assert in_editor(page)
        assert editor_text(page).startswith("  ")
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert not in_editor(page)
        assert page.evaluate("document.activeElement.closest('#view-draft') !== null")
        switch_language(page)
        assert hint.inner_text() == "Tab inserts spaces; press Esc then Tab to leave the editor."
        assert editor.get_attribute("aria-label") == "Rule file"


def test_each_task_with_the_keyboard_alone(browser, base_url):
    """Decide the example case, edit a rule and see its problem, and compare before and after — with
    key presses only."""
    with opened(browser, base_url) as page:
        open_view(page, "decide")
        # -- decide: fill in the example, decide, open a step of the derivation
        tab_to(page, "#fill-example")
        page.keyboard.press("Enter")
        assert page.locator("#claims-box .claim-form").count() == 2
        tab_to(page, "#decide-submit", back=True)
        page.keyboard.press("Enter")
        page.wait_for_selector("#decision-out .decision")
        assert page.locator("#decision-out tr[data-claim='c1'] .badge").inner_text() == "符合"
        amount = page.locator(".claim-card[data-claim-card='c1'] details.step[data-kind='amount']")
        assert not amount.evaluate("d => d.open")
        tab_to(page, ".claim-card[data-claim-card='c1'] details.step[data-kind='amount'] > summary")
        page.keyboard.press("Enter")
        assert amount.evaluate("d => d.open")
        # its citation in the source panel: the cites button
        tab_to(page, ".claim-card[data-claim-card='c1'] details.step[data-kind='amount'] > .step-body .cite-link")
        page.keyboard.press("Enter")
        assert "三(八)" in page.locator("#decision-out .source-panel .cite-head").inner_text()

        # -- draft: to the Draft tab by the arrow key, the compute voucher's file, an edit by keys
        tab_to(page, "#tab-decide", back=True)
        page.keyboard.press("ArrowRight")
        assert page.locator("#view-draft").is_visible()
        tab_to(page, "#draft-measure")
        # the select is keyed: type the start of the option
        options = page.locator("#draft-measure option").all_inner_texts()
        target = next(o for o in options if o.endswith("· compute-voucher"))
        while page.locator("#draft-measure option:checked").inner_text() != target:
            page.keyboard.press("ArrowDown")
        page.wait_for_function("() => document.querySelector('#draft-file').value === 'rules/08-compute-voucher.yaml'")
        page.wait_for_selector("#check-status.ok")
        tab_to(page, EDITOR)
        line = line_of(RULE_TEXT, "set: {rate: 40%, cap: 500萬}")
        select_in_editor(page, line, "40%")
        page.keyboard.type("4O%")                          # a letter O for a zero: a problem
        page.wait_for_selector("#check-status.problems")
        assert page.locator("#problems li.problem").first.get_attribute("data-line") == str(line)
        page.keyboard.press("Escape")
        tab_to(page, "#problems li.problem")
        page.keyboard.press("Enter")                       # the caret goes to the problem
        assert in_editor(page)
        caret, _ = editor_selection(page)
        assert editor_text(page)[:caret].count("\n") + 1 == line
        select_in_editor(page, line, "4O%")
        page.keyboard.type("35%")
        page.wait_for_selector("#check-status.ok")
        assert editor_text(page) == RATE_EDIT

        # -- compare: the link to the Audit view, then Compare
        page.keyboard.press("Escape")
        tab_to(page, "#to-compare")
        page.keyboard.press("Enter")
        assert page.locator("#view-audit").is_visible()
        tab_to(page, "#compare-run")
        page.keyboard.press("Enter")
        page.wait_for_selector("#compare-out .compare-head")
        assert page.locator("#compare-out .compare-head.differs").count() == 1
        assert RULE_FILE in page.locator("#compare-edits").inner_text()
