"""GoRules ZEN (``zen-engine``, Rust): a JDM decision graph through the decision API, and one
compiled expression.  ZEN computes in decimals, so it is given the spend in yuan (a JSON
number) and rounds with ``round(x, 2)`` (half away from zero: half up for amounts >= 0)."""

from __future__ import annotations

import json

from .. import reference as R
from ..harness import Built, Engine

VALID = 'd(date) >= d("2025-04-21") and d(date) <= d("2027-12-31")'


def _row(i: int, kind: str, revenue: str, rate: str, cap: str) -> dict:
    return {"_id": f"r{i}", "kind": kind, "revenue": revenue, "rate": rate, "cap": cap}


def decision_graph() -> dict:
    """input -> decision table (tier: first hit) -> expression (amount) -> output."""
    table = {
        "hitPolicy": "first", "passThrough": True, "inputField": None, "outputPath": None,
        "executionMode": "single",
        "inputs": [{"id": "kind", "name": "Applicant kind", "field": "kind"},
                   {"id": "revenue", "name": "Annual revenue", "field": "revenue"}],
        "outputs": [{"id": "rate", "name": "Rate", "field": "rate"}, {"id": "cap", "name": "Cap", "field": "cap"}],
        "rules": [_row(1, '"university", "research-institute"', "", "0.5", "2000000"),
                  _row(2, "", ">= 1000000000", "0.3", "10000000"),
                  _row(3, "", ">= 100000000", "0.4", "5000000"),
                  _row(4, "", "", "0.5", "2000000")],
    }
    amount = {"passThrough": False, "inputField": None, "outputPath": None, "executionMode": "single",
              "expressions": [{"id": "amount", "key": "amount",
                               "value": f"qualified and {VALID} ? min([round(spend * rate, 2), cap]) : 0"}]}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "applicant", "position": {"x": 0, "y": 0}},
            {"id": "tier", "type": "decisionTableNode", "name": "tier", "position": {"x": 250, "y": 0},
             "content": table},
            {"id": "amount", "type": "expressionNode", "name": "amount", "position": {"x": 500, "y": 0},
             "content": amount},
            {"id": "out", "type": "outputNode", "name": "result", "position": {"x": 750, "y": 0}},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "tier", "type": "edge"},
                  {"id": "e2", "sourceId": "tier", "targetId": "amount", "type": "edge"},
                  {"id": "e3", "sourceId": "amount", "targetId": "out", "type": "edge"}],
    }


EXPRESSION = (
    f"qualified and {VALID} ? ("
    '(kind in ["university", "research-institute"] or revenue < 100000000) ? min([round(spend * 0.5, 2), 2000000]) : '
    "revenue >= 1000000000 ? min([round(spend * 0.3, 2), 10000000]) : "
    "min([round(spend * 0.4, 2), 5000000])) : 0")


def _record(a) -> dict:
    return {"kind": a.kind, "revenue": a.revenue, "spend": a.spend_cents / 100, "date": a.date.isoformat(),
            "qualified": a.qualified}


def _jdm() -> Built:
    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(decision_graph()))
    return Built(_record, decision.evaluate, lambda r: R.float_cents(r["result"]["amount"]))


def _expression() -> Built:
    import zen

    compiled = zen.compile_expression(EXPRESSION)
    return Built(_record, compiled.evaluate, R.float_cents)


def engines(quick: bool = False) -> list[Engine]:
    record = "dict: spend in yuan (float), date \"YYYY-MM-DD\" (read with d())"
    return [
        Engine("zen-engine: JDM decision table + expression node (`ZenDecision.evaluate`)", "peer", _jdm,
               module="zen", dist="zen-engine", input=record,
               includes="the graph: table (first hit), expression node; result dict",
               max_cases=5_000 if quick else 20_000),
        Engine("zen-engine: one compiled expression (`Expression.evaluate`)", "peer", _expression,
               module="zen", dist="zen-engine", input=record, includes="one expression"),
    ]
