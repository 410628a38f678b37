"""Remediation and rollback for the NOSes that merge changes (eos, nxos, junos), by hier_config.

``remediation(nos, running, intended)`` is the list of commands that takes a device from
``running`` to ``intended``: what is missing is added, what is no longer intended is
negated (``no ...`` on EOS/NX-OS, ``delete ...`` on Junos), in hier_config's order for the
platform (``hier_config.WorkflowRemediation``). ``rollback`` is the same from ``intended``
back to ``running``. Both are plain CLI a switch loads as a merge (NAPALM's
``load_merge_candidate``), unlike a unified diff.

Parsing (``parse``): a top-level section given twice (NX-OS ``vrf context blue`` opened by
the system and again by the VLAN template) is one section, as the device shows it; a
banner's body (EOS up to ``EOF``, NX-OS up to its delimiter) stays with its banner, and
a banner is removed by ``no banner <kind>`` (hier_config would repeat its body).
hier_config's platform rules are kept, plus the pairs our templates render whose two forms
are both states a device keeps (``shutdown``/``no shutdown`` on a port, ``neighbor X
activate``/``no neighbor X activate`` in an address family, on NX-OS ``switchport``/``no
switchport``): one replaces the other instead of being negated first. (On EOS ``no
switchport`` is not such a pair: ``switchport`` is the default the rendering leaves
unsaid.)

Junos is hier_config's experimental platform: ``set``/``delete`` commands line by line
(a running config in the curly-brace format is converted to ``set`` commands first).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from hier_config import HConfig, MatchRule, Platform, WorkflowRemediation, get_hconfig
from hier_config import get_hconfig_driver as _platform_driver
from hier_config.models import IdempotentCommandsRule, NegationDefaultWithRule
from hier_config.platforms.driver_base import HConfigDriverBase

from renderers.context import Nos
from renderers.errors import RenderError

PLATFORMS = {
    Nos.EOS: Platform.ARISTA_EOS,
    Nos.NXOS: Platform.CISCO_NXOS,
    Nos.JUNOS: Platform.JUNIPER_JUNOS,
}

# (lineage of the section, the command whose plain and "no" forms are both states)
_COMMON_PAIRS = (
    ("interface ", "^(no )?shutdown$"),
    ("router bgp ", "address-family ", r"^(no )?neighbor \S+ activate$"),
)
BANNERS = ("motd", "login", "exec")
STATE_PAIRS: dict[Nos, tuple[tuple[str, ...], ...]] = {
    Nos.EOS: _COMMON_PAIRS,
    # NX-OS renders both `switchport` and `no switchport`; EOS leaves its default unsaid
    Nos.NXOS: (*_COMMON_PAIRS, ("interface ", "^(no )?switchport$")),
    Nos.JUNOS: (),
}


def _rule(lineage: tuple[str, ...]) -> IdempotentCommandsRule:
    *sections, command = lineage
    rules = (*(MatchRule(startswith=s) for s in sections), MatchRule(re_search=command))
    return IdempotentCommandsRule(match_rules=rules)


@functools.cache
def driver(nos: Nos) -> HConfigDriverBase:
    """hier_config's driver for ``nos`` with our state pairs (one per process, read-only)."""
    platform_driver = _platform_driver(PLATFORMS[nos])
    platform_driver.rules.idempotent_commands.extend(_rule(p) for p in STATE_PAIRS[nos])
    if nos != Nos.JUNOS:  # a banner is removed by its name, not by its body
        platform_driver.rules.negate_with.extend(
            NegationDefaultWithRule(
                match_rules=(MatchRule(startswith=f"banner {kind}"),), use=f"no banner {kind}"
            )
            for kind in BANNERS
        )
    return platform_driver


def _checked(nos: Nos | str) -> Nos:
    try:
        checked = Nos(nos)
    except ValueError:
        checked = None
    if checked not in PLATFORMS:
        raise RenderError(
            f"no remediation for NOS {nos!r}", allowed=[n.value for n in PLATFORMS]
        ) from None
    return checked


def _banner_end(nos: Nos, line: str) -> str | None:
    """The line (EOS) or the delimiter (NX-OS) that ends a banner ``line`` opens, if any."""
    words = line.split(maxsplit=2)
    if len(words) < 2 or words[0] != "banner":
        return None
    if nos == Nos.EOS:
        return "EOF" if len(words) == 2 else None
    body = words[2] if len(words) == 3 else ""
    return body[0] if body and body.count(body[0]) == 1 else None


def _banner(section: str) -> bool:
    return section.startswith("banner ")


def _sections(nos: Nos, text: str) -> Iterator[str]:
    """Each top-level statement with its indented lines (a banner with its body)."""
    current: list[str] = []
    until: str | None = None
    for line in text.splitlines():
        if until is not None:  # a banner's body, up to its end
            current.append(line)
            if (line == until) if nos == Nos.EOS else (until in line):
                until = None
            continue
        if line[:1].strip() and current:
            yield "\n".join(current)
            current = []
        current.append(line)
        until = _banner_end(nos, line)
    if current:
        yield "\n".join(current)


def _junos_statements(text: str) -> str:
    """Junos config text without its comment lines (``## Last commit: ...``, ``/* ... */``),
    which hier_config would take for statements."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith(("#", "/*")))


def parse(nos: Nos | str, text: str, what: str = "config") -> HConfig:
    """``text`` as hier_config's tree for ``nos``; a section given twice is merged."""
    checked = _checked(nos)
    platform_driver = driver(checked)
    root = HConfig(platform_driver)
    if checked == Nos.JUNOS:
        text = _junos_statements(text)
    try:
        for section in _sections(checked, text):
            if _banner(section):  # one statement, as hier_config keeps a banner
                root.add_child(section, return_if_present=True)
            else:
                root.merge(get_hconfig(platform_driver, section))
    except Exception as exc:  # a device's config is outside input: every failure is its own
        raise RenderError(
            f"cannot read the {what} as {checked} configuration: {type(exc).__name__}: {exc}",
            allowed=f"{checked} CLI text"
            + (" (set commands or the curly-brace format)" if checked == Nos.JUNOS else ""),
        ) from exc
    return root


def junos_set_commands(text: str) -> str:
    """A Junos config (curly-brace format or ``set`` commands) as ``set`` commands."""
    return _text(parse(Nos.JUNOS, text, "Junos config"))


def is_curly_brace(text: str) -> bool:
    """Whether a Junos config is in the curly-brace format (as a device shows it)."""
    return any(line.rstrip().endswith("{") for line in text.splitlines())


def _text(config: HConfig) -> str:
    lines = list(config.lines())
    return "\n".join(lines) + "\n" if lines else ""


def _workflow(nos: Nos | str, running: str, intended: str) -> WorkflowRemediation:
    return WorkflowRemediation(
        parse(nos, running, "running config"), parse(nos, intended, "intended config")
    )


def remediation(nos: Nos | str, running: str, intended: str) -> str:
    """The commands that take ``running`` to ``intended`` ("" when nothing differs)."""
    return _text(_workflow(nos, running, intended).remediation_config)


def rollback(nos: Nos | str, running: str, intended: str) -> str:
    """The commands that take ``intended`` back to ``running`` ("" when nothing differs)."""
    return _text(_workflow(nos, running, intended).rollback_config)
