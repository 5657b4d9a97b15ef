"""The two JSON Schemas share their definitions: a drafter's editor and the loader agree on both."""

from __future__ import annotations

import jsonschema

from ordinance.front.validate import schema


def test_policy_and_rules_schemas_define_the_same_building_blocks():
    assert schema("policy")["$defs"] == schema("rules")["$defs"]


def test_both_schemas_are_valid_draft_2020_12():
    for kind in ("policy", "rules"):
        jsonschema.Draft202012Validator.check_schema(schema(kind))
