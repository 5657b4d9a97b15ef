"""The YAML loader: positions, scalar resolution, duplicate keys, limits, encodings."""

from __future__ import annotations

import time

import pytest

from ordinance import Limits, PolicyError
from ordinance.front.load import decode, load_text


def codes(text, limits=Limits()):
    with pytest.raises(PolicyError) as info:
        load_text(text, "f.yaml", limits)
    return info.value.codes


@pytest.mark.parametrize("text,value", [
    ("x: 0.3", "0.3"),            # floats stay text: exact Decimals later
    ("x: 30%", "30%"),
    ("x: 2027-12-31", "2027-12-31"),  # dates stay text, read by the language
    ("x: no", "no"),              # YAML 1.1 booleans are not booleans here
    ("x: true", True),
    ("x: 1_000", 1000),
    ("x: -5", -5),
    ("x: '5'", "5"),
    ("x: ~", None),
    ("x: 1000萬", "1000萬"),
    ("x: 1e400", "1e400"),
    ("x: .inf", ".inf"),
])
def test_scalar_resolution(text, value):
    assert load_text(text, "f.yaml").data == {"x": value}


def test_positions_of_values_and_keys():
    loaded = load_text("a:\n  b: [1, 2]\n  c: hello\n", "f.yaml")
    assert str(loaded.location(("a", "c"))) == "f.yaml:3:6"
    assert str(loaded.location(("a", "c"), key=True)) == "f.yaml:3:3"
    assert str(loaded.location(("a", "b", 1))) == "f.yaml:2:10"
    assert str(loaded.location(("a", "missing"))) == "f.yaml:2:3"  # nearest parent


def test_expression_spans_inside_block_scalars():
    text = "amount: >-\n  claim.spend *\n  30%\n"
    loaded = load_text(text, "f.yaml")
    span = loaded.span(("amount",))
    value = loaded.data["amount"]
    assert value == "claim.spend * 30%"
    loc = span.location(value.index("30%"))
    assert (loc.line, loc.column) == (3, 3)
    literal = load_text("amount: |\n  a +\n    b\n", "f.yaml")
    assert literal.data["amount"] == "a +\n  b\n"
    assert literal.span(("amount",)).location(literal.data["amount"].index("b")).column == 5


def test_quoted_scalar_columns_skip_the_quote():
    loaded = load_text('x: "abc"\n', "f.yaml")
    assert loaded.span(("x",)).location(1).column == 6


def test_duplicate_keys_are_an_error_not_last_one_wins():
    with pytest.raises(PolicyError) as info:
        load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    problem = info.value.problems[0]
    assert problem.code == "duplicate-key"
    assert (problem.location.line, problem.location.column) == (3, 1)
    assert "line 1" in problem.hint


def test_billion_laughs_is_refused_quickly():
    lol = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lol.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    start = time.process_time()
    assert "too-many-nodes" in codes("\n".join(lol))
    assert time.process_time() - start < 5  # bounded by the node budget, not by 10**10 values


def test_nesting_limit():
    assert codes("x: " + "[" * 100 + "]" * 100, Limits(max_depth=50)) == ["too-deep"]


def test_size_limit():
    assert codes("x: " + "a" * 100, Limits(max_file_bytes=50)) == ["file-too-large"]


def test_syntax_error_has_a_position():
    with pytest.raises(PolicyError) as info:
        load_text("a: [1, 2\nb: 3\n", "f.yaml")
    assert info.value.codes == ["yaml-syntax"]
    assert info.value.problems[0].location.line >= 2


def test_tab_indentation_is_explained():
    with pytest.raises(PolicyError) as info:
        load_text("a:\n\tb: 1\n", "f.yaml")
    assert info.value.codes == ["yaml-syntax"]
    assert "tab" in (info.value.problems[0].hint or "") + info.value.problems[0].message


def test_bom_is_accepted_and_invalid_utf8_is_refused_with_position():
    assert decode("\ufeffa: 1".encode("utf-8"), "f.yaml") == "a: 1"
    with pytest.raises(PolicyError) as info:
        decode(b"a: 1\nb: \xff\n", "f.yaml")
    p = info.value.problems[0]
    assert (p.code, p.location.line, p.location.column) == ("encoding", 2, 4)


def test_python_tags_are_inert():
    loaded = load_text("x: !!python/object/apply:os.system ['echo hi']\n", "f.yaml")
    assert loaded.data == {"x": ["echo hi"]}


def test_empty_file_loads_as_nothing():
    assert load_text("", "f.yaml").data is None


@pytest.mark.parametrize("yaml_value,target", [
    ('"applicant.kind == \\"enterprise\\" && true"', "&"),
    ("'applicant.kind == ''enterprise'' && true'", "&"),
    ('"a \\u00e9 && b"', "&"),
])
def test_columns_inside_quoted_scalars_count_escapes(yaml_value, target):
    line = f"when: {yaml_value}"
    loaded = load_text(line + "\n", "f.yaml")
    value = loaded.data["when"]
    loc = loaded.span(("when",)).location(value.index(target))
    assert line[loc.column - 1] == target


def test_unpaired_surrogate_escape_is_an_encoding_problem():
    assert codes('x: "a\\ud800b"\n') == ["encoding"]


def _codes_and_place(text: str) -> tuple[str, int, int]:
    with pytest.raises(PolicyError) as info:
        load_text(text, "f.yaml")
    p = info.value.problems[0]
    return p.code, p.location.line, p.location.column


def test_a_syntax_error_past_a_thousand_flow_brackets_is_told_by_libyaml(monkeypatch):
    """PyYAML's scanner weighs every pending `[` at every token (seconds for 2 KB): past the depth
    limit in brackets, libyaml's located message is given and the pure-Python loader never runs."""
    import ordinance.front.load as load_stage

    if load_stage._FAST_LOADER is None:
        pytest.skip("PyYAML without libyaml: the pure-Python composer is the only one")

    def refuse(*args, **kwargs):
        raise AssertionError("the pure-Python loader ran")

    monkeypatch.setattr(load_stage._BoundedLoader, "__init__", refuse)
    code, line, column = _codes_and_place("x: " + "[" * 900 + "1" + "]" * 899 + "}\n")
    assert (code, line, column) == ("yaml-syntax", 1, 3 + 900 + 1 + 899 + 1)
    # a shallow mistake still gets the pure-Python composer's documented message
    monkeypatch.undo()
    code, line, column = _codes_and_place("x: [1, 2\ny: 3\n")
    assert code == "yaml-syntax" and line == 2


def test_the_pure_python_composer_stops_past_the_depth_limit(monkeypatch):
    """Without libyaml, a deep document is refused where it passes the limit, not composed whole."""
    import ordinance.front.load as load_stage

    monkeypatch.setattr(load_stage, "_FAST_LOADER", None)
    composed = []
    original = load_stage._BoundedLoader.compose_node

    def counting(self, parent, index):
        composed.append(self.depth)
        return original(self, parent, index)

    monkeypatch.setattr(load_stage._BoundedLoader, "compose_node", counting)
    text = "x:\n" + "".join("  " * i + "- \n" for i in range(1, 500)) + "  " * 500 + "- 1\n"
    code, line, _ = _codes_and_place(text)
    limit = load_stage.DEFAULT_LIMITS.max_depth
    assert code == "too-deep" and line <= limit + 4
    assert max(composed) <= limit + 2
