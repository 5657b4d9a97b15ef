"""The OpenAPI 3.1 document of the HTTP API, written as data (served at ``/openapi.json``).

The schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect); ``tests/test_web_api.py``
validates real responses against the schema each route declares, and checks that every
route of the app is described here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .common import dumps, service

PROBLEM = "application/problem+json"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
PROBLEM_COUNT = {"type": "integer", "minimum": 1001,
                 "description": "how many problems there are, when more than the 1,000 listed"}
LABEL = {"type": "object", "properties": {"zh": STRING, "en": STRING}, "required": ["zh", "en"],
         "additionalProperties": False}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "yuan, exactly, with two decimals"}
POLICY_ID = {"type": "string", "minLength": 1, "description": "a policy id (default: the first policy served)"}
#: an overlay path the server takes: relative, written with /, no `.`/`..`/empty part, a .yaml/.yml/.json name
#: (a subset of what ``policy.override_path_problem`` allows; the policy's own `rules:` patterns decide the rest)
FILE_PATH = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.(yaml|yml|json)$"
FILES = {"type": "object", "additionalProperties": STRING,
         "propertyNames": {"pattern": FILE_PATH, "maxLength": 1024,
                           "description": "at most 1024 characters, 32 folders deep, 255 bytes a name"},
         "description": "an in-memory overlay on the policy's folder: path inside the folder (`policy.yaml`, "
                        "`rules/08-compute-voucher.yaml`, or a new file under `rules/`) -> the file's text. "
                        "The server never writes files. Paths with `..`, absolute paths and names not ending in "
                        ".yaml/.yml/.json are refused (400), and so is a path the policy's `rules:` patterns do not "
                        "match, or a file of the folder that is not a rule file (400)."}
CASE = {"anyOf": [{"type": "object"}, {"type": "string", "minLength": 1}],
        "description": "the case: an object as in a case file (see GET /v1/schema/case: `case`, `applicant`, "
                       "`claims`, `history`), or a string holding the text of a case file (YAML or JSON), read "
                       "by the engine's case loader; its problems are then located at line and column of "
                       "`<case>`"}
VALIDITY = {"type": "object", "properties": {"from": _nullable(DATE), "until": _nullable(DATE)},
            "required": ["from", "until"], "additionalProperties": False}

SCHEMAS: dict[str, Any] = {
    "Location": {"type": "object", "properties": {
        "file": STRING, "line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1},
        "end_line": {"type": "integer"}, "end_column": {"type": "integer"}},
        "required": ["file", "line", "column"], "additionalProperties": False},
    "EngineProblem": {"type": "object", "description": "one problem found (the engine's Problem.to_dict())",
                      "properties": {"code": STRING, "message": STRING, "location": _ref("Location"),
                                     "path": {"type": "string", "description": "where in the request body or case"},
                                     "hint": STRING},
                      "required": ["code", "message"], "additionalProperties": False},
    "Problem": {"type": "object", "description": "an error (RFC 9457 application/problem+json)",
                "properties": {
                    "type": {"type": "string", "pattern": "^https://ordinance\\.dev/problems/[a-z0-9-]+$"},
                    "title": STRING, "status": {"type": "integer", "minimum": 400, "maximum": 599},
                    "detail": STRING, "code": {"type": "string", "description": "the engine's stable code (of the "
                                               "first problem), or the API's: malformed-json, body-too-large, ..."},
                    "problems": {"type": "array", "items": _ref("EngineProblem"),
                                 "description": "the first 1,000 problems found"},
                    "problem_count": PROBLEM_COUNT,
                    "title_zh": {"type": "string", "description": "the title in Chinese, beside the English, when "
                                 "the server answered before it had read a request head to say a language (a raw "
                                 "400 bad-request, 408 request-timeout or 503 too-many-connections)"},
                    "detail_zh": {"type": "string", "description": "the detail in Chinese, beside the English, "
                                  "when title_zh is given"}},
                "required": ["type", "title", "status", "detail", "code", "problems"], "additionalProperties": False},
    "Health": {"type": "object", "properties": {"status": {"const": "ok"}, "version": STRING,
                                                "policies": STRINGS},
               "required": ["status", "version", "policies"], "additionalProperties": False},
    "PolicySummary": {"type": "object", "properties": {
        "id": STRING, "title": LABEL, "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "measures": {"type": "integer"}, "valid": VALIDITY},
        "required": ["id", "title", "digest", "measures", "valid"], "additionalProperties": False},
    "PolicyList": {"type": "object", "properties": {"policies": {"type": "array", "items": _ref("PolicySummary")}},
                   "required": ["policies"], "additionalProperties": False},
    "FactType": {"type": "object", "properties": {
        "type": {"enum": ["money", "number", "rate", "date", "duration", "bool", "string", "enum", "list"]},
        "values": STRINGS, "element": {"$ref": "#/components/schemas/FactType"}, "unit": STRING},
        "required": ["type"]},
    "Fact": {"allOf": [_ref("FactType")], "type": "object", "properties": {
        "name": STRING, "scope": {"enum": ["applicant", "claim"]}, "label": LABEL,
        "measures": {**STRINGS, "description": "the measures that read this claim fact"}},
        "required": ["name", "scope", "type", "label", "measures"]},
    "Parameter": {"type": "object", "properties": {
        "name": STRING, "measures": STRINGS, "label": _nullable(LABEL),
        "values": {"type": "array", "items": {"type": "object", "properties": {
            "from": _nullable(DATE), "expression": STRING}, "required": ["from", "expression"],
            "additionalProperties": False}},
        "file": STRING, "line": {"type": "integer"}},
        "required": ["name", "measures", "label", "values", "file", "line"], "additionalProperties": False},
    "Measure": {"type": "object", "properties": {
        "id": STRING, "article": STRING, "title": LABEL, "quote": _nullable(STRING),
        "benefit": {"enum": ["money", "assessed", "in-kind", "support"]}, "basis": {"enum": ["exact", "maximum"]},
        "source_line": _nullable({"type": "integer", "description": "the quote's line in the source text"}),
        "exclusive": _nullable(STRING), "facts": {**STRINGS, "description": "the facts the measure reads"},
        "file": {"type": "string", "description": "its rule file, relative to the policy folder"},
        "line": {"type": "integer"}},
        "required": ["id", "article", "title", "quote", "source_line", "benefit", "basis", "exclusive", "facts",
                     "file", "line"],
        "additionalProperties": False},
    "PolicyDetail": {"type": "object", "properties": {
        "id": STRING, "title": LABEL, "issuer": LABEL, "issued": _nullable(DATE),
        "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "valid": VALIDITY,
        "facts": {"type": "array", "items": _ref("Fact")},
        "parameters": {"type": "array", "items": _ref("Parameter")},
        "measures": {"type": "array", "items": _ref("Measure")},
        "files": {"type": "object", "additionalProperties": STRING,
                  "description": "policy.yaml and every rule file: path -> text"},
        "source": _nullable(STRING), "tests": {**STRINGS, "description": "the policy's test files"}},
        "required": ["id", "title", "issuer", "issued", "digest", "valid", "facts", "parameters", "measures",
                     "files", "source", "tests"], "additionalProperties": False},
    "Citation": {"type": "object", "properties": {"article": STRING, "text": STRING,
                                                  "source_line": {"type": "integer"}},
                 "required": ["article", "text"], "additionalProperties": False},
    "TraceNode": {"type": "object", "description": "one step of the derivation", "properties": {
        "kind": STRING, "id": STRING, "label": LABEL, "location": {"type": "string", "description":
                                                                   "file:line:column of the rule"},
        "citation": _ref("Citation"), "expression": STRING, "inputs": {"type": "object"},
        "input_names_zh": {"type": "object", "additionalProperties": STRING, "description":
                           "the Chinese of the inputs the engine names itself (a cap's `remaining`, `year`): "
                           "input name -> Chinese; a fact's label is the policy's (`/v1/policies/{id}`)"},
        "types": {"type": "object", "additionalProperties": STRING},
        "status": {"enum": ["true", "false", "undetermined", "eligible", "ineligible", "superseded"]},
        "result": {}, "notes": STRINGS, "notes_zh": {**STRINGS, "description": "the notes in Chinese, one for each of `notes`, in the same order"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/TraceNode"}}},
        "required": ["kind", "id"], "additionalProperties": False},
    "ClaimResult": {"type": "object", "properties": {
        "claim": STRING, "measure": STRING, "policy": STRING,
        "status": {"enum": ["eligible", "ineligible", "undetermined", "superseded"]},
        "amount": _nullable(MONEY), "basis": {"enum": ["exact", "maximum"]},
        "benefit": {"enum": ["money", "assessed", "in-kind", "support"]}, "ceiling": MONEY, "duration": STRING,
        "reasons": {"type": "array", "items": {"type": "object", "properties": {"code": STRING, "zh": STRING,
                                                                               "en": STRING},
                                               "required": ["code", "zh", "en"]}},
        "missing": STRINGS,
        "bounds": {"type": "object", "description": "an undetermined claim's bounds: the least and the most it "
                   "can come to (at_most null: no upper bound is known), and the undetermined claims of the case "
                   "it waits on (`case:claim` for another case's, under a quota)",
                   "properties": {"at_least": MONEY, "at_most": _nullable(MONEY), "depends_on": STRINGS},
                   "required": ["at_least", "at_most", "depends_on"], "additionalProperties": False},
        "notes": STRINGS, "notes_zh": {**STRINGS, "description": "the notes in Chinese, one for each of `notes`, in the same order"},
        "quota": {"type": "object"}, "superseded_by": STRING,
        "trace": _nullable(_ref("TraceNode"))},
        "required": ["claim", "measure", "status", "amount", "basis", "benefit", "reasons", "missing", "trace"],
        "additionalProperties": False},
    "Decision": {"type": "object", "description": "the decision contract (`ordinance eval --format json`)",
                 "properties": {
                     "policy": {"type": "object", "properties": {"id": STRING, "digest": STRING},
                                "required": ["id", "digest"], "additionalProperties": False},
                     "policies": {"type": "array", "items": {"type": "object"}},
                     "case": STRING, "as_of": DATE,
                     "results": {"type": "array", "items": _ref("ClaimResult")}, "total": MONEY,
                     "open": {"type": "object", "description": "the money still open: the undetermined money "
                              "claims, and the least and the most they come to together (the sum of their "
                              "bounds; at_most null: no upper bound is known)",
                              "properties": {"claims": STRINGS, "at_least": MONEY, "at_most": _nullable(MONEY)},
                              "required": ["claims", "at_least", "at_most"], "additionalProperties": False}},
                 "required": ["policy", "case", "results", "total"], "additionalProperties": False},
    "DecideRequest": {"type": "object", "properties": {
        "policy": POLICY_ID, "case": CASE, "as_of": {**DATE, "description": "the date of evaluation"},
        "trace": {"type": "boolean", "description": "record the derivation (default: false; true for html)"},
        "format": {"enum": ["json", "html"], "description": "json: the decision; html: the self-contained report"}},
        "required": ["case"], "additionalProperties": False},
    "ExplainRequest": {"type": "object", "properties": {
        "policy": POLICY_ID, "case": CASE, "claim": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}]}, "as_of": DATE},
        "required": ["case", "claim"], "additionalProperties": False},
    "Step": _nullable({"type": "object", "properties": {"kind": STRING, "id": STRING, "label": _nullable(LABEL)},
                       "required": ["kind", "id", "label"], "additionalProperties": False}),
    "Finding": {"type": "object", "description": "one thing that kept the claim from its benefit", "properties": {
        "kind": {"enum": ["condition", "validity", "table", "missing", "depends", "one-time", "superseded", "quota",
                          "cap", "other"]},
        "title": STRING, "step": _ref("Step"), "expression": _nullable(STRING), "location": _nullable(STRING),
        "citation": _nullable(_ref("Citation")),
        "inputs": {"type": "array", "items": {"type": "object", "properties": {"name": STRING, "value": STRING},
                                              "required": ["name", "value"], "additionalProperties": False}},
        "change": {**STRINGS, "description": "what would have to change"},
        "steps": {"type": "array", "items": _ref("Step")}, "reason": _nullable({"type": "object"})},
        "required": ["kind", "title", "step", "expression", "location", "citation", "inputs", "change", "steps",
                     "reason"], "additionalProperties": False},
    "ExplainResponse": {"type": "object", "properties": {
        "policy": {"type": "object", "properties": {"id": STRING, "digest": STRING}},
        "case": STRING, "claim": STRING, "result": _ref("ClaimResult"),
        "explanation": {"type": "object", "properties": {
            "findings": {"type": "array", "items": _ref("Finding")},
            "text": {"type": "string", "description": "what `ordinance explain` prints"}},
            "required": ["findings", "text"], "additionalProperties": False},
        "citations": {"type": "array", "items": {"type": "object", "properties": {
            "article": STRING, "quote": STRING, "source_line": _nullable({"type": "integer"}),
            "file": _nullable(STRING), "line": _nullable({"type": "integer"}), "step": _ref("Step")},
            "required": ["article", "quote", "source_line", "file", "line", "step"], "additionalProperties": False}}},
        "required": ["policy", "case", "claim", "result", "explanation", "citations"], "additionalProperties": False},
    "CheckRequest": {"type": "object", "properties": {"policy": POLICY_ID, "files": FILES},
                     "additionalProperties": False},
    "CheckResponse": {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "policy": STRING, "digest": _nullable(STRING),
        "measures": _nullable({"type": "integer"}),
        "problems": {"type": "array", "items": _ref("EngineProblem"),
                     "description": "the problems (the first 1,000), located in the files by their paths as given"},
        "problem_count": PROBLEM_COUNT},
        "required": ["ok", "policy", "digest", "measures", "problems"], "additionalProperties": False},
    "TryRequest": {"type": "object", "properties": {"policy": POLICY_ID, "files": FILES, "case": CASE,
                                                    "as_of": DATE}, "additionalProperties": False},
    "TestResult": {"type": "object", "properties": {
        "name": STRING, "file": STRING, "line": {"type": "integer"}, "passed": {"type": "boolean"},
        "failures": {**STRINGS, "description": "what the test expected against what came out, in the language "
                                                "of Accept-Language"}},
        "required": ["name", "file", "line", "passed", "failures"],
        "additionalProperties": False},
    "TryResponse": {"type": "object", "properties": {
        "ok": {"type": "boolean", "description": "whether the rule files load (with the overlay)"},
        "problems": {"type": "array", "items": _ref("EngineProblem")},
        "problem_count": PROBLEM_COUNT,
        "tests": _nullable({"type": "object", "properties": {
            "passed": {"type": "integer"}, "failed": {"type": "integer"},
            "results": {"type": "array", "items": _ref("TestResult")}},
            "required": ["passed", "failed", "results"], "additionalProperties": False}),
        "decision": _nullable(_ref("Decision")),
        "case_problems": {"type": "array", "items": _ref("EngineProblem"),
                          "description": "why the sample case could not be decided (its problems)"}},
        "required": ["ok", "problems", "tests", "decision", "case_problems"], "additionalProperties": False},
    "Side": {"type": "object", "properties": {"policy": POLICY_ID, "files": FILES}, "additionalProperties": False},
    "CompareRequest": {"type": "object", "properties": {
        "case": CASE, "as_of": DATE, "left": _ref("Side"), "right": _ref("Side")},
        "required": ["case"], "additionalProperties": False},
    "PathStep": {"type": "object", "properties": {
        "kind": STRING, "id": STRING, "label": _nullable(LABEL),
        "occurrence": {"type": "integer", "minimum": 2, "description": "the n-th sibling of this kind and id"}},
        "required": ["kind", "id", "label"], "additionalProperties": False},
    "Change": {"type": "object", "properties": {
        "claim": _nullable(STRING),
        "path": {"type": "array", "items": _ref("PathStep"),
                 "description": "the trace steps from the claim's root (exclusive) to the step; empty for a "
                                "field of the claim's result (or the total)"},
        "field": _nullable({"type": "string", "description": "the field that differs (none: the whole "
                                                             "step or claim was added or removed)"}),
        "kind": {"enum": ["changed", "added", "removed"]}, "left": {}, "right": {},
        "left_zh": {**_nullable(STRINGS), "description": "for a change of `notes`: the left notes in Chinese"},
        "right_zh": {**_nullable(STRINGS), "description": "for a change of `notes`: the right notes in Chinese"}},
        "required": ["claim", "path", "field", "kind", "left", "right"], "additionalProperties": False},
    "CompareResponse": {"type": "object", "properties": {
        "left": _ref("Decision"), "right": _ref("Decision"),
        "changes": {"type": "array", "items": _ref("Change")}, "same": {"type": "boolean"}},
        "required": ["left", "right", "changes", "same"], "additionalProperties": False},
}


def _problems(*statuses: int) -> dict[str, Any]:
    words = {400: "the body is not JSON, or an overlay path is not allowed", 404: "no such policy (or claim)",
             405: "the method is not allowed on this path (the Allow header lists those that are)",
             408: "the body did not arrive within the body deadline",
             413: "the body is larger than the limit, or a decision with its trace would have more claims than "
                  "the limit (trace-too-large)", 415: "the body is not sent as application/json",
             422: "a field, the case or the policy is wrong: the engine's code and locations",
             500: "an internal error (logged; no details are given)",
             503: "the request took longer than the time limit (time-limit), or the server has too many "
                  "connections open (too-many-connections)"}
    return {str(s): {"description": words[s], "content": {PROBLEM: {"schema": _ref("Problem")}}} for s in statuses}


def _ok(schema: str, description: str, media: str = JSON) -> dict[str, Any]:
    return {"200": {"description": description, "content": {media: {"schema": _ref(schema)}}}}


def _post(summary: str, request: str, response: str, description: str, *, extra: dict[str, Any] | None = None,
          statuses: tuple[int, ...] = (400, 404, 408, 413, 415, 422, 500, 503)) -> dict[str, Any]:
    responses = {**_ok(response, "the result"), **(extra or {}), **_problems(*statuses)}
    return {"post": {"summary": summary, "description": description, "operationId": response[0].lower() + response[1:],
                     "parameters": [ACCEPT_LANGUAGE],
                     "requestBody": {"required": True, "content": {JSON: {"schema": _ref(request)}}},
                     "responses": responses}}


#: the language of an answer's words (ordinance.messages.accept_lang)
ACCEPT_LANGUAGE: dict[str, Any] = {
    "name": "Accept-Language", "in": "header", "required": False, "schema": STRING, "example": "zh-Hant",
    "description": "The language of the answer's words: the title and detail of a problem, each problem's "
                   "message and hint, the problems of /v1/check and /v1/try, the explanation of /v1/explain and "
                   "the HTML report of /v1/decide. English (en) or Traditional Chinese (zh, zh-Hant, zh-TW, "
                   "zh-CN, ...), by quality (q); English when neither is asked for. The answer says which in "
                   "Content-Language, and Vary: Accept-Language. The JSON is the same shape in both; a decision "
                   "(JSON) carries both languages whatever is asked."}


def _with_500(paths: dict[str, Any]) -> dict[str, Any]:
    """Any operation may fail with an internal error (500, logged, no details); any path answers
    405 to a method it does not serve."""
    for item in paths.values():
        for op in item.values():
            op["responses"].setdefault("405", _problems(405)["405"])
            op["responses"].setdefault("500", _problems(500)["500"])
    return paths


PATHS: dict[str, Any] = _with_500({
    "/": {"get": {"summary": "The web workbench (single-page app)", "operationId": "index",
                  "responses": {"200": {"description": "index.html", "content": {"text/html": {"schema": STRING}}},
                                **_problems(404)}}},
    "/static/{path}": {"get": {"summary": "A file of the web workbench", "operationId": "static",
                               "parameters": [{"name": "path", "in": "path", "required": True, "schema": STRING}],
                               "responses": {"200": {"description": "the file"}, **_problems(404)}}},
    "/healthz": {"get": {"summary": "Liveness, version and the policies served", "operationId": "healthz",
                         "responses": _ok("Health", "the server is up")}},
    "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                              "responses": {"200": {"description": "OpenAPI 3.1",
                                                    "content": {JSON: {"schema": {"type": "object"}}}}}}},
    "/v1/policies": {"get": {"summary": "The policies served", "operationId": "listPolicies",
                             "responses": _ok("PolicyList", "one entry per policy")}},
    "/v1/policies/{id}": {"get": {
        "summary": "One policy: measures, facts, parameters, rule files, source text, tests",
        "operationId": "getPolicy",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": STRING}],
        "responses": {**_ok("PolicyDetail", "the policy"), **_problems(404)}}},
    "/v1/schema/case": {"get": {
        "summary": "The JSON Schema of cases for a policy", "operationId": "caseSchema",
        "parameters": [{"name": "policy", "in": "query", "required": False, "schema": STRING}],
        "responses": {"200": {"description": "JSON Schema 2020-12",
                              "content": {"application/schema+json": {"schema": {"type": "object"}}}},
                      **_problems(404, 422)}}},
    "/v1/decide": _post("Decide a case", "DecideRequest", "Decision",
                        "The decision contract, as `ordinance eval --format json` gives it; with "
                        "`format: html` the self-contained HTML report, as a download.",
                        extra={"200": {"description": "the decision (json) or the report (html)", "content": {
                            JSON: {"schema": _ref("Decision")},
                            "text/html": {"schema": STRING}}}}),
    "/v1/explain": _post("Explain one claim", "ExplainRequest", "ExplainResponse",
                         "The claim's result with its derivation, what kept it from its benefit and what would "
                         "have to change, and the source text cited."),
    "/v1/check": _post("Check rule-file text", "CheckRequest", "CheckResponse",
                       "The policy with the files given overlaid in memory is loaded and checked; the problems "
                       "are located in the files by the paths given (line, column)."),
    "/v1/try": _post("Run the policy's tests and a sample case against rule-file text", "TryRequest", "TryResponse",
                     "The overlaid policy's YAML tests (as `ordinance test` runs them) and, given a case, its "
                     "decision with the derivation."),
    "/v1/compare": _post("Decide one case under two policies and compare step by step", "CompareRequest",
                         "CompareResponse", "Each side is a served policy, optionally with an overlay; the "
                         "changes list every field and derivation step that differs."),
})

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "ordinance HTTP API", "version": "1",
             "description": "Decide subsidy claims from rule files and explain every step. Errors are "
                            "application/problem+json carrying the engine's stable codes and locations. "
                            "Money is always a decimal string; responses are deterministic. The words of an "
                            "answer (problems, hints, explanations, the HTML report) are in English or Traditional "
                            "Chinese, as the Accept-Language header asks (Content-Language says which); codes, "
                            "paths and locations are the same in both."},
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "paths": PATHS,
    "components": {"schemas": SCHEMAS},
}


def document() -> dict[str, Any]:
    """The OpenAPI document (the same object every time: do not modify it)."""
    return DOCUMENT


async def openapi_route(request: Request) -> Response:
    svc = service(request)
    return Response(svc.cached("openapi", lambda: dumps(DOCUMENT)), media_type=JSON)
