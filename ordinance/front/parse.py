"""Stage 3, parse: turn validated rule-file data into the policy model, parsing every expression.

Input is a :class:`~ordinance.front.load.LoadedFile` that passed the schema; output is the
records of :mod:`ordinance.front.model`.  Every expression is parsed here, with a
:class:`~ordinance.grammar.parser.SourceSpan` so that a syntax error (and later a type
error) points at the exact column inside the YAML value.  Dates in rule files are read, and
every quoted sentence is looked up in the policy's source text: a quote that is not in the
source is an error, so citations cannot drift from the text they cite.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from ..messages import msg
from ..errors import Location, Problem
from ..grammar.parser import Expression, parse_expression
from .. import types as T
from .. import values as V
from .load import DataPath, LoadedFile
from .model import (CapDef, Citation, ConditionDef, FactDef, GroupDef, Label, MeasureDef, ParameterDef,
                    ParameterValue, QuotaDef, Reading, RuleFileDef, TableDef, TableRow, Validity, ValueDef)

Report = Callable[[Problem], None]


class FileParser:
    """Reads one loaded file into model records; problems go to ``report``."""

    def __init__(self, loaded: LoadedFile, report: Report, source_text: str | None):
        self.loaded = loaded
        self.report = report
        self.source_text = source_text
        self.failed: set[DataPath] = set()  # paths of expressions that did not parse (already reported)

    # -- small readers ---------------------------------------------------------------------------
    def loc(self, path: DataPath, key: bool = False) -> Location:
        return self.loaded.location(path, key=key)

    def get(self, path: DataPath) -> Any:
        node: Any = self.loaded.data
        for p in path:
            if isinstance(node, dict) and isinstance(p, str):
                node = node.get(p)
            elif isinstance(node, list) and isinstance(p, int) and p < len(node):
                node = node[p]
            else:
                return None
        return node

    def label(self, obj: dict[str, Any] | None, default: str | None = None) -> Label | None:
        if not obj:
            return Label(default, default) if default else None
        zh, en = obj.get("zh"), obj.get("en")
        if zh is None and en is None:
            return Label(default, default) if default else None
        return Label(str(zh or en), str(en or zh))

    def label_value(self, value: Any) -> Label:
        if isinstance(value, dict):
            return Label(str(value.get("zh") or value.get("en")), str(value.get("en") or value.get("zh")))
        return Label(str(value), str(value))

    def expr(self, path: DataPath) -> Expression | None:
        value = self.get(path)
        if value is None:
            return None
        text = "true" if value is True else "false" if value is False else str(value)
        parsed = parse_expression(text, self.loaded.span(path), self.report)
        if parsed is None:
            self.failed.add(tuple(path))
        return parsed

    def date(self, path: DataPath) -> _dt.date | None:
        value = self.get(path)
        if value is None:
            return None
        try:
            return V.parse_date(str(value))
        except V.LiteralError as exc:
            self.report(Problem("bad-date", exc.text, self.loc(path), msg("parse.hint.date")))
            return None

    def citation(self, path: DataPath, article: str) -> Citation | None:
        obj = self.get(path)
        if not isinstance(obj, dict) or "quote" not in obj:
            return None
        quote = obj["quote"]
        parts = [quote] if isinstance(quote, str) else list(quote)
        article = str(obj.get("article") or article)
        line = None
        for i, part in enumerate(parts):
            found = self.find_in_source(part, path + ("quote",) + ((i,) if not isinstance(quote, str) else ()))
            if line is None:
                line = found
        return Citation(article, " … ".join(p.strip() for p in parts), line)

    def find_in_source(self, quote: str, path: DataPath) -> int | None:
        if self.source_text is None:
            return None
        needle = quote.strip()
        at = self.source_text.find(needle)
        if at < 0:
            self.report(Problem("quote-not-in-source", msg("parse.quote-not-in-source"), self.loc(path),
                                msg("parse.hint.quote-exactly")))
            return None
        return self.source_text.count("\n", 0, at) + 1

    # -- sections ----------------------------------------------------------------------------------
    def facts(self, path: DataPath) -> dict[str, FactDef]:
        out: dict[str, FactDef] = {}
        for name, spec in (self.get(path) or {}).items():
            values = spec.get("values")
            t = T.parse_type_name(str(spec["type"]), values)
            if t is None:
                continue  # the schema already reported it
            if t.name == "enum" and not values:
                self.report(Problem("enum-without-values", msg("parse.enum-without-values", name=name),
                                    self.loc(path + (name,), key=True), msg("parse.hint.enum-values")))
            label = self.label(spec, default=name) or Label(name, name)
            per, period = spec.get("per"), spec.get("period")
            where = path + (name, "period" if period is not None else "per")
            out[name] = FactDef(name, t, label, self.loc(path + (name,), key=True),
                                str(per) if per is not None else None, str(period) if period is not None else None,
                                self.loc(where) if per is not None or period is not None else None)
        return out

    def parameters(self, path: DataPath, article: str) -> dict[str, ParameterDef]:
        out: dict[str, ParameterDef] = {}
        for name, spec in (self.get(path) or {}).items():
            here = path + (name,)
            values: list[ParameterValue] = []
            if isinstance(spec, dict) and "values" in spec:
                for i, _ in enumerate(spec["values"]):
                    vpath = here + ("values", i)
                    start = self.date(vpath + ("from",))
                    e = self.expr(vpath + ("value",))
                    if e is not None:
                        values.append(ParameterValue(start, e, self.loc(vpath)))
            else:
                vpath = here + ("value",) if isinstance(spec, dict) else here
                e = self.expr(vpath)
                if e is not None:
                    values.append(ParameterValue(None, e, self.loc(vpath)))
            label = self.label(spec) if isinstance(spec, dict) else None
            citation = self.citation(here, article) if isinstance(spec, dict) else None
            out[name] = ParameterDef(name, values, label, self.loc(here, key=True), citation)
        return out

    def measure(self, path: DataPath, file_article: str, file_responsible: list[str],
                file_facts: dict[str, FactDef] | None = None,
                file_parameters: dict[str, ParameterDef] | None = None) -> MeasureDef | None:
        data = self.get(path)
        article = str(data.get("article") or file_article)
        citation = self.citation(path, article)
        if citation is None:
            if self.source_text is not None:
                self.report(Problem("missing-quote", msg("parse.missing-quote", measure=data["id"]), self.loc(path),
                                    msg("parse.hint.add-quote")))
            citation = Citation(article, "")
        broken: set[str] = set()  # names and parts whose expression did not parse
        values: dict[str, ValueDef] = {}
        for name, spec in (data.get("values") or {}).items():
            vpath = path + ("values", name) + (("expr",) if isinstance(spec, dict) else ())
            e = self.expr(vpath)
            if e is None:
                broken.add(name)
            else:
                values[name] = ValueDef(name, e, self.label(spec) if isinstance(spec, dict) else None,
                                        self.loc(path + ("values", name), key=True))
        tables: dict[str, TableDef] = {}
        for name, spec in (data.get("tables") or {}).items():
            tpath = path + ("tables", name)
            rows = []
            for i, row in enumerate(spec["rows"]):
                rpath = tpath + ("rows", i)
                when = self.expr(rpath + ("when",)) if "when" in row else None
                if when is None and not row.get("otherwise") and "when" not in row:
                    self.report(Problem("row-without-when", msg("parse.row-without-when"), self.loc(rpath)))
                cells = {}
                for col in row["set"]:
                    e = self.expr(rpath + ("set", col))
                    if e is not None:
                        cells[col] = e
                    else:
                        broken.add(f"{name}.{col}")
                if rpath + ("when",) in self.failed:
                    broken.add(f"{name}[{i + 1}]")
                rows.append(TableRow(when, cells, self.label(row), self.loc(rpath)))
            tables[name] = TableDef(name, rows, self.label(spec), self.loc(tpath, key=True),
                                    self.citation(tpath, article))
        conditions = []
        for i, cond in enumerate(data.get("conditions") or []):
            cpath = path + ("conditions", i)
            e = self.expr(cpath + ("when",))
            if e is not None:
                conditions.append(ConditionDef(str(cond["id"]), e, self.label(cond, default=str(cond["id"])),
                                               self.loc(cpath), self.citation(cpath, article)))
        caps = []
        for i, cap in enumerate(data.get("caps") or []):
            cpath = path + ("caps", i)
            e = self.expr(cpath + ("limit",))
            if e is not None:
                caps.append(CapDef(str(cap["id"]), e, str(cap["per"]), cap.get("pool"), self.label(cap),
                                   self.loc(cpath), self.citation(cpath, article)))
        quota = None
        if isinstance(data.get("quota"), dict):
            q = data["quota"]
            qpath = path + ("quota",)
            rank = self.expr(qpath + ("rank_by",))
            if rank is not None:
                quota = QuotaDef(int(q["count"]), str(q.get("per", "year")), rank, str(q.get("order", "descending")),
                                 self.label(q), self.loc(qpath), self.citation(qpath, article))
        valid = None
        valid_citation = None
        valid_location = None
        if isinstance(data.get("valid"), dict):
            valid = Validity(self.date(path + ("valid", "from")), self.date(path + ("valid", "until")))
            valid_citation = self.citation(path + ("valid",), article)
            valid_location = self.loc(path + ("valid",), key=True)
        benefit = str(data.get("benefit") or ("money" if "amount" in data else "support"))
        readings = [self.reading(r) for r in data.get("readings") or []]
        return MeasureDef(
            id=str(data["id"]), title=self.label_value(data["title"]), article=article, citation=citation,
            responsible=[str(r) for r in (data.get("responsible") or file_responsible)],
            basis=str(data.get("basis") or "exact"), benefit=benefit,
            amount=self.expr(path + ("amount",)), ceiling=self.expr(path + ("ceiling",)),
            duration=self.expr(path + ("duration",)),
            benefit_label=self.label_value(data["benefit_label"]) if data.get("benefit_label") else None,
            facts={**(file_facts or {}), **self.facts(path + ("facts",))},
            parameters={**(file_parameters or {}), **self.parameters(path + ("parameters",), article)},
            values=values, tables=tables, conditions=conditions, caps=caps,
            exclusive=data.get("exclusive"), quota=quota, readings=readings, valid=valid,
            exclusive_location=self.loc(path + ("exclusive",)) if data.get("exclusive") else None,
            file=self.loaded.name, location=self.loc(path), one_time=bool(data.get("one_time")),
            valid_citation=valid_citation, valid_location=valid_location,
            periods={str(fact): (str(period), self.loc(path + ("periods", fact)))
                     for fact, period in (data.get("periods") or {}).items()},
            broken=broken | {item for item in ("amount", "ceiling", "duration") if path + (item,) in self.failed})

    def reading(self, value: Any) -> Reading:
        if isinstance(value, dict):
            return Reading(self.label_value(value), value.get("about"))
        return Reading(Label(str(value), str(value)))

    def rule_file(self) -> RuleFileDef:
        data = self.loaded.data
        article = str(data["article"])
        responsible = [str(r) for r in data.get("responsible") or []]
        title = self.label_value(data["title"]) if data.get("title") else Label(article, article)
        file_facts = self.facts(("facts",))
        file_parameters = self.parameters(("parameters",), article)
        measures = []
        for i, _ in enumerate(data["measures"]):
            m = self.measure(("measures", i), article, responsible, file_facts, file_parameters)
            if m is not None:
                measures.append(m)
        return RuleFileDef(self.loaded.name, article, title, measures)

    def groups(self) -> dict[str, GroupDef]:
        out = {}
        for gid, spec in (self.loaded.data.get("groups") or {}).items():
            reading = self.reading(spec["reading"]).label if spec.get("reading") else None
            out[gid] = GroupDef(gid, self.label_value(spec), reading, self.loc(("groups", gid), key=True))
        return out
