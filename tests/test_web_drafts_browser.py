"""No lost work and no dead ends in the workbench.

- A draft (the Draft view's edited files) is kept in the browser's storage per policy and version,
  restored on return with a notice and a way to discard it; a draft made against another version of
  the policy is offered, never overwritten; leaving the page with edits asks first, and so does
  switching policy; when the browser cannot keep the draft, the page says so.
- Compare uses the try panel's case when nothing else is loaded.
- The error banner says each message once; an empty case's problem is at `case` (not `case.`); a
  case without an id is shown as having none (not as `<case>`).
"""

from __future__ import annotations

import json

import pytest
from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser, page)
    EDITOR, POLICY_ID, RATE_EDIT, RULE_FILE, RULE_TEXT, axe_violations, base_url, browser, decide, edit_rule, editor_text,
    field, fill_compute_voucher, open_rule, open_view, opened, page, renamed_policy, serving, switch_language)
from ordinance.policy import bundled_policy_dir

OTHER_ID = "xiamen-ai-2025-rev"


@pytest.fixture(scope="module")
def two_policies(tmp_path_factory):
    """The server with two policies: the bundled one and a copy of it under another id."""
    copy = renamed_policy(tmp_path_factory.mktemp("policies"), OTHER_ID)
    with serving(bundled_policy_dir(), copy) as url:
        yield url


def kept(page) -> dict:
    """The drafts the page keeps in localStorage: {key: {"files": ..., "saved": ...}}."""
    return page.evaluate("""() => Object.fromEntries(Object.keys(localStorage)
        .filter(k => k.startsWith('ordinance.draft.')).map(k => [k, JSON.parse(localStorage.getItem(k))]))""")


def digest(page) -> str:
    return page.evaluate("fetch('/v1/policies/' + document.querySelector('#policy-select').value).then(r => r.json()).then(p => p.digest)")


def wait_ready(page) -> None:
    page.wait_for_selector("body[data-ready='1']")


# -- drafts ----------------------------------------------------------------------------------------------

def test_a_draft_is_kept_across_a_reload_and_can_be_discarded(page):
    open_rule(page)
    page.click(EDITOR)
    edit_rule(page, RATE_EDIT)
    key = f"ordinance.draft.{POLICY_ID}@{digest(page)}"
    assert kept(page)[key]["files"] == {RULE_FILE: RATE_EDIT}

    # leaving the page asks first; once it is left, the draft comes back with a notice
    page.rec.answer(True)
    page.reload()
    wait_ready(page)
    assert [d.split(":")[0] for d in page.rec.answered] == ["beforeunload"]
    page.wait_for_selector("#draft-notice:not([hidden]) .notice-restored")
    assert RULE_FILE in page.locator("#draft-notice").inner_text()
    assert editor_text(page) == RATE_EDIT
    assert page.locator("#draft-file").input_value() == RULE_FILE
    assert "已修改" in page.locator("#draft-file option:checked").inner_text()
    page.wait_for_selector("#check-status.ok")
    assert axe_violations(page, "#view-draft") == []
    page.click("#tab-audit")
    assert RULE_FILE in page.locator("#compare-edits").inner_text()

    # discarding takes two presses, and then the draft is gone from the page and from the browser
    page.click("#tab-draft")
    page.click("#draft-discard")
    assert editor_text(page) == RATE_EDIT       # one press: not yet
    page.click("#draft-discard")
    assert editor_text(page) == RULE_TEXT
    assert page.locator("#draft-notice").is_hidden()
    assert kept(page) == {}
    page.reload()                                                           # nothing to lose: no question
    wait_ready(page)
    assert page.locator("#draft-notice").is_hidden()
    page.select_option("#draft-measure", "compute-voucher")
    assert editor_text(page) == RULE_TEXT


def test_a_draft_made_against_another_version_is_offered_and_never_overwritten(page):
    open_view(page, "draft")
    page.evaluate("""([key, file, text]) => localStorage.setItem(key, JSON.stringify(
        {saved: '2025-05-01T08:00:00.000Z', files: {[file]: text}}))""",
                  [f"ordinance.draft.{POLICY_ID}@0123456789abcdef", RULE_FILE, RATE_EDIT])
    page.reload()
    wait_ready(page)
    notice = page.locator("#draft-notice .notice-other")
    notice.wait_for()
    assert "0123456789ab" in notice.inner_text() and RULE_FILE in notice.inner_text()
    # not restored on its own: the editor holds the policy's text
    page.select_option("#draft-measure", "compute-voucher")
    assert editor_text(page) == RULE_TEXT
    # an edit to the current version is kept beside it, not over it
    page.click(EDITOR)
    edit_rule(page, RULE_TEXT.replace("cap: 500萬}", "cap: 400萬}", 1))
    drafts = kept(page)
    assert drafts[f"ordinance.draft.{POLICY_ID}@0123456789abcdef"]["files"] == {RULE_FILE: RATE_EDIT}
    assert len(drafts) == 2
    # restoring it brings its text in, kept now under the current version
    page.click("#draft-restore-other")
    assert editor_text(page) == RATE_EDIT
    assert list(kept(page)) == [f"ordinance.draft.{POLICY_ID}@{digest(page)}"]
    page.wait_for_selector("#check-status.ok")


def test_switching_policy_asks_first_and_the_draft_waits_for_the_return(browser, two_policies):
    with opened(browser, two_policies) as page:
        open_rule(page)
        page.click(EDITOR)
        edit_rule(page, RATE_EDIT)
        # "stay": nothing changes
        page.rec.answer(False)
        page.select_option("#policy-select", OTHER_ID)
        assert page.locator("#policy-select").input_value() == POLICY_ID
        assert editor_text(page) == RATE_EDIT
        question = page.rec.answered[-1]
        assert question.startswith("confirm:") and "1" in question and "恢復" in question
        # "switch": the other policy, without the edits
        page.rec.answer(True)
        page.select_option("#policy-select", OTHER_ID)
        page.wait_for_function("id => document.querySelector('#draft-file').value && "
                               "document.querySelector('#policy-select').value === id", arg=OTHER_ID)
        page.select_option("#draft-measure", "compute-voucher")
        assert editor_text(page) == RULE_TEXT
        assert page.locator("#draft-notice").is_hidden()
        # back (no edits here: no question), and the draft is there again
        page.select_option("#policy-select", POLICY_ID)
        page.wait_for_selector("#draft-notice:not([hidden]) .notice-restored")
        assert editor_text(page) == RATE_EDIT
        assert len(page.rec.answered) == 2


def test_when_the_browser_cannot_keep_the_draft_the_page_says_so(browser, two_policies):
    with opened(browser, two_policies) as page:
        page.context.add_init_script("""(() => {
            const setItem = Storage.prototype.setItem;
            Storage.prototype.setItem = function (key, value) {
                if (String(key).startsWith('ordinance.draft.')) throw new DOMException('full', 'QuotaExceededError');
                return setItem.call(this, key, value);
            };
        })()""")
        open_rule(page)
        edit_rule(page, RATE_EDIT)
        page.wait_for_selector("#draft-notice:not([hidden]) .notice-lost")
        page.rec.answer(False)
        page.select_option("#policy-select", OTHER_ID)
        assert "失去" in page.rec.answered[-1]
        assert editor_text(page) == RATE_EDIT


# -- no dead ends ------------------------------------------------------------------------------------------

def test_compare_uses_the_try_panels_case_when_no_other_is_loaded(page):
    open_rule(page)
    edit_rule(page, RATE_EDIT)
    sample = json.loads(page.locator("#try-case").input_value())
    assert sample["claims"][0]["measure"] == "compute-voucher"
    page.click("#to-compare")
    assert page.locator("#view-audit").is_visible()
    page.click("#compare-run")
    page.wait_for_selector("#compare-out .compare-head, #audit-errors:not([hidden])")
    assert page.locator("#audit-errors").is_hidden(), page.locator("#audit-errors").inner_text()
    assert "試算" in page.locator("#compare-case").inner_text()
    assert page.locator("#compare-out .compare-head.differs").count() == 1
    cells = page.locator("#compare-out table.compare-summary tr[data-claim='c1'] td").all_inner_texts()
    assert "400,000.00 元 (40萬)" in cells[2] and "350,000.00 元 (35萬)" in cells[3]      # 100萬 at 40%, then 35%
    # the Decide view's case, once it has a claim, comes first (and the hint says so)
    page.click("#tab-decide")
    fill_compute_voucher(page)
    page.click("#tab-audit")
    assert "裁定頁" in page.locator("#compare-case").inner_text()


def test_the_error_banner_says_each_message_once(page):
    open_view(page, "decide")
    i = 0
    fill_compute_voucher(page)
    field(page, f"claims[{i}].date").fill("2025-02-30")
    page.click("#decide-submit")
    banner = page.locator("#form-errors")
    banner.wait_for()
    text = banner.inner_text()
    assert text.count("須為日期") == 1, text  # the page is in Chinese: so is the server's answer (Accept-Language)
    assert "2025-02-30" in page.locator("[data-field='claims[0].date'] .field-error").inner_text()
    assert axe_violations(page, "#view-decide") == []
    # the words a detail adds to the problems (the side of a comparison) are kept, the repeat is not
    beyond = page.evaluate("""async () => (await import('/static/errors.js')).detailBeyond(
        'under the left policy: <case>:3:11: wrong-type: `claim.date` must be a date (and 1 more problem)',
        [{code: 'wrong-type', message: '`claim.date` must be a date'}])""")
    assert beyond == "under the left policy"


def test_an_empty_case_is_at_case_and_a_case_without_an_id_has_none(page):
    # the API names the whole case `case`
    problems = page.request.post(page.base_url + "/v1/decide", data={"case": {}}).json()["problems"]
    assert [(p["code"], p["path"]) for p in problems] == [("missing-key", "case")]

    # the try panel's sample emptied: its problem is at `case`, and no field of the Decide view is blamed
    open_rule(page)
    page.locator("#try-case").fill("{}")
    page.click("#try-run")
    where = page.locator("#try-out .alert-problems .where")
    where.first.wait_for()
    assert where.all_inner_texts() == ["case"]

    # a case read in the Audit view without an id
    page.click("#tab-audit")
    page.locator("#audit-text").fill("claims:\n  - {id: c1, measure: compute-voucher, date: 2025-06-01, "
                                     "compute_spend: 100萬, service_qualified: true}\napplicant: {kind: university}\n")
    page.click("#audit-read")
    page.wait_for_selector("#audit-out .decision")
    head = page.locator("#audit-out .decision-head")
    assert "<case>" not in head.inner_text() and "（未命名）" in head.inner_text()
    switch_language(page)
    assert "(no id)" in head.inner_text()
    # a YAML case with no claims: the banner points at its first line, the whole case
    page.locator("#audit-text").fill("applicant: {kind: university}\n")
    page.click("#audit-read")
    page.wait_for_selector("#audit-errors:not([hidden])")
    assert page.locator("#audit-errors .where").all_inner_texts() == ["1:1"]
    assert "(case)" in page.locator("#audit-errors .alert-problems").inner_text()
    assert "<case>" not in page.locator("#audit-errors").inner_text()


def test_a_decided_case_without_an_id_in_the_decide_view(page):
    open_view(page, "decide")
    fill_compute_voucher(page)
    decide(page)
    assert "（未命名）" in page.locator("#decision-out .decision-head").inner_text()
    assert "<case>" not in page.locator("#decision-out").inner_text()
