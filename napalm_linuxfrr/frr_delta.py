"""FRR changes the driver applies itself, without ``frr-reload.py``. Pure.

A tenant network added or removed changes one kind of FRR line: the ``network <prefix>``
its zone's BGP instance announces (in an ``address-family`` block). When FRR still runs
exactly what the last commit applied (``Record.frr_unchanged`` of that text), the
difference between that text and the candidate is computed here, line by line within
each line's context; if it holds only such lines, it is applied as one vtysh script (the
removals as ``no`` lines) instead of ``frr-reload.py`` (a Python start, then some eight
vtysh runs, twice per push with the preview). Anything else is left to ``frr-reload.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

CLOSERS = ("exit", "exit-address-family", "exit-vrf", "end")
# the lines applied here: within an address-family block, what a network announces
NATIVE_PREFIXES = ("network ",)

Line = tuple[tuple[str, ...], str]  # (its contexts, outermost first; the line)


def lines_in_context(text: str) -> list[Line]:
    """Every configuration line with the contexts it sits in (by indentation; ``!``,
    blank lines and the closing ``exit...`` lines left out), in order, once each."""
    stack: list[tuple[int, str]] = []
    seen: list[Line] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped in CLOSERS:
            continue
        indent = len(raw) - len(raw.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        line = (tuple(t for _, t in stack), stripped)
        if line not in seen:
            seen.append(line)
        stack.append((indent, stripped))
    return seen


@dataclass(frozen=True)
class Delta:
    removed: tuple[Line, ...]
    added: tuple[Line, ...]

    def script(self) -> str:
        """The vtysh configuration script: each change entered from the top, removals first."""
        out: list[str] = []
        for (contexts, line), negate in [*((r, True) for r in self.removed)] + [
            (a, False) for a in self.added
        ]:
            out += list(contexts)
            out.append(f"no {line}" if negate else line)
            out += [_closer(c) for c in reversed(contexts)]
        return "\n".join(out) + "\n"

    def preview(self) -> str:
        """The lines as ``compare_config`` shows FRR's part (frr-reload's form)."""
        parts: list[str] = []
        for title, group, sign in (
            ("frr lines to delete:", self.removed, "-"),
            ("frr lines to add:", self.added, "+"),
        ):
            if group:
                parts.append(title)
                shown: list[str] = []
                for contexts, line in group:
                    for depth, text in enumerate([*contexts, line]):
                        entry = f"{sign} {' ' * depth}{text}"
                        if entry not in shown or depth == len(contexts):
                            shown.append(entry)
                parts += shown
        return "\n".join(parts)


def _closer(context: str) -> str:
    return "exit-address-family" if context.startswith("address-family") else "exit"


def native_delta(applied: str, wanted: str) -> Delta | None:
    """The change from ``applied`` (what FRR runs, as the last commit gave it) to
    ``wanted`` when it holds only lines applied here; None for anything else."""
    before, after = lines_in_context(applied), lines_in_context(wanted)
    removed = tuple(x for x in before if x not in after)
    added = tuple(x for x in after if x not in before)
    if not (removed or added):
        return None
    for contexts, line in (*removed, *added):
        in_family = len(contexts) >= 2 and contexts[-1].startswith("address-family")
        if not (in_family and line.startswith(NATIVE_PREFIXES)):
            return None
    return Delta(removed, added)
