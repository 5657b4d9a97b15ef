"""`ordinance batch`: many cases in, one decision per case out, quotas ranked across the batch."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from policy_factory import write_policy

import ordinance
from ordinance import batch
from ordinance.batch import quotas, runner
from ordinance.cli.main import main
from ordinance.decision import to_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "batch"
SCRIPT = str(Path(sys.executable).parent / "ordinance")


def run(*args, env=None):
    return CliRunner().invoke(main, ["batch", *[str(a) for a in args]], env=env)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def jsonl(path: Path, cases: list) -> Path:
    path.write_text("".join((c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)) + "\n" for c in cases),
                    encoding="utf-8")
    return path


def voucher(case: str, spend: str = "100萬", date: str = "2025-06-01", kind: str = "university") -> dict:
    return {"case": case, "applicant": {"id": case, "kind": kind},
            "claims": [{"id": "c1", "measure": "compute-voucher", "date": date, "compute_spend": spend,
                        "service_qualified": True}]}


def hit(case: str, sales: str, claim: str = "c1") -> dict:
    return {"id": claim, "measure": "hit-product", "date": "2025-12-01", "project": f"{case}-{claim}",
            "intelligent_product": True, "meets_assessment": True, "annual_sales": sales}


# Twelve hit products in 2025 for a quota of ten. m10 and m11 tie on sales: the case id decides.
SALES = {"m01": "9000萬", "m02": "8000萬", "m03": "7500萬", "m04": "7000萬", "m05": "6500萬", "m06": "6000萬",
         "m07": "5000萬", "m08": "4000萬", "m09": "3000萬", "m10": "2000萬", "m11": "2000萬", "m12": "1500萬"}
INPUT_ORDER = ["m12", "m04", "m11", "m08", "m01", "m10", "m06", "m02", "m09", "m03", "m07", "m05"]


def hit_cases() -> list[dict]:
    return [{"case": c, "applicant": {"id": c, "kind": "enterprise"}, "claims": [hit(c, SALES[c])]}
            for c in INPUT_ORDER]


# -- the folder of the docs ------------------------------------------------------------------------

def test_folder_in_name_order_with_a_bad_case_in_its_place(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run(EXAMPLES / "cases", "--out", out)
    assert result.exit_code == 1  # one case could not be decided; the others are in the output
    records = lines(out)
    assert [r["case"] for r in records] == ["acme", "xmu-lab", "typo", "devices"]
    assert [r.get("status") for r in records] == [None, None, "error", None]
    typo = records[2]
    assert typo["error"] == "CaseError"
    assert typo["problems"] == [{
        "code": "unknown-measure", "message": "unknown measure `compute-vouchr`",
        "location": {"file": str(EXAMPLES / "cases" / "03-typo.yaml"), "line": 5, "column": 23, "end_line": 5,
                     "end_column": 37},
        "path": "claims[0].measure", "hint": "did you mean `compute-voucher`?"}]
    assert records[0]["total"] == "3200000.00" and records[1]["total"] == "2000000.00"
    assert all(r["trace"] is None for rec in records if "results" in rec for r in rec["results"])
    assert "errors: 1 case could not be decided (typo)" in result.stderr


def test_folder_reads_yaml_yml_and_json_and_names_unnamed_cases_by_file(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "b.yml").write_text("applicant: {kind: university}\nclaims:\n  - {id: c1, measure: compute-voucher,"
                                  " date: 2025-06-01, compute_spend: 10萬, service_qualified: true}\n",
                                  encoding="utf-8")
    (folder / "a.json").write_text(json.dumps(voucher("from-json")), encoding="utf-8")
    (folder / "c.yaml").write_text("claims: [\n", encoding="utf-8")  # malformed YAML
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")
    (folder / "d.YAML").write_text(json.dumps(voucher("upper")), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run(folder, "--out", out)
    assert result.exit_code == 1
    records = lines(out)
    assert [r["case"] for r in records] == ["from-json", "b.yml", "c.yaml", "upper"]
    bad = records[2]
    assert bad["status"] == "error" and bad["problems"][0]["code"] == "yaml-syntax"
    assert bad["problems"][0]["location"]["file"] == str(folder / "c.yaml")
    assert records[1]["results"][0]["amount"] == "50000.00"


def test_output_inside_the_input_folder_is_not_read_as_a_case(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(voucher("a")), encoding="utf-8")
    out = folder / "decisions.json"
    assert run(folder, "--out", out, "--format", "jsonl").exit_code == 0
    assert [r["case"] for r in lines(out)] == ["a"]
    assert run(folder, "--out", out, "--format", "jsonl").exit_code == 0  # again, over the old output
    assert [r["case"] for r in lines(out)] == ["a"]


def test_empty_folder_is_an_empty_output(tmp_path):
    (tmp_path / "cases").mkdir()
    out = tmp_path / "out.jsonl"
    result = run(tmp_path / "cases", "--out", out)
    assert result.exit_code == 0 and out.read_text() == ""
    assert "no cases found" in result.stderr


# -- JSON Lines in ---------------------------------------------------------------------------------

def test_jsonl_bad_lines_in_their_places(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [
        voucher("first"),
        '{"case": "x", "claims": [',  # malformed JSON
        "",  # blank lines are not cases
        voucher("wrong-type", spend="lots"),
        '{"claims": [{"id": "c1", "measure": "compute-vouchr", "date": "2025-06-01"}]}',
        '{"case": "dup", "case": "dup2", "claims": []}',
        "[1, 2]",
        voucher("last"),
    ])
    out = tmp_path / "out.jsonl"
    result = run(source, "--out", out)
    assert result.exit_code == 1
    records = lines(out)
    assert [r["case"] for r in records] == ["first", "line 2", "wrong-type", "line 5", "line 6", "line 7", "last"]
    assert [r.get("status", "decided") for r in records] == ["decided", "error", "error", "error", "error", "error",
                                                             "decided"]
    codes = [[p["code"] for p in r.get("problems", [])] for r in records]
    assert codes == [[], ["json-syntax"], ["wrong-type"], ["unknown-measure"], ["duplicate-key"], ["bad-case"], []]
    assert records[1]["problems"][0]["location"] == {"file": str(source), "line": 2, "column": 26}
    wrong = records[2]["problems"][0]
    assert wrong["path"] == "claims[0].compute_spend" and wrong["location"]["line"] == 4
    assert wrong["message"] == "`claim.compute_spend` must be money, not the text 'lots'"
    assert records[3]["problems"][0]["hint"] == "did you mean `compute-voucher`?"
    assert "errors: 5 cases could not be decided (line 2, wrong-type, line 5, line 6, line 7)" in result.stderr


def test_jsonl_unknown_fact_with_did_you_mean(tmp_path):
    case = voucher("typo")
    case["claims"][0]["compute_spent"] = case["claims"][0].pop("compute_spend")
    out = tmp_path / "out.jsonl"
    assert run(jsonl(tmp_path / "in.jsonl", [case]), "--out", out).exit_code == 1
    problem = lines(out)[0]["problems"][0]
    assert problem["code"] == "unknown-fact" and problem["hint"] == "did you mean `compute_spend`?"


def test_jsonl_text_that_cannot_be_written_is_an_error_record(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"case": "bad\\ud800", "claims": []}\n'
                       + json.dumps(voucher("ok")).encode() + b"\n"
                       + b'{"case": "latin1", "claims": [], "note": "caf\xe9"}\n')
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out).exit_code == 1
    records = lines(out)
    assert [r["case"] for r in records] == ["bad\ufffd", "ok", "line 3"]
    assert records[0]["problems"][0]["code"] == "encoding" and "U+D800" in records[0]["problems"][0]["message"]
    assert records[2]["problems"][0]["code"] == "encoding"
    assert records[2]["problems"][0]["location"]["line"] == 3


def test_too_deep_json_is_an_error_record(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", ["[" * 100_000 + "]" * 100_000, voucher("ok")])
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out).exit_code == 1
    records = lines(out)
    assert records[0]["problems"][0]["code"] == "too-deep" and records[1]["case"] == "ok"


# -- CSV in ----------------------------------------------------------------------------------------

CSV_HEADER = ("case,id,measure,date,project,applicant.kind,applicant.annual_revenue,compute_spend,"
              "service_qualified,intelligent_product,meets_assessment,annual_sales\n")


def test_csv_rows_of_one_case_form_one_case(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(CSV_HEADER
                      + "acme,c1,compute-voucher,2025-06-01,,enterprise,5億,800萬,true,,,\n"
                      + "acme,c2,compute-voucher,2025-09-15,,enterprise,,600萬,TRUE,,,\n"
                      + "\n"
                      + "lab,c1,compute-voucher,2025-07-01,,university,,,true,,,\n"
                      + "acme,c3,compute-voucher,2025-10-01,,enterprise,5億,100萬,false,,,\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run(source, "--out", out)
    assert result.exit_code == 0, result.output
    acme, lab, acme_again = lines(out)
    assert acme["case"] == "acme" and [r["claim"] for r in acme["results"]] == ["c1", "c2"]
    # the yearly cap of 500萬 spans the two claims of the one case: 320萬, then 180萬
    assert [r["amount"] for r in acme["results"]] == ["3200000.00", "1800000.00"]
    # an empty cell is an absent fact
    assert lab["results"][0]["status"] == "undetermined"
    assert lab["results"][0]["missing"] == ["claim.compute_spend"]
    # rows with the same case id that are not consecutive are another case
    assert acme_again["case"] == "acme" and acme_again["results"][0]["status"] == "ineligible"


def test_csv_problems_point_at_the_row_and_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(CSV_HEADER
                      + "ok,c1,compute-voucher,2025-06-01,,university,,100萬,true,,,\n"
                      + "bad,c1,compute-voucher,2025-06-01,,university,,100萬,yes,,,\n"
                      + "conflict,c1,compute-voucher,2025-06-01,,university,,100萬,true,,,\n"
                      + "conflict,c2,compute-voucher,2025-07-01,,enterprise,,100萬,true,,,\n"
                      + "wide,c1,compute-voucher,2025-06-01,,university,,100萬,true,,,,surplus\n"
                      + ",c1,hit-product,2025-12-01,p,enterprise,,,,true,true,2000萬\n"
                      + ",c1,compute-vouhcer,2025-06-01,,university,,100萬,true,,,\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out).exit_code == 1
    records = lines(out)
    assert [r["case"] for r in records] == ["ok", "bad", "conflict", "wide", "line 7", "line 8"]
    bad = records[1]["problems"][0]
    assert bad["code"] == "wrong-type" and bad["path"] == "claims[0].service_qualified"
    assert bad["location"] == {"file": str(source), "line": 3, "column": 9}
    conflict = records[2]["problems"][0]
    assert conflict["code"] == "csv-conflict" and conflict["location"]["line"] == 5
    assert records[3]["problems"][0]["code"] == "csv-extra-cells"
    # a row without a case id is a case of its own, named by its line
    assert records[4]["results"][0]["status"] == "eligible"
    unknown = records[5]["problems"][0]
    assert unknown["code"] == "unknown-measure" and unknown["hint"] == "did you mean `compute-voucher`?"
    assert unknown["location"] == {"file": str(source), "line": 8, "column": 3}


def test_csv_unknown_fact_column_suggests_the_fact(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("case,id,measure,date,applicant.kind,compute_spent,service_qualified\n"
                      "a,c1,compute-voucher,2025-06-01,university,100萬,true\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out).exit_code == 1
    problem = lines(out)[0]["problems"][0]
    assert problem["code"] == "unknown-fact" and problem["hint"] == "did you mean `compute_spend`?"
    assert problem["location"]["column"] == 6


def test_csv_with_a_column_named_twice_stops_before_deciding(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("case,id,measure,id\na,c1,compute-voucher,c2\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run(source, "--out", out)
    assert result.exit_code == 1
    assert f"{source}:1:4: csv-header: the column `id` appears twice (columns 2 and 4)" in result.output


def test_csv_row_that_cannot_be_read_is_an_error_record(tmp_path):
    source = tmp_path / "in.csv"
    huge = "x" * 200_000  # beyond the csv module's field limit
    source.write_text(CSV_HEADER + "a,c1,compute-voucher,2025-06-01,,university,,100萬,true,,,\n"
                      + f'b,c1,compute-voucher,2025-06-01,"{huge}",university,,100萬,true,,,\n'
                      + "c,c1,compute-voucher,2025-06-01,,university,,100萬,true,,,\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out).exit_code == 1
    records = lines(out)
    assert "status" not in records[0] and records[0]["case"] == "a"
    assert records[1]["problems"][0]["code"] == "csv-syntax"
    assert records[-1]["case"] == "c"


# -- CSV out ---------------------------------------------------------------------------------------

def test_csv_out_one_row_per_claim(tmp_path):
    out = tmp_path / "out.csv"
    result = run(EXAMPLES / "cases", "--out", out)  # the format follows the suffix
    assert result.exit_code == 1
    table = rows(out)
    assert list(table[0]) == list(batch.CSV_COLUMNS)
    assert [(r["case"], r["claim"], r["status"], r["amount"]) for r in table] == [
        ("acme", "c1", "eligible", "3200000.00"),
        ("xmu-lab", "c1", "eligible", "1500000.00"),
        ("xmu-lab", "c2", "eligible", "500000.00"),
        ("typo", "", "error", ""),
        ("devices", "c1", "eligible", "1000000.00"),
        ("devices", "c2", "eligible", "3000000.00")]
    assert table[3]["reasons"] == "unknown-measure"
    assert "did you mean `compute-voucher`?" in table[3]["problems"]
    assert [table[4]["quota"], table[4]["quota_position"]] == ["awarded", "2"]


def test_csv_out_reasons_missing_and_superseded(tmp_path):
    case = {"case": "rd", "applicant": {"kind": "enterprise"}, "claims": [
        {"id": "n", "measure": "rd-national", "date": "2025-06-01", "project": "P", "national_winner": True,
         "rd_investment": "400萬"},
        {"id": "p", "measure": "rd-provincial", "date": "2025-06-01", "project": "P",
         "provincial_key_project": True, "rd_investment": "400萬"},
        {"id": "u", "measure": "compute-voucher", "date": "2025-06-01", "service_qualified": True},
        {"id": "x", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "1萬",
         "service_qualified": False}]}
    out = tmp_path / "out.csv"
    assert run(jsonl(tmp_path / "in.jsonl", [case, {"case": "none", "claims": []}]), "--out", out).exit_code == 0
    table = {r["claim"]: r for r in rows(out) if r["case"] == "rd"}
    assert table["p"]["status"] == "superseded" and table["p"]["superseded_by"] == "n"
    assert table["p"]["reasons"] == "superseded" and table["p"]["amount"] == "0.00"
    assert table["u"]["status"] == "undetermined" and table["u"]["missing"] == "claim.compute_spend"
    assert table["x"]["status"] == "ineligible" and table["x"]["reasons"] == "condition-failed"
    empty = [r for r in rows(out) if r["case"] == "none"]
    assert len(empty) == 1 and empty[0]["status"] == "no-claims"


# -- quotas across the batch -----------------------------------------------------------------------

def test_quota_ranked_across_twelve_cases_two_beyond(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run(jsonl(tmp_path / "in.jsonl", hit_cases()), "--out", out)
    assert result.exit_code == 0, result.output
    records = lines(out)
    assert [r["case"] for r in records] == INPUT_ORDER  # input order is kept
    got = {r["case"]: r["results"][0] for r in records}
    for case, position in zip(sorted(SALES), range(1, 13)):
        r = got[case]
        assert r["quota"]["position"] == position and r["quota"]["contenders"] == 12
        if position <= 10:
            assert r["status"] == "eligible" and r["quota"]["status"] == "awarded", case
        else:
            assert r["status"] == "ineligible" and r["quota"]["status"] == "exceeded", case
            assert r["amount"] == "0.00"
            assert r["reasons"][-1] == {"code": "quota-exceeded", "zh": f"超出年度名額（第{position}名，名額10個）",
                                        "en": f"beyond the yearly quota (ranked {position}, quota 10)",
                                        "position": position, "count": 10}
    # m10 and m11 have the same sales: the case id breaks the tie, not the input order
    assert got["m10"]["quota"]["status"] == "awarded" and got["m11"]["quota"]["status"] == "exceeded"
    assert {r["case"]: r["total"] for r in records}["m11"] == "0.00"
    assert "quota hit-product 2025: 12 ranked, 10 awarded, 2 beyond the quota" in result.stderr
    assert "claims: 10 eligible, 2 ineligible" in result.stderr
    assert "hit-product  2025     25,000,000.00 元 (2500萬)" in result.stderr


def test_quota_batch_is_byte_identical_to_evaluate_many_with_traces(tmp_path):
    cases = hit_cases()
    cases[3]["claims"].append(hit(cases[3]["case"], "1億", claim="c2"))  # two contenders in one case
    cases[5]["claims"].append({"id": "v", "measure": "compute-voucher", "date": "2025-06-01",
                               "compute_spend": "100萬", "service_qualified": True})
    out = tmp_path / "out.jsonl"
    assert run(jsonl(tmp_path / "in.jsonl", cases), "--out", out, "--trace").exit_code == 0
    decisions = ordinance.default_policy().evaluate_many(cases, trace=True)
    assert out.read_text(encoding="utf-8") == "".join(to_json(d.to_dict(), indent=None) for d in decisions)
    assert sum(r["quota"]["status"] == "exceeded" for rec in lines(out) for r in rec["results"] if "quota" in r) == 3


def _with_undetermined_contenders() -> list[dict]:
    """Twelve contenders for ten places, and two more that miss a fact: one of the ranked year, one
    undated (it may fall in any year): places 9 and 10 wait on them."""
    cases = hit_cases()
    cases[2]["claims"].append(dict(hit(cases[2]["case"], "1億", claim="c2"), meets_assessment=None))
    undated = dict(hit("u1", "9000萬"))
    del undated["date"]
    cases.insert(5, {"case": "u1", "applicant": {"id": "u1", "kind": "enterprise"}, "claims": [undated]})
    return cases


@pytest.mark.parametrize("trace", [False, True])
def test_quota_with_undetermined_contenders_is_byte_identical_to_evaluate_many(tmp_path, trace):
    cases = _with_undetermined_contenders()
    out = tmp_path / "out.jsonl"
    result = run(jsonl(tmp_path / "in.jsonl", cases), "--out", out, *(["--trace"] if trace else []))
    assert result.exit_code == 0, result.output
    decisions = ordinance.default_policy().evaluate_many(cases, trace=trace)
    assert out.read_text(encoding="utf-8") == "".join(to_json(d.to_dict(), indent=None) for d in decisions)
    got = {(rec["case"], r["claim"]): r for rec in lines(out) for r in rec["results"]}
    assert [got[(c, "c1")]["quota"]["status"] for c in ("m01", "m08", "m09", "m10", "m11")] == [
        "awarded", "awarded", "open", "open", "exceeded"]
    m09 = got[("m09", "c1")]
    assert m09["status"] == "undetermined" and m09["amount"] is None
    assert m09["bounds"] == {"at_least": "0.00", "at_most": "1500000.00", "depends_on": ["m11:c2", "u1:c1"]}
    assert m09["reasons"][-1]["waiting_on"] == {"m11:c2": ["claim.meets_assessment"], "u1:c1": ["claim.date"]}
    assert "quota hit-product 2025: 12 ranked, 8 awarded, 2 open (undetermined claims may rank ahead), " \
           "2 beyond the quota" in result.stderr
    assert "claims: 8 eligible, 2 ineligible, 4 undetermined" in result.stderr
    assert "hit-product  2025       3 claims  0.00 to 5,500,000.00 元" in result.stderr


def test_quota_left_open_in_csv_out(tmp_path):
    out = tmp_path / "out.csv"
    assert run(jsonl(tmp_path / "in.jsonl", _with_undetermined_contenders()), "--out", out).exit_code == 0
    table = {(r["case"], r["claim"]): r for r in rows(out)}
    assert [table[("m10", "c1")][k] for k in ("status", "amount", "reasons", "quota", "quota_position")] == [
        "undetermined", "", "depends-on-undetermined", "open", "10"]


def test_quota_in_csv_out(tmp_path):
    out = tmp_path / "out.csv"
    assert run(jsonl(tmp_path / "in.jsonl", hit_cases()), "--out", out).exit_code == 0
    table = {r["case"]: r for r in rows(out)}
    assert [table["m11"][k] for k in ("status", "amount", "reasons", "quota", "quota_position")] == [
        "ineligible", "0.00", "quota-exceeded", "exceeded", "11"]
    assert [table["m01"][k] for k in ("status", "amount", "reasons", "quota", "quota_position")] == [
        "eligible", "3000000.00", "", "awarded", "1"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # the rewrite left nothing behind


def test_quota_years_are_ranked_apart(tmp_path):
    cases = hit_cases()
    for c in cases[:3]:
        c["claims"][0]["date"] = "2026-12-01"
    out = tmp_path / "out.jsonl"
    result = run(jsonl(tmp_path / "in.jsonl", cases), "--out", out)
    assert "quota hit-product 2025: 9 ranked, 9 awarded, 0 beyond the quota" in result.stderr
    assert "quota hit-product 2026: 3 ranked, 3 awarded, 0 beyond the quota" in result.stderr
    assert all(r["results"][0]["quota"]["status"] == "awarded" for r in lines(out))


# -- the summary -----------------------------------------------------------------------------------

def test_summary_counts_and_totals_by_measure_and_year(tmp_path):
    cases = [voucher("a", "100萬"), voucher("b", "100萬", date="2026-03-01"), voucher("c", "lots"),
             {"case": "d", "applicant": {"kind": "enterprise"},
              "claims": [hit("d", "2500萬"), {"id": "u", "measure": "compute-voucher", "date": "2025-06-01"}]}]
    out = tmp_path / "out.jsonl"
    result = run(jsonl(tmp_path / "in.jsonl", cases), "--out", out)
    assert result.exit_code == 1
    assert result.stderr == (
        f"decided 3 of 4 cases -> {out} (jsonl)\n"
        "  claims: 3 eligible, 1 undetermined\n"
        "  errors: 1 case could not be decided (c); see their records in the output\n"
        "  quota hit-product 2025: 1 ranked, 1 awarded, 0 beyond the quota\n"
        "  amount due (eligible money claims), by measure and year:\n"
        "    hit-product      2025     1,000,000.00 元 (100萬)\n"
        "    compute-voucher  2025       500,000.00 元 (50萬)\n"
        "    compute-voucher  2026       500,000.00 元 (50萬)\n"
        "    all measures     2025     1,500,000.00 元 (150萬)\n"
        "    all measures     2026       500,000.00 元 (50萬)\n"
        "    total                     2,000,000.00 元 (200萬)\n"
        "  still open (undetermined money claims: the least and the most they can come to), by measure and year:\n"
        "    compute-voucher  2025        1 claim  at least 0.00 元, no upper bound known\n"
        "    total                        1 claim  at least 0.00 元, no upper bound known\n")
    assert result.stdout == ""  # the output goes to the file, the summary to stderr, no progress bar off a tty


def _summary_cases() -> list:
    return [voucher("a", "100萬"), voucher("b", "100萬", date="2026-03-01"), voucher("c", "lots"),
            {"case": "d", "applicant": {"kind": "enterprise"},
             "claims": [hit("d", "2500萬"), {"id": "u", "measure": "compute-voucher", "date": "2025-06-01"}]}]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_summary_in_chinese(tmp_path, how):
    """The same summary as above, its words in Chinese; ids, years and amounts as they are, the
    columns aligned by terminal cells.  The output (records) is the same decisions."""
    source = jsonl(tmp_path / "in.jsonl", _summary_cases())
    out = tmp_path / "out.jsonl"
    if how == "option":
        result = CliRunner().invoke(main, ["--lang", "zh", "batch", str(source), "--out", str(out)])
    else:
        result = run(source, "--out", out, env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 1
    assert result.stderr == (
        f"已裁定 4 個案件中的 3 個 -> {out}（jsonl）\n"
        "  申請：符合 3 項、待定 1 項\n"
        "  錯誤：1 個案件無法裁定（c）；詳見輸出中的記錄\n"
        "  名額 hit-product 2025：排名 1 項，授予 1 項，超出名額 0 項\n"
        "  應付金額（符合條件的資金申請），按措施及年度：\n"
        "    hit-product      2025     1,000,000.00 元 (100萬)\n"
        "    compute-voucher  2025       500,000.00 元 (50萬)\n"
        "    compute-voucher  2026       500,000.00 元 (50萬)\n"
        "    全部措施         2025     1,500,000.00 元 (150萬)\n"
        "    全部措施         2026       500,000.00 元 (50萬)\n"
        "    合計                      2,000,000.00 元 (200萬)\n"
        "  尚未確定（待定的資金申請：最少與最多可達的金額），按措施及年度：\n"
        "    compute-voucher  2025       1 項申請  至少 0.00 元，上限未知\n"
        "    合計                        1 項申請  至少 0.00 元，上限未知\n")
    english = run(source, "--out", tmp_path / "en.jsonl")
    assert [r.get("results") for r in lines(out)] == [r.get("results") for r in lines(tmp_path / "en.jsonl")]
    assert english.stderr.startswith("decided 3 of 4 cases")


def test_the_summary_in_chinese_of_undated_claims_and_open_bounds(tmp_path):
    undated = dict(hit("b", "2000萬"))
    del undated["date"]
    cases = [{"case": "b", "applicant": {"kind": "enterprise"}, "claims": [undated]}]
    result = run(jsonl(tmp_path / "in.jsonl", cases), "--out", tmp_path / "o.jsonl", env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 0
    assert "    hit-product  無日期     1 項申請  0.00 至 1,000,000.00 元\n" in result.stderr, result.stderr
    for english in ("undated", "claim", " to ", "still open", "total", "decided"):
        assert english not in result.stderr, english
    result = run(tmp_path / "in.jsonl", "--out", tmp_path / "o.jsonl")
    assert "    hit-product  undated     1 claim  0.00 to 1,000,000.00 元\n" in result.stderr, result.stderr


def test_the_batch_notes_and_usage_mistakes_in_chinese(tmp_path, monkeypatch):
    from ordinance.cli import main as cli_main
    monkeypatch.setattr(cli_main, "_cpus", lambda: 1)
    source = jsonl(tmp_path / "in.jsonl", [voucher("a")])
    result = run(source, "--out", tmp_path / "o.jsonl", "--jobs", "4", env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 0
    assert "注意：--jobs 4 多於本程序可用的 1 個 CPU：改為執行 1 個工作程序" in result.stderr
    assert "note:" not in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty, "--out", tmp_path / "e.jsonl", env={"ORDINANCE_LANG": "zh"})
    assert "找不到案件（資料夾中應有 *.yaml、*.yml、*.json 案件文件）" in result.stderr
    result = run(ROOT / "examples" / "compute-voucher.yaml", "--out", tmp_path / "o.jsonl",
                 env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 2 and "請提供案件文件的資料夾、.jsonl 文件或 .csv 文件" in result.output
    result = run(source, "--out", source, env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 2 and "輸出會覆蓋輸入" in result.output
    result = run(source, "--out", "/dev/null", env={"ORDINANCE_LANG": "zh"})
    assert result.exit_code == 2 and "請提供一個文件" in result.output


def test_summary_totals_add_up_with_the_output(tmp_path):
    out = tmp_path / "out.jsonl"
    run(jsonl(tmp_path / "in.jsonl", hit_cases()), "--out", out)
    assert sum(Decimal(r["total"]) for r in lines(out)) == Decimal("25000000.00")


# -- options ---------------------------------------------------------------------------------------

def test_trace_and_as_of(tmp_path):
    case = voucher("undated")
    del case["claims"][0]["date"]
    source = jsonl(tmp_path / "in.jsonl", [case])
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out, "--as-of", "2025-08-01", "--trace").exit_code == 0
    record = lines(out)[0]
    assert record["as_of"] == "2025-08-01" and record["results"][0]["amount"] == "500000.00"
    assert record["results"][0]["trace"]["kind"] == "claim"
    assert run(source, "--out", out).exit_code == 0
    assert lines(out)[0]["results"][0]["status"] == "undetermined"


@pytest.mark.parametrize("args,message", [
    (["--as-of", "2025-02-30"], "is not a date"),
    (["--format", "xml"], "'xml' is not one of"),
    (["--jobs", "-1"], "-1 is not in the range"),
])
def test_usage_errors_are_exit_2(tmp_path, args, message):
    result = run(EXAMPLES / "cases", "--out", tmp_path / "o.jsonl", *args)
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize("asked", ["100000", "0"])
def test_jobs_are_bounded_by_the_cpus(tmp_path, monkeypatch, asked):
    """--jobs 100000 once spawned 100,000 workers: now no more than the CPUs, a larger number with a note."""
    from ordinance.cli import main as cli_main
    seen = []
    real = batch.run
    monkeypatch.setattr(cli_main, "_cpus", lambda: 3)
    monkeypatch.setattr(batch, "run", lambda *a, **k: seen.append(a[5]) or real(*a[:5], 1, **k))
    source = jsonl(tmp_path / "in.jsonl", [voucher("a")])
    result = run(source, "--out", tmp_path / "o.jsonl", "--jobs", asked)
    assert result.exit_code == 0 and seen == [3], result.output
    note = "note: --jobs 100000 is more than the 3 CPUs this process may use: running 3 workers"
    assert (note in result.stderr) == (asked == "100000")


def test_input_that_is_not_a_batch_is_exit_2(tmp_path):
    result = run(ROOT / "examples" / "compute-voucher.yaml", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 2 and "give a folder of case files, a .jsonl file or a .csv file" in result.output
    assert run(tmp_path / "missing.jsonl", "--out", tmp_path / "o.jsonl").exit_code == 2
    assert run(EXAMPLES / "cases").exit_code == 2  # --out is required


def test_output_over_the_input_is_refused(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [voucher("a")])
    result = run(source, "--out", source)
    assert result.exit_code == 2 and "overwrite the input" in result.output
    assert lines(source)[0]["case"] == "a"


def test_unwritable_output_is_exit_1(tmp_path):
    result = run(EXAMPLES / "cases", "--out", tmp_path / "no" / "dir" / "o.jsonl")
    assert result.exit_code == 1 and "Could not open file" in result.output and "Traceback" not in result.output


def test_evaluation_error_is_a_record(tmp_path):
    policy = write_policy(tmp_path / "p", {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            facts: {claim.n: {type: number}, claim.spend: {type: money}}
            amount: claim.spend / claim.n
        """})
    source = jsonl(tmp_path / "in.jsonl", [
        {"case": "zero", "claims": [{"id": "c", "measure": "m", "date": "2025-05-01", "n": 0, "spend": 1}]},
        {"case": "two", "claims": [{"id": "c", "measure": "m", "date": "2025-05-01", "n": 2, "spend": 1}]}])
    out = tmp_path / "out.jsonl"
    assert run(source, "--out", out, "--policy", policy).exit_code == 1
    zero, two = lines(out)
    assert zero["error"] == "EvaluationError" and zero["problems"][0]["code"] == "evaluation"
    assert two["results"][0]["amount"] == "0.50"


def test_an_internal_error_in_one_case_is_a_record_and_exit_3(tmp_path, monkeypatch):
    from ordinance.run.dispatch import Engine

    real = Engine.decide

    def decide(self, case, name="<case>"):  # every decision without the trace goes through the dispatch
        if (case.get("applicant") or {}).get("id") == "boom":
            raise RuntimeError("kaput")
        return real(self, case, name)

    monkeypatch.setattr(Engine, "decide", decide)
    monkeypatch.delenv("ORDINANCE_DEBUG", raising=False)
    out = tmp_path / "out.jsonl"
    result = run(jsonl(tmp_path / "in.jsonl", [voucher("a"), voucher("boom"), voucher("c")]), "--out", out)
    assert result.exit_code == 3
    a, boom, c = lines(out)
    assert boom["problems"][0]["code"] == "internal-error" and "kaput" in boom["problems"][0]["message"]
    assert a["total"] == c["total"] == "500000.00"
    debug = run(jsonl(tmp_path / "in.jsonl", [voucher("boom")]), "--out", out, env={"ORDINANCE_DEBUG": "1"})
    assert isinstance(debug.exception, RuntimeError)


def test_a_broken_policy_is_exit_1(tmp_path):
    result = run(EXAMPLES / "cases", "--out", tmp_path / "o.jsonl", "--policy", tmp_path)
    assert result.exit_code == 1 and "no-manifest" in result.output


def test_a_trace_key_set_anew_takes_its_place_and_unknown_keys_stay():
    node = {"kind": "claim", "id": "c1", "extra": 1, "status": "eligible", "notes": ["n"], "children": []}
    patched = quotas.set_trace(dict(node), "result", "0")
    assert list(patched) == ["kind", "id", "extra", "status", "result", "notes", "children"]
    assert quotas.set_trace(dict(patched), "result", None) == node
    assert list(quotas.set_trace(dict(node), "status", "ineligible")) == list(node)


# -- streaming and workers -------------------------------------------------------------------------

def _counted(items, pulled: list):
    for item in items:
        pulled.append(item)
        yield item


@pytest.mark.parametrize("jobs", [1, 2])
def test_input_is_read_lazily_and_in_bounded_windows(tmp_path, jobs):
    source = jsonl(tmp_path / "in.jsonl", [voucher(f"k{i:04d}") for i in range(400)])
    policy = ordinance.default_policy()
    options = batch.Options((), False, None, "jsonl")
    pulled: list = []
    stream = runner.records(_counted(batch.items(source, "jsonl"), pulled), jobs, options, policy)
    position, first = next(stream)
    assert position == 1 and first.case == "k0000"
    bound = 1 if jobs == 1 else jobs * runner.WINDOW * runner.CHUNK + runner.CHUNK
    assert len(pulled) <= bound < 400
    assert [r.case for _, r in stream] == [f"k{i:04d}" for i in range(1, 400)]
    stream.close()


def test_progress_bar_path(tmp_path):
    out = tmp_path / "o.jsonl"
    summary = batch.run(EXAMPLES / "cases.jsonl", "jsonl", out, ordinance.default_policy(),
                        batch.Options((), False, None, "jsonl"), 1, progress=True)
    assert summary.cases == 4 and len(lines(out)) == 4
    assert batch.progress_length(EXAMPLES / "cases.jsonl", "jsonl") == 4
    assert batch.progress_length(EXAMPLES / "cases", "folder") == 4


def _mixed(tmp_path: Path) -> Path:
    cases: list = []
    for i in range(70):
        if i % 9 == 4:
            cases.append('{"case": "broken", ')
        elif i % 5 == 0:
            cases.append({"case": f"h{i:03d}", "applicant": {"kind": "enterprise"},
                          "claims": [hit(f"h{i:03d}", f"{1000 + 37 * i}萬")]})
        else:
            cases.append(voucher(f"v{i:03d}", f"{i}萬"))
    return jsonl(tmp_path / "in.jsonl", cases)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_jobs_1_and_2_give_the_same_bytes(tmp_path, fmt):
    source = _mixed(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.{fmt}"
        proc = subprocess.run([SCRIPT, "batch", str(source), "--out", str(out), "--jobs", jobs, "--trace"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
        assert proc.returncode == 1, proc.stderr  # the broken lines
        assert "Traceback" not in proc.stderr
        outputs.append((out.read_bytes(), proc.stderr.replace(str(out), "OUT")))
    assert outputs[0] == outputs[1]
    text = outputs[0][0].decode("utf-8")
    assert "quota-exceeded" in text  # 14 hit products for a quota of 10: the rewrite ran
    errors = [line for line in text.splitlines() if '"status":"error"' in line or ",error," in line]
    assert len(errors) == 8 and all("line " in line for line in errors)


def test_console_script_csv_to_csv_with_jobs(tmp_path):
    out = tmp_path / "out.csv"
    proc = subprocess.run([SCRIPT, "batch", str(EXAMPLES / "claims.csv"), "--out", str(out), "-j", "2"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 1
    table = rows(out)
    assert [r["case"] for r in table] == ["acme", "acme", "devices", "devices", "lab"]
    assert table[-1]["status"] == "error"
    assert "must be true or false, not the text 'yes' (write true or false)" in table[-1]["problems"]
    assert "decided 2 of 3 cases" in proc.stderr
