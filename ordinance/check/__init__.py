"""Stage 4, check: the policy's model typed and checked as a whole, by named passes.

- :mod:`~ordinance.check.checker`: the passes (``POLICY_PASSES``), the type checker of one
  expression, :class:`~ordinance.check.checker.CheckedPolicy`;
- :mod:`~ordinance.check.tiers`: tables read as intervals (unreachable rows, gaps).
"""
