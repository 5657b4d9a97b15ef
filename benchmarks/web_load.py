"""Web load: ``POST /v1/decide`` on ``ordinance serve --workers 2``, driven by ``wrk`` on loopback.

The server runs as a child process on a free port of 127.0.0.1.  Its answers are checked first:
the first :data:`CHECKED` of workload A's applicants (the tier, date, cap and rounding
boundaries) are posted one by one and each decision's total must be the hand-written Decimal
subsidy to the cent.  Then ``wrk`` (the distribution's package) posts one-claim compute-voucher
cases — :data:`BODIES` different applicants, in turn, from a Lua script — over 16 connections
(2 threads), a short warm-up, then the timed run with ``--latency``: requests per second and the
50th and 99th percentile latency.  Every timed request must be answered 200.

Without ``wrk`` (``apt-get install wrk``) the section prints one line saying so and is skipped.

Run alone: ``python -m benchmarks.web_load [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import applicants as A
from .harness import fmt_rate, table
from .reference import expected_cents
from .startup import ROOT, _env, ordinance_command
from .targets import Target

CONNECTIONS = 16
THREADS = 2
WORKERS = 2
BODIES = 1000  # different cases posted in turn
CHECKED = 200  # cases whose answers are checked to the cent before the load
TARGET_RATE = 2000
TARGET_P99_MS = 50.0


@dataclass
class Result:
    available: bool
    reason: str = ""
    seconds: float = 0.0
    requests: int = 0
    per_second: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    non_2xx: int = 0
    socket_errors: str = ""
    check: str = ""
    ok: bool = False
    wrk_version: str = ""
    command: str = ""
    notes: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def lua_script(bodies: list[str]) -> str:
    """A wrk script posting ``bodies`` in turn (each thread from its own start)."""
    items = ",\n".join(f"[==[{b}]==]" for b in bodies)
    return ("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
            f"local bodies = {{\n{items}\n}}\nlocal i = 0\n"
            "function setup(thread)\n  thread:set(\"start\", math.random(#bodies))\nend\n"
            "function init(args)\n  i = start or 0\nend\n"
            "function request()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n")


_LATENCY = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(text: str) -> dict[str, float | int | str]:
    """Requests/s, requests, percentiles (ms), max latency (ms), non-2xx count, socket errors."""
    out: dict[str, float | int | str] = {}
    m = re.search(r"Requests/sec:\s*([\d.]+)", text)
    if m:
        out["per_second"] = float(m.group(1))
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    if m:
        out["requests"] = int(m.group(1))
    for p, value, unit in _LATENCY.findall(text):
        out[f"p{p}"] = float(value) * _UNIT[unit]
    m = re.search(r"Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s)", text)
    if m:
        out["max"] = float(m.group(1)) * _UNIT[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:(.*)", text)
    out["socket_errors"] = m.group(1).strip() if m else ""
    return out


def run(seconds: float = 10.0, *, warmup: float = 2.0, log: Callable[[str], None] = print) -> Result:
    wrk = shutil.which("wrk")
    if wrk is None:
        log("web load: skipped: `wrk` is not installed (Debian: apt-get install wrk)")
        return Result(False, "`wrk` is not installed (Debian: apt-get install wrk)")
    cmd = ordinance_command()
    if cmd is None:
        return Result(False, "no `ordinance` console script found")
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    applicants = A.generate(BODIES)
    bodies = [json.dumps({"case": a.case(f"w{a.index}")}, ensure_ascii=False, separators=(",", ":"))
              for a in applicants]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = cmd + ["serve", "--workers", str(WORKERS), "--host", "127.0.0.1", "--port", str(port)]
    result = Result(True, wrk_version=version[0] if version else "wrk",
                    command=" ".join(["ordinance"] + argv[len(cmd):-1] + ["<a free port>"]))
    server = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=_env())
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                err = server.stderr.read().decode(errors="replace").strip().splitlines() if server.stderr else []
                return Result(False, "the server did not start: " + (err[-1] if err else f"exit {server.returncode}"))
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                return Result(False, "the server did not answer /healthz within 60 s")
            time.sleep(0.1)
        bad = []
        for a, body in zip(applicants[:CHECKED], bodies):
            status, answer = _post(base + "/v1/decide", body.encode("utf-8"))
            want = expected_cents(a)
            try:
                units, cents = json.loads(answer)["total"].split(".")
                got = int(units) * 100 + int(cents)
            except (ValueError, KeyError, TypeError):
                got = None
            if status != 200 or got != want:
                bad.append(f"w{a.index}: HTTP {status}, total {got}, expected {want}")
        result.check = (f"ok ({CHECKED} totals to the cent)" if not bad else
                        f"MISMATCH: {len(bad)} of {CHECKED}; {bad[0]}")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="ordinance-web-", delete=False,
                                         encoding="utf-8") as f:
            f.write(lua_script(bodies))
            script = f.name
        try:
            common = [wrk, "-t", str(THREADS), "-c", str(CONNECTIONS), "-s", script]
            log(f"web load: warm-up {warmup:g} s, then {seconds:g} s at {CONNECTIONS} connections")
            subprocess.run(common + ["-d", f"{max(1, round(warmup))}s", base + "/v1/decide"], capture_output=True,
                           timeout=warmup + 60)
            done = subprocess.run(common + ["-d", f"{max(1, round(seconds))}s", "--latency", base + "/v1/decide"],
                                  capture_output=True, text=True, timeout=seconds + 120)
        finally:
            Path(script).unlink(missing_ok=True)
        if done.returncode != 0:
            return Result(False, f"wrk failed: {(done.stderr or done.stdout).strip()[:200]}")
        figures = parse_wrk(done.stdout)
        result.seconds = seconds
        result.per_second = figures.get("per_second")  # type: ignore[assignment]
        result.requests = int(figures.get("requests", 0))
        result.p50_ms, result.p90_ms, result.p99_ms = (figures.get("p50"), figures.get("p90"),  # type: ignore
                                                       figures.get("p99"))
        result.max_ms = figures.get("max")  # type: ignore[assignment]
        result.non_2xx = int(figures.get("non_2xx", 0))
        result.socket_errors = str(figures.get("socket_errors", ""))
        result.ok = not bad and result.non_2xx == 0 and not result.socket_errors and result.per_second is not None
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    return result


def _ms(value: float | None) -> str:
    return "—" if value is None else (f"{value:.2f}" if value < 10 else f"{value:.1f}")


def render(result: Result) -> str:
    if not result.available:
        return f"Web load: not available — {result.reason}"
    rows = [[f"`POST /v1/decide`, one claim, {CONNECTIONS} connections", f"{result.requests:,}",
             fmt_rate(result.per_second), _ms(result.p50_ms), _ms(result.p90_ms), _ms(result.p99_ms),
             _ms(result.max_ms), f"{result.non_2xx:,}" + (f"; socket errors: {result.socket_errors}"
                                                            if result.socket_errors else ""), result.check]]
    out = table(["load", "requests", "requests / s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-200",
                 "answers checked"], rows)
    return out + (f"\n\n`{result.command}` and {result.wrk_version.split(' [')[0]} "
                  f"(`-t{THREADS} -c{CONNECTIONS} -d{result.seconds:g}s --latency`), both on this machine's "
                  f"cores; {BODIES:,} different cases posted in turn.")


def targets(result: Result) -> list[Target]:
    if not result.available or not result.ok:
        why = f"not available: {result.reason}" if not result.available else f"failed: {result.check}, " \
              f"{result.non_2xx} non-200 answers"
        return [Target("web: POST /v1/decide, 16 connections", f"≥ {TARGET_RATE:,} decisions/s", why, None),
                Target("web: POST /v1/decide, 16 connections", f"p99 < {TARGET_P99_MS:g} ms", why, None)]
    rate, p99 = result.per_second or 0.0, result.p99_ms
    return [Target("web: POST /v1/decide, 16 connections", f"≥ {TARGET_RATE:,} decisions/s",
                   f"{fmt_rate(rate)} decisions/s", rate >= TARGET_RATE),
            Target("web: POST /v1/decide, 16 connections", f"p99 < {TARGET_P99_MS:g} ms",
                   f"{_ms(p99)} ms (p50 {_ms(result.p50_ms)} ms)", None if p99 is None else p99 < TARGET_P99_MS)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.web_load", description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of the timed run (default 10)")
    args = p.parse_args(argv)
    result = run(args.seconds, log=lambda s: print(s, file=sys.stderr))
    print(render(result))
    from .targets import render as render_targets

    print()
    print(render_targets(targets(result)))
    return 0 if (result.ok or not result.available) else 1


if __name__ == "__main__":
    sys.exit(main())
