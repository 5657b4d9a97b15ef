"""The policy as the parse stage leaves it: plain dataclasses, every part with its location.

These records mirror the rule files one to one (see ``docs/rule-files.md``); expressions in
them are parsed (:class:`~ordinance.grammar.parser.Expression`) but not yet checked.  The
check stage reads them, the compile stage turns them into programs.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from pathlib import PurePath

from ..errors import Location
from ..grammar.parser import Expression
from ..types import Type


@dataclass(frozen=True)
class Label:
    """A human label in Chinese and English."""

    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def __str__(self) -> str:
        return self.zh if self.zh == self.en else f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Citation:
    """Where in the source document a rule comes from: the article and the quoted text."""

    article: str
    text: str
    source_line: int | None = None  # the line of the quote in the policy's source text

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"article": self.article, "text": self.text}
        if self.source_line is not None:
            out["source_line"] = self.source_line
        return out


@dataclass
class FactDef:
    name: str  # dotted: applicant.annual_revenue, claim.compute_spend
    type: Type
    label: Label
    location: Location
    per: str | None = None  # "year": a case may give the fact year by year (ordinance/periods.py)
    period: str | None = None  # the period its rules read by default (year-before-claim, claim-year)
    period_location: Location | None = None  # where `per:` / `period:` is written


@dataclass
class ParameterValue:
    start: _dt.date | None  # None: from the beginning
    expression: Expression
    location: Location


@dataclass
class ParameterDef:
    name: str
    values: list[ParameterValue]
    label: Label | None
    location: Location
    citation: Citation | None = None


@dataclass
class ValueDef:
    name: str
    expression: Expression
    label: Label | None
    location: Location


@dataclass
class TableRow:
    when: Expression | None  # None: "otherwise", matches always
    cells: dict[str, Expression]
    label: Label | None
    location: Location


@dataclass
class TableDef:
    name: str
    rows: list[TableRow]
    label: Label | None
    location: Location
    citation: Citation | None = None


@dataclass
class ConditionDef:
    id: str
    when: Expression
    label: Label
    location: Location
    citation: Citation | None = None


@dataclass
class CapDef:
    id: str
    limit: Expression
    per: str  # claim | project | product | entity-year
    pool: str | None
    label: Label | None
    location: Location
    citation: Citation | None = None


@dataclass
class QuotaDef:
    count: int
    per: str  # year
    rank_by: Expression
    order: str  # descending | ascending
    label: Label | None
    location: Location
    citation: Citation | None = None


@dataclass(frozen=True)
class Validity:
    start: _dt.date | None
    end: _dt.date | None

    def contains(self, day: _dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        return f"{self.start or '…'} to {self.end or '…'}"


@dataclass(frozen=True)
class Reading:
    """How an ambiguous passage is read, and why: shown in the trace."""

    label: Label
    applies_to: str | None = None  # what the reading is about (a condition id, "amount", ...)


@dataclass
class MeasureDef:
    id: str
    title: Label
    article: str
    citation: Citation
    responsible: list[str]
    basis: str  # exact | maximum
    benefit: str  # money | assessed | in-kind | support
    amount: Expression | None
    ceiling: Expression | None
    duration: Expression | None
    benefit_label: Label | None
    facts: dict[str, FactDef]
    parameters: dict[str, ParameterDef]
    values: dict[str, ValueDef]
    tables: dict[str, TableDef]
    conditions: list[ConditionDef]
    caps: list[CapDef]
    exclusive: str | None
    quota: QuotaDef | None
    readings: list[Reading]
    valid: Validity | None
    file: str
    location: Location
    one_time: bool = False
    valid_citation: Citation | None = None
    exclusive_location: Location | None = None
    valid_location: Location | None = None
    broken: set[str] = field(default_factory=set)  # values, table parts and items that did not parse
    periods: dict[str, tuple[str, Location]] = field(default_factory=dict)  # fact -> (period it reads, where)


@dataclass
class GroupDef:
    """An exclusivity group: claims for one project under its measures are not stacked."""

    id: str
    label: Label
    reading: Label | None
    location: Location


@dataclass
class RuleFileDef:
    file: str
    article: str
    title: Label
    measures: list[MeasureDef]


@dataclass
class PolicyDef:
    id: str
    title: Label
    issuer: Label
    issued: _dt.date
    valid: Validity
    validity_citation: Citation | None
    source_name: str | None
    source_text: str | None
    facts: dict[str, FactDef]
    parameters: dict[str, ParameterDef]
    groups: dict[str, GroupDef]
    readings: list[Reading]
    files: list[RuleFileDef]
    directory: str
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text, for error rendering
    valid_location: Location | None = None

    @property
    def measures(self) -> list[MeasureDef]:
        return [m for f in self.files for m in f.measures]

    def name_in_policy(self, file: str) -> str:
        """The name a decision gives ``file``: ``<policy id>/<path inside the policy>``.

        Problems name a file as the reader's shell reaches it (relative to the current
        directory); a decision must not depend on where the program stands or where it is
        installed, so its trace names the policy and the file inside it
        (``xiamen-ai-2025/rules/08-compute-voucher.yaml``).  A file outside the policy's folder
        (none is named today) keeps its name.
        """
        try:
            inside = PurePath(file).relative_to(PurePath(self.directory))
        except ValueError:
            return file
        return f"{self.id}/{inside.as_posix()}"

    def located_in_policy(self, location: Location | None) -> Location | None:
        """``location`` with its file named by :meth:`name_in_policy` (``None`` stays ``None``)."""
        if location is None:
            return None
        return replace(location, file=self.name_in_policy(location.file))
