"""Limits: each one a clear error with a stable code, set from the API and from the CLI.

file size (file-too-large), YAML nesting (too-deep) and values with aliases counted
(too-many-nodes), expression length (expression-too-long) and depth (expression-too-deep),
digits in a number (literal-too-long), one line of batch input (line-too-long).
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordinance
from ordinance import CaseError, Limits, PolicyError
from ordinance import batch
from ordinance.batch import inputs
from ordinance.cli.main import main
from ordinance.front.load import DEFAULT_LIMITS, LoadedFile, load_text, read_limited
from ordinance.grammar import ast as A
from ordinance.grammar import parser
from ordinance.grammar.parser import (MAX_DEPTH, ExpressionSyntaxError, SourceSpan, parse_expression,
                                      parse_text)
from policy_factory import write_policy

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMIT_CODES = {"expression-too-long", "expression-too-deep", "literal-too-long"}

RULE = """\
article: 一
measures:
  - id: voucher
    title: {{zh: 券, en: voucher}}
    facts:
      claim.spend: {{type: money}}
    amount: {amount}
"""

CASE = {"case": "ok", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
        "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "800萬",
                    "service_qualified": True}]}


def cli(args, input=None, env=None):
    result = CliRunner().invoke(main, args, input=input, env={"NO_COLOR": "1", "ORDINANCE_DEBUG": None, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def syntax_error(text: str, limits: Limits | None = None) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_text(text, limits)
    return info.value


# -- the Limits record ------------------------------------------------------------------------------

def test_defaults():
    assert dataclasses.asdict(DEFAULT_LIMITS) == {
        "max_file_bytes": 4 * 1024 * 1024, "max_depth": 64, "max_nodes": 200_000,
        "max_expression_length": 65_536, "max_expression_depth": MAX_DEPTH, "max_literal_digits": 5_000,
        "max_line_bytes": 1024 * 1024, "max_claims": 10_000}
    assert ordinance.Limits is Limits


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Limits)])
@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10"])
def test_every_limit_is_a_positive_integer(field, bad):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: bad})


def test_integers_are_bounded_by_python_too():
    assert Limits(max_literal_digits=10).integer_digits == 10
    assert Limits(max_literal_digits=100_000).integer_digits == 4300  # int(str) refuses more


# -- file size ------------------------------------------------------------------------------------

def test_file_size_from_the_api(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: " + "x" * 200 + "\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        ordinance.load_case(path, limits=Limits(max_file_bytes=100))
    assert info.value.codes == ["file-too-large"] and "204 bytes, over the limit of 100" in str(info.value)
    with pytest.raises(PolicyError) as info:
        load_text("a: " + "é" * 60, "t.yaml", Limits(max_file_bytes=100))  # bytes, not characters
    assert info.value.codes == ["file-too-large"]
    assert load_text("a: " + "é" * 40, "t.yaml", Limits(max_file_bytes=100)).data == {"a": "é" * 40}


def test_a_stream_is_read_no_further_than_the_limit():
    class Endless(io.RawIOBase):
        asked: list[int] = []

        def read(self, n=-1):
            self.asked.append(n)
            return b"x" * n

    with pytest.raises(PolicyError) as info:
        read_limited(Endless(), "<stdin>", Limits(max_file_bytes=1000))
    assert info.value.codes == ["file-too-large"] and Endless.asked == [1001]


def test_file_size_from_the_cli(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE, ensure_ascii=False) + " " * 20_000, encoding="utf-8")
    assert cli(["eval", str(case)]).exit_code == 0
    # 16k: room for the policy's own files (they are read under the same limit), not for the case
    for args, env in ((["--max-file-bytes", "16k"], None), ([], {"ORDINANCE_MAX_FILE_BYTES": "16384"})):
        result = cli([*args, "eval", str(case)], env=env)
        assert result.exit_code == 1 and f"{case}:1:1: file-too-large: the file is" in result.stderr
        assert "over the limit of 16384" in result.stderr
    small = cli(["--max-file-bytes", "1k", "show"])
    assert small.exit_code == 1 and "policy.yaml:1:1: file-too-large" in small.stderr
    piped = cli(["--max-file-bytes", "16k", "eval", "-"], input=json.dumps(CASE).encode() + b" " * 20_000)
    assert piped.exit_code == 1 and "<stdin>:1:1: file-too-large" in piped.stderr


@pytest.mark.parametrize("text,size", [("1000", 1000), ("64k", 65536), ("4M", 4 * 1024 ** 2), ("1g", 1024 ** 3),
                                       ("2MiB", 2 * 1024 ** 2), (" 8 kB ", 8192)])
def test_sizes_are_written_with_units(text, size):
    from ordinance.cli.main import BYTES

    assert BYTES.convert(text, None, None) == size


@pytest.mark.parametrize("args", [["--max-file-bytes", "lots"], ["--max-file-bytes", "0"], ["--max-depth", "0"],
                                  ["--max-nodes", "-5"], ["--max-literal-digits", "x"], ["--max-line-bytes", "1T"]])
def test_a_bad_limit_is_a_usage_error(args):
    result = cli([*args, "check"])
    assert result.exit_code == 2 and "Invalid value" in result.stderr


def test_every_limit_has_an_option_and_an_environment_variable():
    help_text = cli(["--help"]).stdout
    for f in dataclasses.fields(Limits):
        assert "--" + f.name.replace("_", "-") in help_text and "ORDINANCE_" + f.name.upper() in help_text


# -- YAML nesting and values --------------------------------------------------------------------------

def test_nesting_and_values_from_the_api_and_the_cli(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("applicant: {kind: enterprise}\nclaims:\n  - {id: c1, measure: compute-voucher, "
                    "date: 2025-06-01, compute_spend: [[[[[[[[[[1]]]]]]]]]]}\n"
                    "note: [" + ", ".join(["x"] * 2000) + "]\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        ordinance.load_case(case, limits=Limits(max_depth=10))
    assert info.value.codes == ["too-deep"] and info.value.problems[0].location.line == 3
    with pytest.raises(CaseError) as info:
        ordinance.load_case(case, limits=Limits(max_nodes=1500))
    assert info.value.codes == ["too-many-nodes"] and info.value.problems[0].location.line == 4
    # the policy's own files are within these (8 levels, a few hundred values), the case is not
    assert f"{case}:3:" in cli(["--max-depth", "10", "eval", str(case)]).stderr
    assert f"{case}:4:" in cli(["--max-nodes", "1500", "eval", str(case)]).stderr
    assert "wrong-type" in cli(["eval", str(case)]).stderr  # within the defaults: the list is read, and wrong


def test_aliases_count_every_time_they_expand():
    text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a, *a]\n"  # 2 + 4 + 1 + 4 * 5 values once expanded
    assert load_text(text, "f.yaml", Limits(max_nodes=27)).data["b"][3] == [1, 2, 3, 4]
    with pytest.raises(PolicyError) as info:
        load_text(text, "f.yaml", Limits(max_nodes=26))
    assert info.value.codes == ["too-many-nodes"]


def test_a_billion_laughs_policy_through_the_cli_with_a_small_budget(tmp_path):
    lol = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]" for i in range(1, 10)]
    directory = write_policy(tmp_path / "p", {"r": RULE.format(amount="claim.spend")})
    (directory / "rules" / "lol.yaml").write_text("\n".join(lol) + "\n", encoding="utf-8")
    result = cli(["--max-nodes", "5000", "check", str(directory)])
    assert result.exit_code == 1 and "too-many-nodes: the file expands to more than 5000 values" in result.stderr


# -- expressions ------------------------------------------------------------------------------------

def test_expression_length():
    assert syntax_error("1 + 1", Limits(max_expression_length=4)).code == "expression-too-long"
    assert isinstance(parse_text("1 + 1", Limits(max_expression_length=5)), A.Chain)
    exc = syntax_error("a" * 70_000)
    assert exc.code == "expression-too-long" and "70000 characters long, over the limit of 65536" in exc.message


def test_expression_depth():
    assert isinstance(parse_text("-(-(-1))", Limits(max_expression_depth=3)), A.Negate)
    exc = syntax_error("-(-(-(-x)))", Limits(max_expression_depth=3))
    assert exc.code == "expression-too-deep" and "at most 3 levels" in exc.hint
    assert syntax_error("(" * MAX_DEPTH + "1" + " + 1)" * MAX_DEPTH).code == "expression-too-deep"
    # a run of operators of one level is one level, however long
    assert A.depth(parse_text("1" + " + 1" * MAX_DEPTH * 10)) == 2
    assert parse_text("a and b or c", Limits(max_expression_depth=3)) is not None
    assert syntax_error("a and b or c", Limits(max_expression_depth=2)).code == "expression-too-deep"


@pytest.mark.parametrize("text", ["1234", "-1234", "12.34", "1_234", "1234萬", "12.34億元", "1234%", "1234 years"])
def test_digits_in_a_literal(text):
    assert parse_text(text, Limits(max_literal_digits=4)) is not None
    exc = syntax_error("x + " + text.replace("1", "11", 1), Limits(max_literal_digits=4))
    assert exc.code == "literal-too-long" and "5 digits, over the limit of 4" in exc.message
    assert exc.offset == 4 + text.startswith("-")


def test_nine_ten_thousand_times_hits_a_limit():
    assert syntax_error("9" * 10_000).code == "literal-too-long"
    assert syntax_error("9" * 10_000, Limits(max_expression_length=9_999)).code == "expression-too-long"


def test_the_limits_reach_the_parser_from_load_policy(tmp_path):
    directory = write_policy(tmp_path / "p", {"r": RULE.format(amount="claim.spend * 30% + 12345元")})
    assert ordinance.load_policy(directory) is not None
    for limits, code in ((Limits(max_expression_length=20), "expression-too-long"),
                         (Limits(max_expression_depth=2), "expression-too-deep"),
                         (Limits(max_literal_digits=4), "literal-too-long")):
        with pytest.raises(PolicyError) as info:
            ordinance.load_policy(directory, limits=limits)
        [problem] = info.value.problems
        assert problem.code == code and problem.location.file.endswith("r.yaml") and problem.location.line == 7


def test_the_limits_reach_the_parser_from_the_cli(tmp_path):
    directory = write_policy(tmp_path / "p", {"r": RULE.format(amount="claim.spend * 30% + 12345元")})
    assert cli(["check", str(directory)]).exit_code == 0
    for option, value, where in (("--max-expression-length", "20", "7:13: expression-too-long"),
                                 ("--max-expression-depth", "2", "7:13: expression-too-deep"),
                                 ("--max-literal-digits", "4", "7:33: literal-too-long")):  # at the literal
        result = cli([option, value, "check", str(directory)])
        assert result.exit_code == 1 and f"r.yaml:{where}: " in result.stderr, result.stderr


def test_explicit_limits_win_over_the_files():
    span = SourceSpan.at("r.yaml", 3, 5, Limits(max_expression_length=3))
    with pytest.raises(PolicyError) as info:
        parse_expression("1 + 2", span)
    assert info.value.codes == ["expression-too-long"]
    assert parse_expression("1 + 2", span, limits=Limits()) is not None
    assert parse_expression("1 + 2", SourceSpan.at("r.yaml", 3, 5)) is not None  # no limits: the defaults
    loaded = load_text("x: 1 + 2\n", "r.yaml", Limits(max_expression_length=3))
    assert isinstance(loaded, LoadedFile) and loaded.span(("x",)).limits == loaded.limits


@settings(max_examples=600, **SETTINGS)
@given(st.one_of(st.text(max_size=40),
                 st.text(alphabet="0123456789_.萬%年 -+*/()[],<>=!abc\"'", max_size=40),
                 st.lists(st.sampled_from(["(", ")", "-", "not ", "[", "]", "f(", "1", "12345", "x", " + ", ","]),
                          max_size=30).map("".join)),
       st.integers(1, 12), st.integers(1, 6), st.integers(1, 5))
def test_any_text_parses_within_the_limits_or_is_the_engines_error(text, length, depth, digits):
    limits = Limits(max_expression_length=length, max_expression_depth=depth, max_literal_digits=digits)
    try:
        tree = parse_text(text, limits)
    except ExpressionSyntaxError as exc:
        assert exc.code == "syntax" or exc.code in LIMIT_CODES
        assert 0 <= exc.offset <= len(text) and exc.message
        with pytest.raises(PolicyError) as info:
            parse_expression(text, SourceSpan.at("r.yaml", 1, 1), limits=limits)
        assert info.value.codes == [exc.code]
        return
    assert len(text) <= length
    assert A.depth(tree) <= depth
    for node in A.walk(tree):
        if isinstance(node, A.Literal) and node.kind in ("number", "money", "percent", "duration"):
            assert sum(ch.isdigit() for ch in node.text) <= digits


# -- integers in YAML and JSON --------------------------------------------------------------------------

def test_digits_of_a_yaml_integer():
    assert load_text("x: 12_345\n", "f.yaml", Limits(max_literal_digits=5)).data == {"x": 12345}
    with pytest.raises(PolicyError) as info:
        load_text("a: 1\nx: 123_456\n", "f.yaml", Limits(max_literal_digits=5))
    [problem] = info.value.problems
    assert (problem.code, problem.location.line, problem.location.column) == ("literal-too-long", 2, 4)
    assert load_text("x: '123456'\n", "f.yaml", Limits(max_literal_digits=5)).data == {"x": "123456"}
    with pytest.raises(PolicyError) as info:  # beyond what Python converts, whatever the limit
        load_text("x: " + "7" * 4301, "f.yaml", Limits(max_literal_digits=10_000))
    assert info.value.codes == ["literal-too-long"]


def test_digits_of_a_json_integer_in_a_batch(tmp_path):
    source = tmp_path / "in.jsonl"
    big = json.dumps({**CASE, "case": "big"}).replace('"800\\u842c"', "1" * 30)
    source.write_text(json.dumps(CASE) + "\n" + big + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli(["--max-literal-digits", "20", "batch", str(source), "--out", str(out)])
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["total"] == "3200000.00"
    assert second["problems"][0]["code"] == "literal-too-long" and second["problems"][0]["location"]["line"] == 2


# -- one line of batch input ------------------------------------------------------------------------------

def _lines(tmp_path: Path, *sizes: int) -> Path:
    """JSON Lines whose lines are ``sizes`` bytes long (newline included), padded with a note."""
    text = ""
    for i, size in enumerate(sizes):
        line = json.dumps({**CASE, "case": f"k{i}", "note": ""}, ensure_ascii=False)
        pad = size - len(line.encode("utf-8")) - 1
        assert pad >= 0
        text += line.replace('"note": ""', '"note": "' + "x" * pad + '"') + "\n"
    path = tmp_path / "in.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_over_long_line_is_that_case_failing(tmp_path):
    source = _lines(tmp_path, 400, 401, 5000, 400)
    out = tmp_path / "out.jsonl"
    result = cli(["--max-line-bytes", "400", "batch", str(source), "--out", str(out)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["case"] for r in records] == ["k0", "line 2", "line 3", "k3"]
    for record, line in ((records[1], 2), (records[2], 3)):
        [problem] = record["problems"]
        assert problem["code"] == "line-too-long" and problem["location"]["line"] == line
    assert "over the limit of 400" in records[2]["problems"][0]["message"]
    assert records[3]["total"] == "3200000.00"


def test_an_over_long_line_is_not_read_into_memory(tmp_path, monkeypatch):
    source = _lines(tmp_path, 300, 3_000_000, 300)
    largest = []
    real_open = open

    class Spy:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def readline(self, size=-1):
            assert size > 0, "an unbounded readline"
            chunk = self.f.readline(size)
            largest.append(len(chunk))
            return chunk

    monkeypatch.setattr(inputs, "open", lambda path, mode="r", **kw: Spy(real_open(path, mode, **kw)), raising=False)
    items = list(batch.items(source, "jsonl", limits=Limits(max_line_bytes=1000)))
    assert [item[0] for _, item in items] == ["json", "bad", "json"]
    assert items[1][1][2][0].code == "line-too-long"
    assert max(largest) <= 1 << 16 and sum(largest) >= 3_000_000  # read through in bounded pieces


def test_an_over_long_csv_line_is_that_case_failing(tmp_path):
    source = tmp_path / "in.csv"
    header = "case,id,measure,date,applicant.kind,applicant.annual_revenue,compute_spend,service_qualified\n"
    row = "{},c1,compute-voucher,2025-06-01,enterprise,5億,800萬,true\n"
    source.write_text(header + row.format("a") + row.format("b" * 3000) + row.format("c"), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = cli(["--max-line-bytes", "1k", "batch", str(source), "--out", str(out)])
    assert result.exit_code == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("a,c1,compute-voucher,eligible")
    assert lines[2].startswith("line 3,,,error,,,,line-too-long,")
    assert lines[3].startswith("c,c1,compute-voucher,eligible")


def test_a_line_exactly_at_the_limit_is_read(tmp_path):
    source = _lines(tmp_path, 500, 501)
    found = [item for _, item in batch.items(source, "jsonl", limits=Limits(max_line_bytes=500))]
    assert [item[0] for item in found] == ["json", "bad"]
    assert len(found[0][3]) == 500 and found[1][2][0].code == "line-too-long"


def test_explain_reads_cases_under_the_limits_too(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE, ensure_ascii=False), encoding="utf-8")
    assert cli(["explain", str(case)]).exit_code == 0
    case.write_text(json.dumps(CASE, ensure_ascii=False) + " " * 20_000, encoding="utf-8")
    result = cli(["--max-file-bytes", "16k", "explain", str(case)])  # room for the policy's files, not the case
    assert result.exit_code == 1 and f"{case}:1:1: file-too-large" in result.stderr
    piped = cli(["--max-file-bytes", "16k", "explain", "-"], input=json.dumps(CASE).encode() + b" " * 20_000)
    assert piped.exit_code == 1 and "<stdin>:1:1: file-too-large" in piped.stderr
