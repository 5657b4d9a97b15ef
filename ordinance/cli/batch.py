"""``ordinance batch``: decide many cases, streaming, with annual quotas ranked across them.

Input is read lazily, one case at a time: a folder of case files (``*.yaml``, ``*.yml``,
``*.json``, in sorted name order), a JSON Lines file (one case per line) or a CSV file (one
claim per row; consecutive rows with the same ``case`` form one case).  Each case is decided
on its own (in this process, or in ``--jobs N`` worker processes that each load the policy
once) and its decision is written at once, in input order, as one JSON line or as one CSV row
per claim.  Nothing holds all cases or all decisions.

A case that cannot be read or decided becomes an error record in its place
(``"status": "error"`` with its problems); the others go on.

Annual quotas (``quota: {count: 10, per: year}``) rank claims of *different* cases, which one
case alone cannot do.  Pass one keeps only a small tuple per quota-bound claim (measure, year,
rank value, case id, claim id, where it was written); after the last case they are ranked
exactly as :func:`ordinance.rules.quotas.apply_quotas` ranks the decisions of
``Policy.evaluate_many`` (same key, same ties, same notes and reasons), and pass two rewrites
the output file line by line into a temporary file, patching those claims, then replaces the
output atomically.

Nothing is lost.  Every input case appears in the output exactly once, decided or failed; a
line of input longer than ``Limits.max_line_bytes`` is that case failing (``line-too-long``),
skipped without being read into memory.  Records are written whole (never a part of one), and
beside the output a *checkpoint* (``OUT.checkpoint``, JSON Lines) records, for every case
written, where its record ends and the little the summary and the quotas need.  A run stopped
by SIGINT or SIGTERM, or by a worker process that died, writes what is complete, keeps the
checkpoint and says how to go on; ``--resume`` reads the checkpoint, cuts the output back to the
last record it vouches for (a record half-written by a hard kill is dropped), skips the cases
already decided and appends the rest, and ranks the quotas over all of them, earlier ones
included: the output is then byte for byte what one uninterrupted run writes.  The checkpoint
is removed when the run is complete.

The common run -- a JSON Lines file in, JSON Lines out, no ``--trace``, no ``--as-of`` -- takes
the block path of :mod:`ordinance.cli.batch_fast`: workers decide whole blocks of lines (up to
half a MiB or 4,096 lines) and the checkpoint holds one entry per block, with the block's input
bytes (range and checksum) and its numbers.  The output is the same; an interruption then stops
between two *blocks* (what was written is whole blocks of complete records), and ``--resume``
checks every resumed block's input against its checksum.  Every other run (a folder, CSV in or
out, ``--trace``, ``--as-of``) goes case by case, one checkpoint entry per case.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import decimal
import functools
import gc
import hashlib
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from .. import values as V
from ..engine.decision import Decision, to_json
from ..rules.quotas import QuotaPlace, rank_quota
from ..engine.load import DEFAULT_LIMITS, DuplicateKey, Limits, check_data, decode, load_file, no_duplicate_keys
from ..engine.trace import json_value
from ..errors import CaseError, Location, OrdinanceError, PolicyError, Problem
from ..policy import Policy, bundled_policy_dir, load_policy

#: File suffixes read from a folder of cases.
CASE_SUFFIXES = (".yaml", ".yml", ".json")

#: The columns of CSV output, in order.
CSV_COLUMNS = ("case", "claim", "measure", "status", "amount", "basis", "benefit", "reasons", "missing",
               "superseded_by", "quota", "quota_position", "problems")

#: Columns of CSV input that are not facts.
CSV_CLAIM_COLUMNS = ("id", "measure", "date", "project", "note")

#: Sums of money in the summary, exact: as many digits as they need (the default context's 28
#: would round a total past 10^26 yuan).
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                        traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero])

CHUNK = 16  # cases per task sent to a worker
WINDOW = 4  # tasks in flight per worker: bounds memory while keeping workers busy


@dataclasses.dataclass(frozen=True)
class Options:
    """What every worker needs to decide a case the same way."""

    policy_paths: tuple[str, ...]  # empty: the bundled policy
    trace: bool
    as_of: _dt.date | None
    fmt: str  # jsonl | csv
    debug: bool = False  # ORDINANCE_DEBUG: let internal errors raise
    limits: Limits = DEFAULT_LIMITS  # for case files, lines of input and the data they hold


class Contender(NamedTuple):
    """A quota-bound eligible claim, as pass one remembers it (no decision is kept)."""

    rank: Any  # the value of the quota's rank_by (Decimal or date), or None
    case: str
    claim: str
    where: int  # the output line (jsonl) or data row (csv) holding the claim
    amount: Decimal | None  # exact, as decided
    counted: bool  # whether the amount is in the decision's total (an eligible money claim)
    case_total: Decimal  # the decision's total, exact (for jsonl patches)


class Record(NamedTuple):
    """What a worker returns for one case: the output and the small facts the summary needs."""

    case: str
    out: str  # one JSON line, or CSV rows (already formatted)
    rows: int  # CSV data rows in ``out`` (0 for jsonl)
    claims: list[tuple[str, str, int | None, Decimal | None]]  # (status, measure, year, amount due)
    contenders: list[tuple[str, int | None, Any, str, int, Decimal | None, bool, Decimal]]
    status: str  # decided | error | internal


# -------------------------------------------------------------------------------------------------
# Input: lazy iterators of picklable items, each with a progress position
# -------------------------------------------------------------------------------------------------

def input_kind(path: Path) -> str | None:
    """``folder``, ``jsonl`` or ``csv`` for a batch input, or None when it is none of them."""
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return None


def items(source: Path, kind: str, skip: Path | None = None, limits: Limits = DEFAULT_LIMITS
          ) -> Iterator[tuple[int, tuple]]:
    """(progress position, item) for every case of ``source``, read lazily (``skip``: the output)."""
    if kind == "folder":
        return _folder_items(source, skip)
    if kind == "jsonl":
        return _jsonl_items(source, limits)
    return _csv_items(source, limits)


def progress_length(source: Path, kind: str, skip: Path | None = None) -> int:
    """The last progress position: files in a folder, lines in a file."""
    if kind == "folder":
        return len(_folder_files(source, skip))
    count = 0
    last = b"\n"
    with open(source, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _folder_files(folder: Path, skip: Path | None = None) -> list[str]:
    skipped = skip.resolve() if skip is not None else None
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in CASE_SUFFIXES and p.is_file()
                  and (skipped is None or p.resolve() != skipped))


def _folder_items(folder: Path, skip: Path | None = None) -> Iterator[tuple[int, tuple]]:
    for i, name in enumerate(_folder_files(folder, skip), start=1):
        yield i, ("file", str(folder / name), name)


def _line_too_long(display: str, n: int, size: int, limits: Limits) -> tuple:
    return ("bad", f"line {n}", [Problem(
        "line-too-long", f"the line is {size} bytes or more, over the limit of {limits.max_line_bytes}",
        Location(display, n, 1), "one case per line; raise the limit (max_line_bytes, --max-line-bytes) "
        "if the case is genuine")])


def _skip_rest(f, first: int) -> int:
    """Read (and drop) the rest of an over-long line; its size in bytes (units for text)."""
    size = first
    while True:
        chunk = f.readline(1 << 16)
        size += len(chunk)
        if not chunk or chunk.endswith(("\n" if isinstance(chunk, str) else b"\n")):
            return size


def _jsonl_items(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, tuple]]:
    display = str(path)
    limit = limits.max_line_bytes
    with open(path, "rb") as f:
        n = 0
        while True:
            raw = f.readline(limit + 1)  # never more than the limit in memory
            if not raw:
                return
            n += 1
            if len(raw) > limit:
                size = len(raw) if raw.endswith(b"\n") else _skip_rest(f, len(raw))
                yield n, _line_too_long(display, n, size, limits)
                continue
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            yield n, ("json", display, n, raw)


class _LineTooLong(Exception):
    def __init__(self, line: int, size: int):
        super().__init__(line)
        self.line, self.size = line, size


class _Lines:
    """The lines of a text file for ``csv.reader``, each at most ``limit`` bytes: a longer one is
    skipped and raised as :class:`_LineTooLong` (once), and the lines after it follow."""

    def __init__(self, f, limit: int):
        self.f, self.limit, self.n = f, limit, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.f.readline(self.limit + 1)  # characters: at most 4 bytes each
        if not line:
            raise StopIteration
        self.n += 1
        if len(line) > self.limit:
            raise _LineTooLong(self.n, _skip_rest(self.f, len(line)))
        if len(line) * 4 > self.limit and len(line.encode("utf-8", "surrogateescape")) > self.limit:
            raise _LineTooLong(self.n, len(line.encode("utf-8", "surrogateescape")))
        return line


def _csv_items(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, tuple]]:
    display = str(path)
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        lines = _Lines(f, limits.max_line_bytes)
        reader = csv.reader(lines)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CaseError([Problem("csv-syntax", f"the header row cannot be read: {exc}",
                                     Location(display, 1, 1))]) from None
        except _LineTooLong as exc:
            raise CaseError([Problem("line-too-long", f"the header row is {exc.size} bytes or more, over the "
                                     f"limit of {limits.max_line_bytes}", Location(display, 1, 1))]) from None
        header = [_clean(h).strip() for h in header]
        seen: dict[str, int] = {}
        for i, name in enumerate(header, start=1):
            if name and name in seen:
                raise CaseError([Problem("csv-header", f"the column `{name}` appears twice "
                                         f"(columns {seen[name]} and {i})", Location(display, 1, i))])
            seen[name] = i
        header_t = tuple(header)
        case_col = seen.get("case")
        group: list[tuple[int, list[str]]] = []
        key: str | None = None
        while True:
            start = lines.n + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, _LineTooLong) as exc:
                if group:
                    yield start - 1, ("csv", display, header_t, group)
                    group = []
                if isinstance(exc, _LineTooLong):
                    yield lines.n, _line_too_long(display, exc.line, exc.size, limits)
                else:
                    yield lines.n, ("bad", f"line {start}",
                                    [Problem("csv-syntax", f"the row cannot be read: {exc}",
                                             Location(display, start, 1))])
                key = None
                continue
            if not any(cell.strip() for cell in row):
                continue
            row_key = row[case_col - 1].strip() if case_col is not None and case_col <= len(row) else ""
            if group and (not row_key or row_key != key):
                yield start - 1, ("csv", display, header_t, group)
                group = []
            key = row_key
            group.append((start, row))
        if group:
            yield lines.n, ("csv", display, header_t, group)


# -------------------------------------------------------------------------------------------------
# Deciding one case (in this process or a worker)
# -------------------------------------------------------------------------------------------------

_STATE: tuple[Policy, Options] | None = None


def init_worker(options: Options, policy: Policy | None = None) -> None:
    """Load the policy once per process (a forked worker inherits it from the parent)."""
    global _STATE
    if policy is None and _STATE is not None and _STATE[1].policy_paths == options.policy_paths:
        policy = _STATE[0]
    if policy is None:
        paths = list(options.policy_paths) or bundled_policy_dir()
        policy = load_policy(paths)
    _STATE = (policy, options)


def decide_chunk(chunk: list[tuple]) -> list[Record]:
    return [decide(item) for item in chunk]


def decide(item: tuple) -> Record:
    """Read and decide one case; every failure becomes an error record."""
    from ..engine.case import read_case, read_plain_case

    assert _STATE is not None, "init_worker() first"
    if item[0] == "die" and multiprocessing.parent_process() is not None:  # the test hook `worker`
        os.kill(os.getpid(), signal.SIGKILL)
    policy, options = _STATE
    name = _fallback_name(item)
    try:
        if item[0] == "bad":
            return _error_record(item[1], "CaseError", item[2], options)
        data, loaded, problems, read_name = _load(item, policy, options.limits)
        name = _data_name(data, name)
        if loaded is None and not problems and not options.trace and options.as_of is None:
            decision = policy.decide(data, read_name)  # the engine's dispatch (a CaseError: see below)
            return _checked(_decided([r.measure for r in decision.results], decision, options), name, item, options)
        try:
            case = (read_plain_case(data, policy, read_name) if loaded is None and not problems else None) \
                or read_case(data, policy, read_name, loaded)
        except CaseError as exc:
            raise CaseError(problems + exc.problems) from None
        if problems:
            raise CaseError(problems)
        decision = policy.evaluate(case, trace=options.trace, as_of=options.as_of)
        record = _decided([c.measure for c in case.claims], decision, options)
    except OrdinanceError as exc:
        return _error_record(name, type(exc).__name__, _locate(exc.problems, item), options)
    except RecursionError:
        return _error_record(name, "CaseError", [Problem(
            "too-deep", "the case is nested too deeply to read", _item_location(item))], options)
    except Exception as exc:  # a bug: keep the batch going, report it in place and in the exit status
        if options.debug:
            raise
        return _error_record(name, type(exc).__name__, [Problem(
            "internal-error", f"internal error ({type(exc).__name__}: {exc}); this is a bug, please report it "
            "with this case (ORDINANCE_DEBUG=1 shows details)", _item_location(item))], options, internal=True)
    return _checked(record, name, item, options)


def _checked(record: Record, name: str, item: tuple, options: Options) -> Record:
    """``record``, or an error record if its text cannot be written as UTF-8."""
    try:
        record.out.encode("utf-8")
    except UnicodeEncodeError as exc:
        return _error_record(name, "CaseError", [Problem(
            "encoding", f"the case holds text that is not valid Unicode (a lone surrogate "
            f"U+{ord(exc.object[exc.start]):04X})", _item_location(item),
            "write text as UTF-8; do not escape half of a surrogate pair")], options)
    return record


def _fallback_name(item: tuple) -> str:
    """The id of a case that gives none (or cannot be read): its file name, or `line N`."""
    kind = item[0]
    if kind == "file":
        return _clean(item[2])
    if kind == "json":
        return f"line {item[2]}"
    if kind == "csv":
        line, row = item[3][0]
        return _csv_key(item[2], row) or f"line {line}"
    return _clean(str(item[1]))


def _item_location(item: tuple) -> Location | None:
    kind = item[0]
    if kind == "file":
        return Location(item[1], 1, 1)
    if kind == "json":
        return Location(item[1], item[2], 1)
    if kind == "csv":
        return Location(item[1], item[3][0][0], 1)
    return None


def _load(item: tuple, policy: Policy, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, Any, list[Problem], str]:
    """(case data, the LoadedFile or None, problems found while reading, name for read_case)."""
    kind = item[0]
    if kind == "file":
        _, path, name = item
        try:
            loaded = load_file(path, path, limits)
        except PolicyError as exc:  # the loader's errors are about this case file
            raise CaseError(exc.problems, exc.sources) from None
        return loaded.data, loaded, [], _clean(name)
    if kind == "json":
        _, display, n, raw = item
        try:
            text = decode(raw, display)
        except PolicyError as exc:
            problem = exc.problems[0]
            column = problem.location.column if problem.location else 1
            raise CaseError([dataclasses.replace(problem, location=Location(display, n, column))]) from None
        data = _json_loads(text.rstrip("\r\n"), display, n, limits)
        try:
            check_data(data, display, limits, Location(display, n, 1), text)
        except PolicyError as exc:
            raise CaseError(exc.problems) from None
        return data, None, [], f"line {n}"
    if kind == "csv":
        _, display, header, rows = item
        data, problems = _csv_case(header, rows, display, policy)
        return data, None, problems, _fallback_name(item)
    raise ValueError(f"unknown batch item {kind!r}")


def _data_name(data: Any, fallback: str) -> str:
    if isinstance(data, dict) and isinstance(data.get("case"), (str, int)) and not isinstance(data["case"], bool):
        return _clean(str(data["case"]))
    return fallback


class _TooManyDigits(Exception):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _json_loads(text: str, display: str, n: int, limits: Limits = DEFAULT_LIMITS) -> Any:
    most = limits.integer_digits

    def integer(digits: str) -> int:
        if len(digits) - digits.startswith("-") > most:
            raise _TooManyDigits(len(digits) - digits.startswith("-"))
        return int(digits)

    try:
        return json.loads(text, parse_float=Decimal, parse_int=integer, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CaseError([Problem("json-syntax", f"{exc.msg} (line {n} is not one JSON value)",
                                 Location(display, n, exc.colno),
                                 "JSON Lines holds one case per line, as one JSON object")]) from None
    except DuplicateKey as exc:
        raise CaseError([Problem("duplicate-key", f"the key `{_clean(exc.key)}` appears twice in one object",
                                 Location(display, n, 1))]) from None
    except _TooManyDigits as exc:
        raise CaseError([Problem("literal-too-long", f"a number has {exc.digits} digits, over the limit of {most}",
                                 Location(display, n, 1), "no amount needs so many digits: check the value "
                                 "(or raise max_literal_digits)")]) from None
    except RecursionError:
        raise CaseError([Problem("too-deep", f"nesting deeper than {limits.max_depth} levels",
                                 Location(display, n, 1), "flatten the data")]) from None


def _csv_key(header: tuple[str, ...], row: list[str]) -> str:
    try:
        i = header.index("case")
    except ValueError:
        return ""
    return _clean(row[i]).strip() if i < len(row) else ""


def _csv_case(header: tuple[str, ...], rows: list[tuple[int, list[str]]], display: str,
              policy: Policy) -> tuple[dict[str, Any], list[Problem]]:
    """The case data for a group of CSV rows, and the problems found in the cells themselves."""
    problems: list[Problem] = []
    applicant: dict[str, Any] = {}
    applicant_at: dict[str, tuple[int, int]] = {}
    claims: list[dict[str, Any]] = []
    key = _csv_key(header, rows[0][1])
    for line, row in rows:
        claim: dict[str, Any] = {}
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            problems.append(Problem("csv-extra-cells", f"the row has {len(row)} cells but the header names "
                                    f"{len(header)} columns", Location(display, line, len(header) + 1)))
        for col, (name, raw) in enumerate(zip(header, row), start=1):
            cell = _clean(raw).strip()
            if cell != raw.strip():
                problems.append(Problem("encoding", "the cell is not valid UTF-8", Location(display, line, col),
                                        "save the file as UTF-8"))
            if not cell or name == "case":
                continue
            if not name:
                problems.append(Problem("csv-header", "a cell under a column without a name",
                                        Location(display, line, col)))
                continue
            if name.startswith("applicant."):
                fact = name[len("applicant."):]
                value = _csv_value(cell, policy.applicant_facts.get(name))
                if fact in applicant and applicant[fact] != value:
                    first_line, _ = applicant_at[fact]
                    problems.append(Problem(
                        "csv-conflict", f"`{name}` is {applicant[fact]!r} on line {first_line} but {value!r} here: "
                        f"the rows of case `{key}` describe one applicant", Location(display, line, col),
                        path=name))
                    continue
                applicant[fact] = value
                applicant_at.setdefault(fact, (line, col))
            else:  # id, measure, date, project, note, or a fact of the claim
                claim[name] = cell
        if claim.get("measure"):
            program = policy.find_measure(claim["measure"])
            if program is not None:
                for name in list(claim):
                    if name not in CSV_CLAIM_COLUMNS:
                        claim[name] = _csv_value(claim[name], program.claim_facts.get(f"claim.{name}"))
        claims.append(claim)
    data: dict[str, Any] = {}
    if key:
        data["case"] = key
    if applicant:
        data["applicant"] = applicant
    data["claims"] = claims
    return data, problems


def _csv_value(cell: str, fact) -> Any:
    """A cell as the value of ``fact``: text, except true/false for booleans and `a; b` for lists."""
    if fact is None:
        return cell
    name = fact.type.name
    if name == "bool" and cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    if name == "list":
        element = fact.type.element
        parts = [p.strip() for p in cell.split(";") if p.strip()]
        if element is not None and element.name == "bool":
            return [p.lower() == "true" if p.lower() in ("true", "false") else p for p in parts]
        return parts
    return cell


def _locate(problems: list[Problem], item: tuple) -> list[Problem]:
    """Give problems without a location the line (and for CSV the cell) of the case."""
    kind = item[0]
    if kind not in ("json", "csv"):
        return list(problems)
    out = []
    for p in problems:
        if p.location is None:
            if kind == "json":
                p = dataclasses.replace(p, location=Location(item[1], item[2], 1))
            else:
                p = dataclasses.replace(p, location=_csv_location(p.path, item[1], item[2], item[3]))
        out.append(p)
    return sorted(out, key=Problem.sort_key)


def _csv_location(path: str | None, display: str, header: tuple[str, ...], rows) -> Location:
    """``claims[1].annual_sales`` -> the second row of the case, in the column annual_sales."""
    line = rows[0][0]
    column = None
    if path and path.startswith("claims["):
        index, _, rest = path[len("claims["):].partition("]")
        if index.isdigit() and int(index) < len(rows):
            line = rows[int(index)][0]
        column = rest.lstrip(".").split(".")[0].split("[")[0] or None
    elif path and path.startswith("applicant."):
        column = path
        for ln, row in rows:
            i = header.index(path) if path in header else -1
            if 0 <= i < len(row) and row[i].strip():
                line = ln
                break
    col = header.index(column) + 1 if column in header else 1
    return Location(display, line, col)


def _decided(keys: list[str], decision: Decision, options: Options) -> Record:
    """The record of a decided case; ``keys`` name each claim's measure as the policy does
    (``policy-id:measure`` when ids collide)."""
    tallies = []
    contenders = []
    total = decision.total
    rows_out: list[list[str]] = []
    for i, (r, key) in enumerate(zip(decision.results, keys)):
        counted = r.status == "eligible" and r.benefit == "money" and r.amount is not None
        tallies.append((r.status, key, r.year, r.amount if counted else None))
        if r.quota is not None and r.status == "eligible":
            contenders.append((key, r.year, r.rank, r.claim, i, r.amount, counted, total))
        if options.fmt == "csv":
            quota = r.quota or {}
            rows_out.append([
                decision.case, r.claim, key, r.status, V.money_string(r.amount) if r.amount is not None else "",
                r.basis, r.benefit, ";".join(str(x.get("code", "")) for x in r.reasons), ";".join(r.missing),
                r.superseded_by or "", str(quota.get("status", "")), str(quota.get("position", "")), ""])
    if options.fmt == "csv":
        if not rows_out:  # a case without claims still appears once
            rows_out.append([decision.case, "", "", "no-claims", "", "", "", "", "", "", "", "", ""])
        out = _csv_text(rows_out)
        return Record(decision.case, out, len(rows_out), tallies, contenders, "decided")
    return Record(decision.case, to_json(decision.to_dict(), indent=None), 0, tallies, contenders, "decided")


def _error_record(name: str, error: str, problems: list[Problem], options: Options,
                  internal: bool = False) -> Record:
    name = _clean(name)
    status = "internal" if internal else "error"
    if options.fmt == "csv":
        text = "; ".join(f"{p.code}{' at ' + p.path if p.path else ''}"
                         f"{' (' + str(p.location) + ')' if p.location else ''}: {p.message}"
                         f"{' (' + p.hint + ')' if p.hint else ''}" for p in problems)
        out = _csv_text([[name, "", "", "error", "", "", "", ";".join(p.code for p in problems), "", "", "", "",
                          _clean(text)]])
        return Record(name, out, 1, [], [], status)
    data = {"case": name, "status": "error", "error": error, "problems": [p.to_dict() for p in problems]}
    text = to_json(data, indent=None)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _clean(text)
    return Record(name, text, 0, [], [], status)


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _clean(text: str) -> str:
    """Text safe to write as UTF-8: each undecodable byte or lone surrogate becomes U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


# -------------------------------------------------------------------------------------------------
# Running a batch
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


@dataclasses.dataclass
class Summary:
    """What the batch came to, without any decision: counts and amounts."""

    cases: int = 0
    errors: int = 0
    internal_errors: int = 0
    error_cases: list[str] = dataclasses.field(default_factory=list)  # the first few
    statuses: Counter = dataclasses.field(default_factory=Counter)
    totals: dict[tuple[str, int | None], Decimal] = dataclasses.field(default_factory=lambda: defaultdict(Decimal))
    quotas: list[tuple[str, int | None, int, int, int]] = dataclasses.field(default_factory=list)
    measure_order: list[str] = dataclasses.field(default_factory=list)
    interrupted: str | None = None  # SIGINT | SIGTERM | worker: the run stopped early
    resumed: int = 0  # cases decided by the interrupted run this one resumed

    def render(self, out: str, fmt: str) -> str:
        cases = f"{self.cases} case{'s' if self.cases != 1 else ''}"
        lines = [f"decided {self.cases - self.errors} of {cases} -> {out} ({fmt})"]
        if not self.cases:
            lines.append("  no cases found (a folder holds *.yaml, *.yml and *.json case files)")
        if self.statuses:
            order = ["eligible", "ineligible", "undetermined", "superseded"]
            names = order + sorted(s for s in self.statuses if s not in order)
            lines.append("  claims: " + ", ".join(f"{self.statuses[s]} {s}" for s in names if self.statuses[s]))
        if self.errors:
            shown = ", ".join(self.error_cases) + (", ..." if self.errors > len(self.error_cases) else "")
            lines.append(f"  errors: {self.errors} case{'s' if self.errors != 1 else ''} could not be decided "
                         f"({shown}); see their records in the output")
        for measure, year, ranked, awarded, exceeded in self.quotas:
            lines.append(f"  quota {measure} {_year(year)}: {ranked} ranked, "
                         f"{awarded} awarded, {exceeded} beyond the quota")
        if self.totals:
            lines.append("  amount due (eligible money claims), by measure and year:")
            rank = {m: i for i, m in enumerate(self.measure_order)}
            keys = sorted(self.totals, key=lambda k: (rank.get(k[0], len(rank)), k[0],
                                                      k[1] if k[1] is not None else 10 ** 6))
            rows = [(measure, _year(year), self.totals[(measure, year)]) for measure, year in keys]
            by_year: dict[int | None, Decimal] = defaultdict(Decimal)
            for (measure, year), amount in self.totals.items():
                by_year[year] = EXACT.add(by_year[year], amount)
            if len(by_year) > 1:
                rows += [("all measures", _year(year), by_year[year])
                         for year in sorted(by_year, key=lambda y: y if y is not None else 10 ** 6)]
            rows.append(("total", "", functools.reduce(EXACT.add, self.totals.values(), Decimal(0))))
            width = max(len(r[0]) for r in rows)
            figure = max(len(_figure(r[2])) for r in rows)
            for name, year, amount in rows:
                chinese = V.chinese_amount(Decimal(V.money_string(amount)))
                lines.append(f"    {name:<{width}}  {year:<7}  {_figure(amount):>{figure}} 元"
                             + (f" ({chinese})" if chinese else ""))
        return "\n".join(lines) + "\n"


def _year(year: int | None) -> str:
    return str(year) if year is not None else "undated"


def _figure(amount: Decimal) -> str:
    return f"{Decimal(V.money_string(amount)):,.2f}"


# -------------------------------------------------------------------------------------------------
# Checkpoints, interruption and --resume
# -------------------------------------------------------------------------------------------------

#: The checkpoint beside the output: ``OUT.checkpoint``.
CHECKPOINT_SUFFIX = ".checkpoint"
CHECKPOINT_VERSION = 2

#: Exit statuses of an interrupted batch (the output holds complete records; --resume goes on).
INTERRUPTED_STATUS = {"SIGINT": 130, "SIGTERM": 143, "worker": 75}

#: A test hook (not for users): ``mode:N`` stops the run after N cases as if ``mode`` happened:
#: ``sigint``/``sigterm`` (the process signals itself), ``sigkill`` (a record half-written, then
#: killed outright), ``worker`` (the worker deciding case N+1 is killed; with --jobs 2 or more).
#: On the block path the run stops at the first end of a block at or after N cases (``worker``:
#: the block holding line N+1 after where the run began dies); blocks are then one line each, or
#: ``L`` lines with ``mode:N:L``.
TEST_HOOK = "ORDINANCE_TEST_INTERRUPT"


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + CHECKPOINT_SUFFIX)


class ResumeError(Exception):
    """``--resume`` cannot go on (no checkpoint, another run's checkpoint, a changed input)."""


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


def _write_all(f, data: bytes) -> int:
    view = memoryview(data)
    written = 0
    while written < len(data):
        n = f.write(view[written:])
        written += n or 0
    return written


def _json_line(data: Any) -> bytes:
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


def _entry(n: int, item_id: str, position: int, record: Record) -> dict[str, Any]:
    """What the checkpoint keeps of one case: enough to rebuild the summary and the quotas."""
    return {"n": n, "at": item_id, "pos": position, "case": record.case, "status": record.status,
            "rows": record.rows,
            "claims": [[st, m, y, _money(a)] for st, m, y, a in record.claims],
            "contenders": [[m, y, _tag(r), c, i, _money(a), counted, _money(t)]
                           for m, y, r, c, i, a, counted, t in record.contenders]}


def _record_of(entry: dict[str, Any]) -> Record:
    return Record(entry["case"], "", entry["rows"],
                  [(st, m, y, _unmoney(a)) for st, m, y, a in entry["claims"]],
                  [(m, y, _untag(r), c, i, _unmoney(a), counted, _unmoney(t))
                   for m, y, r, c, i, a, counted, t in entry["contenders"]], entry["status"])


def _item_id(item: tuple) -> str:
    """Which input a case came from (a file name, ``line N``): checked when resuming."""
    if item[0] == "csv":
        return f"line {item[3][0][0]}"
    return _fallback_name(item)


class _Writer:
    """The output and its checkpoint, in whole records.  The output is written first; a checkpoint
    line vouches only for bytes already in the output, so the checkpoint never claims more."""

    def __init__(self, out: Path, checkpoint: Path, size: int, checkpoint_size: int | None, head: bytes,
                 header: dict[str, Any]):
        self.checkpoint = checkpoint
        if checkpoint_size is None:  # a fresh run
            self.out = open(out, "wb", buffering=0)
            self.cp = open(checkpoint, "wb", buffering=0)
            _write_all(self.out, head)
            header["start"] = len(head)
            _write_all(self.cp, _json_line(header))
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
        self.entries.append((self.size, _json_line(entry)))
        if len(self.entries) >= CHUNK or self.size - self.written >= 1 << 16:
            self.flush()  # decisions reach the file as they are made (a reader may follow it)

    def flush(self) -> None:
        if self.chunks:
            data, self.chunks = b"".join(self.chunks), []
            self.written += _write_all(self.out, data)
        ready = [line for end, line in self.entries if end <= self.written]
        self.entries = []
        if ready:
            _write_all(self.cp, b"".join(ready))

    def tear(self, data: bytes) -> None:
        """The test hook ``sigkill``: half of a record reaches the output, then the process dies."""
        self.flush()
        _write_all(self.out, data[: max(len(data) // 2, 1)])
        os.kill(os.getpid(), signal.SIGKILL)

    def final(self, digest: str) -> None:
        """The ranked output is ready to replace the output: say so, in case the process dies
        between replacing it and removing the checkpoint."""
        with open(self.checkpoint, "ab", buffering=0) as cp:
            _write_all(cp, _json_line({"final": digest}))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.out.close()
            self.cp.close()


class _Resumed(NamedTuple):
    entries: list[dict[str, Any]]
    size: int  # output bytes vouched for
    checkpoint_size: int  # checkpoint bytes read
    final: str | None  # the digest of the finished output, when the run got that far


def _header(source: Path, kind: str, policy: Policy, options: Options, mode: str = "cases") -> dict[str, Any]:
    return {"checkpoint": CHECKPOINT_VERSION, "mode": mode, "input": str(source.resolve()), "kind": kind,
            "format": options.fmt, "trace": options.trace,
            "as_of": options.as_of.isoformat() if options.as_of else None, "policy": policy.digest,
            "limits": dataclasses.asdict(options.limits)}


def _read_checkpoint(out: Path, checkpoint: Path, expected: dict[str, Any]) -> _Resumed:
    """The checkpoint's complete lines, checked against this run and against the output."""
    with open(checkpoint, "rb") as f:
        raw = f.read()
    lines = raw.split(b"\n")[:-1]  # the last piece has no newline: a line half-written, or nothing
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("checkpoint") != CHECKPOINT_VERSION:
        raise ResumeError(f"{checkpoint} is not a checkpoint this version can read; run the batch again "
                          "without --resume")
    differs = [key for key in expected if key != "start" and header.get(key) != expected[key]]
    if differs:
        said = {"input": "the input", "kind": "the input", "format": "--format", "trace": "--trace",
                "as_of": "--as-of", "policy": "the policy (its rule files changed, or --policy differs)",
                "limits": "the --max-... limits",
                "mode": "the way the input is read (blocks of a JSON Lines file, or case by case)"}
        raise ResumeError(f"{out} was started with other options: {', '.join(dict.fromkeys(said.get(k, k) for k in differs))}"
                          " differ; resume with the same ones, or run again without --resume")
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
        raise ResumeError(f"{out} is missing: there is nothing to resume; run the batch again without "
                          "--resume") from None
    while entries and entries[-1]["end"] > out_size:  # cannot happen unless the output was cut
        entries.pop()
        final = None
    size = entries[-1]["end"] if entries else header["start"]
    if out_size < size:
        raise ResumeError(f"{out} is shorter than its checkpoint says; run the batch again without --resume")
    if final is not None and out_size != size:
        return _Resumed(entries, size, used, final)  # the ranked output may be in place: run() compares
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
        raise ResumeError(f"{out} does not match its checkpoint ({checkpoint}); run the batch again "
                          "without --resume")
    return _Resumed(entries, size, used, None)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def _account(summary: Summary, pools: dict, record: Record, where: int, fmt: str) -> int:
    """Add one case to the summary and the quota pools; the next output line (jsonl) or row (csv)."""
    summary.cases += 1
    if record.status != "decided":
        summary.errors += 1
        summary.internal_errors += record.status == "internal"
        if len(summary.error_cases) < 5:
            summary.error_cases.append(record.case)
    for status, measure, year, amount in record.claims:
        summary.statuses[status] += 1
        if amount is not None:
            summary.totals[(measure, year)] = EXACT.add(summary.totals[(measure, year)], amount)
    for measure, year, rank, claim, index, amount, counted, total in record.contenders:
        pools[(measure, year)].append(Contender(rank, record.case, claim, where + index if fmt == "csv" else where,
                                                amount, counted, total))
    return where + (record.rows if fmt == "csv" else 1)


def run(source: Path, kind: str, out: Path, policy: Policy, options: Options, jobs: int = 1,
        progress: bool = False, resume: bool = False) -> Summary:
    """Decide every case of ``source`` into ``out``; rank the quotas across the batch.

    With ``resume``, go on from the checkpoint an interrupted run left (:class:`ResumeError` if
    there is none that fits).  An interrupted run returns a summary whose ``interrupted`` says by
    what; its output holds complete records and its checkpoint is kept.
    """
    import click

    summary = Summary(measure_order=policy.measure_ids())
    pools: dict[tuple[str, int | None], list[Contender]] = defaultdict(list)
    where = 0  # the next output line (jsonl) or data row (csv)
    if out.exists() and not out.is_file():  # a device or a pipe cannot be ranked in place, nor resumed
        raise ValueError(f"{out} is not a regular file: the output must be one")
    checkpoint = checkpoint_path(out)
    from . import batch_fast

    blocks = batch_fast.applies(source, kind, options)
    header = _header(source, kind, policy, options, "blocks" if blocks else "cases")
    resumed: _Resumed | None = None
    if resume:
        if checkpoint.exists():
            resumed = _read_checkpoint(out, checkpoint, header)
        elif out.exists() and out.stat().st_size > 0:
            raise ResumeError(f"{out} has no checkpoint ({checkpoint.name}): the run that wrote it finished, "
                              "or it was not written by `ordinance batch`; there is nothing to resume")
    if blocks:
        return _run_blocks(source, out, policy, options, jobs, progress, summary, pools, checkpoint, header, resumed)
    stream = items(source, kind, skip=out, limits=options.limits)
    shown = 0
    if resumed is not None:
        for entry in resumed.entries:
            where = _account(summary, pools, _record_of(entry), where, options.fmt)
        summary.resumed = len(resumed.entries)
        if resumed.entries:
            skipped = list(islice(stream, len(resumed.entries)))
            last = resumed.entries[-1]
            if len(skipped) < len(resumed.entries) or _item_id(skipped[-1][1]) != last["at"]:
                raise ResumeError(f"the input changed since the interrupted run (case {last['n']} was "
                                  f"{last['at']}); run the batch again without --resume")
            shown = last["pos"]
        if resumed.final is not None:
            if _digest(out) != resumed.final:
                raise ResumeError(f"{out} does not match its checkpoint ({checkpoint}); run the batch again "
                                  "without --resume")
            _rank(pools, policy, summary)  # it had finished: only the checkpoint was left
            checkpoint.unlink()
            return summary
    ids: deque[str] = deque()  # the inputs in flight, in order: records come back in the same order

    def noted(pairs: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
        for position, item in pairs:
            ids.append(_item_id(item))
            yield position, item

    stream = noted(stream)
    hook = _hook()
    if hook is not None and hook[0] == "worker" and jobs > 1:
        stream = _dying(stream, hook[1] - summary.cases)
    head = _csv_text([list(CSV_COLUMNS)]).encode("utf-8") if options.fmt == "csv" else b""
    bar = None
    with _Stop() as stop:
        writer = _Writer(out, checkpoint, resumed.size if resumed else 0,
                         resumed.checkpoint_size if resumed else None, head, header)
        decided = records(stream, jobs, options, policy)
        try:
            if progress:
                bar = click.progressbar(length=progress_length(source, kind, out), label="deciding",
                                        file=sys.stderr)
                bar.__enter__()
                if shown:
                    bar.update(shown)
            for position, record in decided:
                data = record.out.encode("utf-8")
                if hook is not None and hook[0] == "sigkill" and summary.cases == hook[1]:
                    writer.tear(data)
                writer.add(data, _entry(summary.cases + 1, ids.popleft(), position, record))
                where = _account(summary, pools, record, where, options.fmt)
                if bar is not None and position > shown:
                    bar.update(position - shown)
                    shown = position
                if hook is not None and hook[0] in ("sigint", "sigterm") and summary.cases == hook[1]:
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
            decided.close()
            writer.close()
            if bar is not None:
                bar.__exit__(None, None, None)
        if summary.interrupted is not None:
            return summary
        patches = _rank(pools, policy, summary)
        if patches:
            _rewrite(out, patches, options.fmt, before_replace=writer.final)
        checkpoint.unlink()
    return summary


def _run_blocks(source: Path, out: Path, policy: Policy, options: Options, jobs: int, progress: bool,
                summary: Summary, pools: dict, checkpoint: Path, header: dict[str, Any],
                resumed: _Resumed | None) -> Summary:
    """:func:`run` on the block path (:mod:`ordinance.cli.batch_fast`): JSON Lines in and out."""
    import click

    from . import batch_fast as F

    merger = F.Merger(summary, pools)
    start, line, shown = 0, 1, 0  # where the blocks to decide begin; the progress shown
    if resumed is not None:
        for entry in resumed.entries:
            merger.add(F.result_of(entry))
        summary.resumed = summary.cases
        if resumed.entries:
            changed = F.verify_input(source, resumed.entries)
            if changed is not None:
                first, last = changed["lines"]
                raise ResumeError(f"the input changed since the interrupted run (lines {first} to {last} are not "
                                  "what they were); run the batch again without --resume")
            last_entry = resumed.entries[-1]
            start, line, shown = last_entry["in"][1], last_entry["lines"][1] + 1, last_entry["pos"]
        if resumed.final is not None:
            if _digest(out) != resumed.final:
                raise ResumeError(f"{out} does not match its checkpoint ({checkpoint}); run the batch again "
                                  "without --resume")
            merger.finish()
            _rank(pools, policy, summary)  # it had finished: only the checkpoint was left
            checkpoint.unlink()
            return summary
    hook = _hook()
    block_lines = hook[2] if hook is not None else None
    die_at = hook[1] - summary.cases if hook is not None and hook[0] == "worker" and jobs > 1 else None
    first_cases = summary.cases
    fired = False
    bar = None
    with _Stop() as stop:
        writer = _Writer(out, checkpoint, resumed.size if resumed else 0,
                         resumed.checkpoint_size if resumed else None, b"", header)
        plan = F.plan_blocks(source, options.limits, start, line, block_lines=block_lines,
                             die_at=die_at if die_at is None or die_at >= 0 else None)
        decided = F.block_results(plan, jobs, options, policy)
        try:
            if progress:
                bar = click.progressbar(length=progress_length(source, "jsonl", out), label="deciding",
                                        file=sys.stderr)
                bar.__enter__()
                if shown:
                    bar.update(shown)
            for block, result in decided:
                before = summary.cases
                if hook is not None and hook[0] == "sigkill" and not fired and result.out \
                        and first_cases <= hook[1] <= before:
                    writer.tear(result.out)
                writer.add(result.out, F.block_entry(before + result.cases, block, result))
                merger.add(result)
                if bar is not None and block.last > shown:
                    bar.update(block.last - shown)
                    shown = block.last
                if hook is not None and hook[0] in ("sigint", "sigterm") and before < hook[1] <= summary.cases:
                    signal.raise_signal(signal.SIGINT if hook[0] == "sigint" else signal.SIGTERM)
                if stop.signal is not None:
                    summary.interrupted = stop.signal
                    break
        except BrokenProcessPool:
            summary.interrupted = "worker"
        except KeyboardInterrupt:
            summary.interrupted = "SIGINT"
        finally:
            decided.close()
            writer.close()
            if bar is not None:
                bar.__exit__(None, None, None)
        if summary.interrupted is not None:
            return summary
        merger.finish()
        patches = _rank(pools, policy, summary)
        if patches:
            _rewrite(out, patches, options.fmt, before_replace=writer.final)
        checkpoint.unlink()
    return summary


class _Patch(NamedTuple):
    claim: str
    place: QuotaPlace
    amount: Decimal | None
    counted: bool
    case_total: Decimal

    @property
    def within(self) -> bool:
        return self.place.within

    @property
    def position(self) -> int:
        return self.place.position


def _rank(pools: dict[tuple[str, int | None], list[Contender]], policy: Policy, summary: Summary
          ) -> dict[int, list[_Patch]]:
    """Rank each quota's contenders with the engine's own ranking; the patches by output line/row."""
    patches: dict[int, list[_Patch]] = defaultdict(list)
    for (measure, year), members in sorted(pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        quota = policy.find_measure(measure).measure.quota
        exceeded = 0
        # taken = 0: a batch has no awards from earlier rounds (evaluate_many's `awarded`)
        for c, place in rank_quota(members, quota, year, 0, lambda c: (c.rank, c.case, c.claim)):
            patches[c.where].append(_Patch(c.claim, place, c.amount, c.counted, c.case_total))
            if not place.within:
                exceeded += 1
                summary.statuses["eligible"] -= 1
                summary.statuses["ineligible"] += 1
                if c.counted and c.amount is not None:
                    summary.totals[(measure, year)] = EXACT.subtract(summary.totals[(measure, year)], c.amount)
        summary.quotas.append((measure, year, len(members), len(members) - exceeded, exceeded))
    return patches


#: The keys of TraceNode.to_dict(), in order: a key set anew goes to its place among them.
_TRACE_KEYS = ("kind", "id", "label", "location", "citation", "expression", "inputs", "types", "status", "result",
               "notes", "children")


def _set_trace(node: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``node`` with ``key`` set (removed for None, as to_dict leaves it out), keeping the key order."""
    if value is None:
        node.pop(key, None)
        return node
    if key in node:
        node[key] = value
        return node
    after = set(_TRACE_KEYS[_TRACE_KEYS.index(key) + 1:])
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in after and key not in out:
            out[key] = value
        out[k] = v
    out.setdefault(key, value)
    return out


def _find_kind(node: dict[str, Any], kind: str) -> dict[str, Any] | None:
    if node.get("kind") == kind:
        return node
    for child in node.get("children", ()):
        found = _find_kind(child, kind)
        if found is not None:
            return found
    return None


def _patch_result(r: dict[str, Any], p: _Patch) -> dict[str, Any]:
    """One claim of a decision's JSON, as ``apply_quotas`` leaves the ClaimResult."""
    note = p.place.note()
    quota = dict(r.get("quota") or {})
    quota.update(status="awarded" if p.within else "exceeded", position=p.position,
                 contenders=p.place.contenders, already_awarded=p.place.taken)
    r["quota"] = quota
    r["notes"] = [n for n in r.get("notes", []) if not n.startswith("subject to the quota")] + [note]
    amount = p.amount
    if not p.within:
        r["status"] = "ineligible"
        amount = Decimal(0)
        r["amount"] = V.money_string(amount)
        r["reasons"] = list(r["reasons"]) + [p.place.exceeded_reason()]
    trace = r.get("trace")
    if trace is not None:
        q = _find_kind(trace, "quota")
        if q is not None:
            q["result"] = "awarded" if p.within else "exceeded"
            q["notes"] = list(q.get("notes", [])) + [note]
        trace = _set_trace(trace, "status", r["status"])
        r["trace"] = _set_trace(trace, "result", json_value(amount))
    return r


def _patch_json_line(line: bytes, patches: list[_Patch]) -> bytes:
    data = json.loads(line)
    by_claim = {p.claim: p for p in patches}
    total = patches[0].case_total
    for r in data["results"]:
        p = by_claim.get(r["claim"])
        if p is not None:
            _patch_result(r, p)
            if not p.within and p.counted and p.amount is not None:
                total -= p.amount
    data["total"] = V.money_string(total)
    return to_json(data, indent=None).encode("utf-8")


def _patch_csv_row(row: list[str], p: _Patch) -> list[str]:
    row = list(row)
    row[CSV_COLUMNS.index("quota")] = "awarded" if p.within else "exceeded"
    row[CSV_COLUMNS.index("quota_position")] = str(p.position)
    if not p.within:
        row[CSV_COLUMNS.index("status")] = "ineligible"
        row[CSV_COLUMNS.index("amount")] = V.money_string(Decimal(0))
        reasons = row[CSV_COLUMNS.index("reasons")]
        row[CSV_COLUMNS.index("reasons")] = f"{reasons};quota-exceeded" if reasons else "quota-exceeded"
    return row


def _rewrite(out: Path, patches: dict[int, list[_Patch]], fmt: str, before_replace=None) -> None:
    """Pass two: stream ``out`` into a temporary file, patching the ranked claims; replace ``out``.

    ``before_replace(digest)`` is told the sha256 of the new output just before it replaces the old."""
    out = Path(os.path.realpath(out))  # replace the file a symbolic link names, never the link
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        if fmt == "jsonl":
            with open(out, "rb") as src, os.fdopen(fd, "wb") as dst:
                for i, line in enumerate(src):
                    p = patches.get(i)
                    dst.write(_patch_json_line(line, p) if p else line)
        else:
            with open(out, encoding="utf-8", newline="") as src, os.fdopen(fd, "w", encoding="utf-8",
                                                                         newline="") as dst:
                reader = csv.reader(src)
                writer = csv.writer(dst, lineterminator="\n")
                writer.writerow(next(reader))
                for i, row in enumerate(reader):
                    p = patches.get(i)
                    writer.writerow(_patch_csv_row(row, p[0]) if p else row)
        shutil.copymode(out, tmp)
        if before_replace is not None:
            before_replace(_digest(Path(tmp)))
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
