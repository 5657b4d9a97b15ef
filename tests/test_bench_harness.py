"""The benchmark suite (benchmarks/) at a small size, so that it cannot rot.

No timing is asserted: the machine running the tests may be busy.  What is asserted is that
the harness runs end to end, reports peers that are not installed instead of failing (the
`bench` extra is not installed by `make test`), and that its correctness cross-check really
catches an engine that gets the compute voucher wrong.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import applicants as A
from benchmarks import harness as H
from benchmarks import reference as R
from benchmarks import run as bench_run
from benchmarks import workload_b
from benchmarks.engines import all_engines

N = 200


@pytest.fixture(scope="module")
def applicants():
    return A.generate(N)


@pytest.fixture(scope="module")
def expected(applicants):
    return [R.expected_cents(a) for a in applicants]


# -- the generated applicants and the reference ---------------------------------------------------

def test_applicants_are_deterministic_and_hold_every_boundary(applicants):
    assert A.generate(N) == applicants
    assert len(A.generate(1)) == len(A.boundary_applicants())  # the boundaries are always there
    revenues = {a.revenue for a in applicants if a.kind == "enterprise"}
    assert {A.YI - 1, A.YI, A.SHI_YI - 1, A.SHI_YI} <= revenues
    assert {dt.date(2025, 4, 20), dt.date(2025, 4, 21), dt.date(2027, 12, 31), dt.date(2028, 1, 1)} <= \
        {a.date for a in applicants}
    assert {"university", "research-institute"} <= {a.kind for a in applicants}
    assert any(not a.qualified for a in applicants)
    caps = {cap * 100 for _, cap in A.TIERS.values()}
    hits = {R.cents_subsidy(R.cents_inputs(a)) for a in applicants} & caps
    assert hits == caps  # every tier's cap is reached exactly


def test_the_hand_written_functions_agree_with_each_other_and_with_the_statute(applicants):
    for a in A.generate(3000):
        assert R.decimal_cents(R.decimal_subsidy(R.decimal_inputs(a))) == R.cents_subsidy(R.cents_inputs(a))

    def subsidy(kind, revenue, spend, day=dt.date(2025, 6, 1), qualified=True):
        return R.decimal_subsidy((kind, Decimal(revenue), Decimal(spend), day, qualified))

    assert subsidy("enterprise", 5 * A.YI, 8_000_000) == Decimal("3200000.00")  # the README's example
    assert subsidy("enterprise", A.YI, 1_000_000) == Decimal("400000.00")  # 1億 (含): 40%
    assert subsidy("enterprise", A.YI - 1, 1_000_000) == Decimal("500000.00")  # below 1億: 50%
    assert subsidy("enterprise", A.SHI_YI, 1_000_000) == Decimal("300000.00")  # 10億 (含): 30%
    assert subsidy("enterprise", A.SHI_YI, 100_000_000) == Decimal("10000000.00")  # capped at 1000萬
    assert subsidy("university", 50 * A.SHI_YI, 1_000_000) == Decimal("500000.00")  # always 50%
    assert subsidy("enterprise", A.SHI_YI, "12.35") == Decimal("3.71")  # 3.705, half up
    assert subsidy("enterprise", A.YI, 1_000_000, day=dt.date(2027, 12, 31)) == Decimal("400000.00")
    assert subsidy("enterprise", A.YI, 1_000_000, day=dt.date(2028, 1, 1)) == 0
    assert subsidy("enterprise", A.YI, 1_000_000, qualified=False) == 0


# -- the cross-check -------------------------------------------------------------------------------

def _wrong(fn):
    """An engine that decides with ``fn`` on the Decimal inputs."""
    return H.Engine(f"wrong: {fn.__name__}", "peer",
                    lambda: H.Built(R.decimal_inputs, fn, R.decimal_cents))


def _tier(kind, revenue, bound_inclusive=True):
    top = revenue >= R._SHI_YI if bound_inclusive else revenue > R._SHI_YI
    mid = revenue >= R._YI if bound_inclusive else revenue > R._YI
    if kind != "enterprise" or not mid:
        return R.R50, R.CAP_200W
    return (R.R30, R.CAP_1000W) if top else (R.R40, R.CAP_500W)


def tier_bounds_exclusive(x):  # 1億 and 10億 read as 以上 without 含
    kind, revenue, spend, day, qualified = x
    if not qualified or not (A.VALID_FROM <= day <= A.VALID_UNTIL):
        return R.ZERO
    rate, cap = _tier(kind, revenue, bound_inclusive=False)
    return min((spend * rate).quantize(R.CENT, "ROUND_HALF_UP"), cap)


def rounds_half_even(x):  # banker's rounding instead of half up
    kind, revenue, spend, day, qualified = x
    if not qualified or not (A.VALID_FROM <= day <= A.VALID_UNTIL):
        return R.ZERO
    rate, cap = _tier(kind, revenue)
    return min((spend * rate).quantize(R.CENT, "ROUND_HALF_EVEN"), cap)


def validity_end_excluded(x):  # valid until 2027-12-31 read as "before"
    kind, revenue, spend, day, qualified = x
    if not qualified or not (A.VALID_FROM <= day < A.VALID_UNTIL):
        return R.ZERO
    rate, cap = _tier(kind, revenue)
    return min((spend * rate).quantize(R.CENT, "ROUND_HALF_UP"), cap)


def universities_by_revenue(x):  # universities tiered by revenue like enterprises
    _kind, revenue, spend, day, qualified = x
    return R.decimal_subsidy(("enterprise", revenue, spend, day, qualified))


def ignores_the_cap(x):
    kind, revenue, spend, day, qualified = x
    if not qualified or not (A.VALID_FROM <= day <= A.VALID_UNTIL):
        return R.ZERO
    rate, _ = _tier(kind, revenue)
    return (spend * rate).quantize(R.CENT, "ROUND_HALF_UP")


def ignores_qualification(x):
    return R.decimal_subsidy(x[:4] + (True,))


def unrounded(x):  # leaves fractions of a cent
    kind, revenue, spend, day, qualified = x
    if not qualified or not (A.VALID_FROM <= day <= A.VALID_UNTIL):
        return R.ZERO
    rate, cap = _tier(kind, revenue)
    return min(spend * rate, cap)


@pytest.mark.parametrize("fn", [tier_bounds_exclusive, rounds_half_even, validity_end_excluded,
                                universities_by_revenue, ignores_the_cap, ignores_qualification, unrounded])
def test_the_cross_check_catches_a_wrong_engine(fn, applicants, expected):
    row = H.run_engine(_wrong(fn), applicants, expected, repeats=1, run_seconds=0.001)
    assert row.status == "mismatch"
    assert row.check is not None and row.check.mismatches > 0 and not row.check.ok
    assert row.check.describe().startswith("MISMATCH")


def test_the_cross_check_passes_the_reference_and_checks_every_applicant(applicants, expected):
    reference = next(e for e in all_engines() if e.key == "decimal")
    row = H.run_engine(reference, applicants, expected, repeats=1, run_seconds=0.001)
    assert row.status == "ok" and row.check is not None
    assert row.check.checked == len(applicants) and row.check.mismatches == 0


def test_a_peer_that_is_not_installed_is_reported_not_built(applicants, expected):
    def build():
        raise AssertionError("must not be built")

    engine = H.Engine("absent", "peer", build, module="no_such_module_for_the_bench", dist="no-such-dist")
    row = H.run_engine(engine, applicants, expected, repeats=1, run_seconds=0.001)
    assert row.status == "not installed" and not row.has_figures


def test_a_peer_that_fails_is_reported(applicants, expected):
    def build():
        return H.Built(lambda a: a, lambda x: 1 / 0, lambda v: v)

    row = H.run_engine(H.Engine("broken", "peer", build), applicants, expected, repeats=1, run_seconds=0.001)
    assert row.status == "failed" and "ZeroDivisionError" in row.reason and not row.has_figures


def test_workload_b_case_is_decided_as_expected():
    import ordinance

    policy = ordinance.default_policy()
    assert workload_b.check_decision(policy.evaluate(workload_b.CASE, trace=False)) == []
    assert workload_b.check_decision(policy.evaluate(workload_b.CASE, trace=True)) == []


# -- end to end ------------------------------------------------------------------------------------

def test_the_suite_runs_end_to_end_and_reports_a_wrong_engine(tmp_path):
    out = tmp_path / "results.md"
    stream = io.StringIO()
    wrong = H.Engine("deliberately wrong: 10億 not in the top tier", "peer",
                     lambda: H.Built(R.decimal_inputs, tier_bounds_exclusive, R.decimal_cents))
    status = bench_run.main(["--n", str(N), "--batch-cases", str(N), "--repeats", "1", "--run-seconds", "0.005",
                             "--startup-repeats", "1", "--web-seconds", "1", "--out", str(out)],
                            extra_engines=[wrong], stream=stream)
    assert status == 0  # ordinance's own answers were right
    report = out.read_text(encoding="utf-8")
    assert report.strip() == stream.getvalue().strip()
    for heading in ("## Targets", "## Workload A", "## Workload B", "## Start-up", "## Batch", "## Web load"):
        assert heading in report
    web_rows = [line for line in report.splitlines() if line.startswith("| `POST /v1/decide`")]
    assert web_rows or "Web load: not available" in report  # without wrk (make bench installs it)
    for line in web_rows:
        assert "ok (200 totals to the cent)" in line, line
    lines: dict[str, str] = {}
    for line in report.splitlines():
        if line.startswith("| "):
            lines.setdefault(line.split(" | ")[0].lstrip("| "), line)  # the figures' table comes first
    for engine in all_engines():
        line = lines[engine.name]  # every engine has its row, installed or not
        if engine.kind in ("limit", "ordinance"):
            assert f"ok ({N:,} to the cent)" in line
        else:
            assert any(word in line for word in ("ok (", "MISMATCH", "not installed", "failed")), line
    assert "MISMATCH" in lines[wrong.name]
    assert "| met |" in report or "| NOT MET |" in report
    batch_rows = [line for line in report.splitlines() if line.startswith("| --jobs")]
    assert batch_rows or "not available" in report
    for line in batch_rows:
        assert f"ok ({N:,} totals to the cent)" in line or "not available" in line, line


# -- the web load's reading of wrk ------------------------------------------------------------------

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40123/v1/decide
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.52ms    1.10ms  25.31ms   90.12%
    Req/Sec     2.26k   150.22     2.60k    72.00%
  Latency Distribution
     50%    3.41ms
     75%    3.80ms
     90%    4.25ms
     99%  850.00us
  45349 requests in 10.01s, 38.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 0
  Non-2xx or 3xx responses: 3
Requests/sec:   4530.12
Transfer/sec:      3.81MB
"""


def test_the_web_load_reads_what_wrk_prints():
    from benchmarks import web_load

    figures = web_load.parse_wrk(WRK_OUTPUT)
    assert figures["per_second"] == 4530.12 and figures["requests"] == 45349
    assert (figures["p50"], figures["p90"], figures["p99"]) == (3.41, 4.25, 0.85)  # ms, from ms and us
    assert figures["max"] == 25.31 and figures["non_2xx"] == 3
    assert figures["socket_errors"] == "connect 0, read 2, write 0, timeout 0"
    script = web_load.lua_script(['{"case":{"claims":[]}}', '{"case":{"id":"x"}}'])
    assert script.count("[==[") == 2 and "wrk.method = \"POST\"" in script
