"""The command line, through click's CliRunner and one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ordinance.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "compute-voucher.yaml")


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_eval_text_explains_the_decision():
    result = run("eval", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "ELIGIBLE  3,200,000.00 元 (320萬)" in result.output
    assert "capped per entity per year" in result.output
    assert "Total due: 4,000,000.00 元 (400萬)" in result.output
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_eval_json_is_the_decision_contract(tmp_path):
    out = tmp_path / "d.json"
    result = run("eval", EXAMPLE, "--format", "json", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data) == ["policy", "case", "results", "total"]
    assert data["total"] == "4000000.00"
    assert [r["status"] for r in data["results"]] == ["eligible", "eligible"]


def test_eval_reads_standard_input():
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    result = run("eval", "-", "--format", "json", "--no-trace", input=text)
    assert result.exit_code == 0
    assert json.loads(result.output)["results"][0]["trace"] is None


def test_bad_case_is_reported_with_position_and_exit_1(tmp_path):
    case = tmp_path / "bad.yaml"
    case.write_text("claims:\n  - id: c1\n    measure: compute-vouchr\n    date: 2025-06-01\n", encoding="utf-8")
    result = run("eval", str(case))
    assert result.exit_code == 1
    assert f"{case}:3:14: unknown-measure: unknown measure `compute-vouchr`" in result.output
    assert "did you mean `compute-voucher`?" in result.output
    assert "Traceback" not in result.output


def test_unreadable_case_file_is_exit_1(tmp_path):
    result = run("eval", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "file-unreadable" in result.output


def test_usage_error_is_exit_2():
    assert run("eval").exit_code == 2
    assert run("eval", EXAMPLE, "--format", "pdf").exit_code == 2


def test_check_clean_and_broken(tmp_path):
    result = run("check", str(ROOT / "policy" / "xiamen-ai-2025"))
    assert result.exit_code == 0 and result.output.startswith("ok: xiamen-ai-2025")
    broken = tmp_path / "p"
    (broken / "rules").mkdir(parents=True)
    (broken / "policy.yaml").write_text(
        "policy: p\ntitle: t\nissuer: i\nissued: 2025-01-01\nvalid: {from: 2025-01-01}\n", encoding="utf-8")
    (broken / "rules" / "r.yaml").write_text(
        "article: 一\nmeasures:\n  - id: m\n    title: m\n    amount: claim.spend * 30%\n    basis: maximal\n",
        encoding="utf-8")
    result = run("check", str(broken))
    assert result.exit_code == 1
    assert "not-allowed" in result.output and "did you mean `maximum`?" in result.output


def test_help_on_every_command_has_an_example():
    for command in ("eval", "check"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output


def test_installed_console_script_runs_in_a_fresh_process():
    exe = Path(sys.executable).parent / "ordinance"
    proc = subprocess.run([str(exe), "eval", EXAMPLE, "--format", "json"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == "4000000.00"


def _policy_with_tests(tmp_path, tests: str):
    """The bundled policy copied, with ``tests`` as its only test file."""
    import shutil

    target = tmp_path / "p"
    shutil.copytree(ROOT / "policy" / "xiamen-ai-2025", target)
    for extra in (target / "tests").glob("*.yaml"):
        extra.unlink()
    (target / "tests" / "t.yaml").write_text(tests, encoding="utf-8")
    return target


#: one compute-voucher claim of 100萬 by an enterprise of 5億: 40萬 due
_VOUCHER_CASE = ("{applicant: {kind: enterprise, annual_revenue: 5億}, claims: [{id: c1, measure: compute-voucher,"
                 " date: 2025-06-01, compute_spend: 100萬, service_qualified: true}]}")


def test_test_command_passes_and_fails(tmp_path):
    target = _policy_with_tests(tmp_path, (
        "tests:\n"
        "  - name: right\n"
        f"    case: {_VOUCHER_CASE}\n"
        "    want: {results: {c1: {status: eligible, amount: 40萬}}}\n"
        "  - name: wrong\n"
        f"    case: {_VOUCHER_CASE}\n"
        "    want: {results: {c1: {status: eligible, amount: 50萬}}}\n"))
    result = run("test", str(target))
    assert result.exit_code == 1
    assert "c1: amount is 400000.00, expected 500000.00" in result.output
    assert result.output.rstrip().endswith("1 passed, 1 failed")


_FAILING_TESTS = (
    "tests:\n"
    "  - name: right\n"
    f"    case: {_VOUCHER_CASE}\n"
    "    want: {results: {c1: {status: eligible, amount: 40萬}}}\n"
    "  - name: wrong\n"
    f"    case: {_VOUCHER_CASE}\n"
    "    want: {total: 1, results: {c1: {status: ineligible, amount: 50萬, reasons: [x]}, c9: {status: eligible}}}\n"
    "    trace_contains: {c1: [nothing like this]}\n"
    "  - name: refused\n"
    "    case: {applicant: {kind: enterprise}, claims: [{id: c1, measure: compute-vouchr}]}\n"
    "    want_error: case-shape\n")


@pytest.fixture()
def failing_policy(tmp_path):
    return _policy_with_tests(tmp_path, _FAILING_TESTS)


def test_test_command_says_its_failures_in_english(failing_policy):
    result = run("test", "-v", str(failing_policy))
    assert result.exit_code == 1
    where = failing_policy / "tests" / "t.yaml"
    for line in (f"PASS {where}:2: right", f"FAIL {where}:5: wrong",
                 "  total is 400000.00, expected 1.00",
                 "  c1: status is eligible, expected ineligible (reasons: [], missing: [])",
                 "  c1: amount is 400000.00, expected 500000.00",
                 "  c1: reasons are [], expected ['x']",
                 "  no result for claim c9 (have: c1)",
                 "  c1: the trace does not mention 'nothing like this'",
                 "      ELIGIBLE  400,000.00 元 (40萬)  [maximum]",
                 f"FAIL {where}:9: refused",
                 "  expected error case-shape, got unknown-measure: claims[0].measure: unknown-measure: unknown measure "
                 "`compute-vouchr`",
                 "1 passed, 2 failed"):
        assert line in result.output.splitlines(), line


@pytest.mark.parametrize("how", ["option", "environment"])
def test_test_command_says_its_failures_in_chinese(failing_policy, how):
    if how == "option":
        result = run("--lang", "zh", "test", "-v", str(failing_policy))
    else:
        result = CliRunner().invoke(main, ["test", "-v", str(failing_policy)], env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 1
    where = failing_policy / "tests" / "t.yaml"
    lines = result.output.splitlines()
    for line in (f"通過 {where}:2：right", f"未通過 {where}:5：wrong",
                 "  total 為 400000.00，應為 1.00",
                 "  c1：狀態為 eligible，應為 ineligible（理由：[]，缺少：[]）",
                 "  c1：amount 為 400000.00，應為 500000.00",
                 "  c1：理由為 []，應為 ['x']",
                 "  沒有申請 c9 的結果（現有：c1）",
                 "  c1：推導中沒有提到 'nothing like this'",
                 "      符合  400,000.00 元 (40萬)  [最高限額（最高不超過）]",
                 f"未通過 {where}:9：refused",
                 "  預期錯誤 case-shape，實得 unknown-measure：claims[0].measure: unknown-measure: 未知的措施 `compute-vouchr`",
                 "1 項通過，2 項失敗"):
        assert line in lines, line
    # the claims under a failure are the Chinese report's, facts named by their labels
    assert any("購買算力服務費用（claim.compute_spend） = 1,000,000.00 元 (100萬)" in line for line in lines)
    for english in ("PASS ", "FAIL ", " is ", "expected", "no result", "the trace", "ELIGIBLE", "passed", "failed"):
        assert english not in result.output, english


def test_schema_command_prints_the_case_schema():
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "compute-voucher" in schema["properties"]["claims"]["items"]["properties"]["measure"]["enum"]
    rules = json.loads(run("schema", "--kind", "rules").output)
    assert rules["title"] == "ordinance rule file"


@pytest.mark.parametrize("command", [["test", "-v"], ["eval", "{big}", "--format", "json"]])
def test_a_reader_that_goes_away_stops_the_command_quietly(command, tmp_path):
    """`ordinance test -v | head -n 3` (docs/cli.md): the reader closes the pipe early; the command
    stops quietly -- as a program killed by SIGPIPE would (status 141), or done -- never with
    "internal error" (exit 3) on stderr. The output is
    larger than a pipe's buffer, so the write meets the closed pipe."""
    exe = Path(sys.executable).with_name("ordinance")
    root = Path(__file__).resolve().parent.parent
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"applicant": {"kind": "university"}, "claims": [
        {"id": f"c{i}", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "100萬",
         "service_qualified": True} for i in range(100)]}), encoding="utf-8")
    command = [part.format(big=big) for part in command]
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE)
    proc = subprocess.run([str(exe), *command], stdout=reader.stdin, stderr=subprocess.PIPE, text=True, cwd=root,
                          timeout=120)
    reader.stdin.close()
    reader.wait(timeout=60)
    assert proc.stderr == "" and proc.returncode in (0, 141), proc.stderr  # (click's echo may see EPIPE as done)


@pytest.mark.parametrize("option", [["--max-file-bytes", "999999999999999G"], ["--max-line-bytes", "2048G"],
                                    ["--max-depth", "99999999999999999999"], ["--max-claims", "10000000000"]])
def test_a_limit_beyond_what_the_machine_takes_is_a_usage_error(option):
    result = CliRunner().invoke(main, [*option, "check"])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert "too large a size" in result.output or "is not in the range" in result.output


def test_serve_on_a_port_in_use_is_a_usage_error_before_it_says_serving():
    """It printed "serving at ..." and then exited 3 with uvicorn's bind error."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert "cannot listen on 127.0.0.1:" in result.output and "serving" not in result.output
