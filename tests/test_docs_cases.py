"""Keeps docs/cases.md (the reference of the case format) honest.

docs/cases.md carries marked blocks that this module checks against the engine and the files:

``<!-- case: examples/cases/X.yaml -->``
    followed by a fenced block that must be byte-for-byte the example file;
``<!-- decision: examples/cases/X.yaml -->`` ... ``<!-- /decision -->``
    a table of the decision (claim, measure, status, amount, ceiling/duration, reasons) and the
    total, which must be what the bundled policy decides for the file;
``<!-- facts: MEASURE -->`` ... ``<!-- /facts -->`` (and ``<!-- facts: applicant -->``)
    the facts a measure reads, generated from the loaded policy;
``<!-- error: NAME.yaml -->``
    a fenced YAML case followed by a fenced ``text`` block: ``$ ordinance eval NAME.yaml`` and the
    exact messages the command prints for it;
``<!-- python-example -->``
    a fenced ``python`` block followed by a fenced ``text`` block with what it prints;
``<!-- decision-json: examples/cases/X.yaml -->``
    a fenced ``json`` block: the output of ``ordinance eval X --format json --no-trace`` (the
    policy digest written as ``…``).

When the policy or an example changes on purpose, regenerate every marked block with::

    .venv/bin/python tests/test_docs_cases.py --update

and read the diff of docs/cases.md before committing it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as a script
    sys.path.insert(0, str(ROOT))

import ordinance  # noqa: E402
from ordinance.cli.main import main as cli_main  # noqa: E402

DOC = ROOT / "docs" / "cases.md"
#: the policy's own page: its ``<!-- decision: -->`` blocks are checked and regenerated too
POLICY_DOC = ROOT / "docs" / "policy-xiamen-ai-2025.md"
EXAMPLES = ROOT / "examples" / "cases"

_FENCE = r"```(?P<lang>[a-z]*)\n(?P<body>.*?)\n```"
CASE_RE = re.compile(r"<!-- case: (?P<path>\S+) -->\n" + _FENCE, re.S)
DECISION_RE = re.compile(r"<!-- decision: (?P<path>\S+) -->\n(?P<body>.*?)\n<!-- /decision -->", re.S)
FACTS_RE = re.compile(r"<!-- facts: (?P<measure>\S+) -->\n(?P<body>.*?)\n<!-- /facts -->", re.S)
ERROR_RE = re.compile(r"<!-- error: (?P<name>\S+) -->\n```yaml\n(?P<case>.*?)\n```\n\n```text\n(?P<output>.*?)\n```",
                      re.S)
PYTHON_RE = re.compile(r"<!-- python-example -->\n```python\n(?P<code>.*?)\n```\n\n```text\n(?P<output>.*?)\n```",
                       re.S)
JSON_RE = re.compile(r"<!-- decision-json: (?P<path>\S+) -->\n```json\n(?P<body>.*?)\n```", re.S)


def policy() -> ordinance.Policy:
    return ordinance.default_policy()


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- the decision of an example, as the doc writes it ---------------------------------------------

def _money(text: str | None) -> str:
    if text is None:
        return "—"
    return f"{Decimal(text):,.2f} 元"


def _upper(text: str | None) -> str:
    return _money(text) if text is not None else "no upper bound known"


def _reasons(result: dict) -> str:
    parts = []
    for r in result["reasons"]:
        code = r["code"]
        if code == "missing-facts":
            parts.append(f"`{code}`: " + ", ".join(f"`{m}`" for m in result["missing"]))
        elif code == "project-needed":
            parts.append(f"`{code}`: `claim.project`")
        elif "condition" in r:
            parts.append(f"`{code}`: `{r['condition']}`")
        elif "winner" in r:
            parts.append(f"`{code}` by `{r['winner']}`")
        elif "granted" in r:
            parts.append(f"`{code}` by `{r['granted']}`")
        elif "waiting_on" in r:
            parts.append(f"`{code}`: " + ", ".join(f"`{c}`" for c in r["claims"]))
        else:
            parts.append(f"`{code}`")
    if result.get("quota"):
        parts.append(f"quota: {result['quota']['status']}")
    return "; ".join(parts) or "—"


def decision_rows(path: Path) -> tuple[list[tuple[str, ...]], str]:
    """The rows of the decision table for ``path`` and the total, from the bundled policy."""
    case = ordinance.load_case(path, policy())
    data = policy().evaluate(case, trace=False).to_dict()
    rows = []
    for r in data["results"]:
        extra = []
        if "ceiling" in r:
            extra.append(f"ceiling {_money(r['ceiling'])}")
        if "duration" in r:
            extra.append(f"duration {r['duration']}")
        amount = _money(r["amount"])
        bounds = r.get("bounds")
        if bounds is not None:  # an undetermined claim: the least and the most it can come to
            amount += f" ({_money(bounds['at_least'])} to {_upper(bounds['at_most'])})"
        rows.append((f"`{r['claim']}`", f"`{r['measure']}`", r["status"], amount,
                     "; ".join(extra) or "—", _reasons(r)))
    total = _money(data["total"])
    if "open" in data:
        total += f"; still open: {_money(data['open']['at_least'])} to {_upper(data['open']['at_most'])}"
    return rows, total


def render_decision(path: Path) -> str:
    rows, total = decision_rows(path)
    lines = ["| claim | measure | status | amount | ceiling / duration | reasons |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines.append(f"Total: **{total}**")
    return "\n".join(lines)


def parse_decision(body: str) -> tuple[list[tuple[str, ...]], str]:
    rows = []
    total = None
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("| claim ") or line.startswith("|---"):
            continue
        if line.startswith("|"):
            rows.append(tuple(cell.strip() for cell in line.strip("|").split(" | ")))
        elif line.startswith("Total:"):
            total = line[len("Total:"):].strip().strip("*")
    assert total is not None, f"no `Total:` line in the decision block:\n{body}"
    return rows, total


# -- the facts a measure reads ------------------------------------------------------------------

def _type(t) -> str:
    if t.name == "enum":
        return "enum: " + ", ".join(f"`{v}`" for v in t.values or ())
    if t.name == "list":
        return f"list of {_type(t.element)}"
    return t.name


def _applicant_facts_read(program) -> list[str]:
    m = program.measure
    expressions = [c.when for c in m.conditions] + [m.amount, m.ceiling, m.duration]
    expressions += [c.limit for c in m.caps] + [v.expression for v in m.values.values()]
    expressions += [x for t in m.tables.values() for row in t.rows for x in [row.when, *row.cells.values()]]
    expressions += [v.expression for p in m.parameters.values() for v in p.values]
    if m.quota is not None:
        expressions.append(m.quota.rank_by)
    names = set()
    for e in expressions:
        if e is not None:
            names.update(re.findall(r"\bapplicant\.[a-z_][a-z0-9_]*", e.text))
    return sorted(names)


def _summary(program) -> str:
    m = program.measure
    items = [f"article {m.article}", f"basis `{m.basis}`"]
    if m.benefit == "money":
        items.append("benefit `money` (an amount)")
    elif m.benefit == "assessed":
        items.append(f"benefit `assessed` (a ceiling of {m.ceiling.text}, no amount)")
    elif m.benefit == "in-kind":
        items.append(f"benefit `in-kind` ({m.benefit_label.en if m.benefit_label else 'not money'}, "
                     f"duration {m.duration.text})")
    else:
        items.append("benefit `support` (no amount)")
    for cap in m.caps:
        pool = f", pool `{cap.pool}`" if cap.pool else ""
        items.append(f"cap per {cap.per}{pool}: `{cap.limit.text}`")
    if m.one_time:
        items.append("one-time per project")
    if m.quota is not None:
        items.append(f"quota: {m.quota.count} a {m.quota.per}, ranked by `{m.quota.rank_by.text}` "
                     f"({m.quota.order})")
    if m.valid is not None:
        items.append(f"measure in force {m.valid}")
    if m.exclusive:
        project = f"**`project:` required** (group `{m.exclusive}`)"
    elif any(c.per.startswith("product") for c in m.caps):
        project = "`project:` names the product (its cap spans claims and history)"
    elif any(c.per.startswith("project") for c in m.caps):
        project = "`project:` names the project (its cap spans claims and history)"
    else:
        project = "`project:` not used"
    items.append(project)
    return " · ".join(items)


def render_facts(key: str) -> str:
    p = policy()
    lines = []
    if key == "applicant":
        lines += ["| fact | type | 中文 | English |", "|---|---|---|---|",
                  "| `id` | text | 申請主體編號 | applicant id (optional, shown in the trace) |",
                  "| `name` | text | 申請主體名稱 | applicant name (optional, shown in the trace) |"]
        for name, fact in p.applicant_facts.items():
            lines.append(f"| `{name.split('.', 1)[1]}` | {_type(fact.type)} | {fact.label.zh} | {fact.label.en} |")
        return "\n".join(lines)
    if key == "groups":
        lines += ["| group | 中文 | English | measures |", "|---|---|---|---|"]
        for info in p.policies:
            for gid, group in info.definition.groups.items():
                members = ", ".join(f"`{k}`" for k, prog in p.programs.items() if prog.measure.exclusive == gid)
                lines.append(f"| `{gid}` | {group.label.zh} | {group.label.en} | {members} |")
        return "\n".join(lines)
    if key == "pools":
        lines += ["| pool | measures | cap per entity and calendar year |", "|---|---|---|"]
        pools: dict[str, list[str]] = {}
        limits: dict[str, list[str]] = {}
        for k, prog in p.programs.items():
            for cap in prog.measure.caps:
                if cap.per == "entity-year":
                    pool = cap.pool or prog.measure.id
                    pools.setdefault(pool, []).append(f"`{k}`")
                    limits.setdefault(pool, []).append(f"`{cap.limit.text}`")
        for pool, members in pools.items():
            lines.append(f"| `{pool}` | {', '.join(members)} | {', '.join(dict.fromkeys(limits[pool]))} |")
        return "\n".join(lines)
    program = p.find_measure(key)
    assert program is not None, f"docs/cases.md has a facts block for unknown measure `{key}`"
    m = program.measure
    lines.append(f"**{m.title.zh}** / {m.title.en}")
    lines.append("")
    lines.append(_summary(program))
    lines.append("")
    for name, table in m.tables.items():
        columns = list(table.rows[0].cells) if table.rows else []
        lines += [f"| table `{name}`: the first row that applies | " + " | ".join(f"`{c}`" for c in columns) + " |",
                  "|---|" + "---|" * len(columns)]
        for row in table.rows:
            when = f"`{row.when.text}`" if row.when is not None else "otherwise"
            text = f"{row.label.en}: {when}" if row.label else when
            lines.append(f"| {text} | " + " | ".join(f"`{row.cells[c].text}`" for c in columns) + " |")
        lines.append("")
    lines += ["| written in | fact | type | 中文 | English |", "|---|---|---|---|---|"]
    for name, fact in program.claim_facts.items():
        fact = m.facts.get(name, fact)  # the measure's own description (a shared fact keeps its first one)
        lines.append(f"| claim | `{name.split('.', 1)[1]}` | {_type(fact.type)} | {fact.label.zh} | {fact.label.en} |")
    for name in _applicant_facts_read(program):
        fact = p.applicant_facts[name]
        lines.append(f"| applicant | `{name.split('.', 1)[1]}` | {_type(fact.type)} | {fact.label.zh} | "
                     f"{fact.label.en} |")
    return "\n".join(lines)


# -- error messages and Python examples ---------------------------------------------------------

def run_eval(directory: Path, name: str, case_text: str, *args: str) -> tuple[int, str, str]:
    """``ordinance eval NAME`` run in ``directory`` on ``case_text``: exit code, stdout, stderr."""
    from click.testing import CliRunner

    (directory / name).write_text(case_text + "\n", encoding="utf-8")
    runner = CliRunner()
    with contextlib.chdir(directory):
        result = runner.invoke(cli_main, ["eval", name, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_python(code: str) -> str:
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        exec(compile(code, "<docs/cases.md>", "exec"), {"__name__": "docs_example"})
    return out.getvalue().rstrip("\n")


def decision_json(path: str) -> str:
    case = ordinance.load_case(ROOT / path, policy())
    data = policy().evaluate(case, trace=False).to_dict()
    data["policy"]["digest"] = "…"
    return json.dumps(data, ensure_ascii=False, indent=2)


# -- the tests ------------------------------------------------------------------------------------

def test_every_measure_has_an_example_file():
    missing = [m for m in policy().measure_ids() if not (EXAMPLES / f"{m}.yaml").is_file()]
    assert not missing, f"no example in examples/cases/ for: {', '.join(missing)}"
    for m in policy().measure_ids():
        case = ordinance.load_case(EXAMPLES / f"{m}.yaml", policy())
        assert m in {c.measure for c in case.claims}, f"examples/cases/{m}.yaml has no claim for `{m}`"


def test_every_measure_has_a_section_in_the_doc():
    documented = {m["measure"] for m in FACTS_RE.finditer(doc_text())}
    missing = [m for m in policy().measure_ids() if m not in documented]
    assert not missing, f"docs/cases.md has no facts table for: {', '.join(missing)}"


def test_every_example_is_shown_and_decided_in_the_doc():
    text = doc_text()
    shown = {m["path"] for m in CASE_RE.finditer(text)}
    decided = {m["path"] for m in DECISION_RE.finditer(text)}
    files = {rel(p) for p in example_files()}
    assert files - shown == set(), f"examples not shown in docs/cases.md: {sorted(files - shown)}"
    assert files - decided == set(), f"examples without a decision in docs/cases.md: {sorted(files - decided)}"
    assert shown - files == set(), f"docs/cases.md shows examples that do not exist: {sorted(shown - files)}"
    assert decided - files == set(), f"docs/cases.md decides examples that do not exist: {sorted(decided - files)}"


@pytest.mark.parametrize("match", list(CASE_RE.finditer(doc_text())), ids=lambda m: m["path"])
def test_case_block_is_the_example_file(match):
    path = ROOT / match["path"]
    assert path.is_file(), f"{match['path']} does not exist"
    assert match["lang"] == path.suffix[1:], f"the block for {match['path']} should be fenced as {path.suffix[1:]}"
    assert match["body"] + "\n" == path.read_text(encoding="utf-8"), \
        f"the block in docs/cases.md differs from {match['path']} (run tests/test_docs_cases.py --update)"


@pytest.mark.parametrize("match", list(DECISION_RE.finditer(doc_text())), ids=lambda m: m["path"])
def test_decision_in_the_doc_is_what_the_engine_decides(match):
    got_rows, got_total = decision_rows(ROOT / match["path"])
    doc_rows, doc_total = parse_decision(match["body"])
    want = {row[0]: row for row in doc_rows}
    got = {row[0]: row for row in got_rows}
    assert list(want) == list(got), f"{match['path']}: the doc lists claims {list(want)}, the engine {list(got)}"
    for claim in got:
        assert want[claim] == got[claim], (
            f"{match['path']} claim {claim}: docs/cases.md says {want[claim]}, the engine decides {got[claim]}")
    assert doc_total == got_total, f"{match['path']}: docs/cases.md says total {doc_total}, the engine {got_total}"


@pytest.mark.parametrize("match", list(DECISION_RE.finditer(POLICY_DOC.read_text(encoding="utf-8"))),
                         ids=lambda m: m["path"])
def test_decision_in_the_policy_doc_is_what_the_engine_decides(match):
    """What docs/policy-xiamen-ai-2025.md says a case comes to is what the engine decides."""
    assert parse_decision(match["body"]) == decision_rows(ROOT / match["path"]), \
        f"docs/policy-xiamen-ai-2025.md: the decision of {match['path']} differs from the engine's (run --update)"


def test_the_policy_doc_shows_decisions():
    assert len(DECISION_RE.findall(POLICY_DOC.read_text(encoding="utf-8"))) >= 1


@pytest.mark.parametrize("match", list(FACTS_RE.finditer(doc_text())), ids=lambda m: m["measure"])
def test_facts_table_is_the_policy(match):
    assert match["body"] == render_facts(match["measure"]), \
        f"the facts of `{match['measure']}` in docs/cases.md differ from the policy (run --update)"


@pytest.mark.parametrize("match", list(ERROR_RE.finditer(doc_text())), ids=lambda m: m["name"])
def test_error_messages_are_the_real_ones(match, tmp_path):
    command, _, want = match["output"].partition("\n")
    assert command == f"$ ordinance eval {match['name']}", f"the first line should be the command: {command}"
    code, out, err = run_eval(tmp_path, match["name"], match["case"])
    assert code == 1 and out == "", f"{match['name']} should be refused (exit 1), got {code}: {out}"
    assert err.rstrip("\n") == want, f"the messages for {match['name']} changed:\n{err}"


@pytest.mark.parametrize("match", list(PYTHON_RE.finditer(doc_text())), ids=lambda m: m["code"].splitlines()[0])
def test_python_examples_print_what_the_doc_says(match):
    assert run_python(match["code"]) == match["output"]


@pytest.mark.parametrize("match", list(JSON_RE.finditer(doc_text())), ids=lambda m: m["path"])
def test_decision_json_is_the_real_output(match):
    assert match["body"] == decision_json(match["path"])


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_example_is_valid_against_the_editor_schema(path):
    """The schema from `ordinance schema` accepts every example, `null` facts included."""
    import jsonschema

    data = copy.deepcopy(ordinance.load_case_data(path).data)
    validator = jsonschema.Draft202012Validator(policy().case_schema())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, f"{path.name} does not match the case schema: {errors}"


# -- regenerating the doc -------------------------------------------------------------------------

def update(text: str) -> str:
    """``text`` with every generated block rewritten from the files and the engine."""
    import tempfile

    def case_block(m: re.Match) -> str:
        path = ROOT / m["path"]
        return f"<!-- case: {m['path']} -->\n```{path.suffix[1:]}\n{path.read_text(encoding='utf-8').rstrip(chr(10))}\n```"

    def decision_block(m: re.Match) -> str:
        return f"<!-- decision: {m['path']} -->\n{render_decision(ROOT / m['path'])}\n<!-- /decision -->"

    def facts_block(m: re.Match) -> str:
        return f"<!-- facts: {m['measure']} -->\n{render_facts(m['measure'])}\n<!-- /facts -->"

    def error_block(m: re.Match) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            _, _, err = run_eval(Path(tmp), m["name"], m["case"])
        return (f"<!-- error: {m['name']} -->\n```yaml\n{m['case']}\n```\n\n```text\n"
                f"$ ordinance eval {m['name']}\n{err.rstrip(chr(10))}\n```")

    def python_block(m: re.Match) -> str:
        return f"<!-- python-example -->\n```python\n{m['code']}\n```\n\n```text\n{run_python(m['code'])}\n```"

    def json_block(m: re.Match) -> str:
        return f"<!-- decision-json: {m['path']} -->\n```json\n{decision_json(m['path'])}\n```"

    for pattern, fn in ((CASE_RE, case_block), (DECISION_RE, decision_block), (FACTS_RE, facts_block),
                        (ERROR_RE, error_block), (PYTHON_RE, python_block), (JSON_RE, json_block)):
        text = pattern.sub(fn, text)
    return text


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_docs_cases.py --update   (rewrites the generated blocks of docs/cases.md)")
    old = doc_text()
    new = update(old)
    DOC.write_text(new, encoding="utf-8")
    print("docs/cases.md: " + ("updated" if new != old else "unchanged"))
    old = POLICY_DOC.read_text(encoding="utf-8")
    new = DECISION_RE.sub(lambda m: f"<!-- decision: {m['path']} -->\n{render_decision(ROOT / m['path'])}\n"
                                    "<!-- /decision -->", old)
    POLICY_DOC.write_text(new, encoding="utf-8")
    print("docs/policy-xiamen-ai-2025.md: " + ("updated" if new != old else "unchanged"))
