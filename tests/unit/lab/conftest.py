"""Fixtures of the driver tests (see ``replay.py`` for the recording replay)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from napalm_linuxfrr.driver import LinuxFrrDriver
from tests.unit.lab.replay import ReplayRunner, load_case, netns_of


@pytest.fixture
def make_case() -> Callable[[str], tuple[LinuxFrrDriver, ReplayRunner, Path]]:
    def make(case: str) -> tuple[LinuxFrrDriver, ReplayRunner, Path]:
        runner, folder = load_case(case)
        driver = LinuxFrrDriver(
            netns_of(folder), "", "", optional_args={"netns": netns_of(folder), "runner": runner}
        )
        driver.open()
        return driver, runner, folder

    return make
