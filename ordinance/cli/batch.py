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
exactly as :func:`ordinance.engine.evaluate.apply_quotas` ranks the decisions of
``Policy.evaluate_many`` (same key, same ties, same notes and reasons), and pass two rewrites
the output file line by line into a temporary file, patching those claims, then replaces the
output atomically.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from .. import values as V
from ..engine.decision import Decision, to_json
from ..engine.evaluate import QuotaPlace, rank_quota
from ..engine.load import DEFAULT_LIMITS, decode, load_file
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


def items(source: Path, kind: str, skip: Path | None = None) -> Iterator[tuple[int, tuple]]:
    """(progress position, item) for every case of ``source``, read lazily (``skip``: the output)."""
    if kind == "folder":
        return _folder_items(source, skip)
    if kind == "jsonl":
        return _jsonl_items(source)
    return _csv_items(source)


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


def _jsonl_items(path: Path) -> Iterator[tuple[int, tuple]]:
    display = str(path)
    with open(path, "rb") as f:
        for n, raw in enumerate(f, start=1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            if len(raw) > DEFAULT_LIMITS.max_file_bytes:
                yield n, ("bad", f"line {n}", [Problem(
                    "file-too-large", f"the line is {len(raw)} bytes, over the limit of "
                    f"{DEFAULT_LIMITS.max_file_bytes}", Location(display, n, 1))])
                continue
            yield n, ("json", display, n, raw)


def _csv_items(path: Path) -> Iterator[tuple[int, tuple]]:
    display = str(path)
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CaseError([Problem("csv-syntax", f"the header row cannot be read: {exc}",
                                     Location(display, 1, 1))]) from None
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
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if group:
                    yield start - 1, ("csv", display, header_t, group)
                    group = []
                yield reader.line_num, ("bad", f"line {start}",
                                        [Problem("csv-syntax", f"the row cannot be read: {exc}",
                                                 Location(display, start, 1))])
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
            yield reader.line_num, ("csv", display, header_t, group)


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
    from ..engine.case import read_case

    assert _STATE is not None, "init_worker() first"
    policy, options = _STATE
    name = _fallback_name(item)
    try:
        if item[0] == "bad":
            return _error_record(item[1], "CaseError", item[2], options)
        data, loaded, problems, read_name = _load(item, policy)
        name = _data_name(data, name)
        try:
            case = read_case(data, policy, read_name, loaded)
        except CaseError as exc:
            raise CaseError(problems + exc.problems) from None
        if problems:
            raise CaseError(problems)
        decision = policy.evaluate(case, trace=options.trace, as_of=options.as_of)
        record = _decided(case.claims, decision, options)
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
    return _clean(item[1])


def _item_location(item: tuple) -> Location | None:
    kind = item[0]
    if kind == "file":
        return Location(item[1], 1, 1)
    if kind == "json":
        return Location(item[1], item[2], 1)
    if kind == "csv":
        return Location(item[1], item[3][0][0], 1)
    return None


def _load(item: tuple, policy: Policy) -> tuple[Any, Any, list[Problem], str]:
    """(case data, the LoadedFile or None, problems found while reading, name for read_case)."""
    kind = item[0]
    if kind == "file":
        _, path, name = item
        try:
            loaded = load_file(path, path)
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
        return _json_loads(text.rstrip("\r\n"), display, n), None, [], f"line {n}"
    if kind == "csv":
        _, display, header, rows = item
        data, problems = _csv_case(header, rows, display, policy)
        return data, None, problems, _fallback_name(item)
    raise ValueError(f"unknown batch item {kind!r}")


def _data_name(data: Any, fallback: str) -> str:
    if isinstance(data, dict) and isinstance(data.get("case"), (str, int)) and not isinstance(data["case"], bool):
        return _clean(str(data["case"]))
    return fallback


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _json_loads(text: str, display: str, n: int) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise CaseError([Problem("json-syntax", f"{exc.msg} (line {n} is not one JSON value)",
                                 Location(display, n, exc.colno),
                                 "JSON Lines holds one case per line, as one JSON object")]) from None
    except _DuplicateKey as exc:
        raise CaseError([Problem("duplicate-key", f"the key `{_clean(exc.key)}` appears twice in one object",
                                 Location(display, n, 1))]) from None


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


def _decided(claims, decision: Decision, options: Options) -> Record:
    tallies = []
    contenders = []
    total = decision.total
    keys = [c.measure for c in claims]  # the measure keys (``policy-id:measure`` when ids collide)
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
    # ProcessPoolExecutor, not Pool: a worker that dies (killed for memory, say) breaks the pool
    # with an error instead of leaving its task waiting forever.
    executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(), initializer=init_worker,
                                   initargs=(options,))
    try:
        pending: deque = deque()

        def submit() -> bool:
            chunk = list(islice(iterator, CHUNK))
            if not chunk:
                return False
            pending.append(([p for p, _ in chunk], executor.submit(decide_chunk, [i for _, i in chunk])))
            return True

        more = True
        while more and len(pending) < jobs * WINDOW:
            more = submit()
        while pending:
            positions, future = pending.popleft()
            done = future.result()
            if more:
                more = submit()
            yield from zip(positions, done)
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
                by_year[year] += amount
            if len(by_year) > 1:
                rows += [("all measures", _year(year), by_year[year])
                         for year in sorted(by_year, key=lambda y: y if y is not None else 10 ** 6)]
            rows.append(("total", "", sum(self.totals.values(), Decimal(0))))
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


def run(source: Path, kind: str, out: Path, policy: Policy, options: Options, jobs: int = 1,
        progress: bool = False) -> Summary:
    """Decide every case of ``source`` into ``out``; rank the quotas across the batch."""
    import click

    summary = Summary(measure_order=policy.measure_ids())
    pools: dict[tuple[str, int | None], list[Contender]] = defaultdict(list)
    where = 0  # the next output line (jsonl) or data row (csv)
    bar = None
    shown = 0
    stream = items(source, kind, skip=out)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        if options.fmt == "csv":
            fh.write(_csv_text([list(CSV_COLUMNS)]))
        try:
            if progress:
                bar = click.progressbar(length=progress_length(source, kind, out), label="deciding",
                                      file=sys.stderr)
                bar.__enter__()
            for position, record in records(stream, jobs, options, policy):
                fh.write(record.out)
                summary.cases += 1
                if summary.cases % CHUNK == 0:
                    fh.flush()  # decisions reach the file as they are made (a reader may follow it)
                if record.status != "decided":
                    summary.errors += 1
                    summary.internal_errors += record.status == "internal"
                    if len(summary.error_cases) < 5:
                        summary.error_cases.append(record.case)
                for status, measure, year, amount in record.claims:
                    summary.statuses[status] += 1
                    if amount is not None:
                        summary.totals[(measure, year)] += amount
                for measure, year, rank, claim, index, amount, counted, total in record.contenders:
                    pools[(measure, year)].append(Contender(
                        rank, record.case, claim, where + index if options.fmt == "csv" else where,
                        amount, counted, total))
                where += record.rows if options.fmt == "csv" else 1
                if bar is not None and position > shown:
                    bar.update(position - shown)
                    shown = position
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    patches = _rank(pools, policy, summary)
    if patches:
        _rewrite(out, patches, options.fmt)
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
                    summary.totals[(measure, year)] -= c.amount
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


def _rewrite(out: Path, patches: dict[int, list[_Patch]], fmt: str) -> None:
    """Pass two: stream ``out`` into a temporary file, patching the ranked claims; replace ``out``."""
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
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
