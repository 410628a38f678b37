"""Record a device's command outputs for the replayed getter tests.

``python -m napalm_linuxfrr.recording NETNS CASE_DIR`` opens the lab switch ``NETNS``,
calls every getter and ``get_config``, and writes ``CASE_DIR/commands.json`` (every
command with its exit status and output) and ``CASE_DIR/expected/<getter>.json``
(what the driver returned, to be reviewed before it is committed).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from napalm_linuxfrr.transport import CommandResult, CommandRunner, NetnsTransport

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_interfaces_ip",
    "get_lldp_neighbors",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
    "get_config",
)
_TEMP = re.compile(r"/[0-9a-f]{12}\.conf\b")


def command_key(argv: Sequence[str]) -> str:
    """The recording key of a command; random temporary file names are masked."""
    return _TEMP.sub("/TEMP.conf", shlex.join(argv))


class RecordingRunner:
    """Passes commands to ``inner`` and remembers each result under its key."""

    def __init__(self, inner: CommandRunner) -> None:
        self.inner = inner
        self.recorded: dict[str, dict[str, Any]] = {}

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        result = self.inner.run(argv, stdin=stdin, timeout=timeout)
        self.recorded[command_key(argv)] = {
            "returncode": result.returncode,
            "stdout": result.stdout,
            "stderr": result.stderr,
        }
        return result

    def close(self) -> None:
        self.inner.close()


def record(netns: str, case_dir: str, candidate_file: str | None = None) -> None:
    """Record the getters; with ``candidate_file``, also its load and ``compare_config``."""
    from napalm.base.exceptions import ReplaceConfigException

    from napalm_linuxfrr.driver import LinuxFrrDriver

    runner = RecordingRunner(NetnsTransport(netns))
    args: dict[str, Any] = {"netns": netns, "runner": runner}
    driver = LinuxFrrDriver(netns, "", "", optional_args=args)
    driver.open()
    os.makedirs(os.path.join(case_dir, "expected"), exist_ok=True)
    for getter in GETTERS:
        result = getattr(driver, getter)()
        with open(os.path.join(case_dir, "expected", f"{getter}.json"), "w") as fh:
            json.dump(result, fh, indent=1, sort_keys=True)
    if candidate_file:
        outcome = "loaded"
        try:
            driver.load_replace_candidate(filename=candidate_file)
        except ReplaceConfigException as exc:
            outcome = f"ReplaceConfigException: {exc}"
        diff = driver.compare_config() if outcome == "loaded" else ""
        with open(os.path.join(case_dir, "expected", "load_and_compare.txt"), "w") as fh:
            fh.write(f"{outcome}\n---\n{diff}\n")
    with open(os.path.join(case_dir, "commands.json"), "w") as fh:
        json.dump(runner.recorded, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    record(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
