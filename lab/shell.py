"""Every process the lab starts goes through this module (``ip``, ``ip netns exec``, daemons)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import IO

from lab.errors import LabCommandError


def run(argv: Sequence[str], *, check: bool = True, stdin: str | None = None) -> str:
    """Run a command on the host and return its stdout; ``check`` raises on failure."""
    try:
        done = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabCommandError(
            f"could not run {' '.join(argv)!r}: {exc}",
            allowed="run the lab as root on a machine with iproute2, FRR and lldpd",
        ) from exc
    if check and done.returncode != 0:
        raise LabCommandError(
            f"{' '.join(argv)!r} failed with status {done.returncode}: {done.stderr.strip()}",
            allowed="a clean machine state (try `python -m lab down`)",
        )
    return done.stdout


def succeeds(argv: Sequence[str]) -> bool:
    """Whether a command exits 0 (for probes whose failure is an answer, not an error)."""
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def in_netns(
    netns: str, argv: Sequence[str], *, check: bool = True, stdin: str | None = None
) -> str:
    return run(["ip", "netns", "exec", netns, *argv], check=check, stdin=stdin)


def spawn(netns: str, argv: Sequence[str], log_file: str) -> None:
    """Start a long-running process in ``netns``, detached from us (``setsid -f``)."""
    with open(log_file, "ab") as log:
        subprocess.run(
            ["setsid", "-f", "ip", "netns", "exec", netns, *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            timeout=30,
            check=True,
        )


def netns_pids(netns: str) -> list[int]:
    """Every process whose network namespace is ``netns``."""
    out = run(["ip", "netns", "pids", netns], check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def list_netns() -> list[str]:
    out = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def list_links() -> list[str]:
    out = run(["ip", "-o", "link", "show"], check=False)
    names: list[str] = []
    for line in out.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            names.append(parts[1].strip().split("@")[0])
    return names


def detach(argv: Sequence[str], log: IO[bytes]) -> None:
    """Start a long-running process in the root namespace, detached (``setsid -f``)."""
    subprocess.run(
        ["setsid", "-f", *argv], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        timeout=30, check=True,
    )  # fmt: skip
