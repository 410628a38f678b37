"""The generated units are accepted by systemd itself (``systemd-analyze verify``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def test_make_systemd_units_writes_units_systemd_accepts(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    machine = tmp_path / "machine.env"
    example = (ROOT / "deploy" / "machine.env.example").read_text()
    # this checkout and an existing user, so that systemd can resolve what the units run
    machine.write_text(
        example.replace("FG_ROOT=/opt/fabricgraph", f"FG_ROOT={ROOT}")
        .replace("FG_USER=fabricgraph", "FG_USER=root")
        .replace("FG_ENV_FILE=/etc/fabricgraph/fabricgraph.env", f"FG_ENV_FILE={machine}")
    )
    out = tmp_path / "units"
    made = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "systemd_units.py"), str(machine), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    shutil.copy(out / "fabricgraph-api@.service", out / "fabricgraph-api@8001.service")
    names = [
        "fabricgraph-api@8001.service",
        "fabricgraph-worker.service",
        "fabricgraph-beat.service",
        "fabricgraph.target",
    ]
    verified = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [
        line for line in (verified.stdout + verified.stderr).splitlines() if "fabricgraph" in line
    ]
    assert verified.returncode == 0 and not problems, verified.stdout + verified.stderr
