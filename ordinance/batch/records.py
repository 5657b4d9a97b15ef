"""The output of a batch, one record per case: a JSON line or CSV rows, for a decision or an error.

A :class:`Record` is what deciding one case comes to: its text, ready to write, and the few
facts the summary and the quotas need (claims by status, amounts due, quota contenders), so
that no decision is kept once written.  A decision is written by the engine's one writer of
decisions as JSON lines (:func:`ordinance.decision.decision_line`), or as one CSV row per
claim (:data:`CSV_COLUMNS`); a case that cannot be read or decided becomes an error record in
its place (``"status": "error"`` with its problems).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import values as V
from ..decision import ClaimResult, Decision, decision_line, to_json
from ..errors import LISTED_PROBLEMS, Problem, listed, problem_count
from ..messages import msg, plural
from ..rules.pending import waiting_on
from .inputs import clean, item_location
from .options import Options

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy

#: The columns of CSV output, in order.
CSV_COLUMNS = ("case", "claim", "measure", "status", "amount", "basis", "benefit", "reasons", "missing",
               "superseded_by", "quota", "quota_position", "problems")


class Record(NamedTuple):
    """What a worker returns for one case: the output and the small facts the summary needs."""

    case: str
    out: str  # one JSON line, or CSV rows (already formatted)
    rows: int  # the lines (jsonl: one) or CSV data rows in ``out``
    claims: list[tuple[str, str, int | None, Decimal | None]]  # (status, measure, year, amount due)
    #: quota-bound eligible claims: (measure, year, rank, claim, row of ``out`` holding it, amount,
    #: counted in the total, the decision's total)
    contenders: list[tuple[str, int | None, Any, str, int, Decimal | None, bool, Decimal]]
    status: str  # decided | error | internal
    #: undetermined money claims: (measure, year, at least, at most or None for no bound known)
    open: tuple = ()
    #: undetermined claims under a quota (each may still take a place): (measure, year, claim, the
    #: claims it waits on, the facts they wait on)
    waiting: tuple = ()


def measure_key(policy: Policy, result: ClaimResult) -> str:
    """The measure of ``result`` named as the policy names it (``policy-id:measure`` when the ids
    of several policies collide)."""
    if not result.policy:
        return result.measure
    return policy.find_measure(f"{result.policy}:{result.measure}").key


def decided(decision: Decision, policy: Policy, options: Options) -> Record:
    """The record of a decided case."""
    keys = [measure_key(policy, r) for r in decision.results]
    tallies = []
    contenders = []
    total = decision.total
    csv_out = options.fmt == "csv"
    rows_out: list[list[str]] = []
    still = []
    waiting = []
    for i, (r, key) in enumerate(zip(decision.results, keys)):
        counted = r.status == "eligible" and r.benefit == "money" and r.amount is not None
        tallies.append((r.status, key, r.year, r.amount if counted else None))
        if r.status == "undetermined":
            if r.benefit == "money":
                still.append((key, r.year, r.at_least, r.at_most))
            if policy.find_measure(key).plan.quota is not None:
                waiting.append((key, r.year, r.claim, list(r.depends_on), waiting_on(r)))
        if r.quota is not None and r.status == "eligible":
            contenders.append((key, r.year, r.rank, r.claim, i if csv_out else 0, r.amount, counted, total))
        if csv_out:
            quota = r.quota or {}
            rows_out.append([
                decision.case, r.claim, key, r.status, V.money_string(r.amount) if r.amount is not None else "",
                r.basis, r.benefit, ";".join(str(x.get("code", "")) for x in r.reasons), ";".join(r.missing),
                r.superseded_by or "", str(quota.get("status", "")), str(quota.get("position", "")), ""])
    if csv_out:
        if not rows_out:  # a case without claims still appears once
            rows_out.append([decision.case, "", "", "no-claims", "", "", "", "", "", "", "", "", ""])
        return Record(decision.case, csv_text(rows_out), len(rows_out), tallies, contenders, "decided",
                      tuple(still), tuple(waiting))
    return Record(decision.case, decision_line(decision), 1, tallies, contenders, "decided", tuple(still),
                  tuple(waiting))


def error_record(name: str, error: str, problems: list[Problem], options: Options,
                 internal: bool = False) -> Record:
    """The record of a case that could not be read or decided (``internal``: by a bug)."""
    name = clean(name)
    status = "internal" if internal else "error"
    lang = options.lang
    if options.fmt == "csv":
        text = "; ".join(f"{p.code}{msg('batch.csv.at', path=p.path).in_lang(lang) if p.path else ''}"
                         f"{' (' + str(p.location) + ')' if p.location else ''}: {p.message_in(lang)}"
                         f"{msg('batch.csv.hint', hint=p.hint).in_lang(lang) if p.hint else ''}"
                         for p in problems[:LISTED_PROBLEMS])
        if len(problems) > LISTED_PROBLEMS:
            text += "; " + plural("problem.more-shown", len(problems) - LISTED_PROBLEMS,
                                  total=len(problems)).in_lang(lang)
        codes = ";".join(p.code for p in problems[:LISTED_PROBLEMS])
        out = csv_text([[name, "", "", "error", "", "", "", codes, "", "", "", "",
                         clean(text)]])
        return Record(name, out, 1, [], [], status)
    data = {"case": name, "status": "error", "error": error, "problems": listed(problems, lang),
            **problem_count(problems)}
    text = to_json(data, indent=None)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = clean(text)
    return Record(name, text, 1, [], [], status)


def checked(record: Record, name: str, item: tuple, options: Options) -> Record:
    """``record``, or an error record if its text cannot be written as UTF-8."""
    try:
        record.out.encode("utf-8")
    except UnicodeEncodeError as exc:
        return error_record(name, "CaseError", [Problem(
            "encoding", msg("case.lone-surrogate", code=f"U+{ord(exc.object[exc.start]):04X}"), item_location(item),
            msg("case.hint.lone-surrogate"))], options)
    return record


#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection"): ``=``, ``+``,
#: ``-``, ``@``, a tab, a carriage return.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A cell that is only a number (``-12.50``) is a number to a spreadsheet, not a formula: kept as is.
_NUMBER_CELL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def csv_cell(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a cell that would start a formula gets a single
    quote in front (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``); a number stays a number.  A
    carriage return becomes a line feed, which the writer quotes (it quotes only the characters of
    its line terminator), so that a cell never ends a row."""
    if text.startswith(_FORMULA_START) and not _NUMBER_CELL.match(text):
        text = "'" + text
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def csv_text(rows: list[list[str]]) -> str:
    """CSV rows as text, one line each, every cell through :func:`csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
