"""One run of ``ordinance batch``: decide every case of the input into the output, in order.

The run loop (:func:`run`) is the same for both ways of cutting the work: case by case (a
folder, CSV in or out, ``--trace``, ``--as-of``: one *piece* per case) or, for a JSON Lines
file in and out, block by block (:mod:`ordinance.batch.blocks`: one piece per block of lines).
Pieces are decided in this process or by ``--jobs N`` worker processes (:func:`in_order`: each
loads the policy once, a bounded window of tasks in flight) and come back in input order; each
is written at once, whole, with its checkpoint line (:mod:`ordinance.batch.checkpoint`), and
added to the summary.  After the last, the annual quotas are ranked across the batch and the
output patched (:mod:`ordinance.batch.quotas`).

Nothing is lost.  SIGINT or SIGTERM (:class:`_Stop`), or a worker process that died, stops the
run between two pieces: what was written is complete records, the checkpoint is kept, and
``--resume`` goes on from it to the same bytes as one uninterrupted run.  A worker ends with its
parent, even one killed outright.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import OrdinanceError
from ..messages import LANGS, msg
from ..policy import Policy
from . import blocks
from .checkpoint import (ResumeError, Resumed, Writer, changed_block, checkpoint_path, digest, entry, header,
                         piece_of_entry, read_checkpoint)
from .inputs import item_id, items, progress_length
from .options import Options
from .quotas import rank, rewrite
from .records import CSV_COLUMNS, Record, csv_text
from .summary import Piece, Summary, piece_of
from .worker import decide, decide_chunk, init_worker

CHUNK = 16  # cases per task sent to a worker
WINDOW = 4  # tasks in flight per worker: bounds memory while keeping workers busy

#: Exit statuses of an interrupted batch (the output holds complete records; --resume goes on).
INTERRUPTED_STATUS = {"SIGINT": 130, "SIGTERM": 143, "worker": 75}

#: A test hook (not for users): ``mode:N`` stops the run after N cases as if ``mode`` happened:
#: ``sigint``/``sigterm`` (the process signals itself), ``sigkill`` (a record half-written, then
#: killed outright), ``worker`` (the worker deciding case N+1 is killed; with --jobs 2 or more).
#: On the block path the run stops at the first end of a block at or after N cases (``worker``:
#: the block holding line N+1 after where the run began dies); blocks are then one line each, or
#: ``L`` lines with ``mode:N:L``.
TEST_HOOK = "ORDINANCE_TEST_INTERRUPT"


# -------------------------------------------------------------------------------------------------
# The worker pool: pieces decided in input order
# -------------------------------------------------------------------------------------------------

def records(stream: Iterable[tuple[int, tuple]], jobs: int, options: Options, policy: Policy
            ) -> Iterator[tuple[int, Record]]:
    """(progress position, record) for every item, in input order."""
    if jobs <= 1:
        init_worker(options, policy)
        for position, item in stream:
            yield position, decide(item)
        return
    init_worker(options, policy)  # a forked worker inherits the loaded policy
    iterator = iter(stream)

    def chunks() -> Iterator[tuple[list[int], Any, list[tuple]]]:
        while True:
            chunk = list(islice(iterator, CHUNK))
            if not chunk:
                return
            yield [p for p, _ in chunk], decide_chunk, [i for _, i in chunk]

    for positions, done in in_order(chunks(), jobs, jobs * WINDOW, options):
        yield from zip(positions, done)


def block_results(plan: Iterator[blocks.Block], jobs: int, options: Options, policy: Policy
                 ) -> Iterator[tuple[blocks.Block, tuple[Piece, int]]]:
    """(block, (its piece, the crc32 of its input)) for every block, in input order."""
    init_worker(options, policy)
    if jobs <= 1:
        for block in plan:
            yield block, blocks.decide_block(block)
        return
    yield from in_order(((block, blocks.decide_block, block) for block in plan), jobs, jobs * blocks.BLOCK_WINDOW,
                        options)


def in_order(tasks: Iterator[tuple[Any, Any, Any]], jobs: int, window: int, options: Options
             ) -> Iterator[tuple[Any, Any]]:
    """``(tag, fn(arg))`` for each ``(tag, fn, arg)`` of ``tasks``, in their order, computed by
    ``jobs`` worker processes with at most ``window`` tasks in flight (bounding memory while
    keeping the workers busy)."""
    # ProcessPoolExecutor, not Pool: a worker that dies (killed for memory, say) breaks the pool
    # with an error instead of leaving its task waiting forever.
    executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(), initializer=_init_pool_worker,
                                   initargs=(options,))
    try:
        pending: deque = deque()

        def submit() -> bool:
            task = next(tasks, None)
            if task is None:
                return False
            tag, fn, arg = task
            pending.append((tag, executor.submit(fn, arg)))
            return True

        more = True
        while more and len(pending) < window:
            more = submit()
        while pending:
            tag, future = pending.popleft()
            result = future.result()
            if more:
                more = submit()
            yield tag, result
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


# -------------------------------------------------------------------------------------------------
# Interruptions: signals, a worker's end
# -------------------------------------------------------------------------------------------------

class _Stop:
    """While active, SIGINT and SIGTERM only set :attr:`signal`: the run stops between two cases,
    never inside a record.  A second SIGINT interrupts at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> "_Stop":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._saved[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):  # pragma: no cover - not settable here
                    pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


def _init_pool_worker(options: Options) -> None:
    """A worker leaves interruptions to the parent, which stops between cases and shuts it down;
    if the parent dies without doing so (SIGKILL), the worker ends too."""
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _end_with_parent(parent)
    init_worker(options)
    gc.freeze()  # the policy, inherited from the parent, is not walked by every collection (nor copied)


def _end_with_parent(parent: int) -> None:
    """End this worker when its parent dies without shutting it down (SIGKILL): a thread waits on
    the parent's sentinel (readable once the parent is gone).  A worker of a pool waits for tasks
    on a pipe whose writing end it inherited too, so it would never see the parent go."""
    process = multiprocessing.parent_process()
    if process is None or os.getppid() != parent:  # pragma: no cover - not a worker, or already orphaned
        if process is not None:
            os._exit(1)
        return

    def watch() -> None:
        multiprocessing.connection.wait([process.sentinel])
        os._exit(1)  # (nothing of the worker's is worth finishing: the parent writes every record)

    threading.Thread(target=watch, name="ordinance-parent-watch", daemon=True).start()


# -------------------------------------------------------------------------------------------------
# The test hook
# -------------------------------------------------------------------------------------------------

def _hook() -> tuple[str, int, int] | None:
    """The test hook: (mode, N, lines per block on the block path)."""
    spec = os.environ.get(TEST_HOOK, "")
    mode, _, rest = spec.partition(":")
    count, _, lines = rest.partition(":")
    if mode in ("sigint", "sigterm", "sigkill", "worker") and count.isdigit() and (not lines or lines.isdigit()):
        return mode, int(count), max(1, int(lines or 1))
    return None


def _dying(stream: Iterator[tuple[int, tuple]], after: int) -> Iterator[tuple[int, tuple]]:
    """The test hook ``worker``: the case after the first ``after`` kills the worker deciding it."""
    for i, (position, item) in enumerate(stream):
        yield position, (("die",) if i == after else item)


# -------------------------------------------------------------------------------------------------
# The run
# -------------------------------------------------------------------------------------------------

def run(source: Path, kind: str, out: Path, policy: Policy, options: Options, jobs: int = 1,
        progress: bool = False, resume: bool = False) -> Summary:
    """Decide every case of ``source`` into ``out``; rank the quotas across the batch.

    With ``resume``, go on from the checkpoint an interrupted run left (:class:`ResumeError` if
    there is none that fits).  An interrupted run returns a summary whose ``interrupted`` says by
    what; its output holds complete records and its checkpoint is kept.
    """
    import click

    summary = Summary(measure_order=policy.measure_ids())
    lang = options.lang  # the language of this run's words (its records may go on in another: see below)
    if out.exists() and not out.is_file():  # a device or a pipe cannot be ranked in place, nor resumed
        raise ValueError(f"{out} is not a regular file: the output must be one")
    checkpoint = checkpoint_path(out)
    by_blocks = blocks.applies(source, kind, options)
    expected = header(source, kind, policy, options, "blocks" if by_blocks else "cases")
    resumed: Resumed | None = None
    if resume:
        if checkpoint.exists():
            resumed = read_checkpoint(out, checkpoint, expected)
        elif out.exists() and out.stat().st_size > 0:
            raise ResumeError(msg("batch.resume.no-checkpoint", out=out, checkpoint=checkpoint.name))
    entries = resumed.entries if resumed is not None else []
    if resumed is not None and resumed.lang in LANGS and resumed.lang != options.lang:
        # the records go on in the language the run began in: one output, one language
        summary.records_lang = resumed.lang
        options = dataclasses.replace(options, lang=resumed.lang)
    for e in entries:
        summary.add(piece_of_entry(e))
    summary.resumed = summary.cases
    hook = _hook()
    if by_blocks:
        pieces = _block_work(source, jobs, options, policy, entries, summary, hook)
    else:
        pieces = _case_work(source, kind, out, jobs, options, policy, entries, summary, hook)
    shown = entries[-1]["pos"] if entries else 0  # the progress shown
    if resumed is not None and resumed.final is not None:
        pieces.close()
        if digest(out) != resumed.final:
            raise ResumeError(msg("batch.resume.mismatch", out=out, checkpoint=checkpoint))
        rank(summary, policy)  # it had finished: only the checkpoint was left
        checkpoint.unlink()
        return summary
    head = csv_text([list(CSV_COLUMNS)]).encode("utf-8") if options.fmt == "csv" else b""
    first = summary.cases
    bar = None
    with _Stop() as stop:
        writer = Writer(out, checkpoint, resumed.size if resumed else 0, resumed.checkpoint_size if resumed else None,
                        head, expected)
        try:
            if progress:
                bar = click.progressbar(length=progress_length(source, kind, out),
                                        label=msg("batch.note.progress").in_lang(lang), file=sys.stderr)
                bar.__enter__()
                if shown:
                    bar.update(shown)
            for where, position, piece in pieces:
                before = summary.cases
                if hook is not None and hook[0] == "sigkill" and piece.out and first <= hook[1] <= before:
                    writer.tear(piece.out)
                writer.add(piece.out, entry(before + piece.cases, position, where, piece))
                summary.add(piece)
                if bar is not None and position > shown:
                    bar.update(position - shown)
                    shown = position
                if hook is not None and hook[0] in ("sigint", "sigterm") and before < hook[1] <= summary.cases:
                    signal.raise_signal(signal.SIGINT if hook[0] == "sigint" else signal.SIGTERM)
                if stop.signal is not None:
                    summary.interrupted = stop.signal
                    break
        except BrokenProcessPool:
            summary.interrupted = "worker"
        except KeyboardInterrupt:
            summary.interrupted = "SIGINT"
        except OrdinanceError:  # the input cannot be read at all (a CSV header): nothing to resume
            if summary.cases == summary.resumed:
                writer.close()
                checkpoint.unlink(missing_ok=True)
            raise
        finally:
            pieces.close()
            writer.close()
            if bar is not None:
                bar.__exit__(None, None, None)
        if summary.interrupted is not None:
            return summary
        patches = rank(summary, policy)
        if patches:
            rewrite(out, patches, options.fmt, before_replace=writer.final)
        checkpoint.unlink()
    return summary


Work = Iterator[tuple[dict[str, Any], int, Piece]]  # (the piece's input, its progress position, the piece)


def _case_work(source: Path, kind: str, out: Path, jobs: int, options: Options, policy: Policy,
               entries: list[dict[str, Any]], summary: Summary, hook: tuple[str, int, int] | None) -> Work:
    """Case by case: one piece a case, its input named by ``at`` (a file name, ``line N``).
    Resuming, the cases already written are skipped, the last of them checked."""
    stream = items(source, kind, skip=out, limits=options.limits)
    if entries:
        skipped = list(islice(stream, summary.resumed))
        last = entries[-1]
        if len(skipped) < summary.resumed or item_id(skipped[-1][1]) != last["at"]:
            raise ResumeError(msg("batch.resume.input-changed", n=last["n"], at=last["at"]))
    ids: deque[str] = deque()  # the inputs in flight, in order: records come back in the same order

    def noted(pairs: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
        for position, item in pairs:
            ids.append(item_id(item))
            yield position, item

    stream = noted(stream)
    if hook is not None and hook[0] == "worker" and jobs > 1:
        stream = _dying(stream, hook[1] - summary.cases)
    return _case_pieces(records(stream, jobs, options, policy), ids)


def _case_pieces(decided: Iterator[tuple[int, Record]], ids: deque[str]) -> Work:
    try:
        for position, record in decided:
            yield {"at": ids.popleft()}, position, piece_of(record)
    finally:
        decided.close()


def _block_work(source: Path, jobs: int, options: Options, policy: Policy, entries: list[dict[str, Any]],
                summary: Summary, hook: tuple[str, int, int] | None) -> Work:
    """Block by block: one piece a block, its input named by ``in`` (its bytes), ``crc`` and
    ``lines``.  Resuming, every block already written is checked against its checksum."""
    start, line = 0, 1  # where the blocks to decide begin
    if entries:
        changed = changed_block(source, entries)
        if changed is not None:
            first, last = changed["lines"]
            raise ResumeError(msg("batch.resume.lines-changed", first=first, last=last))
        start, line = entries[-1]["in"][1], entries[-1]["lines"][1] + 1
    die_at = hook[1] - summary.cases if hook is not None and hook[0] == "worker" and jobs > 1 else None
    plan = blocks.plan_blocks(source, options.limits, start, line, block_lines=hook[2] if hook is not None else None,
                              die_at=die_at if die_at is None or die_at >= 0 else None)
    return _block_pieces(block_results(plan, jobs, options, policy))


def _block_pieces(decided: Iterator[tuple[blocks.Block, tuple[Piece, int]]]) -> Work:
    try:
        for block, (piece, crc) in decided:
            yield ({"in": [block.start, block.start + block.size], "crc": crc, "lines": [block.line, block.last]},
                   block.last, piece)
    finally:
        decided.close()
