"""The HTTP API of ``ordinance serve`` (ordinance/web), driven through an HTTP client.

Every route and every error path, through ``starlette.testclient.TestClient``; the responses are
validated against the schemas the OpenAPI document declares for them; one test starts the real
``ordinance serve`` in a subprocess.  Also the in-memory overlay of ``load_policy`` and the
step-by-step comparison of two decisions (ordinance/web/compare.py), and the examples of
docs/api.md, which must be what the app answers.  When the app's answers change on purpose,
regenerate the examples with::

    .venv/bin/python tests/test_web_api.py --update

and read the diff of docs/api.md.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as a script
    sys.path.insert(0, str(ROOT))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

import ordinance  # noqa: E402
from ordinance.decision import ClaimResult, Decision  # noqa: E402
from ordinance.front.model import Label  # noqa: E402
from ordinance.trace import TraceNode  # noqa: E402
from ordinance.web import create_app  # noqa: E402
from ordinance.web.app import CSP, REPORT_CSP, iter_routes  # noqa: E402
from ordinance.web.compare import compare_decisions  # noqa: E402
from ordinance.web.openapi import document  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLICY_DIR = ROOT / "policy" / "xiamen-ai-2025"
COMPUTE = "rules/08-compute-voucher.yaml"
DOC = ROOT / "docs" / "api.md"

CASE = {"case": "acme", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
        "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "800萬",
                    "service_qualified": True}]}


def client_for(**options: Any) -> TestClient:
    # a generous time limit unless a test sets its own: a loaded machine must not turn an answer into a 503
    return TestClient(create_app(**{"time_limit_seconds": 600, **options}), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return client_for()


@pytest.fixture(scope="module")
def compute_text() -> str:
    return (POLICY_DIR / COMPUTE).read_text(encoding="utf-8")


# -- the OpenAPI document: every response is checked against the schema it declares --------------------

def _registry():
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document()))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def conforms(response, path: str, method: str = "post") -> Any:
    """Validate ``response`` against the schema the OpenAPI document gives for it; return its JSON."""
    from jsonschema import Draft202012Validator

    operation = document()["paths"][path][method]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {path} does not declare status {response.status_code}"
    media = response.headers["content-type"].split(";")[0]
    assert media in declared.get("content", {}), f"{path} {response.status_code} does not declare {media}"
    if not (media.endswith("json")):
        return None
    pointer = _pointer("paths", path, method, "responses", str(response.status_code), "content", media, "schema")
    validator = Draft202012Validator({"$ref": f"urn:openapi#/{pointer}"}, registry=_registry(),
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    data = response.json()
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, f"{path} {response.status_code}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])
    return data


def post(client: TestClient, path: str, body: Any, **kwargs: Any):
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                       headers={"content-type": "application/json", **kwargs.pop("headers", {})}, **kwargs)


def problem(response, status: int, code: str, path: str = "/v1/decide", method: str = "post") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data = conforms(response, path, method)
    assert data["code"] == code, data
    assert data["type"] == f"https://ordinance.dev/problems/{code}"
    assert data["status"] == status
    assert "Traceback" not in response.text and "/work/" not in response.text
    return data


def test_the_openapi_document_describes_every_route(client):
    doc = client.get("/openapi.json")
    assert doc.status_code == 200
    data = doc.json()
    assert data["openapi"].startswith("3.1")
    assert data == json.loads(json.dumps(document()))
    for path, methods in iter_routes(client.app):
        assert path in data["paths"], f"{path} is not in the OpenAPI document"
        for method in methods:
            assert method.lower() in data["paths"][path], f"{method} {path} is not in the OpenAPI document"
    routes = {p for p, _ in iter_routes(client.app)}
    assert set(data["paths"]) == routes, "the document describes a route the app does not have"
    from jsonschema import Draft202012Validator

    for schema in data["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for path, item in data["paths"].items():
        for method, op in item.items():
            assert op["responses"], f"{method} {path} declares no response"
            if method == "post":
                assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def test_request_examples_conform_to_the_declared_request_schemas(compute_text):
    from jsonschema import Draft202012Validator

    bodies = {"/v1/decide": {"case": CASE, "trace": True, "format": "json", "as_of": "2025-12-31"},
              "/v1/explain": {"case": CASE, "claim": "c1"},
              "/v1/check": {"files": {COMPUTE: compute_text}},
              "/v1/try": {"files": {COMPUTE: compute_text}, "case": CASE},
              "/v1/compare": {"case": CASE, "left": {}, "right": {"files": {COMPUTE: compute_text}}}}
    for path, body in bodies.items():
        pointer = _pointer("paths", path, "post", "requestBody", "content", "application/json", "schema")
        Draft202012Validator({"$ref": f"urn:openapi#/{pointer}"}, registry=_registry()).validate(body)


# -- GET -------------------------------------------------------------------------------------------------

def test_healthz(client):
    r = client.get("/healthz")
    data = conforms(r, "/healthz", "get")
    assert data == {"status": "ok", "version": ordinance.__version__, "policies": ["xiamen-ai-2025"]}


def test_policies_and_one_policy(client):
    data = conforms(client.get("/v1/policies"), "/v1/policies", "get")
    assert [p["id"] for p in data["policies"]] == ["xiamen-ai-2025"]
    assert data["policies"][0]["digest"] == ordinance.default_policy().digest
    detail = conforms(client.get("/v1/policies/xiamen-ai-2025"), "/v1/policies/{id}", "get")
    voucher = next(m for m in detail["measures"] if m["id"] == "compute-voucher")
    assert voucher["file"] == COMPUTE and voucher["article"] == "三(八)"
    assert voucher["facts"] == ["claim.compute_spend", "claim.service_qualified", "applicant.annual_revenue",
                                "applicant.kind"]
    assert voucher["source_line"] is not None
    assert detail["files"][COMPUTE] == (POLICY_DIR / COMPUTE).read_text(encoding="utf-8")
    assert "policy.yaml" in detail["files"] and all(not f.startswith("/") for f in detail["files"])
    assert detail["source"] == (POLICY_DIR / "source.txt").read_text(encoding="utf-8")
    assert "tests/compute-voucher.yaml" in detail["tests"]
    spend = next(f for f in detail["facts"] if f["name"] == "claim.compute_spend")
    assert spend["type"] == "money" and spend["unit"] == "元" and "compute-voucher" in spend["measures"]
    kind = next(f for f in detail["facts"] if f["name"] == "applicant.kind")
    assert kind["values"] == ["enterprise", "university", "research-institute"]


def test_unknown_policy_is_404(client):
    data = problem(client.get("/v1/policies/nope"), 404, "unknown-policy", "/v1/policies/{id}", "get")
    assert data["problems"][0]["hint"]
    problem(client.get("/v1/schema/case?policy=xiamen-ai-2024"), 404, "unknown-policy", "/v1/schema/case", "get")
    data = problem(post(client, "/v1/decide", {"policy": "xiamen-ai-2024", "case": CASE}), 404, "unknown-policy")
    assert "xiamen-ai-2025" in data["problems"][0]["hint"]
    problem(post(client, "/v1/compare", {"case": CASE, "right": {"policy": "nope"}}), 404, "unknown-policy",
            "/v1/compare")


def test_case_schema(client):
    r = client.get("/v1/schema/case?policy=xiamen-ai-2025")
    conforms(r, "/v1/schema/case", "get")
    assert r.json() == ordinance.default_policy().case_schema()
    assert client.get("/v1/schema/case").content == r.content
    problem(client.get("/v1/schema/case?polcy=x"), 422, "unknown-key", "/v1/schema/case", "get")


def test_unknown_route_and_method(client):
    problem(client.get("/v2/decide"), 404, "not-found", "/", "get")
    r = client.get("/v1/decide")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json()["code"] == "method-not-allowed"


# -- POST /v1/decide --------------------------------------------------------------------------------------

def test_decide_gives_the_decision_contract(client):
    r = post(client, "/v1/decide", {"case": CASE})
    data = conforms(r, "/v1/decide")
    expected = ordinance.default_policy().evaluate(CASE, trace=False).to_dict()
    assert data == expected
    assert data["results"][0]["amount"] == "3200000.00" and data["total"] == "3200000.00"
    traced = conforms(post(client, "/v1/decide", {"case": CASE, "trace": True, "as_of": "2025-12-31"}),
                      "/v1/decide")
    assert traced["as_of"] == "2025-12-31"
    trace = traced["results"][0]["trace"]
    # a decision names the policy and its file, never the directory the server was started from
    assert trace["kind"] == "claim" and trace["location"].startswith(f"xiamen-ai-2025/{COMPUTE}:")


def test_decide_reads_a_case_file_text(client):
    text = ("applicant: {kind: university}\nclaims:\n  - {id: c1, measure: compute-voucher, date: 2025-06-01,\n"
            "     compute_spend: 100萬, service_qualified: true}\n")
    data = conforms(post(client, "/v1/decide", {"case": text}), "/v1/decide")
    assert data["results"][0]["amount"] == "500000.00"
    bad_text = text.replace("2025-06-01", "2025-13-01")
    bad = problem(post(client, "/v1/decide", {"case": bad_text}), 422, "wrong-type")
    p = bad["problems"][0]
    column = bad_text.splitlines()[2].index("2025-13-01") + 1
    assert p["location"]["file"] == "<case>" and (p["location"]["line"], p["location"]["column"]) == (3, column)
    assert p["path"] == "case.claims[0].date"
    problem(post(client, "/v1/decide", {"case": "claims: [\n"}), 422, "yaml-syntax")


def test_decide_is_deterministic(client):
    body = {"case": CASE, "trace": True}
    first = post(client, "/v1/decide", body)
    assert post(client, "/v1/decide", body).content == first.content
    explain_body = {"case": CASE, "claim": "c1"}
    assert post(client, "/v1/explain", explain_body).content == post(client, "/v1/explain", explain_body).content
    assert client.get("/v1/policies/xiamen-ai-2025").content == client.get("/v1/policies/xiamen-ai-2025").content


def test_decide_html_report_is_a_download_with_its_own_csp(client):
    r = post(client, "/v1/decide", {"case": CASE, "format": "html"})
    assert r.status_code == 200
    conforms(r, "/v1/decide")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="decision-acme.html"'
    assert r.headers["content-security-policy"] == REPORT_CSP
    assert "script-src" not in REPORT_CSP and "'unsafe-inline'" in REPORT_CSP
    assert r.text.startswith("<!DOCTYPE html>") and "3,200,000.00" in r.text


def test_a_script_in_a_fact_value_comes_back_as_data(client):
    hostile = "<script>alert(1)</script>"
    case = copy.deepcopy(CASE)
    case["case"] = hostile
    case["applicant"]["name"] = hostile
    r = post(client, "/v1/decide", {"case": case, "trace": True})
    data = conforms(r, "/v1/decide")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert data["case"] == hostile
    assert data["results"][0]["trace"]["children"][0]["inputs"]["applicant.name"] == hostile
    html = post(client, "/v1/decide", {"case": case, "format": "html"})
    assert hostile not in html.text and "<script" not in html.text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.text
    assert html.headers["content-disposition"] == 'attachment; filename="decision-script-alert-1-script.html"'
    # rule text holding a script is data too: the check names it in a problem, as JSON
    broken = post(client, "/v1/check", {"files": {"rules/99-x.yaml": "article: <script>alert(1)</script>\n"}})
    assert broken.headers["content-type"] == "application/json" and broken.json()["ok"] is False


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_a_lone_surrogate_is_refused_as_eval_refuses_it(client, fmt):
    body = ('{"case": {"case": "\\ud800x", "applicant": {"kind": "university"}, "claims": [{"id": "c1", '
            '"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": 1, "service_qualified": true}]}, '
            '"format": "%s"}' % fmt)
    r = client.post("/v1/decide", content=body.encode(), headers={"content-type": "application/json"})
    problem(r, 422, "encoding")


def test_malformed_json_is_400(client):
    r = client.post("/v1/decide", content=b'{"case": {"claims": [}', headers={"content-type": "application/json"})
    data = problem(r, 400, "malformed-json")
    loc = data["problems"][0]["location"]
    assert loc == {"file": "<body>", "line": 1, "column": 22}  # the `}` where a value was due
    problem(client.post("/v1/decide", content=b'{"case": {}, "case": {}}',
                        headers={"content-type": "application/json"}), 400, "malformed-json")
    problem(client.post("/v1/decide", content=b'{"case": {"a": NaN}}',
                        headers={"content-type": "application/json"}), 400, "malformed-json")
    problem(client.post("/v1/decide", content=b'{"case": "\xff"}', headers={"content-type": "application/json"}),
            400, "encoding")
    problem(client.post("/v1/decide", content=b"", headers={"content-type": "application/json"}),
            400, "malformed-json")


def test_a_body_that_is_not_json_is_415(client):
    problem(client.post("/v1/decide", content=json.dumps({"case": CASE})), 415, "unsupported-media-type")
    problem(client.post("/v1/decide", data={"case": "x"}), 415, "unsupported-media-type")


def test_wrong_types_and_bad_cases_are_422_with_the_engines_code(client):
    data = problem(post(client, "/v1/decide", [CASE]), 422, "wrong-type")
    data = problem(post(client, "/v1/decide", {"case": CASE, "trace": "yes", "format": "pdf", "cas": 1}), 422,
                   "unknown-key")
    assert {(p["code"], p["path"]) for p in data["problems"]} == {
        ("unknown-key", "cas"), ("wrong-type", "trace"), ("not-allowed", "format")}
    assert next(p for p in data["problems"] if p["path"] == "cas")["hint"] == "did you mean `case`?"
    problem(post(client, "/v1/decide", {}), 422, "missing-key")
    data = problem(post(client, "/v1/decide", {"case": CASE, "as_of": "2025-02-30"}), 422, "bad-date")
    assert data["problems"][0]["path"] == "as_of"
    bad = {"applicant": {"kind": "enterprize"},
           "claims": [{"id": "c1", "measure": "compute-vouchr", "date": "2025-06-01"}]}
    data = problem(post(client, "/v1/decide", {"case": bad}), 422, "wrong-type")
    assert [(p["code"], p["path"]) for p in data["problems"]] == [
        ("wrong-type", "case.applicant.kind"), ("unknown-measure", "case.claims[0].measure")]
    assert data["problems"][1]["hint"] == "did you mean `compute-voucher`?"
    spend = copy.deepcopy(CASE)
    spend["claims"][0]["compute_spend"] = "many"
    data = problem(post(client, "/v1/decide", {"case": spend}), 422, "wrong-type")
    assert data["problems"][0]["path"] == "case.claims[0].compute_spend"


def test_the_engines_input_limits_apply_to_every_body():
    from ordinance.front.load import Limits

    small = client_for(limits=Limits(max_depth=8, max_literal_digits=20, max_claims=2))
    problem(post(small, "/v1/decide", {"case": CASE, "x": [[[[[[[[[[1]]]]]]]]]]}), 422, "too-deep")
    many = copy.deepcopy(CASE)
    many["claims"] = [dict(CASE["claims"][0], id=f"c{i}") for i in range(3)]
    problem(post(small, "/v1/decide", {"case": many}), 422, "too-many-claims")
    problem(small.post("/v1/decide", content=b'{"case": {"x": ' + b"9" * 30 + b"}}",
                       headers={"content-type": "application/json"}), 422, "literal-too-long")
    amount = copy.deepcopy(CASE)
    amount["claims"][0]["compute_spend"] = 1234567.891
    assert post(small, "/v1/decide", {"case": amount}).json()["results"][0]["amount"] == "493827.16"


def test_an_oversize_body_is_413_with_content_length_and_chunked():
    small = client_for(max_body_bytes=1024)
    body = {"case": CASE, "pad": "x" * 2000}
    data = problem(post(small, "/v1/decide", body), 413, "body-too-large")
    assert "over the limit of 1024" in data["detail"]

    def chunks():
        raw = json.dumps(body).encode()
        for i in range(0, len(raw), 300):
            yield raw[i:i + 300]

    r = small.post("/v1/decide", content=chunks(), headers={"content-type": "application/json"})
    data = problem(r, 413, "body-too-large")
    assert "larger than the limit of 1024" in data["detail"]
    assert post(small, "/v1/decide", {"case": CASE}).status_code == 200


def test_the_time_limit_gives_503():
    slow = client_for(time_limit_seconds=0.02)
    r = post(slow, "/v1/try", {})  # runs the policy's 186 tests: far longer than 20 ms
    data = problem(r, 503, "time-limit", "/v1/try")
    assert r.headers["retry-after"] == "1"
    assert "0.02 s" in data["detail"]


def test_an_unexpected_error_is_a_500_problem_without_details(monkeypatch):
    from ordinance.web import api

    def boom(entry):
        raise RuntimeError("secret /etc/shadow detail")

    monkeypatch.setattr(api, "policy_data", boom)
    c = client_for()
    r = c.get("/v1/policies/xiamen-ai-2025")
    data = problem(r, 500, "internal", "/v1/policies/{id}", "get")
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert data["problems"] == []
    assert r.headers["content-security-policy"] == CSP


def test_no_body_makes_the_api_fail(client):
    """Any JSON body, on any route: an answer or a problem, never an internal error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
        ["2025-06-01", "2025-02-30", "compute-voucher", "xiamen-ai-2025", "c1", "800萬", "rules/x.yaml", "json", "html"])
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["case", "claims", "applicant", "id", "measure", "date", "kind", "compute_spend", "files",
                         "policy", "as_of", "trace", "format", "claim", "left", "right", "x"]), inner, max_size=4),
        max_leaves=12)
    keys = st.sampled_from(["case", "policy", "as_of", "trace", "format", "claim", "files", "left", "right", "other"])
    bodies = st.dictionaries(keys, values, max_size=5) | values
    routes = st.sampled_from(["/v1/decide", "/v1/explain", "/v1/check", "/v1/compare", "/v1/try"])

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(routes, bodies)
    def run(route, body):
        if route == "/v1/try" and isinstance(body, dict) and not body.get("files"):
            route = "/v1/check"  # the tests of the whole policy take too long to run 100 times
        r = post(client, route, body)
        assert r.status_code in (200, 400, 404, 422), (route, body, r.text)
        assert r.headers["content-type"] in ("application/json", "application/problem+json",
                                             "text/html; charset=utf-8")

    run()


# -- the language of the answer (Accept-Language) --------------------------------------------------------

ZH = {"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"}


def _keys(data: Any) -> Any:
    """The shape of JSON data: its keys, its lists' lengths; no words."""
    if isinstance(data, dict):
        return {k: _keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_keys(v) for v in data]
    return type(data).__name__


def test_problems_come_in_the_language_accept_language_asks_for(client):
    body = {"case": CASE, "as_of": "2025-02-30"}
    english = post(client, "/v1/decide", body)
    chinese = post(client, "/v1/decide", body, headers=ZH)
    en, zh = problem(english, 422, "bad-date"), problem(chinese, 422, "bad-date")
    assert english.headers["content-language"] == "en" and chinese.headers["content-language"] == "zh-Hant"
    assert english.headers["vary"] == chinese.headers["vary"] == "Accept-Language"
    assert _keys(en) == _keys(zh)  # the same shape, codes, paths and locations
    assert [(p["code"], p["path"]) for p in en["problems"]] == [(p["code"], p["path"]) for p in zh["problems"]]
    assert en["title"] == "The request is not valid" and zh["title"] == "請求無效"
    assert en["problems"][0]["message"] == "`as_of` is not a date: day is out of range for month"
    assert zh["problems"][0]["message"] == "`as_of` 不是日期：該月沒有這一日"
    assert zh["problems"][0]["hint"] == "請寫作 YYYY-MM-DD，例如 2025-06-30"
    assert zh["detail"] == zh["problems"][0]["message"]
    # a case's problems (the engine's), the detail its summary
    bad = {"applicant": {"kind": "enterprize"}, "claims": [{"id": "c1", "measure": "compute-vouchr",
                                                            "date": "2025-06-01"}]}
    data = problem(post(client, "/v1/decide", {"case": bad}, headers={"Accept-Language": "zh"}), 422, "wrong-type")
    assert data["title"] == "案件無效"
    assert data["problems"][1]["message"] == "未知的措施 `compute-vouchr`"
    assert data["problems"][1]["hint"] == "是否應為 `compute-voucher`？"
    assert data["detail"].startswith("applicant.kind: wrong-type: `applicant.kind` 須為下列之一 ") \
        and data["detail"].endswith("（另有 1 個問題）")
    # the API's own problems: an unknown policy, malformed JSON
    data = problem(post(client, "/v1/decide", {"case": CASE, "policy": "xiamen"}, headers=ZH), 404, "unknown-policy")
    assert data["title"] == "沒有此政策" and data["problems"][0]["message"] == "沒有服務政策 `xiamen`"
    r = client.post("/v1/decide", content=b'{"case": ', headers={"content-type": "application/json", **ZH})
    data = problem(r, 400, "malformed-json")
    assert data["problems"][0]["message"] == "此處應有一個值" and "第 1 行" in data["detail"]


def test_a_request_without_chinese_is_answered_in_english(client):
    for header in ({}, {"Accept-Language": "fr-FR"}, {"Accept-Language": "zh;q=0.2, en;q=0.8"},
                   {"Accept-Language": "zh;q=0"}):
        r = post(client, "/v1/decide", {"case": CASE, "policy": "nope"}, headers=header)
        assert problem(r, 404, "unknown-policy")["title"] == "No such policy"
        assert r.headers["content-language"] == "en"


def test_check_and_try_locate_problems_in_the_language_asked_for(client, compute_text):
    broken = compute_text.replace("amount: claim.compute_spend * tier.rate", "amount: claim.compute_spend * tier.rat")
    en = conforms(post(client, "/v1/check", {"files": {COMPUTE: broken}}), "/v1/check")
    r = post(client, "/v1/check", {"files": {COMPUTE: broken}}, headers=ZH)
    zh = conforms(r, "/v1/check")
    assert r.headers["content-language"] == "zh-Hant"
    assert _keys(en) == _keys(zh) and en["problems"][0]["location"] == zh["problems"][0]["location"]
    assert zh["problems"][0]["message"] == "未知的名稱 `tier.rat`" and zh["problems"][0]["hint"] == "是否應為 `tier.rate`？"
    sample = {"applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": "compute-voucher",
                                                               "date": "2025-06-01", "compute_spend": "many"}]}
    data = conforms(post(client, "/v1/try", {"case": sample}, headers=ZH), "/v1/try")
    assert data["case_problems"][0]["message"] == "`claim.compute_spend` 須為金額，而非文字 'many'"


def test_a_decision_is_the_same_bytes_in_every_language(client):
    for body in ({"case": CASE}, {"case": CASE, "trace": True, "as_of": "2025-12-31"}):
        en, zh = post(client, "/v1/decide", body), post(client, "/v1/decide", body, headers=ZH)
        assert en.status_code == zh.status_code == 200 and en.content == zh.content
        assert "content-language" not in zh.headers and zh.headers["vary"] == "Accept-Language"


def test_the_html_report_comes_in_the_language_asked_for(client):
    en = post(client, "/v1/decide", {"case": CASE, "format": "html"})
    zh = post(client, "/v1/decide", {"case": CASE, "format": "html"}, headers=ZH)
    assert en.headers["content-language"] == "en" and zh.headers["content-language"] == "zh-Hant"
    assert "<h1>Decision on case" in en.text  # (its lang stays zh-Hant, as it always was: the CJK fonts)
    assert '<html lang="zh-Hant">' in zh.text and "<h1>案件" in zh.text


# -- POST /v1/explain -------------------------------------------------------------------------------------

def test_explain(client):
    case = copy.deepcopy(CASE)
    case["claims"][0]["service_qualified"] = False
    data = conforms(post(client, "/v1/explain", {"case": case, "claim": "c1"}), "/v1/explain")
    assert data["claim"] == "c1" and data["result"]["status"] == "ineligible"
    assert data["result"]["trace"]["kind"] == "claim"
    finding = data["explanation"]["findings"][0]
    assert finding["kind"] == "condition" and finding["step"]["id"] == "qualified-service"
    assert "claim.service_qualified" in data["explanation"]["text"]
    assert (data["citations"][0]["article"], data["citations"][0]["file"]) == ("三(八)", f"xiamen-ai-2025/{COMPUTE}")
    assert all(c["quote"] for c in data["citations"])


def test_explain_a_missing_claim_is_404(client):
    data = problem(post(client, "/v1/explain", {"case": CASE, "claim": "c2"}), 404, "unknown-claim", "/v1/explain")
    assert data["problems"][0]["hint"] == "its claims are c1"
    problem(post(client, "/v1/explain", {"case": CASE}), 422, "missing-key", "/v1/explain")


# -- POST /v1/check, /v1/try ------------------------------------------------------------------------------

def test_check_a_clean_overlay(client, compute_text):
    data = conforms(post(client, "/v1/check", {"files": {COMPUTE: compute_text}}), "/v1/check")
    assert data == {"ok": True, "policy": "xiamen-ai-2025", "digest": ordinance.default_policy().digest,
                    "measures": 19, "problems": []}
    changed = conforms(post(client, "/v1/check", {"files": {COMPUTE: compute_text.replace("rate: 40%", "rate: 45%")}}),
                       "/v1/check")
    assert changed["ok"] and changed["digest"] != data["digest"]
    assert conforms(post(client, "/v1/check", {}), "/v1/check")["ok"]


def test_check_locates_broken_rule_text(client, compute_text):
    broken = compute_text.replace("amount: claim.compute_spend * tier.rate", "amount: claim.compute_spend * tier.rat")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "tier.rat" in text and "amount:" in text)
    column = broken.splitlines()[line - 1].index("tier.rat") + 1
    data = conforms(post(client, "/v1/check", {"files": {COMPUTE: broken}}), "/v1/check")
    assert data["ok"] is False and data["digest"] is None
    [p] = data["problems"]
    assert p["code"] == "unknown-name" and p["hint"] == "did you mean `tier.rate`?"
    assert p["location"] == {"file": COMPUTE, "line": line, "column": column, "end_line": line,
                             "end_column": column + len("tier.rat")}
    yaml_error = conforms(post(client, "/v1/check", {"files": {COMPUTE: "article: [\n"}}), "/v1/check")
    assert yaml_error["problems"][0]["code"] == "yaml-syntax"
    assert yaml_error["problems"][0]["location"]["file"] == COMPUTE
    # a new rule file, and the manifest, may be overlaid too
    new = conforms(post(client, "/v1/check", {"files": {"rules/99-new.yaml": "article: 九\nmeasures: []\n"}}),
                   "/v1/check")
    assert [(p["code"], p["location"]["file"], p["location"]["line"]) for p in new["problems"]] == [
        ("schema", "rules/99-new.yaml", 2)]
    manifest = (POLICY_DIR / "policy.yaml").read_text(encoding="utf-8").replace("issued: 2025-04-21", "issued: 21")
    bad_manifest = conforms(post(client, "/v1/check", {"files": {"policy.yaml": manifest}}), "/v1/check")
    assert bad_manifest["problems"][0]["location"]["file"] == "policy.yaml"


@pytest.mark.parametrize("path", ["../policy.yaml", "/etc/passwd.yaml", "rules/../../x.yaml", "rules/x.txt",
                                  "source.txt", "C:/x.yaml", "rules\\x.yaml", "", "rules//x.yaml"])
def test_check_refuses_overlay_paths_outside_the_rule_files(client, path):
    data = problem(post(client, "/v1/check", {"files": {path: "x: 1\n"}}), 400, "bad-override-path", "/v1/check")
    assert data["problems"][0]["code"] == "bad-override-path"


@pytest.mark.parametrize("path", ["tests/compute-voucher.yaml", "rules/sub/x.yaml", "other.yaml"])
def test_check_refuses_files_that_are_not_rule_files(client, path):
    data = problem(post(client, "/v1/check", {"files": {path: "x: 1\n"}}), 400, "bad-override-path", "/v1/check")
    assert data["problems"][0]["code"] == "bad-override"


def test_check_wrong_types_are_422(client):
    problem(post(client, "/v1/check", {"files": {COMPUTE: 3}}), 422, "wrong-type", "/v1/check")
    problem(post(client, "/v1/check", {"files": [COMPUTE]}), 422, "wrong-type", "/v1/check")


def test_try_runs_the_policys_tests_and_a_case_against_the_overlay(client, compute_text):
    same = conforms(post(client, "/v1/try", {"case": CASE}), "/v1/try")
    assert same["ok"] and same["tests"]["failed"] == 0 and same["tests"]["passed"] >= 150
    assert same["decision"]["total"] == "3200000.00" and same["decision"]["results"][0]["trace"]
    assert same["case_problems"] == []
    changed = conforms(post(client, "/v1/try", {"files": {COMPUTE: compute_text.replace("rate: 40%", "rate: 45%")},
                                                "case": CASE}), "/v1/try")
    assert changed["ok"] and changed["tests"]["failed"] > 0
    failed = [t for t in changed["tests"]["results"] if not t["passed"]]
    assert "tests/compute-voucher.yaml" in {t["file"] for t in failed}
    assert any("expected 3200000.00" in f for t in failed for f in t["failures"])
    assert changed["decision"]["total"] == "3600000.00"
    assert changed["tests"]["passed"] + changed["tests"]["failed"] == same["tests"]["passed"]


def test_try_says_the_failures_of_the_tests_in_the_language_asked_for(client, compute_text):
    """The failures of /v1/try's tests are words of the engine: in Chinese when asked, the same
    failures (one for one, with the same values), in the same shape."""
    body = {"files": {COMPUTE: compute_text.replace("rate: 40%", "rate: 45%")}}
    en = conforms(post(client, "/v1/try", body), "/v1/try")
    r = post(client, "/v1/try", body, headers=ZH)
    zh = conforms(r, "/v1/try")
    assert r.headers["content-language"] == "zh-Hant"
    assert _keys(en) == _keys(zh) and en["tests"]["failed"] == zh["tests"]["failed"] > 0
    en_failures = [f for t in en["tests"]["results"] for f in t["failures"]]
    zh_failures = [f for t in zh["tests"]["results"] for f in t["failures"]]
    assert len(en_failures) == len(zh_failures)
    assert "c1: amount is 3600000.00, expected 3200000.00" in en_failures
    assert "c1：amount 為 3600000.00，應為 3200000.00" in zh_failures
    assert not any(" is " in f or "expected" in f for f in zh_failures), zh_failures
    assert all("應為" in f or "推導中沒有提到" in f for f in zh_failures), zh_failures


def test_try_with_broken_rules_or_a_bad_case(client, compute_text):
    broken = conforms(post(client, "/v1/try", {"files": {COMPUTE: compute_text.replace("tier.rate", "tier.rat")}}),
                      "/v1/try")
    assert broken["ok"] is False and broken["tests"] is None and broken["decision"] is None
    assert {p["location"]["file"] for p in broken["problems"]} == {COMPUTE}
    bad_case = copy.deepcopy(CASE)
    bad_case["claims"][0]["date"] = "2025-02-30"
    data = conforms(post(client, "/v1/try", {"case": bad_case}), "/v1/try")
    assert data["ok"] and data["decision"] is None
    assert [(p["code"], p["path"]) for p in data["case_problems"]] == [("wrong-type", "case.claims[0].date")]


# -- POST /v1/compare ------------------------------------------------------------------------------------

def test_compare_one_policy_with_itself_is_the_same(client):
    data = conforms(post(client, "/v1/compare", {"case": CASE}), "/v1/compare")
    assert data["same"] is True and data["changes"] == [] and data["left"] == data["right"]


def test_compare_two_versions_step_by_step(client, compute_text):
    right = {"files": {COMPUTE: compute_text.replace("rate: 40%", "rate: 45%")}}
    r = post(client, "/v1/compare", {"case": CASE, "right": right})
    data = conforms(r, "/v1/compare")
    assert data["same"] is False
    assert data["left"]["total"] == "3200000.00" and data["right"]["total"] == "3600000.00"
    summary = [(c["claim"], [s["id"] for s in c["path"]], c["field"], c["kind"]) for c in data["changes"]]
    assert summary[:4] == [(None, [], "total", "changed"), ("c1", [], "amount", "changed"),
                           ("c1", ["tier"], "result", "changed"), ("c1", ["tier", "tier[3]"], "result", "changed")]
    tier = data["changes"][2]
    assert tier["left"] == {"rate": "0.4", "cap": "5000000"} and tier["right"] == {"rate": "0.45", "cap": "5000000"}
    assert tier["path"][0]["label"] == {"zh": "分檔", "en": "tier"}
    assert post(client, "/v1/compare", {"case": CASE, "right": right}).content == r.content
    broken = problem(post(client, "/v1/compare", {"case": CASE, "left": {"files": {COMPUTE: "article: [\n"}}}),
                     422, "yaml-syntax", "/v1/compare")
    assert broken["detail"].startswith("the left policy does not load")
    problem(post(client, "/v1/compare", {"case": CASE, "left": {"files": {"../x.yaml": ""}}}), 400,
            "bad-override-path", "/v1/compare")
    problem(post(client, "/v1/compare", {"case": CASE, "left": "xiamen"}), 422, "wrong-type", "/v1/compare")


def _node(kind: str, id: str, result: Any = None, children: list[TraceNode] | None = None, label: str | None = None,
          status: str | None = None) -> TraceNode:
    return TraceNode(kind, id, Label(label, label) if label else None, result=result, status=status,
                     children=children or [])


def _decision(*results: ClaimResult) -> Decision:
    return Decision("p", "d", "case", list(results))


def _result(claim: str, status: str, amount: str | None, trace: TraceNode | None = None) -> ClaimResult:
    from decimal import Decimal

    return ClaimResult(claim, "m", "", status, Decimal(amount) if amount is not None else None, "exact", "money",
                       trace=trace)


def test_compare_decisions_unit():
    left = _decision(_result("c1", "eligible", "100", _node("claim", "c1", children=[
        _node("condition", "a", status="true"), _node("reading", "r", label="one"), _node("reading", "r", label="two"),
        _node("table", "t", "1", [_node("row", "t[1]", status="true")])])),
        _result("c2", "eligible", "5"))
    right = _decision(_result("c1", "ineligible", "0", _node("claim", "c1", children=[
        _node("condition", "a", status="false"), _node("reading", "r", label="one"), _node("reading", "r", label="2"),
        _node("table", "t", "1", []), _node("cap", "k", "0")])),
        _result("c3", "eligible", "5"))
    changes = compare_decisions(left, right)
    assert [(c["claim"], [(s["kind"], s["id"], s.get("occurrence")) for s in c["path"]], c["field"], c["kind"],
             c["left"], c["right"]) for c in changes] == [
        (None, [], "total", "changed", "105.00", "5.00"),
        ("c1", [], "status", "changed", "eligible", "ineligible"),
        ("c1", [], "amount", "changed", "100.00", "0.00"),
        ("c1", [("condition", "a", None)], "status", "changed", "true", "false"),
        ("c1", [("reading", "r", 2)], "label", "changed", {"zh": "two", "en": "two"}, {"zh": "2", "en": "2"}),
        ("c1", [("table", "t", None), ("row", "t[1]", None)], None, "removed",
         {"kind": "row", "id": "t[1]", "label": None, "expression": None, "status": "true", "result": None}, None),
        ("c1", [("cap", "k", None)], None, "added", None,
         {"kind": "cap", "id": "k", "label": None, "expression": None, "status": None, "result": "0"}),
        ("c2", [], None, "removed", {"measure": "m", "status": "eligible", "amount": "5.00"}, None),
        ("c3", [], None, "added", None, {"measure": "m", "status": "eligible", "amount": "5.00"}),
    ]
    assert compare_decisions(left, left) == []
    assert compare_decisions(right, right) == []
    assert json.dumps(changes) == json.dumps(compare_decisions(left, right))  # plain data, the same every time


def test_compare_ignores_rules_that_only_moved():
    policy = ordinance.default_policy()
    text = (POLICY_DIR / COMPUTE).read_text(encoding="utf-8")
    moved = ordinance.load_policy(POLICY_DIR, overrides={COMPUTE: "# a new first line\n" + text})
    left, right = policy.evaluate(CASE), moved.evaluate(CASE)
    assert left.results[0].trace.location != right.results[0].trace.location
    assert compare_decisions(left, right) == []


# -- the overlay of load_policy ----------------------------------------------------------------------------

def test_load_policy_overrides_replace_and_add_rule_files():
    base = ordinance.load_policy(POLICY_DIR)
    text = (POLICY_DIR / COMPUTE).read_text(encoding="utf-8")
    same = ordinance.load_policy(POLICY_DIR, overrides={COMPUTE: text})
    assert same.digest == base.digest
    named = ordinance.load_policy(POLICY_DIR, display_root="")
    assert named.digest == base.digest
    assert named.programs["compute-voucher"].measure.location.file == COMPUTE
    changed = ordinance.load_policy(POLICY_DIR, overrides={COMPUTE: text.replace("rate: 40%", "rate: 45%")})
    assert changed.digest != base.digest
    assert changed.evaluate(CASE).total == 3600000
    extra = ("article: 九\nmeasures:\n  - id: flat\n    title: {zh: 定額, en: flat}\n    benefit: money\n"
             "    quote: 升級“算力券”\n    amount: 1萬\n")
    added = ordinance.load_policy(POLICY_DIR, overrides={"rules/99-flat.yaml": extra})
    assert "flat" in added.programs and len(added.programs) == len(base.programs) + 1
    with pytest.raises(ordinance.PolicyError) as err:
        ordinance.load_policy(POLICY_DIR, overrides={"tests/x.yaml": "a: 1", "../x.yaml": "", COMPUTE: "article: ["},
                              display_root="")
    assert [(p.code, p.location.file) for p in err.value.problems] == [
        ("bad-override", "../x.yaml"), ("yaml-syntax", COMPUTE), ("bad-override", "tests/x.yaml")]
    assert not (POLICY_DIR / "rules" / "99-flat.yaml").exists()


def test_concurrent_requests_decide_as_one_at_a_time_does():
    """The server decides requests in worker threads, on one shared policy: the answers must be those
    of deciding the cases one after the other."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(7)
    kinds = ["enterprise", "university", "research-institute"]
    cases = [{"case": f"t{i}", "applicant": {"kind": rng.choice(kinds), "annual_revenue": rng.randrange(0, 2 * 10**9)},
              "claims": [{"id": "c1", "measure": "compute-voucher", "date": f"2025-{rng.randrange(1, 13):02d}-15",
                          "compute_spend": f"{rng.randrange(0, 10**9)}.{rng.randrange(100):02d}",
                          "service_qualified": rng.random() > 0.1},
                         {"id": "c2", "measure": "compute-voucher", "date": "2025-11-01",
                          "compute_spend": rng.randrange(0, 10**8), "service_qualified": True}]}
             for i in range(300)]
    policy = ordinance.default_policy()
    expected = [policy.evaluate(c, trace=bool(i % 2)).to_json() for i, c in enumerate(cases)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: inside the evaluations
    try:
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda ic: policy.evaluate(ic[1], trace=bool(ic[0] % 2)).to_json(),
                                enumerate(cases)))
    finally:
        sys.setswitchinterval(interval)
    assert got == expected


# -- headers, static files ---------------------------------------------------------------------------------

def test_every_response_carries_the_security_headers(client):
    responses = [client.get("/"), client.get("/healthz"), client.get("/openapi.json"), client.get("/v1/policies"),
                 client.get("/v1/policies/xiamen-ai-2025"), client.get("/v1/schema/case"), client.get("/nope"),
                 client.get("/static/app.css"), client.get("/static/nope.js"), client.put("/v1/decide"),
                 post(client, "/v1/decide", {"case": CASE}), post(client, "/v1/decide", {"case": 1}),
                 client.post("/v1/decide", content=b"{"), post(client, "/v1/explain", {"case": CASE, "claim": "c1"}),
                 post(client, "/v1/check", {}), post(client, "/v1/compare", {"case": CASE})]
    for r in responses:
        assert r.headers["content-security-policy"] == CSP, r.request.url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP


def test_the_page_and_its_files(client):
    static = ROOT / "ordinance" / "web" / "static"
    index = client.get("/")
    assert (static / "index.html").is_file()
    assert index.status_code == 200 and index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.content == (static / "index.html").read_bytes()
    for f in sorted(static.iterdir()):
        if f.suffix in (".js", ".css"):
            r = client.get(f"/static/{f.name}")
            assert r.status_code == 200 and r.content == f.read_bytes()
            assert r.headers["content-type"] == ("text/javascript; charset=utf-8" if f.suffix == ".js"
                                                 else "text/css; charset=utf-8")
            assert client.get(f"/static/{f.name}", headers={"if-none-match": r.headers["etag"]}).status_code == 304


def test_the_page_not_installed_is_a_404_problem_in_the_request_s_language(client, tmp_path, monkeypatch):
    """Without index.html (a package built without the page), GET / is 404 problem+json, not a 500."""
    import ordinance.web.app as web_app

    monkeypatch.setattr(web_app, "STATIC_DIR", tmp_path)
    for header, detail, language in (({}, "the web page is not installed", "en"),
                                     ({"accept-language": "zh-TW"}, "未安裝網頁", "zh-Hant")):
        r = client.get("/", headers=header)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", r.text
        body = r.json()
        assert (body["code"], body["status"], body["detail"]) == ("not-found", 404, detail)
        assert r.headers["content-language"] == language
        assert r.headers["content-security-policy"] == CSP


@pytest.mark.parametrize("path", ["/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fpolicy.py",
                                  "/static/", "/static", "/static//etc/passwd", "/static/%00"])
def test_static_paths_cannot_leave_the_folder(client, path):
    r = client.get(path)
    assert r.status_code == 404, path
    assert r.headers["content-type"] == "application/problem+json"
    assert b"import" not in r.content


# -- the real server -------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: bytes | None = None, ctype: str = "application/json") -> tuple[int, bytes, Any]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ctype} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def test_ordinance_serve_in_a_subprocess():
    port = _free_port()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ordinance.cli.main", "serve", "--port", str(port),
                             "--workers", "2", "--max-body-bytes", "4k"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body, _ = _request(base + "/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            assert proc.poll() is None, proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        assert json.loads(body)["policies"] == ["xiamen-ai-2025"]
        status, body, headers = _request(base + "/v1/decide", json.dumps({"case": CASE}).encode())
        assert status == 200 and json.loads(body)["total"] == "3200000.00"
        assert headers["Content-Security-Policy"] == CSP
        status, body, _ = _request(base + "/v1/decide", json.dumps({"case": CASE, "pad": "x" * 5000}).encode())
        assert status == 413 and json.loads(body)["code"] == "body-too-large"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err.decode()


def test_serve_with_a_broken_policy_reports_its_problems():
    from click.testing import CliRunner

    from ordinance.cli.main import main

    broken = ROOT / "tests" / "fixtures" / "broken" / "unknown-fact"
    result = CliRunner().invoke(main, ["serve", "--policy", str(broken.relative_to(ROOT)), "--port", "1"])
    assert result.exit_code == 1
    assert "tests/fixtures/broken/unknown-fact/rules/08-compute-voucher.yaml:9:15: unknown-name" in result.output
    assert "Traceback" not in result.output


def test_serve_does_not_slow_the_other_commands():
    code = ("import sys; from ordinance.cli.main import main\n"
            "try:\n    main(['check'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'anyio')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


# -- docs/api.md -----------------------------------------------------------------------------------------------

EXAMPLE_RE = re.compile(r"<!-- api: (?P<name>\S+)(?: show=(?P<show>\S+))? -->\n```http\n(?P<request>.*?)\n```\n\n"
                        r"```http\n(?P<response>.*?)\n```", re.S)
_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Content Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Content", 503: "Service Unavailable"}


def _pick(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def example_response(client: TestClient, request: str, show: str | None) -> str:
    """The response block of docs/api.md for the request block ``request``."""
    head, _, body = request.partition("\n\n")
    lines = head.splitlines()
    method, target = lines[0].split(" ", 1)
    headers = dict(line.split(": ", 1) for line in lines[1:])
    r = client.request(method, target, content=body.encode("utf-8") if body else None, headers=headers)
    out = [f"HTTP/1.1 {r.status_code} {_REASONS[r.status_code]}", f"Content-Type: {r.headers['content-type']}"]
    for name in ("Content-Language", "Content-Disposition", "Allow", "Retry-After"):
        if name.lower() in r.headers:
            out.append(f"{name}: {r.headers[name.lower()]}")
    if r.headers["content-type"].split(";")[0].endswith("json"):
        data = r.json()
        if show:
            data = {path: _pick(data, path) for path in show.split(",")}
        text = json.dumps(data, ensure_ascii=False, indent=2)
        out += ["", _DIGEST.sub("…", text)]
    return "\n".join(out)


def test_docs_api_examples_are_what_the_app_answers(client):
    text = DOC.read_text(encoding="utf-8")
    examples = list(EXAMPLE_RE.finditer(text))
    assert len(examples) >= 12
    documented = {m["request"].splitlines()[0].split(" ", 1)[1].split("?")[0] for m in examples}
    for path, _ in iter_routes(client.app):
        concrete = path.replace("{id}", "xiamen-ai-2025").replace("{path}", "app.css")
        assert concrete in documented, f"docs/api.md has no example of {path}"
    for m in examples:
        assert example_response(client, m["request"], m["show"]) == m["response"], (
            f"the example {m['name']} in docs/api.md is not what the app answers "
            "(run tests/test_web_api.py --update)")


def update(text: str) -> str:
    client = client_for()
    return EXAMPLE_RE.sub(lambda m: m.group(0).replace(
        "```http\n" + m["response"] + "\n```", "```http\n" + example_response(client, m["request"], m["show"])
        + "\n```"), text)


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_web_api.py --update   (rewrites the responses of docs/api.md)")
    old = DOC.read_text(encoding="utf-8")
    new = update(old)
    DOC.write_text(new, encoding="utf-8")
    print("docs/api.md: " + ("updated" if new != old else "unchanged"))


def _asgi_post(app, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, bytes]:
    """One request straight to the ASGI app, headers exactly as given (a client library would fix
    a wrong Content-Length before sending it)."""
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent
                                                             if m["type"] == "http.response.body")


@pytest.mark.parametrize("length", ["abc", "²", "１２", "12 34", "-5"])
def test_a_content_length_that_is_not_a_number_is_400_not_500(length):
    body = json.dumps({"case": CASE}).encode()
    status, headers, answer = _asgi_post(create_app(), "/v1/decide", body,
                                         [(b"content-type", b"application/json"),
                                          (b"content-length", length.encode("latin-1", "replace"))])
    assert status == 400, answer
    assert headers[b"content-type"].startswith(b"application/problem+json")
