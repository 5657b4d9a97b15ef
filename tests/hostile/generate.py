"""Write the hostile corpus: tests/hostile/policies/<name>/, cases/<name>.<ext>, batch/.

The corpus is committed; this script says how each file was made (several are binary, or too
long to read).  What each must produce is in expected.yaml, checked by tests/test_hostile.py.
Run it from anywhere:  .venv/bin/python tests/hostile/generate.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MANIFEST = """\
policy: hostile
title: {zh: 測試政策, en: test policy}
issuer: {zh: 測試, en: test}
issued: 2025-01-01
valid: {from: 2025-01-01, until: 2027-12-31}
facts:
  applicant.kind:
    type: enum
    values: [enterprise, university]
"""

class Link(str):
    """A symbolic link to write, to this target (the corpus keeps links as git keeps them)."""


def rule(amount="claim.spend * 30%", when=None, values=None, extra=""):
    text = "article: 一\nmeasures:\n  - id: voucher\n    title: {zh: 券, en: voucher}\n    facts:\n      claim.spend: {type: money}\n"
    if values:
        text += "    values:\n" + "".join(f"      {k}: {v}\n" for k, v in values.items())
    if when:
        text += f"    conditions:\n      - id: c\n        when: {when}\n"
    text += f"    amount: {amount}\n" + extra
    return text

policies: dict[str, dict[str, bytes | str]] = {
    # rule text is never Python
    "import-call": {"rules/r.yaml": rule(amount="__import__('os')")},
    "dunder-attribute": {"rules/r.yaml": rule(when="applicant.__class__ == 1")},
    "dunder-dict": {"rules/r.yaml": rule(amount="claim.__dict__")},
    "dunder-name": {"rules/r.yaml": rule(amount="__builtins__")},
    "format-string": {"rules/r.yaml": rule(amount="'\"{0.__class__}\"'")},
    "format-string-compare": {"rules/r.yaml": rule(when="'\"{0.__class__.__mro__}\" + 1'")},
    "power-operator": {"rules/r.yaml": rule(amount="10 ** 1000")},
    "exponent-literal": {"rules/r.yaml": rule(amount="1e400")},
    "fullwidth-percent": {"rules/r.yaml": rule(amount="claim.spend * ３０%")},       # digits of other scripts
    "fullwidth-date": {"rules/r.yaml": rule(when="claim.date <= ２０２５-１２-３１")},
    "huge-literal": {"rules/r.yaml": rule(amount="9" * 10_000)},
    # blow-ups within the limits (issue 15): 5,000 problems on one 45 KB line; a 60,000-character name
    "many-enum-values": {"rules/r.yaml": rule(when="applicant.kind in [" + ", ".join(f'"x{i}"' for i in range(5000)) + "]")},
    "long-name": {"rules/r.yaml": rule(amount="claim." + "s" * 60_000)},
    "long-expression": {"rules/r.yaml": rule(amount=" + ".join(["claim.spend"] * 6000))},
    # a plain sum of 2,000 terms: one level deep, as a reader counts (it was expression-too-deep)
    "long-sum": {"rules/r.yaml": rule(amount=" + ".join(["claim.spend"] * 2000))},
    "deep-expression": {"rules/r.yaml": rule(amount="(" * 300 + "claim.spend" + " + 1)" * 300)},
    "call-eval": {"rules/r.yaml": rule(amount="eval('1')")},
    "call-open": {"rules/r.yaml": rule(amount="open('/etc/passwd')")},
    "call-getattr": {"rules/r.yaml": rule(amount="getattr(claim, 'spend')")},
    "lambda": {"rules/r.yaml": rule(amount="'(lambda: 1)()'")},
    "subscript": {"rules/r.yaml": rule(amount="claim.spend[0]")},
    "python-tag": {"rules/r.yaml": rule(amount="!!python/object/apply:os.system ['true']")},
    # malformed rule files
    "invalid-utf8": {"rules/r.yaml": rule().encode() + b"# \xff\xfe\n"},
    "bom": {"rules/r.yaml": b"\xef\xbb\xbf" + rule().encode()},  # accepted
    "tabs": {"rules/r.yaml": rule().replace("    amount", "\tamount")},
    "duplicate-key": {"rules/r.yaml": rule(extra="    amount: claim.spend\n")},
    "nonexistent-date": {"rules/r.yaml": rule(when="claim.date <= 2025-02-30")},
    "circular-values": {"rules/r.yaml": rule(amount="base", values={"base": "rebate + claim.spend", "rebate": "base * 10%"})},
    "empty-file": {"rules/r.yaml": ""},
    "list-file": {"rules/r.yaml": "- a\n- b\n"},
    "scalar-file": {"rules/r.yaml": "just some text\n"},
    "binary-file": {"rules/r.yaml": bytes(range(256)) * 4},
    "nul-bytes": {"rules/r.yaml": rule().encode() + b"\x00\x00"},
    "utf16": {"rules/r.yaml": rule().encode("utf-16")},
    "billion-laughs": {"rules/r.yaml": "\n".join(["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]" for i in range(1, 10)]) + "\n"},
    "deep-yaml": {"rules/r.yaml": "x: " + "[" * 500 + "]" * 500 + "\n"},
    "huge-integer": {"rules/r.yaml": rule(extra="    quota: {count: " + "9" * 6000 + ", per: year, rank_by: claim.spend}\n")},
    "surrogate-escape": {"rules/r.yaml": rule(amount='"\\ud800"')},
    "yaml-syntax": {"rules/r.yaml": "measures: [\n"},
    "manifest-list": {"policy.yaml": "- not\n- a mapping\n", "rules/r.yaml": rule()},
    "no-manifest": {"policy.yaml": None, "rules/r.yaml": rule()},
    "string-as-money": {"rules/r.yaml": rule(amount="'\"a lot\"'")},
    # entries of rules/ that are not files to read: each a problem, never skipped in silence
    "dangling-symlink": {"rules/r.yaml": rule(), "rules/gone.yaml": Link("no-such-file.yaml")},
    "looping-symlink": {"rules/r.yaml": rule(), "rules/loop.yaml": Link("loop.yaml")},
    "device-symlink": {"rules/r.yaml": rule(), "rules/null.yaml": Link("/dev/null")},
    "symlink-outside": {"rules/r.yaml": rule(), "rules/theirs.yaml": Link("../../import-call/rules/r.yaml")},
    # a chain a thousand values long, or five hundred tables: once a RecursionError (exit 3, HTTP 500)
    "value-chain": {"rules/r.yaml": rule(amount="v1000", values={"v1": "claim.spend", **{
        f"v{i}": f"v{i - 1} + 1元" for i in range(2, 1001)}})},
    "table-chain": {"rules/r.yaml": rule(amount="t500.y", extra="".join(
        f"    tables:\n" * (i == 1) + f"      t{i}:\n        rows:\n"
        f"          - when: {'claim.spend' if i == 1 else f't{i - 1}.y'} > 0元\n"
        f"            set: {{y: {'claim.spend' if i == 1 else f't{i - 1}.y'} + 1元}}\n"
        f"          - otherwise: true\n            set: {{y: 0元}}\n" for i in range(1, 501)))},
}

def write(path, content):
    if isinstance(content, Link):
        path.symlink_to(content)
    else:
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def write_policy(name, files):
    d = ROOT / "policies" / name
    if d.exists(): shutil.rmtree(d)
    (d / "rules").mkdir(parents=True)
    files = dict(files)
    manifest = files.pop("policy.yaml", MANIFEST)
    if manifest is not None:
        (d / "policy.yaml").write_bytes(manifest.encode() if isinstance(manifest, str) else manifest)
    for rel, content in files.items():
        write(d / rel, content)

for name, files in policies.items():
    write_policy(name, files)

GOOD = {"case": "ok", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
        "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01",
                    "compute_spend": "800萬", "service_qualified": True}]}
GOOD_YAML = """case: ok
applicant:
  kind: enterprise
  annual_revenue: 5億
claims:
  - id: c1
    measure: compute-voucher
    date: 2025-06-01
    compute_spend: 800萬
    service_qualified: true
"""
cases: dict[str, bytes | str] = {
    "invalid-utf8.yaml": GOOD_YAML.encode().replace(b"800", b"8\xff0"),
    "bom.yaml": b"\xef\xbb\xbf" + GOOD_YAML.encode(),
    "bom.json": b"\xef\xbb\xbf" + json.dumps(GOOD, ensure_ascii=False).encode(),
    "tabs.yaml": GOOD_YAML.replace("  kind", "\tkind"),
    "duplicate-key.yaml": GOOD_YAML.replace("  kind: enterprise\n", "  kind: enterprise\n  kind: university\n"),
    "duplicate-key.json": '{"case": "x", "case": "y", "claims": []}',
    "nonexistent-date.yaml": GOOD_YAML.replace("2025-06-01", "2025-02-30"),
    "negative-amount.yaml": GOOD_YAML.replace("800萬", "-800萬"),
    "negative-number.json": json.dumps({**GOOD, "claims": [{**GOOD["claims"][0], "compute_spend": -5}]}),
    "nan-amount.yaml": GOOD_YAML.replace("800萬", ".nan"),
    "nan-amount.json": json.dumps(GOOD).replace('"800\\u842c"', "NaN"),
    "infinite-amount.json": json.dumps(GOOD).replace('"800\\u842c"', "Infinity"),
    "exponent-amount.yaml": GOOD_YAML.replace("800萬", "1e400"),
    "exponent-amount.json": json.dumps(GOOD).replace('"800\\u842c"', "1e400"),
    "string-as-money.yaml": GOOD_YAML.replace("800萬", "a lot"),
    "huge-integer.yaml": GOOD_YAML.replace("800萬", "9" * 6000),
    "huge-integer.json": json.dumps(GOOD).replace('"800\\u842c"', "9" * 6000),
    "unknown-measure.yaml": GOOD_YAML.replace("measure: compute-voucher", "measure: free-money"),
    "unknown-fact.yaml": GOOD_YAML.replace("annual_revenue", "anual_revenue"),
    "empty.yaml": "",
    "empty.json": "",
    "whitespace.yaml": "\n   \n",
    "list.yaml": "- a\n- b\n",
    "scalar.yaml": "hello\n",
    "list.json": "[1, 2]",
    "binary.yaml": bytes(range(256)) * 4,
    "nul-bytes.yaml": GOOD_YAML.encode() + b"\x00",
    "utf16.yaml": GOOD_YAML.encode("utf-16"),
    "billion-laughs.yaml": policies["billion-laughs"]["rules/r.yaml"],
    "deep.json": "[" * 5000 + "]" * 5000,
    "deep.yaml": "x: " + "[" * 500 + "]" * 500 + "\n",
    "surrogate.json": json.dumps(GOOD).replace('"ok"', '"\\ud800"'),
    "surrogate-key.yaml": 'case: x\n"\\udc00": 1\nclaims: []\n',
    "python-tag.yaml": GOOD_YAML.replace("800萬", "!!python/object/apply:os.system ['echo hacked']"),
    "truncated.json": json.dumps(GOOD)[:60],
    "yaml-syntax.yaml": "claims: [\n",
    "wrong-shape.yaml": "applicant: [1, 2]\nclaims: {a: 1}\n",
    "not-a-date.yaml": GOOD_YAML.replace("2025-06-01", "June 1st"),
    "bool-as-money.yaml": GOOD_YAML.replace("800萬", "true"),
    "money-as-bool.yaml": GOOD_YAML.replace("service_qualified: true", "service_qualified: yes"),
    # a dangling and a looping symbolic link: an error record in a batch, never skipped (issue 15)
    "dangling-symlink.yaml": Link("no-such-case.yaml"),
    "looping-symlink.yaml": Link("looping-symlink.yaml"),
    # digits of other scripts: Python reads them, the published schema (ASCII \d) does not (issue 15)
    "digits-fullwidth.yaml": GOOD_YAML.replace("5億", "５億"),
    "digits-arabic-indic.yaml": GOOD_YAML.replace("5億", "٥億"),
    "digits-devanagari.yaml": GOOD_YAML.replace("800萬", "८००萬"),
    "digits-math-bold.yaml": GOOD_YAML.replace("5億", "𝟓億"),
    "digits-fullwidth-date.yaml": GOOD_YAML.replace("2025-06-01", "２０２５-０６-０１"),
    "digits-fullwidth.json": json.dumps(GOOD, ensure_ascii=False).replace("800萬", "８００萬"),
    # wrong types that used to slip through (issue 15)
    "id-list.yaml": GOOD_YAML.replace("id: c1", "id: [c1]"),
    "case-bool.yaml": GOOD_YAML.replace("case: ok", "case: true"),
    "str-tag-bool.yaml": GOOD_YAML.replace("service_qualified: true", "service_qualified: !!str true"),
    "tagged-empty.yaml": GOOD_YAML.replace("800萬", "!!python/name:os.system"),
    "trailing-comma.json": json.dumps(GOOD, ensure_ascii=False)[:-1] + ",}",
    # 1,000 claims with two wrong facts each: 2,000 problems, the first 50 shown (issue 15)
    "many-problems.yaml": GOOD_YAML.split("claims:")[0] + "claims:\n" + "".join(
        f"  - id: c{i}\n    measure: compute-voucher\n    date: 2025-06-01\n    compute_spend: abc\n"
        f"    service_qualified: maybe\n" for i in range(1000)),
    # a 200,000-character measure name: no "did you mean", echoed shortened (issue 15)
    "long-measure.yaml": GOOD_YAML.replace("measure: compute-voucher", "measure: " + "m" * 200_000),
}
(ROOT / "cases").mkdir(parents=True, exist_ok=True)
for f in (ROOT / "cases").iterdir(): f.unlink()
for name, content in cases.items():
    write(ROOT / "cases" / name, content)


# -- batch input: one case per line, each line its own trouble ------------------------------------
LINES: list[bytes] = [
    b"\xef\xbb\xbf" + json.dumps(GOOD).encode(),                      # 1 a BOM on the first line: accepted
    b"",                                                                # 2 blank: skipped, not a case
    json.dumps(GOOD).replace('"ok"', '"bad-utf8"').encode().replace(b"800", b"8\xff0"),  # 3
    json.dumps(GOOD).replace('"800\\u842c"', "NaN").encode(),          # 4
    json.dumps(GOOD).replace('"800\\u842c"', "1e400").encode(),        # 5
    json.dumps(GOOD).replace('"800\\u842c"', "9" * 6000).encode(),     # 6
    b"[" * 3000 + b"]" * 3000,                                          # 7
    b'{"case": "a", "case": "b", "claims": []}',                        # 8
    json.dumps(GOOD)[:50].encode(),                                     # 9
    json.dumps({**GOOD, "case": "long", "note": "x" * 20_000}).encode(),  # 10 over --max-line-bytes 8k
    b"[1, 2]",                                                          # 11
    b"{}",                                                              # 12
    json.dumps(GOOD).replace('"ok"', '"\\ud800"').encode(),            # 13
    json.dumps({**GOOD, "case": "last"}).encode(),                      # 14
]
(ROOT / "batch").mkdir(exist_ok=True)
(ROOT / "batch" / "lines.jsonl").write_bytes(b"\n".join(LINES) + b"\n")
(ROOT / "batch" / "claims.csv").write_bytes(
    "case,id,measure,date,applicant.kind,applicant.annual_revenue,compute_spend,service_qualified\n"
    "a,c1,compute-voucher,2025-06-01,enterprise,5億,800萬,true\n"
    "b,c1,compute-voucher,2025-02-30,enterprise,5億,800萬,true\n"
    f"c,c1,compute-voucher,2025-06-01,enterprise,5億,{'9' * 5000},true\n"
    "d,c1,compute-voucher,2025-06-01,enterprise,5億,-1,true\n".encode()
    + b"e,c1,compute-voucher,2025-06-01,enterprise,5\xff,800,true\n"
    + "f,c1,compute-voucher,2025-06-01,enterprise,5億,800萬,true\n".encode())

# -- CSV output: ids that a spreadsheet would run as formulas, a NUL in an id ---------------------
(ROOT / "batch" / "formulas.csv").write_bytes(
    "case,id,measure,date,applicant.kind,applicant.annual_revenue,compute_spend,service_qualified\n"
    '"=HYPERLINK(""http://evil.example"",""x"")",@SUM(A1),compute-voucher,2025-06-01,enterprise,5億,800萬,true\n'
    "+cmd,-c1,compute-voucher,2025-06-01,enterprise,5億,800萬,true\n".encode()
    + b"n\x00ul,c1,compute-voucher,2025-06-01,enterprise,5\xe5\x84\x84,800,true\n"
    + "-12.50,c1,compute-voucher,2025-06-01,enterprise,5億,800萬,true\n".encode())
