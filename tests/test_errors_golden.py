"""Golden tests of the rendered error messages of broken policies.

Each directory under ``tests/fixtures/broken/`` is a small policy (``policy.yaml`` plus
``rules/*.yaml``, no source text) with one kind of mistake, or several.  Loading it must fail
with a :class:`~ordinance.PolicyError` whose rendering (``file:line:col: code: message``, the
source line, a caret under the offending span, the hint) equals
``tests/golden/errors/<name>.txt``, and whose stable codes are the ones listed below.

The same problems rendered in Chinese (``render(lang="zh")``) equal
``tests/golden/errors-zh/<name>.txt``: the codes, places, source lines and carets are the same,
the words are the catalogue's Chinese (ordinance/messages/).

After an intended change of wording, rewrite the golden files with::

    ORDINANCE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_errors_golden.py

and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ordinance
import unicodedata

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path("tests/fixtures/broken")  # relative: the rendered file names are
GOLDEN = ROOT / "tests" / "golden" / "errors"
GOLDEN_ZH = ROOT / "tests" / "golden" / "errors-zh"
UPDATE = os.environ.get("ORDINANCE_UPDATE_GOLDEN") == "1"

#: fixture -> the codes of its problems, in the order they are reported (sorted by position)
EXPECTED_CODES = {
    "yaml-syntax": ["yaml-syntax"],
    "tab": ["yaml-syntax"],
    "duplicate-key": ["duplicate-key"],
    "unknown-key": ["unknown-key"],
    "missing-key": ["missing-key"],
    "expression-syntax": ["syntax"] * 6,
    "unknown-fact": ["unknown-name", "unknown-name"],
    "money-plus-date": ["type-mismatch"],
    "bad-enum": ["unknown-enum-value", "unknown-enum-value"],
    "cycle": ["cycle"],
    "unknown-group": ["unknown-group"],
    "nonexistent-date": ["bad-date", "syntax"],
    "several-problems": ["unknown-group", "type-mismatch", "unknown-enum-value", "unknown-name", "type-mismatch"],
}


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _error(name: str) -> ordinance.PolicyError:
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.load_policy(FIXTURES / name)
    return info.value


def test_every_fixture_has_expectations():
    on_disk = sorted(p.name for p in (ROOT / FIXTURES).iterdir() if (p / "policy.yaml").is_file())
    assert on_disk == sorted(EXPECTED_CODES)


def _matches_golden(rendered: str, golden: Path) -> None:
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; run with ORDINANCE_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_rendered_errors_match_golden(name):
    _matches_golden(_error(name).render() + "\n", GOLDEN / f"{name}.txt")


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_rendered_errors_in_chinese_match_golden(name):
    error = _error(name)
    rendered = error.render(lang="zh") + "\n"
    _matches_golden(rendered, GOLDEN_ZH / f"{name}.txt")
    english = error.render().splitlines()
    assert len(rendered.splitlines()) == len(english)  # line for line: the same places, source and carets
    for en, zh in zip(english, rendered.splitlines()):
        if not en.startswith("  hint: "):
            assert (en.split(": ")[0], en.split(": ")[1:2]) == (zh.split(": ")[0], zh.split(": ")[1:2]) \
                or en.lstrip()[:1] in "0123456789|"


@pytest.mark.parametrize("name,codes", sorted(EXPECTED_CODES.items()))
def test_error_codes(name, codes):
    error = _error(name)
    assert error.codes == codes
    # every problem points into the broken rule file, at a real line of it
    for problem in error.problems:
        assert problem.location is not None
        assert problem.location.file.startswith(str(FIXTURES / name))
        assert problem.location.file in error.sources


def test_problems_are_sorted_by_position():
    error = _error("several-problems")
    keys = [(p.location.line, p.location.column) for p in error.problems]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)  # five distinct problems, none repeated


def _problem_at(error, code, line):
    matches = [p for p in error.problems if p.code == code and p.location.line == line]
    assert len(matches) == 1, error.render()
    return matches[0]


def _caret_target(error, problem) -> str:
    """The text the caret of ``problem`` underlines, read from the source by display cells."""
    loc = problem.location
    src = error.sources[loc.file].splitlines()[loc.line - 1]
    width = loc.end_column - loc.column if loc.end_line == loc.line and loc.end_column else 1
    return src[loc.column - 1: loc.column - 1 + width]


def _cells(text: str) -> int:
    """Terminal cells ``text`` takes: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


@pytest.mark.parametrize("line,target", [
    (10, "="),        # plain scalar: claim.compute_spend = 100萬
    (12, "&"),        # double-quoted scalar: the quote itself is not counted
    (16, "="),        # folded block scalar, second line: =<
    (20, "<"),        # literal block scalar, more-indented line: the second <
    (22, "（"),        # full-width parenthesis after wide characters
    (24, '"'),        # the opening quote of a string that is not closed
])
def test_syntax_carets_sit_under_the_offending_character(line, target):
    error = _error("expression-syntax")
    problem = _problem_at(error, "syntax", line)
    assert _caret_target(error, problem) == target


@pytest.mark.parametrize("line", [10, 12, 16, 20, 22, 24])
def test_rendered_caret_is_under_the_column_on_screen(line):
    """On screen, wide characters (萬, （) take two cells: the caret line pads accordingly."""
    error = _error("expression-syntax")
    problem = _problem_at(error, "syntax", line)
    src = error.sources[problem.location.file].splitlines()[line - 1]
    rendered = error.render().splitlines()
    i = rendered.index(f"{line:>5} | {src}")
    caret_line = rendered[i + 1]
    assert caret_line.startswith("      | ") and caret_line.endswith("^")
    pad = caret_line[len("      | "):].rstrip("^")
    assert pad == " " * _cells(src[:problem.location.column - 1])


@pytest.mark.parametrize("name,line,target", [
    ("unknown-fact", 9, "applicant.anual_revenue"),
    ("unknown-fact", 10, "claim.compute_spnd"),
    ("money-plus-date", 7, "claim.compute_spend + claim.date"),
    ("bad-enum", 9, '"enterprize"'),
    ("bad-enum", 11, '"institute"'),
    ("nonexistent-date", 6, "2025-02-30"),
    ("nonexistent-date", 11, "2026-02-29"),
    ("several-problems", 19, "1000萬 * 2萬"),
])
def test_spans_cover_the_offending_text(name, line, target):
    error = _error(name)
    problem = next(p for p in error.problems if p.location.line == line)
    assert _caret_target(error, problem) == target


@pytest.mark.parametrize("name,code,hint", [
    ("unknown-key", "unknown-key", "did you mean `amount`?"),
    ("unknown-fact", "unknown-name", "did you mean `claim.compute_spend`?"),
    ("bad-enum", "unknown-enum-value", "did you mean `enterprise`?"),
    ("unknown-group", "unknown-group", "did you mean `rd-project`?"),
    ("tab", "yaml-syntax", "YAML indents with spaces, never tabs"),
])
def test_hints(name, code, hint):
    hints = [p.hint for p in _error(name).problems if p.code == code]
    assert hint in hints


def test_a_cycle_is_reported_once_without_a_cascade():
    error = _error("cycle")
    assert error.codes == ["cycle"]
    assert "base -> rebate -> base" in error.problems[0].message
