"""Stages 1-3, the front: rule files from text to the policy's model.

- :mod:`~ordinance.front.load`: text -> plain data with the position of every value (YAML,
  composed by hand, no tag constructors; limits on size and depth);
- :mod:`~ordinance.front.validate`: plain data against the JSON Schemas an editor uses;
- :mod:`~ordinance.front.parse`: validated data -> :mod:`~ordinance.front.model` (every
  expression parsed by :mod:`ordinance.grammar`).
"""
