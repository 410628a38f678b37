"""The incremental config: what a commit changes on one device, as a readable delta.

Both NOS families get unified diffs (``-`` lines to remove, ``+`` lines to add),
and the result is empty when nothing changed. Hunk headers name the enclosing
top-level statement (``@@ -12,2 +12,3 @@ interface Ethernet1``), like ``git diff``,
so a changed sub-command shows which block it belongs to.

- linux_frr: one diff per changed file of the document, ``--- a/<path>`` /
  ``+++ b/<path>``; on the device FRR's own ``frr-reload.py`` computes the real
  frr.conf delta, so this is the preview.
- eos, nxos, junos: one diff of the whole configuration, ``--- running`` /
  ``+++ rendered``; then, for each configlet removed with a negation, a block
  ``@@ negation of configlet '<name>' @@`` whose ``+`` lines are the negation's commands
  (what a device that merges deltas needs to drop the configlet's lines).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from renderers import frr_document
from renderers.context import Nos
from renderers.errors import RenderError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? ")
CONTEXT_LINES = 2


def _enclosing(lines: list[str], index: int) -> str:
    """The nearest top-level statement at or above ``lines[index]`` (0-based)."""
    for line in reversed(lines[: index + 1]):
        if line.strip() and not line[0].isspace() and not line.startswith(("!", "#")):
            return line
    return ""


def _diff(old: list[str], new: list[str], old_name: str, new_name: str) -> list[str]:
    out: list[str] = []
    diff = difflib.unified_diff(old, new, old_name, new_name, n=CONTEXT_LINES, lineterm="")
    for line in diff:
        match = _HUNK.match(line)
        if match:
            start = max(int(match.group(1)) - 1, 0)
            parent = _enclosing(old, start) if old else ""
            line = f"{line} {parent}".rstrip()
        out.append(line)
    return out


def incremental(
    nos: Nos | str,
    old_config: str,
    new_config: str,
    negations: Sequence[tuple[str, str]] = (),
) -> str:
    """The delta from ``old_config`` (running/golden) to ``new_config`` (rendered);
    ``negations`` are (configlet, rendered negation) of configlets the change removes."""
    try:
        checked = Nos(nos)
    except ValueError:
        raise RenderError(f"unknown NOS {nos!r}", allowed=[n.value for n in Nos]) from None
    blocks = [
        line
        for name, text in negations
        if text.strip() and checked != Nos.LINUX_FRR
        for line in [f"@@ negation of configlet {name!r} @@", *(f"+{x}" for x in text.splitlines())]
    ]
    if old_config == new_config:
        return "\n".join(blocks) + "\n" if blocks else ""
    if checked == Nos.LINUX_FRR:
        old = frr_document.parse_document(old_config, what="old config")
        new = frr_document.parse_document(new_config, what="new config")
        lines: list[str] = []
        for path in frr_document.SECTIONS:
            lines += _diff(old[path], new[path], f"a{path}", f"b{path}")
    else:
        lines = _diff(old_config.splitlines(), new_config.splitlines(), "running", "rendered")
        lines += blocks
    return "\n".join(lines) + "\n" if lines else ""
