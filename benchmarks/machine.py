"""What a report says about where it ran: date, CPU, cores, memory, load, Python, packages, commit."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from pathlib import Path

from .harness import dist_version

ROOT = Path(__file__).resolve().parent.parent

#: PyPI distributions whose versions the report lists (ordinance first, then the peers)
PACKAGES = ("ordinance", "lark", "pyyaml", "jsonschema", "click", "zen-engine", "rule-engine", "json-logic-qubit",
            "cel-python", "opa-eval", "openfisca-core", "numpy")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores() -> str:
    logical = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = logical
    return f"{usable}" if usable == logical else f"{usable} usable of {logical}"


def memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "?"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=False, cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "") if head else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def describe() -> list[tuple[str, str]]:
    packages = ", ".join(f"{p} {v}" if (v := dist_version(p)) else f"{p} (not installed)" for p in PACKAGES)
    return [
        ("date", _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", f"{cpu_model()}, {cores()} cores, {memory()} memory; {platform.system()} {platform.release()}"),
        ("load average at start", load_average()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("packages", packages),
        ("commit", commit()),
    ]
