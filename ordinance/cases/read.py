"""Reading a case: the applicant's facts, its claims and its history of prior awards.

A case is plain data (from YAML, JSON or Python).  Every fact is converted to its declared
type here, once, so evaluation never meets a string where money is due.  Amounts may be
written as the statute writes them (``5億``, ``500萬元``) or as numbers (``500000000``).
Every mistake is collected with its path in the case (``claims[1].compute_spend``), the
type expected, and a "did you mean" for unknown names; all of them are raised together
as one :class:`~ordinance.errors.CaseError`, so nothing is decided from half-read input.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping, Protocol

from .. import types as T
from .. import values as V
from ..errors import CaseError, Problem, did_you_mean, dotted_path, shorten
from ..messages import Text, join, msg
from ..types import Type
from ..front.load import DEFAULT_LIMITS, LoadedFile
from ..periods import ByYear, YearKeyError, read_by_year, year_key


class Policy(Protocol):
    """What the case reader needs of a policy (:class:`ordinance.policy.Policy` has it): how a
    case names each applicant fact (``key -> (full name, type)``, and with each type's converter),
    the measures' programs by key, and how to find a measure by the name a case gives."""

    applicant_specs: Mapping[str, tuple[str, Type]]
    applicant_readers: Mapping[str, tuple[str, Callable[[Any], Any]]]
    programs: Mapping[str, Any]
    #: the applicant facts (full names) declared ``per: year``: a case may give them year by year
    per_year: frozenset[str]

    def find_measure(self, ref: str) -> Any: ...

    def measure_ids(self) -> list[str]: ...

CLAIM_KEYS = ("id", "measure", "date", "project", "note")
HISTORY_KEYS = ("id", "measure", "date", "amount", "project", "policy", "group", "pool", "note")
CASE_KEYS = ("case", "applicant", "claims", "history", "note", "$schema")


@dataclass
class Claim:
    id: str
    measure: str  # the measure id as resolved in the policy
    date: _dt.date | None
    project: str | None
    facts: dict[str, Any]  # claim.* facts, typed
    index: int


@dataclass
class PriorAward:
    """An award granted before this case (it counts against yearly caps and exclusivity)."""

    id: str
    measure: str | None
    date: _dt.date
    amount: Decimal
    project: str | None
    group: str | None
    pool: str | None
    policy: str | None
    index: int


@dataclass
class Case:
    id: str
    applicant: dict[str, Any]  # applicant.* facts, typed
    claims: list[Claim]
    history: list[PriorAward] = field(default_factory=list)
    name: str = "<case>"


class _Reader:
    def __init__(self, policy: Policy, name: str, loaded: LoadedFile | None):
        self.policy = policy
        self.name = name
        self.loaded = loaded
        self.problems: list[Problem] = []

    def problem(self, code: str, message: Text, path: tuple[object, ...], hint: Text | None = None,
                key: bool = False, shown: str | None = None) -> None:
        loc = self.loaded.location(path, key=key) if self.loaded is not None else None
        self.problems.append(Problem(code, message, loc, hint, shown or _dotted(path)))

    def unknown_keys(self, data: Mapping[str, Any], allowed: tuple[str, ...] | list[str], path, what: Text) -> None:
        for key in data:
            if key not in allowed:
                self.problem("unknown-key", msg("case.unknown-key", key=shorten(str(key)), where=what), path + (key,),
                             did_you_mean(str(key), allowed), key=True)

    def convert(self, value: Any, t: Type, path: tuple[object, ...], fact: str) -> Any:
        try:
            return convert_value(value, t)
        except _Mismatch as exc:
            self.mismatch(exc, value, t, path, fact)
        return None

    def mismatch(self, exc: "_Mismatch", value: Any, t: Type, path: tuple[object, ...], fact: str,
                 shown: str | None = None) -> None:
        self.problem("wrong-type", msg("case.wrong-type", fact=fact, type=_describe(t), value=_show(value)), path,
                     exc.hint,
                     shown=shown)


class _Mismatch(Exception):
    def __init__(self, hint: Text | None = None):
        super().__init__(hint)
        self.hint = hint


_DECIMAL_TYPES = frozenset(("money", "number", "rate"))
_LIMIT = 10 ** 30


def convert_value(value: Any, t: Type) -> Any:
    """Convert one case value to type ``t``; raise ``_Mismatch`` with a hint if it does not fit."""
    name = t.name
    cls = value.__class__
    # fast paths for the shapes JSON and YAML produce most
    if cls is int and name in _DECIMAL_TYPES and -_LIMIT < value < _LIMIT and (value >= 0 or name != "money") \
            and (name != "rate" or -1 <= value <= 1):
        return Decimal(value)
    if cls is bool and name == "bool":
        return value
    if cls is str:
        if name == "enum" and value in (t.values or ()):
            return value
        if name == "string":
            return value
        if (name == "money" or name == "number") and _PLAIN_DECIMAL(value):
            return Decimal(value)  # "1234567.89": digits as written, non-negative, at most 30 before the point
        if name in _CACHED_TEXT_TYPES and len(value) <= 64:
            return _convert_text(value, name)  # "200萬", "2025-06-01": the same texts recur across cases
    return _convert_slow(value, t)


#: amounts written with a unit (``800萬``) as read before, by type name: a case repeats few of them
UNIT_TEXTS: dict[str, dict[str, Decimal]] = {"money": {}, "number": {}}
#: dates, durations and rates written as text, as read before (at most 4,096 of each type)
TEXTS: dict[str, dict[str, Any]] = {"date": {}, "duration": {}, "rate": {}}


def converter_for(t: Type) -> Callable[[Any], Any]:
    """``convert_value(·, t)`` specialised to ``t``: the shapes JSON and YAML give most are taken
    first, everything else goes to :func:`convert_value` (so the results are the same)."""
    name = t.name
    if name in ("money", "number"):
        low = 0 if name == "money" else -_LIMIT + 1
        texts = UNIT_TEXTS[name]

        def decimal_value(value: Any) -> Any:
            cls = value.__class__
            if cls is str and len(value) <= 64:
                if value.isascii():
                    return Decimal(value) if _PLAIN_DECIMAL(value) else _convert_text(value, name)
                known = texts.get(value)  # 800萬, 3.5億元: remembered (a case repeats few of them)
                if known is None:
                    known = Decimal(value) if _PLAIN_DECIMAL(value) else _convert_text(value, name)
                    if len(texts) < 4096:
                        texts[value] = known
                return known
            if cls is int and low <= value < _LIMIT:
                return Decimal(value)
            return convert_value(value, t)
        return decimal_value
    if name in ("date", "duration", "rate"):
        read = TEXTS[name]

        def text_value(value: Any) -> Any:
            if value.__class__ is str and len(value) <= 64:
                known = read.get(value)  # 2025-06-01: remembered (cases repeat few dates)
                if known is None:
                    known = _convert_text(value, name)
                    if len(read) < 4096:
                        read[value] = known
                return known
            return convert_value(value, t)
        return text_value
    if name == "bool":
        return lambda value: value if value.__class__ is bool else convert_value(value, t)
    if name == "string":
        return lambda value: value if value.__class__ is str else convert_value(value, t)
    if name == "enum":
        allowed = frozenset(t.values or ())
        return lambda value: value if value.__class__ is str and value in allowed else convert_value(value, t)
    return lambda value: convert_value(value, t)


def per_year_converter(t: Type) -> Callable[[Any], Any]:
    """``converter_for(t)`` for a fact declared ``per: year``: a mapping of years to values is
    read year by year into a :class:`~ordinance.periods.ByYear`, anything else as one value (read
    for every year).  A key that is not a year raises ``_Mismatch``, as a value that does not fit."""
    convert = converter_for(t)
    name = t.name

    def read(value: Any) -> Any:
        if value.__class__ is dict:
            try:
                return read_by_year(value, convert, name)
            except YearKeyError as exc:
                raise _Mismatch(exc.hint) from None
        return convert(value)
    return read


_money_value = converter_for(T.MONEY)  # (as convert_value(·, MONEY))
_CACHED_TEXT_TYPES = frozenset(("money", "number", "rate", "date", "duration"))
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,30}(?:\.[0-9]{1,30})?\Z").match


_SIMPLE_TYPES = {t.name: t for t in (T.MONEY, T.NUMBER, T.RATE, T.DATE, T.DURATION)}


@functools.lru_cache(maxsize=8192)
def _convert_text(value: str, type_name: str) -> Any:
    """Text to a value of the simple type named ``type_name``, remembered: Decimals, dates and
    durations are immutable, and a failure (``_Mismatch``) is raised afresh each time, never
    cached.  (Keyed by the type's name: strings hash once, a Type would hash every time.)"""
    return _convert_slow(value, _SIMPLE_TYPES[type_name])


#: The types whose text is read as digits: ASCII ones only (the published JSON Schema's ``\d``).
_DIGIT_TYPES = frozenset(("money", "number", "rate", "date", "duration"))


def _convert_slow(value: Any, t: Type) -> Any:
    name = t.name
    if name in _DIGIT_TYPES and isinstance(value, str) and not value.isascii():
        fixed = V.ascii_digits(value.strip())
        if fixed is not None:  # ５億, ٥億, ५००, 𝟓億, ２０２５-０６-０１: Python would take them, the schema does not
            raise _Mismatch(msg("hint.ascii-digits", fixed=fixed))
    if name in _DECIMAL_TYPES:
        if isinstance(value, bool):
            raise _Mismatch()
        if isinstance(value, float):
            value = repr(value)  # JSON read without Decimal: keep the digits as written
        if isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, Decimal):
            result = value
        elif isinstance(value, str):
            text = value.strip()
            if name == "money" and text.startswith("-"):
                raise _Mismatch(msg("case.hint.money-negative"))
            try:
                if name == "money" and (V.MONEY_RE.match(text) and not V.NUMBER_RE.match(text)):
                    result = V.parse_money(text)
                elif name == "rate" and text.endswith("%"):
                    result = V.parse_percent(text)
                elif V.NUMBER_RE.match(text):
                    result = Decimal(text.replace("_", ""))
                else:
                    result = Decimal(text)  # 1e5 and the like
            except (InvalidOperation, V.LiteralError):
                raise _Mismatch(_EXAMPLES[name]) from None
        else:
            raise _Mismatch(_EXAMPLES[name])
        if not result.is_finite():
            raise _Mismatch(msg("case.hint.finite"))
        if abs(result.adjusted()) > 30:
            raise _Mismatch(msg("case.hint.out-of-range"))
        if name == "money" and result < 0:
            raise _Mismatch(msg("case.hint.money-negative"))
        if name == "rate" and not (isinstance(value, str) and value.strip().endswith("%")) and abs(result) > 1:
            raise _Mismatch(msg("case.hint.rate-fraction", rate=result))
        return result
    if name == "date":
        if isinstance(value, _dt.datetime):
            raise _Mismatch(msg("case.hint.date-without-time"))
        if isinstance(value, _dt.date):
            return value
        if isinstance(value, str):
            try:
                return V.parse_date(value)
            except V.LiteralError as exc:
                raise _Mismatch(exc.text) from None
        raise _Mismatch(msg("case.hint.date"))
    if name == "duration":
        if isinstance(value, V.Duration):
            return value
        if isinstance(value, str):
            try:
                return V.parse_duration(value)
            except V.LiteralError:
                pass
        raise _Mismatch(msg("case.hint.duration"))
    if name == "bool":
        if isinstance(value, bool):
            return value
        raise _Mismatch(msg("case.hint.bool"))
    if name == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch()
    if name == "enum":
        if isinstance(value, str) and value in (t.values or ()):
            return value
        if isinstance(value, str):
            raise _Mismatch(did_you_mean(value, t.values or ()) or msg("hint.one-of", values=", ".join(t.values or ())))
        raise _Mismatch(msg("hint.one-of", values=", ".join(t.values or ())))
    if name == "list":
        if not isinstance(value, list):
            raise _Mismatch(msg("case.hint.list"))
        items = []
        for i, item in enumerate(value):
            try:
                items.append(convert_value(item, t.element or T.STRING))
            except _Mismatch as exc:
                said = dict(number=i + 1, value=_show(item), type=_describe(t.element or T.STRING))
                raise _Mismatch(msg("case.hint.list-item-because", **said, hint=exc.hint) if exc.hint
                                else msg("case.hint.list-item", **said)) from None
        return tuple(items)
    raise _Mismatch()


_EXAMPLES = {"money": msg("case.hint.money"), "number": msg("case.hint.number"), "rate": msg("case.hint.rate")}

#: what a case value of each type is called in a message
_DESCRIBED = {name: msg(f"case.type.{name}") for name in ("money", "number", "rate", "date", "duration", "bool",
                                                           "string")}


def _describe(t: Type) -> str:
    if t.name == "enum" and t.values:
        return msg("case.type.enum", values=", ".join(t.values))
    return _DESCRIBED.get(t.name) or str(t)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return msg("case.value.text", text=repr(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return msg("case.value.empty")
    if isinstance(value, list):
        return msg("case.value.list")
    if isinstance(value, dict):
        return msg("case.value.mapping")
    return repr(value)


def too_many_claims(count: int, key: str, most: int) -> Text:
    """``the case lists N claims (or history), more than the limit of M``."""
    return msg("case.too-many-claims" if key == "claims" else "case.too-many-awards", count=count, most=most)


def _is_text(value: Any) -> bool:
    """An id may be written as text or as a whole number (``case: 17``), never as a list, a
    mapping or a boolean (``case: true`` is not the case "True")."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _dotted(path: tuple[object, ...]) -> str:
    return dotted_path(path)


def read_case(data: Any, policy: Policy, name: str = "<case>", loaded: LoadedFile | None = None) -> Case:
    """Check and convert ``data`` into a :class:`Case` for ``policy``; raise CaseError listing every problem."""
    r = _Reader(policy, name, loaded)
    if data is None:
        r.problem("empty-file", msg("case.empty"), (), msg("case.hint.needs-claims"))
        raise CaseError(r.problems, {name: loaded.text} if loaded else None)
    if not isinstance(data, (dict, Mapping)):
        r.problem("bad-case", msg("case.not-a-mapping"), ())
        raise CaseError(r.problems, {name: loaded.text} if loaded else None)
    limits = loaded.limits if loaded is not None else DEFAULT_LIMITS
    for key in ("claims", "history"):
        items = data.get(key)
        if isinstance(items, list) and len(items) > limits.max_claims:
            r.problem("too-many-claims", too_many_claims(len(items), key, limits.max_claims), (key,),
                      msg("case.hint.too-many-claims"))
            raise CaseError(r.problems, {name: loaded.text} if loaded else None)
    r.unknown_keys(data, CASE_KEYS, (), msg("case.where.case"))
    case_id = data.get("case")
    if case_id is not None and not _is_text(case_id):
        r.problem("wrong-type", msg("case.id-not-text", value=_show(case_id)), ("case",), msg("case.hint.case-id"))
    applicant = _read_applicant(r, data.get("applicant"))
    claims = _read_claims(r, data.get("claims"))
    history = _read_history(r, data.get("history"))
    if r.problems:
        raise CaseError(r.problems, {name: loaded.text} if loaded else None)
    return Case(str(case_id) if case_id is not None else name, applicant, claims, history, name)


_PLAIN_CASE_KEYS = frozenset(CASE_KEYS)
_PLAIN_CLAIM_KEYS = frozenset(CLAIM_KEYS)


def read_plain_case(data: Any, policy: Policy, name: str = "<case>") -> Case | None:
    """The common shape of a case, read without a problem report: a dict of known keys, known facts
    whose values convert, claims under measures named by their ids, unique claim ids.  Anything
    else (including every mistake) returns None, and :func:`read_case` reads the case again,
    collecting every problem with its path.  The two give the same :class:`Case` (a test holds it)."""
    if data.__class__ is not dict:
        return None
    for key in data:
        if key not in _PLAIN_CASE_KEYS:
            return None
    claims_data = data.get("claims")
    if claims_data.__class__ is not list or len(claims_data) > DEFAULT_LIMITS.max_claims:
        return None
    case_id = data.get("case")
    if case_id is not None and case_id.__class__ is not str:
        return None
    applicant: dict[str, Any] = {}
    applicant_data = data.get("applicant")
    try:
        if applicant_data is not None:
            if applicant_data.__class__ is not dict:
                return None
            if not read_plain_facts(applicant_data, policy.applicant_readers, applicant):
                return None
        claims: list[Claim] = []
        programs = policy.programs
        seen: set[str] = set()
        for i, item in enumerate(claims_data):
            if item.__class__ is not dict:
                return None
            claim_id = item.get("id")
            if claim_id.__class__ is not str:
                if claim_id is not None:
                    return None
                claim_id = f"claim-{i + 1}"
            if claim_id in seen:
                return None
            seen.add(claim_id)
            program = programs.get(item.get("measure"))  # type: ignore[arg-type]
            if program is None:
                return None
            day = item.get("date")
            if day is not None:
                day = _convert_text(day, "date") if day.__class__ is str and len(day) <= 64 \
                    else convert_value(day, T.DATE)
            project = item.get("project")
            if project is not None and project.__class__ is not str:
                return None
            facts: dict[str, Any] = {}
            if not read_plain_facts(item, program.claim_keys, facts):
                return None
            claims.append(Claim(claim_id, program.key, day, project, facts, i))
    except (_Mismatch, TypeError):
        return None
    history_data = data.get("history")
    history: list[PriorAward] = []
    if history_data:
        if history_data.__class__ is not list or len(history_data) > DEFAULT_LIMITS.max_claims:
            return None
        try:
            for i, item in enumerate(history_data):
                award = _plain_award(item, i, programs)
                if award is None:
                    return None
                history.append(award)
        except (_Mismatch, TypeError):
            return None
    return Case(case_id if case_id is not None else name, applicant, claims, history, name)


_UNKNOWN = object()
_PLAIN_HISTORY_KEYS = frozenset(HISTORY_KEYS)


def read_plain_facts(data: Mapping[str, Any], readers: Mapping[str, Any], into: dict[str, Any]) -> bool:
    """Convert the facts of ``data`` into ``into`` (full name -> value), each with its reader
    (``key -> (full name, converter)``, or None for a key read elsewhere, such as a claim's
    ``date``); False at a key no reader knows.  A value that does not convert raises
    ``_Mismatch`` (or ``TypeError``)."""
    for key, value in data.items():
        reader = readers.get(key, _UNKNOWN)
        if reader is None:
            continue
        if reader is _UNKNOWN:
            return False
        if value is not None:
            into[reader[0]] = reader[1](value)
    return True


def _plain_award(item: Any, i: int, programs: Mapping[str, Any]) -> PriorAward | None:
    """A prior award in its common shape (under a measure of this policy), or None: see
    :func:`_read_history` for the rest and for every mistake."""
    if item.__class__ is not dict or not _PLAIN_HISTORY_KEYS.issuperset(item):
        return None
    get = item.get
    program = programs.get(get("measure"))
    award_id, project, group, pool, day, amount = get("id"), get("project"), get("group"), get("pool"), get("date"), \
        get("amount")
    if program is None or day is None or amount is None or item.get("policy") is not None \
            or (award_id is not None and award_id.__class__ is not str) \
            or (project is not None and project.__class__ is not str) \
            or (group is not None and group.__class__ is not str) or (pool is not None and pool.__class__ is not str):
        return None
    if project is None and program.plan.needs_project:
        return None
    day = _convert_text(day, "date") if day.__class__ is str and len(day) <= 64 else convert_value(day, T.DATE)
    amount = _money_value(amount)
    group = group or program.plan.exclusive
    return PriorAward(award_id or f"history-{i + 1}", program.key, day, amount, project, group or None, pool,
                      None, i)


def _read_applicant(r: _Reader, data: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if data is None:
        return facts
    if not isinstance(data, (dict, Mapping)):
        r.problem("wrong-type", msg("case.applicant-not-mapping"), ("applicant",))
        return facts
    specs = r.policy.applicant_specs  # key -> (full name, type), built once per policy
    per_year = r.policy.per_year
    for key, value in data.items():
        spec = specs.get(key)
        if spec is None:
            r.problem("unknown-fact", msg("case.unknown-applicant-fact", key=shorten(str(key))), ("applicant", key),
                      did_you_mean(str(key), list(specs)), key=True)
        elif isinstance(value, Mapping):
            full, t = spec
            if full in per_year:
                facts[full] = _read_years(r, value, t, ("applicant", key), full)
            else:
                r.problem("not-per-year", msg("case.not-per-year", fact=full, type=_describe(t)), ("applicant", key),
                          msg("case.hint.per-year-some", key=key, facts=", ".join(sorted(per_year))) if per_year
                          else msg("case.hint.per-year-none", key=key))
        elif value is not None:
            full, t = spec
            try:
                facts[full] = convert_value(value, t)
            except _Mismatch as exc:
                r.mismatch(exc, value, t, ("applicant", key), full)
    return facts


def _read_years(r: _Reader, data: Mapping[Any, Any], t: Type, path: tuple[object, ...], full: str) -> ByYear:
    """A per-year fact written as a mapping of years to values (ordinance/periods.py); each
    mistake with its path (``applicant.annual_revenue.2024``)."""
    values: dict[int, Any] = {}
    seen: set[int] = set()
    for k, item in data.items():
        here, shown = path + (k,), f"{_dotted(path)}.{k}"
        try:
            year = year_key(k)
        except YearKeyError as exc:
            r.problem("bad-year", msg("case.bad-year", fact=full, key=k), here, exc.hint, key=True,
                      shown=shown)
            continue
        if year in seen:
            r.problem("duplicate-year", msg("case.duplicate-year", fact=full, year=year), here, msg("year.hint.once"),
                      key=True, shown=shown)
            continue
        seen.add(year)
        if item is None:
            continue  # that year is not known
        if isinstance(item, Mapping):
            r.problem("wrong-type", msg("case.not-per-year", fact=f"{full}[{year}]", type=_describe(t)), here,
                      msg("case.hint.one-per-year"), shown=shown)
            continue
        try:
            values[year] = convert_value(item, t)
        except _Mismatch as exc:
            r.mismatch(exc, item, t, here, f"{full}[{year}]", shown=shown)
    return ByYear(values, t.name)


def _read_claims(r: _Reader, data: Any) -> list[Claim]:
    claims: list[Claim] = []
    if data is None:
        r.problem("missing-key", msg("case.no-claims"), (), msg("case.hint.list-claims"))
        return claims
    if not isinstance(data, list):
        r.problem("wrong-type", msg("case.claims-not-list"), ("claims",))
        return claims
    seen: set[str] = set()
    for i, item in enumerate(data):
        path: tuple[object, ...] = ("claims", i)
        if not isinstance(item, (dict, Mapping)):
            r.problem("wrong-type", msg("case.claim-not-mapping"), path)
            continue
        raw_id = item.get("id")
        if raw_id is not None and not _is_text(raw_id):
            r.problem("wrong-type", msg("case.claim-id-not-text", value=_show(raw_id)), path + ("id",),
                      msg("case.hint.claim-id"))
        claim_id = str(raw_id if raw_id is not None else f"claim-{i + 1}")
        if claim_id in seen:
            r.problem("duplicate-claim", msg("case.duplicate-claim", id=claim_id), path + ("id",))
        seen.add(claim_id)
        measure_ref = item.get("measure")
        program = None
        if measure_ref is None:
            r.problem("missing-key", msg("case.claim-needs-measure"), path, msg("case.hint.measure"), key=True)
        else:
            program = r.policy.find_measure(str(measure_ref))
            if program is None:
                r.problem("unknown-measure",
                          msg("case.unknown-measure", measure=shorten(str(measure_ref))), path + ("measure",),
                          did_you_mean(str(measure_ref), r.policy.measure_ids()))
        day = None
        if item.get("date") is not None:
            day = r.convert(item["date"], T.DATE, path + ("date",), "claim.date")
        project = item.get("project")
        if project is not None and not _is_text(project):
            r.problem("wrong-type", msg("case.project-not-text"), path + ("project",))
            project = None
        facts: dict[str, Any] = {}
        if program is not None:
            specs = program.claim_specs  # key -> (full name, type), built once per measure
            for key, value in item.items():
                spec = specs.get(key)
                if spec is None:
                    if key not in CLAIM_KEYS:
                        _unknown_claim_fact(r, program, key, path)
                elif value is not None:
                    full, t = spec
                    try:
                        facts[full] = convert_value(value, t)
                    except _Mismatch as exc:
                        r.mismatch(exc, value, t, path + (key,), full)
        claims.append(Claim(claim_id, program.key if program else str(measure_ref), day,
                            str(project) if project is not None else None, facts, i))
    return claims


def _unknown_claim_fact(r: _Reader, program, key: str, path: tuple[object, ...]) -> None:
    full = f"claim.{key}"
    owners = [k for k, prog in r.policy.programs.items() if key in prog.claim_specs]
    hint = (msg("case.hint.fact-of-other", key=key, owners=join(owners[:3]), measure=program.measure.id)
            if owners else did_you_mean(str(key), list(program.claim_specs)))
    r.problem("unknown-fact", msg("case.unknown-claim-fact", measure=program.measure.id, key=shorten(str(key))),
              path + (key,), hint, key=True)


def _read_history(r: _Reader, data: Any) -> list[PriorAward]:
    out: list[PriorAward] = []
    if data is None:
        return out
    if not isinstance(data, list):
        r.problem("wrong-type", msg("case.history-not-list"), ("history",))
        return out
    for i, item in enumerate(data):
        path: tuple[object, ...] = ("history", i)
        if not isinstance(item, Mapping):
            r.problem("wrong-type", msg("case.award-not-mapping"), path)
            continue
        r.unknown_keys(item, HISTORY_KEYS, path, msg("case.where.award"))
        for key in ("id", "project"):
            if item.get(key) is not None and not _is_text(item[key]):
                r.problem("wrong-type", msg("case.award-key-not-text", key=key, value=_show(item[key])), path + (key,))
        measure = item.get("measure")
        program = r.policy.find_measure(str(measure)) if measure is not None else None
        if measure is not None and program is None and item.get("policy") is not None \
                and item.get("group") is None and item.get("pool") is None:
            r.problem("missing-key", msg("case.award-needs-group"), path, msg("case.hint.award-group"), key=True)
        if program is not None and item.get("project") is None and program.plan.needs_project:
            r.problem("missing-key", msg("case.award-needs-project", measure=program.measure.id), path, key=True)
        if measure is not None and program is None and item.get("policy") is None:
            r.problem("unknown-measure", msg("case.unknown-measure", measure=shorten(str(measure))),
                      path + ("measure",),
                      did_you_mean(str(measure), r.policy.measure_ids()) or msg("case.hint.other-policy"))
        if measure is None and item.get("pool") is None and item.get("group") is None:
            r.problem("missing-key", msg("case.award-needs-measure"), path, key=True)
        day = r.convert(item.get("date"), T.DATE, path + ("date",), "date") if item.get("date") is not None else None
        if day is None and item.get("date") is None:
            r.problem("missing-key", msg("case.award-needs-date"), path, key=True)
        amount = r.convert(item.get("amount"), T.MONEY, path + ("amount",), "amount") \
            if item.get("amount") is not None else None
        if amount is None and item.get("amount") is None:
            r.problem("missing-key", msg("case.award-needs-amount"), path, key=True)
        if day is None or amount is None:
            continue
        group = item.get("group") or (program.plan.exclusive if program else None)
        out.append(PriorAward(str(item.get("id") or f"history-{i + 1}"), program.key if program else
                              (str(measure) if measure is not None else None), day, amount,
                              str(item["project"]) if item.get("project") is not None else None,
                              str(group) if group else None, item.get("pool"), item.get("policy"), i))
    return out
