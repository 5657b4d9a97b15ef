"""``ordinance serve`` against hostile clients: the real server on a free loopback port, driven
with raw sockets (docs/security.md 4b).

Slow clients (a silent connection, a head sent a byte at a time, a body that stops), too many
connections, malformed framing, a client that goes away mid-body, and the log under a flood.
The deadlines are set short (1 s, 2 s) and every wait is generous (10 s or more): the tests do
not depend on the machine's speed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WAIT = 15.0  # the longest any answer may take here: the deadlines are 1 s and 2 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *options: str):
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ordinance.cli.main", "serve", "--port", str(self.port), *options],
            cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert self.proc.poll() is None, self.proc.communicate()[1].decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def connect(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        return s

    def get(self, path: str) -> tuple[int, bytes]:
        with self.connect() as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return parse(read_all(s))

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode("utf-8", "replace")


def read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (WAIT at most)."""
    out = b""
    s.settimeout(WAIT)
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return out
        out += chunk


def parse(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def headers(raw: bytes) -> dict[str, str]:
    lines = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}


@pytest.fixture(scope="module")
def server():
    srv = Server("--header-timeout", "1", "--body-timeout", "2", "--max-connections", "40")
    yield srv
    srv.stderr = srv.stop()


def test_a_silent_connection_is_answered_408_and_closed(server):
    sockets = [server.connect() for _ in range(10)]
    start = time.monotonic()
    for s in sockets:
        raw = read_all(s)  # before: nothing, ever (the connection stayed open)
        status, body = parse(raw)
        assert status == 408 and json.loads(body)["code"] == "request-timeout"
        assert headers(raw)["content-type"] == "application/problem+json"
        assert "content-security-policy" in headers(raw)
        assert_both_languages(raw, "The request did not arrive within the time allowed", "請求未在允許的時間內送達",
                              "the request's head did not arrive within 1 s", "請求頭未在 1 秒內送達")
        s.close()
    assert time.monotonic() - start < WAIT


def test_a_head_sent_a_byte_at_a_time_is_cut_off(server):
    with server.connect() as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < WAIT:
            try:
                s.sendall(b"X")
            except OSError:
                closed = True
                break
            s.settimeout(0.2)
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            if data:
                assert parse(data)[0] == 408
            closed = True
            break
        assert closed, "a client trickling its head was never cut off"


def test_a_body_that_stops_is_answered_408(server):
    with server.connect() as s:
        s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{\"case\": ")
        raw = read_all(s)
    status, body = parse(raw)
    assert status == 408 and json.loads(body)["code"] == "request-timeout", raw
    assert "within 2 s" in json.loads(body)["detail"]


def test_the_health_check_answers_while_slow_clients_hold_connections(server):
    held = [server.connect() for _ in range(20)]
    try:
        assert server.get("/healthz")[0] == 200
    finally:
        for s in held:
            s.close()


def test_connections_over_the_cap_are_refused_at_once(server):
    held = [server.connect() for _ in range(40)]
    try:
        time.sleep(0.3)
        with server.connect() as extra:
            raw = read_all(extra)
        status, body = parse(raw)
        assert status == 503 and json.loads(body)["code"] == "too-many-connections"
        assert headers(raw)["retry-after"] == "1"
        detail = json.loads(body)["detail"]
        assert detail == "the server has 40 connections open, its limit; try again later"
        assert json.loads(body)["detail_zh"] == "伺服器已開啟 40 個連線，已達上限；請稍後再試"
        assert headers(raw)["content-language"] == "en, zh-Hant"
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + WAIT
    while server.get("/healthz")[0] != 200:  # the slots free as the connections close
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"GET /%ZZ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
])
def test_malformed_framing_is_a_400_problem_with_the_security_headers(server, request_bytes):
    with server.connect() as s:
        s.sendall(request_bytes)
        raw = read_all(s)
    status, body = parse(raw)
    assert status == 400, raw[:300]
    h = headers(raw)
    assert h["content-type"] == "application/problem+json"
    assert h["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in h["content-security-policy"]
    assert json.loads(body)["code"] == "bad-request"
    assert_both_languages(raw, "The request cannot be read", "無法讀取請求",
                          "the request is not valid HTTP/1.1 (its request line, a header, the framing of its body, "
                          "or a head over 16 KiB)",
                          "請求不是有效的 HTTP/1.1（請求行、某個標頭、主體的分段方式有誤，或請求頭超過 16 KiB）")


def assert_both_languages(raw: bytes, title: str, title_zh: str, detail: str, detail_zh: str) -> None:
    """An answer written before any request head said a language: English, with the Chinese beside."""
    problem = json.loads(parse(raw)[1])
    assert (problem["title"], problem["detail"]) == (title, detail)
    assert (problem["title_zh"], problem["detail_zh"]) == (title_zh, detail_zh)
    assert headers(raw)["content-language"] == "en, zh-Hant"


@pytest.mark.parametrize("language, title, detail", [
    (None, "The request cannot be read", "the request is not valid HTTP/1.1 (its request line, a header, the framing "
                                         "of its body, or a head over 16 KiB)"),
    ("zh-TW", "無法讀取請求", "請求不是有效的 HTTP/1.1（請求行、某個標頭、主體的分段方式有誤，或請求頭超過 16 KiB）"),
])
def test_after_a_head_the_answer_is_in_its_language(server, language, title, detail):
    """A 400 for a body's framing (the head was read) and a 408 for a body that stops are said in the
    language the head's Accept-Language asks for, in that one only."""
    accept = f"Accept-Language: {language}\r\n".encode() if language else b""
    with server.connect() as s:
        s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n" + accept
                  + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n")
        raw = read_all(s)
    status, body = parse(raw)
    problem = json.loads(body)
    assert status == 400 and (problem["title"], problem["detail"]) == (title, detail), raw
    assert "title_zh" not in problem and "detail_zh" not in problem
    assert headers(raw)["content-language"] == ("zh-Hant" if language else "en")
    assert headers(raw)["vary"] == "Accept-Language"
    with server.connect() as s:
        s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n" + accept
                  + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"case\": ")
        raw = read_all(s)
    status, body = parse(raw)
    detail = json.loads(body)["detail"]
    assert status == 408 and ("請求內容未在 2 秒內送達" in detail if language else "within 2 s" in detail), detail


def test_a_client_going_away_mid_body_is_one_log_line_and_no_traceback():
    srv = Server("--body-timeout", "20")
    try:
        with srv.connect() as s:
            s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n{\"case\": ")
            time.sleep(0.5)
        time.sleep(1.0)
        assert srv.get("/healthz")[0] == 200
    finally:
        err = srv.stop()
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if "client disconnected" in line]
    assert len(lines) == 1, err
    assert "POST /v1/decide" in lines[0]


def test_a_flood_of_bad_requests_fills_no_log():
    srv = Server()
    try:
        for _ in range(200):
            with srv.connect() as s:
                s.sendall(b"GARBAGE\r\n\r\n")
                read_all(s)
    finally:
        err = srv.stop()
    invalid = [line for line in err.splitlines() if "Invalid HTTP request" in line]
    assert 1 <= len(invalid) <= 10, err  # before: 200 lines, one per request


def test_the_log_rate_limit_counts_what_it_dropped():
    from ordinance.web.app import LogRateLimit

    limit = LogRateLimit(burst=3, period=0.5)

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("ordinance.web", logging.WARNING, __file__, 1, msg, (), None)

    passed = [limit.filter(record("same %s")) for _ in range(10)]
    assert passed == [True] * 3 + [False] * 7
    assert limit.filter(record("another"))
    time.sleep(0.6)
    later = record("same %s")
    assert limit.filter(later)
    assert "(and 7 more like it in the last 0.5 s, not logged)" in later.msg


def test_asyncios_own_complaints_go_through_the_rate_limit(tmp_path):
    """A flood short of file descriptors made asyncio log each failed accept() with its traceback
    through Python's last-resort handler: 5,652 tracebacks (benchmarks/attacks.py,
    http-silent-flood-low-nofile).  With the server's logging they are rate-limited like the rest."""
    import subprocess
    import sys

    script = (
        "import logging, logging.config\n"
        "from ordinance.web.app import log_config\n"
        "logging.config.dictConfig(log_config())\n"
        "log = logging.getLogger('asyncio')\n"
        "for _ in range(500):\n"
        "    try:\n"
        "        raise OSError(24, 'Too many open files')\n"
        "    except OSError:\n"
        "        log.error('socket.accept() out of system resource', exc_info=True)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert 1 <= len(lines) <= 10 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "cannot accept a connection: Too many open files (raise `ulimit -n`" in lines[0]


def test_serve_asks_for_room_for_its_connections(monkeypatch):
    """The soft limit on open files is raised towards what --max-connections needs, and a note
    says so when even the hard limit is lower."""
    resource = pytest.importorskip("resource")
    from ordinance.web.app import raise_open_file_limit

    calls = []
    monkeypatch.setattr(resource, "getrlimit", lambda which: (64, 4096))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append(limits))
    assert raise_open_file_limit(1000) is None and calls == [(1000, 4096)]
    note = raise_open_file_limit(10_000)
    assert calls[-1] == (4096, 4096) and "may open 4096 files" in note and "--max-connections" in note
