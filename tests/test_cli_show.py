"""`ordinance show`: the policy for reading, from the loaded Policy objects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from policy_factory import write_policy

import ordinance
from ordinance.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
DATED = ROOT / "policy" / "xiamen-ai-2025" / "tests" / "fixtures" / "dated-rate"
BUNDLED = ROOT / "policy" / "xiamen-ai-2025"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def show(*args) -> str:
    result = run("show", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_measure_of_the_policy_is_shown_with_the_policy_header():
    text = show()
    policy = ordinance.default_policy()
    for key, program in policy.programs.items():
        assert f"{key}  {program.measure.title.zh} / {program.measure.title.en}" in text
    assert text.startswith("xiamen-ai-2025  廈門市進一步推動人工智能產業發展若干措施")
    assert "valid      2025-04-21 to 2027-12-31" in text
    assert "exclusivity groups" in text
    assert "rd-project  研發項目補助 / R&D project funding: rd-national, rd-provincial, rd-city" in text
    assert "readings of the policy as a whole" in text and "[implementation]" in text
    assert "applicant.kind            enum {enterprise, university, research-institute}" in text


def test_a_measure_beside_the_text_it_encodes():
    text = show("compute-voucher")
    assert text.startswith("compute-voucher  算力券 / Compute voucher\n")
    for expected in [
        "  article      三(八)",
        "  responsible  市數據管理局、市工信局",
        "  rule         policy/xiamen-ai-2025/rules/08-compute-voucher.yaml:9",
        "「升級“算力券”,對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助。」 (三(八), source line 21)",
        # the award
        "    basis      maximum: the rule computes a statutory maximum (最高不超過)",
        "    amount     claim.compute_spend * tier.rate",
        "    one-time   no",
        "    exclusive  no",
        "    quota      no",
        # facts read: name, type, description (applicant facts the rule reads, the claim's facts)
        "applicant.annual_revenue  money",
        "claim.compute_spend       money",
        "購買算力服務費用 / spend on intelligent computing services",
        "claim.service_qualified   bool",
        # conditions: id, expression, label, the quote under it
        "1.  qualified-service  claim.service_qualified  購買符合條件的智能算力服務 / bought qualifying",
        "      「對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助」",
        # the table, row by row
        "table tier  分檔 / tier (the first row that applies is used)",
        'applicant.kind in ["university", "research-institute"]  50%  200萬   高校、科研機構',
        "applicant.annual_revenue >= 10億                        30%  1000萬  年度營業收入10億元(含)以上",
        "otherwise                                               50%  200萬   年度營業收入1億元以下",
        # caps
        "per-entity-year  tier.cap  per entity per year, pool compute-voucher  每家每年上限 / cap per entity per year",
        "「每家每年最高不超過1000萬元 … 每家每年最高不超過500萬元 … 每家每年最高不超過200萬元」",
        # readings: the measure's, then the policy's about its steps
        "- [tier] 高校、科研機構不論營業收入，均適用第三檔（50%、200萬元）。",
        "      Universities and research institutes fall in the third tier (50%, 2 million) whatever their revenue.",
        "- the policy [yearly-cap] 「每家每年」上限按申請日期所在的公曆年度計算",
        "- the policy [basis:maximum]",
    ]:
        assert expected in text, expected
    # a reading of the policy about other measures' steps is left out
    assert "[ai-field]" not in text and "[implementation]" not in text


def test_quota_caps_values_and_parameters():
    text = show("hit-product")
    assert ("    quota      at most 10 awards a year, ranked by claim.annual_sales (highest first; ties by case id, "
            "then claim id) — 每年給予獎勵的產品最多不超過10個 / at most 10 products are rewarded a year") in text
    assert "「每年給予獎勵的產品最多不超過10個」 (二(五), source line 17)" in text
    assert "    basis      exact: the rule computes the amount due" in text
    assert "threshold  1000萬  年銷售額下限 / minimum annual sales" in text
    assert "blocks  floor(claim.annual_sales / block)  銷售額所含完整的1000萬元個數" in text
    assert "per-product  300萬  per product" in text and "單個產品獎勵上限 / cap per product" in text
    assert "3.  annual-sales              claim.annual_sales >= threshold" in text
    assert "- [quota] 「每年按規定綜合評定」的評定本身不可計算" in text


def test_exclusivity_group_with_its_reading_and_one_time():
    text = show("platform-national")
    assert "    one-time       yes: paid once per project" in text
    assert "    exclusive      group innovation-platform 創新平臺獎勵 / innovation platform awards" in text
    assert "    group reading  五「就高不重復」：一(二)的新建國家級平臺一次性獎勵" in text
    assert "                   Part 五 (就高不重復): the one-time award for a new national platform" in text


def test_dated_parameter_values_and_several_policies():
    text = show("--policy", DATED, "--policy", BUNDLED, "dated-voucher")
    assert "  policy       dated-rate-fixture" in text
    assert "rate  30% until 2026-06-30; 25% from 2026-07-01  補助比例 / subsidy rate" in text
    both = show("--policy", DATED, "--policy", BUNDLED)
    assert "dated-voucher  比例分段調整的算力補助" in both and "compute-voucher  算力券" in both
    assert both.index("dated-rate-fixture") < both.index("xiamen-ai-2025  廈門市")


def test_a_dated_value_from_a_first_date(tmp_path):
    policy = write_policy(tmp_path / "p", {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            facts: {claim.spend: {type: money}}
            parameters:
              rate:
                values:
                  - {from: 2025-03-01, value: 10%}
                  - {from: 2026-01-01, value: 20%}
            amount: claim.spend * rate
        """})
    text = show("--policy", policy, "m")
    assert "rate  10% from 2025-03-01 until 2025-12-31; 20% from 2026-01-01" in text


def test_unknown_measure_suggests_and_exits_1():
    result = run("show", "compute-vouchr")
    assert result.exit_code == 1
    assert "unknown-measure: unknown measure `compute-vouchr`" in result.output
    assert "hint: did you mean `compute-voucher`?" in result.output
    assert "Traceback" not in result.output


def test_unknown_measure_without_a_near_one_says_how_to_list_them():
    result = run("show", "zzzzzz")
    assert result.exit_code == 1
    assert "hint: `ordinance show` lists every measure" in result.output


def test_a_measure_named_with_its_policy():
    assert show("xiamen-ai-2025:hit-product").startswith("hit-product  「爆款」智能產品獎勵")


def test_markdown(tmp_path):
    out = tmp_path / "policy.md"
    assert run("show", "--format", "markdown", "-o", out).exit_code == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# xiamen-ai-2025  廈門市進一步推動人工智能產業發展若干措施")
    assert "## `compute-voucher`  算力券 / Compute voucher" in md
    assert "> 「升級“算力券”,對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助。」 (三(八), source line 21)" in md
    assert "| `applicant.kind in [\"university\", \"research-institute\"]` | `50%` | `200萬` |" in md
    assert "| `qualified-service` | `claim.service_qualified` |" in md
    assert "- **amount**: `claim.compute_spend * tier.rate`" in md
    assert "\x1b[" not in md


def test_markdown_escapes_pipes_in_cells(tmp_path):
    policy = write_policy(tmp_path / "p", {"r": """\
        article: 一
        measures:
          - id: m
            title: {zh: 甲|乙, en: a|b}
            facts: {claim.ok: {type: bool, zh: 是|否, en: yes|no}}
            conditions:
              - {id: ok, when: claim.ok, zh: 條件|甲, en: cond|a}
            benefit: support
        """})
    md = show("--policy", policy, "--format", "markdown", "m")
    assert "| `claim.ok` | bool | 是\\|否 / yes\\|no |" in md
    assert "| 1. | `ok` | `claim.ok` | 條件\\|甲 / cond\\|a |" in md


def test_bad_format_is_a_usage_error():
    assert run("show", "--format", "pdf").exit_code == 2


def test_a_broken_policy_is_exit_1(tmp_path):
    result = run("show", "--policy", tmp_path)
    assert result.exit_code == 1 and "no-manifest" in result.output


@pytest.mark.parametrize("measure", list(ordinance.default_policy().programs))
def test_every_measure_shows_alone_in_both_formats(measure):
    text = show(measure)
    assert text.startswith(f"{measure}  ")
    assert show(measure, "--format", "markdown").startswith(f"## `{measure}`  ")


def test_console_script_show():
    proc = subprocess.run([str(Path(sys.executable).parent / "ordinance"), "show", "hit-produc"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 1 and "did you mean `hit-product`?" in proc.stderr


def test_generated_shows_the_claim_and_case_functions_and_what_their_names_hold():
    text = show("compute-voucher", "--generated")
    assert text.startswith("# compute-voucher (三(八))")
    claim = text.split("# the claim function of compute-voucher", 1)[1].split("# the case function", 1)[0]
    assert "def _claim(_item, _i, _tag, " in claim
    assert "= 'compute_spend'" in claim and "= Decimal('0.30')" in claim  # references, listed as values
    assert "compute_spend" not in claim.split("def _claim", 1)[1]  # ...never pasted into the code
    case = text.split("# the case function of the shape (compute-voucher)", 1)[1]
    assert "def _case(_data, _name):" in case and "_Decision(" in case


def test_generated_for_every_measure_and_for_an_unknown_one():
    text = show("--generated")
    assert text.count("def _case(_data, _name):") == len(ordinance.default_policy().programs)
    assert text.count("def _claim(_item, _i, _tag") == len(ordinance.default_policy().programs)
    result = run("show", "nope", "--generated")
    assert result.exit_code != 0 and "unknown-measure" in result.output


# -- in Chinese (--lang zh, ORDINANCE_LANG=zh) ---------------------------------------------------------------

#: the chrome of `ordinance show` in English, none of it left in the Chinese: field names and headings
#: (at the start of a line) ...
_ENGLISH_KEYS = ("issuer", "issued", "valid", "measures", "directory", "digest", "article", "policy", "responsible",
                 "rule", "in force", "source text", "the award", "benefit", "basis", "amount", "one-time",
                 "exclusive", "quota", "group reading", "facts read", "parameters", "named values", "conditions",
                 "table", "caps", "readings", "facts about", "exclusivity groups", "- the policy", "- reading:",
                 "reading:", "otherwise")
#: ... and phrases anywhere
_ENGLISH_PHRASES = ("source line", "(built in)", "at most", "ranked by", "the first row that applies", "yes: paid",
                    "the measure's own window", "per product", "per entity", "until 20", "from 20", " to 20",
                    "highest first", "no upper bound")


def _no_english_chrome(text: str) -> None:
    for key in _ENGLISH_KEYS:
        assert not re.search(rf"^\s*{re.escape(key)}\b", text, re.M), key
    for phrase in _ENGLISH_PHRASES:
        assert phrase not in text, phrase


def show_zh(*args, how: str = "option") -> str:
    if how == "option":
        result = run("--lang", "zh", "show", *args)
    else:
        result = CliRunner().invoke(main, ["show", *map(str, args)], env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_policy_is_shown_in_chinese_with_the_rule_files_chinese_labels(how):
    text = show_zh(how=how)
    policy = ordinance.default_policy()
    for key, program in policy.programs.items():
        assert f"\n{key}  {program.measure.title.zh}\n" in text  # the label's Chinese alone
        assert program.measure.title.en not in text
    assert text.startswith("xiamen-ai-2025  廈門市進一步推動人工智能產業發展若干措施\n  發布機關  廈門市人民政府辦公廳\n")
    assert "  有效期    2025-04-21 至 2027-12-31" in text
    assert "就高不重複組別（同一項目只獲一次獎補，取最高者）" in text
    assert "    rd-project  研發項目補助：rd-national、rd-provincial、rd-city" in text
    assert "      解讀：五「就高不重復」：一(一)對國家級、省級、市級研發項目的三項補助" in text
    assert "  對政策整體的解讀" in text and "  申請主體的事實" in text
    assert "applicant.kind            enum {enterprise, university, research-institute}  申請主體類型" in text
    _no_english_chrome(text)


def test_a_measure_is_shown_in_chinese_beside_its_text():
    text = show_zh("compute-voucher")
    assert text.startswith("compute-voucher  算力券\n")
    for expected in [
        "  條款      三(八)",
        "  責任單位  市數據管理局、市工信局",
        "  規則      policy/xiamen-ai-2025/rules/08-compute-voucher.yaml:9",
        "  原文",
        "「升級“算力券”,對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助。」（三(八)，原文第 21 行）",
        "  獎補",
        "    依據        最高限額：規則計算的是最高限額（最高不超過），由責任單位在限額內核定金額",
        "    金額        claim.compute_spend * tier.rate",
        "    一次性      否",
        "  讀取的事實",
        "  條件（須全部成立）",
        "  表格 tier  分檔（採用第一個適用的列）",
        "    其他情況",
        "  上限",
        "每家每年",
        "  所採的解讀",
        "    - 政策：[validity] 「自發布之日施行」",
    ]:
        assert expected in text, expected
    _no_english_chrome(text)


def test_quota_dated_values_and_groups_in_chinese():
    text = show_zh("hit-product")
    assert ("    名額        每年最多 10 個名額，按 claim.annual_sales 排名（最高者優先；相同時依案件編號，再依申請編號）"
            " — 每年給予獎勵的產品最多不超過10個\n") in text
    assert "per-product  300萬  每個產品每年  單個產品獎勵上限\n" in text
    text = show_zh("--policy", DATED, "--policy", BUNDLED, "dated-voucher")
    assert "  政策      dated-rate-fixture" in text
    assert "rate  30% 至 2026-06-30 止；25% 自 2026-07-01 起  補助比例\n" in text
    text = show_zh("platform-national")
    assert "    一次性      是：每個項目只支付一次" in text
    assert "    就高不重複  組別 innovation-platform 創新平臺獎勵——就高不重複：" in text
    assert "    組別解讀    五「就高不重復」：一(二)的新建國家級平臺一次性獎勵" in text
    assert "Part 五" not in text  # the reading's English stays out
    _no_english_chrome(text)


def test_markdown_in_chinese(tmp_path):
    out = tmp_path / "policy.md"
    assert run("--lang", "zh", "show", "--format", "markdown", "-o", out).exit_code == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# xiamen-ai-2025  廈門市進一步推動人工智能產業發展若干措施")
    assert "## `compute-voucher`  算力券\n" in md
    assert "> 「升級“算力券”,對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助。」（三(八)，原文第 21 行）" in md
    assert "| 事實 | 類型 | 說明 |" in md and "| 適用條件 | rate | cap | 列 |" in md
    assert "|  | 編號 | 適用條件 | 含義 | 原文 |" in md and "| 編號 | 限額 | 計算範圍 | 含義 | 原文 |" in md
    assert "- **金額**: `claim.compute_spend * tier.rate`" in md
    assert "- **amount**" not in md and "| fact | type | description |" not in md


def test_the_english_of_show_is_as_it_was():
    """English (the default, or --lang en under ORDINANCE_LANG=zh) is what it always was: both
    languages of every label, the English headings."""
    english = show()
    assert run("--lang", "en", "show").stdout == english
    assert CliRunner().invoke(main, ["--lang", "en", "show"], env={"ORDINANCE_LANG": "zh"}).stdout == english
    assert "compute-voucher  算力券 / Compute voucher\n" in english and "  the award\n" in english
