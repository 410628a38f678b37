"""The off-box agent's connection, on a worker: reach the device, read what it is, register it.

``connect`` probes the management address (DNS, then TCP, each bounded by the agent's
timeout), resolves the agent's credential set (here, never before), opens the NAPALM
driver, reads ``get_facts`` and the running config, matches a device profile from the
reported model and registers the device OOS-QUARANTINED under its real serial with
that config as pristine (a known serial keeps its state). Every failure is recorded on
the agent as a distinct reason; no secret reaches the graph, the result or a log.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.agent_spec import (
    AgentSpec,
    ProfileFit,
    match_profile,
    version_in_range,
)
from blueprint_engine.devices.agents import Agents, AgentStatus, Reason
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import FabricError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph
from workers.app import GraphTask, app
from workers.credentials import CredentialError, resolve, scrub
from workers.drivers import build_driver, first_host_key

MAX_DETAIL = 300
# NOS version as the vendor's driver reports it; the device profile's range bounds it
REFUSED_REASONS = frozenset(
    {
        Reason.CREDENTIAL_MISSING,
        Reason.CREDENTIAL_UNSAFE,
        Reason.DRIVER_UNKNOWN,
        Reason.NO_PROFILE,
        Reason.HOST_KEY_MISMATCH,
    }
)


class AgentFailure(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(exc: BaseException) -> Reason:
    """The reason code of a driver's exception (its cause chain included)."""
    for link in _chain(exc):
        names = " ".join(t.__name__ for t in type(link).__mro__)
        if isinstance(link, socket.gaierror):
            return Reason.DNS
        if "HostKeyRefused" in names:
            return Reason.HOST_KEY_MISMATCH
        if isinstance(link, ConnectionRefusedError):
            return Reason.TCP_REFUSED
        if "Authentication" in names or "AuthError" in names:
            return Reason.AUTH_FAILED
        if isinstance(link, TimeoutError) or "Timeout" in names:
            return Reason.TIMEOUT
        if "ModuleImportError" in names:
            return Reason.DRIVER_UNKNOWN
    text = str(exc).lower()
    if "ssh host key of" in text:  # napalm_linuxfrr.host_keys: a refused host key
        return Reason.HOST_KEY_MISMATCH
    if "authentication" in text or "auth fail" in text:
        return Reason.AUTH_FAILED
    return Reason.ERROR


def _resolve_address(address: str, port: int, timeout: float) -> str:
    try:
        ipaddress.ip_address(address)
        return address
    except ValueError:
        pass
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, address, port, type=socket.SOCK_STREAM)
        infos = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise AgentFailure(Reason.DNS, f"{address}: no answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise AgentFailure(Reason.DNS, f"{address} does not resolve: {exc}") from None
    finally:
        pool.shutdown(wait=False)
    return str(infos[0][4][0])


def probe(address: str, port: int, timeout: float) -> None:
    """Raises AgentFailure (dns, tcp_refused, timeout) unless ``address:port`` accepts TCP."""
    ip = _resolve_address(address, port, timeout)
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return
    except ConnectionRefusedError:
        raise AgentFailure(
            Reason.TCP_REFUSED, f"{address} port {port} refused the connection"
        ) from None
    except TimeoutError:
        raise AgentFailure(
            Reason.TIMEOUT, f"{address} port {port}: no answer within {timeout:.0f} s"
        ) from None
    except OSError as exc:
        raise AgentFailure(Reason.TIMEOUT, f"{address} port {port}: {exc.strerror}") from None


def profile_fits(blueprints: Blueprints) -> list[ProfileFit]:
    profiles = blueprints.catalogues.refresh().device_profiles
    return [
        ProfileFit(
            name=p.name,
            nos=str(p.nos),
            hardware_model=p.hardware_model,
            models=tuple(p.models),
            os_versions=(p.os_versions.min, p.os_versions.max) if p.os_versions else (None, None),
        )
        for p in profiles.values()
    ]


def _read_device(
    spec: AgentSpec, password_box: list[str], pinned: str | None = None
) -> tuple[dict[str, Any], str, str | None]:
    """(facts, running config, host key trusted on first use) read through the agent's
    driver; ``pinned``: the host key recorded on the agent's device, verified unless the
    agent names its own."""
    options: dict[str, Any] = {**spec.options, "timeout": spec.timeout}
    if pinned and not options.get("host_key"):
        options["host_key"] = pinned
    try:
        credential = resolve(spec.credential_ref)
    except CredentialError as exc:
        raise AgentFailure(Reason(exc.reason), exc.message) from None
    password_box.append(credential.password)
    try:
        driver = build_driver(
            spec.platform,
            spec.address,
            options,
            credential,
        )
        driver.open()
    except Exception as exc:
        raise AgentFailure(classify(exc), f"{type(exc).__name__}: {exc}") from None
    try:
        facts = driver.get_facts()
        running = driver.get_config(retrieve="running")["running"]
        seen = first_host_key(driver)  # the driver forgets it on close
    except Exception as exc:
        raise AgentFailure(classify(exc), f"{type(exc).__name__}: {exc}") from None
    finally:
        driver.close()
    return facts, str(running), seen


def _recorded_host_key(graph: Graph, name: str) -> str | None:
    """The host key pinned on the device agent ``name`` registered before, if any."""
    serial = Agents(graph).get(name).get("serial")
    if not serial:
        return None
    try:
        return Devices(graph).get(str(serial)).host_key
    except NotFoundError:
        return None


def connect(graph: Graph, blueprints: Blueprints, name: str, queue: str) -> dict[str, Any]:
    """Connect agent ``name``; its outcome (never a secret), also recorded on the agent."""
    agents = Agents(graph)
    spec = agents.spec(name)
    secrets: list[str] = []
    try:
        if not spec.options.get("recording") and spec.options.get("transport") != "netns":
            probe(spec.address, spec.port, spec.timeout)
        facts, running, seen = _read_device(spec, secrets, _recorded_host_key(graph, name))
        serial = _register(graph, blueprints, spec, facts, running, queue, seen)
    except AgentFailure as failure:
        status = (
            AgentStatus.REFUSED if failure.reason in REFUSED_REASONS else AgentStatus.UNREACHABLE
        )
        detail = scrub(failure.detail, *secrets)[:MAX_DETAIL]
        agents.failed(name, status, failure.reason, detail)
        return {"agent": name, "status": str(status), "reason": str(failure.reason),
                "detail": detail, "serial": None}  # fmt: skip
    agents.registered(name, serial)
    return {"agent": name, "status": str(AgentStatus.REGISTERED), "reason": None,
            "detail": None, "serial": serial}  # fmt: skip


def _register(
    graph: Graph,
    blueprints: Blueprints,
    spec: AgentSpec,
    facts: dict[str, Any],
    running: str,
    queue: str,
    host_key: str | None = None,
) -> str:
    serial = str(facts.get("serial_number") or "").strip()
    if not serial:
        raise AgentFailure(Reason.ERROR, "the device reported no serial number (get_facts)")
    model = str(facts.get("model") or "")
    try:
        profile = match_profile(model, spec.nos, profile_fits(blueprints), spec.profile)
    except ValidationError as exc:
        raise AgentFailure(Reason.NO_PROFILE, str(exc)) from None
    try:
        Devices(graph).register(
            serial,
            hostname=str(facts.get("hostname") or spec.name),
            profile=profile.name,
            nos=profile.nos,
            driver=spec.platform,
            driver_args={"hostname": spec.address, **spec.options},
            pristine=running,
            worker_queue=queue,
            inventory=_inventory(facts, model, profile),
            credential=spec.credential_ref,
            host_key=host_key,
        )
    except FabricError as exc:
        raise AgentFailure(Reason.ERROR, str(exc)) from None
    return serial


def _inventory(facts: dict[str, Any], model: str, profile: ProfileFit) -> dict[str, Any]:
    version = str(facts.get("os_version") or "")
    low, high = profile.os_versions
    ranged = low is not None or high is not None
    return {
        "vendor": str(facts.get("vendor") or ""),
        "model": model,
        "os_version": version,
        "nos_ok": version_in_range(version, low, high) if ranged else None,
        "nos_allowed": f"{low or 'any'}..{high or 'any'}" if ranged else None,
    }


@app.task(
    name="fabricgraph.agent_connect",
    base=GraphTask,
    bind=True,
    soft_time_limit=200,  # probe + open + two getters, each bounded by the agent's timeout
    time_limit=240,
)
def agent_connect(self: GraphTask, name: str) -> dict[str, Any]:
    """Connect one off-box agent (by name only: no secret is ever a task argument)."""
    return connect(self.graph, self.blueprints, name, str(app.conf.task_default_queue))
