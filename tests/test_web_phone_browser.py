"""The workbench on a phone: no view scrolls sideways at 360, 390 or 414 px, in either language.

Case officers check a decision on a phone.  Each test walks every view with content in it — a
decision with its derivation opened, a rule with a problem and the try panel's failed tests, a
decision read in the Audit view and a comparison with its derivations opened — and measures, in
Chinese and in English, that the page is no wider than the window, and that nothing is cut off
inside a box that hides its overflow (long ids, amounts, tables and trees wrap, or scroll in their
own box: the editor and the source text do).
"""

from __future__ import annotations

import pytest

from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser)
    BROKEN_EDIT, PHONES, RATE_EDIT, base_url, browser, decide, edit_rule, opened, open_view, switch_language)

#: The page's width, the window's, and the boxes that hide part of what they hold. Form controls
#: scroll their own text, visually hidden text (clipped to nothing, for screen readers) is hidden by
#: design and the editor's backdrop mirrors the textarea (which scrolls); anything else hiding
#: overflow would cut off what it shows.
MEASURE = """() => {
    const cut = [];
    for (const el of document.querySelectorAll('body *')) {
        if (!el.getClientRects().length || el.matches('input, select, textarea, #editor-backdrop')) continue;
        const style = getComputedStyle(el);
        if (style.clip === 'rect(0px, 0px, 0px, 0px)') continue;
        if ((style.overflowX === 'hidden' || style.overflowX === 'clip') && el.scrollWidth > el.clientWidth + 1)
            cut.push(`${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    const wide = [...document.querySelectorAll('body *')].filter(el => el.getClientRects().length
        && el.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 5)
        .map(el => `${el.tagName.toLowerCase()}.${el.className}#${el.id} ${Math.round(el.getBoundingClientRect().right)}`);
    return {page: document.scrollingElement.scrollWidth, window: window.innerWidth, cut, wide};
}"""


def open_all(page, root: str) -> None:
    """Open every step of the derivations under ``root`` (as Expand all does)."""
    page.evaluate("r => document.querySelectorAll(`${r} details`).forEach(d => { d.open = true; })", root)


def check_both_languages(page, where: str, seen: dict) -> None:
    for _ in range(2):
        m = page.evaluate(MEASURE)
        lang = page.evaluate("document.documentElement.lang")
        seen[f"{where} ({lang})"] = m["page"]
        assert m["page"] <= m["window"], f"{where} ({lang}) is {m['page']} px wide at {m['window']}: {m['wide']}"
        assert m["cut"] == [], f"{where} ({lang}): cut off {m['cut']}"
        switch_language(page)


@pytest.mark.parametrize("width", PHONES)
def test_no_view_scrolls_sideways_on_a_phone(browser, base_url, width):
    seen: dict[str, int] = {}
    with opened(browser, base_url, width=width, height=800) as page:
        open_view(page, "decide")
        check_both_languages(page, "Decide, empty", seen)
        page.click("#fill-example")
        decide(page)
        page.locator(".claim-card .tree-tools button").first.click()        # Expand all
        open_all(page, "#decision-out")
        check_both_languages(page, "Decide with a decision and its derivation", seen)

        page.click("#tab-draft")
        page.select_option("#draft-measure", "compute-voucher")
        page.wait_for_selector("#check-status.ok")
        edit_rule(page, BROKEN_EDIT, "problems")
        check_both_languages(page, "Draft with a problem", seen)
        edit_rule(page, RATE_EDIT)
        page.click("#try-run")
        page.wait_for_selector("#try-out .tests-summary.fail")
        open_all(page, "#try-out")
        check_both_languages(page, "Draft with the try panel's results", seen)

        page.click("#tab-audit")
        page.click("#audit-from-form")
        page.wait_for_selector("#audit-out .decision")
        page.click("#compare-run")
        page.wait_for_selector("#compare-out table.changes")
        open_all(page, "#compare-out")
        open_all(page, "#audit-out")
        check_both_languages(page, "Audit with a decision and a comparison", seen)
    assert len(seen) == 10, seen
