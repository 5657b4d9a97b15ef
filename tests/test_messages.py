"""The message catalogue (ordinance/messages/): every message in English and Chinese, one truth each.

- Every entry has an English and a Traditional Chinese template with the same parameters; the
  Chinese is Chinese (or, for a pure echo such as ``{said}``, the English itself).
- Every message the code builds names an entry that exists, with exactly its parameters; every
  entry is used.
- No problem, hint or API error is made of words that bypass the catalogue (an AST scan of
  ordinance/): a string literal, an f-string, a concatenation or ``str(...)`` handed to one of the
  places a person reads from fails here.
- Every problem the hostile corpus and the broken fixtures raise says itself in Chinese.
- Choosing the language: ``--lang``, ``ORDINANCE_LANG``, the locale, ``Accept-Language``.
"""

from __future__ import annotations

import ast
import json
import pickle
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.errors import did_you_mean, shorten
from ordinance.messages import CATALOGUE, Text, accept_lang, env_lang, join, msg, parse_lang, plural, recognise

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ordinance"
MESSAGES = PACKAGE / "messages"
FIELD = re.compile(r"\{(\w+)(?::[^{}]*)?\}")
CJK = re.compile("[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def fields(template: str) -> set[str]:
    return set(FIELD.findall(template.replace("{{", "").replace("}}", "")))


# -- the catalogue --------------------------------------------------------------------------------------

def test_every_entry_has_both_languages_with_the_same_parameters():
    wrong = []
    for key, entry in CATALOGUE.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(t, str) and t for t in entry)):
            wrong.append(f"{key}: not (English, Chinese)")
            continue
        en, zh = entry
        if fields(en) != fields(zh):
            wrong.append(f"{key}: {sorted(fields(en))} in English, {sorted(fields(zh))} in Chinese")
        for template in entry:  # only {name}, {name:spec} and doubled braces
            rest = FIELD.sub("", template.replace("{{", "").replace("}}", ""))
            if "{" in rest or "}" in rest:
                wrong.append(f"{key}: a stray brace in {template!r}")
        if not CJK.search(zh) and zh != en:
            wrong.append(f"{key}: the Chinese {zh!r} holds no Chinese")
    assert wrong == [], "\n".join(wrong)


def test_no_entry_is_defined_twice():
    """A dict literal keeps the last of two equal keys in silence: each catalogue file is read as code."""
    seen: dict[str, str] = {}
    twice = []
    for path in sorted(MESSAGES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for k in node.keys:
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and "." in k.value:
                        if k.value in seen:
                            twice.append(f"{k.value}: {seen[k.value]} and {path.name}")
                        seen[k.value] = path.name
    assert twice == []
    assert len(seen) == len(CATALOGUE)


def test_plural_entries_come_in_pairs():
    bases = {k.rsplit(".", 1)[0] for k in CATALOGUE if k.endswith((".one", ".other"))}
    assert all(f"{b}.one" in CATALOGUE and f"{b}.other" in CATALOGUE for b in bases)


# -- the code that builds messages ----------------------------------------------------------------------

def _sources() -> list[tuple[str, ast.AST]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if MESSAGES in path.parents:
            continue
        out.append((str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))))
    return out


SOURCES = _sources()


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _calls(name: str):
    for where, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == name:
                yield f"{where}:{node.lineno}", node


def test_every_message_built_exists_with_its_parameters():
    wrong = []
    for builder in ("msg", "plural"):
        for where, call in _calls(builder):
            if not call.args:
                continue
            key_node = call.args[0]
            given = {k.arg for k in call.keywords if k.arg is not None}
            if any(k.arg is None for k in call.keywords):
                continue  # msg(key, **said): checked where said is built
            if builder == "plural":
                given.add("count")
            if isinstance(key_node, ast.Constant) and isinstance(key_node.value, str):
                keys = [f"{key_node.value}.one", f"{key_node.value}.other"] if builder == "plural" \
                    else [key_node.value]
                for key in keys:
                    if key not in CATALOGUE:
                        wrong.append(f"{where}: no entry {key!r}")
                    elif not fields(CATALOGUE[key][0]) <= given or given - fields(CATALOGUE[key][0]) - {"count"}:
                        wrong.append(f"{where}: {key!r} takes {sorted(fields(CATALOGUE[key][0]))}, "
                                     f"given {sorted(given)}")
            elif isinstance(key_node, ast.JoinedStr):
                prefix = key_node.values[0].value if isinstance(key_node.values[0], ast.Constant) else ""
                matching = [k for k in CATALOGUE if k.startswith(prefix)]
                if not prefix or not matching:
                    wrong.append(f"{where}: no entry starts with {prefix!r}")
    assert wrong == [], "\n".join(wrong)


def test_every_entry_is_used():
    constants: set[str] = set()
    prefixes: set[str] = set()
    for where, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(node.values[0].value)
    for _, call in _calls("recognise"):
        prefixes.add(call.args[0].value)
    prefixes = {p for p in prefixes if re.fullmatch(r"[a-z]+\.[a-z.-]*", p)}
    used_by_machinery = {"sep.comma", "sep.or"}  # messages.join()'s separators
    prefixes.add("os.")  # messages.said_os_error()'s, by errno name (each a real errno: tested below)
    unused = [k for k in CATALOGUE
              if k not in constants and k.rsplit(".", 1)[0] not in constants and k not in used_by_machinery
              and not any(k.startswith(p) for p in prefixes)]
    assert unused == []


#: where a person's words go: callable name -> the positions and keywords that hold words
SINKS = {
    "Problem": ((1, 3), ("message", "hint")),
    "problem": ((1, 3), ("message", "hint")),  # the case reader's _Reader.problem(code, message, path, hint)
    "_error": ((2, 3), ("message", "hint")),  # the checker's Checker._error(node, code, message, hint)
    "ApiError": ((1,), ("detail", "title")),
    "ExpressionSyntaxError": ((1, 2), ("message", "hint")),
    "LiteralError": ((0,), ()),
    "_Mismatch": ((0,), ()),
    "YearKeyError": ((0, 1), ()),
    "replace": ((), ("hint", "message")),
}


def _bare(node: ast.AST) -> bool:
    """Words written in place: a string literal, an f-string, a concatenation, a conditional of
    them, ``str(...)``, ``"...".format(...)``, ``"...".join(...)``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _bare(node.left) or _bare(node.right)
    if isinstance(node, ast.IfExp):
        return _bare(node.body) or _bare(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_bare(v) for v in node.values)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "str":
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join") \
                and isinstance(node.func.value, ast.Constant):
            return True
    return False


def test_no_words_bypass_the_catalogue():
    offences = []
    for name, (positions, keywords) in SINKS.items():
        for where, call in _calls(name):
            if name == "problem" and len(call.args) < 3:
                continue
            for i in positions:
                if i < len(call.args) and _bare(call.args[i]):
                    offences.append(f"{where}: {name}() argument {i + 1} is words written in place")
            for k in call.keywords:
                if k.arg in keywords and _bare(k.value):
                    offences.append(f"{where}: {name}({k.arg}=...) is words written in place")
    assert offences == [], "\n".join(offences)


def test_the_failures_of_a_policy_test_are_messages():
    """`ordinance test` and POST /v1/try say a test's failures in the reader's language: each one
    ordinance/testing.py appends is built from the catalogue, never words written in place."""
    offences, found = [], 0
    for where, call in _calls("append"):
        target = call.func.value if isinstance(call.func, ast.Attribute) else None
        if where.startswith("ordinance/testing.py") and isinstance(target, ast.Attribute) \
                and target.attr == "failures":
            found += 1
            if call.args and _bare(call.args[0]):
                offences.append(f"{where}: a failure is words written in place")
    assert found >= 20 and offences == [], "\n".join(offences)


def test_the_scan_finds_words_written_in_place():
    """The scan itself: each way of writing words in place is caught, a message is not."""
    caught = [_bare(ast.parse(text, mode="eval").body) for text in (
        '"the case is empty"', 'f"unknown key `{key}`"', '"a" + hint', 'str(exc)', '"x" if a else msg("k")',
        '"{}".format(x)', 'hint or "declare it"')]
    assert caught == [True] * 7
    assert not any(_bare(ast.parse(text, mode="eval").body) for text in (
        'msg("case.empty")', 'exc.text', 'hint', 'did_you_mean(a, b) or msg("x")', '""'))


# -- Text -----------------------------------------------------------------------------------------------

def test_a_text_is_its_english_and_says_itself_in_chinese():
    text = msg("case.unknown-measure", measure="compute-vouchr")
    assert text == "unknown measure `compute-vouchr`" and isinstance(text, str)
    assert text.in_lang("zh") == "未知的措施 `compute-vouchr`"
    assert text.in_lang("en") == text and type(text.in_lang("en")) is str
    again = pickle.loads(pickle.dumps(text))
    assert again == text and again.in_lang("zh") == text.in_lang("zh")
    assert json.dumps({"m": text}, ensure_ascii=False) == '{"m": "unknown measure `compute-vouchr`"}'


def test_parameters_that_are_words_follow_the_language_and_values_do_not():
    hint = did_you_mean("enterprize", ["enterprise", "university"])
    outer = msg("problem.hint", hint=hint)
    assert outer == "  hint: did you mean `enterprise`?"
    assert outer.in_lang("zh") == "  提示：是否應為 `enterprise`？"
    both = did_you_mean("ab", ["abc", "abd"])
    assert both == "did you mean `abc` or `abd`?" and both.in_lang("zh") == "是否應為 `abc` 或 `abd`？"
    assert join(["a", "b"]).in_lang("zh") == "a、b" and join(["a", "b"]) == "a, b"
    assert plural("problem.count", 1) == "1 problem" and plural("problem.count", 2) == "2 problems"
    assert plural("problem.count", 2).in_lang("zh") == "2 個問題"
    long = shorten("x" * 200)
    assert "(200 characters)" in long and "（共 200 個字元）" in long.in_lang("zh")


def test_a_library_said_is_recognised_with_its_english_unchanged():
    for said in ("mapping values are not allowed here", "expected ',' or '}', but got ':'",
                 "found character '\\t' that cannot start any token", "something PyYAML says one day"):
        text = recognise("yaml.", said)
        assert text == said
        assert text.in_lang("zh") != said and CJK.search(text.in_lang("zh"))
    assert recognise("yaml.", "found undefined alias 'x'").key == "yaml.undefined-alias"
    assert recognise("yaml.", "something PyYAML says one day").key == "yaml.unlisted"
    assert recognise("json.", "Expecting ',' delimiter").in_lang("zh") == "此處應有分隔符 `,`"


# -- every problem the engine raises says itself in Chinese ----------------------------------------------

HOSTILE = ROOT / "tests" / "hostile"
BROKEN = ROOT / "tests" / "fixtures" / "broken"


def _problems():
    policy = ordinance.default_policy()
    for path in sorted((HOSTILE / "cases").iterdir()):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            ordinance.load_case(path, policy)
        except ordinance.OrdinanceError as exc:
            yield path.name, exc
    for root in (HOSTILE / "policies", BROKEN):
        for directory in sorted(p for p in root.iterdir() if (p / "policy.yaml").is_file()):
            try:
                ordinance.load_policy(directory)
            except ordinance.OrdinanceError as exc:
                yield directory.name, exc


def test_every_problem_of_the_corpus_says_itself_in_chinese():
    seen = untranslated = 0
    wrong = []
    for name, exc in _problems():
        for p in exc.problems:
            seen += 1
            for words, said in ((p.message, p.message_in("zh")), (p.hint, p.hint_in("zh"))):
                if words is None:
                    continue
                if not hasattr(words, "in_lang"):
                    wrong.append(f"{name}: {p.code}: {words!r} is not from the catalogue")
                elif not CJK.search(said):
                    untranslated += 1
                    wrong.append(f"{name}: {p.code}: {said!r} holds no Chinese")
    assert seen > 100, seen  # the corpus reaches the engine's problems
    assert wrong == [], "\n".join(wrong)


def test_a_rendering_in_chinese_keeps_the_codes_places_and_carets():
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.load_policy(BROKEN / "several-problems")
    english, chinese = info.value.render().splitlines(), info.value.render(lang="zh").splitlines()
    assert len(english) == len(chinese)
    for e, z in zip(english, chinese):
        if e.lstrip().startswith(("|",)) or re.match(r"\s*\d+ \|", e):
            assert e == z  # the source line and its caret
        elif not e.startswith("  hint:"):
            assert e.split(": ")[:2] == z.split(": ")[:2]  # file:line:col and code
    assert info.value.to_dict("zh")["problems"][0]["message"] == "未知的就高不重複組別 `rd-projcet`"
    assert info.value.summary("zh").endswith("（另有 4 個問題）")


# -- choosing the language --------------------------------------------------------------------------------

@pytest.mark.parametrize("env,lang", [
    ({}, "en"),
    ({"LANG": "zh_TW.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "zh_TW.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),  # LC_ALL before LANG
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_HK.UTF-8"}, "zh"),  # LC_MESSAGES before LANG
    ({"LC_ALL": "zh_TW", "LC_MESSAGES": "en_US"}, "zh"),  # LC_ALL before LC_MESSAGES
    ({"LANG": "zh_TW.UTF-8", "ORDINANCE_LANG": "en"}, "en"),  # ours before the locale
    ({"LANG": "en_US.UTF-8", "ORDINANCE_LANG": "zh"}, "zh"),
    ({"ORDINANCE_LANG": "fr", "LANG": "zh_TW.UTF-8"}, "zh"),  # an unknown value of ours: the locale decides
])
def test_the_environment_chooses_the_language(env, lang):
    assert env_lang(env) == lang


@pytest.mark.parametrize("header,lang", [
    (None, "en"), ("", "en"), ("zh", "zh"), ("zh-Hant", "zh"), ("zh-TW", "zh"), ("zh-CN", "zh"),
    ("zh-Hant-TW;q=0.9", "zh"), ("en-US,en;q=0.9", "en"), ("fr-FR, zh;q=0.5", "zh"), ("fr", "en"),
    ("en;q=0.4, zh-TW;q=0.8", "zh"), ("zh-TW;q=0.3, en;q=0.7", "en"), ("zh;q=0, en", "en"),
    ("zh-TW, en", "zh"), ("en, zh-TW", "en"), ("*", "en"), ("zh;q=abc, en;q=0.1", "en"),
    ("ZH-hant", "zh"), ("zh-TW;q=1.5", "en"),
])
def test_accept_language_chooses_the_language(header, lang):
    assert accept_lang(header) == lang


def test_tags_and_locales_name_a_language():
    assert [parse_lang(v) for v in ("zh", "zh_TW.UTF-8", "zh-Hant", "en_US.utf8", "C.UTF-8", "POSIX", "", "x y")] \
        == ["zh", "zh", "zh", "en", None, None, None, None]


def _cli(args, env):
    from ordinance.cli.main import main

    return CliRunner().invoke(main, args, env={"NO_COLOR": "1", "ORDINANCE_DEBUG": None, **env})


CASE = str(ROOT / "examples" / "batch" / "cases" / "03-typo.yaml")
UNSET = {"ORDINANCE_LANG": None, "LANG": None, "LC_ALL": None, "LC_MESSAGES": None}


@pytest.mark.parametrize("args,env,lang", [
    (["eval", CASE], UNSET, "en"),
    (["--lang", "zh", "eval", CASE], UNSET, "zh"),
    (["--lang", "en", "eval", CASE], {**UNSET, "ORDINANCE_LANG": "zh"}, "en"),  # the option before the environment
    (["eval", CASE], {**UNSET, "ORDINANCE_LANG": "zh"}, "zh"),
    (["eval", CASE], {**UNSET, "LANG": "zh_TW.UTF-8"}, "zh"),
    (["eval", CASE], {**UNSET, "LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    (["eval", CASE], {**UNSET, "LANG": "en_US.UTF-8"}, "en"),
])
def test_the_command_line_speaks_the_language_chosen(args, env, lang):
    result = _cli(args, env)
    assert result.exit_code == 1
    expected = {"en": ["unknown-measure: unknown measure `compute-vouchr` (at claims[0].measure)",
                       "  hint: did you mean `compute-voucher`?", "1 problem"],
                "zh": ["unknown-measure: 未知的措施 `compute-vouchr`（位於 claims[0].measure）",
                       "  提示：是否應為 `compute-voucher`？", "1 個問題"]}[lang]
    for line in expected:
        assert line in result.stderr, result.stderr


def test_a_usage_mistake_of_a_global_option_is_told_in_the_language_chosen():
    result = _cli(["--lang", "zh", "--max-file-bytes", "0", "check"], UNSET)
    assert result.exit_code == 2 and "'0' 不是大小：至少須為 1 位元組" in result.stderr
    result = _cli(["--lang", "fr", "check"], UNSET)
    assert result.exit_code == 2 and "--lang" in result.stderr


# -- the operating system's words -----------------------------------------------------------------------

def test_the_os_words_the_catalogue_lists_are_the_systems_own():
    import errno as errno_module
    import os as os_module

    listed = [k for k in CATALOGUE if k.startswith("os.")]
    assert len(listed) >= 10
    for key in listed:
        number = getattr(errno_module, key[3:])
        assert CATALOGUE[key][0] == os_module.strerror(number), key  # English unchanged, byte for byte


def test_an_os_error_is_said_in_chinese_where_the_catalogue_lists_it():
    import errno as errno_module

    from ordinance.messages import said_os_error

    gone = said_os_error(FileNotFoundError(errno_module.ENOENT, "No such file or directory", "x"))
    assert gone == "No such file or directory" and gone.in_lang("zh") == "沒有此文件或目錄"
    # another system's words, or an errno not listed, are left as they were said
    assert not hasattr(said_os_error(OSError(errno_module.ENOENT, "The system cannot find the file")), "in_lang")
    odd = said_os_error(OSError(errno_module.ENOTSUP, "Operation not supported"))
    assert odd == "Operation not supported" and not hasattr(odd, "in_lang")
    assert said_os_error(OSError("no errno at all")) == "no errno at all"


def test_a_file_that_is_not_there_is_said_in_the_language_of_the_run(tmp_path):
    from ordinance.cli.main import main as cli

    missing = str(tmp_path / "gone.yaml")
    zh = CliRunner().invoke(cli, ["--lang", "zh", "eval", missing])
    en = CliRunner().invoke(cli, ["eval", missing])
    assert zh.exit_code == en.exit_code == 1
    assert "無法讀取文件：沒有此文件或目錄" in zh.output and "No such file" not in zh.output
    assert "cannot read the file: No such file or directory" in en.output
    out = CliRunner().invoke(cli, ["--lang", "zh", "eval", "examples/compute-voucher.yaml", "-o",
                                   str(tmp_path / "no" / "such" / "dir.json")])
    assert out.exit_code != 0 and "沒有此文件或目錄" in out.output, out.output
