"""What a batch comes to, without keeping any decision: one tally, and the summary it adds up to.

Work reaches the parent in *pieces* -- one case (a folder, CSV, ``--trace``, ``--as-of``) or a
block of JSON Lines -- each with its output already written as text and its numbers
(:class:`Piece`): cases, errors, claims by status, amounts due by (measure, year), summed
exactly, and the claims contending for an annual quota.  A block's worker makes its piece with a
:class:`Tally` (case by case, the parent makes one of each record: :func:`piece_of`); the parent adds pieces to the :class:`Summary` in input order (and so does
``--resume``, from the checkpoint's copy of each piece's numbers), which renders the budget
summary: claims by status, quotas, and the amount due by measure and year.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
from collections import Counter, defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import values as V
from ..errors import terminal_width
from ..messages import CATALOGUE, join, msg, plural
from ..render.text import terminal_text
from .options import EXACT

if TYPE_CHECKING:  # pragma: no cover
    from .records import Record

_ZERO = Decimal(0)


class Contender(NamedTuple):
    """A quota-bound eligible claim, as pass one remembers it (no decision is kept)."""

    rank: Any  # the value of the quota's rank_by (Decimal or date), or None
    case: str
    claim: str
    where: int  # the output line (jsonl) or data row (csv) holding the claim
    amount: Decimal | None  # exact, as decided
    counted: bool  # whether the amount is in the decision's total (an eligible money claim)
    case_total: Decimal  # the decision's total, exact (for jsonl patches)


class Piece(NamedTuple):
    """A piece of work done: its output, and the few numbers the summary and the quotas need."""

    out: bytes  # the records, one per case, UTF-8
    cases: int
    rows: int  # output lines (jsonl) or CSV data rows in ``out``
    errors: int
    internal: int
    error_cases: list[str]  # the first few (at most 5)
    statuses: dict[str, int]  # claims by status
    totals: dict[tuple[str, int | None], Decimal]  # amount due by (measure, year), exact, in first-seen order
    #: quota-bound eligible claims: (measure, year, rank, case, claim, row of ``out`` holding it,
    #: amount, counted in the case's total, the case's total)
    contenders: list[tuple]
    #: the money still open, by (measure, year): undetermined money claims, the least and the most
    #: they come to (None: no upper bound known), exact
    open: dict[tuple[str, int | None], tuple[int, Decimal, Decimal | None]]
    #: undetermined claims under a quota: (measure, year, case, claim, the claims it waits on, their facts)
    waiting: list[tuple]


class Tally:
    """The numbers of one piece, as its records come."""

    __slots__ = ("amounts", "cases", "contenders", "error_cases", "errors", "internal", "open", "rows", "statuses",
                 "waiting")

    def __init__(self) -> None:
        self.cases = self.rows = self.errors = self.internal = 0
        self.error_cases: list[str] = []
        self.statuses: dict[str, int] = {}
        self.amounts: dict[tuple[str, int | None], list[Decimal]] = {}  # by (measure, year), in order
        self.contenders: list[tuple] = []
        self.open: dict[tuple[str, int | None], tuple[int, Decimal, Decimal | None]] = {}
        self.waiting: list[tuple] = []

    def add_open(self, measure: str, year: int | None, least: Decimal | None, most: Decimal | None) -> None:
        """An undetermined money claim, between ``least`` and ``most`` (None: no bound known)."""
        self.open[(measure, year)] = add_open(self.open.get((measure, year)), (1, least, most))

    def add_record(self, record: Record) -> None:
        """One case's record."""
        row = self.rows
        self.cases += 1
        self.rows += record.rows
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
        for measure, year, rank, claim, at, amount, counted, total in record.contenders:
            self.contenders.append((measure, year, rank, record.case, claim, row + at, amount, counted, total))
        for measure, year, least, most in record.open:
            self.add_open(measure, year, least, most)
        for measure, year, claim, depends, facts in record.waiting:
            self.waiting.append((measure, year, record.case, claim, depends, facts))

    def piece(self, out: bytes) -> Piece:
        totals: dict[tuple[str, int | None], Decimal] = {}
        for key, amounts in self.amounts.items():
            with decimal.localcontext(EXACT):
                totals[key] = sum(amounts, _ZERO)
        return Piece(out, self.cases, self.rows, self.errors, self.internal, self.error_cases, self.statuses, totals,
                     self.contenders, self.open, self.waiting)


def add_open(sofar: tuple[int, Decimal, Decimal | None] | None, more: tuple[int, Decimal | None, Decimal | None]
             ) -> tuple[int, Decimal, Decimal | None]:
    """Two tallies of money still open added, exactly (a claim without bounds: at least 0, at most unknown)."""
    count, least, most = more
    if least is None:
        least, most = _ZERO, None
    if sofar is None:
        return (count, least, most)
    return (sofar[0] + count, EXACT.add(sofar[1], least),
            EXACT.add(sofar[2], most) if sofar[2] is not None and most is not None else None)


def piece_of(record: Record) -> Piece:
    """The piece of work that is one case."""
    tally = Tally()
    tally.add_record(record)
    return tally.piece(record.out.encode("utf-8"))


@dataclasses.dataclass
class Summary:
    """What the batch came to, without any decision: counts and amounts."""

    cases: int = 0
    errors: int = 0
    internal_errors: int = 0
    error_cases: list[str] = dataclasses.field(default_factory=list)  # the first few
    statuses: Counter = dataclasses.field(default_factory=Counter)
    totals: dict[tuple[str, int | None], Decimal] = dataclasses.field(default_factory=lambda: defaultdict(Decimal))
    #: (measure, year, ranked, awarded, beyond the quota, left open by undetermined claims)
    quotas: list[tuple[str, int | None, int, int, int, int]] = dataclasses.field(default_factory=list)
    measure_order: list[str] = dataclasses.field(default_factory=list)
    interrupted: str | None = None  # SIGINT | SIGTERM | worker: the run stopped early
    resumed: int = 0  # cases decided by the interrupted run this one resumed
    #: the language the records went on in when it is not the one asked for: the language the
    #: resumed run began in, recorded in its checkpoint (None: the one asked for)
    records_lang: str | None = None
    rows: int = 0  # output lines (jsonl) or CSV data rows written
    #: the money still open, by (measure, year): (claims, at least, at most or None)
    open: dict[tuple[str, int | None], tuple[int, Decimal, Decimal | None]] = dataclasses.field(default_factory=dict)
    #: the undetermined claims under each annual quota, by (measure, year; None: undated), as
    #: (case, claim, the claims it waits on, their facts): each may still take a place
    waiting: dict[tuple[str, int | None], list[tuple]] = dataclasses.field(
        default_factory=lambda: defaultdict(list), repr=False, compare=False)
    #: the claims contending for each annual quota, by (measure, year), for the ranking at the end
    pools: dict[tuple[str, int | None], list[Contender]] = dataclasses.field(
        default_factory=lambda: defaultdict(list), repr=False, compare=False)

    def add(self, piece: Piece) -> None:
        """A piece of work, in input order (its output just written after the ones before)."""
        self.cases += piece.cases
        self.errors += piece.errors
        self.internal_errors += piece.internal
        for name in piece.error_cases:
            if len(self.error_cases) < 5:
                self.error_cases.append(name)
        self.statuses.update(piece.statuses)
        totals = self.totals
        for key, amount in piece.totals.items():
            totals[key] = EXACT.add(totals[key], amount)
        for key, more in piece.open.items():
            self.open[key] = add_open(self.open.get(key), more)
        for measure, year, case, claim, depends, facts in piece.waiting:
            self.waiting[(measure, year)].append((case, claim, depends, facts))
        rows, pools = self.rows, self.pools
        for measure, year, rank, case, claim, row, amount, counted, total in piece.contenders:
            pools[(measure, year)].append(Contender(rank, case, claim, rows + row, amount, counted, total))
        self.rows = rows + piece.rows

    def render(self, out: str, fmt: str, lang: str = "en") -> str:
        """The summary, its words in ``lang`` (``en`` or ``zh``); ids, years and amounts as they are."""
        def say(key: str, **params: object) -> str:
            return msg(key, **params).in_lang(lang)

        lines = [say("batch.summary.decided", decided=self.cases - self.errors,
                     cases=plural("batch.summary.cases", self.cases), out=out, fmt=fmt)]
        if not self.cases:
            lines.append("  " + say("batch.summary.no-cases"))
        if self.statuses:
            order = ["eligible", "ineligible", "undetermined", "superseded"]
            names = order + sorted(s for s in self.statuses if s not in order)
            counts = join(msg("batch.summary.status-count", count=self.statuses[s], status=_status(s))
                          for s in names if self.statuses[s])
            lines.append("  " + say("batch.summary.claims", counts=counts))
        if self.errors:
            shown = join(self.error_cases + (["..."] if self.errors > len(self.error_cases) else []))
            lines.append("  " + plural("batch.summary.errors", self.errors, cases=shown).in_lang(lang))
        for measure, year, ranked, awarded, exceeded, opened in self.quotas:
            lines.append("  " + say("batch.summary.quota", measure=measure, year=_year(year, lang), ranked=ranked,
                                    awarded=awarded, exceeded=exceeded,
                                    open=msg("batch.summary.quota-open", count=opened) if opened else ""))
        if self.totals:
            lines.append("  " + say("batch.summary.amounts"))
            rank = {m: i for i, m in enumerate(self.measure_order)}
            keys = sorted(self.totals, key=lambda k: (rank.get(k[0], len(rank)), k[0],
                                                      k[1] if k[1] is not None else 10 ** 6))
            rows = [(measure, _year(year, lang), self.totals[(measure, year)]) for measure, year in keys]
            by_year: dict[int | None, Decimal] = defaultdict(Decimal)
            for (measure, year), amount in self.totals.items():
                by_year[year] = EXACT.add(by_year[year], amount)
            if len(by_year) > 1:
                rows += [(say("batch.summary.all-measures"), _year(year, lang), by_year[year])
                         for year in sorted(by_year, key=lambda y: y if y is not None else 10 ** 6)]
            rows.append((say("batch.summary.total"), "", functools.reduce(EXACT.add, self.totals.values(), Decimal(0))))
            width = max(terminal_width(r[0]) for r in rows)
            figure = max(len(_figure(r[2])) for r in rows)
            for name, year, amount in rows:
                chinese = V.chinese_amount(Decimal(V.money_string(amount)))
                lines.append(f"    {_pad(name, width)}  {_pad(year, 7)}  {_figure(amount):>{figure}} 元"
                             + (f" ({chinese})" if chinese else ""))
        if self.open:
            lines.append("  " + say("batch.summary.open"))
            rank = {m: i for i, m in enumerate(self.measure_order)}
            keys = sorted(self.open, key=lambda k: (rank.get(k[0], len(rank)), k[0],
                                                    k[1] if k[1] is not None else 10 ** 6))
            entries = [(measure, _year(year, lang), *self.open[(measure, year)]) for measure, year in keys]
            everything = None
            for key in keys:
                everything = add_open(everything, self.open[key])
            entries.append((say("batch.summary.total"), "", *everything))  # type: ignore[misc]
            width = max(terminal_width(e[0]) for e in entries)
            for name, year, count, least, most in entries:
                claims = plural("batch.summary.claims-count", count).in_lang(lang)
                span = (say("batch.summary.span", least=_figure(least), most=_figure(most)) if most is not None
                        else say("batch.summary.at-least", least=_figure(least)))
                lines.append(f"    {_pad(name, width)}  {_pad(year, 7)}  {' ' * (10 - terminal_width(claims))}{claims}  {span}")
        return terminal_text("\n".join(lines) + "\n")  # case ids are the cases' own: shown, never obeyed


def _status(status: str) -> Any:
    """A status of claims as words (said in the summary's language), or as it is when the catalogue has none."""
    key = f"report.status.{status}"
    return msg(key) if key in CATALOGUE else status


def _year(year: int | None, lang: str = "en") -> str:
    return str(year) if year is not None else msg("batch.summary.undated").in_lang(lang)



def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal cells."""
    return text + " " * (width - terminal_width(text))


def _figure(amount: Decimal) -> str:
    return f"{Decimal(V.money_string(amount)):,.2f}"

