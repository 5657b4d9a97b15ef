"""What one request may cost the server (docs/security.md 4b): a decision with its trace is bounded
by its claims (413 before any work), and the work of a request answered 503 stops."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ordinance.web import create_app
from ordinance.web.problems import ApiError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def claims(n: int) -> list[dict]:
    return [{"id": f"c{i}", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "100萬",
             "service_qualified": True} for i in range(n)]


def case(n: int) -> dict:
    return {"case": "big", "applicant": {"kind": "enterprise", "annual_revenue": "5億"}, "claims": claims(n)}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(max_traced_claims=50), raise_server_exceptions=False)


def post(client, path, body):
    return client.post(path, content=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"content-type": "application/json"})


@pytest.mark.parametrize("path,body", [
    ("/v1/decide", {"case": case(51), "trace": True}),
    ("/v1/decide", {"case": case(51), "format": "html"}),
    ("/v1/decide", {"case": json.dumps(case(51)), "trace": True}),  # the text of a case file
    ("/v1/explain", {"case": case(51), "claim": "c1"}),
    ("/v1/compare", {"case": case(51)}),
])
def test_a_traced_decision_over_the_bound_is_413_before_the_work(client, path, body):
    r = post(client, path, body)
    assert r.status_code == 413, r.text[:300]
    data = r.json()
    assert data["code"] == "trace-too-large"
    assert "51 claims" in data["detail"] and "at most 50" in data["detail"]
    assert data["problems"][0]["path"] == "case.claims"


def test_within_the_bound_or_without_the_trace_it_is_decided(client):
    assert post(client, "/v1/decide", {"case": case(50), "trace": True}).status_code == 200
    r = post(client, "/v1/decide", {"case": case(51)})
    assert r.status_code == 200 and len(r.json()["results"]) == 51


def test_the_default_bound_keeps_a_traced_answer_to_a_few_megabytes():
    from ordinance.web.app import DEFAULT_MAX_TRACED_CLAIMS

    c = TestClient(create_app(time_limit_seconds=600), raise_server_exceptions=False)
    n = DEFAULT_MAX_TRACED_CLAIMS
    json_size = len(post(c, "/v1/decide", {"case": case(n), "trace": True}).content)
    html_size = len(post(c, "/v1/decide", {"case": case(n), "format": "html"}).content)
    assert json_size < 16 * 2**20 and html_size < 16 * 2**20, (json_size, html_size)
    assert post(c, "/v1/decide", {"case": case(n + 1), "trace": True}).status_code == 413


def test_the_tests_of_an_abandoned_try_stop_running(monkeypatch):
    """Before: after the 503 the thread ran the policy's 186 tests to their end."""
    import ordinance.testing

    ran = []
    real = ordinance.testing.run_test

    def slow(*args, **kwargs):
        ran.append(1)
        time.sleep(0.02)
        return real(*args, **kwargs)

    monkeypatch.setattr(ordinance.testing, "run_test", slow)
    c = TestClient(create_app(time_limit_seconds=0.1), raise_server_exceptions=False)
    r = post(c, "/v1/try", {})
    assert r.status_code == 503 and r.json()["code"] == "time-limit"
    time.sleep(1.0)
    stopped_at = len(ran)
    time.sleep(1.0)
    assert len(ran) == stopped_at  # nothing runs any more
    assert stopped_at < 100  # far from the 186 tests


def test_work_queued_when_its_request_is_abandoned_is_never_started():
    app = create_app(time_limit_seconds=0.1)
    svc = app.state.service
    svc.executor = ThreadPoolExecutor(1)
    release = threading.Event()
    started = []
    svc.executor.submit(release.wait, 10)  # the one worker is busy

    async def go():
        with pytest.raises(ApiError) as err:
            await svc.run(lambda: started.append(1))
        return err.value

    err = asyncio.run(go())
    assert err.status == 503
    release.set()
    svc.executor.shutdown(wait=True)
    assert started == []
