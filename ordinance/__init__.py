"""ordinance: a rules-as-code engine for government subsidy policies.

Rule files (YAML) hold a small expression language; the engine checks them when they load,
compiles them once, decides cases against them and explains every step::

    import ordinance
    policy = ordinance.default_policy()              # the bundled Xiamen 2025 AI measures
    decision = policy.evaluate(ordinance.load_case("examples/compute-voucher.yaml"))
    print(decision.to_json())

See docs/embedding.md for the API, docs/language.md for the rule language.
"""

from .cases.read import Case, Claim, PriorAward
from .decision import ClaimResult, Decision
from .limits import Limits
from .trace import TraceNode
from .errors import CaseError, EvaluationError, Location, OrdinanceError, PolicyError, Problem
from .cases import load_case, load_case_data
from .policy import Policy, default_policy, load_policy

__version__ = "0.1.0"

__all__ = [
    "Case", "CaseError", "Claim", "ClaimResult", "Decision", "EvaluationError", "Limits", "Location",
    "OrdinanceError", "Policy", "PolicyError", "PriorAward", "Problem", "TraceNode", "default_policy",
    "load_case", "load_case_data", "load_policy", "__version__",
]
