"""The route handlers of the HTTP API (``/healthz``, ``/v1/...``).

Every handler reads its JSON body through :func:`read_json` (content type, size limit, UTF-8,
JSON, the engine's input limits), checks the body's fields with :func:`fields` (422 with the
path of each wrong field), runs the engine's work in a worker thread within the time limit
(:meth:`~ordinance.web.app.Service.run`), and answers deterministic JSON: the same request
gives the same bytes.  Engine errors become problem+json with the engine's codes and
locations (:mod:`ordinance.web.problems`).  The policies' own data (``/v1/policies``, the case
schema) is computed once per process.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .. import __version__
from .. import values as V
from ..decision import ClaimResult, Decision
from ..front.load import DuplicateKey, check_data, no_duplicate_keys
from ..errors import (CaseError, OrdinanceError, PolicyError, Problem, SummaryWords, did_you_mean, listed, problem_count,
                      shorten)
from ..front.load import too_deep
from ..cases.read import too_many_claims
from ..messages import in_lang, join, msg, plural, recognise
from ..policy import Policy, override_path_problem
from .common import (JSON_TYPE, REPORT_CSP, checkpoint, dumps, handler, localized, raw_json_response, request_lang,
                     service, utf8)
from .problems import ApiError, from_ordinance_error

VERSION = __version__
log = logging.getLogger("ordinance.web")


# -- reading the body ---------------------------------------------------------------------------------

class _TooLong(Exception):
    pass


def _constant(name: str) -> Any:
    raise _NotJson(name)


class _NotJson(ValueError):
    """``NaN``, ``Infinity``: constants Python's json reads and JSON does not have."""

    def __init__(self, name: str):
        super().__init__(name)
        self.text = msg("web.not-json-number", name=name)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, read within the limits (400, 413, 415, 422 otherwise)."""
    svc = service(request)
    limit = svc.max_body_bytes
    ctype = request.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    if media != JSON_TYPE and not (media.startswith("application/") and media.endswith("+json")):
        raise ApiError("unsupported-media-type", msg("web.media-type", expected=JSON_TYPE, media=media)
                       if media else msg("web.no-media-type", expected=JSON_TYPE))
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.strip().isascii() and declared.strip().isdigit()):  # not "²", which isdigit() takes
            raise ApiError("bad-request", msg("web.bad-content-length"))
        if int(declared) > limit:
            raise ApiError("body-too-large", msg("web.body-too-large", size=int(declared), most=limit),
                           headers={"Connection": "close"})
    chunks = []
    size = 0
    try:
        async with asyncio.timeout(svc.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError("body-too-large", msg("web.body-larger-than", most=limit),
                                   headers={"Connection": "close"})
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError("request-timeout", msg("web.body-timeout", seconds=f"{svc.body_timeout:g}", size=size),
                       headers={"Connection": "close"}) from None
    except ClientDisconnect:
        # the client went away mid-body: nothing to answer, nothing wrong with the server
        log.warning("client disconnected before sending the whole body of %s %s (%d bytes received)",
                 request.method, request.url.path, size)
        raise ApiError("client-disconnected", msg("web.client-went-away"),
                       headers={"Connection": "close"}) from None
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        byte = f"0x{raw[exc.start]:02x}"
        raise ApiError("encoding", msg("web.body-not-utf8", byte=byte),
                       [Problem("encoding", msg("web.not-utf8", byte=byte),
                                _body_location(line, column), msg("web.hint.utf8"))]) from None
    limits = svc.limits
    most = limits.integer_digits

    def integer(digits: str) -> int:
        if len(digits) - digits.startswith("-") > most:
            raise _TooLong(len(digits))
        return int(digits)

    try:
        data = json.loads(text, parse_float=Decimal, parse_int=integer, parse_constant=_constant,
                          object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        said = recognise("json.", exc.msg)
        raise ApiError("malformed-json", msg("web.json-at", said=said, line=exc.lineno, column=exc.colno),
                       [Problem("json-syntax", said, _body_location(exc.lineno, exc.colno),
                                msg("web.hint.one-object"))]) from None
    except DuplicateKey as exc:
        said = msg("batch.duplicate-key", key=exc.key)
        raise ApiError("malformed-json", said, [Problem("duplicate-key", said, None, msg("hint.keep-one"))]) from None
    except _TooLong as exc:
        said = msg("batch.too-many-digits", digits=exc.args[0], most=most)
        raise ApiError("invalid-request", said,
                       [Problem("literal-too-long", said, None, msg("web.hint.too-many-digits"))],
                       problem_code="literal-too-long") from None
    except _NotJson as exc:  # NaN, Infinity
        raise ApiError("malformed-json", exc.text, [Problem("json-syntax", exc.text)]) from None
    except RecursionError:
        raise ApiError("invalid-request", msg("web.body-too-deep", most=limits.max_depth),
                       [Problem("too-deep", too_deep(limits.max_depth), None, msg("hint.flatten"))],
                       problem_code="too-deep") from None
    try:
        check_data(data, "<body>", limits, None, text)
    except PolicyError as exc:
        raise ApiError("invalid-request", SummaryWords(exc), [p for p in exc.problems],
                       problem_code=exc.problems[0].code) from None
    if not isinstance(data, dict):
        raise ApiError("invalid-request", msg("web.body-not-object"),
                       [Problem("wrong-type", msg("web.body-not-object-but", kind=_json_kind(data)))],
                       problem_code="wrong-type")
    return data


def _body_location(line: int, column: int):
    from ..errors import Location

    return Location("<body>", line, column)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return msg("web.kind.boolean")
    if isinstance(value, (int, Decimal)):
        return msg("web.kind.number")
    if isinstance(value, str):
        return msg("web.kind.string")
    if isinstance(value, list):
        return msg("web.kind.array")
    return msg("web.kind.object")


def _kind(value: Any) -> str:
    """:func:`_json_kind`, or ``an empty string``."""
    return msg("web.kind.empty-string") if value == "" else _json_kind(value)


# -- checking the body's fields ----------------------------------------------------------------------

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _string(value: Any, path: str, out: list[Problem]) -> Any:
    if isinstance(value, str) and value:
        return value
    out.append(Problem("wrong-type", msg("web.field-not-string", path=path, kind=_kind(value)), path=path))
    return None


def _case(value: Any, path: str, out: list[Problem]) -> Any:
    if isinstance(value, dict) or (isinstance(value, str) and value):
        return value
    out.append(Problem("wrong-type", msg("web.field-not-case", path=path, kind=_kind(value)), path=path))
    return None


def _boolean(value: Any, path: str, out: list[Problem]) -> Any:
    if isinstance(value, bool):
        return value
    out.append(Problem("wrong-type", msg("web.field-not-bool", path=path, kind=_json_kind(value)), path=path))
    return None


def _date(value: Any, path: str, out: list[Problem]) -> Any:
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError as exc:
            said = str(exc)
            reason = msg(V.CALENDAR_REASONS[said]) if said in V.CALENDAR_REASONS else said
            out.append(Problem("bad-date", msg("web.field-not-a-date", path=path, why=reason), path=path,
                               hint=msg("web.hint.date")))
            return None
    out.append(Problem("bad-date", msg("web.field-not-date", path=path,
                                       value=repr(value) if isinstance(value, str) else _json_kind(value)),
                       path=path, hint=msg("web.hint.date")))
    return None


def _claim_id(value: Any, path: str, out: list[Problem]) -> Any:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
        return str(value)
    out.append(Problem("wrong-type", msg("web.field-not-claim-id", path=path, kind=_kind(value)), path=path))
    return None


def _format(value: Any, path: str, out: list[Problem]) -> Any:
    if value in ("json", "html"):
        return value
    out.append(Problem("not-allowed", msg("web.field-not-format", path=path, value=json.dumps(value)
                                          if isinstance(value, str) else _json_kind(value)), path=path,
                       hint=did_you_mean(str(value), ["json", "html"]) if isinstance(value, str) else None))
    return None


def _files(value: Any, path: str, out: list[Problem]) -> Any:
    if not isinstance(value, dict):
        out.append(Problem("wrong-type", msg("web.field-not-files", path=path, kind=_json_kind(value)), path=path))
        return None
    ok = True
    for name, text in value.items():
        if not isinstance(text, str):
            out.append(Problem("wrong-type", msg("web.file-not-string", name=name, kind=_json_kind(text)),
                               path=f"{path}.{name}"))
            ok = False
    return value if ok else None


def _side(value: Any, path: str, out: list[Problem]) -> Any:
    if not isinstance(value, dict):
        out.append(Problem("wrong-type", msg("web.field-not-object", path=path, kind=_json_kind(value)), path=path))
        return None
    return fields(value, SIDE, out, path + ".")


Spec = dict[str, tuple[Callable[[Any, str, list[Problem]], Any], bool]]

DECIDE: Spec = {"policy": (_string, False), "case": (_case, True), "as_of": (_date, False),
                "trace": (_boolean, False), "format": (_format, False)}
EXPLAIN: Spec = {"policy": (_string, False), "case": (_case, True), "claim": (_claim_id, True),
                 "as_of": (_date, False)}
CHECK: Spec = {"policy": (_string, False), "files": (_files, False)}
TRY: Spec = {"policy": (_string, False), "files": (_files, False), "case": (_case, False), "as_of": (_date, False)}
SIDE: Spec = {"policy": (_string, False), "files": (_files, False)}
COMPARE: Spec = {"case": (_case, True), "as_of": (_date, False), "left": (_side, False), "right": (_side, False)}


def fields(body: Mapping[str, Any], spec: Spec, out: list[Problem] | None = None, prefix: str = "") -> dict[str, Any]:
    """The body's fields checked against ``spec`` (name -> (reader, required)); raises 422 listing
    every wrong, missing or unknown field (with ``out`` given: adds to it instead)."""
    problems: list[Problem] = [] if out is None else out
    args: dict[str, Any] = {}
    for name in body:
        if name not in spec:
            problems.append(Problem("unknown-key", msg("web.unknown-key", key=f"{prefix}{shorten(name)}"),
                                    path=prefix + shorten(name),
                                    hint=did_you_mean(name, spec) or msg("web.hint.keys", keys=", ".join(spec))))
    for name, (reader, required) in spec.items():
        if name not in body:  # null is not "absent": the OpenAPI schema allows no null
            if required:
                problems.append(Problem("missing-key", msg("web.required", key=f"{prefix}{name}"), path=prefix + name))
            continue
        value = reader(body[name], prefix + name, problems)
        if value is not None:
            args[name] = value
    if out is None and problems:
        first = problems[0]
        raise ApiError("invalid-request", first.message if len(problems) == 1 else
                       plural("problem.and-more", len(problems) - 1, first=first.message),
                       problems, problem_code=first.code)
    return args


def overlay_files(files: Mapping[str, str] | None, path: str = "files") -> dict[str, str]:
    """The overlay's files, each path checked (400 for ``..``, absolute paths, non-YAML names)."""
    if not files:
        return {}
    problems = []
    for name in files:
        why = override_path_problem(name)
        if why is not None:
            problems.append(Problem("bad-override-path", msg("web.bad-path", name=name, why=why), path=f"{path}.{name}",
                                    hint=msg("web.hint.paths")))
    if problems:
        raise ApiError("bad-override-path", problems[0].message, problems)
    return dict(files)


def _overlaid(svc: Any, entry: Any, files: Mapping[str, str], lang: str = "en"
              ) -> tuple[Policy | None, list[dict[str, Any]], dict[str, int]]:
    """``entry``'s policy with ``files`` overlaid, or None and the located problems of the edited
    text (the first :data:`LISTED_PROBLEMS`, and their :func:`problem_count` if more); a path the
    loader refuses to overlay is a 400."""
    try:
        return svc.overlay(entry, files), [], {}
    except PolicyError as exc:
        _rejected_overlay(exc)
        return None, listed(exc.problems, lang), problem_count(exc.problems)


def _rejected_overlay(exc: PolicyError) -> None:
    """A path the loader refused to overlay (not a rule file of the policy) is a 400, like a bad path."""
    bad = [p for p in exc.problems if p.code == "bad-override"]
    if bad:
        raise ApiError("bad-override-path", bad[0].message, bad)


# -- GET ------------------------------------------------------------------------------------------------

@handler
async def healthz(request: Request) -> Response:
    svc = service(request)
    return raw_json_response(svc.cached("healthz", lambda: dumps({"status": "ok", "version": VERSION,
                                                                  "policies": list(svc.entries)})))


def _label(label: Any) -> dict[str, str] | None:
    return label.to_dict() if label is not None else None


def _validity(valid: Any) -> dict[str, Any]:
    return {"from": valid.start.isoformat() if valid.start else None,
            "until": valid.end.isoformat() if valid.end else None}


def _summary(entry) -> dict[str, Any]:
    info = entry.policy.policies[0].definition
    return {"id": entry.id, "title": info.title.to_dict(), "digest": entry.policy.digest,
            "measures": len(entry.policy.programs), "valid": _validity(info.valid)}


@handler
async def list_policies(request: Request) -> Response:
    svc = service(request)
    return raw_json_response(svc.cached("policies", lambda: dumps({"policies": [_summary(e) for e in
                                                                                svc.entries.values()]})))


@handler
async def policy_detail(request: Request) -> Response:
    svc = service(request)
    entry = svc.entry(request.path_params["id"], "id")
    return raw_json_response(entry.cached("detail", lambda: dumps(policy_data(entry))))


def _type(t: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": t.name}
    if t.name == "enum" and t.values:
        out["values"] = list(t.values)
    if t.name == "list" and t.element is not None:
        out["element"] = _type(t.element)
    if t.name == "money":
        out["unit"] = "元"
    return out


def _measure_reads(program: Any) -> list[str]:
    """The facts a measure reads: its claim facts, then the applicant facts its expressions read."""
    m = program.measure
    typed = program.checked.typed
    expressions = [c.when for c in m.conditions] + [e for e in (m.amount, m.ceiling, m.duration) if e is not None]
    expressions += [v.expression for v in m.values.values()]
    for table in m.tables.values():
        for row in table.rows:
            expressions += ([row.when] if row.when is not None else []) + list(row.cells.values())
    expressions += [c.limit for c in m.caps] + ([m.quota.rank_by] if m.quota is not None else [])
    read: set[str] = set()
    for e in expressions:
        t = typed.get(id(e))
        if t is not None:
            read.update(t.reads)
    applicant = [name for name in program.checked.applicant_facts if name in read]
    return list(program.claim_facts) + applicant


def policy_data(entry) -> dict[str, Any]:
    """GET /v1/policies/{id}: the policy for reading and for building a case form."""
    policy: Policy = entry.policy
    info = policy.policies[0]
    p = info.definition
    facts: dict[str, dict[str, Any]] = {}
    for name, fact in policy.applicant_facts.items():
        facts[name] = {"name": name, "scope": "applicant", **_type(fact.type), "label": fact.label.to_dict(),
                       "measures": []}
    for key, program in policy.programs.items():
        for name, fact in program.claim_facts.items():
            item = facts.setdefault(name, {"name": name, "scope": "claim", **_type(fact.type),
                                           "label": fact.label.to_dict(), "measures": []})
            item["measures"].append(key)
    parameters: dict[int, dict[str, Any]] = {id(param): _parameter(param) for param in p.parameters.values()}
    measures = []
    for key, program in policy.programs.items():
        m = program.measure
        for param in m.parameters.values():
            if id(param) not in parameters:
                parameters[id(param)] = _parameter(param)
            if not any(param is q for q in p.parameters.values()):
                parameters[id(param)]["measures"].append(key)
        measures.append({
            "id": key, "article": m.article, "title": m.title.to_dict(),
            "quote": m.citation.text if m.citation is not None else None,
            "source_line": m.citation.source_line if m.citation is not None else None,
            "benefit": m.benefit, "basis": m.basis, "exclusive": m.exclusive,
            "facts": _measure_reads(program), "file": m.location.file, "line": m.location.line,
        })
    files = {name: text for name, text in sorted(p.sources.items()) if name == "policy.yaml" or
             any(name == f.file for f in p.files)}
    tests_dir = entry.directory / "tests"
    tests = sorted(f.relative_to(entry.directory).as_posix() for f in tests_dir.glob("*.yaml")) \
        if tests_dir.is_dir() else []
    return {"id": entry.id, "title": p.title.to_dict(), "issuer": p.issuer.to_dict(),
            "issued": p.issued.isoformat() if p.issued else None, "digest": policy.digest,
            "valid": _validity(p.valid), "facts": list(facts.values()), "parameters": list(parameters.values()),
            "measures": measures, "files": files, "source": p.source_text, "tests": tests}


def _parameter(param: Any) -> dict[str, Any]:
    """A parameter; ``measures``: the measures whose own (or whose file's) parameter it is, empty
    for the policy's."""
    return {"name": param.name, "measures": [], "label": _label(param.label),
            "values": [{"from": v.start.isoformat() if v.start else None, "expression": v.expression.text}
                       for v in param.values],
            "file": param.location.file, "line": param.location.line}


@handler
async def case_schema(request: Request) -> Response:
    svc = service(request)
    unknown = [k for k in request.query_params if k != "policy"]
    if unknown:
        raise ApiError("invalid-request", msg("web.unknown-query", name=shorten(unknown[0])),
                       [Problem("unknown-key", msg("web.unknown-query", name=shorten(k)), path=shorten(k),
                                hint=msg("web.hint.query")) for k in unknown], problem_code="unknown-key")
    entry = svc.entry(request.query_params.get("policy"))
    return Response(entry.cached("schema", lambda: dumps(entry.policy.case_schema())),
                    media_type="application/schema+json")


# -- POST -----------------------------------------------------------------------------------------------

CASE_NAME = "<case>"


def evaluate(policy: Policy, case: Mapping[str, Any] | str, trace: bool, as_of: _dt.date | None,
             limits: Any, max_traced_claims: int | None = None) -> Decision:
    """Decide ``case``: plain data, or the text of a case file (YAML or JSON, read by the engine's case
    loader under ``limits``: its problems are located by line and column in ``<case>``).  With the
    trace, a case of more than ``max_traced_claims`` claims is refused (413) before it is decided."""
    if isinstance(case, str):
        from ..cases import read_case_text

        case = read_case_text(case, CASE_NAME, policy, limits)
        claims = len(case.claims)
    else:  # the engine holds a case given as data to the default limits: hold it to the server's
        for key in ("claims", "history"):
            items = case.get(key)
            if isinstance(items, list) and len(items) > limits.max_claims:
                raise CaseError([Problem("too-many-claims", too_many_claims(len(items), key, limits.max_claims), None,
                                         msg("case.hint.too-many-claims"), key)])
        claims = len(case["claims"]) if isinstance(case.get("claims"), list) else 0
    if trace and max_traced_claims is not None:
        trace_bound(claims, max_traced_claims)
    checkpoint()
    return policy.evaluate(case, trace=trace, as_of=as_of)


def trace_bound(claims: int, most: int) -> None:
    """413 when a decision with its trace (or the HTML report) of ``claims`` claims would exceed the bound."""
    if claims > most:
        message = msg("web.trace-too-large", claims=claims, most=most)
        raise ApiError("trace-too-large", message,
                       [Problem("trace-too-large", message, None, msg("web.hint.trace-too-large"), "case.claims")],
                       problem_code="trace-too-large")


def _evaluate(svc: Any, policy: Policy, case: Mapping[str, Any] | str, trace: bool, as_of: _dt.date | None,
              side: str | None = None) -> Decision:
    try:
        return evaluate(policy, case, trace, as_of, svc.limits, svc.max_traced_claims)
    except OrdinanceError as exc:
        raise from_ordinance_error(exc, prefix="case", detail=msg(
            "web.under-side", side=msg(f"web.side.{side}"), summary=SummaryWords(exc)) if side else None) from None


@handler
async def decide(request: Request) -> Response:
    """POST /v1/decide: a case in, the decision contract (or the HTML report) out."""
    svc = service(request)
    args = fields(await read_json(request), DECIDE)
    entry = svc.entry(args.get("policy"))
    html = args.get("format") == "html"
    trace = args.get("trace", html)
    case, as_of = args["case"], args.get("as_of")
    if trace and isinstance(case, dict) and isinstance(case.get("claims"), list):
        trace_bound(len(case["claims"]), svc.max_traced_claims)  # before any work

    lang = request_lang(request)

    def work() -> Any:
        decision = _evaluate(svc, entry.policy, case, trace, as_of)
        checkpoint()  # abandoned (503): do not render
        if html:
            from ..render import render

            return decision.case, render(decision, "html", lang=lang, labels=entry.policy.fact_label)
        return dumps(decision.to_dict())

    out = await svc.run(work)
    if html:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", out[0]).strip("-.")[:80] or "decision"
        return localized(Response(utf8(out[1]), media_type="text/html; charset=utf-8",
                                  headers={"Content-Security-Policy": REPORT_CSP,
                                           "Content-Disposition": f'attachment; filename="decision-{name}.html"'}),
                         lang)
    return raw_json_response(out)  # both languages, whatever the request's


@handler
async def explain(request: Request) -> Response:
    """POST /v1/explain: one claim's derivation, why (not), and the source text it cites."""
    svc = service(request)
    args = fields(await read_json(request), EXPLAIN)
    entry = svc.entry(args.get("policy"))
    lang = request_lang(request)

    def work() -> bytes:
        decision = _evaluate(svc, entry.policy, args["case"], True, args.get("as_of"))
        checkpoint()
        claim = args["claim"]
        result = next((r for r in decision.results if r.claim == claim), None)
        if result is None:
            known = [r.claim for r in decision.results]
            hint = did_you_mean(claim, known) or msg("claim.hint.its-claims",
                                                     claims=join(known) if known else msg("claim.none"))
            said = msg("claim.unknown", claim=claim)
            raise ApiError("unknown-claim", said, [Problem("unknown-claim", said, None, hint, "claim")])
        return dumps(explanation(decision, result, lang, entry.policy.fact_label))

    return localized(raw_json_response(await svc.run(work)), lang)


def _step(node: Any) -> dict[str, Any] | None:
    if node is None:
        return None
    return {"kind": node.kind, "id": node.id, "label": _label(node.label)}


def explanation(decision: Decision, result: ClaimResult, lang: str = "en", labels: Any = None) -> dict[str, Any]:
    """POST /v1/explain's answer: the claim's result (both languages, as in a decision), why (not)
    and the explanation's text in ``lang``, and the citations."""
    from ..render.explain import render_explanation, why_not

    findings = []
    for f in why_not(result, lang, labels):
        findings.append({
            "kind": f.kind, "title": f.title, "step": _step(f.node), "expression": f.expression,
            "location": f.location, "citation": f.citation.to_dict() if f.citation is not None else None,
            "inputs": [{"name": name, "value": value} for name, value in f.inputs],
            "change": list(f.change), "steps": [_step(s) for s in f.steps], "reason": f.reason,
        })
    citations = []
    seen = set()
    if result.trace is not None:
        for node in result.trace.walk():
            c = node.citation
            if c is None:
                continue
            loc = node.location
            key = (c.article, c.text, loc.file if loc else None, loc.line if loc else None)
            if key in seen:
                continue
            seen.add(key)
            citations.append({"article": c.article, "quote": c.text, "source_line": c.source_line,
                              "file": key[2], "line": key[3], "step": _step(node)})
    return {"policy": {"id": decision.policy_id, "digest": decision.policy_digest}, "case": decision.case,
            "claim": result.claim, "result": result.to_dict(),
            "explanation": {"findings": findings, "text": render_explanation(result, lang=lang, labels=labels)},
            "citations": citations}


@handler
async def check(request: Request) -> Response:
    """POST /v1/check: rule-file text in (overlaid on the policy, in memory), located problems out."""
    svc = service(request)
    args = fields(await read_json(request), CHECK)
    entry = svc.entry(args.get("policy"))
    files = overlay_files(args.get("files"))
    lang = request_lang(request)

    def work() -> bytes:
        policy, problems, more = _overlaid(svc, entry, files, lang)
        if policy is None:
            return dumps({"ok": False, "policy": entry.id, "digest": None, "measures": None, "problems": problems,
                          **more})
        return dumps({"ok": True, "policy": entry.id, "digest": policy.digest, "measures": len(policy.programs),
                      "problems": []})

    return localized(raw_json_response(await svc.run(work)), lang)


def _tests(entry) -> list[Any]:
    from ..testing import collect

    return entry.cached("tests", lambda: collect(entry.directory) if (entry.directory / "tests").is_dir() else [])


def run_tests(svc: Any, entry: Any, policy: Policy, files: Mapping[str, str], lang: str = "en") -> dict[str, Any]:
    """The policy's YAML tests against the overlaid ``policy`` (as ``ordinance test`` runs them)."""
    from dataclasses import replace

    from ..testing import run_test

    results = []
    passed = failed = 0
    for test in _tests(entry):
        checkpoint()  # abandoned (503): run no more tests
        spec = test.spec
        extra = spec.get("policies")
        target = policy
        if extra:
            base = Path(test.file).parent
            try:
                target = svc.overlay(entry, files, tuple(base / p for p in extra))
            except PolicyError as exc:
                outcome_failures = [msg("web.test-policies", summary=SummaryWords(exc)).in_lang(lang)]
                results.append(_test_result(entry, test, outcome_failures))
                failed += 1
                continue
            test = replace(test, spec={k: v for k, v in spec.items() if k != "policies"})
        outcome = run_test(test, target, entry.directory)
        results.append(_test_result(entry, test, [in_lang(f, lang) or "" for f in outcome.failures]))
        if outcome.passed:
            passed += 1
        else:
            failed += 1
    return {"passed": passed, "failed": failed, "results": results}


def _test_result(entry: Any, test: Any, failures: list[str]) -> dict[str, Any]:
    try:
        file = Path(test.file).relative_to(entry.directory).as_posix()
    except ValueError:
        file = Path(test.file).name
    return {"name": test.name, "file": file, "line": test.line, "passed": not failures, "failures": list(failures)}


@handler
async def try_policy(request: Request) -> Response:
    """POST /v1/try: the policy's tests, and a sample case, against the overlaid rule files."""
    svc = service(request)
    args = fields(await read_json(request), TRY)
    entry = svc.entry(args.get("policy"))
    files = overlay_files(args.get("files"))
    lang = request_lang(request)

    def work() -> bytes:
        policy, problems, more = _overlaid(svc, entry, files, lang)
        if policy is None:
            return dumps({"ok": False, "problems": problems, **more, "tests": None, "decision": None, "case_problems": []})
        tests = run_tests(svc, entry, policy, files, lang)
        decision = None
        case_problems: list[dict[str, Any]] = []
        if "case" in args:
            try:
                decision = evaluate(policy, args["case"], True, args.get("as_of"), svc.limits,
                                    svc.max_traced_claims).to_dict()
            except OrdinanceError as exc:
                case_problems = from_ordinance_error(exc, prefix="case").problem_dicts(lang)
        return dumps({"ok": True, "problems": [], "tests": tests, "decision": decision,
                      "case_problems": case_problems})

    return localized(raw_json_response(await svc.run(work)), lang)


@handler
async def compare(request: Request) -> Response:
    """POST /v1/compare: one case decided under two policies (or two overlays), step by step."""
    from .compare import compare_decisions

    svc = service(request)
    args = fields(await read_json(request), COMPARE)
    sides = {}
    for side in ("left", "right"):
        spec = args.get(side) or {}
        sides[side] = (svc.entry(spec.get("policy"), f"{side}.policy"), overlay_files(spec.get("files"),
                                                                                       f"{side}.files"))

    def work() -> bytes:
        decisions = {}
        for side, (entry, files) in sides.items():
            try:
                policy = svc.overlay(entry, files)
            except PolicyError as exc:
                _rejected_overlay(exc)
                raise from_ordinance_error(exc, detail=msg("web.side-does-not-load", side=msg(f"web.side.{side}"),
                                                           summary=SummaryWords(exc))) from None
            decisions[side] = _evaluate(svc, policy, args["case"], True, args.get("as_of"), side)
        checkpoint()
        changes = compare_decisions(decisions["left"], decisions["right"])
        return dumps({"left": decisions["left"].to_dict(), "right": decisions["right"].to_dict(),
                      "changes": changes, "same": not changes})

    return raw_json_response(await svc.run(work))
