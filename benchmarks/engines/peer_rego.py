"""Rego on regorus (``opa-eval``, Rust): the policy ``voucher.rego`` beside this file, query
``data.voucher.amount``.  The API takes the input as a JSON string: it is serialised beforehand."""

from __future__ import annotations

import json
from pathlib import Path

from ..harness import Built, Engine

POLICY = Path(__file__).with_name("voucher.rego")


def _build() -> Built:
    import opa_eval

    evaluator = opa_eval.OpaEval(str(POLICY), query="data.voucher.amount")

    def prepare(a):
        return json.dumps({"kind": a.kind, "revenue": a.revenue, "spend_cents": a.spend_cents,
                           "date": a.date.isoformat(), "qualified": a.qualified})

    def cents(v) -> int | str:
        return int(v) if isinstance(v, (int, float)) and v == int(v) else f"{v!r} (not whole cents)"

    return Built(prepare, evaluator.evaluate_parsed, cents)


def engines(quick: bool = False) -> list[Engine]:
    return [Engine("opa-eval (Rego on regorus): `evaluate_parsed`", "peer", _build, module="opa_eval",
                   dist="opa-eval", input="JSON text (serialised beforehand): int cents, ISO date string",
                   includes="the query data.voucher.amount, result as a Python value")]
