"""Recording replay for the driver tests: recorded command outputs, no process is started.

``ReplayRunner`` is the one stand-in of the suite: it answers each command with the
output recorded from a real lab switch (``fixtures/napalm_linuxfrr/getters/<case>``)
and keeps files the driver writes in memory.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from napalm_linuxfrr.device import WRITE_FILE
from napalm_linuxfrr.recording import command_key
from napalm_linuxfrr.transport import CommandResult

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_linuxfrr"
GETTER_CASES = sorted(p.name for p in (FIXTURES / "getters").iterdir() if p.is_dir())


class ReplayRunner:
    """Replays ``commands.json``; file writes go to an in-memory overlay."""

    def __init__(self, recorded: dict[str, dict[str, Any]]) -> None:
        self.recorded = recorded
        self.files: dict[str, str] = {}
        self.calls: list[list[str]] = []

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        self.calls.append(list(argv))
        words = list(argv)
        if words[:2] == ["mkdir", "-p"] or words[:2] == ["rm", "-f"]:
            self.files.pop(words[-1], None)
            return CommandResult(0, "", "")
        if words[:2] == ["sh", "-c"] and words[2] in ('cat > "$1"', WRITE_FILE):
            self.files[words[-1]] = stdin or ""
            return CommandResult(0, "", "")
        if words[0] == "cat" and words[1] in self.files:
            return CommandResult(0, self.files[words[1]], "")
        key = command_key(words)
        if key not in self.recorded:
            raise AssertionError(f"command not in the recording: {shlex.join(words)}")
        item = self.recorded[key]
        return CommandResult(item["returncode"], item["stdout"], item["stderr"])

    def close(self) -> None:
        """Nothing to release."""


def load_case(case: str) -> tuple[ReplayRunner, Path]:
    folder = FIXTURES / "getters" / case
    recorded = json.loads((folder / "commands.json").read_text())
    return ReplayRunner(recorded), folder


def netns_of(folder: Path) -> str:
    """The recordings name the lab namespace in their paths (``.../fg-<node>/...``)."""
    return "fg-" + folder.name.split("_")[0]


def follows_model(model: Any, data: Any, allow_subset: bool = False) -> bool:
    """NAPALM's ``helpers.test_model``, also for fields typed ``Dict[...]``/``List[...]``."""
    import typing

    annotations = typing.get_type_hints(model)
    keys_ok = set(data) <= set(annotations) if allow_subset else set(data) == set(annotations)
    for key in data if allow_subset else annotations:
        expected_type = typing.get_origin(annotations[key]) or annotations[key]
        if expected_type is float and isinstance(data[key], int):
            return False
        if not isinstance(data[key], expected_type):
            return False
    return keys_ok
