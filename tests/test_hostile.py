"""Hostile and broken input: rule text that tries to be Python, malformed files, odd environments.

- The corpus under tests/hostile/ (rule-file policies, case files, batch input), each file run
  through the CLI and the API against the code tests/hostile/expected.yaml gives it.
- Rule text is never executed: no construct reaches Python, the file system or the environment.
- The same policy and case give the same bytes whatever the key order, locale, time zone, hash
  seed or number of workers.
- Any bytes given to the loader or the case reader load, or raise the engine's own error.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordinance
from ordinance import CaseError, PolicyError
from ordinance.cli.main import main
from ordinance.cases.read import read_case
from ordinance.front.load import Limits, decode, load_file, load_text
from ordinance.errors import OrdinanceError
from policy_factory import write_policy

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
EXPECTED = yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
SCRIPT = str(Path(sys.executable).parent / "ordinance")
SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# a problem's first line: `file:line:col: code: message` (or `file: code: message` without a position)
_HEADLINE = re.compile(r"^(?P<where>\S.*?)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<code>[a-z][a-z0-9-]*): ")


def headlines(stderr: str) -> list[re.Match]:
    return [m for m in (_HEADLINE.match(line) for line in stderr.splitlines()) if m]


def cli(args: list[str], input: bytes | None = None):
    result = CliRunner().invoke(main, args, input=input, env={"NO_COLOR": "1", "ORDINANCE_DEBUG": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- the corpus -----------------------------------------------------------------------------------

def test_the_manifest_and_the_corpus_name_the_same_files():
    assert sorted(EXPECTED["policies"]) == sorted(p.name for p in (HOSTILE / "policies").iterdir())
    assert sorted(EXPECTED["cases"]) == sorted(p.name for p in (HOSTILE / "cases").iterdir())


@pytest.mark.parametrize("name", sorted(EXPECTED["policies"]))
def test_hostile_policy_through_the_cli(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    want = EXPECTED["policies"][name]
    result = cli(["check", _rel(HOSTILE / "policies" / name)])
    assert result.exit_code == want["exit"], result.output + result.stderr
    found = headlines(result.stderr)
    assert sorted({m["code"] for m in found}) == want["codes"], result.stderr
    for m in found:  # where: the file, and a line and column in it
        assert m["where"].startswith(f"tests/hostile/policies/{name}/") and m["line"], m.group(0)
    if want["exit"] == 0:
        assert result.stdout.startswith("ok: hostile:")


@pytest.mark.parametrize("name", sorted(EXPECTED["policies"]))
def test_hostile_policy_through_the_api(name):
    want = EXPECTED["policies"][name]
    if want["exit"] == 0:
        assert ordinance.load_policy(HOSTILE / "policies" / name).id == "hostile"
        return
    with pytest.raises(PolicyError) as info:
        ordinance.load_policy(HOSTILE / "policies" / name)
    assert sorted(set(info.value.codes)) == want["codes"]
    assert all(p.location is not None and p.message for p in info.value.problems)
    info.value.render()  # renders with its source lines, whatever the bytes


@pytest.mark.parametrize("name", sorted(EXPECTED["cases"]))
def test_hostile_case_through_the_cli(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    want = EXPECTED["cases"][name]
    path = _rel(HOSTILE / "cases" / name)
    result = cli(["eval", path, "--format", "json", "--no-trace"])
    assert result.exit_code == want["exit"], result.output + result.stderr
    found = headlines(result.stderr)
    assert sorted({m["code"] for m in found}) == want["codes"], result.stderr
    for m in found:
        assert m["where"] == path, m.group(0)
    if want["exit"] == 0:
        assert json.loads(result.stdout)["total"] == "3200000.00"
    else:
        assert result.stdout == ""  # never a decision from half-read input


@pytest.mark.parametrize("name", sorted(EXPECTED["cases"]))
def test_hostile_case_through_the_api(name):
    want = EXPECTED["cases"][name]
    path = HOSTILE / "cases" / name
    if want["exit"] == 0:
        assert ordinance.default_policy().evaluate(ordinance.load_case(path)).total == 3200000
        return
    with pytest.raises(OrdinanceError) as info:
        case = ordinance.load_case(path)
        ordinance.default_policy().evaluate(case).to_json().encode("utf-8")
    if info.type is not CaseError:  # only a lone surrogate gets as far as the output
        assert name == "surrogate.json" and isinstance(info.value, UnicodeEncodeError)
    assert sorted(set(info.value.codes)) == want["codes"]
    assert all(p.location is not None and p.location.file == str(path) for p in info.value.problems)


def test_hostile_cases_through_batch_each_once_in_place(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out.jsonl"
    result = cli(["batch", _rel(HOSTILE / "cases"), "--out", str(out)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    names = sorted(EXPECTED["cases"])
    assert len(records) == len(names)  # every case exactly once, in name order
    for name, record in zip(names, records):
        want = EXPECTED["cases"][name]
        if want["exit"] == 0:
            assert record["total"] == "3200000.00", name
            continue
        assert record["status"] == "error", name
        assert sorted({p["code"] for p in record["problems"]}) == want["codes"], name
        assert all(p["location"]["file"].endswith(name) for p in record["problems"]), record
    decided = sum(w["exit"] == 0 for w in EXPECTED["cases"].values())
    assert f"decided {decided} of {len(names)} cases" in result.stderr


def test_hostile_lines_through_batch(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out.jsonl"
    result = cli(["--max-line-bytes", "8k", "batch", _rel(HOSTILE / "batch" / "lines.jsonl"), "--out", str(out)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    want = EXPECTED["batch-lines"]
    assert len(records) == len(want)  # the blank line is no case; every other line is one
    for (line, codes), record in zip(sorted(want.items()), records):
        if not codes:
            assert "status" not in record and record["total"] == "3200000.00", line
            continue
        assert sorted({p["code"] for p in record["problems"]}) == codes, (line, record)
        assert {p["location"]["line"] for p in record["problems"]} == {line}


def test_hostile_csv_through_batch(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out.csv"
    result = cli(["--max-line-bytes", "4k", "batch", _rel(HOSTILE / "batch" / "claims.csv"), "--out", str(out)])
    assert result.exit_code == 1
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    want = EXPECTED["batch-csv"]
    assert [r["case"] for r in rows] == list(want)
    for row in rows:
        codes = want[row["case"]]
        assert row["status"] == ("error" if codes else "eligible"), row
        assert sorted(set(filter(None, row["reasons"].split(";")))) == (codes if codes else []), row


def test_csv_output_never_holds_a_live_formula(tmp_path, monkeypatch):
    """Ids a spreadsheet would run (``=``, ``+``, ``-``, ``@``, a tab, a carriage return) get a
    single quote in front; amounts and a numeric id stay numbers; a NUL in a cell is refused."""
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out.csv"
    result = cli(["batch", _rel(HOSTILE / "batch" / "formulas.csv"), "--out", str(out)])
    assert result.exit_code == 1
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [(r["case"], r["claim"]) for r in rows] == [
        ("'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(A1)"), ("'+cmd", "'-c1"), ("n\ufffdul", ""),
        ("-12.50", "c1")]
    assert [r["amount"] for r in rows] == ["3200000.00", "3200000.00", "", "3200000.00"]
    assert rows[2]["status"] == "error" and rows[2]["reasons"] == "binary-file"
    assert "\0" not in out.read_text(encoding="utf-8")
    lines = tmp_path / "cases.jsonl"
    ids = ["\tx", "\rx", "=1+1", "-1+1", "@x", "+1"]
    claim = {"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "800萬", "service_qualified": True}
    lines.write_text("".join(json.dumps({"case": i, "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
                                         "claims": [{**claim, "id": i}]}) + "\n" for i in ids), encoding="utf-8")
    assert cli(["batch", str(lines), "--out", str(out)]).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    want = ["'" + i.replace("\r", "\n") for i in ids]  # a carriage return never ends a row
    assert [(r["case"], r["claim"]) for r in rows] == list(zip(want, want))


def test_a_fifo_or_a_device_is_reported_never_opened(tmp_path):
    """A FIFO among a policy's rules or a batch's cases is a problem (``not-a-file``), never opened
    (opening a FIFO with no writer blocks for ever); a device too; every case is in the output once."""
    policy = tmp_path / "policy"
    shutil.copytree(HOSTILE / "policies" / "bom", policy)
    os.mkfifo(policy / "rules" / "pipe.yaml")
    proc = subprocess.run([SCRIPT, "check", str(policy)], capture_output=True, timeout=60)
    assert proc.returncode == 1 and b"rules/pipe.yaml:1:1: not-a-file: the entry is a named pipe (FIFO)" in proc.stderr
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(HOSTILE / "cases" / "bom.yaml", cases / "a.yaml")
    os.mkfifo(cases / "b.yaml")
    (cases / "c.yaml").symlink_to("/dev/zero")
    (cases / "d.yaml").symlink_to("nowhere.yaml")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([SCRIPT, "batch", str(cases), "--out", str(out)], capture_output=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["case"] for r in records] == ["ok", "b.yaml", "c.yaml", "d.yaml"]
    assert [[p["code"] for p in r.get("problems", [])] for r in records] == [
        [], ["not-a-file"], ["not-a-file"], ["file-unreadable"]]
    assert b"decided 1 of 4 cases" in proc.stderr


#: a title change (OSC 0), a disguised hyperlink (OSC 8), a C1 CSI, a bell, a right-to-left override
_TITLE, _LINK = "\x1b]0;pwned\x07", "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
_RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")


def _escape_case(tmp_path) -> tuple[Path, dict]:
    data = {"case": f"evil{_TITLE}\x9b31m", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{"id": f"c{_LINK}\u202e", "measure": "compute-voucher", "date": "2025-06-01",
                        "compute_spend": "800萬", "service_qualified": True}]}
    path = tmp_path / "escapes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, data


def test_terminal_output_shows_control_characters_escaped(tmp_path):
    """OSC, C1 and other control characters from a case reach no terminal rendering raw (eval's
    text and Markdown, explain, the batch summary, a failed test's report), in colour or not; the
    JSON keeps them exactly."""
    from ordinance.render.explain import render_explanation
    from ordinance.render.text import render_decision

    path, data = _escape_case(tmp_path)
    outputs = [cli(["eval", str(path)]), cli(["eval", str(path), "--format", "markdown"]),
               cli(["explain", str(path)]), cli(["explain", str(path), "--claim", "nope"])]
    for result in outputs:
        assert not _RAW_CONTROLS.search(result.stdout + result.stderr), result.stdout + result.stderr
    assert "evil\\x1b]0;pwned\\x07\\x9b31m" in outputs[0].stdout and "\\u202e" in outputs[2].stdout
    assert json.loads(cli(["eval", str(path), "--format", "json"]).stdout)["case"] == data["case"]
    decision = ordinance.default_policy().evaluate(ordinance.load_case(path), trace=True)
    for text in (render_decision(decision, colour=True), render_explanation(decision.results[0], colour=True)):
        assert not _RAW_CONTROLS.search(text)  # not even the colours: text that holds controls is shown plain
    clean = ordinance.default_policy().evaluate(ordinance.load_case(HOSTILE / "cases" / "bom.yaml"))
    assert "\x1b[" in render_decision(clean, colour=True)  # colour is kept where nothing needs escaping
    lines = tmp_path / "cases.jsonl"
    lines.write_text(json.dumps({"case": data["case"], "claims": "none"}) + "\n", encoding="utf-8")
    result = cli(["batch", str(lines), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and "evil\\x1b]0;pwned" in result.stderr
    assert not _RAW_CONTROLS.search(result.stderr)
    policy = tmp_path / "policy"
    shutil.copytree(HOSTILE / "policies" / "bom", policy)
    (policy / "tests").mkdir()
    (policy / "tests" / "t.yaml").write_text(yaml.safe_dump({"tests": [{
        "name": f"fails{_TITLE}", "case": {"applicant": {"kind": f"x{_LINK}"}, "claims": [
            {"id": f"c{_LINK}", "measure": "voucher", "date": "2025-06-01", "spend": "100萬"}]},
        "want": {"total": "1萬"}}]}, allow_unicode=True), encoding="utf-8")
    result = cli(["test", str(policy)])
    assert result.exit_code == 1 and "FAIL" in result.stdout, result.stdout + result.stderr
    assert "fails\\x1b]0;pwned\\x07" in result.stdout and not _RAW_CONTROLS.search(result.stdout)


def test_a_problem_echoes_its_source_line_with_control_characters_escaped(tmp_path):
    """A problem's message, its echoed source line and its hint show what a file holds, escaped,
    and the caret still stands under the offending value (YAML allows bidi overrides raw)."""
    path = tmp_path / "case.yaml"
    path.write_text("applicant: {kind: enterprise, annual_revenue: \u202e5億\u2066}\n"
                    "claims: [{id: c1, measure: compute-voucher, date: 2025-06-01}]\n", encoding="utf-8")
    result = cli(["eval", str(path)])
    assert result.exit_code == 1 and not _RAW_CONTROLS.search(result.stderr), result.stderr
    assert not re.search("[\u2066\u202e]", result.stderr)
    lines = result.stderr.splitlines()
    echoed = next(i for i, line in enumerate(lines) if "annual_revenue" in line and " | " in line)
    assert "\\u202e5億\\u2066" in lines[echoed]
    assert lines[echoed][lines[echoed + 1].index("^"):].startswith("\\u202e5億")


def test_a_real_process_never_shows_a_traceback():
    """The console script, with the worst of the corpus on standard input and as arguments."""
    binary = (HOSTILE / "cases" / "binary.yaml").read_bytes()
    proc = subprocess.run([SCRIPT, "eval", "-"], input=binary, capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and b"binary-file" in proc.stderr and b"Traceback" not in proc.stderr
    proc = subprocess.run([SCRIPT, "check", str(HOSTILE / "policies" / "billion-laughs")],
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and b"too-many-nodes" in proc.stderr and b"Traceback" not in proc.stderr


def test_a_usage_mistake_is_exit_2_and_bad_input_exit_1():
    assert cli(["eval", str(HOSTILE / "cases")]).exit_code == 2  # a folder is not a case file
    assert cli(["--max-depth", "many", "check"]).exit_code == 2
    assert cli(["eval", str(HOSTILE / "cases" / "no-such-file.yaml")]).exit_code == 1


def test_a_billion_laughs_case_is_refused_before_it_expands():
    # 10**9 values if expanded; refused when the count passes max_nodes, having walked at most that many
    text = (HOSTILE / "cases" / "billion-laughs.yaml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_text(text, "lol.yaml", Limits(max_nodes=1000))
    assert info.value.codes == ["too-many-nodes"] and "1000 values" in info.value.problems[0].message


def test_a_device_that_never_ends_is_read_no_further_than_the_limit():
    with pytest.raises(PolicyError) as info:
        load_file("/dev/zero", limits=Limits(max_file_bytes=1000))
    assert info.value.codes == ["file-too-large"]
    result = cli(["--max-file-bytes", "64k", "eval", "/dev/zero"])
    assert result.exit_code == 1 and "/dev/zero:1:1: file-too-large" in result.stderr


# -- blow-ups within the limits (issue 15): work linear in the input, output bounded ---------------

class _CountedText(str):
    """A source that counts how often it is split into lines."""
    splits = 0

    def splitlines(self, *args):
        type(self).splits += 1
        return super().splitlines(*args)


def test_rendering_splits_each_source_once_and_shows_the_first_problems():
    from ordinance.errors import SHOWN_PROBLEMS, Location, Problem, render_problems
    text = _CountedText("".join(f"claim{i}: x\n" for i in range(10_000)))
    problems = [Problem("wrong-type", "bad", Location("c.yaml", 1 + i // 2, 1 + i % 2)) for i in range(20_000)]
    out = CaseError(problems, {"c.yaml": text}).render()
    assert _CountedText.splits == 1
    assert len(headlines(out)) == SHOWN_PROBLEMS == 50
    assert out.endswith("\n... and 19,950 more problems (20,000 in all)")
    assert len(render_problems(problems[:3], {"c.yaml": text}, None).splitlines()) == 9  # None: all of them


def test_a_long_line_is_echoed_as_a_window_around_the_column():
    from ordinance.errors import LINE_WINDOW, Location, Problem, render_problems
    line = "".join(f'"x{i}", ' for i in range(5000))  # about 45 KB on one line
    column = line.index('"x4000"') + 1
    out = render_problems([Problem("unknown-enum-value", "bad", Location("r.yaml", 1, column, 1, column + 7))],
                          {"r.yaml": line})
    _, source, caret = out.splitlines()
    assert len(source) <= LINE_WINDOW + 10 and source.startswith("    1 | …") and source.endswith("…")
    at = caret.index("^")
    assert source[at:at + 7] == '"x4000"' and caret[at:] == "^" * 7  # the caret still under its text


def test_json_lists_a_bounded_number_of_problems_with_the_full_count():
    from ordinance.errors import LISTED_PROBLEMS, Location, Problem
    problems = [Problem("wrong-type", "bad", Location("c.yaml", i + 1, 1)) for i in range(2_500)]
    data = CaseError(problems).to_dict()
    assert len(data["problems"]) == LISTED_PROBLEMS == 1000 and data["problem_count"] == 2_500
    assert "problem_count" not in CaseError(problems[:LISTED_PROBLEMS]).to_dict()


def test_the_hostile_many_problems_case_prints_fifty_and_counts_the_rest(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = cli(["eval", _rel(HOSTILE / "cases" / "many-problems.yaml")])
    assert result.exit_code == 1 and len(headlines(result.stderr)) == 50
    assert "... and 1,950 more problems (2,000 in all)\n2000 problems\n" in result.stderr


def test_did_you_mean_does_not_compare_a_long_name(monkeypatch):
    import difflib
    from ordinance.errors import SUGGEST_LENGTH, did_you_mean, shorten
    compared = []
    real = difflib.SequenceMatcher
    monkeypatch.setattr(difflib, "SequenceMatcher", lambda *a: compared.append(a) or real(*a))
    assert did_you_mean("compute-vouchr", ["compute-voucher", "x" * 5000]) == "did you mean `compute-voucher`?"
    assert len(compared) == 1  # the long candidate is passed over
    assert did_you_mean("m" * (SUGGEST_LENGTH + 1), ["compute-voucher"]) is None and len(compared) == 1
    assert shorten("m" * 4_000_000) == "m" * 32 + "…(4,000,000 characters)…" + "m" * 32


@pytest.mark.parametrize("path", ["cases/long-measure.yaml", "policies/long-name"])
def test_a_long_unknown_name_is_echoed_shortened(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = cli(["eval" if path.startswith("cases") else "check", _rel(HOSTILE / path)])
    assert result.exit_code == 1 and "characters)…" in result.stderr and "did you mean" not in result.stderr
    assert len(result.stderr) < 1_000  # the name of 200,000 or 60,000 characters is not printed


# -- rule text is never Python ----------------------------------------------------------------------

RULE = """\
article: 一
measures:
  - id: voucher
    title: {{zh: 券, en: voucher}}
    facts:
      claim.spend: {{type: money}}
    conditions:
      - id: named
        when: {when}
    amount: {amount}
"""

ATTEMPTS = [
    ("amount", "__import__('os').system('touch PWNED')", {"syntax"}),
    ("amount", "__import__('os')", {"unknown-function"}),
    ("amount", "claim.spend.__class__", {"unknown-name"}),
    ("when", "applicant.__class__.__name__ == 'Case'", {"unknown-name"}),
    ("amount", "claim.__dict__", {"unknown-name"}),
    ("amount", "__builtins__", {"unknown-name"}),
    ("when", "os.environ", {"unknown-name"}),
    ("when", "env.HOME == '/root'", {"unknown-name"}),
    ("amount", "eval('1')", {"unknown-function"}),
    ("amount", "exec('import os')", {"unknown-function"}),
    ("amount", "open('/etc/passwd')", {"unknown-function"}),
    ("amount", "getattr(claim, 'spend')", {"unknown-function", "unknown-name"}),
    ("amount", "compile('1', 'x', 'eval')", {"unknown-function"}),
    ("amount", "claim.spend if 1 else 2", {"syntax"}),
    ("amount", "10 ** 1000", {"syntax"}),
    ("amount", "1e400", {"syntax"}),
    ("amount", "9" * 10_000, {"literal-too-long"}),
    ("amount", "claim.spend[0]", {"syntax"}),
    ("amount", "(lambda: 1)()", {"syntax"}),
    ("amount", "[x for x in claim.spend]", {"syntax"}),
    ("amount", "claim.spend; import os", {"syntax"}),
    ("amount", "`id`", {"syntax"}),
    ("amount", "'{0.__class__}'", {"type-mismatch"}),
    ("amount", "f'{claim}'", {"syntax"}),
    ("amount", "'%s' % claim", {"syntax"}),
]


@pytest.mark.parametrize("key,text,codes", ATTEMPTS, ids=[t[:40] for _, t, _ in ATTEMPTS])
def test_rule_text_cannot_reach_python(tmp_path, monkeypatch, key, text, codes):
    monkeypatch.chdir(tmp_path)  # a `touch PWNED` that ran would leave the file here
    quoted = json.dumps(text, ensure_ascii=False)  # a YAML double-quoted scalar
    rule = RULE.format(when=quoted if key == "when" else "applicant.kind == \"enterprise\"",
                       amount=quoted if key == "amount" else "claim.spend * 30%")
    directory = write_policy(tmp_path / "p", {"r": rule})
    with pytest.raises(PolicyError) as info:
        ordinance.load_policy(directory)
    assert set(info.value.codes) == codes
    assert all(p.location and p.location.file.endswith("r.yaml") for p in info.value.problems)
    assert not (tmp_path / "PWNED").exists()


def test_a_python_tag_constructs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tag = "!!python/object/apply:os.system ['touch PWNED']"
    directory = write_policy(tmp_path / "p", {"r": RULE.format(when="applicant.kind == \"enterprise\"", amount=tag)})
    with pytest.raises(PolicyError):
        ordinance.load_policy(directory)
    case = tmp_path / "case.yaml"
    case.write_text(f"applicant: {tag}\nclaims: []\n", encoding="utf-8")
    with pytest.raises(CaseError):
        ordinance.load_case(case)
    assert load_text(f"x: {tag}\n", "f.yaml").data == {"x": ["touch PWNED"]}
    assert not (tmp_path / "PWNED").exists()


def test_a_format_string_in_a_rule_is_plain_text(tmp_path):
    """A string that looks like a format string is compared as text and shown as written."""
    bait = "{0.__class__.__init__.__globals__}"
    rule = RULE.format(when=json.dumps(f"applicant.name != \"{bait}\""), amount="claim.spend * 30%")
    policy = ordinance.load_policy(write_policy(tmp_path / "p", {"r": rule}))
    claims = [{"id": "c1", "measure": "voucher", "date": "2025-06-01", "spend": "100萬"}]
    good = policy.evaluate({"applicant": {"kind": "enterprise", "name": "acme"}, "claims": claims})
    bad = policy.evaluate({"applicant": {"kind": "enterprise", "name": bait}, "claims": claims})
    assert good.results[0].status == "eligible" and bad.results[0].status == "ineligible"
    text = bad.to_json()
    assert bait in text and "globals" not in text.replace(bait, "")


#: What the engine's own source may not do with anything: evaluate text, import by name,
#: unpickle, shell out, or let YAML construct objects.
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile", "input"}
_FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "subprocess", "ctypes", "importlib", "socket", "urllib",
                      "http", "requests"}
_FORBIDDEN_YAML = {"load", "unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all", "Loader",
                   "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}


#: The one place allowed to compile Python: the code generator's ``_build``, which compiles source
#: written from the checked AST with no rule text in it (tests/test_backends.py audits that source).
_SANCTIONED = {("ordinance/run/pygen.py", "_build"): {"compile", "exec"},
               # `ordinance serve` tries the address it is asked to listen on before it says so (a
               # port in use is a usage error): a socket bound, never connected, never read
               ("ordinance/cli/serve.py", "_check_port"): {"socket"}}


def test_the_engine_never_evaluates_text_as_python():
    offences = []
    for path in sorted((ROOT / "ordinance").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        relative = path.relative_to(ROOT).as_posix()
        sanctioned: dict[int, set[str]] = {}
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and (relative, fn.name) in _SANCTIONED:
                for inner in ast.walk(fn):
                    sanctioned[id(inner)] = _SANCTIONED[(relative, fn.name)]
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS \
                    and node.func.id not in sanctioned.get(id(node), ()):
                offences.append(f"{where}: {node.func.id}()")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("format", "format_map") \
                    and not (isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
                offences.append(f"{where}: .{node.func.attr}() on a string that is not a literal")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    if name.split(".")[0] in _FORBIDDEN_MODULES and name not in sanctioned.get(id(node), ()):
                        offences.append(f"{where}: import {name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml" \
                    and node.attr in _FORBIDDEN_YAML:
                offences.append(f"{where}: yaml.{node.attr}")
    assert offences == []


def test_the_language_calls_only_its_own_functions():
    from ordinance.check import checker as check
    from ordinance.run import compile as compile_stage

    language = {"min", "max", "floor", "ceil", "round", "abs", "year", "month", "date", "between", "sum",
                "count", "any", "all", "cap"}
    assert set(check.FUNCTIONS) == language
    assert set(compile_stage._FUNCTION_BUILDERS) == language


# -- determinism ------------------------------------------------------------------------------------

CASE = {"case": "det", "applicant": {"id": "x", "kind": "enterprise", "annual_revenue": "5億"},
        "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "800萬",
                    "service_qualified": True},
                   {"id": "c2", "measure": "hit-product", "date": "2025-06-01", "annual_sales": "2億"}],
        "history": [{"measure": "compute-voucher", "date": "2025-02-01", "amount": "100萬"}]}


def _reversed_keys(value):
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def test_key_order_does_not_change_the_bytes():
    policy = ordinance.default_policy()
    one = policy.evaluate(CASE).to_json()
    assert policy.evaluate(_reversed_keys(CASE)).to_json() == one
    assert one.index('"claim":"c1"'.replace(":", ": ")) < one.index('"claim": "c2"')


def _env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ", "PYTHONHASHSEED",
                                                                     "ORDINANCE"))}
    env.update(extra)
    return env


def test_locale_time_zone_hash_seed_and_workers_do_not_change_the_bytes(tmp_path):
    forward, backward = tmp_path / "forward.json", tmp_path / "backward.json"
    forward.write_text(json.dumps(CASE, ensure_ascii=False), encoding="utf-8")
    backward.write_text(json.dumps(_reversed_keys(CASE), ensure_ascii=False), encoding="utf-8")
    lines = tmp_path / "cases.jsonl"
    lines.write_text("".join(json.dumps({**(CASE if i % 2 else _reversed_keys(CASE)), "case": f"k{i:02d}"},
                                        ensure_ascii=False) + "\n" for i in range(40)), encoding="utf-8")
    runs = [
        (forward, {"LC_ALL": "C", "TZ": "UTC", "PYTHONHASHSEED": "0"}, "1"),
        (backward, {"LC_ALL": "C.UTF-8", "TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "4242"}, "2"),
        (forward, {"LANG": "C.UTF-8", "TZ": "America/St_Johns", "PYTHONHASHSEED": "random"}, "3"),
    ]
    decisions, batches = set(), set()
    for case, env, jobs in runs:
        proc = subprocess.run([SCRIPT, "eval", str(case), "--format", "json"], capture_output=True, cwd=ROOT,
                              env=_env(**env), timeout=120)
        assert proc.returncode == 0, proc.stderr
        decisions.add(proc.stdout)
        out = tmp_path / f"out{jobs}.jsonl"
        proc = subprocess.run([SCRIPT, "batch", str(lines), "--out", str(out), "--jobs", jobs, "--trace"],
                              capture_output=True, cwd=ROOT, env=_env(**env), timeout=120)
        assert proc.returncode == 0, proc.stderr
        batches.add(out.read_bytes())
    assert len(decisions) == 1 and len(batches) == 1
    assert b"Traceback" not in b"".join(decisions)


# -- properties: any bytes load or fail with the engine's own error ---------------------------------

yamlish = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(["a:", " b:", "- ", "[", "]", "{", "}", "&x ", "*x", "!!python/name:os.system ",
                              "'", '"', "\\ud800", "\t", "\n", "  ", "1e400", "9" * 50, "~", "? ", ": ", "#",
                              "\ufeff", "\x00", "claims:", "applicant:", "measure: compute-voucher",
                              "date: 2025-02-30", "compute_spend: -1", ".nan", "<<: *x", "---", "..."]),
             max_size=30).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
)


@settings(max_examples=400, **SETTINGS)
@given(yamlish)
def test_any_bytes_load_or_raise_the_engines_error(raw):
    limits = Limits(max_file_bytes=150, max_depth=8, max_nodes=60, max_literal_digits=20)
    try:
        loaded = load_text(decode(raw, "f.yaml"), "f.yaml", limits)
    except PolicyError as exc:
        assert exc.problems and all(p.code and p.location for p in exc.problems)
        exc.render()
        return
    try:
        read_case(loaded.data, ordinance.default_policy(), "f.yaml", loaded)
    except CaseError as exc:
        assert exc.problems and all(p.code for p in exc.problems)
        exc.render()


@settings(max_examples=150, **SETTINGS)
@given(yamlish)
def test_any_file_loads_or_raises_the_engines_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("bytes") / "f.yaml"
    path.write_bytes(raw)
    try:
        ordinance.load_case(path, limits=Limits(max_file_bytes=150, max_depth=8, max_nodes=60))
    except CaseError as exc:
        assert exc.problems and all(p.code for p in exc.problems)


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"applicant": {"kind": "enterprise",\n "annual_revenue": "5\x9b"}, "claims": []}\n'),
    (".yaml", 'applicant: {kind: enterprise}\nclaims:\n  - id: "c\x01"\n'),
])
def test_a_character_yaml_does_not_allow_is_placed_at_its_line_and_column(tmp_path, suffix, text):
    """PyYAML's reader names only an offset ("position 59"): the problem stands at the character."""
    path = tmp_path / f"case{suffix}"
    path.write_text(text, encoding="utf-8")
    result = cli(["eval", str(path)])
    assert result.exit_code == 1 and "yaml-syntax" in result.stderr, result.stderr
    offset = next(i for i, ch in enumerate(text) if ch in "\x9b\x01")
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    assert f"{path}:{line}:{column}: yaml-syntax: the character U+00" in result.stderr
    assert not _RAW_CONTROLS.search(result.stderr)
