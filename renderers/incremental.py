"""The incremental config: what a commit changes on one device; empty when nothing changed.

- linux_frr: unified diffs (``-`` lines to remove, ``+`` lines to add), one per changed
  file of the document, ``--- a/<path>`` / ``+++ b/<path>``; hunk headers name the
  enclosing top-level statement (``@@ -12,2 +12,3 @@ router bgp 65101``), like ``git
  diff``. On the device FRR's own ``frr-reload.py`` computes the real frr.conf delta, so
  this is the preview.
- eos, nxos, junos: the **remediation** (``renderers.remediation``, hier_config): the
  commands that take the old config to the new one, negations included, which is what
  the workers load as a merge candidate. Before it, for each configlet removed (or
  changed) with a negation, its negation's commands (on EOS/NX-OS after a comment line
  ``! negation of configlet '<name>'``, which NAPALM's drivers and the CLI skip; on Junos
  without one, so the text stays ``set``/``delete`` commands): first the operator's own
  way of removing the old lines, then the remediation, which re-adds a changed
  configlet's new lines and leaves out a single command the negation already gave.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from renderers import frr_document
from renderers.context import Nos
from renderers.errors import RenderError
from renderers.remediation import remediation, rollback

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


def _negations(nos: Nos, negations: Sequence[tuple[str, str]]) -> list[str]:
    """The removed configlets' negations, each block named on the NOSes with comments."""
    out: list[str] = []
    for name, text in negations:
        lines = [x.rstrip() for x in text.splitlines() if x.strip()]
        if lines and nos != Nos.JUNOS:
            out.append(f"! negation of configlet {name!r}")
        out += lines
    return out


def _without(commands: str, done: list[str]) -> list[str]:
    """``commands`` less the top-level single commands ``done`` already holds."""
    lines = commands.splitlines()
    held = {line.strip() for line in done}
    kept = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line in held and not following[:1].isspace():  # held lines are unindented
            continue
        kept.append(line)
    return kept


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
    if checked != Nos.LINUX_FRR:
        first = _negations(checked, negations)
        commands = "" if old_config == new_config else remediation(checked, old_config, new_config)
        lines = first + _without(commands, first)
        return "\n".join(lines) + "\n" if lines else ""
    if old_config == new_config:
        return ""
    return _frr_diffs(old_config, new_config)


def incremental_rollback(nos: Nos | str, old_config: str, new_config: str) -> str:
    """What takes the device from ``new_config`` back to ``old_config`` after the
    incremental push: on eos, nxos and junos hier_config's rollback of the remediation
    (the commands that undo it, negations included), on linux_frr the reverse diffs."""
    try:
        checked = Nos(nos)
    except ValueError:
        raise RenderError(f"unknown NOS {nos!r}", allowed=[n.value for n in Nos]) from None
    if old_config == new_config:
        return ""
    if checked != Nos.LINUX_FRR:
        return rollback(checked, old_config, new_config)
    return _frr_diffs(new_config, old_config)


def _frr_diffs(old_config: str, new_config: str) -> str:
    old = frr_document.parse_document(old_config, what="old config")
    new = frr_document.parse_document(new_config, what="new config")
    lines = []
    for path in frr_document.SECTIONS:
        lines += _diff(old[path], new[path], f"a{path}", f"b{path}")
    return "\n".join(lines) + "\n" if lines else ""
