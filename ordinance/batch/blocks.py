"""JSON Lines in blocks: cut the input into blocks of whole lines, and decide a block at once.

The common run -- a JSON Lines file in, JSON Lines out, no ``--trace``, no ``--as-of``
(:func:`applies`) -- spends most of its time on work that does not depend on the case: passing
cases and records between processes one by one, a checkpoint line per case, the JSON hooks that
guard against odd input.  Here the output is the same, but:

- the parent only cuts the input into *blocks* of whole lines (:func:`plan_blocks`: at most
  :data:`BLOCK_BYTES` bytes or :data:`BLOCK_LINES` lines, found by searching for ``\\n`` in C)
  and numbers their lines; a worker reads its block from the file itself (:func:`decide_block`)
  and returns the block's output already encoded, with its numbers (a
  :class:`~ordinance.batch.summary.Piece`).  The parent writes the bytes and *one* checkpoint
  entry per block: its work per block does not grow with the cases in it.
- each line is read by the plain JSON scanner (no Python call per number or object), and only
  when counting the line's brackets, colons and commas proves the result is what the careful
  reader (:func:`ordinance.batch.inputs.json_loads`, then ``check_data``) would give: no key
  twice, no number over the digit limit, nothing too deep or too big.  A one-claim case is then
  decided by ``policy.decide`` and its record written by the engine's
  :func:`~ordinance.decision.decision_line`.
- anything else -- a line that does not start with ``{``, a parse error, a duplicate key, a long
  number, a case that fails, a quota, a record that cannot be written as UTF-8, a line over the
  limit -- goes the general way (:func:`ordinance.batch.worker.decide`) for that line, so error
  records and every other decision are exactly those of the general path.

Money totals are summed exactly (:data:`ordinance.batch.options.EXACT`) in the workers and the
parent, as the general path sums them: the same totals whatever the blocks.
"""

from __future__ import annotations

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
from typing import NamedTuple

from ..decision import decision_line
from ..front.load import Limits
from .inputs import line_too_long
from .options import Options
from .records import Record
from .summary import Piece, Tally
from .worker import decide, state

#: A block holds at most this many bytes of input (unless it is one line longer than that) ...
BLOCK_BYTES = 512 * 1024
#: ... and at most this many lines: the output of a block stays small whatever the lines hold.
BLOCK_LINES = 4096
#: Blocks in flight per worker (one being decided, the next ones waiting): bounds memory.
BLOCK_WINDOW = 3

_READ = 1 << 20
_BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"  # what JSON allows around a value (the careful reader strips \r\n, then allows these)


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



def applies(source: Path, kind: str, options: Options) -> bool:
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


def decide_block(block: Block) -> tuple[Piece, int]:
    """Read and decide every line of ``block``: its output and numbers, and the crc32 of its input."""
    policy, options = state()
    if block.die and multiprocessing.parent_process() is not None:  # the test hook `worker`
        os.kill(os.getpid(), signal.SIGKILL)
    data, crc = _read(block)
    tally = Tally()
    if data is None:  # one line over the limit
        record = decide(line_too_long(block.display, block.line, block.size, options.limits))
        tally.add_record(record)
        return tally.piece(record.out.encode("utf-8")), crc
    try:
        out = "".join(_decide_lines(data, block, policy, options, tally, checked=False)).encode("utf-8")
    except UnicodeEncodeError:  # a record holds a lone surrogate: find it, case by case
        tally = Tally()
        out = "".join(_decide_lines(data, block, policy, options, tally, checked=True)).encode("utf-8")
    return tally.piece(out), crc


def _careful(n: int, raw: bytes, display: str, limits: Limits) -> Record | None:
    """Line ``n`` (its bytes, with its newline if it has one) read exactly as the general path
    reads it (:func:`~ordinance.batch.inputs.items`, then ``decide``); None for a blank line,
    which is no case."""
    if len(raw) > limits.max_line_bytes:
        return decide(line_too_long(display, n, len(raw), limits))
    if n == 1 and raw.startswith(_BOM):
        raw = raw[3:]
    if not raw.strip():
        return None
    return decide(("json", display, n, raw))


def _decide_lines(data: bytes, block: Block, policy, options: Options, tally: Tally, checked: bool) -> list[str]:
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

    Only a batch under one policy takes the fast path (under several, a measure's name in the
    summary may need its policy's id: the general path names it).
    """
    display, limits = block.display, options.limits
    most = limits.integer_digits
    long_digits = re.compile(f"[0-9]{{{most + 1}}}").search
    max_depth, max_nodes = limits.max_depth, limits.max_nodes
    quarter = (limits.max_line_bytes - 1) // 4  # a line of this many characters or fewer is within the limit
    fast = not policy.multi
    under_quota = {key for key, plan in policy.plans.items() if plan.quota is not None}
    policy_decide = policy.decide
    scan = _scanner()
    write = decision_line
    outs: list[str] = []
    append = outs.append
    statuses = tally.statuses
    amounts = tally.amounts
    cases = 0

    def careful(n: int, raw: bytes) -> None:
        nonlocal cases
        tally.cases = tally.rows = cases  # (JSON Lines: one line a case)
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
        if not fast or line[:1] != "{" or len(line) > quarter:
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
            decision = policy_decide(case, name=f"line {n}")
            (result,) = decision.results
            if result.quota is not None or result.status == "undetermined" and result.measure in under_quota:
                raise _Careful  # a contender for a quota, or one that may still be: the general path records it
            out = write(decision)
            if checked:
                out.encode("utf-8")
        except Exception:  # the careful path decides the line again and reports it, a bug as an
            careful(n, line.encode("utf-8") + b"\n")  # internal-error record and exit status 3: never lost
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
        elif status == "undetermined" and result.benefit == "money":
            tally.add_open(result.measure, result.year, result.at_least, result.at_most)
    if tail:
        n += 1
        careful(n, tail if text is None else tail.encode("utf-8"))
    tally.cases = tally.rows = cases
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

