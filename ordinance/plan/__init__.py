"""Stage 5a, plan: a checked measure as one intermediate form that every back-end reads.

:func:`~ordinance.plan.build.plan_measure` turns a checked measure into a
:class:`~ordinance.plan.steps.MeasurePlan` once: frozen records of its steps (facts read,
validity windows, conditions, tables, named values, amount with its rounding, caps per claim,
caps spanning awards, quota), constants folded.  The reference interpreter
(:mod:`ordinance.run.interpret`) and the code generator (:mod:`ordinance.run.pygen`) read
plans, never the parse tree or another module's private members.
"""
