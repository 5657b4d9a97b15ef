"""Cases: what an applicant claims, read and checked against a policy.

- :mod:`~ordinance.cases.read`: the case reader, in two modes -- plain (the common shape, no
  report: :func:`~ordinance.cases.read.read_plain_case`) and strict (every mistake with its
  place: :func:`~ordinance.cases.read.read_case`) -- and one converter per value type;
- :mod:`~ordinance.cases.files`: case files (YAML, JSON) from disk or text, with positions;
- :mod:`~ordinance.cases.schema`: the JSON Schema of case files, from a policy's facts.
"""

from .files import load_case, load_case_data, read_case_text

__all__ = ["load_case", "load_case_data", "read_case_text"]
