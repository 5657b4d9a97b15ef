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

from web_browser_harness import PHONES, base_url, browser, opened, walk_every_view  # noqa: F401  (fixtures)

#: The page's width, the window's, and the boxes that hide part of what they hold. Form controls
#: scroll their own text and visually hidden text (clipped to nothing, for screen readers) is hidden
#: by design; anything else hiding overflow would cut off what it shows (the rule editor scrolls its
#: text in its own box).
MEASURE = """() => {
    const cut = [];
    for (const el of document.querySelectorAll('body *')) {
        if (!el.getClientRects().length || el.matches('input, select, textarea')) continue;
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


@pytest.mark.parametrize("width", PHONES)
def test_no_view_scrolls_sideways_on_a_phone(browser, base_url, width):
    seen: dict[str, int] = {}

    def check(where: str) -> None:
        m = page.evaluate(MEASURE)
        seen[where] = m["page"]
        assert m["page"] <= m["window"], f"{where} is {m['page']} px wide at {m['window']}: {m['wide']}"
        assert m["cut"] == [], f"{where}: cut off {m['cut']}"

    with opened(browser, base_url, width=width, height=800) as page:
        walk_every_view(page, check)
    assert len(seen) == 10, seen
