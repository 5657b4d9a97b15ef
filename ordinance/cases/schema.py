"""The JSON Schema of case files, generated from the facts a loaded policy declares.

An editor that knows this schema checks a case as it is typed: the applicant's facts with
their types, each claim's measure id, and — per measure, with ``if``/``then`` on the
``measure`` key — the facts that measure reads.  The engine itself does not need the schema
(it checks cases in :mod:`ordinance.cases.read`, with better messages); the schema is for
editors and for other systems that produce cases.
"""

from __future__ import annotations

from typing import Any

from ..types import Type
from ..front.model import FactDef


_NUMBER = r"\d(_?\d)*(\.\d+)?"
_MONEY_TEXT = rf"^\s*{_NUMBER}\s*((萬|万|億|亿)\s*元?|元)?\s*$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_YEAR = r"^[1-9][0-9]{3}$"
_DURATION = r"^\d+\s*(years?|months?|days?|年|個月|个月|日|天)$"


def type_schema(t: Type) -> dict[str, Any]:
    """The JSON Schema of one fact value of type ``t`` as a case may write it."""
    name = t.name
    if name == "money":
        return {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _MONEY_TEXT}],
                "description": "yuan: 5000000, \"500萬\", \"5億元\""}
    if name == "number":
        return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": rf"^[-+]?{_NUMBER}$"}]}
    if name == "rate":
        return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": rf"^{_NUMBER}\s*%$"}],
                "description": "30% or 0.3"}
    if name == "date":
        return {"type": "string", "pattern": _DATE, "format": "date"}
    if name == "duration":
        return {"type": "string", "pattern": _DURATION}
    if name == "bool":
        return {"type": "boolean"}
    if name == "string":
        return {"type": ["string", "integer"]}
    if name == "enum":
        return {"enum": list(t.values or ())}
    if name == "list":
        return {"type": "array", "items": type_schema(t.element) if t.element else {}}
    return {}


def _fact_schema(fact: FactDef) -> dict[str, Any]:
    # null is allowed: the engine reads it as "not known" (the claim may become undetermined)
    one = {"anyOf": [type_schema(fact.type), {"type": "null"}]}
    schema: dict[str, Any] = dict(one)
    description = f"{fact.label.en} ({fact.type})"
    if fact.per == "year":  # one value for every year, or year by year (ordinance/periods.py)
        schema["anyOf"] = one["anyOf"] + [{"type": "object", "propertyNames": {"pattern": _YEAR},
                                           "additionalProperties": one,
                                           "description": "year by year: {2024: value, 2025: value}"}]
        description += f"; one value for every year, or year by year ({{2024: ..., 2025: ...}}); " \
                       f"the rules read {fact.period}"
    schema["title"] = fact.label.zh
    schema["description"] = description
    return schema


def case_schema(policy: Any) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of case files for ``policy``."""
    applicant_props: dict[str, Any] = {"id": {"type": ["string", "integer"], "description": "applicant id"},
                                       "name": {"type": "string", "description": "applicant name"}}
    for name, fact in policy.applicant_facts.items():
        applicant_props[name.split(".", 1)[1]] = _fact_schema(fact)
    base_claim = {"id": {"type": ["string", "integer"], "description": "claim id, unique in the case"},
                  "measure": {"enum": policy.measure_ids(), "description": "the measure claimed"},
                  "date": {"type": "string", "pattern": _DATE, "format": "date",
                           "description": "date of the claim (decides validity, parameters and the year)"},
                  "project": {"type": ["string", "integer"], "description": "project or product id"},
                  "note": {"type": "string"}}
    per_measure = []
    for key, program in policy.programs.items():
        props = dict(base_claim)
        for name, fact in program.claim_facts.items():
            props[name.split(".", 1)[1]] = _fact_schema(fact)
        per_measure.append({"if": {"properties": {"measure": {"const": key}}, "required": ["measure"]},
                            "then": {"properties": props, "additionalProperties": False}})
    history_item = {"type": "object", "additionalProperties": False, "required": ["date", "amount"],
                    "properties": {"id": {"type": ["string", "integer"]}, "measure": {"type": "string"},
                                   "date": {"type": "string", "pattern": _DATE, "format": "date"},
                                   "amount": type_schema(Type("money")),
                                   "project": {"type": ["string", "integer"]}, "policy": {"type": "string"},
                                   "group": {"type": "string"}, "pool": {"type": "string"},
                                   "note": {"type": "string"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://ordinance.invalid/schema/case/{policy.id}.schema.json",
        "title": f"ordinance case for {policy.id}",
        "description": f"A case: the applicant's facts, its claims and its prior awards (policy sha256:{policy.digest[:12]}).",
        "type": "object",
        "additionalProperties": False,
        "required": ["claims"],
        "properties": {
            "$schema": {"type": "string", "description": "the schema of this file (for editors)"},
            "case": {"type": ["string", "integer"], "description": "case id"},
            "note": {"type": "string"},
            "applicant": {"type": "object", "additionalProperties": False, "properties": applicant_props},
            "claims": {"type": "array", "items": {"type": "object", "required": ["measure"],
                                                  "properties": base_claim, "allOf": per_measure}},
            "history": {"type": "array", "items": history_item},
        },
    }
