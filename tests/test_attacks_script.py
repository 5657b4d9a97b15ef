"""benchmarks/attacks.py (``make attacks``: issue 15's attacks against the current code), kept from
rotting: three cheap attacks run through its command line, its checks held to input they must
catch, and a verdict that is not "held" reported as such.  No timing is asserted: the machine
running the tests may be busy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import attacks as A

CHEAP = ["max-file-bytes-overflow", "busy-port", "csv-formulas"]


def test_three_cheap_attacks_run_and_hold(tmp_path):
    out = tmp_path / "attacks.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.attacks", "--only", ",".join(CHEAP), "--json", str(out),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [r["name"] for r in rows] == CHEAP  # in the table's order
    assert all(r["verdict"] == "held" and r["before"] and r["criterion"] for r in rows), rows
    figures = {r["name"]: r["figures"] for r in rows}
    assert figures["max-file-bytes-overflow"]["exit"] == 2
    assert figures["busy-port"]["exit"] == 2 and figures["busy-port"]["serving_printed"] is False
    assert figures["csv-formulas"]["exit"] == 1 and figures["csv-formulas"]["live"] == []
    assert figures["csv-formulas"]["rows"] == 4 and figures["csv-formulas"]["nul_refused"] is True
    for r in rows:  # what was measured, not made up: a process ran and was timed
        assert r["figures"]["wall"] > 0 and r["figures"]["max_rss_kb"] > 0
    assert "| attack | before (issue 15) | after (measured) | verdict |" in proc.stdout
    assert all(f"`{name}`" in proc.stdout for name in CHEAP)


def test_the_checks_catch_what_they_look_for():
    text = 'case,id,amount\n"=HYPERLINK(""x"")",\'@SUM(A1),-12.50\n+cmd,"\tx",-1e3\n\'+cmd,c1,+7\n'
    assert A.live_formula_cells(text) == ['=HYPERLINK("x")', "+cmd", "\tx", "-1e3"]
    assert A.live_formula_cells("case,id\n'=1+1,-12.50\n") == []
    assert A.raw_controls("evil\x1b]0;pwned\x07 \x9b31m c\u202e\nok") == 4
    assert A.raw_controls("evil\\x1b]0;pwned\\x07 \\u202e\n") == 0
    assert A.crashed("ordinance: internal error: this is a bug") and A.crashed("Traceback (most recent call last):")
    assert not A.crashed("x.yaml:1:1: wrong-type: ...")


def test_a_command_past_its_timeout_is_killed_with_its_group(tmp_path):
    """The timeout is long enough for a busy machine to start the shell and its background sleep."""
    r = A.run(["sh", "-c", "sleep 600 & echo $! > background.pid; sleep 30"], cwd=tmp_path, timeout=5,
              shell_pipeline=True, watch_tree=True)
    assert r.timed_out and r.exit is None and not r.clean
    assert r.tree_processes and r.tree_processes >= 3  # the shell and its two sleeps were seen
    background = int((tmp_path / "background.pid").read_text())
    deadline = time.monotonic() + 10
    while (A._session(r.pid) or Path(f"/proc/{background}").exists()) and time.monotonic() < deadline:
        time.sleep(0.05)  # none of them is left (a killed orphan is reaped by init)
    assert A._session(r.pid) == [] and not Path(f"/proc/{background}").exists()


def test_an_attack_not_held_or_failing_is_reported_not_held(tmp_path, monkeypatch, capsys):
    def fails(ctx):
        return A.Outcome("exit 3, with a traceback", False, {"exit": 3})

    def breaks(ctx):
        raise RuntimeError("the server is gone")

    monkeypatch.setattr(A, "ATTACKS", [A.Attack("fails", "crash", "x", "exit 3", "exit 0", fails),
                                       A.Attack("breaks", "crash", "y", "HTTP 500", "200", breaks)])
    out = tmp_path / "a.json"
    assert A.main(["--json", str(out), "--quiet"]) == 1
    rows = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    assert rows["fails"]["verdict"] == "NOT HELD" and rows["fails"]["figures"] == {"exit": 3}
    assert rows["breaks"]["verdict"] == "NOT HELD"
    assert rows["breaks"]["after"] == "could not be measured: RuntimeError: the server is gone"
    assert "**NOT HELD**" in capsys.readouterr().out


def test_an_unknown_attack_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        A.main(["--only", "busy-port,no-such-attack"])
    assert exit_info.value.code == 2
