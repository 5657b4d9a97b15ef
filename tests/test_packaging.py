"""What a wheel holds: an install from it, not from this checkout, must find the bundled policy,
the grammar, the schemas and the web page (``ordinance/policies`` links to ``policy/``)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("ordinance-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_the_bundled_policy_and_the_page(wheel):
    names = set(wheel.namelist())
    for needed in ["ordinance/policies/xiamen-ai-2025/policy.yaml", "ordinance/policies/xiamen-ai-2025/source.txt",
                   "ordinance/policies/xiamen-ai-2025/rules/08-compute-voucher.yaml",
                   "ordinance/grammar/expression.lark", "ordinance/schema/rules.schema.json",
                   "ordinance/web/static/index.html", "ordinance/web/static/app.js", "ordinance/py.typed"]:
        assert needed in names, needed
    rules = [n for n in names if n.startswith("ordinance/policies/xiamen-ai-2025/rules/")]
    assert len(rules) == len(list((ROOT / "policy" / "xiamen-ai-2025" / "rules").glob("*.yaml")))
