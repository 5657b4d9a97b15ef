"""Schema validation remembers passes only: the cache changes how fast a policy loads, never what it loads to."""

from __future__ import annotations

import yaml

from ordinance.front import validate as V
from ordinance.front.load import load_text

GOOD = "article: 一\nmeasures:\n  - {id: m, title: m}\n"
BAD = "article: 一\nmeasures:\n  - {id: m, title: m, basis: maximal}\n"


def test_passes_are_remembered_and_problems_never(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ORDINANCE_CACHE", raising=False)
    assert V.validate(load_text(GOOD, "good.yaml"), "rules") == []
    marks = list((tmp_path / "ordinance" / "validated").iterdir())
    assert len(marks) == 1
    for _ in range(2):  # a bad file is validated every time, and nothing is remembered for it
        assert [p.code for p in V.validate(load_text(BAD, "bad.yaml"), "rules")] == ["not-allowed"]
    assert len(list((tmp_path / "ordinance" / "validated").iterdir())) == 1


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("ORDINANCE_CACHE", "off")
    assert V.validate(load_text(GOOD, "good.yaml"), "rules") == []
    assert not (tmp_path / "ordinance").exists()


def test_libyaml_and_python_composers_give_the_same_positions():
    from pathlib import Path

    from ordinance.front import load as L

    root = Path(__file__).resolve().parent.parent / "policy" / "xiamen-ai-2025"
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        fast = load_text(text, path.name)
        saved = L._FAST_LOADER
        try:
            L._FAST_LOADER = None
            slow = load_text(text, path.name)
        finally:
            L._FAST_LOADER = saved
        assert (fast.data, fast.positions, fast.key_positions) == (slow.data, slow.positions, slow.key_positions)
    assert yaml.__with_libyaml__  # the wheel ships libyaml: the fast path is really taken here
