"""``ordinance show``: the policy for reading, each rule beside the source text it encodes.

Everything comes from the loaded :class:`~ordinance.policy.Policy`: the measures
(:class:`~ordinance.front.model.MeasureDef`) and their policy
(:class:`~ordinance.front.model.PolicyDef`, with its groups and readings).  Two renderings
share one walk over that data: plain text for the terminal and Markdown for documents.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..check.checker import BUILTIN_FACTS
from ..front.model import (
    Citation,
    FactDef,
    Label,
    MeasureDef,
    ParameterDef,
    PolicyDef,
    Reading,
)
from ..run.interpret import MeasureProgram
from ..errors import OrdinanceError, Problem, did_you_mean, shorten, terminal_width
from ..messages import CATALOGUE, join, msg
from ..policy import Policy


class UnknownMeasure(OrdinanceError):
    """``show`` was asked for a measure the policy does not have."""


def show_policy(policy: Policy, ref: str | None = None, fmt: str = "text", lang: str = "en") -> str:
    """The policy (or the measure ``ref``) as text or Markdown, its words in ``lang`` (``en`` or
    ``zh``: the headings and field names, and the rule files' labels in that language)."""
    programs = _programs(policy, ref)
    doc = _Doc(markdown=fmt == "markdown", lang=lang)
    if ref is None:
        for info in policy.policies:
            _policy_section(doc, info.definition, policy, info.digest)
    for program in programs:
        _measure_section(doc, program, policy, single=ref is not None)
    return doc.text()


# -------------------------------------------------------------------------------------------------
# A tiny document model: headings, key/value lines, lists, tables and quotes, rendered twice
# -------------------------------------------------------------------------------------------------

@dataclass
class _Doc:
    markdown: bool
    lang: str = "en"
    lines: list[str] = field(default_factory=list)

    def say(self, key: str, **params: object) -> str:
        """The catalogue's message ``key`` in this document's language."""
        return msg(key, **params).in_lang(self.lang)

    def said(self, prefix: str, value: str) -> str:
        """The words for ``value`` (the entry ``prefix.value``), or the value itself when there are none."""
        key = f"{prefix}.{value}"
        return self.say(key) if key in CATALOGUE else value

    def text(self) -> str:
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n"

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def heading(self, level: int, text: str) -> None:
        self.blank()
        if self.markdown:
            self.lines.append("#" * level + " " + text)
            self.lines.append("")
        elif level <= 2:
            if level == 2 and self.lines:
                self.lines.append("─" * 78)
            self.lines.append(text)
        else:
            self.lines.append("  " + text)

    def fields(self, rows: Iterable[tuple[str, str]], indent: int = 2) -> None:
        rows = [(k, v) for k, v in rows if v]
        if not rows:
            return
        if self.markdown:
            for k, v in rows:
                first, *more = v.split("\n")
                self.lines.append(f"- **{k}**: {first}")
                self.lines.extend(f"  {line}" for line in more)
            self.lines.append("")
            return
        width = max(terminal_width(k) for k, _ in rows)
        for k, v in rows:
            first, *more = v.split("\n")
            self.lines.append(" " * indent + k + " " * (width - terminal_width(k)) + f"  {first}")
            self.lines.extend(" " * (indent + width + 2) + line for line in more)

    def quote(self, citation: Citation | None, indent: int = 2) -> None:
        if citation is None or not citation.text:
            return
        where = self.say("show.quote-line", article=citation.article, line=citation.source_line) \
            if citation.source_line else citation.article
        quoted = self.say("show.quote", text=citation.text, where=where)
        if self.markdown:
            self.lines.append(f"> {quoted}")
            self.lines.append("")
        else:
            self.lines.append(" " * indent + quoted)

    def table(self, header: list[str], rows: list[list[str]], notes: list[list[str]] | None = None) -> None:
        """Rows of cells; ``notes[i]`` are lines shown under row i (text) or in the last column (Markdown)."""
        if not rows:
            return
        if self.markdown:
            self.lines.append("| " + " | ".join(header) + " |")
            self.lines.append("|" + "|".join("---" for _ in header) + "|")
            for row in rows:
                self.lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
            self.lines.append("")
            return
        widths = [max(terminal_width(r[i]) for r in rows) for i in range(len(header))]
        for n, row in enumerate(rows):
            cells = [c + " " * (widths[i] - terminal_width(c)) if i < len(row) - 1 else c for i, c in enumerate(row)]
            self.lines.append(("    " + "  ".join(cells)).rstrip())
            for note in (notes[n] if notes else []):
                self.lines.append("      " + note)

    def items(self, entries: list[str]) -> None:
        if self.markdown:
            self.lines.extend(f"- {e}" for e in entries)
            self.lines.append("")
        else:
            self.lines.extend(f"    - {e}" for e in entries)


def _programs(policy: Policy, ref: str | None) -> list[MeasureProgram]:
    """Every measure, or the one ``ref`` names."""
    if ref is None:
        return list(policy.programs.values())
    program = policy.find_measure(ref)
    if program is None:
        raise UnknownMeasure([Problem("unknown-measure", msg("case.unknown-measure", measure=shorten(ref)), None,
                                      did_you_mean(ref, policy.measure_ids()) or msg("cli.hint.show-lists"),
                                      "MEASURE")])
    return [program]


def show_generated(policy: Policy, ref: str | None = None) -> str:
    """The generated Python that decides a one-claim case of each measure (or of ``ref``'s): its
    claim function (one claim from its data to its result) and the case function of the shape
    of one claim, with what their names refer to; a measure the generator does not handle says
    why (the reference interpreter then decides its cases)."""
    parts = []
    for program in _programs(policy, ref):
        head = f"# {program.measure.id} ({program.measure.article})"
        listing, why = policy.engine.listing((program.key,))
        body = listing if why is None else f"# not generated ({why}): the reference interpreter decides its cases\n"
        parts.append(head + "\n" + body)
    return "\n".join(parts)



def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>") if text else " "


def _code(doc: _Doc, text: str) -> str:
    return f"`{text}`" if doc.markdown and text else text


def _label(doc: _Doc, label: Label | None) -> str:
    """A label of the rule files: both languages (``zh / en``) in English, its Chinese in Chinese."""
    if label is None:
        return ""
    return label.zh if doc.lang == "zh" else str(label)


def _validity(doc: _Doc, valid) -> str:
    return doc.say("words.validity", start=valid.start or "…", end=valid.end or "…")


# -------------------------------------------------------------------------------------------------
# The policy
# -------------------------------------------------------------------------------------------------

def _policy_section(doc: _Doc, p: PolicyDef, policy: Policy, digest: str) -> None:
    doc.heading(1, f"{p.id}  {_label(doc, p.title)}")
    doc.fields([
        (doc.say("show.key.issuer"), _label(doc, p.issuer)),
        (doc.say("show.key.issued"), p.issued.isoformat() if p.issued else ""),
        (doc.say("show.key.valid"), _validity(doc, p.valid)),
        (doc.say("show.key.measures"), join(_code(doc, m.id) for m in p.measures).in_lang(doc.lang)),
        (doc.say("show.key.directory"), p.directory),
        (doc.say("show.key.digest"), f"sha256:{digest[:12]}"),
    ])
    doc.quote(p.validity_citation)
    if p.groups:
        doc.heading(3, doc.say("show.h.groups"))
        members = {g: [m.id for m in p.measures if m.exclusive == g] for g in p.groups}
        for g in p.groups.values():
            line = doc.say("show.group", group=_code(doc, g.id), label=_label(doc, g.label),
                           measures=join(_code(doc, m) for m in members[g.id]))
            reading = doc.say("note.reading", reading=g.reading.zh) if g.reading is not None else None
            english = g.reading is not None and doc.lang != "zh"  # (in Chinese, the reading's Chinese alone)
            if doc.markdown:
                doc.lines.append(f"- {line}")
                if reading is not None:
                    doc.lines.append(f"  - {reading}")
                    if english:
                        doc.lines.append(f"    {g.reading.en}")
            else:
                doc.lines.append(f"    {line}")
                if reading is not None:
                    doc.lines.append(f"      {reading}")
                    if english:
                        doc.lines.append(f"               {g.reading.en}")
        if doc.markdown:
            doc.lines.append("")
    if p.readings:
        doc.heading(3, doc.say("show.h.policy-readings"))
        doc.items([_reading(doc, r) for r in p.readings])
    facts = [f for f in policy.applicant_facts.values() if f.name in p.facts or len(policy.policies) == 1]
    if facts:
        doc.heading(3, doc.say("show.h.applicant-facts"))
        _facts_table(doc, facts)


def _reading(doc: _Doc, r: Reading) -> str:
    """A reading: what it is about, its Chinese, and (in English) its English under it."""
    about = f"[{r.applies_to}] " if r.applies_to else ""
    if r.label.zh == r.label.en or doc.lang == "zh":
        return about + r.label.zh
    return f"{about}{r.label.zh}{'<br>' if doc.markdown else chr(10) + '      '}{r.label.en}"


def _facts_table(doc: _Doc, facts: list[FactDef], builtins: Iterable[str] = ()) -> None:
    rows = [[_code(doc, f.name), str(f.type), _label(doc, f.label)] for f in facts]
    for name in builtins:
        t, zh, en = BUILTIN_FACTS[name]
        rows.append([_code(doc, name), str(t), doc.say("show.built-in", label=_label(doc, Label(zh, en)))])
    doc.table([doc.say("show.col.fact"), doc.say("show.col.type"), doc.say("show.col.description")], rows)


# -------------------------------------------------------------------------------------------------
# A measure
# -------------------------------------------------------------------------------------------------

def _expressions(m: MeasureDef):
    for c in m.conditions:
        yield c.when
    for v in m.values.values():
        yield v.expression
    for t in m.tables.values():
        for row in t.rows:
            if row.when is not None:
                yield row.when
            yield from row.cells.values()
    for e in (m.amount, m.ceiling, m.duration):
        if e is not None:
            yield e
    for cap in m.caps:
        yield cap.limit
    if m.quota is not None:
        yield m.quota.rank_by


def _reads(program: MeasureProgram) -> list[str]:
    names: dict[str, None] = {}
    for e in _expressions(program.measure):
        typed = program.checked.typed.get(id(e))
        if typed is not None:
            names.update(dict.fromkeys(typed.reads))
    return list(names)


def _measure_section(doc: _Doc, program: MeasureProgram, policy: Policy, single: bool) -> None:
    m = program.measure
    p = program.policy
    reads = _reads(program)
    doc.heading(2, f"{_code(doc, program.key)}  {_label(doc, m.title)}")
    doc.fields([
        (doc.say("show.key.article"), m.article),
        (doc.say("show.key.policy"), p.id if len(policy.policies) > 1 or single else ""),
        (doc.say("show.key.responsible"), "、".join(m.responsible)),
        (doc.say("show.key.rule"), f"{m.location.file}:{m.location.line}"),
        (doc.say("show.key.in-force"), doc.say("show.own-window", valid=_validity(doc, m.valid)) if m.valid else ""),
    ])
    if m.citation.text:
        doc.heading(3, doc.say("show.h.source"))
        doc.quote(m.citation, indent=4)

    doc.heading(3, doc.say("show.h.award"))
    rows = [(doc.say("show.key.benefit"), doc.said("show.benefit", m.benefit)
             + (f" — {_label(doc, m.benefit_label)}" if m.benefit_label else "")),
            (doc.say("show.key.basis"), doc.said("show.basis", m.basis))]
    for name, e in (("amount", m.amount), ("ceiling", m.ceiling), ("duration", m.duration)):
        if e is not None:
            rows.append((doc.say(f"show.key.{name}"), _code(doc, e.text)))
    rows.append((doc.say("show.key.one-time"), doc.say("show.one-time") if m.one_time else doc.say("show.no")))
    if m.exclusive:
        group = p.groups.get(m.exclusive)
        rows.append((doc.say("show.key.exclusive"),
                     doc.say("show.exclusive", group=_code(doc, m.exclusive),
                             label=f" {_label(doc, group.label)}" if group else "")))
    else:
        rows.append((doc.say("show.key.exclusive"), doc.say("show.no")))
    if m.quota is not None:
        q = m.quota
        rows.append((doc.say("show.key.quota"),
                     doc.say("show.quota", count=q.count, per=doc.said("show.per", q.per),
                             rank=_code(doc, q.rank_by.text), order=doc.say(f"show.order.{q.order}"))
                     + (f" — {_label(doc, q.label)}" if q.label else "")))
    else:
        rows.append((doc.say("show.key.quota"), doc.say("show.no")))
    group = p.groups.get(m.exclusive) if m.exclusive else None
    if group is not None and group.reading is not None:
        rows.append((doc.say("show.key.group-reading"), group.reading.zh if doc.lang == "zh"
                     else f"{group.reading.zh}\n{group.reading.en}"))
    doc.fields(rows, indent=4)
    if m.quota is not None:
        doc.quote(m.quota.citation, indent=4)

    declared = [policy.applicant_facts[n] for n in policy.applicant_facts if n in reads]
    declared += list(program.claim_facts.values())
    builtins = [n for n in reads if n in BUILTIN_FACTS]
    if declared or builtins:
        doc.heading(3, doc.say("show.h.facts-read"))
        _facts_table(doc, declared, builtins)

    params = {**p.parameters, **m.parameters}
    shown = [params[n] for n in params if n in m.parameters or n in reads]
    if shown:
        doc.heading(3, doc.say("show.h.parameters"))
        _parameters(doc, shown)

    if m.values:
        doc.heading(3, doc.say("show.h.values"))
        doc.table([doc.say("show.col.name"), doc.say("show.col.expression"), doc.say("show.col.meaning")],
                  [[_code(doc, v.name), _code(doc, v.expression.text), _label(doc, v.label)]
                   for v in m.values.values()])

    if m.conditions:
        doc.heading(3, doc.say("show.h.conditions"))
        rows = []
        notes = []
        for i, c in enumerate(m.conditions, start=1):
            rows.append([f"{i}.", _code(doc, c.id), _code(doc, c.when.text), _label(doc, c.label)]
                        + ([_cite(c.citation)] if doc.markdown else []))
            notes.append([f"「{c.citation.text}」"] if c.citation and c.citation.text else [])
        doc.table(["", doc.say("show.col.id"), doc.say("show.col.when"), doc.say("show.col.meaning")]
                  + ([doc.say("show.col.source")] if doc.markdown else []), rows, notes)

    for t in m.tables.values():
        doc.heading(3, doc.say("show.h.table", name=_code(doc, t.name),
                               label=f"  {_label(doc, t.label)}" if t.label else ""))
        doc.quote(t.citation, indent=4)
        columns = list(dict.fromkeys(c for row in t.rows for c in row.cells))
        rows = [[_code(doc, row.when.text) if row.when is not None else doc.say("show.otherwise")]
                + [_code(doc, row.cells[c].text) if c in row.cells else "" for c in columns]
                + [_label(doc, row.label)] for row in t.rows]
        doc.table([doc.say("show.col.when")] + columns + [doc.say("show.col.row")], rows)

    if m.caps:
        doc.heading(3, doc.say("show.h.caps"))
        rows = []
        notes = []
        for c in m.caps:
            scope = doc.said("scope", c.per)
            if c.pool:
                scope = doc.say("show.pool", scope=scope, pool=c.pool)
            rows.append([_code(doc, c.id), _code(doc, c.limit.text), scope, _label(doc, c.label)]
                        + ([_cite(c.citation)] if doc.markdown else []))
            notes.append([f"「{c.citation.text}」"] if c.citation and c.citation.text else [])
        doc.table([doc.say("show.col.id"), doc.say("show.col.limit"), doc.say("show.col.per"),
                   doc.say("show.col.meaning")] + ([doc.say("show.col.source")] if doc.markdown else []), rows, notes)

    readings = [_reading(doc, r) for r in m.readings]
    about = _about(program)
    policy_readings = [doc.say("show.policy-reading", reading=_reading(doc, r))
                       for r in p.readings if r.applies_to in about]
    if readings or (single and policy_readings):
        doc.heading(3, doc.say("show.h.readings"))
        doc.items(readings + (policy_readings if single else []))


def _about(program: MeasureProgram) -> set[str]:
    """What the policy's readings may be about for this measure (the steps of its trace)."""
    m = program.measure
    out = {"validity", "amount", f"basis:{m.basis}"}
    out.update(c.id for c in m.conditions)
    out.update(c.id for c in m.caps)
    out.update(m.tables)
    out.update(m.values)
    if any(c.per == "entity-year" for c in m.caps):
        out.add("yearly-cap")
    if any(c.per != "entity-year" and c.per != "claim" for c in m.caps):
        out.add("project-cap")
    if m.quota is not None:
        out.add("quota")
    if m.exclusive:
        out.update(("exclusivity", m.exclusive))
    if m.one_time:
        out.add("one-time")
    return out


def _cite(citation: Citation | None) -> str:
    return f"「{citation.text}」" if citation is not None and citation.text else ""


def _parameters(doc: _Doc, params: list[ParameterDef]) -> None:
    rows = []
    notes = []
    for prm in params:
        if len(prm.values) == 1 and prm.values[0].start is None:
            value = _code(doc, prm.values[0].expression.text)
        else:
            parts = []
            for i, v in enumerate(prm.values):
                nxt = prm.values[i + 1].start if i + 1 < len(prm.values) else None
                until = doc.say("show.until", day=_day_before(nxt)) if nxt else ""
                when = " ".join(w for w in (doc.say("show.from", day=v.start) if v.start else "", until) if w) \
                    or doc.say("show.always")
                parts.append(f"{_code(doc, v.expression.text)} {when}")
            value = join(parts, "sep.semicolon").in_lang(doc.lang)
        rows.append([_code(doc, prm.name), value, _label(doc, prm.label)]
                    + ([_cite(prm.citation)] if doc.markdown else []))
        notes.append([f"「{prm.citation.text}」"] if prm.citation and prm.citation.text else [])
    doc.table([doc.say("show.col.name"), doc.say("show.col.value"), doc.say("show.col.meaning")]
              + ([doc.say("show.col.source")] if doc.markdown else []), rows, notes)


def _day_before(day: _dt.date) -> _dt.date:
    return day - _dt.timedelta(days=1)
