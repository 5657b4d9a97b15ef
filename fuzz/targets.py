"""The fuzz targets themselves, free of atheris: the fuzzers instrument and drive them, and
tests/test_fuzz_regressions.py replays the inputs kept in fuzz/regressions/ through them.

Each target takes the raw bytes of one input and returns the problem codes the engine answered
with (``[]`` when the input was accepted).  The first byte picks what the rest is (see
:func:`loader` and :func:`case`).  Anything but the engine's own error escapes: that is a bug.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ordinance  # noqa: E402
from ordinance import batch  # noqa: E402
from ordinance.batch import worker  # noqa: E402
from ordinance.cases.read import read_case  # noqa: E402
from ordinance.front.load import Limits, decode, load_text  # noqa: E402
from ordinance.errors import OrdinanceError  # noqa: E402
from ordinance.grammar.parser import ExpressionSyntaxError, parse_text  # noqa: E402

#: Small limits keep each run fast, so the fuzzer explores more inputs (the defaults are tested elsewhere).
LIMITS = Limits(max_file_bytes=64 * 1024, max_depth=32, max_nodes=20_000, max_expression_length=2_000,
                max_expression_depth=60, max_literal_digits=200, max_line_bytes=64 * 1024)

POLICY_DIR = ROOT / "policy" / "xiamen-ai-2025"
MANIFEST = (POLICY_DIR / "policy.yaml").read_bytes()
RULE = (POLICY_DIR / "rules" / "09-model-voucher.yaml").read_bytes()
_WORK: Path | None = None
_POLICY = None


def _work() -> Path:
    """A scratch folder for this process: a policy folder, and batch input files."""
    global _WORK
    if _WORK is None:
        _WORK = Path(tempfile.mkdtemp(prefix="ordinance-fuzz-"))
        (_WORK / "policy" / "rules").mkdir(parents=True)
        (_WORK / "policy" / "source.txt").write_bytes((POLICY_DIR / "source.txt").read_bytes())
    return _WORK


def _own(exc: BaseException) -> list[str]:
    """The codes of the engine's own error; anything else is re-raised (a bug)."""
    if not isinstance(exc, OrdinanceError) or not exc.problems or not all(p.code for p in exc.problems):
        raise exc
    exc.render()  # what the CLI prints must come out too
    exc.to_dict()
    return exc.codes


def _load_policy(manifest: bytes, rule: bytes) -> list[str]:
    folder = _work() / "policy"
    (folder / "policy.yaml").write_bytes(manifest)
    (folder / "rules" / "r.yaml").write_bytes(rule)
    try:
        ordinance.load_policy(folder, limits=LIMITS)
    except Exception as exc:
        return _own(exc)
    return []


def loader(data: bytes) -> list[str]:
    """The rule-file pipeline: load (YAML) -> validate -> parse (expressions) -> check -> compile.

    First byte (mod 16): 0-5 a rule file beside the bundled manifest (``load_policy`` on a
    folder); 6-7 the manifest, beside one valid rule file; 8-9 one expression for ``parse_text``;
    otherwise ``decode`` + ``load_text`` alone.
    """
    if not data:
        return []
    mode, body = data[0] % 16, data[1:]
    if mode <= 5:
        return _load_policy(MANIFEST, body)
    if mode <= 7:
        return _load_policy(body, RULE)
    if mode <= 9:
        text = body.decode("utf-8", "replace")
        try:
            parse_text(text, LIMITS)
        except ExpressionSyntaxError as exc:
            if not (exc.code and exc.message and 0 <= exc.offset <= len(text)):
                raise AssertionError(f"a syntax error without its place: {exc.code} {exc.offset}") from exc
            return [exc.code]
        return []
    try:
        load_text(decode(body, "fuzz.yaml"), "fuzz.yaml", LIMITS)
    except Exception as exc:
        return _own(exc)
    return []


def _policy():
    global _POLICY
    if _POLICY is None:
        _POLICY = ordinance.default_policy()
    return _POLICY


def _decide(item: tuple, fmt: str) -> list[str]:
    worker.init_worker(batch.Options((), fmt == "jsonl", None, fmt, debug=True, limits=LIMITS), _policy())
    record = worker.decide(item)  # debug: an internal error raises instead of becoming a record
    if record.status not in ("decided", "error"):
        raise AssertionError(f"an internal error record: {record.out}")
    record.out.encode("utf-8")
    if record.status == "decided":
        return []
    if fmt == "jsonl":
        import json

        return [p["code"] for p in json.loads(record.out)["problems"]]
    return record.out.split(",error,,,,", 1)[1].split(",", 1)[0].split(";")


def _outcome(fn, *args):
    """What ``fn(*args)`` gives: ("ok", value) or ("error", the engine's codes); anything else escapes."""
    try:
        return ("ok", fn(*args))
    except OrdinanceError as exc:
        return ("error", sorted(exc.codes))


def _fast_paths_agree(loaded) -> None:
    """Differential check of the generated back-end against the reference, on the same data: the
    plain-case reader must give what read_case gives (or decline), the dispatch's decision what
    the reference gives (with the reference forced, and the generated code's count checked when
    it decided); the untraced decision must be the traced one without its trace."""
    from ordinance.cases.read import read_plain_case
    from ordinance.run.reference import evaluate_case

    policy, data = _policy(), loaded.data
    plain = read_plain_case(data, policy, "case.yaml")
    before = policy.engine.counts["generated"]
    dispatched = _outcome(policy.decide, data, "case.yaml")
    generated = policy.engine.counts["generated"] > before
    read = _outcome(read_case, data, policy, "case.yaml", loaded)
    if read[0] == "error":
        assert plain is None and not generated, f"a fast path accepted a case read_case refuses: {read[1]}"
        return
    assert plain is None or plain == read[1], "the plain reader and read_case read the case differently"
    off = _outcome(evaluate_case, policy, read[1], False)
    on = _outcome(evaluate_case, policy, read[1], True)
    if generated:
        assert dispatched == off, f"the generated code and the reference disagree: {dispatched} / {off}"
    if off[0] == "ok" and on[0] == "ok":
        traced = on[1].to_dict()
        for result in traced["results"]:
            result["trace"] = None
        assert off[1].to_dict() == traced, "the trace changed the decision"
    else:
        assert off[0] == on[0] and off[1] == on[1], f"trace on and off fail differently: {off} / {on}"


def case(data: bytes) -> list[str]:
    """The case reader against the bundled policy.

    First byte (mod 16): 0-7 a case file (``decode`` + ``load_text`` + ``read_case`` +
    ``evaluate`` and the decision's JSON); 8-11 one line of a ``.jsonl`` batch; otherwise a
    ``.csv`` batch (header and rows), read and decided as ``ordinance batch`` does.
    """
    if not data:
        return []
    mode, body = data[0] % 16, data[1:]
    if mode <= 7:
        try:
            loaded = load_text(decode(body, "case.yaml"), "case.yaml", LIMITS)
            _fast_paths_agree(loaded)
            decided = read_case(loaded.data, _policy(), "case.yaml", loaded)
            _policy().evaluate(decided, trace=True).to_json().encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: the CLI reports `encoding`
            return ["encoding"]
        except Exception as exc:
            return _own(exc)
        return []
    codes: list[str] = []
    if mode <= 11:
        path = _work() / "in.jsonl"
        path.write_bytes(body.replace(b"\n", b" ") + b"\n")
        for _, item in batch.items(path, "jsonl", limits=LIMITS):
            codes += _decide(item, "jsonl")
        return codes
    path = _work() / "in.csv"
    path.write_bytes(body)
    try:
        for _, item in batch.items(path, "csv", limits=LIMITS):
            codes += _decide(item, "csv")
    except Exception as exc:  # a header that cannot be read stops a CSV batch, as a CaseError
        return codes + _own(exc)
    return codes
