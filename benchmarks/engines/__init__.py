"""The engines of workload A, one module each; :func:`all_engines` lists them in table order.

Every module's ``engines()`` returns :class:`~benchmarks.harness.Engine` specs and imports its
engine only inside ``build``, so that a peer that is not installed costs nothing and is
reported as such.
"""

from __future__ import annotations

from ..harness import Engine
from . import limit, ordinance_api, peer_cel, peer_jsonlogic, peer_openfisca, peer_rego, peer_rule_engine, peer_zen

MODULES = (limit, ordinance_api, peer_zen, peer_rule_engine, peer_jsonlogic, peer_cel, peer_rego, peer_openfisca)


def all_engines(quick: bool = False) -> list[Engine]:
    out: list[Engine] = []
    for m in MODULES:
        out.extend(m.engines(quick))
    return out
