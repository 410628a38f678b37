"""How the driver runs a command on the device: inside a lab namespace or over SSH.

Every device interaction of the driver is ``runner.run(argv, stdin)``; reading and
writing files are commands too (``cat``, ``tee``), so one small contract covers a
real switch reached by SSH and a lab switch reached with ``ip netns exec``.
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import paramiko

from napalm_linuxfrr.host_keys import Decision, HostKeyPolicy, PublicKey, decide
from napalm_linuxfrr.shell_session import SessionBroken, ShellSession


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandRunner(Protocol):
    """Runs one command on the device and returns its exit status and output."""

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult: ...

    def close(self) -> None: ...


class TransportError(Exception):
    """The device could not be reached (namespace missing, SSH refused...)."""


class NetnsTransport:
    """Runs commands with ``ip netns exec <netns>`` on this machine (needs root)."""

    def __init__(self, netns: str) -> None:
        self.netns = netns
        probe = self.run(["true"], timeout=10.0)
        if not probe.ok:
            raise TransportError(
                f"network namespace {netns!r} is not usable: {probe.stderr.strip()}"
            )

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        try:
            done = subprocess.run(
                ["ip", "netns", "exec", self.netns, *argv],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CommandResult(255, "", f"{argv[0]}: {exc}")
        return CommandResult(done.returncode, done.stdout, done.stderr)

    def close(self) -> None:
        """Nothing to release: each command is its own process."""


@dataclass(frozen=True)
class SshSettings:
    hostname: str
    username: str
    password: str
    port: int = 22
    key_filename: str | None = None
    proxy_command: str | None = None
    use_sudo: bool = False
    timeout: float = 30.0
    # every command through one remote ``sh`` (``shell_session``) instead of a channel each
    one_shell: bool = True
    # the device's pinned host key (``ssh-ed25519 AAAA...``; ``host_keys``), and what to do
    # without one
    host_key: str | None = None
    host_key_policy: HostKeyPolicy = HostKeyPolicy.TOFU


class HostKeyRefused(paramiko.SSHException):  # type: ignore[misc]
    """The device offered a host key the pin refuses (raised inside paramiko's connect,
    after the key exchange and before authentication: no credential is sent)."""


class PinnedHostKey(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
    """Paramiko's host-key check by ``host_keys.decide``: the client knows no keys, so
    paramiko asks this policy about every key offered; the decision is kept."""

    def __init__(self, host: str, pinned: PublicKey | None, policy: HostKeyPolicy) -> None:
        self.host = host
        self.pinned = pinned
        self.policy = policy
        self.decision: Decision | None = None

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        offered = PublicKey(key.get_name(), key.asbytes())
        self.decision = decide(self.host, offered, self.pinned, self.policy)
        if not self.decision.accepted:
            raise HostKeyRefused(self.decision.reason)


class SshTransport:
    """Runs commands over one SSH connection (paramiko) to a Linux/FRR box: by default all
    of them through one remote shell (a broken shell is replaced on the next command)."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self.session: ShellSession | None = None
        self.client = paramiko.SSHClient()  # no known_hosts loaded: the pin decides
        pinned = PublicKey.parse(settings.host_key) if settings.host_key else None
        self.host_key_check = PinnedHostKey(
            f"{settings.hostname}:{settings.port}", pinned, settings.host_key_policy
        )
        self.client.set_missing_host_key_policy(self.host_key_check)
        sock = paramiko.ProxyCommand(settings.proxy_command) if settings.proxy_command else None
        try:
            self.client.connect(
                settings.hostname,
                port=settings.port,
                username=settings.username,
                password=settings.password or None,
                key_filename=settings.key_filename,
                sock=sock,
                timeout=settings.timeout,
                banner_timeout=settings.timeout,
                auth_timeout=settings.timeout,
                look_for_keys=settings.key_filename is None and not settings.password,
                allow_agent=False,
            )
        except HostKeyRefused as exc:
            self.client.close()
            raise TransportError(str(exc)) from exc
        except (paramiko.SSHException, OSError) as exc:
            self.client.close()
            raise TransportError(
                f"SSH to {settings.hostname}:{settings.port} failed: {exc}"
            ) from exc

    @property
    def host_key_seen(self) -> str | None:
        """The host key accepted on first use (nothing was pinned): the caller records it
        as the device's pin. None when a pinned key was verified."""
        decision = self.host_key_check.decision
        if decision is None or decision.pinned is not None:
            return None
        return decision.offered.openssh

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        if self.settings.one_shell:
            return self._run_in_shell(argv, stdin, timeout)
        words = ["sudo", "-n", *argv] if self.settings.use_sudo else list(argv)
        try:
            chan_in, chan_out, chan_err = self.client.exec_command(
                shlex.join(words), timeout=timeout
            )
            if stdin is not None:
                chan_in.write(stdin)
            chan_in.channel.shutdown_write()
            out = chan_out.read().decode()
            err = chan_err.read().decode()
            status = chan_out.channel.recv_exit_status()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return CommandResult(255, "", f"ssh: {exc}")
        return CommandResult(status, out, err)

    def _run_in_shell(
        self, argv: Sequence[str], stdin: str | None, timeout: float
    ) -> CommandResult:
        try:
            if self.session is None:
                transport = self.client.get_transport()
                if transport is None or not transport.is_active():
                    return CommandResult(255, "", "ssh: the connection is closed")
                prefix = ["sudo", "-n"] if self.settings.use_sudo else []
                self.session = ShellSession(transport.open_session(timeout=timeout), prefix)
            status, out, err = self.session.run(argv, stdin, timeout)
        except (SessionBroken, paramiko.SSHException, OSError, EOFError) as exc:
            self._drop_session()
            return CommandResult(255, "", f"ssh: {exc}")
        return CommandResult(status, out, err)

    def _drop_session(self) -> None:
        if self.session is not None:
            with contextlib.suppress(paramiko.SSHException, OSError, EOFError):
                self.session.close()
        self.session = None

    def is_active(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    def close(self) -> None:
        self._drop_session()
        self.client.close()
