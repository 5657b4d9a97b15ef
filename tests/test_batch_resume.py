"""`ordinance batch` loses nothing: interrupted runs leave complete records and resume exactly.

Interruptions are made deterministic with the test hook ORDINANCE_TEST_INTERRUPT=mode:N (the
run stops after N cases as if SIGINT or SIGTERM arrived, as if killed outright halfway through
writing a record, or with the worker deciding case N+1 killed).  Each interrupted run is then
resumed and compared, byte for byte, with one uninterrupted run of the same input: every case
exactly once, quotas ranked over all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance import batch
from ordinance.batch import quotas
from ordinance.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(Path(sys.executable).parent / "ordinance")
HOOK = batch.TEST_HOOK


def voucher(case: str, spend: str) -> dict:
    return {"case": case, "applicant": {"id": case, "kind": "university"},
            "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": spend,
                        "service_qualified": True}]}


def hit(case: str, sales: str) -> dict:
    return {"case": case, "applicant": {"id": case, "kind": "enterprise"},
            "claims": [{"id": "c1", "measure": "hit-product", "date": "2025-12-01", "project": f"{case}-p",
                        "intelligent_product": True, "meets_assessment": True, "annual_sales": sales}]}


def make_input(tmp_path: Path, n: int = 60) -> Path:
    """``n`` cases: vouchers, 1 in 4 a hit product (a quota of 10 a year), 1 in 9 a broken line.
    Sales 1234.5萬 and the like: exact amounts with odd cents, and ties on the quota's key."""
    text = ""
    for i in range(n):
        if i % 9 == 4:
            text += '{"case": "broken", \n'
        elif i % 4 == 0:
            text += json.dumps(hit(f"h{i:03d}", f"{1000 + 37 * (i % 24)}.5萬"), ensure_ascii=False) + "\n"
        else:
            text += json.dumps(voucher(f"v{i:03d}", f"{i}.333萬"), ensure_ascii=False) + "\n"
    path = tmp_path / "in.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def script(*args: str, hook: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (HOOK, "ORDINANCE_DEBUG")}
    if hook:
        env[HOOK] = hook
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def invoke(*args: str, hook: str | None = None):
    result = CliRunner().invoke(main, list(args), env={HOOK: hook, "ORDINANCE_DEBUG": None, "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output + result.stderr
    return result


def summary(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("resumed after")]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run of the input, as JSON Lines and as CSV, in a process of its own."""
    tmp = tmp_path_factory.mktemp("reference")
    source = make_input(tmp)
    out = {}
    for fmt in ("jsonl", "csv"):
        path = tmp / f"full.{fmt}"
        proc = script("batch", str(source), "--out", str(path))
        assert proc.returncode == 1, proc.stderr  # the broken lines
        out[fmt] = (path.read_bytes(), proc.stderr.replace(str(path), "OUT"))
    assert b"quota-exceeded" in out["jsonl"][0]  # 13 hit products for 10 places: the ranking ran
    assert "quota hit-product 2025: 13 ranked, 10 awarded, 3 beyond the quota" in out["jsonl"][1]
    return source, out


def test_sigint_leaves_complete_records_and_resume_gives_the_same_bytes(reference, tmp_path):
    source, want = reference
    out = tmp_path / "out.jsonl"
    proc = script("batch", str(source), "--out", str(out), hook="sigint:23")
    assert proc.returncode == 130 and "Traceback" not in proc.stderr
    data = out.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 23  # complete lines only, one per case
    assert all(json.loads(line) for line in data.splitlines())
    assert batch.checkpoint_path(out).exists()
    assert "interrupted (SIGINT) after 23 cases" in proc.stderr
    assert f"to resume: ordinance batch {source} --out {out} --format jsonl --resume" in proc.stderr
    proc = script("batch", str(source), "--out", str(out), "--resume")
    assert proc.returncode == 1, proc.stderr
    assert out.read_bytes() == want["jsonl"][0]
    assert "resumed after 23 cases" in proc.stderr
    assert summary(proc.stderr.replace(str(out), "OUT")) == summary(want["jsonl"][1])  # of the whole batch
    assert not batch.checkpoint_path(out).exists()


def test_sigterm_then_resume_csv(reference, tmp_path):
    source, want = reference
    out = tmp_path / "out.csv"
    result = invoke("batch", str(source), "--out", str(out), hook="sigterm:7")
    assert result.exit_code == 143 and "terminated (SIGTERM) after 7 cases" in result.stderr
    assert out.read_bytes().endswith(b"\n")
    result = invoke("batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 1
    assert out.read_bytes() == want["csv"][0]
    assert summary(result.stderr.replace(str(out), "OUT")) == summary(want["csv"][1])


def test_a_record_half_written_by_a_hard_kill_is_dropped(reference, tmp_path):
    source, want = reference
    out = tmp_path / "out.jsonl"
    proc = script("batch", str(source), "--out", str(out), hook="sigkill:31")
    assert proc.returncode == -9
    data = out.read_bytes()
    assert not data.endswith(b"\n") and data.count(b"\n") == 31  # 31 records and half of the next
    result = invoke("batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 1
    assert out.read_bytes() == want["jsonl"][0]


def test_a_killed_worker_stops_the_run_and_resume_goes_on(reference, tmp_path):
    source, want = reference
    out = tmp_path / "out.csv"
    proc = script("batch", str(source), "--out", str(out), "--jobs", "2", hook="worker:40")
    assert proc.returncode == 75 and "a worker process died" in proc.stderr and "Traceback" not in proc.stderr
    assert "--jobs 2 --resume" in proc.stderr
    written = out.read_text(encoding="utf-8").splitlines()
    assert 1 <= len(written) <= 41  # the header and whole chunks of cases decided before case 41
    proc = script("batch", str(source), "--out", str(out), "--jobs", "2", "--resume")
    assert proc.returncode == 1, proc.stderr
    assert out.read_bytes() == want["csv"][0]


def test_interrupted_twice_and_resumed_twice(reference, tmp_path):
    source, want = reference
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:10").exit_code == 130
    result = invoke("batch", str(source), "--out", str(out), "--resume", hook="sigint:41")
    assert result.exit_code == 130 and "after 41 cases" in result.stderr
    assert out.read_bytes().count(b"\n") == 41
    assert invoke("batch", str(source), "--out", str(out), "--resume").exit_code == 1
    assert out.read_bytes() == want["jsonl"][0]


def test_interrupted_at_the_very_start_and_at_the_very_end(reference, tmp_path):
    source, want = reference
    for n in (0, 60):  # nothing written yet; everything written but the quotas not ranked
        out = tmp_path / f"out{n}.jsonl"
        assert invoke("batch", str(source), "--out", str(out), hook=f"sigint:{n}").exit_code == (130 if n else 1)
        if n == 0:  # the hook counts cases written: at 0 it never fires, the run completes
            assert out.read_bytes() == want["jsonl"][0]
            continue
        assert invoke("batch", str(source), "--out", str(out), "--resume").exit_code == 1
        assert out.read_bytes() == want["jsonl"][0]


def test_every_case_exactly_once(reference):
    source, want = reference
    records = [json.loads(line) for line in want["jsonl"][0].splitlines()]
    assert len(records) == len(source.read_text(encoding="utf-8").splitlines()) == 60
    errors = [r for r in records if r.get("status") == "error"]
    assert [r["case"] for r in errors] == [f"line {i + 1}" for i in range(60) if i % 9 == 4]
    decided = [r["case"] for r in records if "status" not in r]
    assert len(decided) == len(set(decided)) == 60 - len(errors)


def test_resume_without_a_checkpoint(tmp_path, reference):
    source, want = reference
    out = tmp_path / "out.jsonl"
    result = invoke("batch", str(source), "--out", str(out), "--resume")  # nothing there yet: a fresh run
    assert result.exit_code == 1 and out.read_bytes() == want["jsonl"][0]
    result = invoke("batch", str(source), "--out", str(out), "--resume")  # finished: nothing to resume
    assert result.exit_code == 2 and "cannot resume" in result.stderr and "nothing to resume" in result.stderr
    assert out.read_bytes() == want["jsonl"][0]


@pytest.mark.parametrize("change", [["--trace"], ["--as-of", "2025-12-31"], ["--format", "csv"]])
def test_resume_with_other_options_is_refused(tmp_path, reference, change):
    source, _ = reference
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:5").exit_code == 130
    before = out.read_bytes()
    result = invoke("batch", str(source), "--out", str(out), *change, "--resume")
    assert result.exit_code == 2 and "was started with other options" in result.stderr
    assert out.read_bytes() == before  # untouched


def test_resume_with_other_limits_is_refused(tmp_path, reference):
    source, _ = reference
    out = tmp_path / "out.jsonl"
    result = invoke("--max-line-bytes", "64k", "batch", str(source), "--out", str(out), hook="sigint:5")
    assert result.exit_code == 130 and "ordinance --max-line-bytes 65536 batch" in result.stderr
    result = invoke("batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "--max-... limits" in result.stderr
    assert invoke("--max-line-bytes", "64k", "batch", str(source), "--out", str(out), "--resume").exit_code == 1


def test_resume_after_the_input_changed_is_refused(tmp_path, reference):
    source, _ = reference
    mine = tmp_path / "in.jsonl"
    mine.write_bytes(source.read_bytes())
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(mine), "--out", str(out), hook="sigint:12").exit_code == 130
    mine.write_bytes(b"\n" + source.read_bytes())  # every case a line further down
    result = invoke("batch", str(mine), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "the input changed" in result.stderr


def test_a_damaged_output_is_not_resumed(tmp_path, reference):
    source, _ = reference
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:12").exit_code == 130
    data = out.read_bytes()
    out.write_bytes(data.replace(b"\n", b" ", 1))  # two records run together: no longer one per line
    result = invoke("batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "does not match its checkpoint" in result.stderr


def test_killed_between_ranking_and_removing_the_checkpoint(reference, tmp_path, monkeypatch):
    """The last steps: the ranked output replaces the output, then the checkpoint goes.  A run
    stopped between them is finished (resume only tidies up); one stopped before the replacement
    is ranked again from the checkpoint."""
    source, want = reference
    policy = ordinance.default_policy()
    options = batch.Options((), False, None, "jsonl")
    out = tmp_path / "out.jsonl"

    class Killed(BaseException):
        pass

    def die(*args, **kwargs):
        raise Killed

    real_unlink = Path.unlink
    with monkeypatch.context() as m:  # dies after the replacement
        m.setattr(Path, "unlink", lambda self, *a, **k: die() if self.suffix == ".checkpoint" else real_unlink(self))
        with pytest.raises(Killed):
            batch.run(source, "jsonl", out, policy, options)
    assert out.read_bytes() == want["jsonl"][0] and batch.checkpoint_path(out).exists()
    result = batch.run(source, "jsonl", out, policy, options, resume=True)
    assert out.read_bytes() == want["jsonl"][0] and not batch.checkpoint_path(out).exists()
    assert result.cases == 60 and result.quotas == [("hit-product", 2025, 13, 10, 3, 0)]

    with monkeypatch.context() as m:  # dies just before the replacement
        m.setattr(quotas.os, "replace", die)
        with pytest.raises(Killed):
            batch.run(source, "jsonl", out, policy, options)
    assert out.read_bytes() != want["jsonl"][0]  # not ranked yet
    batch.run(source, "jsonl", out, policy, options, resume=True)
    assert out.read_bytes() == want["jsonl"][0] and not batch.checkpoint_path(out).exists()


def test_a_folder_batch_resumes_by_file_name(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for i in range(20):
        (folder / f"{i:02d}.json").write_text(json.dumps(voucher(f"f{i:02d}", f"{i + 1}萬")), encoding="utf-8")
    (folder / "07.json").write_bytes(b"\xff not a case")
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    assert invoke("batch", str(folder), "--out", str(full)).exit_code == 1
    assert invoke("batch", str(folder), "--out", str(part), hook="sigint:9").exit_code == 130
    assert invoke("batch", str(folder), "--out", str(part), "--resume").exit_code == 1
    assert part.read_bytes() == full.read_bytes()


def test_the_output_must_be_a_file(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = invoke("batch", str(ROOT / "examples" / "batch" / "cases.jsonl"), "--out", str(fifo))
    assert result.exit_code == 2 and "give a file" in result.stderr


def test_an_output_through_a_symbolic_link_keeps_the_link(tmp_path):
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text("", encoding="utf-8")
    link.symlink_to(real)
    source = ROOT / "examples" / "batch" / "hit-products.jsonl"  # quotas: the output is rewritten
    assert invoke("batch", str(source), "--out", str(link)).exit_code == 0
    assert link.is_symlink() and b"quota-exceeded" in real.read_bytes()


def _processes_reading(path: Path) -> list[int]:
    """The live processes whose command line names ``path`` (a batch run and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(path).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the processes left in /proc")
def test_workers_end_when_the_batch_process_is_killed(tmp_path):
    """SIGKILL of the batch process (here by the test hook, at its 3,000th case, with --jobs 2)
    ends its workers too: they would otherwise wait on their task queue forever."""
    import time

    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(voucher(f"v{i}", f"{i}.5萬"), ensure_ascii=False) + "\n"
                              for i in range(20_000)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ORDINANCE_DEBUG"}
    env[HOOK] = "sigkill:3000"
    with open(tmp_path / "stderr", "wb") as stderr:  # (not a pipe: a worker left behind would hold it open)
        proc = subprocess.run([SCRIPT, "batch", str(source), "--out", str(tmp_path / "out.jsonl"), "--jobs", "2"],
                              stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == -9, (tmp_path / "stderr").read_text()
    deadline = time.monotonic() + 30
    while _processes_reading(source) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _processes_reading(source)
    for pid in left:  # (so that a failure leaves nothing running)
        os.kill(pid, 9)
    assert left == []


def test_cases_and_blocks_write_one_checkpoint_format(reference, tmp_path):
    """Case by case (CSV out) and block by block (JSON Lines out), the checkpoint's lines are of
    one format: the same header keys, and entries with the same numbers, only the input named
    its own way (a case by ``at``, a block by its bytes, checksum and lines); and an entry's
    numbers are those of its records in the output."""
    source, _ = reference
    checkpoints = {}
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        assert invoke("batch", str(source), "--out", str(out), hook="sigint:20:6").exit_code == 130
        lines = [json.loads(line) for line in batch.checkpoint_path(out).read_bytes().splitlines()]
        checkpoints[fmt] = (out, lines[0], lines[1:])
    (csv_out, csv_head, csv_entries), (jsonl_out, jsonl_head, jsonl_entries) = checkpoints["csv"], checkpoints["jsonl"]
    assert csv_head["checkpoint"] == jsonl_head["checkpoint"] == 4 and list(csv_head) == list(jsonl_head)
    assert (csv_head["mode"], jsonl_head["mode"]) == ("cases", "blocks")
    numbers = ["n", "pos", "cases", "rows", "errors", "internal", "error_cases", "statuses", "totals", "contenders", "open", "waiting",
               "end"]
    assert all(sorted(e) == sorted(numbers + ["at"]) for e in csv_entries) and len(csv_entries) == 20
    assert all(sorted(e) == sorted(numbers + ["in", "crc", "lines"]) for e in jsonl_entries)
    assert [e["lines"][1] - e["lines"][0] + 1 for e in jsonl_entries] == [6] * len(jsonl_entries)  # blocks of 6 lines
    assert sum(e["cases"] for e in jsonl_entries) == jsonl_entries[-1]["n"] == jsonl_out.read_bytes().count(b"\n")
    assert sum(e["rows"] for e in csv_entries) == csv_out.read_bytes().count(b"\n") - 1  # (the header row)
    csv_errors = sum(e["errors"] for e in csv_entries)
    jsonl_errors = sum(e["errors"] for e in jsonl_entries if e["lines"][1] <= 20)
    assert csv_errors == jsonl_errors == 2  # the broken lines 5 and 14, counted the same way


# -- the language of a run, and of its resumption ---------------------------------------------------------

@pytest.fixture(scope="module")
def reference_zh(reference, tmp_path_factory):
    """The uninterrupted run of the same input in Chinese: its error records say their problems in
    Chinese, so its bytes are not the English run's."""
    source, want = reference
    path = tmp_path_factory.mktemp("reference-zh") / "full.jsonl"
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(path))
    assert result.exit_code == 1
    data = path.read_bytes()
    assert data != want["jsonl"][0] and "此處應有".encode() in data
    return data, result.stderr.replace(str(path), "OUT")


def _header(out: Path) -> dict:
    return json.loads(batch.checkpoint_path(out).read_text(encoding="utf-8").splitlines()[0])


def test_an_interruption_and_its_resumption_are_told_in_chinese(reference, reference_zh, tmp_path):
    source, _ = reference
    out = tmp_path / "out.jsonl"
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), hook="sigint:23")
    assert result.exit_code == 130
    assert (f"已中斷（SIGINT），已處理 23 個案件：{out} 保存其完整記錄（名額尚未排名），out.jsonl.checkpoint "
            f"保存繼續所需的其餘資料。\n續跑：ordinance --lang zh batch {source} --out {out} --format jsonl --resume"
            in result.stderr), result.stderr
    assert "interrupted" not in result.stderr and "to resume" not in result.stderr
    assert _header(out)["lang"] == "zh"  # the checkpoint records the language of the records
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 1
    assert out.read_bytes() == reference_zh[0]
    assert result.stderr.startswith("已續跑：中斷前已裁定 23 個案件\n已裁定 60 個案件中的 53 個 -> ")
    assert result.stderr.split("\n", 1)[1].replace(str(out), "OUT") == reference_zh[1]  # the whole batch's
    assert "注意" not in result.stderr and "resumed" not in result.stderr  # the same language: nothing to say


def test_a_run_resumed_in_another_language_goes_on_in_the_one_it_began_in(reference, reference_zh, tmp_path):
    """The records of one output are in one language: a run begun in Chinese and resumed in
    English goes on writing Chinese records (the bytes of one Chinese run), and says so, in
    English, as its summary is; and the other way round."""
    source, want = reference
    out = tmp_path / "out.jsonl"
    assert invoke("--lang", "zh", "batch", str(source), "--out", str(out), hook="sigint:23").exit_code == 130
    result = invoke("batch", str(source), "--out", str(out), "--resume")  # (the suite's language: English)
    assert result.exit_code == 1
    assert out.read_bytes() == reference_zh[0]
    assert ("resumed after 23 cases decided before the interruption\nnote: the run being resumed began in Chinese: "
            "the records of the cases it goes on to decide are in Chinese too, so that the output is in one "
            "language\ndecided 53 of 60 cases") in result.stderr, result.stderr

    out = tmp_path / "out2.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:23").exit_code == 130
    assert _header(out)["lang"] == "en"
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 1
    assert out.read_bytes() == want["jsonl"][0]
    assert ("已續跑：中斷前已裁定 23 個案件\n注意：所續跑的批次以英文開始：其後裁定的案件記錄也用英文，使輸出保持同一語言\n"
            "已裁定 60 個案件中的 53 個") in result.stderr, result.stderr


def test_a_checkpoint_that_does_not_say_its_language_goes_on_in_the_one_asked_for(reference, tmp_path):
    """A checkpoint written before the language was recorded: the run goes on as it always did."""
    source, _ = reference
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:23").exit_code == 130
    checkpoint = batch.checkpoint_path(out)
    head, rest = checkpoint.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    del header["lang"]
    checkpoint.write_bytes(json.dumps(header, separators=(",", ":")).encode() + b"\n" + rest)
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 1 and "注意" not in result.stderr
    errors = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if '"status":"error"' in line]
    assert "Expecting" in errors[0]["problems"][0]["message"]  # line 5: written by the English run
    assert "此處應有" in errors[-1]["problems"][0]["message"]  # line 59: by the Chinese one


def test_why_a_resume_is_refused_is_told_in_chinese(reference, tmp_path):
    source, _ = reference
    out = tmp_path / "out.jsonl"
    assert invoke("batch", str(source), "--out", str(out), hook="sigint:5").exit_code == 130
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), "--trace", "--resume")
    assert result.exit_code == 2
    assert (f"無法續跑：{out} 開始時用的是其他選項：輸入的讀取方式（JSON Lines 文件分塊，或逐個案件）、--trace 不同；"
            "請以相同選項續跑，或不加 --resume 重新執行") in result.stderr
    assert "cannot resume" not in result.stderr
    result = invoke("--lang", "zh", "--max-line-bytes", "64k", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and "--max-... 上限 不同" in result.stderr
    checkpoint = batch.checkpoint_path(out)
    checkpoint.unlink()
    result = invoke("--lang", "zh", "batch", str(source), "--out", str(out), "--resume")
    assert result.exit_code == 2 and f"無法續跑：{out} 沒有檢查點（out.jsonl.checkpoint）" in result.stderr
