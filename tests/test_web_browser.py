"""The workbench page of ``ordinance serve`` driven in a real browser (headless Chromium).

The server, the browser and the recording page are tests/web_browser_harness.py's: a test fails if
the page asked another host for anything, logged an error (a Content-Security-Policy violation is
logged as one), threw or opened a dialog it did not expect.  The tests are skipped, with that
reason, only when /usr/bin/chromium is absent.  Phones, accessibility, drafts and the Chinese page
have their own files (tests/test_web_*_browser.py).

Screenshots: ``test_screenshots`` always takes them (into a temporary folder, and checks them);
with ``ORDINANCE_WEB_SCREENSHOTS=1`` in the environment it writes them to ``docs/screenshots/``
for docs/web.md.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path

import ordinance
from ordinance.policy import bundled_policy_dir
from rule_editor_driver import editor_caret_at, editor_line_of, editor_selection, editor_text
from web_browser_harness import (  # noqa: F401  (fixtures: base_url, browser, page)
    BROKEN_EDIT, RATE_EDIT, ROOT, RULE_FILE, RULE_TEXT, STATIC, TIMEOUT, add_claim, base_url, browser, decide,
    edit_rule, editor_set, field, fill_compute_voucher, line_of, open_rule, open_view, opened, page)

HOSTILE = "<script>alert(1)</script>"


# -- the files themselves ------------------------------------------------------------------------------

def test_the_page_inserts_text_only_and_fits_the_content_security_policy():
    """What the browser tests show in use, checked in every file: no HTML parsed from strings, no
    eval, no inline script or style, nothing from another host."""
    scripts = sorted(STATIC.glob("*.js"))
    assert {p.name for p in scripts} >= {"app.js", "i18n.js", "decide.js", "draft.js", "audit.js"}
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
                           r"setTimeout\(\s*[\"'`]|\.style\b|https?://")
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        assert not forbidden.search(text), f"{path.name}: {forbidden.search(text).group(0)}"
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html), "an inline style or event handler"
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "something from another host"
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(|@import", css), "the stylesheet fetches something"


# -- Decide --------------------------------------------------------------------------------------------

def test_decide_a_compute_voucher_claim_and_read_its_derivation(page):
    open_view(page, "decide")
    fill_compute_voucher(page)
    # the form reads 8,000,000 as money and says so
    assert page.locator("[data-field='claims[0].compute_spend'] .field-hint").inner_text() == "= 8,000,000.00 元"
    decide(page)

    row = page.locator("table.summary tbody tr[data-claim='c1']")
    assert row.locator(".badge").inner_text() == "符合"
    assert row.locator("td.amount").inner_text() == "3,200,000.00 元 (320萬)"
    assert page.locator("table.summary td.total").inner_text() == "3,200,000.00 元 (320萬)"

    # a step of the derivation: the amount, its formula, inputs and result
    step = page.locator(".claim-card[data-claim-card='c1'] details.step[data-kind='amount']")
    summary = step.locator(":scope > summary")
    assert "claim.compute_spend * tier.rate" in summary.inner_text()
    assert "3,200,000.00 元 (320萬)" in summary.inner_text()
    summary.click()
    assert step.evaluate("d => d.open")
    inputs = step.locator(":scope > .step-body table.inputs").inner_text()
    assert "tier.rate" in inputs and "40%" in inputs and "8,000,000.00 元 (800萬)" in inputs
    # the table step chose the 1億(含)—10億 tier
    tier = page.locator(".claim-card[data-claim-card='c1'] details.step[data-kind='table']")
    assert "rate = 40%" in tier.locator(":scope > summary").inner_text()

    # beside it, the source text the step cites, with the quote marked in the policy's text
    panel = page.locator(".source-panel")
    assert "三(八)" in panel.locator(".cite-head").inner_text()
    marks = panel.locator(".source-text mark").all_inner_texts()
    assert any("算力券" in m for m in marks), marks
    assert panel.locator(".src-line.cited").count() == 1


def test_money_typed_with_wan_and_errors_shown_at_the_field(page):
    open_view(page, "decide")
    field(page, "applicant.kind").select_option("university")
    i = add_claim(page, "compute-voucher")
    field(page, f"claims[{i}].date").fill("2025-06-01")
    spend = field(page, f"claims[{i}].compute_spend")
    spend.fill("5千萬")                      # not an amount: marked before anything is sent
    assert spend.get_attribute("aria-invalid") == "true"
    page.click("#decide-submit")
    assert page.locator("#form-errors").is_visible()
    spend.fill("300万")                      # simplified 万 is read like 萬
    assert spend.get_attribute("aria-invalid") == "false"
    # the engine refuses a date that does not exist: its problem appears at the field
    field(page, f"claims[{i}].date").fill("2025-02-30")
    page.click("#decide-submit")
    page.wait_for_selector("[data-field='claims[0].date'].has-error")
    assert "2025-02-30" in page.locator("#form-errors").inner_text()
    field(page, f"claims[{i}].date").fill("2025-06-01")
    field(page, f"claims[{i}].service_qualified").select_option("true")
    decide(page)
    # a university is in the third tier: 50% of 300萬
    assert page.locator("tr[data-claim='c1'] td.amount").inner_text() == "1,500,000.00 元 (150萬)"


def test_remove_a_claim_and_download_the_report(page, tmp_path):
    open_view(page, "decide")
    page.click("#fill-example")
    assert page.locator("#claims-box .claim-form").count() == 2
    page.locator("#claims-box .claim-form").nth(1).locator(".remove-claim").click()
    assert page.locator("#claims-box .claim-form").count() == 1
    decide(page)
    assert page.locator("table.summary tbody tr").count() == 1
    with page.expect_download() as info:
        page.click("#download-report")
    download = info.value
    assert download.suggested_filename == "example-compute-voucher.html"
    path = tmp_path / "report.html"
    download.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "3,200,000.00 元" in html


# -- Draft ---------------------------------------------------------------------------------------------

def test_draft_marks_a_broken_rule_at_its_line_and_column(page):
    open_rule(page)
    # an unknown name in the amount's formula
    broken = RULE_TEXT.replace("amount: claim.compute_spend * tier.rate", "amount: claim.compute_spnd * tier.rate")
    line = line_of(broken, "amount: claim.compute_spnd")
    column = broken.splitlines()[line - 1].index("claim.compute_spnd") + 1
    editor_set(page, broken)
    page.wait_for_selector("#check-status.problems")
    problem = page.locator("#problems li.problem").first
    assert problem.get_attribute("data-code") == "unknown-name"
    assert (problem.get_attribute("data-line"), problem.get_attribute("data-column")) == (str(line), str(column))
    assert "claim.compute_spend" in problem.inner_text()       # the hint: did you mean ...
    # clicking the problem puts the caret on it, and there the span is underlined
    problem.click()
    caret = editor_selection(page)
    offset = sum(len(x) + 1 for x in broken.split("\n")[:line - 1]) + column - 1
    assert caret == [offset, offset + len("claim.compute_spnd")]
    marked = page.locator("#editor .cm-lintRange-error")
    assert marked.inner_text() == "claim.compute_spnd" and editor_line_of(page, ".cm-lintRange-error") == [line]

    # a syntax error in a condition, further up, replaces it
    syntax = RULE_TEXT.replace("when: claim.service_qualified", "when: claim.service_qualified and (")
    editor_set(page, syntax)
    page.wait_for_function(
        "n => [...document.querySelectorAll('#problems li.problem')].some(li => li.dataset.line === String(n))",
        arg=line_of(syntax, "when: claim.service_qualified and ("))
    page.wait_for_selector("#editor .cm-lintRange-error, #editor .cm-lintPoint-error", state="attached")
    assert editor_line_of(page, ".cm-lintRange-error, .cm-lintPoint-error") == \
        [line_of(syntax, "when: claim.service_qualified and (")]
    # the file is marked edited, can be downloaded as edited, and reverted
    assert "•" in page.locator("#draft-file option:checked").inner_text()
    with page.expect_download() as info:
        page.click("#draft-download")
    assert info.value.suggested_filename == "08-compute-voucher.yaml"
    assert Path(info.value.path()).read_text(encoding="utf-8") == syntax
    page.click("#draft-revert")
    page.click("#draft-revert")                  # the second click confirms
    page.wait_for_selector("#check-status.ok")
    assert editor_text(page) == RULE_TEXT
    # the server never wrote the file
    assert (bundled_policy_dir() / RULE_FILE).read_text(encoding="utf-8") == RULE_TEXT


def test_try_runs_the_policy_tests_and_a_sample_against_the_edited_rule(page):
    open_rule(page)
    page.click("#try-run")
    page.wait_for_selector("#try-out .tests-summary")
    assert re.fullmatch(r"\d+ 通過，0 失敗", page.locator("#try-out .tests-summary").inner_text())
    assert page.locator("#try-out .decision").count() == 1          # the sample case, decided
    # 40% -> 35% in the middle tier: some of the policy's own tests now fail
    editor_set(page, RULE_TEXT.replace("set: {rate: 40%, cap: 500萬}", "set: {rate: 35%, cap: 500萬}"))
    page.wait_for_selector("#check-status.ok")
    page.click("#try-run")
    page.wait_for_selector("#try-out .tests-summary.fail")
    failed = page.locator("#try-out ul.tests.failed li.test")
    assert failed.count() >= 1
    assert "compute-voucher" in failed.first.inner_text()


# -- Audit ---------------------------------------------------------------------------------------------

def test_compare_shows_what_a_rate_edited_in_draft_changes(page):
    open_rule(page)
    editor_set(page, RULE_TEXT.replace("set: {rate: 40%, cap: 500萬}", "set: {rate: 35%, cap: 500萬}"))
    page.wait_for_selector("#check-status.ok")
    page.click("#tab-decide")
    fill_compute_voucher(page)
    page.click("#tab-audit")
    assert page.locator("#compare-right").input_value() == "edits:xiamen-ai-2025"
    assert RULE_FILE in page.locator("#compare-edits").inner_text()
    page.click("#compare-run")
    page.wait_for_selector("#compare-out .compare-head")
    assert page.locator("#compare-out .compare-head.differs").count() == 1
    row = page.locator("#compare-out table.compare-summary tr[data-claim='c1']")
    cells = row.locator("td").all_inner_texts()
    assert "3,200,000.00 元 (320萬)" in cells[2] and "2,800,000.00 元 (280萬)" in cells[3]
    # step by step: the tier's rate, then the amount
    changes = page.locator("#compare-out table.changes tbody tr")
    texts = changes.all_inner_texts()
    tier = next(t for t in texts if "分檔表" in t and "rate = 40%" in t)
    assert "rate = 35%" in tier
    assert any("tier.rate = 40%" in t and "tier.rate = 35%" in t for t in texts)
    # the derivations side by side, the changed steps marked
    trees = page.locator("#compare-out .compare-trees[data-claim='c1'] .tree")
    assert trees.count() == 2
    assert trees.nth(1).locator("details.step.changed[data-kind='amount']").count() == 1


def test_audit_reads_a_decision_json_with_its_trace(page):
    policy = ordinance.default_policy()
    decision = policy.evaluate({"case": "audited", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
                                "claims": [{"id": "c9", "measure": "compute-voucher", "date": "2026-01-10",
                                            "compute_spend": "100萬", "service_qualified": False}]})
    open_view(page, "audit")
    page.locator("#audit-text").fill(decision.to_json())
    page.click("#audit-read")
    page.wait_for_selector("#audit-out .decision")
    assert "audited" in page.locator("#audit-out .decision-head").inner_text()
    assert "xiamen-ai-2025" in page.locator("#audit-out .decision-head").inner_text()
    assert page.locator("#audit-out tr[data-claim='c9'] .badge").inner_text() == "不符合"
    # the failed condition is open, marked ✗, with its input
    failed = page.locator("#audit-out details.step[data-kind='condition'][data-id='qualified-service']")
    assert failed.evaluate("d => d.open")
    assert "✗" in failed.locator(":scope > summary").inner_text()
    assert "claim.service_qualified" in failed.locator(":scope > .step-body").inner_text()
    # its rule's location opens the rule file in the Draft view, the caret on the rule
    location = failed.locator(":scope > .step-body .loc-link")
    file, line, column = location.inner_text().rsplit(":", 2)
    assert file.endswith(RULE_FILE)      # as a decision names it: xiamen-ai-2025/rules/...
    location.click()
    assert page.locator("#view-draft").is_visible()
    assert page.locator("#draft-file").input_value() == RULE_FILE
    caret, _ = editor_selection(page)
    assert caret == sum(len(x) + 1 for x in RULE_TEXT.split("\n")[:int(line) - 1]) + int(column) - 1
    assert RULE_TEXT[caret:].startswith("claim.service_qualified")


def test_audit_reads_a_pasted_yaml_case_and_shows_its_problems(page):
    open_view(page, "audit")
    page.locator("#audit-text").fill((ROOT / "examples" / "compute-voucher.yaml").read_text(encoding="utf-8"))
    page.click("#audit-read")
    page.wait_for_selector("#audit-out .decision")
    assert page.locator("#audit-out table.summary td.total").inner_text() == "4,000,000.00 元 (400萬)"
    # a YAML case the engine refuses: the problem, with its line, is shown
    page.locator("#audit-text").fill("claims:\n  - measure: compute-voucher\n    date: 2025-02-30\n")
    page.click("#audit-read")
    page.wait_for_selector("#audit-errors:not([hidden])")
    text = page.locator("#audit-errors").inner_text()
    assert "2025-02-30" in text
    assert page.locator("#audit-errors .where").first.inner_text().startswith("3:")     # line 3 of the text


def test_audit_loads_a_case_file(page, tmp_path):
    case = {"case": "from-file", "applicant": {"kind": "university"},
            "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01",
                        "compute_spend": "100萬", "service_qualified": True}]}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    open_view(page, "audit")
    page.set_input_files("#audit-file", str(path))
    page.wait_for_selector("#audit-out .decision")
    assert page.locator("#audit-out tr[data-claim='c1'] td.amount").inner_text() == "500,000.00 元 (50萬)"
    assert page.locator("#audit-out .tree").count() == 1


# -- language, hostile text, other hosts -----------------------------------------------------------------

def test_switch_language_and_it_is_remembered(page):
    open_view(page, "decide")
    assert page.locator("#tab-decide").inner_text() == "裁定"
    assert page.locator("#applicant-box legend").inner_text() == "申請主體"
    label = page.locator("[data-field='applicant.annual_revenue'] .field-label")
    assert label.inner_text() == "年度營業收入"
    page.click("#fill-example")
    decide(page)
    assert page.locator("tr[data-claim='c1'] .badge").inner_text() == "符合"

    page.click("#lang-toggle")
    assert page.locator("#tab-decide").inner_text() == "Decide"
    assert page.locator("#tab-draft").inner_text() == "Draft"
    assert page.locator("#applicant-box legend").inner_text() == "Applicant"
    assert label.inner_text().lower() == "annual operating revenue"
    assert page.locator("html").get_attribute("lang") == "en"
    # what was typed stays, and the decision is shown again in English
    assert field(page, "applicant.annual_revenue").input_value() == "5億"
    assert page.locator("tr[data-claim='c1'] .badge").inner_text() == "eligible"
    assert "Compute voucher" in page.locator(".claim-card[data-claim-card='c1'] h3").inner_text()

    # every string exists in both languages, and every string the page names exists
    missing = page.evaluate("""async () => {
        const s = (await import('/static/i18n.js')).STRINGS_FOR_TESTS;
        const named = [...document.querySelectorAll('[data-i18n]')].map(e => e.dataset.i18n)
            .concat([...document.querySelectorAll('[data-i18n-placeholder]')].map(e => e.dataset.i18nPlaceholder));
        return {zh: Object.keys(s.en).filter(k => !(k in s.zh)), en: Object.keys(s.zh).filter(k => !(k in s.en)),
                page: named.filter(k => !(k in s.zh))};
    }""")
    assert missing == {"zh": [], "en": [], "page": []}, missing

    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#tab-audit").inner_text() == "Audit"
    page.click("#lang-toggle")
    assert page.locator("#tab-audit").inner_text() == "審核"


def test_script_in_a_fact_or_in_rule_text_is_shown_as_text_and_never_run(page):
    open_view(page, "decide")
    page.evaluate("window.__ran = 0")
    fill_compute_voucher(page, name=HOSTILE + '<img src=x onerror="window.__ran=1">')
    decide(page)
    facts = page.locator(".claim-card[data-claim-card='c1'] details.step[data-kind='facts']")
    facts.locator(":scope > summary").click()
    cell = facts.locator("table.inputs tr", has_text="applicant.name").locator("td")
    assert HOSTILE in cell.inner_text()
    assert cell.is_visible()

    # rule text: a condition's label holding a script, shown by the try panel's decision
    page.click("#tab-draft")
    page.select_option("#draft-measure", "compute-voucher")
    page.wait_for_selector("#check-status.ok")
    hostile_rule = RULE_TEXT.replace("zh: 購買符合條件的智能算力服務\n", f"zh: \"{HOSTILE}\"\n", 1)
    assert hostile_rule != RULE_TEXT
    editor_set(page, hostile_rule)
    page.wait_for_selector("#check-status.ok")
    page.click("#try-from-form")
    page.click("#try-run")
    page.wait_for_selector("#try-out .decision")
    label = page.locator("#try-out details.step[data-id='qualified-service'] > summary .step-label")
    assert label.inner_text() == HOSTILE
    assert label.is_visible()
    editor_caret_at(page, HOSTILE)
    assert HOSTILE in page.locator("#editor .cm-content").inner_text()

    # nothing ran: no dialog (the fixture checks), no flag, and no element was made from the text
    assert page.evaluate("window.__ran") == 0
    assert page.locator("script").count() == 1           # the page's own module only
    assert page.locator("main img").count() == 0


def test_the_page_asks_no_other_host(page):
    open_view(page, "decide")
    page.click("#fill-example")
    decide(page)
    page.click("#tab-draft")
    page.wait_for_selector("#check-status.ok")
    page.click("#tab-audit")
    page.click("#compare-run")
    page.wait_for_selector("#compare-out .compare-head")
    requests = page.rec.requests
    assert any(u.endswith("/static/app.js") for u in requests)
    assert any("/v1/decide" in u for u in requests) and any("/v1/check" in u for u in requests)
    assert page.rec.foreign() == []
    # and the server says so: the Content-Security-Policy of the page
    response = page.request.get(page.base_url + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_narrow_window_has_no_sideways_scrolling(browser, base_url):
    context = browser.new_context(viewport={"width": 800, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.base_url = base_url
    open_view(pg, "decide")
    pg.click("#fill-example")
    decide(pg)
    widths = {"decide": pg.evaluate("document.documentElement.scrollWidth")}
    for view in ("draft", "audit"):
        pg.click(f"#tab-{view}")
        widths[view] = pg.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert all(w <= 800 for w in widths.values()), widths


# -- screenshots -----------------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


#: (suffix, width, height) of the screenshots: a desktop and a phone
SCREENS = (("", 1280, 900), ("-phone", 390, 844))


def shoot(pg, path: Path, *, phone: bool, top: str | None = None, height: int = 1500) -> None:
    """A desktop's screenshot from the top of the page (at most ``height`` tall); a phone's is the
    screen with ``top`` (an element) scrolled to its top."""
    if phone:
        if top:
            pg.locator(top).first.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 8)")
        pg.screenshot(path=path)
        return
    pg.evaluate("window.scrollTo(0, 0)")
    height = min(height, pg.evaluate("document.documentElement.scrollHeight"))
    pg.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})


def test_screenshots(browser, base_url, tmp_path):
    """Screenshots of the three views, in Chinese and in English, at 1280 px and at a phone's 390 px;
    into docs/screenshots/ with ORDINANCE_WEB_SCREENSHOTS=1."""
    out = ROOT / "docs" / "screenshots" if os.environ.get("ORDINANCE_WEB_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    shots = {}
    for suffix, width, height in SCREENS:
        phone = width < 640
        for lang in ("zh", "en"):
            name = lambda view: f"{view}{suffix}{'' if lang == 'zh' else '-en'}.png"  # noqa: E731
            with opened(browser, base_url, width=width, height=height, lang=lang, device_scale_factor=1) as pg:
                open_view(pg, "decide")
                pg.click("#fill-example")
                decide(pg)
                pg.locator(".claim-card[data-claim-card='c2'] details.step[data-kind='yearly-cap'] > summary").click()
                shoot(pg, out / name("decide"), phone=phone, top="#decision-out .decision-head", height=1700)
                shots[name("decide")] = width

                pg.click("#tab-draft")
                pg.select_option("#draft-measure", "compute-voucher")
                edit_rule(pg, BROKEN_EDIT, "problems")
                pg.click("#try-run")
                pg.wait_for_selector("#try-out .alert")
                pg.locator("#problems li.problem").first.click()
                shoot(pg, out / name("draft"), phone=phone, top="#view-draft .draft-toolbar", height=900)
                shots[name("draft")] = width

                edit_rule(pg, RATE_EDIT)
                pg.click("#tab-audit")
                pg.click("#compare-run")
                pg.wait_for_selector("#compare-out .compare-head")
                shoot(pg, out / name("audit"), phone=phone, top="#compare-out", height=1400)
                shots[name("audit")] = width

    assert len(shots) == 12
    for name, width in shots.items():
        w, h = png_size(out / name)
        assert w == width and h >= (900 if width == 1280 else 844), (name, w, h)
        # a blank or nearly blank page compresses to a few kilobytes; these hold text, tables and colour
        assert (out / name).stat().st_size > (60_000 if width == 1280 else 25_000), f"{name} looks empty"
