"""The checkpoint beside a batch's output, and ``--resume``.

Beside the output ``OUT``, ``OUT.checkpoint`` (JSON Lines) records what is written, in whole
records: a header line (this run's input, options, policy digest and limits, its ``mode``:
``cases`` or ``blocks``, and ``lang``: the language of the problems in its error records), then one line per *piece* of work written -- one case, or one block of
JSON Lines -- in one format for both modes (:func:`entry`): ``n`` cases written so far, ``pos``
the progress position, the piece's input (``at``: the case's file name or ``line N``; for a
block ``in``: its byte range in the input, ``crc``: their zlib.crc32, ``lines``: its first and
last line), its numbers (``cases``, ``rows``, ``errors``, ``internal``, ``error_cases``,
``statuses``, ``totals``, ``contenders``: what the summary and the quotas need) and ``end``,
where its records end in the output.  The output is written first: a checkpoint line vouches
only for bytes already there (:class:`Writer`).  Just before the ranked output replaces the
output, a last line gives its sha256 (``final``), in case the process dies in between.

``--resume`` (:func:`read_checkpoint`) keeps the complete lines, checks them against this run's
options and against the output, cuts the output back to the last record vouched for, and checks
the input already decided: each case's ``at``, or each block's bytes against its checksum
(:func:`changed_block`).  A checkpoint of another format (an earlier version) is refused.  The
language is not an option to match: a run resumed under another ``--lang`` writes the rest of its
records in the recorded one (the output stays in one language, the same bytes as one run) and says
so; its summary and notes are in the language asked for.  A checkpoint without ``lang`` (written
before it was recorded) goes on in the language asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import signal
import zlib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..messages import join, msg
from .options import Options
from .summary import Piece

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy

#: The checkpoint beside the output: ``OUT.checkpoint``.
CHECKPOINT_SUFFIX = ".checkpoint"
#: 3: one entry format for cases and blocks (2 had one for each; 1 was cases only).
CHECKPOINT_VERSION = 4

#: The writer flushes the output (and the checkpoint lines it vouches for) after this many pieces ...
FLUSH_PIECES = 16
#: ... or this many bytes of output.
FLUSH_BYTES = 1 << 16

_READ = 1 << 20


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + CHECKPOINT_SUFFIX)


class ResumeError(Exception):
    """``--resume`` cannot go on (no checkpoint, another run's checkpoint, a changed input)."""


def write_all(f, data: bytes) -> int:
    view = memoryview(data)
    written = 0
    while written < len(data):
        n = f.write(view[written:])
        written += n or 0
    return written


def json_line(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _tag(value: Any) -> Any:
    """A rank value as JSON, exactly: Decimal and date are tagged so that they read back as such."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, _dt.date):
        return {"t": value.isoformat()}
    if isinstance(value, bool) or not isinstance(value, int):
        return {"s": str(value)}
    return {"i": value}


def _untag(value: Any) -> Any:
    if value is None:
        return None
    kind, text = next(iter(value.items()))
    return {"d": Decimal, "t": _dt.date.fromisoformat, "i": int, "s": str}[kind](text)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _unmoney(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)



def entry(n: int, pos: int, where: dict[str, Any], piece: Piece) -> dict[str, Any]:
    """The checkpoint line of a piece written: ``n`` cases written so far, ``pos`` the progress
    position, ``where`` its input (``at``, or ``in``, ``crc`` and ``lines``), and its numbers
    (``end`` is set by the writer)."""
    out = {"n": n, "pos": pos}
    out.update(where)
    out.update(cases=piece.cases, rows=piece.rows, errors=piece.errors, internal=piece.internal,
               error_cases=piece.error_cases, statuses=piece.statuses,
               totals=[[m, y, str(a)] for (m, y), a in piece.totals.items()],
               contenders=[[m, y, _tag(r), case, claim, row, _money(a), counted, _money(t)]
                           for m, y, r, case, claim, row, a, counted, t in piece.contenders],
               open=[[m, y, n, _money(least), _money(most)] for (m, y), (n, least, most) in piece.open.items()],
               waiting=[list(w) for w in piece.waiting])
    return out


def piece_of_entry(entry: dict[str, Any]) -> Piece:
    """A piece's numbers read back from its checkpoint line (its output is already written)."""
    return Piece(b"", entry["cases"], entry["rows"], entry["errors"], entry["internal"], entry["error_cases"],
                 entry["statuses"], {(m, y): Decimal(a) for m, y, a in entry["totals"]},
                 [(m, y, _untag(r), case, claim, row, _unmoney(a), counted, _unmoney(t))
                  for m, y, r, case, claim, row, a, counted, t in entry["contenders"]],
                 {(m, y): (n, _unmoney(least), _unmoney(most)) for m, y, n, least, most in entry["open"]},
                 [tuple(w) for w in entry["waiting"]])


class Writer:
    """The output and its checkpoint, in whole records.  The output is written first; a checkpoint
    line vouches only for bytes already in the output, so the checkpoint never claims more."""

    def __init__(self, out: Path, checkpoint: Path, size: int, checkpoint_size: int | None, head: bytes,
                 header: dict[str, Any]):
        self.checkpoint = checkpoint
        if checkpoint_size is None:  # a fresh run
            self.out = open(out, "wb", buffering=0)
            self.cp = open(checkpoint, "wb", buffering=0)
            write_all(self.out, head)
            header["start"] = len(head)
            write_all(self.cp, json_line(header))
            size = len(head)
        else:
            self.out = open(out, "r+b", buffering=0)
            self.out.truncate(size)
            self.out.seek(size)
            self.cp = open(checkpoint, "r+b", buffering=0)
            self.cp.truncate(checkpoint_size)
            self.cp.seek(checkpoint_size)
        self.size = self.written = size
        self.chunks: list[bytes] = []
        self.entries: list[tuple[int, bytes]] = []

    def add(self, data: bytes, entry: dict[str, Any]) -> None:
        self.size += len(data)
        entry["end"] = self.size
        self.chunks.append(data)
        self.entries.append((self.size, json_line(entry)))
        if len(self.entries) >= FLUSH_PIECES or self.size - self.written >= FLUSH_BYTES:
            self.flush()  # decisions reach the file as they are made (a reader may follow it)

    def flush(self) -> None:
        if self.chunks:
            data, self.chunks = b"".join(self.chunks), []
            self.written += write_all(self.out, data)
        ready = [line for end, line in self.entries if end <= self.written]
        self.entries = []
        if ready:
            write_all(self.cp, b"".join(ready))

    def tear(self, data: bytes) -> None:
        """The test hook ``sigkill``: half of a record reaches the output, then the process dies."""
        self.flush()
        write_all(self.out, data[: max(len(data) // 2, 1)])
        os.kill(os.getpid(), signal.SIGKILL)

    def final(self, ranked: Path) -> None:
        """The ranked output ``ranked`` is ready to replace the output: say so (its sha256), in case
        the process dies between replacing it and removing the checkpoint."""
        with open(self.checkpoint, "ab", buffering=0) as cp:
            write_all(cp, json_line({"final": digest(ranked)}))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.out.close()
            self.cp.close()


class Resumed(NamedTuple):
    entries: list[dict[str, Any]]
    size: int  # output bytes vouched for
    checkpoint_size: int  # checkpoint bytes read
    final: str | None  # the digest of the finished output, when the run got that far
    lang: str | None = None  # the language of the records written (None: a checkpoint that does not say)


def header(source: Path, kind: str, policy: Policy, options: Options, mode: str = "cases") -> dict[str, Any]:
    return {"checkpoint": CHECKPOINT_VERSION, "mode": mode, "input": str(source.resolve()), "kind": kind,
            "format": options.fmt, "trace": options.trace,
            "as_of": options.as_of.isoformat() if options.as_of else None, "policy": policy.digest,
            "limits": dataclasses.asdict(options.limits), "lang": options.lang}


#: What the header records but a resumed run need not match: ``start`` (where the records begin)
#: and ``lang`` (the language of the error records: a run resumed in another language goes on
#: in the recorded one, so that the output is in one language).
_NOT_COMPARED = ("start", "lang")


def read_checkpoint(out: Path, checkpoint: Path, expected: dict[str, Any]) -> Resumed:
    """The checkpoint's complete lines, checked against this run and against the output."""
    with open(checkpoint, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")[:-1]  # the last piece has no newline: a line half-written, or nothing
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("checkpoint") != CHECKPOINT_VERSION:
        version = header.get("checkpoint") if isinstance(header, dict) else None
        if isinstance(version, int) and 0 < version < CHECKPOINT_VERSION:
            raise ResumeError(msg("batch.resume.unreadable-old", checkpoint=checkpoint, version=version,
                                  reads=CHECKPOINT_VERSION))
        raise ResumeError(msg("batch.resume.unreadable", checkpoint=checkpoint))
    differs = [key for key in expected if key not in _NOT_COMPARED and header.get(key) != expected[key]]
    if differs:
        said = {"input": msg("batch.resume.option.input"), "kind": msg("batch.resume.option.input"),
                "format": "--format", "trace": "--trace", "as_of": "--as-of",
                "policy": msg("batch.resume.option.policy"), "limits": msg("batch.resume.option.limits"),
                "mode": msg("batch.resume.option.mode")}
        raise ResumeError(msg("batch.resume.other-options", out=out,
                              options=join(dict.fromkeys(said.get(k, k) for k in differs))))
    lang = header.get("lang") if isinstance(header.get("lang"), str) else None  # (absent: written before it was kept)
    entries: list[dict[str, Any]] = []
    final = None
    used = len(lines[0]) + 1
    for line in lines[1:]:
        try:
            entry = json.loads(line)
        except ValueError:
            break
        if "final" in entry:  # not kept: a run that goes on writes its own
            final = entry["final"]
            break
        entries.append(entry)
        used += len(line) + 1
    try:
        out_size = out.stat().st_size
    except OSError:
        raise ResumeError(msg("batch.resume.missing", out=out)) from None
    while entries and entries[-1]["end"] > out_size:  # cannot happen unless the output was cut
        entries.pop()
        final = None
    size = entries[-1]["end"] if entries else header["start"]
    if out_size < size:
        raise ResumeError(msg("batch.resume.shorter", out=out))
    if final is not None and out_size != size:
        return Resumed(entries, size, used, final, lang)  # the ranked output may be in place: run() compares
    with open(out, "rb") as f:
        newlines = 0
        left = size
        last = b"\n"
        while left > 0:
            block = f.read(min(left, 1 << 20))
            if not block:
                break
            newlines += block.count(b"\n")
            left -= len(block)
            last = block[-1:]
    whole = last == b"\n" or size == 0
    if not whole or (expected["format"] == "jsonl" and newlines != (entries[-1]["n"] if entries else 0)):
        raise ResumeError(msg("batch.resume.mismatch", out=out, checkpoint=checkpoint))
    return Resumed(entries, size, used, None, lang)


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()



def changed_block(source: Path, entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first block whose input bytes are no longer those the checkpoint saw, or None."""
    with open(source, "rb") as f:
        for e in entries:
            start, end = e["in"]
            f.seek(start)
            crc, left = 0, end - start
            while left > 0:
                piece = f.read(min(left, _READ))
                if not piece:
                    return e
                crc = zlib.crc32(piece, crc)
                left -= len(piece)
            if crc != e["crc"]:
                return e
        if entries:  # the next block starts a line (or the last one ended the file)
            end = entries[-1]["in"][1]
            if end > 0:
                f.seek(end - 1)
                if f.read(1) != b"\n" and os.fstat(f.fileno()).st_size != end:
                    return entries[-1]
    return None
