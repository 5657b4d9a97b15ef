"""`ordinance eval`, the options every command shares, and the error boundary of the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from policy_factory import write_policy

import ordinance
from ordinance.cli import main as cli
from ordinance.cli.main import main
from ordinance.render import FORMATS, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "compute-voucher.yaml")


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env=env)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


UNDATED = ("case: undated\n"
           "applicant: {kind: university}\n"
           "claims:\n"
           "  - {id: c1, measure: compute-voucher, compute_spend: 100萬, service_qualified: true}\n")


# -- formats ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_every_renderer_is_a_format_of_eval(fmt, tmp_path):
    out = tmp_path / "out"
    result = run("eval", EXAMPLE, "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    expected = render(ordinance.default_policy().evaluate(ordinance.load_case(EXAMPLE)), fmt)
    assert out.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("suffix,fmt", [(".json", "json"), (".md", "markdown"), (".html", "html"),
                                        (".txt", "text"), (".out", "text")])
def test_format_follows_the_output_suffix(suffix, fmt, tmp_path):
    out = tmp_path / f"decision{suffix}"
    assert run("eval", EXAMPLE, "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == render(
        ordinance.default_policy().evaluate(ordinance.load_case(EXAMPLE)), fmt)


def test_explicit_format_wins_over_the_suffix(tmp_path):
    out = tmp_path / "decision.md"
    assert run("eval", EXAMPLE, "--format", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["total"] == "4000000.00"


def test_dash_output_is_standard_output():
    result = run("eval", EXAMPLE, "--format", "json", "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["case"] == "example-compute-voucher"


# -- --as-of ---------------------------------------------------------------------------------------

def test_as_of_dates_the_evaluation_and_undated_claims(tmp_path):
    case = write(tmp_path, "undated.yaml", UNDATED)
    result = run("eval", case, "--format", "json", "--as-of", "2025-08-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2025-08-01"
    assert data["results"][0]["status"] == "eligible" and data["results"][0]["amount"] == "500000.00"
    # before the policy is in force, the same undated claim is outside its validity
    early = json.loads(run("eval", case, "--format", "json", "--as-of", "2025-01-01").stdout)
    assert early["results"][0]["status"] == "ineligible"
    assert early["results"][0]["reasons"][0]["code"] == "outside-validity"


def test_without_as_of_an_undated_claim_is_not_given_a_date(tmp_path):
    data = json.loads(run("eval", write(tmp_path, "u.yaml", UNDATED), "--format", "json").stdout)
    assert "as_of" not in data


@pytest.mark.parametrize("bad", ["2025-13-01", "2025-02-30", "yesterday", "2025-6-1", "20250601", ""])
def test_a_bad_as_of_is_a_usage_error(bad):
    result = run("eval", EXAMPLE, "--as-of", bad)
    assert result.exit_code == 2
    assert "--as-of" in result.output and "is not a date" in result.output
    assert "Traceback" not in result.output


# -- standard input --------------------------------------------------------------------------------

def test_standard_input_with_as_of():
    result = run("eval", "-", "--format", "json", "--as-of", "2025-08-01", input=UNDATED)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["results"][0]["amount"] == "500000.00"


def test_standard_input_that_is_not_utf8_is_a_case_problem():
    result = CliRunner().invoke(main, ["eval", "-"], input=b"\xff\xfeclaims: []\n")
    assert result.exit_code == 1
    assert "<stdin>:1:1: encoding: the file is not valid UTF-8 (byte 0xff)" in result.output


def test_standard_input_with_a_yaml_mistake():
    result = run("eval", "-", input="claims: [\n")
    assert result.exit_code == 1
    assert "<stdin>:2:1: yaml-syntax:" in result.output


# -- mistakes in the case: exit 1, file:line:col, caret, hint, no traceback ------------------------

def test_bad_yaml_is_reported_with_position_and_caret(tmp_path):
    case = write(tmp_path, "bad.yaml", "applicant:\n  kind: enterprise\n claims: []\n")
    result = run("eval", case)
    assert result.exit_code == 1
    assert f"{case}:3:" in result.output and "yaml-syntax" in result.output
    assert "    3 |  claims: []" in result.output
    assert result.output.rstrip().endswith("1 problem")
    assert "Traceback" not in result.output


def test_wrong_type_names_the_fact_the_type_and_how_to_write_it(tmp_path):
    case = write(tmp_path, "c.yaml", "applicant: {kind: enterprise, annual_revenue: lots}\n"
                                     "claims:\n  - {id: c1, measure: compute-voucher, date: 2025-06-01,"
                                     " compute_spend: 100萬, service_qualified: yes}\n")
    result = run("eval", case)
    assert result.exit_code == 1
    assert (f"{case}:1:47: wrong-type: `applicant.annual_revenue` must be money, not the text 'lots'"
            in result.output)
    assert "hint: write an amount like 5000000, 500萬 or 5億元" in result.output
    assert "`claim.service_qualified` must be true or false, not the text 'yes'" in result.output
    assert result.output.rstrip().endswith("2 problems")


def test_unknown_measure_suggests_the_nearest(tmp_path):
    case = write(tmp_path, "c.yaml", "claims:\n  - {id: c1, measure: hit-prodcut, date: 2025-06-01}\n")
    result = run("eval", case)
    assert result.exit_code == 1
    assert "unknown-measure: unknown measure `hit-prodcut`" in result.output
    assert "hint: did you mean `hit-product`?" in result.output


def test_unknown_fact_suggests_the_nearest(tmp_path):
    case = write(tmp_path, "c.yaml", "applicant: {kind: enterprise, anual_revenue: 5億}\n"
                                     "claims:\n  - {id: c1, measure: compute-voucher, date: 2025-06-01,"
                                     " compute_spent: 100萬}\n")
    result = run("eval", case)
    assert result.exit_code == 1
    assert "unknown-fact: unknown applicant fact `anual_revenue`" in result.output
    assert "hint: did you mean `annual_revenue`?" in result.output
    assert "unknown-fact: measure `compute-voucher` reads no fact `compute_spent`" in result.output
    assert "hint: did you mean `compute_spend`?" in result.output


def test_half_a_surrogate_pair_is_a_case_problem_not_a_crash(tmp_path):
    case = write(tmp_path, "s.yaml", 'case: "x\\ud800"\napplicant: {kind: university}\nclaims: []\n')
    result = run("eval", case, "--format", "json")
    assert result.exit_code == 1
    assert "s.yaml:1:7: encoding: the text holds an unpaired surrogate escape" in result.output


def test_an_evaluation_error_is_exit_1(tmp_path):
    policy = write_policy(tmp_path / "p", {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            facts: {claim.n: {type: number}, claim.spend: {type: money}}
            amount: claim.spend / claim.n
        """})
    case = write(tmp_path, "c.yaml", "claims:\n  - {id: c, measure: m, date: 2025-05-01, n: 0, spend: 1}\n")
    result = run("eval", case, "--policy", policy)
    assert result.exit_code == 1
    assert "evaluation" in result.output and "Traceback" not in result.output


def test_a_broken_policy_is_exit_1(tmp_path):
    result = run("eval", EXAMPLE, "--policy", tmp_path)
    assert result.exit_code == 1
    assert "no-manifest: no policy.yaml" in result.output


def test_an_unwritable_output_is_exit_1(tmp_path):
    result = run("eval", EXAMPLE, "-o", tmp_path / "no" / "such" / "dir.json")
    assert result.exit_code == 1
    assert "Could not open file" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["eval"], ["eval", EXAMPLE, "--format", "pdf"], ["eval", EXAMPLE, "--bogus"],
                                  ["eval", str(ROOT / "examples")], ["nosuchcommand"]])
def test_usage_errors_are_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


# -- colour ----------------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli._colour(_Terminal()) is True
    assert cli._colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._colour(_Terminal()) is False
    monkeypatch.setenv("NO_COLOR", "")
    assert cli._colour(_Terminal()) is False


@pytest.mark.parametrize("terminal", [True, False])
def test_eval_colours_only_what_goes_to_a_terminal(monkeypatch, tmp_path, terminal):
    monkeypatch.setattr(cli, "_colour", lambda stream: terminal)
    shown = CliRunner().invoke(main, ["eval", EXAMPLE], color=True).stdout  # click keeps the escapes
    assert ("\x1b[" in shown) is terminal
    out = tmp_path / "d.txt"
    assert CliRunner().invoke(main, ["eval", EXAMPLE, "-o", str(out)], color=True).exit_code == 0
    assert "\x1b[" not in out.read_text(encoding="utf-8")


def test_no_color_in_a_real_process_on_a_pipe():
    proc = subprocess.run([str(Path(sys.executable).parent / "ordinance"), "eval", EXAMPLE],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0 and "ELIGIBLE" in proc.stdout and "\x1b[" not in proc.stdout


# -- the internal-error boundary -------------------------------------------------------------------

def _explode(*args, **kwargs):
    raise RuntimeError("boom")


def test_a_bug_is_reported_in_one_line_with_exit_3(monkeypatch):
    monkeypatch.delenv("ORDINANCE_DEBUG", raising=False)
    monkeypatch.setattr(ordinance.Policy, "evaluate", _explode)
    result = run("eval", EXAMPLE)
    assert result.exit_code == 3
    assert "ordinance: internal error (RuntimeError: boom); this is a bug" in result.output
    assert "Traceback" not in result.output


def test_ordinance_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setattr(ordinance.Policy, "evaluate", _explode)
    result = run("eval", EXAMPLE, env={"ORDINANCE_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError)


# -- help and the console script -----------------------------------------------------------------

@pytest.mark.parametrize("command", ["eval", "batch", "show", "explain", "check", "test", "schema"])
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_every_command_is_listed():
    listed = run("--help").output
    for command in ("eval", "batch", "show", "explain", "check", "test", "schema"):
        assert f"  {command} " in listed


def test_console_script_eval_with_as_of_and_stdin():
    proc = subprocess.run([str(Path(sys.executable).parent / "ordinance"), "eval", "-", "--format", "json",
                           "--as-of", "2025-08-01", "--no-trace"], input=UNDATED, capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["as_of"] == "2025-08-01" and data["results"][0]["trace"] is None


def test_console_script_usage_error_is_exit_2():
    proc = subprocess.run([str(Path(sys.executable).parent / "ordinance"), "eval", EXAMPLE, "--as-of", "soon"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 2 and "is not a date" in proc.stderr and "Traceback" not in proc.stderr


# -- docs/cli.md and docs/embedding.md show real output --------------------------------------------
#
# docs/cli.md holds blocks marked ``<!-- run -->``: a ``console`` block of ``$ command`` lines, each
# followed by what it prints.  Commands are ``ordinance ...`` (run in-process from the repository
# root; ``< FILE`` feeds standard input, ``| head -n N`` keeps the first lines, ``; echo "exit $?"``
# adds the exit status), ``cat FILE`` and ``head -n N FILE``.  Paths under /tmp/ go to a scratch
# folder.  docs/embedding.md holds blocks marked ``<!-- python -->``: a ``python`` block followed by
# a ``text`` block with what it prints.  Policy digests are compared loosely (they change with every
# edit of a rule file).  After a deliberate change, regenerate the outputs with
#
#     .venv/bin/python tests/test_cli_eval.py --update
#
# and read the diff.

DOCS = ROOT / "docs"
_EXIT = '; echo "exit $?"'


def _shell(command: str, scratch: Path) -> str:
    def path(arg: str) -> str:
        return str(scratch / arg[len("/tmp/"):]) if arg.startswith("/tmp/") else arg

    keep = None
    if " | head -n " in command:
        command, _, n = command.rpartition(" | head -n ")
        keep = int(n)
    show_exit = command.endswith(_EXIT)
    command = command[: -len(_EXIT)] if show_exit else command
    argv = [path(a) for a in shlex.split(command)]
    if argv[0] in ("cat", "head"):
        text = Path(argv[-1]).read_text(encoding="utf-8")
        if argv[0] == "head":
            text = "".join(text.splitlines(keepends=True)[: int(argv[2])])
        code = 0
    else:
        assert argv[0] == "ordinance", command
        stdin = None
        if "<" in argv:
            at = argv.index("<")
            stdin = Path(argv[at + 1]).read_bytes()
            argv = argv[:at] + argv[at + 2:]
        result = CliRunner().invoke(main, argv[1:], input=stdin, env={"NO_COLOR": "1", "ORDINANCE_DEBUG": None})
        text, code = result.output, result.exit_code
    if keep is not None:
        text = "".join(text.splitlines(keepends=True)[:keep])
    text = text.replace(str(scratch) + os.sep, "/tmp/")
    if show_exit:
        text += f"exit {code}\n"
    return text.rstrip("\n")


def _run_block(body: str, scratch: Path) -> str:
    out: list[str] = []
    for line in body.split("\n"):
        if line.startswith("$ "):
            out.append(line)
            printed = _shell(line[2:], scratch)
            if printed:
                out.append(printed)
    return "\n".join(out)


def _python_block(code: str) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "<docs/embedding.md>", "exec"), {"__name__": "__docs__"})  # noqa: S102 - our own docs
    return buffer.getvalue().rstrip("\n")


def _fence(lines: list[str], i: int, lang: str) -> int:
    """The index of the line closing the fenced block that opens at ``lines[i]`` (```lang)."""
    assert lines[i] == "```" + lang, f"line {i + 1}: expected ```{lang}, found {lines[i]!r}"
    end = lines.index("```", i + 1)
    return end


def regenerate(name: str) -> str:
    """The document with every marked block's output produced afresh (from the repository root)."""
    lines = (DOCS / name).read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        with tempfile.TemporaryDirectory(prefix="ordinance-docs-") as scratch:
            i = 0
            while i < len(lines):
                line = lines[i]
                out.append(line)
                i += 1
                if line == "<!-- run -->":
                    end = _fence(lines, i, "console")
                    commands = [c for c in lines[i + 1:end] if c.startswith("$ ")]
                    out.append(lines[i])
                    out.extend(_run_block("\n".join(commands), Path(scratch)).split("\n"))
                    out.append("```")
                    i = end + 1
                elif line == "<!-- python -->":
                    end = _fence(lines, i, "python")
                    code = "\n".join(lines[i + 1:end])
                    out.extend(lines[i:end + 1])
                    assert lines[end + 1] == "", f"{name}:{end + 2}: a blank line must follow the python block"
                    text_end = _fence(lines, end + 2, "text")
                    printed = _python_block(code)
                    out.extend(["", "```text"] + (printed.split("\n") if printed else []) + ["```"])
                    i = text_end + 1
    finally:
        os.chdir(here)
    return "\n".join(out)


def _loose(text: str) -> str:
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"sha256:[0-9a-f]{12}\b", "sha256:<sha256>", text)
    return re.sub(r"\bat 0x[0-9a-f]+", "at 0x…", text)


@pytest.mark.parametrize("name,marker", [("cli.md", "<!-- run -->"), ("embedding.md", "<!-- python -->")])
def test_documents_show_real_output(name, marker):
    written = (DOCS / name).read_text(encoding="utf-8")
    assert written.count(marker) >= 5
    assert _loose(regenerate(name)) == _loose(written), (
        f"docs/{name} differs from what the commands print: run `.venv/bin/python tests/test_cli_eval.py "
        "--update` and read the diff")


def test_every_command_appears_in_the_cli_document():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command in ("eval", "batch", "show", "explain", "check", "test", "schema"):
        assert f"$ ordinance {command} " in text, command


if __name__ == "__main__":  # pragma: no cover - the --update tool
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: tests/test_cli_eval.py --update")
    for doc in ("cli.md", "embedding.md"):
        (DOCS / doc).write_text(regenerate(doc), encoding="utf-8")
        print(f"docs/{doc} regenerated")
