"""The block path of ``ordinance batch``: JSON Lines in and out, whole blocks of lines per task.

The common run -- a JSON Lines file in, JSON Lines out, no ``--trace``, no ``--as-of`` -- spends
most of its time on work that does not depend on the case: passing cases and records between
processes one by one, a checkpoint line per case, the JSON hooks that guard against odd input.
Here (:func:`ordinance.cli.batch.run` chooses it by itself; the output is the same):

- the parent only cuts the input into *blocks* of whole lines (:func:`plan_blocks`: at most
  :data:`BLOCK_BYTES` bytes or :data:`BLOCK_LINES` lines, found by searching for ``\\n`` in C) and
  numbers their lines; a worker reads its block from the file itself (:func:`decide_block`) and
  returns the block's output already encoded, with what the summary and the quotas need in a
  few numbers (:class:`BlockResult`).  The parent writes the bytes and *one* checkpoint entry per
  block, and merges the numbers: its work per block does not grow with the cases in it.
- each line is read by the plain JSON scanner (no Python call per number or object), and only
  when counting the line's brackets, colons and commas proves the result is what the careful
  reader (:func:`ordinance.cli.batch._json_loads`, then ``check_data``) would give: no key twice,
  no number over the digit limit, nothing too deep or too big.  A one-claim case is then decided
  by the engine's express lane (``decide_single``) and its record written by
  :func:`decision_line`, which gives the bytes of ``to_json(decision.to_dict(), indent=None)``.
- anything else -- a line that does not start with ``{``, a parse error, a duplicate key, a long
  number, a case the lane declines, a record that cannot be written as UTF-8, a line over the
  limit -- goes to the general path (:func:`ordinance.cli.batch.decide`) for that line, so error
  records and every other decision are exactly those of the general path.

Money totals for the summary are summed exactly (:data:`ordinance.cli.batch.EXACT`) in the
workers and the parent, as the general path sums them: the same totals whatever the blocks.
"""

from __future__ import annotations

import decimal
import json
import multiprocessing
import os
import re
import signal
import stat
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from .. import values as V
from ..engine.decision import Decision, to_json
from ..engine.load import Limits
from . import batch as B

#: A block holds at most this many bytes of input (unless it is one line longer than that) ...
BLOCK_BYTES = 512 * 1024
#: ... and at most this many lines: the output of a block stays small whatever the lines hold.
BLOCK_LINES = 4096
#: Blocks in flight per worker (one being decided, the next ones waiting): bounds memory.
BLOCK_WINDOW = 3

_READ = 1 << 20
_BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"  # what JSON allows around a value (the careful reader strips \r\n, then allows these)
_ZERO = Decimal(0)
EXACT = B.EXACT  # sums of money, exact


class Block(NamedTuple):
    """Whole lines of the input: ``size`` bytes from byte ``start``, the first being line ``line``."""

    path: str
    display: str
    start: int
    size: int
    line: int
    lines: int  # lines in the block (the last line of a file may lack its newline)
    long: bool = False  # one line over the limit: that case fails and the line is never read whole
    die: bool = False  # the test hook `worker`: the worker deciding this block is killed

    @property
    def last(self) -> int:
        """The number of the block's last line (the progress position)."""
        return self.line + self.lines - 1


class BlockResult(NamedTuple):
    """What a worker returns for a block: its output, and the few numbers the summary needs."""

    out: bytes  # the records, one per case, UTF-8
    cases: int
    errors: int
    internal: int
    error_cases: list[str]  # the first few (at most 5)
    statuses: dict[str, int]  # claims by status
    totals: dict[tuple[str, int | None], Decimal]  # amount due by (measure, year), exact, in first-seen order
    contenders: list[tuple]  # (measure, year, rank, case, claim, index of the case in the block, amount, counted, total)
    crc: int  # zlib.crc32 of the block's input bytes (checked by --resume)


def applies(source: Path, kind: str, options: B.Options) -> bool:
    """Whether a run takes the block path: JSON Lines from a regular file to JSON Lines, with
    neither the trace nor a date of evaluation."""
    if kind != "jsonl" or options.fmt != "jsonl" or options.trace or options.as_of is not None:
        return False
    try:
        return stat.S_ISREG(os.stat(source).st_mode)
    except OSError:
        return False


# -------------------------------------------------------------------------------------------------
# Planning blocks (the parent)
# -------------------------------------------------------------------------------------------------

def plan_blocks(path: Path, limits: Limits, start: int = 0, line: int = 1, block_bytes: int | None = None,
                block_lines: int | None = None, die_at: int | None = None) -> Iterator[Block]:
    """The blocks of ``path`` from byte ``start`` (the beginning of line ``line``), lazily.

    Blocks end after a newline (or at the end of the file).  A line longer than ``block_bytes``
    is a block of its own; if it is also over ``limits.max_line_bytes`` it is marked ``long`` and
    only its length is known (it is read in pieces, never held).  ``die_at``: the block holding
    the line ``die_at`` lines after ``line`` is marked ``die`` (the test hook ``worker``)."""
    name = display = str(path)
    limit = limits.max_line_bytes
    block_bytes = max(1, BLOCK_BYTES if block_bytes is None else block_bytes)
    block_lines = max(1, BLOCK_LINES if block_lines is None else block_lines)
    first = line
    with open(path, "rb") as f:
        f.seek(start)
        pos = start  # the file offset of buf[off]
        buf, off = b"", 0
        eof = False
        while True:
            if not eof and len(buf) - off < block_bytes:  # at least a block's bytes ahead, or the rest
                buf = buf[off:]
                off = 0
                while not eof and len(buf) < block_bytes:
                    more = f.read(max(block_bytes - len(buf), _READ))
                    if more:
                        buf = buf + more if buf else more
                    else:
                        eof = True
            if off >= len(buf):
                return
            stop = off + block_bytes
            cut = buf.rfind(b"\n", off, stop)
            if cut >= 0:  # whole lines, at most block_bytes of them
                end = cut + 1
                lines = buf.count(b"\n", off, end)
                if lines > block_lines:
                    end = off - 1
                    for _ in range(block_lines):
                        end = buf.find(b"\n", end + 1)
                    end += 1
                    lines = block_lines
                size = end - off
                off = end
            elif eof and len(buf) <= stop:  # the last line, without its newline
                size, lines = len(buf) - off, 1
                off = len(buf)
            else:  # one line longer than a block: find its end without holding it
                lines = 1
                nl = buf.find(b"\n", stop)
                if nl >= 0:
                    size = nl + 1 - off
                    off = nl + 1
                else:
                    size = len(buf) - off
                    buf, off = b"", 0
                    while True:
                        more = f.read(_READ)
                        if not more:
                            eof = True
                            break
                        nl = more.find(b"\n")
                        if nl >= 0:
                            size += nl + 1
                            buf = more[nl + 1:]
                            break
                        size += len(more)
            die = die_at is not None and line <= first + die_at < line + lines
            yield Block(name, display, pos, size, line, lines, lines == 1 and size > limit, die)
            pos += size
            line += lines


# -------------------------------------------------------------------------------------------------
# Deciding a block (a worker, or the parent with --jobs 1)
# -------------------------------------------------------------------------------------------------

def _read(block: Block) -> tuple[bytes | None, int]:
    """The block's bytes (None for a long line, which is only checksummed in pieces) and their crc32."""
    with open(block.path, "rb") as f:
        f.seek(block.start)
        if not block.long:
            data = f.read(block.size)
            return data, zlib.crc32(data)
        crc, left = 0, block.size
        while left > 0:
            piece = f.read(min(left, _READ))
            if not piece:
                break
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
        return None, crc


class _Tally:
    """The numbers of one block, as the records come."""

    __slots__ = ("amounts", "cases", "contenders", "error_cases", "errors", "internal", "statuses")

    def __init__(self) -> None:
        self.cases = self.errors = self.internal = 0
        self.error_cases: list[str] = []
        self.statuses: dict[str, int] = {}
        self.amounts: dict[tuple[str, int | None], list[Decimal]] = {}  # by (measure, year), in order
        self.contenders: list[tuple] = []

    def add_record(self, record: B.Record) -> None:
        """A record of the general path (an error, or a case the fast path does not decide)."""
        index = self.cases
        self.cases += 1
        if record.status != "decided":
            self.errors += 1
            self.internal += record.status == "internal"
            if len(self.error_cases) < 5:
                self.error_cases.append(record.case)
        statuses = self.statuses
        for status, measure, year, amount in record.claims:
            statuses[status] = statuses.get(status, 0) + 1
            if amount is not None:
                self.amounts.setdefault((measure, year), []).append(amount)
        for measure, year, rank, claim, _, amount, counted, total in record.contenders:
            self.contenders.append((measure, year, rank, record.case, claim, index, amount, counted, total))

    def result(self, out: bytes, crc: int) -> BlockResult:
        totals: dict[tuple[str, int | None], Decimal] = {}
        for key, amounts in self.amounts.items():
            with decimal.localcontext(EXACT):
                totals[key] = sum(amounts, _ZERO)  # from Decimal(0), as the general path's totals
        return BlockResult(out, self.cases, self.errors, self.internal, self.error_cases, self.statuses, totals,
                           self.contenders, crc)


def decide_block(block: Block) -> BlockResult:
    """Read and decide every line of ``block``; the output and the block's numbers."""
    assert B._STATE is not None, "init_worker() first"
    if block.die and multiprocessing.parent_process() is not None:  # the test hook `worker`
        os.kill(os.getpid(), signal.SIGKILL)
    policy, options = B._STATE
    data, crc = _read(block)
    tally = _Tally()
    if data is None:  # one line over the limit
        record = B.decide(B._line_too_long(block.display, block.line, block.size, options.limits))
        tally.add_record(record)
        return tally.result(record.out.encode("utf-8"), crc)
    try:
        out = "".join(_decide_lines(data, block, policy, options, tally, checked=False)).encode("utf-8")
    except UnicodeEncodeError:  # a record holds a lone surrogate: find it, case by case
        tally = _Tally()
        out = "".join(_decide_lines(data, block, policy, options, tally, checked=True)).encode("utf-8")
    return tally.result(out, crc)


def _careful(n: int, raw: bytes, display: str, limits: Limits) -> B.Record | None:
    """Line ``n`` (its bytes, with its newline if it has one) read exactly as the general path
    reads it (``_jsonl_items``, then ``decide``); None for a blank line, which is no case."""
    if len(raw) > limits.max_line_bytes:
        return B.decide(B._line_too_long(display, n, len(raw), limits))
    if n == 1 and raw.startswith(_BOM):
        raw = raw[3:]
    if not raw.strip():
        return None
    return B.decide(("json", display, n, raw))


def _decide_lines(data: bytes, block: Block, policy, options: B.Options, tally: _Tally, checked: bool) -> list[str]:
    """The records of the lines in ``data``, in order; ``tally`` counts them.  ``checked``: encode
    each record of the fast path on its own (one that cannot be written goes the general way).

    A line takes the fast path only if the careful reader would read the same value from it:

    - it is valid UTF-8 and no longer than a quarter of ``max_line_bytes`` in characters (so
      within the limit in bytes), and starts with ``{`` (not blank, no BOM, no leading space);
    - it holds exactly one ``[`` and two ``{`` (three with an applicant object), so the value has
      no list or object beyond the case, its applicant and its one claim; then it is no deeper
      than ``max_depth`` allows when ``check_data`` would say so;
    - as many ``:`` as the keys of those objects: every ``:`` outside a text separates a key from
      its value, and a key given twice leaves one key in the object for two ``:``, so no key was
      given twice;
    - no run of digits longer than the integer limit, and no more than ``max_nodes`` values (the
      count ``check_data`` makes: brackets, commas and colons);
    - the JSON scanner reads it whole (only blanks after the value).
    """
    from ..errors import OrdinanceError

    display, limits = block.display, options.limits
    most = limits.integer_digits
    long_digits = re.compile(f"[0-9]{{{most + 1}}}").search
    max_depth, max_nodes = limits.max_depth, limits.max_nodes
    quarter = (limits.max_line_bytes - 1) // 4  # a line of this many characters or fewer is within the limit
    lane = not policy.multi
    scan = _scanner()
    write = decision_line
    outs: list[str] = []
    append = outs.append
    statuses = tally.statuses
    amounts = tally.amounts
    cases = 0

    def careful(n: int, raw: bytes) -> None:
        nonlocal cases
        tally.cases = cases
        record = _careful(n, raw, display, limits)
        if record is not None:
            append(record.out)
            tally.add_record(record)
        cases = tally.cases

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    lines = text.split("\n") if text is not None else data.split(b"\n")
    tail = lines.pop()  # "" after a final newline; else the file's last line, without one
    n = block.line - 1
    for line in lines:
        n += 1
        if text is None:  # this block has bytes that are not UTF-8: decode line by line
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                careful(n, line + b"\n")
                continue
        if not lane or line[:1] != "{" or len(line) > quarter:
            careful(n, line.encode("utf-8") + b"\n")
            continue
        try:
            braces = line.count("{")
            colons = line.count(":")
            if line.count("[") != 1 or braces + 1 > max_depth \
                    or (len(line) >= max_nodes and braces + 1 + colons + line.count(",") + 1 > max_nodes) \
                    or (len(line) > most and long_digits(line)):
                raise _Careful
            case, end = scan(line, 0)
            if end != len(line) and line[end:].strip(_WS):
                raise _Careful
            claims = case.get("claims")
            if claims.__class__ is not list or len(claims) != 1:
                raise _Careful
            claim = claims[0]
            if claim.__class__ is not dict:
                raise _Careful
            applicant = case.get("applicant")
            if applicant.__class__ is dict:
                if braces != 3 or colons != len(case) + len(claim) + len(applicant):
                    raise _Careful  # another object, or a key given twice (or a colon inside a text)
            elif braces != 2 or colons != len(case) + len(claim):
                raise _Careful
            try:
                decision = policy.decide(case, f"line {n}")
            except OrdinanceError:
                raise _Careful from None  # the general path reports it
            (result,) = decision.results
            if result.quota is not None:
                raise _Careful  # a contender for a quota: the general path records it
            out = write(decision)
            if checked:
                out.encode("utf-8")
        except Exception:
            careful(n, line.encode("utf-8") + b"\n")
            continue
        append(out)
        cases += 1
        status = result.status
        statuses[status] = statuses.get(status, 0) + 1
        if status == "eligible" and result.benefit == "money" and result.amount is not None:
            key = (result.measure, result.year)
            found = amounts.get(key)
            if found is None:
                amounts[key] = [result.amount]
            else:
                found.append(result.amount)
    if tail:
        n += 1
        careful(n, tail if text is None else tail.encode("utf-8"))
    tally.cases = cases
    return outs


class _Careful(Exception):
    """The fast path cannot vouch for this line: the general path reads it."""


_SCANNER = None


def _scanner():
    """``json.loads`` without its checks of the text around the value and without hooks but
    ``parse_float=Decimal``: ``scan(text, 0)`` -> (value, end), StopIteration on a syntax error."""
    global _SCANNER
    if _SCANNER is None:
        _SCANNER = json.JSONDecoder(parse_float=Decimal).scan_once
    return _SCANNER


# -------------------------------------------------------------------------------------------------
# Writing a decision
# -------------------------------------------------------------------------------------------------

def _no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


try:
    from json.encoder import c_make_encoder as _c_make_encoder
    from json.encoder import encode_basestring as _string
except ImportError:  # pragma: no cover - CPython always has _json
    _c_make_encoder = None
    _string = json.encoder.py_encode_basestring

#: json.dumps(value, ensure_ascii=False, separators=(",", ":")) made once, not per call.
_ENCODER = _c_make_encoder(None, _no_default, _string, None, ":", ",", False, False, True) \
    if _c_make_encoder is not None else None
_HEADS: dict[str, tuple[str, str]] = {}  # policy digest -> (policy id, the text up to the case id)
_MIDDLES: dict[tuple, tuple[str, str]] = {}  # (measure, status, basis, benefit) -> the text around the amount


def _json(value: Any) -> str:
    if _ENCODER is None:  # pragma: no cover
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(_ENCODER(value, 0))


def decision_line(decision: Decision) -> str:
    """``to_json(decision.to_dict(), indent=None)``, the same text, written directly for the usual
    decision (one claim, no trace, no quota, one policy); any other goes through ``to_dict``.

    The keys and their order are those of ``Decision.to_dict`` and ``ClaimResult.to_dict``; texts
    are escaped by the encoder ``json.dumps`` uses; money goes through ``values.money_string``
    (digits, a sign and a point: nothing to escape) and the total is ``Decision.total``'s sum,
    ``Decimal(0) + amount`` in the current context.  ``tests/test_batch_fast.py`` holds the two
    to the same text."""
    results = decision.results
    if len(results) != 1 or len(decision.policies) > 1 or decision.as_of is not None:
        return to_json(decision.to_dict(), indent=None)
    r = results[0]
    if r.quota is not None or r.trace is not None:
        return to_json(decision.to_dict(), indent=None)
    digest = decision.policy_digest
    head = _HEADS.get(digest)
    if head is None or head[0] != decision.policy_id:
        head = _HEADS[digest] = (decision.policy_id, '{"policy":' + _json({"id": decision.policy_id, "digest": digest})
                                 + ',"case":')
    s = _string
    money = V.money_string
    status, benefit, amount = r.status, r.benefit, r.amount
    if amount is None:
        amount_text = "null"
        total_text = money(_ZERO)
    else:
        amount_text = money(amount)
        if status == "eligible" and benefit == "money":
            total = _ZERO + amount
            total_text = amount_text if total == amount else money(total)
        else:
            total_text = money(_ZERO)
        amount_text = '"' + amount_text + '"'
    if r.reasons or r.missing or r.notes or r.policy or r.ceiling is not None or r.duration is not None \
            or r.superseded_by is not None:
        more = ""
        if r.policy:
            more += ',"policy":' + s(r.policy)
        if r.ceiling is not None:
            more += ',"ceiling":' + s(money(r.ceiling))
        if r.duration is not None:
            more += ',"duration":' + s(str(r.duration))
        more += (',"reasons":' + (_json([dict(x) for x in r.reasons]) if r.reasons else "[]")
                 + ',"missing":' + (_json(list(r.missing)) if r.missing else "[]"))
        if r.notes:
            more += ',"notes":' + _json(list(r.notes))
        if r.superseded_by is not None:
            more += ',"superseded_by":' + s(r.superseded_by)
        return (f'{head[1]}{s(decision.case)},"results":[{{"claim":{s(r.claim)},"measure":{s(r.measure)},'
                f'"status":{s(status)},"amount":{amount_text},"basis":{s(r.basis)},"benefit":{s(benefit)}'
                f'{more},"trace":null}}],"total":"{total_text}"}}\n')
    key = (r.measure, status, r.basis, benefit)
    middle = _MIDDLES.get(key)
    if middle is None:
        if len(_MIDDLES) > 1024:
            _MIDDLES.clear()
        middle = _MIDDLES[key] = (',"measure":' + s(key[0]) + ',"status":' + s(status) + ',"amount":',
                                  ',"basis":' + s(key[2]) + ',"benefit":' + s(benefit)
                                  + ',"reasons":[],"missing":[],"trace":null}],"total":"')
    return f'{head[1]}{s(decision.case)},"results":[{{"claim":{s(r.claim)}{middle[0]}{amount_text}{middle[1]}{total_text}"}}\n'


# -------------------------------------------------------------------------------------------------
# Running blocks (the parent)
# -------------------------------------------------------------------------------------------------

def block_results(blocks: Iterator[Block], jobs: int, options: B.Options, policy) -> Iterator[tuple[Block, BlockResult]]:
    """(block, its result) for every block, in input order; in this process or in ``jobs`` workers."""
    B.init_worker(options, policy)
    if jobs <= 1:
        for block in blocks:
            yield block, decide_block(block)
        return
    yield from B.in_order(((block, decide_block, block) for block in blocks), jobs, jobs * BLOCK_WINDOW, options)


def block_entry(n: int, block: Block, result: BlockResult) -> dict[str, Any]:
    """The checkpoint entry of a block (one JSON line after the header, whose ``mode`` is
    ``blocks``): ``n`` cases written so far, ``pos`` the progress position (the block's last
    line), ``in`` the block's byte range in the input and ``crc`` their zlib.crc32, ``lines`` its
    first and last line, ``cases``, ``errors``, ``internal``, ``error_cases`` (the first five),
    ``statuses`` (claims by status), ``totals`` ([measure, year, exact sum as text]), ``contenders`` (quota-bound claims: measure,
    year, tagged rank, case, claim, index of the case in the block, amount, counted, case total),
    and ``end``, where the block's records end in the output (set by the writer)."""
    return {"n": n, "pos": block.last, "in": [block.start, block.start + block.size], "lines": [block.line, block.last],
            "crc": result.crc, "cases": result.cases, "errors": result.errors, "internal": result.internal,
            "error_cases": result.error_cases, "statuses": result.statuses,
            "totals": [[m, y, str(a)] for (m, y), a in result.totals.items()],
            "contenders": [[m, y, B._tag(r), case, claim, i, B._money(a), counted, B._money(t)]
                           for m, y, r, case, claim, i, a, counted, t in result.contenders]}


def result_of(entry: dict[str, Any]) -> BlockResult:
    """A block's numbers read back from its checkpoint entry (its output is already written)."""
    return BlockResult(b"", entry["cases"], entry["errors"], entry["internal"], entry["error_cases"],
                       entry["statuses"], {(m, y): Decimal(a) for m, y, a in entry["totals"]},
                       [(m, y, B._untag(r), case, claim, i, B._unmoney(a), counted, B._unmoney(t))
                        for m, y, r, case, claim, i, a, counted, t in entry["contenders"]], entry["crc"])


class Merger:
    """Adds the blocks' numbers to the summary and the quota pools, in input order."""

    def __init__(self, summary: B.Summary, pools: dict) -> None:
        self.summary, self.pools = summary, pools
        self.where = 0  # the output line of the next case
        self.totals: dict[tuple[str, int | None], Decimal] = {}

    def add(self, result: BlockResult) -> None:
        summary = self.summary
        summary.cases += result.cases
        summary.errors += result.errors
        summary.internal_errors += result.internal
        for name in result.error_cases:
            if len(summary.error_cases) < 5:
                summary.error_cases.append(name)
        summary.statuses.update(result.statuses)
        totals = self.totals
        for key, amount in result.totals.items():
            totals[key] = EXACT.add(totals[key], amount) if key in totals else amount
        where = self.where
        pools = self.pools
        for measure, year, rank, case, claim, index, amount, counted, total in result.contenders:
            pools[(measure, year)].append(B.Contender(rank, case, claim, where + index, amount, counted, total))
        self.where = where + result.cases

    def finish(self) -> None:
        """The totals into the summary, in the order the general path makes them."""
        for key, amount in self.totals.items():
            self.summary.totals[key] = amount


def verify_input(source: Path, entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first block whose input bytes are no longer those the checkpoint saw, or None."""
    with open(source, "rb") as f:
        for entry in entries:
            start, end = entry["in"]
            f.seek(start)
            crc, left = 0, end - start
            while left > 0:
                piece = f.read(min(left, _READ))
                if not piece:
                    return entry
                crc = zlib.crc32(piece, crc)
                left -= len(piece)
            if crc != entry["crc"]:
                return entry
        if entries:  # the next block starts a line (or the last one ended the file)
            end = entries[-1]["in"][1]
            if end > 0:
                f.seek(end - 1)
                if f.read(1) != b"\n" and os.fstat(f.fileno()).st_size != end:
                    return entries[-1]
    return None
