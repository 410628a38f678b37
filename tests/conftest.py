"""Shared pytest configuration.

With FG_REQUIRE_LAB=1 (set by .ci/run) a test marked ``lab`` that skips is
reported as a failure: CI runs as root and must exercise the real lab.

The lab tests take down a lab they find running (``tests/integration/lab/helpers.py``);
when that was ``make run``'s demo, it is deployed again once the session ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

import pluggy
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("FG_REQUIRE_LAB") == "1"
        and report.skipped
        and item.get_closest_marker("lab")
    ):
        report.outcome = "failed"
        report.longrepr = f"lab test skipped but FG_REQUIRE_LAB=1 requires it: {report.longrepr}"


DEMO_LAB = "demo"  # api.tour.DEMO: the blueprint (and lab) `make run` deploys
TOUR_TIMEOUT_S = 900.0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    helpers = sys.modules.get("tests.integration.lab.helpers")
    if DEMO_LAB not in getattr(helpers, "DISPLACED", []):
        return
    root = Path(__file__).resolve().parents[1]
    try:
        tour = subprocess.run(
            [sys.executable, "-m", "api", "tour"],
            cwd=root, capture_output=True, text=True, timeout=TOUR_TIMEOUT_S, check=False,
        )  # fmt: skip
        outcome = (
            "deployed it again (`python -m api tour`)"
            if tour.returncode == 0
            else f"could not deploy it again (rc {tour.returncode}): {tour.stdout[-600:]}"
        )
    except subprocess.TimeoutExpired:
        outcome = f"could not deploy it again within {TOUR_TIMEOUT_S:.0f} s"
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"the lab tests took down make run's demo lab and {outcome}")
