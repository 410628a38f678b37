"""``render(context, stage)``: a device's full configuration text for one lifecycle stage."""

from __future__ import annotations

import re

import jinja2

from renderers import frr_document
from renderers.configlets import render_configlet
from renderers.context import DeviceContext, Nos, Stage
from renderers.environment import build_environment
from renderers.errors import RenderError
from renderers.plan import at_least, stage_variables
from renderers.remediation import is_curly_brace, junos_set_commands

_CLI_HOSTNAME = {
    Nos.EOS: re.compile(r"^hostname\s+(\S+)[ \t]*$", re.MULTILINE),
    Nos.NXOS: re.compile(r"^hostname\s+(\S+)[ \t]*$", re.MULTILINE),
    Nos.JUNOS: re.compile(r"^set system host-name\s+(\S+)[ \t]*$", re.MULTILINE),
}

_TRAILER = {Nos.EOS: "end"}  # pristine's own "end" is dropped: it would stop a paste
_SEPARATOR = {Nos.NXOS: ""}


def _nos(context: DeviceContext) -> Nos:
    try:
        return Nos(context["nos"])
    except ValueError:
        raise RenderError(
            f"{context['hostname']}: unknown NOS {context['nos']!r}", allowed=[n.value for n in Nos]
        ) from None


def _stage(stage: Stage | str) -> Stage:
    try:
        return Stage(stage)
    except ValueError:
        raise RenderError(f"unknown stage {stage!r}", allowed=[s.value for s in Stage]) from None


def _template_text(context: DeviceContext, nos: Nos, stage: Stage, own_hostname: str) -> str:
    variables = stage_variables(context, stage, own_hostname)
    try:
        return build_environment().get_template(f"{nos}/{stage}.j2").render(variables)
    except jinja2.UndefinedError as exc:
        raise RenderError(
            f"{context['hostname']}: cannot render {nos} {stage}: {exc.message}",
            allowed="a device context with every field the stage needs (renderers/context.py)",
        ) from exc


def _configlets(context: DeviceContext, stage: Stage) -> list[tuple[str, str]]:
    """(linux_frr section, text) of every configlet; configlets belong to service and drain."""
    if not at_least(stage, Stage.SERVICE):
        return []
    sections = {"frr": frr_document.FRR, "interfaces": frr_document.INTERFACES}
    out = []
    for configlet in context.get("configlets", []):
        section = configlet.get("section", "frr")
        if section not in sections:
            raise RenderError(
                f"configlet {configlet['name']!r}: unknown section {section!r}",
                allowed=sorted(sections),
            )
        out.append((sections[section], render_configlet(configlet, context)))
    return out


def _render_linux_frr(context: DeviceContext, stage: Stage) -> str:
    pristine = frr_document.parse_document(context["pristine"], what="pristine config")
    own = frr_document.section_hostname(pristine) or context["hostname"]
    rendered = frr_document.parse_document(_template_text(context, Nos.LINUX_FRR, stage, own))
    for section, text in _configlets(context, stage):
        body = rendered.lines(section)
        while body and not body[-1].strip():
            body.pop()
        body.extend(
            ["", *text.splitlines()] if section == frr_document.INTERFACES else text.splitlines()
        )
        if section == frr_document.FRR:
            body.append("!")
        rendered = rendered.with_lines(section, body)
    return frr_document.join_document(frr_document.merge_documents(pristine, rendered))


def _render_cli(context: DeviceContext, nos: Nos, stage: Stage) -> str:
    pristine = context["pristine"]
    if nos == Nos.JUNOS and is_curly_brace(pristine):  # as a device shows its config
        pristine = junos_set_commands(pristine)
    match = _CLI_HOSTNAME[nos].search(pristine)
    own = match.group(1) if match else context["hostname"]
    if at_least(stage, Stage.DISCOVERY2):  # the blueprint's hostname replaces the device's own
        pristine = _CLI_HOSTNAME[nos].sub("", pristine)
    kept = [line.rstrip() for line in pristine.splitlines() if line.strip() != "end"]
    if kept and nos in _SEPARATOR:
        kept.append(_SEPARATOR[nos])
    parts = [_template_text(context, nos, stage, own)]
    parts += [text for _, text in _configlets(context, stage)]
    lines = kept + [line.rstrip() for part in parts for line in part.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if nos in _TRAILER:
        lines.append(_TRAILER[nos])
    return "\n".join(lines) + "\n"


def render(context: DeviceContext, stage: Stage | str) -> str:
    """The device's complete configuration at ``stage``: pristine first, then rendered.

    Deterministic (same context, same bytes), newline-terminated, no trailing
    whitespace. Raises ``RenderError`` for an unknown NOS
    or stage or a context missing a field the stage needs, and ``ConfigletError``
    for a configlet that fails or tries to leave its sandbox.
    """
    nos, checked = _nos(context), _stage(stage)
    if nos == Nos.LINUX_FRR:
        return _render_linux_frr(context, checked)
    return _render_cli(context, nos, checked)
