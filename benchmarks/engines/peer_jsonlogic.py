"""JsonLogic (``json-logic-qubit``, pure Python): one rule.  JsonLogic computes in floats, so it
is given integer cents and rounds half up exactly with ``(x - x % 100) / 100``."""

from __future__ import annotations

from ..harness import Built, Engine


def _amount(pct: int, cap_cents: int) -> dict:
    x = {"+": [{"*": [{"var": "spend_cents"}, pct]}, 50]}
    return {"min": [{"/": [{"-": [x, {"%": [x, 100]}]}, 100]}, cap_cents]}


RULE = {"if": [
    {"and": [{"var": "qualified"}, {">=": [{"var": "day"}, 20250421]}, {"<=": [{"var": "day"}, 20271231]}]},
    {"if": [
        {"or": [{"in": [{"var": "kind"}, ["university", "research-institute"]]},
                {"<": [{"var": "revenue"}, 100000000]}]}, _amount(50, 200_000_000),
        {">=": [{"var": "revenue"}, 1000000000]}, _amount(30, 1_000_000_000),
        _amount(40, 500_000_000)]},
    0]}


def _build() -> Built:
    from json_logic import jsonLogic

    def prepare(a):
        return {"kind": a.kind, "revenue": a.revenue, "spend_cents": a.spend_cents, "day": a.day,
                "qualified": a.qualified}

    def decide(data):
        return jsonLogic(RULE, data)

    def cents(v) -> int | str:
        return int(v) if v == int(v) else f"{v!r} (not whole cents)"

    return Built(prepare, decide, cents)


def engines(quick: bool = False) -> list[Engine]:
    return [Engine("json-logic-qubit: one rule (`jsonLogic`)", "peer", _build, module="json_logic",
                   dist="json-logic-qubit", input="dict: int spend in cents, date as int yyyymmdd",
                   includes="one rule, returns cents")]
