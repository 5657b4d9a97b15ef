"""Start-up: what a fresh process pays before its first decision.

- ``ordinance eval examples/compute-voucher.yaml``: the console script end to end (interpreter
  start, imports, policy load, the decision, the explained tree written to /dev/null), wall
  time from the parent;
- ``load_policy`` of the bundled policy cold (the first load in a fresh process, after
  ``import ordinance``) and warm (a second load in the same process), measured inside the
  process with ``perf_counter``; the import is reported beside it;
- ``python -c pass``: the interpreter's own start-up, the floor under any command.

Each is run once to warm the file system cache, then ``repeats`` times; the median counts.

The package's modules are byte-compiled first (:func:`byte_compile`), as ``pip install`` does
for an installed package: an editable install under ``PYTHONDONTWRITEBYTECODE=1`` (this machine
sets it) would otherwise compile every module from source in every process, about 90 ms that no
installed copy pays.  The first row says whether it was done.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .harness import fmt_ms, table
from .targets import Target

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/compute-voucher.yaml"

LOAD_SCRIPT = r"""
import json, time
t0 = time.perf_counter()
import ordinance
from ordinance.policy import bundled_policy_dir
t1 = time.perf_counter()
folder = bundled_policy_dir()
t2 = time.perf_counter()
ordinance.load_policy(folder)
t3 = time.perf_counter()
ordinance.load_policy(folder)
t4 = time.perf_counter()
print(json.dumps({"import": (t1 - t0) * 1e3, "cold": (t3 - t2) * 1e3, "warm": (t4 - t3) * 1e3}))
"""


def ordinance_command() -> list[str] | None:
    """The console script beside this interpreter, else one on PATH."""
    here = Path(sys.executable).parent / "ordinance"
    if here.is_file():
        return [str(here)]
    found = shutil.which("ordinance")
    return [found] if found else None


@dataclass
class Result:
    rows: list[tuple[str, float | None, list[float], str]] = field(default_factory=list)  # label, ms, runs, note

    def ms(self, label: str) -> float | None:
        return next((r[1] for r in self.rows if r[0] == label), None)


def _wall(cmd: list[str], repeats: int) -> tuple[list[float], str]:
    """Wall times (ms) of ``cmd`` after one warm-up run, and the error if it failed."""
    runs = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, check=False, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=_env())
        ms = (time.perf_counter() - t0) * 1e3
        if done.returncode != 0:
            return runs, f"exit {done.returncode}: {done.stderr.decode(errors='replace').strip()[-200:]}"
        if i:
            runs.append(ms)
    return runs, ""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env.pop("ORDINANCE_DEBUG", None)
    return env


def byte_compile() -> str:
    """Write the bytecode of the ``ordinance`` package (into its ``__pycache__`` folders, which
    Python reads even when it may not write them); what was done, in words."""
    import compileall

    import ordinance

    package = Path(ordinance.__file__).resolve().parent
    try:
        ok = compileall.compile_dir(str(package), quiet=1)
    except OSError as exc:  # a read-only install: it has its bytecode from pip, or compiles each time
        return f"not byte-compiled ({exc.__class__.__name__})"
    return "package byte-compiled first, as pip install does" if ok else "byte-compiling failed for some modules"


def run(*, repeats: int) -> Result:
    result = Result()
    python = [sys.executable]
    result.rows.append(("ordinance bytecode", None, [], byte_compile()))
    runs, err = _wall(python + ["-c", "pass"], repeats)
    result.rows.append(("python -c pass (interpreter start, the floor)", statistics.median(runs) if runs else None,
                        runs, err))
    cmd = ordinance_command()
    if cmd is None:
        result.rows.append((f"ordinance eval {EXAMPLE}", None, [], "no `ordinance` console script found"))
    else:
        runs, err = _wall(cmd + ["eval", EXAMPLE], repeats)
        result.rows.append((f"ordinance eval {EXAMPLE}", statistics.median(runs) if runs else None, runs,
                            err or "whole process, wall time"))
    loads: dict[str, list[float]] = {"import": [], "cold": [], "warm": []}
    walls = []
    err = ""
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        done = subprocess.run(python + ["-c", LOAD_SCRIPT], check=False, cwd=ROOT, stdin=subprocess.DEVNULL,
                              capture_output=True, env=_env())
        wall = (time.perf_counter() - t0) * 1e3
        if done.returncode != 0:
            err = f"exit {done.returncode}: {done.stderr.decode(errors='replace').strip()[-200:]}"
            break
        if i:
            figures = json.loads(done.stdout.decode().strip().splitlines()[-1])
            for k, values in loads.items():
                values.append(figures[k])
            walls.append(wall)
    med = {k: (statistics.median(v) if v else None) for k, v in loads.items()}
    result.rows.append(("import ordinance (fresh process)", med["import"], loads["import"], err))
    result.rows.append(("load_policy cold (first load in a fresh process)", med["cold"], loads["cold"],
                        err or "19 measures: load, validate, parse, check, compile"))
    result.rows.append(("load_policy warm (second load, same process)", med["warm"], loads["warm"], err))
    result.rows.append(("fresh process: start + import + cold load + warm load", statistics.median(walls)
                        if walls else None, walls, err))
    return result


def render(result: Result) -> str:
    return table(["what", "ms (median)", "runs (ms)", "note"],
                 [[label, fmt_ms(ms), ", ".join(fmt_ms(x) for x in runs), note]
                  for label, ms, runs, note in result.rows])


def targets(result: Result) -> list[Target]:
    ev = result.ms(f"ordinance eval {EXAMPLE}")
    cold = result.ms("load_policy cold (first load in a fresh process)")
    imp = result.ms("import ordinance (fresh process)")
    return [
        Target("start-up: `ordinance eval` whole process", "≤ 300 ms",
               f"{fmt_ms(ev)} ms" if ev is not None else "did not run", None if ev is None else ev <= 300),
        Target("start-up: `load_policy` cold", "≤ 150 ms",
               f"{fmt_ms(cold)} ms (+ {fmt_ms(imp)} ms import)" if cold is not None else "did not run",
               None if cold is None else cold <= 150),
    ]
