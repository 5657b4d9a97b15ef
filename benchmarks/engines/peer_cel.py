"""Common Expression Language (``cel-python``, pure Python): one compiled program.  CEL integers
are exact, so it is given integer cents; dates are ISO strings (they sort as dates)."""

from __future__ import annotations

from ..harness import Built, Engine


def _amount(pct: int, cap: int) -> str:
    x = f"(spend_cents * {pct} + 50) / 100"  # integer division: half up for amounts >= 0
    return f"({x} < {cap} ? {x} : {cap})"


EXPRESSION = (
    'qualified && date >= "2025-04-21" && date <= "2027-12-31" ? ('
    f'(kind in ["university", "research-institute"] || revenue < 100000000) ? {_amount(50, 200000000)} : '
    f"revenue >= 1000000000 ? {_amount(30, 1000000000)} : {_amount(40, 500000000)}) : 0")


def _build() -> Built:
    import celpy

    env = celpy.Environment()
    program = env.program(env.compile(EXPRESSION))

    def prepare(a):
        return celpy.json_to_cel({"kind": a.kind, "revenue": a.revenue, "spend_cents": a.spend_cents,
                                  "date": a.date.isoformat(), "qualified": a.qualified})

    return Built(prepare, program.evaluate, lambda v: int(v))


def engines(quick: bool = False) -> list[Engine]:
    return [Engine("cel-python: one program (`Runner.evaluate`)", "peer", _build, module="celpy",
                   dist="cel-python", input="CEL activation (converted beforehand): int cents, ISO date string",
                   includes="one program, returns cents", max_cases=2_000 if quick else 5_000)]
