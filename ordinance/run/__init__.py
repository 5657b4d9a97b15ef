"""Stage 6, run: decide cases from plans.

- :mod:`~ordinance.run.interpret`: the reference interpreter of one claim (closures over the
  plan's expressions, three-valued missing facts, located errors; the only producer of traces);
- :mod:`~ordinance.run.reference`: a whole case by the reference (claims, then the rules
  spanning them, :mod:`ordinance.rules.span`);
- :mod:`~ordinance.run.pygen`: the one code generator (Python source for a shape of case);
- :mod:`~ordinance.run.dispatch`: the one place that picks the back-end, and counts.
"""
