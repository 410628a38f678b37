"""Shared pytest configuration.

With FG_REQUIRE_LAB=1 (set by .ci/run) a test marked ``lab`` that skips is
reported as a failure: CI runs as root and must exercise the real lab.
"""

from __future__ import annotations

import os
from collections.abc import Generator

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
