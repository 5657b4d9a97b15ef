"""Issue 15's attacks, run again against the code as it is now: ``python -m benchmarks.attacks``.

Issue 15 ("Hostile input, round two") listed inputs that crashed the engine (exit status 3, HTTP
500, a traceback), blew it up (minutes of CPU, hundreds of MB printed, a server holding GBs or
thousands of connections) or went through where they should have been stopped (a live
spreadsheet formula, a terminal escape, a digit of another script, a value of the wrong type...).
This script makes the same inputs in a temporary folder (taking the files of tests/hostile/ where
they are there), runs each attack -- a command as a subprocess with a timeout, or requests to one
``ordinance serve`` on a free loopback port started with its default settings -- and measures what
happens: wall and CPU time, peak memory (the largest process of the command, from the ``wait4``
rusage of a small helper that forks it, see :data:`MEASURE`; for ``batch``, also the sum over its
process tree, sampled; for the server, VmRSS and VmHWM from /proc before, during and after), the exit or HTTP status, the bytes printed or answered, and
for the server what becomes of slow, silent and vanishing clients.

Each row gives the figures of issue 15 (before the fixes), the figures measured now, and a verdict:
*held* when what was measured meets the attack's criterion (printed under the table and kept in
the JSON), *not held* otherwise. The criteria are about what went wrong: an exit status, a
traceback, output or memory that grew with the input, a connection nobody closed. The few about
time are a fraction of the issue's figure, far above what a busy machine adds.

    python -m benchmarks.attacks                        # every attack (3 to 4 minutes on 2 busy cores)
    python -m benchmarks.attacks --only busy-port,csv-formulas --json /tmp/attacks.json
    python -m benchmarks.attacks --list

Markdown goes to standard output, JSON to ``--json`` (``make attacks``: build/attacks.json).
Exit status: 0 when every attack held, 1 when one did not, 2 on bad usage. Nothing is left
behind: the temporary folder is removed and every process started is ended.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import re
import resource
import select
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from .harness import table

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
POLICY = ROOT / "policy" / "xiamen-ai-2025"
EXPECTED = HOSTILE / "expected.yaml"

KEEP = 256 * 1024  # bytes kept of the start of each output (the rest is counted)
ANSWER_KEEP = 32 * 2**20  # bytes kept of an HTTP answer (the rest is counted)
TAIL = 16 * 1024  # and of its end
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: `ordinance serve`'s settings for the server attacks: its defaults, written out
HEADER_TIMEOUT, BODY_TIMEOUT, MAX_CONNECTIONS, MAX_TRACED_CLAIMS = 10, 30, 256, 500
SERVE_OPTIONS = ("--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT),
                 "--max-connections", str(MAX_CONNECTIONS), "--max-traced-claims", str(MAX_TRACED_CLAIMS))
FLOOD = 800  # silent connections at once (issue 15 used 22,000); fewer when `ulimit -n` is low
LOW_NOFILE = 512  # the server's `ulimit -n` for the flood against a server short of file descriptors

#: control characters a terminal acts on (C0 but the line feed, DEL, C1) and the bidi override
RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]")
#: a CSV cell that is only a number is data to a spreadsheet, whatever its sign
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ordinance_command() -> list[str]:
    script = Path(sys.executable).parent / "ordinance"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ordinance.cli.main"]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDINANCE")}
    env["NO_COLOR"] = "1"
    return env


ORDINANCE = ordinance_command()
ENV = environment()


# -- what the checks look for (tests/test_attacks_script.py holds them to bad input too) -----------

def live_formula_cells(csv_text: str) -> list[str]:
    """The cells of a CSV file a spreadsheet would run as a formula: starting with ``= + - @``, a
    tab or a carriage return, and not only a number."""
    return [cell for row in csv.reader(io.StringIO(csv_text, newline=""))
            for cell in row if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)]


def raw_controls(text: str) -> int:
    """How many control characters a terminal would act on ``text`` holds (the line feed aside)."""
    return len(RAW_CONTROLS.findall(text))


def crashed(text: str) -> bool:
    """Whether output shows an internal error: a Python traceback or the CLI's exit-3 message."""
    return "Traceback (most recent call last)" in text or "internal error" in text


# -- formatting -------------------------------------------------------------------------------------

def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    if n < 1000:
        return f"{n:.0f} B"
    for unit, size in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < size * 1000 or unit == "GB":
            value = n / size
            return f"{value:.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    raise AssertionError


def fmt_kb(kb: float | None) -> str:
    return fmt_bytes(None if kb is None else kb * 1024)


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:.1f} s" if seconds < 100 else f"{seconds:,.0f} s"


# -- running a command --------------------------------------------------------------------------------

class Drain(threading.Thread):
    """Reads a pipe to its end: counts the bytes, keeps the first KEEP and the last TAIL."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.size, self.head, self.tail = stream, 0, bytearray(), b""

    def run(self) -> None:
        fd = self.stream.fileno()
        try:
            while chunk := os.read(fd, 1 << 16):
                self.size += len(chunk)
                if len(self.head) < KEEP:
                    self.head += chunk[:KEEP - len(self.head)]
                self.tail = (self.tail + chunk)[-TAIL:]
        finally:
            self.stream.close()

    def text(self) -> str:
        kept = bytes(self.head) + (b"\n[...]\n" + self.tail if self.size > KEEP else b"")
        return kept.decode("utf-8", "replace")


@dataclass
class Run:
    command: str
    pid: int  # and the id of its session, which its children share
    exit: int | None  # None: killed at the timeout
    wall: float
    cpu: float | None  # user + system, the process and the children it waited for (None: killed)
    max_rss_kb: int | None  # the largest process of the tree (None: killed)
    out_bytes: int
    err_bytes: int
    out: str = field(repr=False)  # as much as was kept
    err: str = field(repr=False)
    timed_out: bool = False
    tree_rss_kb: int | None = None  # sampled: the most the process tree held at once
    tree_processes: int | None = None  # sampled: the most processes at once

    @property
    def clean(self) -> bool:
        return not self.timed_out and not crashed(self.out) and not crashed(self.err)

    def words(self) -> str:
        if self.timed_out:
            return f"killed at the timeout, after {fmt_s(self.wall)}"
        text = f"exit {self.exit}, {fmt_s(self.wall)} (CPU {fmt_s(self.cpu)}), {fmt_kb(self.max_rss_kb)} peak RSS"
        if not self.clean:
            text += ", with a traceback or an internal error"
        return text

    def printed(self) -> str:
        return f"{fmt_bytes(self.out_bytes)} on stdout, {fmt_bytes(self.err_bytes)} on stderr"

    def figures(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("out", "err")}


def _session(sid: int) -> list[tuple[int, int]]:
    """The live processes of session ``sid`` (every process a command started with
    ``start_new_session`` makes, unless one leaves it), with their resident memory in KB."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 21 and fields[3] == str(sid) and fields[0] != "Z":
            found.append((int(entry.name), int(fields[21]) * PAGE_KB))
    return found


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


#: A small process that runs the command and reports on it: forked from this script, the command
#: would start with this script's peak RSS as its own (Linux keeps the old peak at exec), so it is
#: forked from this helper instead (its floor: the helper's own RSS, about 10 MB). It writes, as
#: JSON on the file descriptor named first, the command's wall time, exit status and resource
#: usage (its waited-for children included: the workers of `batch`, the two ends of a pipeline).
MEASURE = """\
import json, os, signal, sys, time
fd, argv = int(sys.argv[1]), sys.argv[2:]
os.set_inheritable(fd, False)
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        for name in ("SIGPIPE", "SIGXFSZ"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
os.write(fd, json.dumps({"wall": time.monotonic() - start, "exit": os.waitstatus_to_exitcode(status),
                         "cpu": ru.ru_utime + ru.ru_stime, "max_rss_kb": ru.ru_maxrss}).encode())
"""


def run(args: Sequence[str], *, cwd: Path, timeout: float = 120.0, watch_tree: bool = False,
        shell_pipeline: bool = False) -> Run:
    """Run ``ordinance ARGS`` (with ``shell_pipeline``: the command ``args`` as it is) to its end
    or to ``timeout`` (then its whole process group is killed), and measure it (:data:`MEASURE`)."""
    command = list(args) if shell_pipeline else [*ORDINANCE, *args]
    start = time.monotonic()
    report_r, report_w = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-S", "-c", MEASURE, str(report_w), *command], cwd=cwd, env=ENV,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=(report_w,), start_new_session=True)
    finally:
        os.close(report_w)
    out, err = Drain(proc.stdout), Drain(proc.stderr)
    out.start()
    err.start()
    tree_rss = tree_procs = 0
    timed_out = False
    try:
        while proc.poll() is None:
            if watch_tree:  # the command's processes, the helper aside
                members = [(pid, kb) for pid, kb in _session(proc.pid) if pid != proc.pid]
                tree_procs = max(tree_procs, len(members))
                tree_rss = max(tree_rss, sum(kb for _, kb in members))
            try:
                proc.wait(0.05)
            except subprocess.TimeoutExpired:
                if time.monotonic() - start > timeout:
                    timed_out = True
                    _kill_group(proc.pid)
                    proc.wait()
    finally:  # on Ctrl-C too: the command is in a session of its own, out of the terminal's reach
        _kill_group(proc.pid)  # and whatever of its group outlived it
    with os.fdopen(report_r, "rb") as f:
        report = json.loads(f.read() or b"{}")
    out.join(30)
    err.join(30)
    return Run(command=command[-1] if shell_pipeline else "ordinance " + shlex.join(args), pid=proc.pid,
               exit=None if timed_out else report.get("exit"), wall=report.get("wall", time.monotonic() - start),
               cpu=report.get("cpu"), max_rss_kb=report.get("max_rss_kb"), out_bytes=out.size, err_bytes=err.size,
               out=out.text(), err=err.text(), timed_out=timed_out,
               tree_rss_kb=tree_rss if watch_tree else None, tree_processes=tree_procs if watch_tree else None)


# -- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes  # the first ANSWER_KEEP bytes
    size: int
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


class Server:
    """``ordinance serve`` on a free loopback port, its log in a file, its pid's /proc at hand."""

    def __init__(self, folder: Path, *options: str, nofile: int | None = None):
        """``nofile``: the server's limit of open files (``ulimit -n``), when it is to be lower."""
        self.port = free_port()
        self.log_path = folder / f"serve-{self.port}.log"
        self._log = open(self.log_path, "wb")
        command = [*ORDINANCE, "serve", "--port", str(self.port), *options]
        if nofile is not None:
            command = ["sh", "-c", f"ulimit -n {int(nofile)} && exec {shlex.join(command)}"]
        self.proc = subprocess.Popen(command, cwd=folder, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._log, start_new_session=True)
        start = time.monotonic()
        try:
            while True:
                try:
                    if self.request("GET", "/healthz", timeout=5).status == 200:
                        break
                except OSError:
                    pass
                if self.proc.poll() is not None:
                    raise RuntimeError(f"ordinance serve stopped at start: {self.log()[-2000:]}")
                if time.monotonic() - start > 90:
                    raise RuntimeError("ordinance serve did not answer /healthz within 90 s")
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - start

    def request(self, method: str, path: str, body: bytes | None = None, *, timeout: float = 120.0,
                content_type: str = "application/json") -> Answer:
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": content_type} if body is not None else {})
            resp = conn.getresponse()
            size, head = 0, bytearray()
            while chunk := resp.read(1 << 16):
                size += len(chunk)
                if len(head) < ANSWER_KEEP:
                    head += chunk[:ANSWER_KEEP - len(head)]
            return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, bytes(head), size,
                          time.monotonic() - start)
        finally:
            conn.close()

    def post(self, path: str, data: object, **kw) -> Answer:
        return self.request("POST", path, json.dumps(data, ensure_ascii=False).encode(), **kw)

    def connect(self, timeout: float = 15.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    # what the process holds
    def _status(self, key: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def rss_kb(self) -> int:
        return self._status("VmRSS")

    def hwm_kb(self) -> int:
        return self._status("VmHWM")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            _kill_group(self.proc.pid)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            self._log.close()


class Sampler(threading.Thread):
    """Calls ``probe`` every ``every`` seconds until stopped; keeps (time.monotonic(), value) pairs."""

    def __init__(self, probe: Callable[[], float], every: float = 0.02):
        super().__init__(daemon=True)
        self.probe, self.every, self.values = probe, every, []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.values.append((time.monotonic(), self.probe()))
            except OSError:
                return
            self._halt.wait(self.every)

    def stop(self) -> list[tuple[float, float]]:
        self._halt.set()
        self.join()
        return self.values


def read_until_closed(s: socket.socket, wait: float) -> bytes:
    out = b""
    s.settimeout(wait)
    try:
        while chunk := s.recv(1 << 16):
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def status_of(raw: bytes) -> int | None:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(m.group(1)) if m else None


def raw_headers(raw: bytes) -> dict[str, str]:
    lines = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if ":" in line)}


# -- inputs ---------------------------------------------------------------------------------------

CLAIM = {"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "800萬",
         "service_qualified": True}
GOOD = {"case": "acme", "applicant": {"kind": "enterprise", "annual_revenue": "5億"}, "claims": [CLAIM]}


def expected_codes() -> dict:
    return yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))


def chain_length(rule_file: Path) -> int:
    return len(yaml.safe_load(rule_file.read_text(encoding="utf-8"))["measures"][0]["values"])


def chain_overlay(n: int) -> str:
    """rules/08-compute-voucher.yaml with its amount read through a chain of ``n`` named values."""
    text = (POLICY / "rules" / "08-compute-voucher.yaml").read_text(encoding="utf-8")
    amount = "    amount: claim.compute_spend * tier.rate\n"
    assert amount in text, "the compute voucher's amount is no longer where the chain goes"
    values = "    values:\n      v1: claim.compute_spend * tier.rate\n" + "".join(
        f"      v{i}: v{i - 1} + 1元\n" for i in range(2, n + 1))
    return text.replace(amount, values + f"    amount: v{n}\n")


def many_problems_case(claims: int) -> str:
    """A case whose every claim has two wrong facts (issue 15: 10,000 claims, 1.2 MB)."""
    return ("case: many\napplicant:\n  kind: enterprise\n  annual_revenue: 5億\nclaims:\n" + "".join(
        f"  - id: c{i}\n    measure: compute-voucher\n    date: 2025-06-01\n    compute_spend: abc\n"
        f"    service_qualified: maybe\n" for i in range(claims)))


def big_case(claims: int, *, dated: bool = True) -> dict:
    return {"case": "big", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{"id": f"c{i}", "measure": "compute-voucher", **({"date": "2025-06-01"} if dated else {}),
                        "compute_spend": "100萬", "service_qualified": True} for i in range(claims)]}


def rule_with_amount(amount: str) -> str:
    """A rule file for the hostile corpus's manifest (tests/hostile/generate.py's ``rule``)."""
    return ("article: 一\nmeasures:\n  - id: voucher\n    title: {zh: 券, en: voucher}\n    facts:\n"
            f"      claim.spend: {{type: money}}\n    amount: {amount}\n")


# -- the attacks ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    after: str
    held: bool
    figures: dict = field(default_factory=dict)


@dataclass
class Attack:
    name: str
    group: str
    what: str
    before: str
    criterion: str
    fn: Callable[[Context], Outcome]


ATTACKS: list[Attack] = []


def attack(name: str, group: str, what: str, before: str, criterion: str):
    def register(fn: Callable[[Context], Outcome]) -> Callable[[Context], Outcome]:
        ATTACKS.append(Attack(name, group, what, before, criterion, fn))
        return fn
    return register


class Context:
    """The temporary folder, the one server (started when an attack first needs it) and what
    several attacks share."""

    def __init__(self, folder: Path):
        self.dir = folder
        self._server: Server | None = None
        self.shared: dict[str, object] = {}

    def server(self) -> Server:
        if self._server is None:
            self._server = Server(self.dir, *SERVE_OPTIONS)
            self.shared["server_started_rss_kb"] = self._server.rss_kb()
        if not self._server.alive():
            raise RuntimeError("the server is gone: " + self._server.log()[-2000:])
        return self._server

    def cli(self, *args: str, **kw) -> Run:
        return run(args, cwd=self.dir, **kw)

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def once(self, key: str, make: Callable[[], object]):
        if key not in self.shared:
            self.shared[key] = make()
        return self.shared[key]

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()


# crashes -----------------------------------------------------------------------------------------

def _chain_policy(ctx: Context) -> tuple[Path, Path, str]:
    """tests/hostile/policies/value-chain (v1: claim.spend, v2: v1 + 1元, ...) with a test of its
    own, a case, and the total it must give."""
    def make():
        policy = ctx.dir / "value-chain"
        shutil.copytree(HOSTILE / "policies" / "value-chain", policy)
        n = chain_length(policy / "rules" / "r.yaml")
        total = f"{1_000_000 + n - 1}.00"
        case = {"case": "chain", "applicant": {"kind": "enterprise"},
                "claims": [{"id": "c1", "measure": "voucher", "date": "2025-06-01", "spend": "100萬"}]}
        ctx.write("value-chain/tests/chain.yaml", yaml.safe_dump(
            {"tests": [{"name": "a chain of values", "case": case, "want": {"total": f"{total}元"}}]},
            allow_unicode=True))
        return policy, ctx.write("chain-case.json", json.dumps(case, ensure_ascii=False)), total
    return ctx.once("chain", make)


CHAIN_BEFORE = "exit 3 (internal error: RecursionError) from a chain of about 150 values"


@attack("chain-check", "crash", "a chain of 1,000 named values (`v2: v1 + 1元` ...): `ordinance check`",
        CHAIN_BEFORE, "exit 0, no traceback")
def chain_check(ctx: Context) -> Outcome:
    policy, _, _ = _chain_policy(ctx)
    r = ctx.cli("check", str(policy))
    n = chain_length(policy / "rules" / "r.yaml")
    return Outcome(f"{n:,} values: {r.words()}", r.exit == 0 and r.clean, r.figures())


@attack("chain-eval", "crash", "the same chain: `ordinance eval --format json` of a case", CHAIN_BEFORE,
        "exit 0, no traceback, the chain's total")
def chain_eval(ctx: Context) -> Outcome:
    policy, case, total = _chain_policy(ctx)
    out = ctx.dir / "chain-decision.json"
    r = ctx.cli("eval", "--policy", str(policy), str(case), "--format", "json", "-o", str(out))
    got = json.loads(out.read_text(encoding="utf-8"))["total"] if r.exit == 0 else None
    return Outcome(f"{r.words()}; total {got} (want {total})", r.exit == 0 and r.clean and got == total,
                   {**r.figures(), "total": got, "want": total})


@attack("chain-test", "crash", "the same chain: `ordinance test` of a test of it", CHAIN_BEFORE,
        "exit 0, the test passes, no traceback")
def chain_test(ctx: Context) -> Outcome:
    policy, _, _ = _chain_policy(ctx)
    r = ctx.cli("test", str(policy))
    summary = r.out.strip().splitlines()[-1] if r.out.strip() else ""
    return Outcome(f"{r.words()}; `{summary}`", r.exit == 0 and r.clean and summary == "1 passed, 0 failed",
                   {**r.figures(), "summary": summary})


def _overlay_n() -> int:
    return chain_length(HOSTILE / "policies" / "value-chain" / "rules" / "r.yaml")


def _overlay_files() -> dict[str, str]:
    return {"rules/08-compute-voucher.yaml": chain_overlay(_overlay_n())}


HTTP_CHAIN_BEFORE = "HTTP 500 with such an overlay"


@attack("chain-http-check", "crash", "the chain (1,000 values) as an overlay: `POST /v1/check`", HTTP_CHAIN_BEFORE,
        "200 with `ok: true`")
def chain_http_check(ctx: Context) -> Outcome:
    a = ctx.server().post("/v1/check", {"files": _overlay_files()})
    ok = a.json().get("ok") if a.status == 200 else None
    return Outcome(f"{a.status}, `ok: {json.dumps(ok)}`, in {fmt_s(a.seconds)}", a.status == 200 and ok is True,
                   {"status": a.status, "ok": ok, "seconds": a.seconds})


@attack("chain-http-try", "crash", "the chain as an overlay: `POST /v1/try` (the policy's tests and a case)",
        HTTP_CHAIN_BEFORE, "200 with `ok: true` and the case's total read through the chain")
def chain_http_try(ctx: Context) -> Outcome:
    n = _overlay_n()
    want = f"{3_200_000 + n - 1}.00"  # 800萬 at 40 %, then + 1元 per value after the first
    a = ctx.server().post("/v1/try", {"files": _overlay_files(), "case": GOOD})
    data = a.json() if a.status == 200 else {}
    total = (data.get("decision") or {}).get("total")
    tests = data.get("tests") or {}
    return Outcome(f"{a.status} in {fmt_s(a.seconds)}, `ok: {json.dumps(data.get('ok'))}`, total {total} (want {want}),"
                   f" {tests.get('passed')} tests passed, {tests.get('failed')} failed (the chain adds {n - 1}元)",
                   a.status == 200 and data.get("ok") is True and total == want,
                   {"status": a.status, "seconds": a.seconds, "total": total, "want": want,
                    "tests_passed": tests.get("passed"), "tests_failed": tests.get("failed")})


@attack("chain-http-compare", "crash", "the chain as an overlay: `POST /v1/compare` (with and without it)",
        HTTP_CHAIN_BEFORE, "200 with both totals")
def chain_http_compare(ctx: Context) -> Outcome:
    n = _overlay_n()
    want = ("3200000.00", f"{3_200_000 + n - 1}.00")
    a = ctx.server().post("/v1/compare", {"case": GOOD, "right": {"files": _overlay_files()}})
    data = a.json() if a.status == 200 else {}
    got = ((data.get("left") or {}).get("total"), (data.get("right") or {}).get("total"))
    return Outcome(f"{a.status} in {fmt_s(a.seconds)}, totals {got[0]} and {got[1]}", a.status == 200 and got == want,
                   {"status": a.status, "seconds": a.seconds, "totals": got, "want": want})


@attack("overlay-path-10k", "crash", "`POST /v1/check` with an overlay path of 10,000 characters",
        "HTTP 500 (File name too long)", "400 `bad-override-path`")
def overlay_path(ctx: Context) -> Outcome:
    a = ctx.server().post("/v1/check", {"files": {"rules/" + "a" * 10_000 + ".yaml": "article: 一\nmeasures: []\n"}})
    code = a.json().get("code") if a.headers.get("content-type", "").endswith("json") else None
    return Outcome(f"{a.status} `{code}` in {fmt_s(a.seconds)}", a.status == 400 and code == "bad-override-path",
                   {"status": a.status, "code": code, "seconds": a.seconds})


@attack("test-v-head", "crash", "`ordinance test -v | head -n 3` (the reader goes away)",
        "internal error (BrokenPipeError), exit 3", "ordinance exits 0 or 141 (SIGPIPE's status), no traceback")
def test_head(ctx: Context) -> Outcome:
    line = f"{shlex.join([*ORDINANCE, 'test', '-v', str(POLICY)])} | head -n 3; exit ${{PIPESTATUS[0]}}"
    r = run(["bash", "-c", line], cwd=ctx.dir, shell_pipeline=True)
    lines = len(r.out.splitlines())
    return Outcome(f"{r.words()}; head printed {lines} lines; {fmt_bytes(r.err_bytes)} on stderr",
                   r.exit in (0, 141) and r.clean and lines == 3, {**r.figures(), "lines": lines})


@attack("max-file-bytes-overflow", "crash", "`ordinance --max-file-bytes 999999999999999G check`",
        "OverflowError, exit 3", "a usage error: exit 2, no traceback")
def max_file_bytes(ctx: Context) -> Outcome:
    r = ctx.cli("--max-file-bytes", "999999999999999G", "check", str(POLICY))
    said = next((line.strip() for line in r.err.splitlines() if "Invalid value" in line or "Error" in line), "")
    return Outcome(f"{r.words()}: `{said[:90]}`", r.exit == 2 and r.clean, {**r.figures(), "message": said})


@attack("busy-port", "crash", "`ordinance serve` on a port another program listens on",
        "exit 3 after printing \"serving at\"", "a usage error: exit 2, \"serving at\" never printed")
def busy_port(ctx: Context) -> Outcome:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        r = ctx.cli("serve", "--port", str(port), timeout=60)
    serving = "serving" in r.err or "serving" in r.out
    return Outcome(f"{r.words()}; \"serving at\" printed: {'yes' if serving else 'no'}",
                   r.exit == 2 and r.clean and not serving, {**r.figures(), "serving_printed": serving})


@attack("client-gone-mid-body", "crash", "a client closing its connection in the middle of a body (`POST /v1/decide`)",
        "logged as an internal error with two tracebacks", "one log line, no traceback, no internal error")
def client_gone(ctx: Context) -> Outcome:
    srv = ctx.server()
    before = len(srv.log())
    with srv.connect() as s:
        s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"case\": ")
        time.sleep(0.5)
    time.sleep(1.5)
    healthy = srv.request("GET", "/healthz", timeout=10).status
    logged = srv.log()[before:]
    lines = [line for line in logged.splitlines() if line.strip()]
    about = [line for line in lines if "disconnected" in line]
    return Outcome(f"{len(lines)} log line(s) ({len(about)} saying the client disconnected), traceback: "
                   f"{'yes' if crashed(logged) else 'no'}; /healthz then {healthy}",
                   len(about) == 1 and len(lines) == 1 and not crashed(logged) and healthy == 200,
                   {"log_lines": len(lines), "lines": lines[:5], "healthz": healthy})


# blow-ups ----------------------------------------------------------------------------------------

@attack("many-problems", "blow-up", "error rendering of a 1.2 MB case of 10,000 claims, two wrong facts each (`eval`)",
        "76 s", "exit 1, at most 64 KB printed, CPU under 19 s (a quarter of 76 s)")
def many_problems(ctx: Context) -> Outcome:
    case = ctx.write("many-problems.yaml", many_problems_case(10_000))
    r = ctx.cli("eval", str(case))
    counted = re.search(r"\.\.\. and [\d,]+ more problems \([\d,]+ in all\)", r.err)
    return Outcome(f"{fmt_bytes(case.stat().st_size)} in: {r.words()}; {r.printed()}"
                   + (f" (`{counted.group(0)}`)" if counted else ""),
                   r.exit == 1 and r.clean and r.out_bytes + r.err_bytes <= 64_000 and r.cpu < 19,
                   {**r.figures(), "input_bytes": case.stat().st_size})


@attack("enum-5000", "blow-up", "a 45 KB rule expression with 5,000 unknown enum values (`check`)",
        "53 s, 290 MB printed", "exit 1, at most 64 KB printed, CPU under 13 s (a quarter of 53 s)")
def enum_values(ctx: Context) -> Outcome:
    policy = HOSTILE / "policies" / "many-enum-values"
    r = ctx.cli("check", str(policy))
    size = (policy / "rules" / "r.yaml").stat().st_size
    return Outcome(f"{fmt_bytes(size)} rule file: {r.words()}; {r.printed()}",
                   r.exit == 1 and r.clean and r.out_bytes + r.err_bytes <= 64_000 and r.cpu < 13,
                   {**r.figures(), "input_bytes": size})


@attack("did-you-mean-4mb", "blow-up", "\"did you mean\" over a 4 MB measure name in a case (`eval`)",
        "17 s CPU, the name printed three times", "exit 1, no \"did you mean\", the name never printed whole "
        "(at most 4 KB printed), CPU under 4.25 s (a quarter of 17 s)")
def did_you_mean(ctx: Context) -> Outcome:
    text = (HOSTILE / "cases" / "bom.yaml").read_text(encoding="utf-8-sig")
    case = ctx.write("long-measure.yaml", text.replace("measure: compute-voucher", "measure: " + "m" * 4_000_000))
    r = ctx.cli("eval", str(case))
    suggested = "did you mean" in r.err
    echoed = r.err.count("(4,000,000 characters)")
    return Outcome(f"{r.words()}; {r.printed()}; the name shown shortened {echoed} time(s); \"did you mean\": "
                   f"{'yes' if suggested else 'no'}",
                   r.exit == 1 and r.clean and not suggested and r.err_bytes <= 4_000 and r.cpu < 4.25,
                   {**r.figures(), "input_bytes": case.stat().st_size, "shortened_echoes": echoed})


@attack("http-unknown-key-1mb", "blow-up", "`POST /v1/decide` with an unknown key of 1 MB, /healthz probed meanwhile",
        "the event loop blocked (\"did you mean\" over the key)", "422 `unknown-key` within 2 s, every /healthz "
        "probe meanwhile answered within 1 s, the answer under 4 KB")
def unknown_key(ctx: Context) -> Outcome:
    srv = ctx.server()
    body = json.dumps({"case": GOOD, "k" * 1_000_000: 1}).encode()
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(a=srv.request("POST", "/v1/decide", body)))
    probes = []
    thread.start()
    while thread.is_alive():
        probes.append(srv.request("GET", "/healthz", timeout=30))
        thread.join(0.01)
    a: Answer = result["a"]
    code = a.json().get("code") if a.status == 422 else None
    slowest = max((p.seconds for p in probes), default=0.0)
    ok = all(p.status == 200 for p in probes)
    return Outcome(f"{fmt_bytes(len(body))} body: {a.status} `{code}` in {fmt_s(a.seconds)}, {fmt_bytes(a.size)} "
                   f"answer; {len(probes)} /healthz probes meanwhile, slowest {fmt_s(slowest)}",
                   a.status == 422 and code == "unknown-key" and a.seconds < 2 and ok and slowest < 1
                   and a.size < 4_000,
                   {"status": a.status, "code": code, "seconds": a.seconds, "answer_bytes": a.size,
                    "probes": len(probes), "slowest_probe": slowest})


@attack("eval-trace-10k", "blow-up", "a 1 MB case of 10,000 claims: `eval --format json` with the trace (the default)",
        "1 GB printed, 34 s", "at most 16 MB printed and 512 MB peak RSS (the server's bound on a traced answer: "
        "500 claims, a few MB)")
def eval_trace(ctx: Context) -> Outcome:
    case = ctx.write("big.json", json.dumps(big_case(10_000), ensure_ascii=False, separators=(",", ":")))
    r = ctx.cli("eval", str(case), "--format", "json", timeout=180)
    plain = ctx.cli("eval", str(case), "--format", "json", "--no-trace", timeout=180)
    return Outcome(f"{fmt_bytes(case.stat().st_size)} in: {r.words()}; {fmt_bytes(r.out_bytes)} printed. "
                   f"With `--no-trace`: {plain.words()}; {fmt_bytes(plain.out_bytes)} printed",
                   r.exit == 0 and r.clean and r.out_bytes <= 16e6 and r.max_rss_kb <= 512_000,
                   {**r.figures(), "input_bytes": case.stat().st_size, "no_trace": plain.figures()})


def _decide_body(trace: bool, html: bool) -> bytes:
    """A case of 10,000 claims in 998 KB, as in issue 15 (under the 1 MiB body limit): the first
    claims dated, the others dated by `as_of`."""
    def encode(body: dict) -> bytes:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    body: dict = {"case": big_case(10_000, dated=False), "as_of": "2025-06-01"}
    if trace:
        body["trace"] = True
    if html:
        body["format"] = "html"
    room = (998_000 - len(encode(body))) // len(',"date":"2025-06-01"')
    for claim in body["case"]["claims"][:max(0, room)]:
        claim["date"] = "2025-06-01"
    return encode(body)


def _traced_once(ctx: Context, html: bool) -> Outcome:
    body = _decide_body(trace=not html, html=html)
    a = ctx.server().request("POST", "/v1/decide", body)
    code = a.json().get("code") if a.headers.get("content-type", "").endswith("json") else None
    return Outcome(f"{fmt_bytes(len(body))} body: {a.status} `{code}` in {fmt_s(a.seconds)}, {fmt_bytes(a.size)} answer",
                   a.status == 413 and code == "trace-too-large" and a.seconds < 5 and a.size < 64_000,
                   {"status": a.status, "code": code, "seconds": a.seconds, "body_bytes": len(body),
                    "answer_bytes": a.size})


@attack("http-decide-trace", "blow-up", "`POST /v1/decide` of a 998 KB case (10,000 claims) with `trace: true`",
        "73 MB answered", "413 `trace-too-large` within 5 s, before the work")
def decide_trace(ctx: Context) -> Outcome:
    return _traced_once(ctx, html=False)


@attack("http-decide-html", "blow-up", "the same case with `format: html`", "118 MB answered",
        "413 `trace-too-large` within 5 s, before the work")
def decide_html(ctx: Context) -> Outcome:
    return _traced_once(ctx, html=True)


@attack("http-decide-trace-x4", "blow-up", "four of these at once (two with the trace, two HTML), the server's memory "
        "and CPU watched", "1.8 GB, still 813 MB afterwards; abandoned work burning CPU after the 503s",
        "four 413s; the server grows by under 256 MB at its peak, keeps under 64 MB of it 3 s later, and uses "
        "under 0.5 s of CPU in those 3 s")
def decide_trace_x4(ctx: Context) -> Outcome:
    srv = ctx.server()
    bodies = [_decide_body(True, False), _decide_body(False, True)] * 2
    time.sleep(0.5)
    before = srv.rss_kb()
    sampler = Sampler(srv.rss_kb)
    sampler.start()
    answers: list[Answer | Exception] = [None] * 4  # type: ignore[list-item]

    def send(i: int) -> None:
        try:
            answers[i] = srv.request("POST", "/v1/decide", bodies[i])
        except OSError as exc:
            answers[i] = exc
    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    cpu_at_end = srv.cpu()
    time.sleep(3)
    cpu_after = srv.cpu() - cpu_at_end
    after = srv.rss_kb()
    peak = max([before] + [v for _, v in sampler.stop()])
    statuses = [a.status if isinstance(a, Answer) else repr(a) for a in answers]
    return Outcome(f"{statuses} in {fmt_s(took)}; server RSS {fmt_kb(before)} before, {fmt_kb(peak)} at the peak, "
                   f"{fmt_kb(after)} 3 s later; {fmt_s(cpu_after)} CPU in those 3 s",
                   statuses == [413] * 4 and peak - before < 256_000 and after - before < 64_000 and cpu_after < 0.5,
                   {"statuses": statuses, "seconds": took, "rss_before_kb": before, "rss_peak_kb": peak,
                    "rss_after_kb": after, "server_hwm_kb": srv.hwm_kb(), "cpu_after_s": cpu_after})


def flood(srv: Server, count: int, *, trickle: bool) -> dict:
    """``count`` silent connections at once, /healthz probed every 0.5 s, the server's file
    descriptors and memory sampled, until every connection is answered or HEADER_TIMEOUT + 8 s
    have passed; with ``trickle``, a head and a body sent a byte a second at the same time."""
    log_start = len(srv.log())
    result: dict = {"flood": count}
    start = time.monotonic()

    def send_slowly(name: str, head: bytes, limit: float) -> None:
        """Send ``head``, then a byte a second until the server answers or closes (``limit`` at most)."""
        out: dict = {"status": None, "cut_after": None}
        try:
            with srv.connect() as s:
                s.sendall(head)
                t0 = time.monotonic()
                while time.monotonic() - t0 < limit:
                    ready, _, _ = select.select([s], [], [], 1.0)
                    if ready:
                        data = read_until_closed(s, 5)
                        out.update(status=status_of(data), cut_after=time.monotonic() - t0)
                        break
                    try:
                        s.sendall(b"a")
                    except OSError:
                        out.update(cut_after=time.monotonic() - t0)
                        break
        except OSError as exc:
            out["error"] = repr(exc)
        result[name] = out

    tricklers = [threading.Thread(target=send_slowly, args=(
                     "slow_head", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", HEADER_TIMEOUT + 30)),
                 threading.Thread(target=send_slowly, args=(
                     "slow_body", b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  b"Content-Length: 100\r\n\r\n{", BODY_TIMEOUT + 30))] if trickle else []
    for t in tricklers:
        t.start()
    time.sleep(0.2)

    probes: list[tuple[float, object, float]] = []  # (when, status or error, seconds)
    stop_probes = threading.Event()

    def probe() -> None:
        while not stop_probes.is_set():
            t = time.monotonic()
            try:
                a = srv.request("GET", "/healthz", timeout=5)
                probes.append((t - start, a.status, a.seconds))
            except OSError as exc:
                probes.append((t - start, type(exc).__name__, time.monotonic() - t))
            stop_probes.wait(0.5)

    fds_before = srv.fds()
    fds, rss = Sampler(srv.fds, every=0.1), Sampler(srv.rss_kb, every=0.2)
    fds.start()
    rss.start()
    sel = selectors.DefaultSelector()
    opened = failed = 0
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        except OSError:
            failed += 1
            continue
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, {"opened": time.monotonic(), "data": b""})
        opened += 1
    all_open = time.monotonic()
    prober = threading.Thread(target=probe)
    prober.start()
    answered: list[tuple[int | None, float]] = []  # (status, seconds from its connection to its closing)
    deadline = start + HEADER_TIMEOUT + 8
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s, info = key.fileobj, key.data
            try:
                chunk = s.recv(1 << 16)
            except BlockingIOError:
                continue
            except OSError:  # reset: closed all the same
                chunk = b""
            if chunk:
                info["data"] += chunk
                continue
            answered.append((status_of(info["data"]), time.monotonic() - info["opened"]))
            sel.unregister(s)
            s.close()
    still_open = len(sel.get_map())
    for key in list(sel.get_map().values()):
        sel.unregister(key.fileobj)
        key.fileobj.close()
    sel.close()
    stop_probes.set()
    prober.join()
    for t in tricklers:
        t.join()
    fd_values, rss_values = fds.stop(), rss.stop()
    # held: once the connections over the cap are answered 503 and closed, before the 408s
    held = [v for t, v in fd_values if all_open + 1.5 <= t <= start + HEADER_TIMEOUT - 0.5]
    time.sleep(1)
    logged = srv.log()[log_start:]
    statuses: dict[str, int] = {}
    for st, _ in answered:
        statuses[str(st)] = statuses.get(str(st), 0) + 1
    result.update(
        nofile=int(Path(f"/proc/{srv.proc.pid}/limits").read_text().split("Max open files")[1].split()[0]),
        opened=opened, refused_connect=failed, still_open=still_open, statuses=statuses,
        slowest_503=max((t for st, t in answered if st == 503), default=None),
        last_408=max((t for st, t in answered if st == 408), default=None),
        fds_before=fds_before, fds_peak=max((v for _, v in fd_values), default=None), fds_held=max(held, default=None),
        fds_after=srv.fds(), rss_peak_kb=max((v for _, v in rss_values), default=None), probes=probes,
        healthz_after=srv.request("GET", "/healthz", timeout=10).status,
        log_lines=len([line for line in logged.splitlines() if line.strip()]),
        log_tracebacks=logged.count("Traceback (most recent call last)"),
        log_sample=sorted({line for line in logged.splitlines() if line.strip()
                           and not line.startswith((" ", "Traceback"))})[:5],
        seconds=time.monotonic() - start)
    return result


def flood_size() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(10, min(FLOOD, soft - 200))


def _slow_clients(ctx: Context) -> dict:
    """The slow-client attacks, run once at the same time against the shared server."""
    return ctx.once("slow", lambda: flood(ctx.server(), flood_size(), trickle=True))


FLOOD_CRITERION = (f"every connection answered and closed within {HEADER_TIMEOUT + 8} s; the server holding at most "
                   f"{MAX_CONNECTIONS} of them (its file descriptors at most {MAX_CONNECTIONS} + 16 over where they "
                   "were once the 503s are sent) and its peak under its `ulimit -n`; every /healthz probe answered "
                   "within 5 s and 200 afterwards; at most 100 log lines, no traceback")


def _flood_outcome(r: dict) -> Outcome:
    probes = r["probes"]
    answered = [p for p in probes if isinstance(p[1], int)]
    by_status: dict[str, int] = {}
    for _, st, _ in probes:
        by_status[str(st)] = by_status.get(str(st), 0) + 1
    first_200 = min((t for t, st, _ in probes if st == 200 and t > 1), default=None)
    slowest = max((s for _, _, s in probes), default=0.0)
    after = (f"{r['opened']} connections: " + ", ".join(f"{n} × {st}" for st, n in r["statuses"].items())
             + f" (the 503s within {fmt_s(r['slowest_503'])}, the 408s within {fmt_s(r['last_408'])}), "
             f"{r['still_open']} left open; server fds {r['fds_before']} before, {r['fds_peak']} at the peak "
             f"(`ulimit -n` {r['nofile']:,}), {r['fds_held']} held until the 408s, {r['fds_after']} after; RSS at most "
             f"{fmt_kb(r['rss_peak_kb'])}; /healthz: " + ", ".join(f"{n} × {st}" for st, n in by_status.items())
             + f", slowest {fmt_s(slowest)}" + (f", 200 again from {fmt_s(first_200)}" if first_200 else "")
             + f", {r['healthz_after']} afterwards; {r['log_lines']:,} log lines, {r['log_tracebacks']:,} tracebacks")
    held = (r["still_open"] == 0 and r["refused_connect"] == 0 and r["fds_held"] is not None
            and r["fds_held"] <= r["fds_before"] + MAX_CONNECTIONS + 16 and r["fds_peak"] < r["nofile"]
            and len(answered) == len(probes) and slowest < 5 and r["healthz_after"] == 200
            and r["log_lines"] <= 100 and r["log_tracebacks"] == 0)
    return Outcome(after, held, {k: v for k, v in r.items() if k not in ("slow_head", "slow_body")})


def _trickle_outcome(r: dict, timeout: float, margin: float) -> Outcome:
    cut = r.get("cut_after")
    return Outcome(f"{r.get('status') or 'closed'} after {fmt_s(cut)}" if cut is not None else
                   f"still open after {timeout + 30} s {r.get('error', '')}",
                   cut is not None and cut <= timeout + margin and r.get("status") == 408, r)


@attack("http-slow-head", "blow-up", "a request head sent a byte a second", "open for ever (no read timeout)",
        f"answered 408 within {HEADER_TIMEOUT + 5} s (the header timeout is {HEADER_TIMEOUT} s)")
def slow_head(ctx: Context) -> Outcome:
    return _trickle_outcome(_slow_clients(ctx)["slow_head"], HEADER_TIMEOUT, 5)


@attack("http-slow-body", "blow-up", "a request body sent a byte a second (`POST /v1/decide`)",
        "open for ever (no read timeout)",
        f"answered 408 within {BODY_TIMEOUT + 10} s (the body timeout is {BODY_TIMEOUT} s)")
def slow_body(ctx: Context) -> Outcome:
    return _trickle_outcome(_slow_clients(ctx)["slow_body"], BODY_TIMEOUT, 10)


@attack("http-silent-flood", "blow-up", f"{FLOOD} silent connections at once (fewer when `ulimit -n` is low), with the "
        "two above, /healthz probed every 0.5 s", "22,000 held open: file descriptors exhausted, /healthz no longer "
        "answered, 280,000 log lines", FLOOD_CRITERION)
def silent_flood(ctx: Context) -> Outcome:
    return _flood_outcome(_slow_clients(ctx))


@attack("http-silent-flood-low-nofile", "blow-up", f"the same flood against a server whose `ulimit -n` is "
        f"{LOW_NOFILE}: fewer descriptors than the connection cap plus the burst, as 20,000 are for issue 15's 22,000 "
        "connections (a server of its own)", "file descriptors exhausted, /healthz no longer answered, 280,000 log "
        "lines", FLOOD_CRITERION)
def silent_flood_low_nofile(ctx: Context) -> Outcome:
    srv = Server(ctx.dir, *SERVE_OPTIONS, nofile=LOW_NOFILE)
    try:
        return _flood_outcome(flood(srv, flood_size(), trickle=False))
    finally:
        srv.stop()


@attack("batch-jobs-100000", "blow-up", "`ordinance batch --jobs 100000` over 1,000 cases, its process tree watched",
        "kept spawning workers", "exit 0; at most one worker per usable CPU (the tree: the CPUs + 2 processes)")
def batch_jobs(ctx: Context) -> Outcome:
    cases = ctx.write("jobs.jsonl", "".join(json.dumps({**GOOD, "case": f"k{i}"}, ensure_ascii=False) + "\n"
                                           for i in range(1000)))
    r = ctx.cli("batch", str(cases), "--out", str(ctx.dir / "jobs-out.jsonl"), "--jobs", "100000", watch_tree=True)
    cpus = len(os.sched_getaffinity(0))
    note = next((line for line in r.err.splitlines() if "--jobs" in line), "")
    return Outcome(f"{r.words()}; at most {r.tree_processes} processes at once ({cpus} CPUs), "
                   f"{fmt_kb(r.tree_rss_kb)} RSS in all; `{note.strip()}`",
                   r.exit == 0 and r.clean and r.tree_processes is not None and r.tree_processes <= cpus + 2,
                   {**r.figures(), "cpus": cpus, "note": note})


@attack("flat-sum", "blow-up", "a plain sum of 150 terms (`claim.spend + claim.spend + ...`) as an amount; "
        "then of 1,000", "refused: `expression-too-deep` (a sum read as 150 nested additions)",
        "both check (exit 0) and the 150-term sum decides to 150 times the spend")
def flat_sum(ctx: Context) -> Outcome:
    runs = {}
    for n in (150, 1000):
        policy = ctx.dir / f"sum-{n}"
        shutil.copytree(HOSTILE / "policies" / "bom", policy)
        (policy / "rules" / "r.yaml").write_text(rule_with_amount(" + ".join(["claim.spend"] * n)), encoding="utf-8")
        runs[n] = ctx.cli("check", str(policy))
    codes = {n: sorted(set(re.findall(r": ([a-z][a-z0-9-]*): ", r.err))) for n, r in runs.items()}
    total = None
    if runs[150].exit == 0:
        case = ctx.write("sum-case.json", json.dumps({"applicant": {"kind": "enterprise"}, "claims": [
            {"id": "c1", "measure": "voucher", "date": "2025-06-01", "spend": "1萬"}]}))
        e = ctx.cli("eval", "--policy", str(ctx.dir / "sum-150"), str(case), "--format", "json", "--no-trace")
        total = json.loads(e.out)["total"] if e.exit == 0 else f"exit {e.exit}"
    words = "; ".join(f"{n} terms: exit {r.exit}" + (f" `{', '.join(codes[n])}`" if codes[n] else "")
                      for n, r in runs.items())
    return Outcome(words + (f"; decided: total {total} (want 1500000.00)" if total else ""),
                   all(r.exit == 0 and r.clean for r in runs.values()) and total == "1500000.00",
                   {"runs": {n: r.figures() for n, r in runs.items()}, "codes": codes, "total": total})


# open doors ----------------------------------------------------------------------------------------

@attack("csv-formulas", "open door", "ids starting with `= + - @` and a NUL in an id: `batch "
        "tests/hostile/batch/formulas.csv --out decisions.csv`", "written as live formulas; the NUL written out",
        "no cell a spreadsheet would run, no NUL written, the NUL's case refused `binary-file`")
def csv_formulas(ctx: Context) -> Outcome:
    out = ctx.dir / "decisions.csv"
    r = ctx.cli("batch", str(HOSTILE / "batch" / "formulas.csv"), "--out", str(out))
    raw = out.read_bytes() if out.exists() else b""
    text = raw.decode("utf-8", "replace")
    live = live_formula_cells(text)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    quoted = sum(1 for row in rows for cell in row.values() if cell and cell.startswith("'"))
    nuls = raw.count(b"\0")
    nul_refused = any(row.get("status") == "error" and row.get("reasons") == "binary-file" for row in rows)
    return Outcome(f"{r.words()}; {len(rows)} rows: {len(live)} live formula(s), {quoted} cells quoted with `'`, "
                   f"{nuls} NUL; the NUL's case refused `binary-file`: {'yes' if nul_refused else 'no'}",
                   r.exit == 1 and r.clean and rows and not live and b"\0" not in raw and nul_refused,
                   {**r.figures(), "rows": len(rows), "live": live, "quoted": quoted, "nul_refused": nul_refused})


TITLE, LINK = "\x1b]0;pwned\x07", "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"


@attack("terminal-escapes", "open door", "OSC title change, OSC 8 link, C1 CSI and a bidi override in a case: "
        "`eval` (text, Markdown), `explain`, the batch summary", "reached the terminal raw",
        "no raw control character printed by any of the four (they are shown escaped)")
def terminal_escapes(ctx: Context) -> Outcome:
    data = {"case": f"evil{TITLE}\x9b31m", "applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{**CLAIM, "id": f"c{LINK}\u202e"}]}
    case = ctx.write("escapes.json", json.dumps(data))
    lines = ctx.write("escapes.jsonl", json.dumps({"case": data["case"], "claims": "none"}) + "\n")
    runs = {"eval": ctx.cli("eval", str(case)), "eval --format markdown": ctx.cli("eval", str(case), "--format",
                                                                                   "markdown"),
            "explain": ctx.cli("explain", str(case)),
            "batch summary": ctx.cli("batch", str(lines), "--out", str(ctx.dir / "escapes-out.jsonl"))}
    counts = {name: raw_controls(r.out + r.err) for name, r in runs.items()}
    shown = "evil\\x1b]0;pwned\\x07" in runs["eval"].out and "evil\\x1b]0;pwned" in runs["batch summary"].err
    return Outcome("raw control characters printed: " + ", ".join(f"{name} {n}" for name, n in counts.items())
                   + f"; shown escaped (`\\x1b]0;pwned\\x07`): {'yes' if shown else 'no'}",
                   all(n == 0 for n in counts.values()) and shown and all(r.clean for r in runs.values()),
                   {"raw_controls": counts, "shown_escaped": shown,
                    "exits": {name: r.exit for name, r in runs.items()}})


def _hostile_through_batch(ctx: Context, name: str, files: Sequence[str]) -> tuple[Run, dict[str, list[str]], int]:
    """``batch`` over copies of hostile cases: each file's problem codes ([] when decided), and how
    many were refused with the codes tests/hostile/expected.yaml gives them."""
    folder = ctx.dir / name
    folder.mkdir()
    for f in files:
        shutil.copy(HOSTILE / "cases" / f, folder / f)
    out = ctx.dir / f"{name}.jsonl"
    r = ctx.cli("batch", str(folder), "--out", str(out))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    got = {f: sorted({p["code"] for p in record.get("problems", [])}) for f, record in zip(sorted(files), records)}
    want = expected_codes()["cases"]
    return r, got, sum(1 for f in files if got.get(f) and got[f] == want[f]["codes"])


def _codes_words(got: dict[str, list[str]]) -> str:
    return ", ".join(f"{f} `{', '.join(codes) or 'decided'}`" for f, codes in got.items())


DIGITS = ["digits-fullwidth.yaml", "digits-arabic-indic.yaml", "digits-devanagari.yaml", "digits-math-bold.yaml",
          "digits-fullwidth-date.yaml", "digits-fullwidth.json"]


@attack("digits-of-other-scripts", "open door", "５億, ٥億, ८००萬, 𝟓億, ２０２５-０６-０１, \"８００萬\" in cases (`batch` of "
        "tests/hostile/cases/digits-*); `* ３０%` in a rule (`check`)", "accepted (Python reads them as numbers)",
        "each refused with the code tests/hostile/expected.yaml gives it")
def digits(ctx: Context) -> Outcome:
    r, got, refused = _hostile_through_batch(ctx, "digits", DIGITS)
    c = ctx.cli("check", str(HOSTILE / "policies" / "fullwidth-percent"))
    rule_codes = sorted(set(re.findall(r": ([a-z][a-z0-9-]*): ", c.err)))
    rule_ok = c.exit == 1 and rule_codes == expected_codes()["policies"]["fullwidth-percent"]["codes"]
    return Outcome(f"{refused} of {len(DIGITS)} cases refused as expected ({_codes_words(got)}); the rule: exit "
                   f"{c.exit} `{', '.join(rule_codes)}`",
                   refused == len(DIGITS) and rule_ok and r.clean and c.clean,
                   {"cases": got, "batch": r.figures(), "rule_codes": rule_codes, "rule_exit": c.exit})


WRONG_TYPES = ["id-list.yaml", "case-bool.yaml", "str-tag-bool.yaml", "tagged-empty.yaml", "trailing-comma.json"]


@attack("wrong-types", "open door", "`id: [c1]`, `case: true`, `!!str true`, an empty `!!python/name:os.system`, a "
        ".json case with a trailing comma (`batch` of tests/hostile/cases/)", "accepted",
        "each refused with the code tests/hostile/expected.yaml gives it")
def wrong_types(ctx: Context) -> Outcome:
    r, got, refused = _hostile_through_batch(ctx, "wrong-types", WRONG_TYPES)
    return Outcome(f"{refused} of {len(WRONG_TYPES)} refused as expected: {_codes_words(got)}",
                   refused == len(WRONG_TYPES) and r.clean, {"codes": got, **r.figures()})


@attack("entries-not-files", "open door", "a dangling link, a looping link, a FIFO and a link to /dev/zero among a "
        "policy's rules/ (`check`) and a batch's case files (`batch`)", "skipped silently",
        "each named as a problem (`file-unreadable`, `not-a-file`), every case in the batch's output, no hang")
def entries_not_files(ctx: Context) -> Outcome:
    policy = ctx.dir / "entries-policy"
    shutil.copytree(HOSTILE / "policies" / "bom", policy)
    rules = policy / "rules"
    (rules / "gone.yaml").symlink_to("no-such-file.yaml")
    (rules / "loop.yaml").symlink_to("loop.yaml")
    os.mkfifo(rules / "pipe.yaml")
    (rules / "zero.yaml").symlink_to("/dev/zero")
    c = ctx.cli("check", str(policy), timeout=60)
    named = {name: sorted(set(re.findall(rf"rules/{name}:\d+:\d+: ([a-z-]+):", c.err)))
             for name in ("gone.yaml", "loop.yaml", "pipe.yaml", "zero.yaml")}
    cases = ctx.dir / "entries-cases"
    cases.mkdir()
    shutil.copy(HOSTILE / "cases" / "bom.yaml", cases / "a.yaml")
    os.mkfifo(cases / "b.yaml")
    (cases / "c.yaml").symlink_to("/dev/zero")
    (cases / "d.yaml").symlink_to("nowhere.yaml")
    (cases / "e.yaml").symlink_to("e.yaml")
    out = ctx.dir / "entries-out.jsonl"
    b = ctx.cli("batch", str(cases), "--out", str(out), timeout=60)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    codes = [sorted({p["code"] for p in rec.get("problems", [])}) for rec in records]
    ok = (c.exit == 1 and all(named.values()) and b.exit == 1 and len(records) == 5 and codes[0] == []
          and all(codes[1:]) and c.clean and b.clean)
    return Outcome(f"check: {c.words()}, " + ", ".join(f"{n} `{', '.join(v) or 'not named'}`" for n, v in named.items())
                   + f"; batch: {b.words()}, {len(records)} records of 5: "
                   + ", ".join(", ".join(x) or "decided" for x in codes),
                   ok, {"check": c.figures(), "named": named, "batch": b.figures(), "records": codes})


@attack("cwd-independence", "open door", "the same decision (`eval --format json`, with the trace) from the checkout "
        "with a relative `--policy`, and from a temporary folder with an absolute one",
        "decisions depended on the current directory (trace locations)",
        "the same bytes, no path of this machine in them")
def cwd(ctx: Context) -> Outcome:
    case = ROOT / "examples" / "compute-voucher.yaml"
    here = run(["eval", "--policy", str(POLICY.relative_to(ROOT)), str(case.relative_to(ROOT)), "--format", "json"],
               cwd=ROOT)
    there = ctx.cli("eval", "--policy", str(POLICY), str(case), "--format", "json")
    leaks = [p for p in (str(ROOT), str(ctx.dir), os.path.expanduser("~")) if p in here.out or p in there.out]
    same = here.out == there.out and here.out_bytes == there.out_bytes
    return Outcome(f"exit {here.exit} and {there.exit}; {fmt_bytes(here.out_bytes)} each; the same bytes: "
                   f"{'yes' if same else 'no'}; machine paths in them: {len(leaks)}",
                   here.exit == 0 and there.exit == 0 and same and not leaks,
                   {"same": same, "leaks": leaks, "bytes": here.out_bytes})


MALFORMED = [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
             b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
             b"GET /%ZZ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"]


@attack("http-malformed-framing", "open door", "malformed HTTP: a bad request line, a bad header, two "
        "Content-Lengths, an unknown Transfer-Encoding", "a plain-text 400 without the security headers",
        "each 400 `bad-request` as application/problem+json with CSP and nosniff, connection closed")
def malformed(ctx: Context) -> Outcome:
    srv = ctx.server()
    seen = []
    for request in MALFORMED:
        with srv.connect() as s:
            s.sendall(request)
            raw = read_until_closed(s, 15)
        h = raw_headers(raw)
        body = raw.partition(b"\r\n\r\n")[2]
        try:
            code = json.loads(body).get("code")
        except ValueError:
            code = None
        seen.append({"status": status_of(raw), "content_type": h.get("content-type"), "code": code,
                     "csp": "frame-ancestors 'none'" in h.get("content-security-policy", ""),
                     "nosniff": h.get("x-content-type-options") == "nosniff"})
    good = [s for s in seen if s["status"] == 400 and s["content_type"] == "application/problem+json"
            and s["code"] == "bad-request" and s["csp"] and s["nosniff"]]
    return Outcome(f"{len(good)} of {len(seen)} answered 400 `bad-request` problem+json with the security headers; "
                   f"statuses {[s['status'] for s in seen]}", len(good) == len(seen), {"answers": seen})


@attack("api-openapi", "open door", "`\"policy\": null`, `\"files\": null`, `\"case\": \"\"`, `\"claim\": \"\"`, "
        "`GET /v1/decide`", "the API and its OpenAPI document disagreed (accepted or a 500; no 405; the `claim` "
        "message wrong)", "each refused (422, or 405 with `Allow`), a status the OpenAPI document declares for the "
        "route, a body its request schema refuses too, the message naming the field")
def api_openapi(ctx: Context) -> Outcome:
    import jsonschema

    srv = ctx.server()
    doc = json.loads(srv.request("GET", "/openapi.json").body)
    tries = [("POST", "/v1/decide", {"case": GOOD, "policy": None}, "policy"),
             ("POST", "/v1/check", {"files": None}, "files"),
             ("POST", "/v1/decide", {"case": ""}, "case"),
             ("POST", "/v1/explain", {"case": GOOD, "claim": ""}, "claim"),
             ("GET", "/v1/decide", None, None)]
    seen = []
    for method, path, body, fld in tries:
        a = (srv.post(path, body) if method == "POST" else srv.request(method, path))
        data = a.json() if a.headers.get("content-type") == "application/problem+json" else {}
        route = doc["paths"].get(path, {}).get(method.lower()) or next(iter(doc["paths"].get(path, {}).values()), {})
        declared = str(a.status) in route.get("responses", {})
        schema_refuses = None
        if body is not None:
            ref = route["requestBody"]["content"]["application/json"]["schema"]
            validator = jsonschema.Draft202012Validator({**ref, "components": doc["components"]})
            schema_refuses = not validator.is_valid(body)
        names = fld is None or f"`{fld}`" in data.get("detail", "")
        allow = a.headers.get("allow") if a.status == 405 else None
        seen.append({"request": f"{method} {path} {json.dumps(body)[:60] if body is not None else ''}".strip(),
                     "status": a.status, "declared": declared, "schema_refuses": schema_refuses,
                     "names_field": names, "allow": allow, "detail": data.get("detail")})
    ok = [s for s in seen if s["status"] in (405, 422) and s["declared"] and s["schema_refuses"] in (True, None)
          and s["names_field"] and (s["status"] != 405 or s["allow"])]
    return Outcome(f"{len(ok)} of {len(seen)} agree: statuses {[s['status'] for s in seen]}", len(ok) == len(seen),
                   {"answers": seen})


# -- the report -----------------------------------------------------------------------------------

@dataclass
class Row:
    name: str
    group: str
    attack: str
    before: str
    after: str
    verdict: str
    criterion: str
    seconds: float
    figures: dict


def run_attacks(names: Sequence[str] | None = None, *, log: Callable[[str], None] = lambda s: None) -> list[Row]:
    chosen = [a for a in ATTACKS if names is None or a.name in names]
    rows = []
    with tempfile.TemporaryDirectory(prefix="ordinance-attacks-") as tmp:
        ctx = Context(Path(tmp))
        try:
            for a in chosen:
                log(f"{a.name} ...")
                start = time.monotonic()
                try:
                    outcome = a.fn(ctx)
                except Exception as exc:  # the attack could not be measured: that is not held
                    outcome = Outcome(f"could not be measured: {type(exc).__name__}: {str(exc)[:300]}", False,
                                      {"error": repr(exc)})
                took = time.monotonic() - start
                rows.append(Row(a.name, a.group, a.what, a.before, outcome.after,
                                "held" if outcome.held else "NOT HELD", a.criterion, took, outcome.figures))
                log(f"{a.name}: {rows[-1].verdict} ({fmt_s(took)})")
        finally:
            ctx.close()
    return rows


def markdown(rows: Sequence[Row]) -> str:
    body = table(["attack", "before (issue 15)", "after (measured)", "verdict"],
                 [(f"`{r.name}`: {r.attack}", r.before, r.after, f"**{r.verdict}**" if r.verdict != "held" else r.verdict)
                  for r in rows])
    criteria = "\n".join(f"- `{r.name}`: {r.criterion}" for r in rows)
    return f"{body}\n\nHeld when:\n\n{criteria}\n"


def header() -> str:
    from . import machine

    lines = [f"- {k}: {v}" for k, v in machine.describe() if k != "packages"]
    return ("# Issue 15's attacks against the current code\n\n" + "\n".join(lines)
            + "\n- the machine is shared with other work: read times as orders of magnitude\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.attacks", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="comma-separated attack names (see --list)")
    p.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    p.add_argument("--list", action="store_true", help="list the attacks and stop")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = p.parse_args(argv)
    names = [a.name for a in ATTACKS]
    args.names = None
    if args.only:
        args.names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in args.names if n not in names]
        if unknown:
            p.error(f"unknown attack(s) {', '.join(unknown)}; --list shows them")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for a in ATTACKS:
            print(f"{a.name:26} {a.group:10} {a.what}")
        return 0
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    start = time.monotonic()
    head = header()
    rows = run_attacks(args.names, log=log)
    took = time.monotonic() - start
    print(head)
    print(markdown(rows))
    print(f"{sum(r.verdict == 'held' for r in rows)} of {len(rows)} held; the run took {fmt_s(took)}.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"header": head, "seconds": took, "rows": [asdict(r) for r in rows]},
                                        ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    return 0 if all(r.verdict == "held" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
