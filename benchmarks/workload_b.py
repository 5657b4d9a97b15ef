"""Workload B: the whole Xiamen policy on one realistic case, with and without the trace.

An enterprise with 8000萬 of revenue (the compute voucher's 50% tier, 200萬 a year) makes five
claims across four measures, with one prior award:

- c1, c2: compute vouchers (三(八)) in June and October; the yearly cap per entity is shared
  with the prior award h1 (50萬 in April), so c2 gets only what is left: 200萬 - 50萬 - 100萬;
- c3: a model voucher (三(九)), 30% of 500萬, under its own yearly cap;
- c4, c5: the national and the city R&D subsidy (一(一)) for the same project, in the
  exclusivity group ``rd-project`` (就高不重復): the national one (50% of 1000萬) stands and
  the city one (30%) is superseded.

The decision is checked claim by claim before anything is timed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .harness import fmt_rate, fmt_us, table, time_call
from .targets import Target

CASE = {
    "case": "workload-b",
    "applicant": {"id": "xm-agent", "name": "廈門某智能體科技有限公司", "kind": "enterprise",
                  "annual_revenue": "8000萬"},
    "claims": [
        {"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "200萬",
         "service_qualified": True},
        {"id": "c2", "measure": "compute-voucher", "date": "2025-10-01", "compute_spend": "300萬",
         "service_qualified": True},
        {"id": "c3", "measure": "model-voucher", "date": "2025-10-01", "model_registered": True,
         "purpose": "agent-development", "model_spend": "500萬"},
        {"id": "c4", "measure": "rd-national", "date": "2025-08-01", "project": "embodied-brain",
         "national_winner": True, "rd_investment": "1000萬"},
        {"id": "c5", "measure": "rd-city", "date": "2025-08-01", "project": "embodied-brain",
         "city_jiebang_project": True, "ai_field": True, "rd_investment": "1000萬"},
    ],
    "history": [{"id": "h1", "measure": "compute-voucher", "date": "2025-04-30", "amount": "50萬"}],
}

#: claim -> (status, amount in yuan); superseded claims are paid nothing
EXPECTED = {
    "c1": ("eligible", Decimal("1000000.00")),  # 50% of 200萬
    "c2": ("eligible", Decimal("500000.00")),  # 150萬 due, 200萬 - 50萬 (h1) - 100萬 (c1) left this year
    "c3": ("eligible", Decimal("1500000.00")),  # 30% of 500萬
    "c4": ("eligible", Decimal("5000000.00")),  # 50% of 1000萬
    "c5": ("superseded", None),  # 30% of 1000萬 < c4 in group rd-project
}
EXPECTED_TOTAL = Decimal("8000000.00")


@dataclass
class Result:
    status: str = "ok"  # ok | mismatch | failed
    reason: str = ""
    rows: list[tuple[str, float, list[float], int]] = field(default_factory=list)  # (label, µs, runs, n)

    def us(self, label: str) -> float | None:
        return next((r[1] for r in self.rows if r[0] == label), None)


def check_decision(decision) -> list[str]:
    """What differs from :data:`EXPECTED` (empty when the decision is right)."""
    problems = []
    for claim, (status, amount) in EXPECTED.items():
        try:
            r = decision.result(claim)
        except KeyError:
            problems.append(f"{claim}: missing")
            continue
        if r.status != status or (amount is not None and r.amount != amount):
            problems.append(f"{claim}: expected {status} {amount}, got {r.status} {r.amount}")
    if decision.total != EXPECTED_TOTAL:
        problems.append(f"total: expected {EXPECTED_TOTAL}, got {decision.total}")
    return problems


def run(*, repeats: int, run_seconds: float, policy=None) -> Result:
    result = Result()
    try:
        import ordinance

        policy = policy or ordinance.default_policy()
        for trace in (False, True):
            problems = check_decision(policy.evaluate(CASE, trace=trace))
            if problems:
                result.status, result.reason = "mismatch", f"trace={trace}: " + "; ".join(problems)
                return result
        problems = check_decision(policy.decide(CASE))
        if problems:
            result.status, result.reason = "mismatch", "decide: " + "; ".join(problems)
            return result
        for label, call in (("decide", lambda: policy.decide(CASE)),
                            ("trace off", lambda: policy.evaluate(CASE, trace=False)),
                            ("trace on", lambda: policy.evaluate(CASE, trace=True))):
            us, runs, n = time_call(call, repeats=repeats, run_seconds=run_seconds)
            result.rows.append((label, us, runs, n))
    except Exception as exc:
        result.status, result.reason = "failed", f"{type(exc).__name__}: {exc}"
    return result


def render(result: Result) -> str:
    if result.status != "ok":
        return f"Workload B {result.status.upper()}: {result.reason}"
    return table(["call", "µs / case", "cases / s", "runs (µs)", "calls per run", "decision"],
                 [[_CALLS.get(label, label), fmt_us(us), fmt_rate(1e6 / us), ", ".join(fmt_us(x) for x in runs),
                   f"{n:,}", "ok (5 claims checked)"] for label, us, runs, n in result.rows])


_CALLS = {"decide": "`policy.decide(case)` (trace off)", "trace off": "`policy.evaluate(case, trace=False)`",
          "trace on": "`policy.evaluate(case, trace=True)`"}


def targets(result: Result) -> list[Target]:
    out = []
    for label, limit in (("trace off", 30), ("trace on", 300)):
        us = result.us(label) if result.status == "ok" else None
        figure = f"{fmt_us(us)} µs" if us else f"{result.status}: {result.reason}"
        if label == "trace off" and us is not None and result.us("decide") is not None:
            figure = f"decide {fmt_us(result.us('decide'))} µs; evaluate(trace=False) {figure}"
            us = min(us, result.us("decide"))  # the faster public way without the trace
        out.append(Target(f"B: whole policy, {label}", f"≤ {limit} µs per case", figure,
                          None if us is None else us <= limit))
    return out
