"""The block path of `ordinance batch` (ordinance/batch/blocks.py) writes what the general path writes.

JSON Lines in and out without --trace or --as-of goes by blocks of lines, a fast JSON reader and
the direct writer of the decision; every test here holds it to the general path (case by case,
the careful reader, and here ``to_json(decision.to_dict())``), byte for byte, on inputs made to catch it
out: broken and duplicate keys, long numbers and lines, BOMs, CRLF, bytes that are not UTF-8,
texts that cannot be written, quotas, and block boundaries anywhere.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from policy_factory import write_policy

import ordinance
from ordinance import load_policy
from ordinance import batch
from ordinance.batch import blocks as F  # the block path (the fast one)
from ordinance.batch import records
from ordinance.cli.main import main
from ordinance.decision import to_json
from ordinance.front.load import Limits

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).parent / "ordinance")
HOOK = batch.TEST_HOOK


def voucher(case, spend="100萬", kind="enterprise", revenue=500_000_000, date="2025-06-01", qualified=True):
    applicant = {"kind": kind} if revenue is None else {"kind": kind, "annual_revenue": revenue}
    claim = {"id": "c1", "measure": "compute-voucher", "date": date, "compute_spend": spend}
    if qualified is not None:
        claim["service_qualified"] = qualified
    return {"case": case, "applicant": applicant, "claims": [claim]}


def hit(case, sales):
    return {"case": case, "applicant": {"id": case, "kind": "enterprise"},
            "claims": [{"id": "c1", "measure": "hit-product", "date": "2025-12-01", "project": f"{case}-p",
                        "intelligent_product": True, "meets_assessment": True, "annual_sales": sales}]}


def dumps(value, compact=True) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None)


ODD_LINES = [
    '{"case": "x", "claims": [',
    '{"case": "dup", "case": "dup2", "claims": []}',
    '{"case": "dup-nested", "applicant": {"kind": "enterprise", "kind": "university"}, "claims": [{"id": "c1", '
    '"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": "dup-claim", "claims": [{"id": "c1", "id": "c2", "measure": "compute-voucher", "date": "2025-06-01", '
    '"compute_spend": "1萬", "service_qualified": true}]}',
    '{"ca\\u0073e": "escaped", "case": "dup3", "claims": []}',
    '{"case": "typo", "claims": [{"id": "c1", "measure": "compute-vouchr", "date": "2025-06-01"}]}',
    '{"case": "huge", "applicant": {"kind": "enterprise", "annual_revenue": ' + "9" * 40 + '}, "claims": [{"id": '
    '"c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": "digits", "applicant": {"kind": "enterprise", "annual_revenue": ' + "9" * 12 + '}, "claims": [{"id": '
    '"c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    "",
    "   ",
    "[1, 2]",
    "{}",
    "42",
    '{"case": "\\ud800", "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": "compute-voucher", '
    '"date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": "sur", "applicant": {"kind": "university"}, "claims": [{"id": "c\\udc00", "measure": '
    '"compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": 17, "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": "compute-voucher", '
    '"date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": "float", "applicant": {"kind": "enterprise", "annual_revenue": 5.5e8}, "claims": [{"id": "c1", '
    '"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": 1234.565, "service_qualified": true}]}',
    '{"case": "nan", "applicant": {"kind": "enterprise"}, "claims": [{"id": "c1", "measure": "compute-voucher", '
    '"date": "2025-06-01", "compute_spend": NaN, "service_qualified": true}]}',
    '{"case": "a: colon", "applicant": {"kind": "university"}, "claims": [{"id": "c:1", "measure": '
    '"compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}',
    '  {"case": "leading-space", "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": '
    '"compute-voucher", "date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}]}  \t',
    '{"case": "two", "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": "compute-voucher", '
    '"date": "2025-06-01", "compute_spend": "1萬", "service_qualified": true}, {"id": "c2", "measure": '
    '"compute-voucher", "date": "2025-07-01", "compute_spend": "500萬", "service_qualified": true}]}',
    '{"case": "history", "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": '
    '"compute-voucher", "date": "2025-06-01", "compute_spend": "100萬", "service_qualified": true}], '
    '"history": [{"measure": "compute-voucher", "date": "2025-02-01", "amount": "150萬"}]}',
    '{"case": "deep", "x": ' + "[" * 70 + "]" * 70 + "}",
    '{"case": "trailing", "claims": []} x',
    '{"case": "two-values", "claims": []}{"a": 1}',
    dumps(voucher("trailing-text")) + " x",
    dumps(voucher("two-values")) + '{"a": 1}',
    dumps(voucher("trailing-blanks")) + " \t ",
    '{"case": "ctrl", "claims": [{"id": "a\x01b"}]}',
    '{"case": "esc\\"q\\\\b\\n\\u2028", "applicant": {"kind": "university"}, "claims": [{"id": "申請", "measure": '
    '"compute-voucher", "date": "2025-06-01", "compute_spend": "12.345萬", "service_qualified": true}]}',
    '{"case": "proj", "applicant": {"kind": "university"}, "claims": [{"id": "c1", "measure": "compute-voucher", '
    '"date": "2025-06-01", "project": "p1", "compute_spend": "1萬", "service_qualified": true}]}',
    '{"applicant": {"kind": "university"}, "claims": [{"measure": "compute-voucher", "date": "2025-06-01", '
    '"compute_spend": "1萬", "service_qualified": true}]}',
    '{"case": "model", "applicant": {"kind": "enterprise", "annual_revenue": "2億"}, "claims": [{"id": "c1", '
    '"measure": "model-voucher", "date": "2025-06-01"}]}',
]


def mixed_input(path: Path, n: int = 400, seed: int = 7, crlf_every: int = 0) -> Path:
    """Good cases (compact and spaced JSON, eligible, ineligible, undetermined, capped, quota-bound)
    among the ODD_LINES, a BOM first, one in the middle, bytes that are not UTF-8, lines over the
    limit of `LIMITS` (and one exactly at it), and a last line without its newline."""
    rnd = random.Random(seed)
    lines: list[bytes] = []
    for i in range(n):
        r = rnd.random()
        if r < 0.5:
            case = voucher(f"v{i}", spend=f"{rnd.randrange(1, 10**9)}.{rnd.randrange(100):02d}",
                           kind=rnd.choice(["enterprise", "enterprise", "university"]),
                           revenue=rnd.choice([None, 10**8 - 1, 10**8, 10**9, "5億"]),
                           date=rnd.choice(["2025-06-01", "2025-04-20", "2028-01-01"]),
                           qualified=rnd.choice([True, True, False, None]))
            text = dumps(case, compact=rnd.random() < 0.5)
        elif r < 0.6:
            text = dumps(hit(f"h{i:04d}", f"{1000 + 37 * (i % 17)}萬"))
        else:
            text = rnd.choice(ODD_LINES)
        raw = text.encode("utf-8", "surrogatepass")
        if crlf_every and i % crlf_every == 0:
            raw += b"\r"
        lines.append(raw)
    lines += [t.encode("utf-8", "surrogatepass") for t in ODD_LINES]
    lines.insert(n // 2, b'\xef\xbb\xbf' + dumps(voucher("bom-in-the-middle")).encode())
    lines.insert(n // 3, b'{"case": "latin1", "claims": [], "note": "caf\xe9"}')
    lines.insert(n // 4, b'{"case": "long", "pad": "' + b"x" * 3000 + b'"}')
    wide = voucher("萬" * 700)  # fewer characters than the limit's bytes, more bytes
    lines.insert(n // 7, dumps(wide).encode())
    at_limit = b'{"case": "at-limit", "pad": "'
    lines.insert(n // 5, at_limit + b"y" * (LIMITS.max_line_bytes - len(at_limit) - 3) + b'"}')  # + "\n": the limit
    lines.insert(n // 6, at_limit + b"z" * (LIMITS.max_line_bytes - len(at_limit) - 2) + b'"}')  # one byte over
    data = b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n" + dumps(voucher("last-without-newline")).encode()
    path.write_bytes(data)
    return path


LIMITS = Limits(max_line_bytes=2000)
OPTIONS = batch.Options((), False, None, "jsonl", limits=LIMITS)
#: Tighter limits: numbers of more than 10 digits; nesting and values that the common case exceeds.
TIGHT = [Limits(max_line_bytes=2000, max_literal_digits=10), Limits(max_line_bytes=2000, max_depth=2),
         Limits(max_line_bytes=2000, max_nodes=10)]


def general_run(source: Path, out: Path, monkeypatch, policy=None, options=OPTIONS, jobs=1) -> batch.Summary:
    with monkeypatch.context() as m:
        m.setattr(F, "applies", lambda *a: False)
        m.setattr(records, "decision_line", lambda d: to_json(d.to_dict(), indent=None))  # the contract itself
        return batch.run(source, "jsonl", out, policy or ordinance.default_policy(), options, jobs)


def summary_of(s: batch.Summary) -> tuple:
    return (s.cases, s.errors, s.internal_errors, s.error_cases, dict(s.statuses), list(s.totals.items()), s.quotas,
            s.interrupted)


@pytest.fixture(scope="module")
def careful_counts():
    """How many lines the block path handed to the general path, by run."""
    return []


# -- the same bytes as the general path ----------------------------------------------------------

@pytest.mark.parametrize("jobs, block_bytes, block_lines", [(1, None, None), (2, None, None), (1, 300, 3),
                                                           (2, 1, 1), (1, 4096, 50)])
def test_block_path_writes_what_the_general_path_writes(tmp_path, monkeypatch, jobs, block_bytes, block_lines):
    source = mixed_input(tmp_path / "in.jsonl", crlf_every=5)
    want_out = tmp_path / "general.jsonl"
    want = general_run(source, want_out, monkeypatch)
    if block_bytes is not None:
        monkeypatch.setattr(F, "BLOCK_BYTES", block_bytes)
        monkeypatch.setattr(F, "BLOCK_LINES", block_lines)
    careful = []
    real = F._careful
    monkeypatch.setattr(F, "_careful", lambda *a: careful.append(a[0]) or real(*a))
    got_out = tmp_path / "blocks.jsonl"
    got = batch.run(source, "jsonl", got_out, ordinance.default_policy(), OPTIONS, jobs)
    assert got_out.read_bytes() == want_out.read_bytes()
    assert summary_of(got) == summary_of(want)
    assert want.quotas and want.errors and any(b"line-too-long" in line for line in want_out.read_bytes().splitlines())
    if jobs == 1:  # (a worker's calls are not seen here)
        assert 0 < len(set(careful)) < want.cases - 150  # the odd cases went the general way, not the common ones


@pytest.mark.parametrize("limits", TIGHT)
def test_block_path_keeps_to_tighter_limits(tmp_path, monkeypatch, limits):
    source = mixed_input(tmp_path / "in.jsonl")
    options = batch.Options((), False, None, "jsonl", limits=limits)
    want = general_run(source, tmp_path / "g.jsonl", monkeypatch, options=options)
    got = batch.run(source, "jsonl", tmp_path / "b.jsonl", ordinance.default_policy(), options, 1)
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    assert summary_of(got) == summary_of(want)
    codes = {"literal-too-long"} if limits.max_literal_digits == 10 else \
        {"too-deep"} if limits.max_depth == 2 else {"too-many-nodes"}
    assert all(code.encode() in (tmp_path / "b.jsonl").read_bytes() for code in codes)


#: A measure paying what the claim spends (any amount: the totals can be as long as wanted).
GRANT_RULE = """\
    article: 一
    measures:
      - id: grant
        title: grant
        facts: {claim.spend: {type: money}}
        amount: claim.spend
    """


def test_a_multi_policy_batch_takes_the_general_path_line_by_line(tmp_path, monkeypatch):
    a = write_policy(tmp_path / "a", {"r": GRANT_RULE}, id="a")
    b = write_policy(tmp_path / "b", {"r": GRANT_RULE}, id="b")
    policy = load_policy([a, b])
    lines = [{"case": f"g{i}", "claims": [{"id": "c1", "measure": ["grant", "b:grant"][i % 2], "date": "2025-06-01",
                                           "spend": f"{i}.5"}]} for i in range(40)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(dumps(c) + "\n" for c in lines), encoding="utf-8")
    options = batch.Options((str(a), str(b)), False, None, "jsonl")
    want = general_run(source, tmp_path / "g.jsonl", monkeypatch, policy, options)
    got = batch.run(source, "jsonl", tmp_path / "b.jsonl", policy, options, 2)
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    assert summary_of(got) == summary_of(want) and b'"policies"' in (tmp_path / "b.jsonl").read_bytes()


def test_a_multi_policy_batch_names_measures_as_the_policy_does(tmp_path):
    """Under two policies whose measure ids collide, a claim's measure is named in the CSV rows,
    the totals and the quotas as the policy names it (``b:grant``), however the case names it."""
    a = write_policy(tmp_path / "a", {"r": GRANT_RULE}, id="a")
    b = write_policy(tmp_path / "b", {"r": GRANT_RULE}, id="b")
    policy = load_policy([a, b])
    cases = [{"case": f"g{i}", "claims": [{"id": "c1", "measure": ["grant", "b:grant", "a:grant"][i % 3],
                                           "date": "2025-06-01", "spend": "1"}]} for i in range(6)]
    cases.append({"case": "both", "claims": [{"id": "c1", "measure": "b:grant", "date": "2025-06-01", "spend": "2"},
                                             {"id": "c2", "measure": "grant", "date": "2025-06-01", "spend": "3"}]})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(dumps(c) + "\n" for c in cases), encoding="utf-8")
    out = tmp_path / "out.csv"
    summary = batch.run(source, "jsonl", out, policy, batch.Options((str(a), str(b)), False, None, "csv"), 2)
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    assert [row.split(",")[2] for row in rows] == ["grant", "b:grant", "grant"] * 2 + ["b:grant", "grant"]
    assert dict(summary.totals) == {("grant", 2025): Decimal("7.00"), ("b:grant", 2025): Decimal("4.00")}


def test_totals_longer_than_the_default_context_are_exact_on_both_paths(tmp_path, monkeypatch):
    """The summary's totals are exact sums on both paths, however many digits they take (the
    default decimal context's 28 would round these), over blocks and across a resumed run."""
    policy_dir = write_policy(tmp_path / "p", {"r": GRANT_RULE})
    policy = load_policy(policy_dir)
    spends = ["99999999999999999999999999.99", "0.01", "12345678901234567890123456.78", "3.33", "-4"] * 30
    source = tmp_path / "in.jsonl"
    source.write_text("".join(dumps({"case": f"g{i}", "claims": [{"id": "c1", "measure": "grant", "date": "2025-06-01",
                                                                   "spend": s}]}) + "\n"
                              for i, s in enumerate(spends)), encoding="utf-8")
    options = batch.Options((str(policy_dir),), False, None, "jsonl")
    want = general_run(source, tmp_path / "g.jsonl", monkeypatch, policy, options)
    monkeypatch.setattr(F, "BLOCK_LINES", 7)
    got = batch.run(source, "jsonl", tmp_path / "b.jsonl", policy, options, 1)
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    assert list(got.totals.items()) == list(want.totals.items())
    with decimal.localcontext(batch.EXACT):
        exact = sum((Decimal(s) for s in spends if not s.startswith("-")), Decimal(0))  # (negative spends pay 0)
    assert got.totals[("grant", 2025)] == exact
    assert len(exact.as_tuple().digits) > 28  # (so the default context would have rounded it)
    out = tmp_path / "r.jsonl"  # and so does a run resumed from blocks written before
    monkeypatch.setenv(HOOK, "sigint:40:7")
    assert batch.run(source, "jsonl", out, policy, options, 1).interrupted == "SIGINT"
    monkeypatch.delenv(HOOK)
    resumed = batch.run(source, "jsonl", out, policy, options, 2, resume=True)
    assert out.read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    assert summary_of(resumed) == summary_of(want) and resumed.resumed >= 40


def test_the_block_path_is_chosen_for_jsonl_files_to_jsonl_only(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    jsonl = batch.Options((), False, None, "jsonl")
    assert F.applies(source, "jsonl", jsonl)
    assert not F.applies(source, "jsonl", batch.Options((), True, None, "jsonl"))
    assert not F.applies(source, "jsonl", batch.Options((), False, _dt.date(2025, 1, 1), "jsonl"))
    assert not F.applies(source, "jsonl", batch.Options((), False, None, "csv"))
    assert not F.applies(tmp_path / "in.csv", "csv", jsonl)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    assert not F.applies(fifo, "jsonl", jsonl)


# -- block boundaries --------------------------------------------------------------------------------

def _check_cover(path: Path, blocks: list[F.Block]) -> None:
    data = path.read_bytes()
    assert blocks[0].start == 0 and blocks[0].line == 1
    for a, b in zip(blocks, blocks[1:]):
        assert b.start == a.start + a.size and b.line == a.line + a.lines
    assert blocks[-1].start + blocks[-1].size == len(data)
    for block in blocks:
        piece = data[block.start:block.start + block.size]
        assert piece.count(b"\n") + (not piece.endswith(b"\n")) == block.lines
        assert piece.endswith(b"\n") or block.start + block.size == len(data)


def test_blocks_hold_whole_lines_and_cover_the_file(tmp_path):
    line = b'{"case": "a"}\n'  # 14 bytes
    path = tmp_path / "in.jsonl"
    path.write_bytes(line * 10)
    limits = Limits()
    exact = list(F.plan_blocks(path, limits, block_bytes=28))  # two lines end exactly at the block's end
    assert [(b.line, b.lines) for b in exact] == [(1, 2), (3, 2), (5, 2), (7, 2), (9, 2)]
    short = list(F.plan_blocks(path, limits, block_bytes=27))  # one byte short: one line a block
    assert [b.lines for b in short] == [1] * 10
    capped = list(F.plan_blocks(path, limits, block_bytes=1000, block_lines=3))
    assert [b.lines for b in capped] == [3, 3, 3, 1]
    for blocks in (exact, short, capped):
        _check_cover(path, blocks)
    path.write_bytes(line * 3 + b'{"case": "last"}')  # no final newline
    blocks = list(F.plan_blocks(path, limits, block_bytes=30))
    _check_cover(path, blocks)
    assert blocks[-1].line == 4 and not blocks[-1].long
    path.write_bytes(b'{"a": 1}\r\n' * 5 + b"\r\n")  # CRLF, and a blank CRLF line last
    blocks = list(F.plan_blocks(path, limits, block_bytes=25))
    _check_cover(path, blocks)
    assert sum(b.lines for b in blocks) == 6


def test_lines_longer_than_a_block_are_blocks_of_their_own(tmp_path):
    path = tmp_path / "in.jsonl"
    long_ok = b'{"pad": "' + b"a" * 5000 + b'"}\n'  # longer than a block, within the limit
    too_long = b'{"pad": "' + b"b" * 9000 + b'"}\n'  # over the limit: never read whole
    path.write_bytes(b"{}\n" + long_ok + b"{}\n" * 3 + too_long + b"{}\n" + too_long[:-1])
    limits = Limits(max_line_bytes=8000)
    blocks = list(F.plan_blocks(path, limits, block_bytes=100))
    _check_cover(path, blocks)
    assert [(b.line, b.lines, b.size, b.long) for b in blocks] == [
        (1, 1, 3, False), (2, 1, len(long_ok), False), (3, 3, 9, False), (6, 1, len(too_long), True),
        (7, 1, 3, False), (8, 1, len(too_long) - 1, True)]
    # and the same with a limit under the block's size: the long lines are read, and fail alone
    inside = list(F.plan_blocks(path, Limits(max_line_bytes=4000), block_bytes=1 << 20))
    _check_cover(path, inside)
    assert [(b.lines, b.long) for b in inside] == [(7, False), (1, True)]  # the last line alone: no newline


@pytest.mark.parametrize("block_bytes", [64, 1 << 20])
def test_a_line_over_the_limit_fails_alone_wherever_it_falls(tmp_path, monkeypatch, block_bytes):
    path = tmp_path / "in.jsonl"
    good = dumps(voucher("ok")).encode()
    path.write_bytes(b"\n".join([good, b'{"pad": "' + b"x" * 500 + b'"}', good, b'[' * 300, good]) + b"\n")
    options = batch.Options((), False, None, "jsonl", limits=Limits(max_line_bytes=400))
    want = general_run(path, tmp_path / "g.jsonl", monkeypatch, options=options)
    monkeypatch.setattr(F, "BLOCK_BYTES", block_bytes)
    got = batch.run(path, "jsonl", tmp_path / "b.jsonl", ordinance.default_policy(), options)
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "g.jsonl").read_bytes()
    assert summary_of(got) == summary_of(want) and got.errors == 2
    records = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records[1]["problems"][0]["code"] == "line-too-long" and "512 bytes" in records[1]["problems"][0]["message"]


# -- interrupted in the middle of blocks, and resumed ------------------------------------------------

def invoke(*args: str, hook: str | None = None):
    result = CliRunner().invoke(main, list(args), env={HOOK: hook, "ORDINANCE_DEBUG": None, "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def script(*args: str, hook: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (HOOK, "ORDINANCE_DEBUG")}
    if hook:
        env[HOOK] = hook
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fast-reference")
    source = mixed_input(tmp / "in.jsonl", n=150, seed=3)
    out = tmp / "full.jsonl"
    result = invoke("--max-line-bytes", "2000", "batch", str(source), "--out", str(out))
    assert result.exit_code == 1
    return source, out.read_bytes(), result.stderr.replace(str(out), "OUT").splitlines()


def _cases_in(out: Path) -> int:
    return out.read_bytes().count(b"\n")


def _entries(out: Path) -> list[dict]:
    lines = batch.checkpoint_path(out).read_bytes().splitlines()
    header = json.loads(lines[0])
    assert header["checkpoint"] == 4 and header["mode"] == "blocks"
    return [json.loads(line) for line in lines[1:]]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_stopped_mid_block_keeps_whole_blocks_and_resumes_to_the_same_bytes(reference, tmp_path, jobs):
    source, want, want_err = reference
    out = tmp_path / "out.jsonl"
    args = ("--max-line-bytes", "2000", "batch", str(source), "--out", str(out), "--jobs", jobs)
    result = invoke(*args, hook="sigint:40:7")  # blocks of 7 lines: it stops at the end of the block holding case 40
    assert result.exit_code == 130
    entries = _entries(out)
    assert [e["lines"] for e in entries] == [[1 + 7 * i, 7 + 7 * i] for i in range(len(entries))]
    cases = _cases_in(out)
    assert cases == entries[-1]["n"] >= 40 and cases - entries[-1]["cases"] < 40  # stopped after that block
    assert f"after {cases} cases" in result.stderr
    written = out.read_bytes().splitlines()
    assert all(w == x for w, x in zip(written, want.splitlines()) if b'"quota"' not in x)  # (quotas not ranked yet)
    assert all(json.loads(line) for line in written)  # complete records, the first ones of the whole run
    result = invoke(*args, "--resume", hook="sigterm:90:11")  # again, at other boundaries
    assert result.exit_code == 143 and _cases_in(out) >= 90
    result = invoke(*args, "--resume")
    assert result.exit_code == 1 and out.read_bytes() == want
    assert [line for line in result.stderr.replace(str(out), "OUT").splitlines()
            if not line.startswith("resumed after")] == want_err
    assert not batch.checkpoint_path(out).exists()


def test_killed_outright_mid_block_drops_the_half_written_block(reference, tmp_path):
    source, want, _ = reference
    out = tmp_path / "out.jsonl"
    args = ("--max-line-bytes", "2000", "batch", str(source), "--out", str(out))
    proc = script(*args, hook="sigkill:30:9")
    assert proc.returncode == -9
    data = out.read_bytes()
    entries = _entries(out)
    assert len(data) > entries[-1]["end"]  # and part of the next block
    assert invoke(*args, "--resume").exit_code == 1
    assert out.read_bytes() == want


def test_a_killed_worker_stops_the_block_path_and_resume_goes_on(reference, tmp_path):
    source, want, _ = reference
    out = tmp_path / "out.jsonl"
    args = ("--max-line-bytes", "2000", "batch", str(source), "--out", str(out), "--jobs", "2")
    proc = script(*args, hook="worker:60:8")
    assert proc.returncode == 75 and "a worker process died" in proc.stderr and "Traceback" not in proc.stderr
    assert _cases_in(out) <= 64  # whole blocks decided before the one holding line 61
    assert script(*args, "--resume").returncode == 1
    assert out.read_bytes() == want


def test_resume_checks_the_input_of_every_block_already_written(reference, tmp_path):
    source, _, _ = reference
    mine = tmp_path / "in.jsonl"
    data = source.read_bytes()
    mine.write_bytes(data)
    out = tmp_path / "out.jsonl"
    args = ("--max-line-bytes", "2000", "batch", str(mine), "--out", str(out))
    assert invoke(*args, hook="sigint:50:10").exit_code == 130
    at = data.index(b'"case":"v', 200)  # a byte inside the first blocks, the line count unchanged
    mine.write_bytes(data[:at] + data[at:].replace(b'"case":"v', b'"case":"w', 1))
    result = invoke(*args, "--resume")
    assert result.exit_code == 2 and "the input changed" in result.stderr


def test_stopped_after_the_last_line_of_a_file_without_a_final_newline(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(dumps(voucher(f"v{i}", spend=f"{i}萬")) for i in range(10)), encoding="utf-8")
    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(full)).exit_code == 0
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:10").exit_code == 130  # quotas not ranked
    assert _entries(out)[-1]["in"][1] == source.stat().st_size
    assert invoke("batch", str(source), "--out", str(out), "--resume").exit_code == 0
    assert out.read_bytes() == full.read_bytes()
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:10").exit_code == 130
    with source.open("a", encoding="utf-8") as f:  # the last line, decided, grows: not the input it was
        f.write(" ")
    result = invoke("batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "the input changed" in result.stderr


@pytest.mark.parametrize("version", [1, 2, 3])  # 2: a format for each mode; 3: before the money still open
def test_a_checkpoint_of_the_earlier_format_is_refused(reference, tmp_path, version):
    source, _, _ = reference
    out = tmp_path / "out.jsonl"
    assert invoke("--max-line-bytes", "2000", "batch", str(source), "--out", str(out), hook="sigint:5").exit_code == 130
    checkpoint = batch.checkpoint_path(out)
    lines = checkpoint.read_bytes().splitlines()
    header = json.loads(lines[0])
    header["checkpoint"] = version
    checkpoint.write_bytes(b"\n".join([json.dumps(header).encode()] + lines[1:]) + b"\n")
    result = invoke("--max-line-bytes", "2000", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "not a checkpoint this version can read" in result.stderr
    assert f"(format {version}, of an earlier version of ordinance; this one reads 4)" in result.stderr
