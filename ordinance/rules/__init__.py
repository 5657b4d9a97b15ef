"""The rules that span claims: one module each, used by every back-end and by batch.

- :mod:`~ordinance.rules.span`: within one case and its history -- one-time awards,
  exclusivity (就高不重複), the caps spanning awards (pools), marking claims under a quota;
- :mod:`~ordinance.rules.quotas`: ranking the claims of many cases under a yearly quota.
"""
