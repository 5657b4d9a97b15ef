"""A usage mistake in the language of the run (ordinance/cli/usage.py): click's frame (``Usage:``,
``Try ... for help.``, ``Error:``) and click's own messages, in Chinese under ``--lang zh``,
``ORDINANCE_LANG=zh`` or a Chinese locale, and click's English byte for byte otherwise; the exit
status is the same in both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ordinance.cli import usage
from ordinance.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
ORDINANCE = str(Path(sys.executable).parent / "ordinance")
EXAMPLE = str(ROOT / "examples" / "compute-voucher.yaml")

EVAL_EN = "Usage: ordinance eval [OPTIONS] CASE\nTry 'ordinance eval --help' for help.\n\n"
EVAL_ZH = "用法：ordinance eval [OPTIONS] CASE\n請執行「ordinance eval --help」查看說明。\n\n"
GROUP_EN = "Usage: ordinance [OPTIONS] COMMAND [ARGS]...\nTry 'ordinance --help' for help.\n\n"
GROUP_ZH = "用法：ordinance [OPTIONS] COMMAND [ARGS]...\n請執行「ordinance --help」查看說明。\n\n"

#: (arguments, what click says in English, the same in Chinese, exit status); each kind of click's
#: messages the catalogue says (tests/test_messages.py holds the catalogue itself)
KINDS = [
    (["eval", "--foo", "x"], EVAL_EN + "Error: No such option '--foo'. Did you mean '--format'?",
     EVAL_ZH + "錯誤：沒有選項 '--foo'。是否應為 '--format'？", 2),
    (["eval", "--trac", "x"], EVAL_EN + "Error: No such option '--trac'. (Did you mean one of: '--no-trace', '--trace'?)",
     EVAL_ZH + "錯誤：沒有選項 '--trac'。（是否應為下列之一：'--no-trace'、'--trace'？）", 2),
    (["--foo", "eval"], GROUP_EN + "Error: No such option '--foo'.", GROUP_ZH + "錯誤：沒有選項 '--foo'。", 2),
    (["eval"], EVAL_EN + "Error: Missing argument 'CASE'.", EVAL_ZH + "錯誤：缺少引數 'CASE'。", 2),
    (["batch", "examples/batch/cases"],
     "Usage: ordinance batch [OPTIONS] CASES\nTry 'ordinance batch --help' for help.\n\n"
     "Error: Missing option '-o' / '--out'.",
     "用法：ordinance batch [OPTIONS] CASES\n請執行「ordinance batch --help」查看說明。\n\n"
     "錯誤：缺少選項 '-o' / '--out'。", 2),
    (["eval", "--format", "x", "a.yaml"],
     EVAL_EN + "Error: Invalid value for '--format': 'x' is not one of 'text', 'json', 'markdown', 'html'.",
     EVAL_ZH + "錯誤：'--format' 的值無效：'x' 不是 'text'、'json'、'markdown'、'html' 之一。", 2),
    (["eval", "a", "b"], EVAL_EN + "Error: Got unexpected extra argument (b)", EVAL_ZH + "錯誤：多出未預期的引數（b）", 2),
    (["eval", "a", "b", "c"], EVAL_EN + "Error: Got unexpected extra arguments (b c)",
     EVAL_ZH + "錯誤：多出未預期的引數（b c）", 2),
    (["evl"], GROUP_EN + "Error: No such command 'evl'. Did you mean 'eval'?",
     GROUP_ZH + "錯誤：沒有指令 'evl'。是否應為 'eval'？", 2),
    (["--max-depth", "5"], GROUP_EN + "Error: Missing command.", GROUP_ZH + "錯誤：缺少指令。", 2),
    (["--max-depth", "x", "eval", "a"],
     GROUP_EN + "Error: Invalid value for '--max-depth' (env var: 'ORDINANCE_MAX_DEPTH'): 'x' is not a valid integer "
                "range.",
     GROUP_ZH + "錯誤：'--max-depth'（環境變數：'ORDINANCE_MAX_DEPTH'） 的值無效：'x' 不是有效的整數。", 2),
    (["--max-depth", "0", "eval", "a"],
     GROUP_EN + "Error: Invalid value for '--max-depth' (env var: 'ORDINANCE_MAX_DEPTH'): 0 is not in the range "
                "1<=x<=1000000000.",
     GROUP_ZH + "錯誤：'--max-depth'（環境變數：'ORDINANCE_MAX_DEPTH'） 的值無效：0 不在範圍 1<=x<=1000000000 內。", 2),
    (["serve", "--time-limit", "x"],
     "Usage: ordinance serve [OPTIONS]\nTry 'ordinance serve --help' for help.\n\n"
     "Error: Invalid value for '--time-limit': 'x' is not a valid float range.",
     "用法：ordinance serve [OPTIONS]\n請執行「ordinance serve --help」查看說明。\n\n"
     "錯誤：'--time-limit' 的值無效：'x' 不是有效的數字。", 2),
    (["eval", "--format"], "Error: Option '--format' requires an argument.", "錯誤：選項 '--format' 需要一個值。", 2),
    (["eval", "--no-trace=1", "a"], "Error: Option '--no-trace' does not take a value.",
     "錯誤：選項 '--no-trace' 不接受值。", 2),
    (["batch", "no-such-folder", "--out", "x"],
     "Usage: ordinance batch [OPTIONS] CASES\nTry 'ordinance batch --help' for help.\n\n"
     "Error: Invalid value for 'CASES': Path 'no-such-folder' does not exist.",
     "用法：ordinance batch [OPTIONS] CASES\n請執行「ordinance batch --help」查看說明。\n\n"
     "錯誤：'CASES' 的值無效：路徑 'no-such-folder' 不存在。", 2),
    (["check", "README.md"],
     "Usage: ordinance check [OPTIONS] [DIRECTORIES]...\nTry 'ordinance check --help' for help.\n\n"
     "Error: Invalid value for '[DIRECTORIES]...': Directory 'README.md' is a file.",
     "用法：ordinance check [OPTIONS] [DIRECTORIES]...\n請執行「ordinance check --help」查看說明。\n\n"
     "錯誤：'[DIRECTORIES]...' 的值無效：'README.md' 是文件，不是目錄。", 2),
    (["eval", "."], EVAL_EN + "Error: Invalid value for 'CASE': File '.' is a directory.",
     EVAL_ZH + "錯誤：'CASE' 的值無效：'.' 是目錄，不是文件。", 2),
    (["eval", "--as-of", "2025", "a"],
     EVAL_EN + "Error: Invalid value for '--as-of': '2025' is not a date: write YYYY-MM-DD, e.g. 2025-06-30",
     EVAL_ZH + "錯誤：'--as-of' 的值無效：'2025' 不是日期：請寫作 YYYY-MM-DD，例如 2025-06-30", 2),
    (["batch", "README.md", "--out", "x.jsonl"],
     "Usage: ordinance batch [OPTIONS] CASES\nTry 'ordinance batch --help' for help.\n\n"
     "Error: Invalid value for CASES: give a folder of case files, a .jsonl file or a .csv file",
     "用法：ordinance batch [OPTIONS] CASES\n請執行「ordinance batch --help」查看說明。\n\n"
     "錯誤：CASES 的值無效：請提供案件文件的資料夾、.jsonl 文件或 .csv 文件", 2),
    (["eval", EXAMPLE, "-o", "/no-such-dir/d.txt"],
     "Error: Could not open file '/no-such-dir/d.txt': No such file or directory",
     "錯誤：無法開啟文件 '/no-such-dir/d.txt'：沒有此文件或目錄", 1),
]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the arguments name files of the repository


def _invoke(args, env):
    return CliRunner().invoke(main, args, env=env)


@pytest.mark.parametrize("args, english, chinese, status", KINDS, ids=[" ".join(k[0])[:40] for k in KINDS])
def test_a_usage_mistake_in_english_and_in_chinese(args, english, chinese, status):
    en = _invoke(args, {"ORDINANCE_LANG": "en"})
    assert (en.exit_code, en.stderr) == (status, english + "\n")
    zh = _invoke(args, {"ORDINANCE_LANG": "zh"})
    assert (zh.exit_code, zh.stderr) == (status, chinese + "\n")


@pytest.mark.parametrize("args, english, chinese, status", KINDS, ids=[" ".join(k[0])[:40] for k in KINDS])
def test_the_catalogue_says_what_click_says(args, english, chinese, status, capsys):
    """Said from the catalogue in English, each report is click's own: the structure read and the
    entries of click's messages match the click installed (a new click that words one differently
    fails here, and in the meantime its English is shown as it is)."""
    with pytest.raises(click.ClickException) as caught:
        main.main(args, prog_name="ordinance", standalone_mode=False)
    error = caught.value
    assert not isinstance(error, usage.SaidError)
    error.show()
    shown = capsys.readouterr().err
    assert shown == english + "\n"
    assert usage.report(error, "en") + "\n" == shown
    assert usage.report(error, "zh") == chinese


def test_the_language_asked_with_lang_even_when_the_parsing_fails_before_it():
    for args in (["--lang", "zh", "--foo", "eval"], ["--foo", "--lang=zh", "eval"]):
        result = _invoke(args, {"ORDINANCE_LANG": "en"})
        assert result.exit_code == 2 and result.stderr == GROUP_ZH + "錯誤：沒有選項 '--foo'。\n", args
    # --lang is a global option: written after the command it is a mistake, said in the language it asks for
    result = _invoke(["eval", "--lang", "zh", "a"], {"ORDINANCE_LANG": "en"})
    assert result.exit_code == 2 and result.stderr == EVAL_ZH + "錯誤：沒有選項 '--lang'。\n"
    # the --lang read wins over the environment, and over a --lang after `--`
    result = _invoke(["--lang", "en", "eval", "a", "b", "--", "--lang", "zh"], {"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 2 and result.stderr.startswith(EVAL_EN)
    result = _invoke(["--lang", "zh", "eval", "--foo"], {"ORDINANCE_LANG": "en"})
    assert result.stderr.startswith(EVAL_ZH)


def test_lang_in_args():
    assert usage.lang_in_args(["--lang", "zh"]) == "zh"
    assert usage.lang_in_args(["--lang=zh", "--lang", "en"]) == "en"
    assert usage.lang_in_args(["--lang", "fr"]) is None
    assert usage.lang_in_args(["--lang"]) is None
    assert usage.lang_in_args(["--", "--lang", "zh"]) is None


def test_a_chinese_locale_and_a_real_process():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "ORDINANCE_LANG"))}
    env["LANG"] = "zh_TW.UTF-8"
    done = subprocess.run([ORDINANCE, "eval"], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 2
    assert done.stderr == EVAL_ZH + "錯誤：缺少引數 'CASE'。\n"
    env["LANG"] = "en_US.UTF-8"
    done = subprocess.run([ORDINANCE, "eval"], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("Usage: ordinance eval [OPTIONS] CASE\n")
    assert done.stderr.endswith("Error: Missing argument 'CASE'.\n")


def test_what_the_user_typed_is_shown_not_obeyed():
    result = _invoke(["eval", "a", "\x1b]0;owned\x07"], {"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 2 and "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "多出未預期的引數（\\x1b]0;owned\\x07）" in result.stderr
    # in English too: click would print the typed escape sequences raw (a title set, a screen cleared)
    for args, shown in ((["eval", "a", "\x1b]0;owned\x07"], "Got unexpected extra argument (\\x1b]0;owned\\x07)"),
                        (["eval", "--fo\x1b[2Jo", "a"], "No such option '--fo\\x1b[2Jo'")):
        result = _invoke(args, {"ORDINANCE_LANG": "en"})
        assert result.exit_code == 2 and "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert result.stderr.startswith("Usage: ordinance eval [OPTIONS] CASE\n") and shown in result.stderr, result.stderr


def test_what_the_catalogue_does_not_know_stays_as_click_said_it():
    error = click.UsageError("Something click may say one day.")
    assert usage.report(error, "zh") == "錯誤：Something click may say one day."
    assert usage.report(error, "en") == "Error: Something click may say one day."


def test_help_and_no_arguments_are_left_to_click():
    for env in ({"ORDINANCE_LANG": "en"}, {"ORDINANCE_LANG": "zh"}):
        result = _invoke([], env)
        assert result.exit_code == 2 and result.output.startswith("Usage: ordinance [OPTIONS] COMMAND")
        result = _invoke(["eval", "--help"], env)
        assert result.exit_code == 0 and "Decide CASE" in result.output
