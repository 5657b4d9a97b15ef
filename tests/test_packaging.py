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
                   "ordinance/web/static/index.html", "ordinance/web/static/app.js", "ordinance/py.typed",
                   "ordinance/web/static/rule-editor.js", "ordinance/web/static/vendor/codemirror.js",
                   "ordinance/web/static/vendor/LICENSES-codemirror.txt"]:
        assert needed in names, needed
    rules = [n for n in names if n.startswith("ordinance/policies/xiamen-ai-2025/rules/")]
    assert len(rules) == len(list((ROOT / "policy" / "xiamen-ai-2025" / "rules").glob("*.yaml")))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed into a folder of its own (its dependencies are this environment's)."""
    target = tmp_path_factory.mktemp("site") / "site-packages"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           wheel.filename], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def _decide(cwd: Path, *args: str, pythonpath: Path | None = None) -> tuple[bytes, str]:
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    script = ("import sys, ordinance, ordinance.cli.main as m; sys.stderr.write(ordinance.__file__); "
              "sys.argv = ['ordinance', *sys.argv[1:]]; m.main()")
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr.decode()


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_a_decision_is_the_same_bytes_from_any_directory_and_any_install(installed, tmp_path, fmt):
    """Every `location` names the policy and its file (xiamen-ai-2025/rules/...:line:col), never the
    directory the program ran from nor where it is installed (issue 15)."""
    case = str(ROOT / "examples" / "compute-voucher.yaml")
    runs = {
        "checkout, bundled policy": _decide(ROOT, "eval", "examples/compute-voucher.yaml", "--format", fmt),
        "checkout, policy named relatively": _decide(ROOT, "eval", "examples/compute-voucher.yaml", "--format", fmt,
                                                     "--policy", "policy/xiamen-ai-2025"),
        "elsewhere, policy named absolutely": _decide(tmp_path, "eval", case, "--format", fmt,
                                                      "--policy", str(ROOT / "policy" / "xiamen-ai-2025")),
        "installed wheel": _decide(tmp_path, "eval", case, "--format", fmt, pythonpath=installed),
    }
    assert runs["installed wheel"][1].startswith(str(installed))       # the wheel's copy decided
    assert runs["checkout, bundled policy"][1].startswith(str(ROOT))
    outputs = {name: out for name, (out, _) in runs.items()}
    reference = outputs["checkout, bundled policy"]
    assert b"xiamen-ai-2025/rules/08-compute-voucher.yaml:" in reference
    for name, out in outputs.items():
        assert out == reference, name
        for leak in (str(ROOT), str(installed), str(tmp_path), "site-packages", "policy/xiamen"):
            assert leak.encode() not in out, (name, leak)
