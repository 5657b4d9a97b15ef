"""ordinance on workload A: the public API with and without the trace, and the compiled rule alone.

The policy is the bundled manifest (``policy.yaml``, ``source.txt``) with only the rule file of
三(八), ``rules/08-compute-voucher.yaml``, copied to a temporary folder: its build time is the
time to load, validate, parse, check and compile that one measure.  (If that folder does not
load, the whole bundled policy is used and the build time is that of all of it.)
"""

from __future__ import annotations

import atexit
import decimal
import functools
import shutil
import tempfile
import time
from pathlib import Path

from .. import reference as R
from ..harness import Built, Engine

RULE_FILE = "08-compute-voucher.yaml"
MEASURE = "compute-voucher"


@functools.lru_cache(maxsize=1)
def voucher_policy_dir() -> Path | None:
    """A policy folder holding the bundled manifest and the compute voucher's rule file only."""
    try:
        from ordinance.policy import bundled_policy_dir
        src = bundled_policy_dir()
    except Exception:
        return None
    tmp = tempfile.TemporaryDirectory(prefix="ordinance-bench-")
    atexit.register(tmp.cleanup)
    root = Path(tmp.name) / "xiamen-ai-2025-compute-voucher"
    (root / "rules").mkdir(parents=True)
    for name in ("policy.yaml", "source.txt"):
        if (src / name).is_file():
            shutil.copy(src / name, root / name)
    shutil.copy(src / "rules" / RULE_FILE, root / "rules" / RULE_FILE)
    return root


def load_voucher_policy():
    """Load the compute voucher's policy (see the module's docstring)."""
    import ordinance

    folder = voucher_policy_dir()
    if folder is not None:
        try:
            return ordinance.load_policy(folder)
        except ordinance.OrdinanceError:
            pass
    from ordinance.policy import bundled_policy_dir
    return ordinance.load_policy(bundled_policy_dir())


def _total_cents(decision) -> int | str:
    return R.decimal_cents(decision.total)


def _public(trace: bool) -> Built:
    policy = load_voucher_policy()
    return Built(lambda a: a.case(), functools.partial(policy.evaluate, trace=trace), _total_cents)


def _decide() -> Built:
    policy = load_voucher_policy()
    return Built(lambda a: a.case(), policy.decide, _total_cents)


def _compiled_rule() -> Built:
    from ordinance import values as V
    from ordinance.run.interpret import MeasureProgram

    policy = load_voucher_policy()
    program = policy.programs[MEASURE]
    t0 = time.perf_counter()
    program = MeasureProgram(program.plan)  # compile the measure's plan again
    compile_ms = (time.perf_counter() - t0) * 1e3
    run = program.run
    inside = program.plan.inside
    zero = R.ZERO

    def prepare(a):
        case = policy.read_case(a.case())
        claim = case.claims[0]
        env = dict(case.applicant)
        env.update(claim.facts)
        env["claim.id"] = claim.id
        env["claim.date"] = claim.date
        return env

    def decide(env):
        day = env["claim.date"]
        if not inside(day):
            return zero
        outcome = run(dict(env), None)  # run memoises tables and values in env: a fresh copy each time
        if outcome.status != "eligible":
            return zero
        amount = outcome.amount
        for _cap, limit in outcome.pooled_caps:  # one claim, no history: the yearly cap is a min
            if amount > limit:
                amount = limit
        return amount

    return Built(prepare, decide, R.decimal_cents, context=lambda: decimal.localcontext(V.DECIMAL_CONTEXT),
                 build_ms=compile_ms)


def _generated_rule() -> Built:
    """The generated claim function of the measure (the fast back-end's compiled rule): from the
    claim's plain data and the applicant's typed facts to its result; validity and the tier
    table inside, the yearly cap (a min for one claim) done by the harness."""
    from ordinance import values as V

    policy = load_voucher_policy()
    plan = policy.plans[MEASURE]
    t0 = time.perf_counter()
    claim = policy.engine.claim_function(plan)
    build_ms = (time.perf_counter() - t0) * 1e3
    function = claim.fast
    by_full = {full: (key, convert) for key, (full, convert) in policy.applicant_readers.items()}

    def prepare(a):
        case = a.case()
        applicant = case.get("applicant") or {}
        facts = []
        for full in claim.applicant_facts:
            key, convert = by_full[full]
            facts.append(convert(applicant[key]) if applicant.get(key) is not None else None)
        return (case["claims"][0], *facts)

    def decide(prepared):
        result, pooled = function(prepared[0], 0, "", *prepared[1:])
        amount = result.amount
        if result.status != "eligible" or amount is None:
            return R.ZERO
        for _cap, limit in pooled or ():
            if amount > limit:
                amount = limit
        return amount

    return Built(prepare, decide, R.decimal_cents, context=lambda: decimal.localcontext(V.DECIMAL_CONTEXT),
                 build_ms=build_ms)


def engines(quick: bool = False) -> list[Engine]:
    voucher_policy_dir()  # made before any build is timed
    return [
        Engine("ordinance `policy.decide(case)`", "ordinance", _decide, module="ordinance", dist="ordinance",
               input="case dict as from JSON: revenue int, spend \"1234567.89\", date \"YYYY-MM-DD\"",
               includes="the decision without the trace, as `evaluate(case, trace=False)`, called with one "
                        "argument (the harness calls the bound method, as it calls peers')",
               key="ordinance-decide"),
        Engine("ordinance `policy.evaluate(case, trace=False)`", "ordinance", functools.partial(_public, False),
               module="ordinance", dist="ordinance",
               input="case dict as from JSON: revenue int, spend \"1234567.89\", date \"YYYY-MM-DD\"",
               includes="read_case (typing every fact), validity, the compiled measure, yearly cap, Decision "
                        "(the harness calls `functools.partial(policy.evaluate, trace=False)`)",
               key="ordinance-off"),
        Engine("ordinance `policy.evaluate(case, trace=True)`", "ordinance", functools.partial(_public, True),
               module="ordinance", dist="ordinance", input="as above",
               includes="as above, and the derivation trace with citations and readings", key="ordinance-on"),
        Engine("ordinance compiled rule alone (the generated claim function)", "ordinance", _generated_rule,
               module="ordinance", dist="ordinance",
               input="the claim's dict as from JSON; the applicant's facts typed (Decimal, enum text)",
               includes="reading and converting the claim's facts, validity, condition, tier table, spend × rate, "
                        "cent rounding, the result; min(yearly cap) done by the harness", key="ordinance-rule"),
        Engine("ordinance reference interpreter alone (`MeasureProgram.run`)", "ordinance", _compiled_rule,
               module="ordinance", dist="ordinance",
               input="prepared env: typed facts (Decimal, date) keyed `applicant.*`/`claim.*`",
               includes="copy of env, conditions, tier table, spend × rate, cent rounding (closures, no trace); "
                        "validity test and min(yearly cap) done by the harness", key="ordinance-interpreter"),
    ]
