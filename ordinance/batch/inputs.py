"""The input of a batch: its kinds, its cases read lazily as items, and an item read into case data.

Three kinds of input (:func:`input_kind`): a folder of case files (``*.yaml``, ``*.yml``,
``*.json``, in sorted name order), a JSON Lines file (one case per line) or a CSV file (one claim
per row; consecutive rows with the same ``case`` form one case).  :func:`items` reads one lazily
as (progress position, item): small picklable tuples a worker process can take --

- ``("file", path, name)``: a case file of a folder;
- ``("json", display, n, raw)``: line ``n`` of a JSON Lines file, its bytes;
- ``("csv", display, header, rows)``: the rows of one case of a CSV file;
- ``("bad", name, problems)``: what cannot be read at all (a line over ``Limits.max_line_bytes``,
  skipped without being read into memory; a CSV row that cannot be parsed).

:func:`load_item` then reads an item into case data: a case file by the loader, a line by the
careful JSON reader (:func:`json_loads`: no key twice, no number over the digit limit, nothing
too deep, then ``check_data``), CSV rows by :func:`csv_case`; the problems it finds are placed on
the line (and column) they come from (:func:`locate`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..front.load import (DEFAULT_LIMITS, DuplicateKey, Limits, check_data, decode, listed_file_problem, load_file,
                          no_duplicate_keys, too_deep)
from ..errors import CaseError, Location, PolicyError, Problem
from ..messages import msg, recognise

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy

#: File suffixes read from a folder of cases.
CASE_SUFFIXES = (".yaml", ".yml", ".json")

#: Columns of CSV input that are not facts.
CSV_CLAIM_COLUMNS = ("id", "measure", "date", "project", "note")


# -------------------------------------------------------------------------------------------------
# The kinds of input, read lazily: (progress position, item)
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
    """The case files of ``folder`` by name: every entry named ``*.yaml``, ``*.yml``, ``*.json``
    but a folder and the output itself.  A dangling or looping symbolic link, a FIFO or a device
    is listed too, and becomes an error record (:func:`load_item`): every input case appears in
    the output exactly once."""
    skipped = os.path.realpath(skip) if skip is not None else None  # realpath: a looping link is no error
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in CASE_SUFFIXES and not p.is_dir()
                  and (skipped is None or os.path.realpath(p) != skipped))


def _folder_items(folder: Path, skip: Path | None = None) -> Iterator[tuple[int, tuple]]:
    for i, name in enumerate(_folder_files(folder, skip), start=1):
        yield i, ("file", str(folder / name), name)


def line_too_long(display: str, n: int, size: int, limits: Limits) -> tuple:
    return ("bad", f"line {n}", [Problem(
        "line-too-long", msg("batch.line-too-long", size=size, most=limits.max_line_bytes),
        Location(display, n, 1), msg("batch.hint.line-too-long"))])


def skip_rest(f, first: int) -> int:
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
                size = len(raw) if raw.endswith(b"\n") else skip_rest(f, len(raw))
                yield n, line_too_long(display, n, size, limits)
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
            raise _LineTooLong(self.n, skip_rest(self.f, len(line)))
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
            raise CaseError([Problem("csv-syntax", msg("batch.header-unreadable", said=str(exc)),
                                     Location(display, 1, 1))]) from None
        except _LineTooLong as exc:
            raise CaseError([Problem("line-too-long", msg("batch.header-too-long", size=exc.size,
                                                          most=limits.max_line_bytes),
                                     Location(display, 1, 1))]) from None
        header = [clean(h).strip() for h in header]
        seen: dict[str, int] = {}
        for i, name in enumerate(header, start=1):
            if name and name in seen:
                raise CaseError([Problem("csv-header", msg("batch.column-twice", name=name, first=seen[name], second=i),
                                         Location(display, 1, i))])
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
                    yield lines.n, line_too_long(display, exc.line, exc.size, limits)
                else:
                    yield lines.n, ("bad", f"line {start}",
                                    [Problem("csv-syntax", msg("batch.row-unreadable", said=str(exc)),
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
# An item read: its name, its place, its case data
# -------------------------------------------------------------------------------------------------

def fallback_name(item: tuple) -> str:
    """The id of a case that gives none (or cannot be read): its file name, or `line N`."""
    kind = item[0]
    if kind == "file":
        return clean(item[2])
    if kind == "json":
        return f"line {item[2]}"
    if kind == "csv":
        line, row = item[3][0]
        return csv_key(item[2], row) or f"line {line}"
    return clean(str(item[1]))


def item_location(item: tuple) -> Location | None:
    kind = item[0]
    if kind == "file":
        return Location(item[1], 1, 1)
    if kind == "json":
        return Location(item[1], item[2], 1)
    if kind == "csv":
        return Location(item[1], item[3][0][0], 1)
    return None


def load_item(item: tuple, policy: Policy, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, Any, list[Problem], str]:
    """(case data, the LoadedFile or None, problems found while reading, name for read_case)."""
    kind = item[0]
    if kind == "file":
        _, path, name = item
        trouble = listed_file_problem(Path(path), path)
        if trouble is not None:  # never opened: a FIFO would block, a device never end
            raise CaseError([trouble])
        try:
            loaded = load_file(path, path, limits)
        except PolicyError as exc:  # the loader's errors are about this case file
            raise CaseError(exc.problems, exc.sources) from None
        return loaded.data, loaded, [], clean(name)
    if kind == "json":
        _, display, n, raw = item
        try:
            text = decode(raw, display)
        except PolicyError as exc:
            problem = exc.problems[0]
            column = problem.location.column if problem.location else 1
            raise CaseError([dataclasses.replace(problem, location=Location(display, n, column))]) from None
        data = json_loads(text.rstrip("\r\n"), display, n, limits)
        try:
            check_data(data, display, limits, Location(display, n, 1), text)
        except PolicyError as exc:
            raise CaseError(exc.problems) from None
        return data, None, [], f"line {n}"
    if kind == "csv":
        _, display, header, rows = item
        data, problems = csv_case(header, rows, display, policy)
        return data, None, problems, fallback_name(item)
    raise ValueError(f"unknown batch item {kind!r}")


def data_name(data: Any, fallback: str) -> str:
    if isinstance(data, dict) and isinstance(data.get("case"), (str, int)) and not isinstance(data["case"], bool):
        return clean(str(data["case"]))
    return fallback


class _TooManyDigits(Exception):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def json_loads(text: str, display: str, n: int, limits: Limits = DEFAULT_LIMITS) -> Any:
    most = limits.integer_digits

    def integer(digits: str) -> int:
        if len(digits) - digits.startswith("-") > most:
            raise _TooManyDigits(len(digits) - digits.startswith("-"))
        return int(digits)

    try:
        return json.loads(text, parse_float=Decimal, parse_int=integer, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CaseError([Problem("json-syntax", msg("batch.json-line", said=recognise("json.", exc.msg), line=n),
                                 Location(display, n, exc.colno), msg("batch.hint.json-line"))]) from None
    except DuplicateKey as exc:
        raise CaseError([Problem("duplicate-key", msg("batch.duplicate-key", key=clean(exc.key)),
                                 Location(display, n, 1))]) from None
    except _TooManyDigits as exc:
        raise CaseError([Problem("literal-too-long", msg("batch.too-many-digits", digits=exc.digits, most=most),
                                 Location(display, n, 1), msg("load.hint.too-many-digits"))]) from None
    except RecursionError:
        raise CaseError([Problem("too-deep", too_deep(limits.max_depth),
                                 Location(display, n, 1), msg("hint.flatten"))]) from None


def csv_key(header: tuple[str, ...], row: list[str]) -> str:
    try:
        i = header.index("case")
    except ValueError:
        return ""
    return clean(row[i]).replace("\0", "\ufffd").strip() if i < len(row) else ""


def csv_case(header: tuple[str, ...], rows: list[tuple[int, list[str]]], display: str,
              policy: Policy) -> tuple[dict[str, Any], list[Problem]]:
    """The case data for a group of CSV rows, and the problems found in the cells themselves."""
    problems: list[Problem] = []
    applicant: dict[str, Any] = {}
    applicant_at: dict[str, tuple[int, int]] = {}
    claims: list[dict[str, Any]] = []
    key = csv_key(header, rows[0][1])
    for line, row in rows:
        claim: dict[str, Any] = {}
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            problems.append(Problem("csv-extra-cells", msg("batch.extra-cells", cells=len(row), columns=len(header)),
                                    Location(display, line, len(header) + 1)))
        for col, (name, raw) in enumerate(zip(header, row), start=1):
            cell = clean(raw).strip()
            if cell != raw.strip():
                problems.append(Problem("encoding", msg("batch.cell-not-utf8"), Location(display, line, col),
                                        msg("load.hint.utf8")))
            if "\0" in cell:
                problems.append(Problem("binary-file", msg("batch.cell-binary"), Location(display, line, col),
                                        msg("batch.hint.csv-text")))
                continue
            if not cell or name == "case":
                continue
            if not name:
                problems.append(Problem("csv-header", msg("batch.unnamed-column"), Location(display, line, col)))
                continue
            if name.startswith("applicant."):
                fact = name[len("applicant."):]
                value = _csv_value(cell, policy.applicant_facts.get(name))
                if fact in applicant and applicant[fact] != value:
                    first_line, _ = applicant_at[fact]
                    problems.append(Problem(
                        "csv-conflict", msg("batch.applicant-conflict", name=name, first=repr(applicant[fact]),
                                            line=first_line, value=repr(value), case=key), Location(display, line, col),
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


def locate(problems: list[Problem], item: tuple) -> list[Problem]:
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


def item_id(item: tuple) -> str:
    """Which input a case came from (a file name, ``line N``): checked when resuming."""
    if item[0] == "csv":
        return f"line {item[3][0][0]}"
    return fallback_name(item)



def clean(text: str) -> str:
    """Text safe to write as UTF-8: each undecodable byte or lone surrogate becomes U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)

