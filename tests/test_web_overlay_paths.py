"""Overlay paths the file system cannot hold are refused up front (issue 15)."""

from __future__ import annotations

import pytest

from test_web_api import client_for


@pytest.mark.parametrize("path", ["rules/" + "a" * 10_000 + ".yaml", "rules/" + "b" * 300 + ".yaml",
                                  "rules/" + "c/" * 40 + "x.yaml"])
def test_an_overlay_path_too_long_for_a_file_system_is_a_problem_not_a_crash(path):
    """POST /v1/check with an overlay path of 10,000 characters was a 500 ("File name too long")."""
    client = client_for()
    answer = client.post("/v1/check", json={"files": {path: "article: 一\nmeasures: []\n"}})
    assert answer.status_code == 400 and answer.json()["code"] == "bad-override-path", answer.text
