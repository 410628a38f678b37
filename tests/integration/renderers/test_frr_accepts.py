"""FRR itself accepts the frr.conf file of every linux_frr golden config.

``vtysh --dryrun -f FILE`` (FRR 8.4: "-C, --dryrun  Check configuration for
validity and exit") parses the file with FRR's own command grammar, without
daemons, and exits non-zero with the offending line on error.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from renderers.frr_document import FRR, parse_document

GOLDEN = Path(__file__).resolve().parents[3] / "fixtures" / "golden_configs" / "linux_frr"
GOLDEN_FILES = sorted(GOLDEN.glob("*/*.txt"))
VTYSH = shutil.which("vtysh") or ("/usr/bin/vtysh" if Path("/usr/bin/vtysh").exists() else None)

pytestmark = pytest.mark.skipif(
    VTYSH is None, reason="FRR's vtysh is not installed (apt-get install frr)"
)


def test_there_are_linux_frr_golden_configs_to_check() -> None:
    assert len(GOLDEN_FILES) >= 4


@pytest.mark.parametrize(
    "golden", GOLDEN_FILES, ids=[f"{p.parent.name}-{p.stem}" for p in GOLDEN_FILES]
)
def test_frr_accepts_the_rendered_frr_conf(golden: Path, tmp_path: Path) -> None:
    assert VTYSH is not None
    frr_conf = parse_document(golden.read_text())[FRR]
    assert frr_conf, f"{golden} has an empty frr.conf"
    candidate = tmp_path / "frr.conf"
    candidate.write_text("\n".join(frr_conf) + "\n")
    result = subprocess.run(
        [VTYSH, "--dryrun", "-f", str(candidate)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"{golden}: {result.stdout}{result.stderr}"


def test_frr_rejects_a_broken_frr_conf(tmp_path: Path) -> None:
    """The check above can fail: an unknown command inside router bgp is refused."""
    assert VTYSH is not None
    candidate = tmp_path / "frr.conf"
    candidate.write_text("router bgp 65000\n neighbor 10.0.0.1 remote-ass 65001\nexit\n")
    result = subprocess.run(
        [VTYSH, "--dryrun", "-f", str(candidate)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
