"""Replay the inputs kept in fuzz/regressions/ through the fuzz targets (fuzz/targets.py).

Each input once crashed the engine (an exception that was not its own error) or is a seed worth
keeping; fuzz/regressions/expected.yaml gives the codes each must now be answered with.  The
targets need no atheris: this runs with the ordinary test dependencies.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REGRESSIONS = ROOT / "fuzz" / "regressions"
EXPECTED = yaml.safe_load((REGRESSIONS / "expected.yaml").read_text(encoding="utf-8"))
sys.path.insert(0, str(ROOT / "fuzz"))
import targets  # noqa: E402

INPUTS = sorted(p.name for p in REGRESSIONS.iterdir() if p.name != "expected.yaml")


def test_every_input_has_its_expected_codes():
    assert INPUTS and sorted(EXPECTED) == INPUTS
    assert all(name.split("-", 1)[0] in ("loader", "case") for name in INPUTS)


@pytest.mark.parametrize("name", INPUTS)
def test_regression(name):
    target = targets.loader if name.startswith("loader-") else targets.case
    assert target((REGRESSIONS / name).read_bytes()) == EXPECTED[name]


def test_the_targets_accept_what_is_valid():
    rule = (ROOT / "policy" / "xiamen-ai-2025" / "rules" / "08-compute-voucher.yaml").read_bytes()
    case = (ROOT / "examples" / "compute-voucher.yaml").read_bytes()
    line = (ROOT / "examples" / "batch" / "cases.jsonl").read_bytes().splitlines()[0]
    assert targets.loader(b"\x00" + rule) == []
    assert targets.loader(b"\x08" + "min(claim.spend * 30%, 1000萬)".encode()) == []
    assert targets.case(b"\x00" + case) == []
    assert targets.case(b"\x08" + line) == []
    assert targets.case(b"\x0c" + (ROOT / "examples" / "batch" / "claims.csv").read_bytes()) == ["wrong-type"]


def test_a_crash_escapes_the_target(monkeypatch):
    """What makes a target useful: an exception that is not the engine's own gets out."""
    from ordinance.front import load

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(load, "_compose", broken)
    with pytest.raises(ValueError, match="a bug"):
        targets.loader(b"\x0a" + b"a: 1")
