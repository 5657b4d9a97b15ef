"""What the workbench's browser tests share: the server, the browser, a recording page, axe-core.

The real application (:func:`ordinance.web.app.create_app`) runs on uvicorn in a background thread
on a free loopback port; Playwright drives the distribution's Chromium (``/usr/bin/chromium``).
The tests are skipped, with that reason, only when that browser is absent.

Every page opened through :func:`new_page` records its requests, console messages, page errors and
dialogs: :func:`finish` fails the test if the page asked another host for anything, logged an error
(a Content-Security-Policy violation is logged as one), threw, or opened a dialog the test did not
expect.  A test that expects a dialog (a confirm, a ``beforeunload`` prompt) answers it through
:meth:`Recorder.answer`.

axe-core (``tests/vendor/axe-core/``, a test-only copy with its licence) is served to the page as a
same-origin script (``/static/__axe-core.js``, answered by the test's route, never by the server),
so the page's Content-Security-Policy stays as it is.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ordinance.policy import bundled_policy_dir
from rule_editor_driver import EDITOR, editor_set, editor_text  # noqa: F401  (the Draft view's editor, for the tests)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
STATIC = ROOT / "ordinance" / "web" / "static"
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_URL = "/static/__axe-core.js"

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
RULE_FILE = "rules/08-compute-voucher.yaml"
RULE_TEXT = (bundled_policy_dir() / RULE_FILE).read_text(encoding="utf-8")
POLICY_ID = "xiamen-ai-2025"
#: how long a step may wait: generous, as these machines are shared and at times heavily loaded
TIMEOUT = 30_000
#: the widths of phones the page must fit without sideways scrolling
PHONES = (360, 390, 414)


# -- the server and the browser ----------------------------------------------------------------------

@contextlib.contextmanager
def serving(*policies):
    """The application serving ``policies`` (default: the bundled one) at a loopback URL."""
    import uvicorn

    from ordinance.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(list(policies) or None, time_limit_seconds=600)  # a loaded machine: no 503 for slowness
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start in 15 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def renamed_policy(root: Path, new_id: str) -> Path:
    """A copy of the bundled policy under ``root`` with the id ``new_id`` (a second policy to serve)."""
    target = root / new_id
    shutil.copytree(bundled_policy_dir(), target)
    manifest = target / "policy.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert f"policy: {POLICY_ID}\n" in text
    manifest.write_text(text.replace(f"policy: {POLICY_ID}\n", f"policy: {new_id}\n", 1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def base_url():
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Recorder:
    """What a page did: its requests, console errors, page errors and dialogs."""

    def __init__(self, page, base_url: str):
        self.base = urlsplit(base_url)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []      # dialogs nobody expected (dismissed)
        self.answered: list[str] = []     # dialogs the test expected, with how they were answered
        self._answers: list[bool] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def answer(self, accept: bool) -> None:
        """Expect one more dialog, and accept (True) or dismiss (False) it."""
        self._answers.append(accept)

    def _dialog(self, d) -> None:
        if self._answers:
            accept = self._answers.pop(0)
            self.answered.append(f"{d.type}: {d.message}")
            d.accept() if accept else d.dismiss()
        else:
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

    def _console(self, message) -> None:
        # The browser logs every HTTP error answer; the API's 4xx answers (problem+json the page shows)
        # are expected, and any other failed response is caught by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
            self.errors.append(f"console {message.type}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 400 and not (urlsplit(response.url).path.startswith("/v1/") and response.status < 500):
            self.errors.append(f"HTTP {response.status} for {response.url}")

    def foreign(self) -> list[str]:
        """Requests to anything but the app's own origin (blob: URLs of downloads are local)."""
        out = []
        for url in self.requests:
            u = urlsplit(url)
            if u.scheme in ("blob", "data"):
                continue
            if (u.scheme, u.hostname, u.port) != (self.base.scheme, self.base.hostname, self.base.port):
                out.append(url)
        return out


def new_page(context, base_url: str):
    """A page of ``context`` that records what it does (``page.rec``) and knows the server (``page.base_url``)."""
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.rec = Recorder(pg, base_url)
    pg.base_url = base_url
    return pg


def finish(pg) -> None:
    """Fail if the page asked another host, logged an error, threw, or opened an unexpected dialog."""
    rec = pg.rec
    assert rec.foreign() == [], f"the page asked another host: {rec.foreign()}"
    assert rec.errors == [], rec.errors
    assert rec.dialogs == [], rec.dialogs
    assert rec._answers == [], f"dialogs expected but never opened: {len(rec._answers)}"


@contextlib.contextmanager
def opened(browser, base_url: str, *, width: int = 1280, height: int = 900, lang: str | None = None, **options):
    """A fresh context (its own storage: the language starts as Chinese unless ``lang`` is given) and
    a recording page in it; checked by :func:`finish` when the block ends without an error."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    if lang is not None:
        context.add_init_script(f"try {{ localStorage.setItem('ordinance.lang', '{lang}') }} catch (e) {{}}")
    try:
        pg = new_page(context, base_url)
        yield pg
        finish(pg)
    finally:
        context.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh page at 1280 x 900 (own storage: the language starts as Chinese); checked afterwards
    that it asked no other host, logged no error and opened no dialog it was not told of."""
    with opened(browser, base_url, accept_downloads=True) as pg:
        yield pg


# -- driving the page ----------------------------------------------------------------------------------

def open_view(page, view: str = "decide") -> None:
    page.goto(f"{page.base_url}/#{view}")
    page.wait_for_selector("body[data-ready='1']")


def field(page, path: str):
    return page.locator(f"[data-path='{path}']")


def add_claim(page, measure: str) -> int:
    page.select_option("#add-measure", measure)
    page.click("#add-claim")
    return page.locator("#claims-box .claim-form").count() - 1


def fill_compute_voucher(page, *, name: str | None = None) -> None:
    """The applicant of examples/compute-voucher.yaml and one claim: 5億 of revenue, 800萬 of spend."""
    if name is not None:
        field(page, "applicant.name").fill(name)
    field(page, "applicant.kind").select_option("enterprise")
    field(page, "applicant.annual_revenue").fill("5億")
    i = add_claim(page, "compute-voucher")
    field(page, f"claims[{i}].date").fill("2025-06-01")
    field(page, f"claims[{i}].compute_spend").fill("8,000,000")   # thousands separators are accepted
    field(page, f"claims[{i}].service_qualified").select_option("true")


def decide(page) -> None:
    page.click("#decide-submit")
    page.wait_for_selector("#decision-out .decision")


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def open_rule(page) -> None:
    """The Draft view with the compute voucher's rule file open and checked."""
    open_view(page, "draft")
    page.select_option("#draft-measure", "compute-voucher")
    page.wait_for_selector("#check-status.ok")
    assert page.locator("#draft-file").input_value() == RULE_FILE
    assert editor_text(page) == RULE_TEXT


#: the middle tier's rate, 40% -> 35%: a valid edit that changes the compute voucher's amounts
RATE_EDIT = RULE_TEXT.replace("set: {rate: 40%, cap: 500萬}", "set: {rate: 35%, cap: 500萬}")
#: an unknown name in the amount's formula: a problem at a line and column
BROKEN_EDIT = RULE_TEXT.replace("amount: claim.compute_spend * tier.rate", "amount: claim.compute_spnd * tier.rate")
assert RATE_EDIT != RULE_TEXT and BROKEN_EDIT != RULE_TEXT


def edit_rule(page, text: str, status: str = "ok") -> None:
    editor_set(page, text)
    page.wait_for_selector(f"#check-status.{status}")


def switch_language(page) -> None:
    """Press the language button and wait until the page has re-rendered in the other language."""
    before = page.evaluate("document.documentElement.lang")
    page.click("#lang-toggle")
    page.wait_for_function("l => document.documentElement.lang !== l", arg=before)


def open_all(page, root: str) -> None:
    """Open every step of the derivations under ``root`` (as Expand all does)."""
    page.evaluate("r => document.querySelectorAll(`${r} details`).forEach(d => { d.open = true; })", root)


def in_both_languages(page, check, where: str) -> None:
    """``check(where + " (lang)")`` in the page's language, then in the other; back to the first after."""
    for _ in range(2):
        check(f"{where} ({page.evaluate('document.documentElement.lang')})")
        switch_language(page)


def walk_every_view(page, check) -> None:
    """Every view with content in it, ``check(where)`` called at each, in both languages: the Decide view
    empty, then with a decision and its derivations opened (the source panel showing a citation); the
    Draft view with a problem, then with the try panel's failed tests; the Audit view with a decision
    read and a comparison, their derivations opened."""
    open_view(page, "decide")
    in_both_languages(page, check, "Decide, empty")
    page.click("#fill-example")
    decide(page)
    page.locator(".claim-card .tree-tools button").first.click()        # Expand all
    open_all(page, "#decision-out")
    page.locator("#decision-out details.step[data-kind='amount'] .cite-link").first.click()
    in_both_languages(page, check, "Decide with a decision and its derivation")

    page.click("#tab-draft")
    page.select_option("#draft-measure", "compute-voucher")
    page.wait_for_selector("#check-status.ok")
    edit_rule(page, BROKEN_EDIT, "problems")
    in_both_languages(page, check, "Draft with a problem")
    edit_rule(page, RATE_EDIT)
    page.click("#try-run")
    page.wait_for_selector("#try-out .tests-summary.fail")
    open_all(page, "#try-out")
    in_both_languages(page, check, "Draft with the try panel's results")

    page.click("#tab-audit")
    page.click("#audit-from-form")
    page.wait_for_selector("#audit-out .decision")
    page.click("#compare-run")
    page.wait_for_selector("#compare-out table.changes")
    open_all(page, "#compare-out")
    open_all(page, "#audit-out")
    in_both_languages(page, check, "Audit with a decision and a comparison")


# -- axe-core ------------------------------------------------------------------------------------------

def axe_violations(page, context: str = "document") -> list[dict]:
    """axe-core's violations (WCAG 2.0/2.1 A and AA and its best practices) of what the page shows now:
    [{id, impact, help, nodes: [target :: summary, ...]}]."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=AXE_URL)
        page.wait_for_function("typeof window.axe === 'object'")
    return page.evaluate("""async (context) => {
        const result = await axe.run(context === 'document' ? document : document.querySelector(context),
            {resultTypes: ['violations'], runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => `${n.target.join(' ')} :: ${n.failureSummary}`)}));
    }""", context)


def axe_counts(violations: list[dict]) -> dict[str, int]:
    """Violations by impact: {"critical": n, "serious": n, ...}."""
    out: dict[str, int] = {}
    for v in violations:
        out[v["impact"]] = out.get(v["impact"], 0) + 1
    return out
