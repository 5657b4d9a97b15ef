"""The API and its OpenAPI document agree (ordinance/web/openapi.py): request bodies generated from
each route's declared request schema are never refused for their shape, and every answer is one the
route declares, with the schema it declares; a null where the schema has none is refused.  The run
takes well under a minute.

The bodies are drawn by :func:`from_schema`, a strategy for the part of JSON Schema the document's
request schemas use (objects, ``$ref``, ``anyOf``, ``enum``, strings with a length, a pattern or the
date format, booleans, integers).  hypothesis-jsonschema would do it, but its last release (0.23.1)
fails on the hypothesis this project uses (``'many' object has no attribute 'more'``).
"""

from __future__ import annotations

import json
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ordinance.web import create_app
from ordinance.web.openapi import document

from test_web_api import conforms



def from_schema(schema: dict, root: dict | None = None, depth: int = 0):
    """A hypothesis strategy of the JSON values ``schema`` allows (the subset the request schemas use)."""
    import datetime as dt

    from hypothesis import strategies as st

    root = root or schema
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return from_schema(target, root, depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, root, depth) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, root, depth) for k in kind])
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(-10**6, 10**6)
    if kind == "string":
        if schema.get("format") == "date":
            return st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(dt.date.isoformat)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=20)
    if kind == "object":
        props = schema.get("properties")
        if props is not None:
            required = set(schema.get("required", ()))
            return st.fixed_dictionaries(
                {k: from_schema(v, root, depth + 1) for k, v in props.items() if k in required},
                optional={k: from_schema(v, root, depth + 1) for k, v in props.items() if k not in required})
        if "additionalProperties" in schema:
            names = schema.get("propertyNames", {})
            keys = st.from_regex(names["pattern"], fullmatch=True) if "pattern" in names else st.text(max_size=12)
            return st.dictionaries(keys, from_schema(schema["additionalProperties"], root, depth + 1), max_size=3)
        return _any_object(depth)
    if not schema:
        return _any_json(depth)
    raise AssertionError(f"from_schema does not know {schema}")


def _any_json(depth: int):
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12) | st.sampled_from(
        ["2025-06-01", "compute-voucher", "c1", "800萬", "enterprise"])
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["case", "claims", "applicant", "id", "measure", "date", "kind", "history", "x"]), inner,
        max_size=4), max_leaves=10)


def _any_object(depth: int):
    from hypothesis import strategies as st

    return st.dictionaries(st.sampled_from(["case", "claims", "applicant", "history", "as_of", "x"]),
                           _any_json(depth + 1), max_size=4)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: the codes of the API's own checks of a body's fields (what the schema describes)
FIELD_CODES = {"wrong-type", "missing-key", "unknown-key", "not-allowed", "bad-date"}
ROUTES = {"/v1/decide": ("DecideRequest", 60), "/v1/explain": ("ExplainRequest", 60),
          "/v1/check": ("CheckRequest", 30), "/v1/compare": ("CompareRequest", 40),
          "/v1/try": ("TryRequest", 4)}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(time_limit_seconds=60), raise_server_exceptions=False)


def request_schema(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}


def post(client, path, body):
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                       headers={"content-type": "application/json"})


def check_answer(path: str, body: dict, r) -> None:
    data = conforms(r, path)  # a declared status, with its declared media type and schema
    assert r.status_code != 500, (body, r.text)
    if r.status_code == 400:  # the policy's own rule patterns: not something a schema can say
        assert data["code"] == "bad-override-path" and data["problems"][0]["code"] == "bad-override", (body, data)
    if r.status_code == 422:
        shape = [p for p in data["problems"]
                 if p["code"] in FIELD_CODES and not str(p.get("path", "")).startswith("case")]
        assert not shape, f"{path}: a body the schema allows was refused for its shape: {body!r} -> {shape}"


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_bodies_the_schema_allows_are_never_refused_for_their_shape(client, path):
    from hypothesis import HealthCheck, given, settings

    name, examples = ROUTES[path]

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(from_schema(request_schema(name)))
    def run(body):
        check_answer(path, body, post(client, path, body))

    run()


NULLABLE_NOWHERE = [("/v1/decide", {"case": {}}, k) for k in ("policy", "as_of", "trace", "format", "case")] + \
    [("/v1/explain", {"case": {}, "claim": "c1"}, k) for k in ("policy", "as_of", "claim")] + \
    [("/v1/check", {}, k) for k in ("policy", "files")] + \
    [("/v1/compare", {"case": {}}, k) for k in ("as_of", "left", "right")]


@pytest.mark.parametrize("path,body,key", NULLABLE_NOWHERE)
def test_null_is_refused_where_the_schema_has_no_null(client, path, body, key):
    """Before: `"policy": null` was taken as "no policy given", `"files": null` as no files."""
    r = post(client, path, {**body, key: None})
    data = conforms(r, path)
    assert r.status_code == 422, r.text
    assert data["problems"][0]["path"] == key and "not null" in data["problems"][0]["message"]


@pytest.mark.parametrize("path,body,message", [
    ("/v1/explain", {"case": {}, "claim": ""},
     "`claim` must be a claim id (a non-empty string, or an integer), not an empty string"),
    ("/v1/decide", {"case": ""},
     "`case` must be an object (the case) or a non-empty string (the text of a case file, YAML or JSON), "
     "not an empty string"),
    ("/v1/decide", {"case": {}, "policy": ""}, "`policy` must be a non-empty string, not an empty string"),
])
def test_empty_strings_the_schema_forbids_are_refused_in_its_words(client, path, body, message):
    r = post(client, path, body)
    data = conforms(r, path)
    assert r.status_code == 422 and data["problems"][0]["message"] == message


def test_every_operation_declares_405_and_the_app_answers_it(client):
    for path, item in document()["paths"].items():
        for op in item.values():
            assert "405" in op["responses"], path
    r = client.put("/v1/decide")
    conforms(r, "/v1/decide")
    assert r.status_code == 405 and "POST" in r.headers["allow"]
