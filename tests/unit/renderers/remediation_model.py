"""What a device's config becomes after it merges a remediation: the model the round-trip
tests apply, built on hier_config's own ``HConfig.future`` (its prediction of a merge).

Two corrections to ``future`` for what the devices do:

- EOS/NX-OS: a state pair's ``no`` form (``no shutdown`` over ``shutdown``,
  ``renderers.remediation.STATE_PAIRS``) and ``no switchport`` (a routed port) are states
  the device keeps; ``future`` treats them as plain negations and keeps neither form.
- Junos: ``set``/``delete`` commands line by line: ``delete P`` removes ``set P`` and
  every statement under it, ``set S`` adds ``S`` (``future`` does not pair ``delete``
  with ``set`` on hier_config's experimental Junos platform).
"""

from __future__ import annotations

import re

from hier_config import HConfig
from hier_config.child import HConfigChild

from renderers.context import Nos
from renderers.remediation import STATE_PAIRS, parse

KEPT_NEGATIONS = {
    Nos.EOS: (*STATE_PAIRS[Nos.EOS], ("interface ", "^no switchport$")),
    Nos.NXOS: STATE_PAIRS[Nos.NXOS],
}


def _kept(nos: Nos, child: HConfigChild) -> bool:
    path = tuple(child.path())
    for *sections, command in KEPT_NEGATIONS[nos]:
        if (
            len(path) == len(sections) + 1
            and re.search(command, path[-1])
            and all(p.startswith(s) for p, s in zip(path, sections, strict=False))
        ):
            return True
    return False


def _cli_applied(nos: Nos, running: HConfig, commands: HConfig) -> HConfig:
    future = running.future(commands)
    for child in commands.all_children():
        if child.text.startswith("no ") and _kept(nos, child):
            parent: HConfig | HConfigChild = future
            for text in tuple(child.path())[:-1]:
                parent = parent.add_child(text, return_if_present=True)
            positive = parent.get_child(equals=child.text.removeprefix("no "))
            if positive is not None:
                positive.delete()
            parent.add_child(child.text, return_if_present=True)
    return future


def _junos_applied(running: str, commands: str) -> set[str]:
    lines = {str(line) for line in parse(Nos.JUNOS, running).dump_simple()}
    for command in commands.splitlines():
        if command.startswith("delete "):
            target = "set " + command.removeprefix("delete ")
            lines = {x for x in lines if x != target and not x.startswith(target + " ")}
        elif command.startswith("set "):
            lines.add(command)
    return lines


def same_config(nos: Nos, one: str, other: str) -> bool:
    """Whether hier_config finds nothing to change from ``one`` to ``other`` and back."""
    a, b = parse(nos, one), parse(nos, other)
    return not list(a.config_to_get_to(b).lines()) and not list(b.config_to_get_to(a).lines())


def applied(nos: Nos, running: str, commands: str) -> str:
    """``running`` after the device merged ``commands``, as config text."""
    if nos == Nos.JUNOS:
        return "\n".join(sorted(_junos_applied(running, commands))) + "\n"
    future = _cli_applied(nos, parse(nos, running), parse(nos, commands, "remediation"))
    return "\n".join(future.lines()) + "\n"
