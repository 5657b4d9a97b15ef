"""OpenFisca (``openfisca-core``, numpy): a minimal tax-benefit system with the tiered rate and cap.

One entity (the applicant), five input variables and one formula.  The period is the year
2025 for every applicant; the claim's date is an input variable (``yyyymmdd``).  OpenFisca's
``float`` variables are numpy float32: at tens of millions of yuan float32 cannot hold a cent,
so its answers are expected to differ from the Decimal reference.

Two ways to run it: one simulation per applicant (``SimulationBuilder.build_from_entities``
then ``calculate``), as a service deciding one case would; and one vectorised simulation over
all applicants (``set_input`` of whole arrays), which is what OpenFisca is built for.
"""

from __future__ import annotations

from ..harness import Built, Engine

PERIOD = "2025"


def tax_benefit_system():
    from openfisca_core.entities import build_entity
    from openfisca_core.indexed_enums import Enum
    from openfisca_core.model_api import min_, round_, select, where
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Applicant = build_entity(key="applicant", plural="applicants", label="An applicant", is_person=True)

    class Kind(Enum):
        enterprise = "enterprise"
        university = "university"
        research_institute = "research-institute"

    class kind(Variable):
        value_type = Enum
        possible_values = Kind
        default_value = Kind.enterprise
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "Kind of applicant"

    class annual_revenue(Variable):
        value_type = float
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "Annual operating revenue (yuan)"

    class compute_spend(Variable):
        value_type = float
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "Spend on intelligent computing services (yuan)"

    class claim_day(Variable):
        value_type = int
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "Date of the claim, yyyymmdd"

    class service_qualified(Variable):
        value_type = bool
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "The computing service qualifies"

    class compute_voucher(Variable):
        value_type = float
        entity = Applicant
        definition_period = DateUnit.YEAR
        label = "Compute voucher (三(八) 算力券)"

        def formula(applicant, period, parameters):
            k = applicant("kind", period)
            revenue = applicant("annual_revenue", period)
            spend = applicant("compute_spend", period)
            day = applicant("claim_day", period)
            qualified = applicant("service_qualified", period)
            academic = (k == Kind.university) + (k == Kind.research_institute)
            tiers = [academic, revenue >= 1e9, revenue >= 1e8]
            rate = select(tiers, [0.5, 0.3, 0.4], 0.5)
            cap = select(tiers, [2e6, 1e7, 5e6], 2e6)
            eligible = qualified * (day >= 20250421) * (day <= 20271231)
            return where(eligible, min_(round_(spend * rate, 2), cap), 0)

    class VoucherSystem(TaxBenefitSystem):
        def __init__(self):
            super().__init__([Applicant])
            for v in (kind, annual_revenue, compute_spend, claim_day, service_qualified, compute_voucher):
                self.add_variable(v)

    return VoucherSystem()


def _enum_name(kind: str) -> str:
    return kind.replace("-", "_")  # OpenFisca reads Enum members by name


def _cents(v) -> int:
    return int(round(float(v) * 100))


def _single() -> Built:
    from openfisca_core.simulations import SimulationBuilder

    tbs = tax_benefit_system()

    def prepare(a):
        return {"applicants": {"a": {
            "kind": {PERIOD: _enum_name(a.kind)}, "annual_revenue": {PERIOD: a.revenue},
            "compute_spend": {PERIOD: a.spend_cents / 100}, "claim_day": {PERIOD: a.day},
            "service_qualified": {PERIOD: a.qualified}}}}

    def decide(entities):
        return SimulationBuilder().build_from_entities(tbs, entities).calculate("compute_voucher", PERIOD)[0]

    return Built(prepare, decide, _cents)


def _vectorised() -> Built:
    import numpy as np
    from openfisca_core.simulations import SimulationBuilder

    tbs = tax_benefit_system()

    def prepare_all(cases):
        return {"kind": np.array([_enum_name(a.kind) for a in cases]),
                "annual_revenue": np.array([a.revenue for a in cases], dtype=float),
                "compute_spend": np.array([a.spend_cents / 100 for a in cases], dtype=float),
                "claim_day": np.array([a.day for a in cases]),
                "service_qualified": np.array([a.qualified for a in cases])}

    def decide(arrays):
        simulation = SimulationBuilder().build_default_simulation(tbs, len(arrays["kind"]))
        for name, values in arrays.items():
            simulation.set_input(name, PERIOD, values)
        return simulation.calculate("compute_voucher", PERIOD)

    return Built(None, decide, _cents, vectorised=True, prepare_all=prepare_all,  # type: ignore[arg-type]
                 cents_all=lambda out: [_cents(v) for v in out])


def engines(quick: bool = False) -> list[Engine]:
    return [
        Engine("openfisca-core: one simulation per applicant", "peer", _single, module="openfisca_core",
               dist="openfisca-core", input="entities dict: spend in yuan, date as int yyyymmdd",
               includes="build_from_entities + calculate (float32)", max_cases=1_000 if quick else 5_000),
        Engine("openfisca-core: one vectorised simulation over all", "peer", _vectorised,
               module="openfisca_core", dist="openfisca-core", input="numpy arrays (built beforehand)",
               includes="build_default_simulation, set_input ×5, calculate (float32), per applicant"),
    ]
