"""The Draft view's rule editor, without a browser: the vendored CodeMirror bundle and its licences,
and the engine's words the editor knows (rule-language.js), which must be the grammar's, the
checker's and the rule-file schema's. The editor in use is tests/test_web_editor_browser.py's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lark import Lark

from ordinance.check.checker import BUILTIN_FACTS, FUNCTIONS
from ordinance.grammar.parser import GRAMMAR_PATH

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "ordinance" / "web" / "static"
VENDOR = STATIC / "vendor"
BUNDLE = VENDOR / "codemirror.js"
LICENCES = VENDOR / "LICENSES-codemirror.txt"
TOOLS = ROOT / "tools" / "codemirror"
SCHEMAS = ROOT / "ordinance" / "schema"


def js_constant(name: str):
    """The value of `export const <name> = <JSON>;` in rule-language.js."""
    text = (STATIC / "rule-language.js").read_text(encoding="utf-8")
    found = re.search(rf"^export const {name} = (.*?);$", text, re.MULTILINE | re.DOTALL)
    assert found, f"rule-language.js has no `export const {name} = ...;`"
    return json.loads(found.group(1))


# -- the words of the language ---------------------------------------------------------------------

def test_the_editor_s_keywords_are_the_grammar_s():
    grammar = Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="basic")
    words = {t.pattern.value for t in grammar.terminals if t.pattern.type == "str" and t.pattern.value.isidentifier()}
    assert words >= {"if", "then", "else", "and", "or", "not", "in", "true", "false"}
    keywords, constants = js_constant("KEYWORDS"), js_constant("CONSTANTS")
    assert sorted(keywords + constants) == sorted(words)
    assert set(constants) == {"true", "false"}


def test_the_editor_s_functions_and_built_in_facts_are_the_checker_s():
    assert js_constant("FUNCTIONS") == {name: text for name, (_, _, text) in FUNCTIONS.items()}
    assert js_constant("BUILTIN_FACTS") == {name: [t.name, zh, en] for name, (t, zh, en) in BUILTIN_FACTS.items()}


def _expression_positions(schema: dict) -> tuple[set[str], set[str]]:
    """(keys whose value is an expression, keys whose mapping holds expressions) in a JSON Schema."""
    defs = schema.get("$defs", {})

    def resolve(s):
        while isinstance(s, dict) and "$ref" in s:
            s = defs[s["$ref"].rsplit("/", 1)[1]]
        return s

    def expression(s) -> bool:
        if isinstance(s, dict) and s.get("$ref") == "#/$defs/expr":
            return True
        s = resolve(s)
        return isinstance(s, dict) and any(expression(b) for b in s.get("anyOf", []))

    keys: set[str] = set()
    maps: set[str] = set()

    def walk(s):
        if isinstance(s, dict):
            for name, sub in (s.get("properties") or {}).items():
                if expression(sub):
                    keys.add(name)
                elif isinstance(resolve(sub), dict) and expression(resolve(sub).get("additionalProperties")):
                    maps.add(name)
            for value in s.values():
                walk(value)
        elif isinstance(s, list):
            for value in s:
                walk(value)

    walk(schema)
    return keys, maps


def test_the_editor_highlights_the_values_the_schemas_say_are_expressions():
    keys: set[str] = set()
    maps: set[str] = set()
    for name in ("rules.schema.json", "policy.schema.json"):
        k, m = _expression_positions(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))
        keys |= k
        maps |= m
    assert {"when", "amount", "limit", "rank_by"} <= keys and "set" in maps      # the walk finds them
    assert sorted(js_constant("EXPRESSION_KEYS")) == sorted(keys)
    assert sorted(js_constant("EXPRESSION_MAPS")) == sorted(maps)


# -- the vendored bundle ---------------------------------------------------------------------------

def _bundled() -> list[tuple[str, str]]:
    """(name, version) of every package the bundle's first line says it holds."""
    head = BUNDLE.read_text(encoding="utf-8").split("\n", 1)[0]
    found = re.search(r"from (.*?); style-mod patched", head)
    assert found, head
    return [tuple(p.rsplit("@", 1)) for p in found.group(1).split(", ")]


def test_the_bundle_is_the_page_s_and_its_licences_name_every_package_in_it():
    text = BUNDLE.read_text(encoding="utf-8")
    assert text.startswith("/* CodeMirror 6") and "export{" in text.replace(" ", "")
    # the page loads it, and the editor's modules import it, from the server itself
    assert '<link rel="modulepreload" href="/static/vendor/codemirror.js">' in (STATIC / "index.html").read_text(encoding="utf-8")
    for module in ("rule-editor.js", "rule-language.js", "rule-completion.js", "rule-editor-theme.js"):
        assert 'from "./vendor/codemirror.js"' in (STATIC / module).read_text(encoding="utf-8"), module
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon)\s*\(", text), \
        "the bundle would ask something of a server"

    bundled = _bundled()
    names = {n for n, _ in bundled}
    assert {"@codemirror/state", "@codemirror/view", "@codemirror/language", "@codemirror/commands",
            "@codemirror/autocomplete", "@codemirror/lint", "@codemirror/search", "@codemirror/lang-yaml",
            "@lezer/highlight", "style-mod"} <= names
    licences = LICENCES.read_text(encoding="utf-8")
    for name, version in bundled:
        section = re.search(rf"^{re.escape(name)} {re.escape(version)} \(MIT\)\n=+\n\n(.*?)(?:\n=====|\Z)", licences,
                            re.MULTILINE | re.DOTALL)
        assert section, f"{name} {version} is not in {LICENCES.name}"
        assert "Permission is hereby granted, free of charge" in section.group(1), name
    assert licences.count(" (MIT)\n") == len(bundled)


def test_the_bundle_is_built_from_the_pinned_versions():
    """A dependency changed in package.json or the lock without `make codemirror` would leave the
    committed bundle behind: its versions must be the lock's, and the direct ones pinned exactly."""
    package = json.loads((TOOLS / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    for name, wanted in {**package["dependencies"], **package["devDependencies"]}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), f"{name} is not pinned: {wanted}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == wanted, name
    for name, version in _bundled():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert set(package["dependencies"]) <= {n for n, _ in _bundled()}
    assert "node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
