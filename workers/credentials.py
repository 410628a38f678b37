"""Credential sets, resolved on the workers only, from secrets sources behind one interface.

An agent (and the device it registers) names a credential set; a worker resolves
the name each time it opens a device, so rotating a secret changes no graph and
needs no restart. Sources, tried in the order of ``FG_CREDENTIAL_SOURCES``
(default ``env,file``):

- ``env``: ``FG_CREDENTIAL_<NAME>_USERNAME`` and ``FG_CREDENTIAL_<NAME>_PASSWORD``
  (the name upper-cased, ``-`` and ``.`` as ``_``), optionally ``_KEY_FILE``;
- ``file``: ``<FG_CREDENTIALS_DIR>/<name>.yaml`` (default ``$FG_STATE_DIR/credentials``)
  holding ``username:`` and ``password:`` and/or ``key_file:``; refused when group or
  others may read it or when it belongs to neither root nor the worker's user.

``key_file`` is the absolute path of an SSH private key on the worker (the key itself
stays in that file, held to the same rule), handed to the driver for key authentication.

A secrets manager is one more ``CredentialSource``. No set named: the worker's
``FG_DEVICE_USERNAME``/``FG_DEVICE_PASSWORD`` (the lab's netns transport needs none).
Secrets never leave this module but into a driver's constructor; ``scrub`` removes
them from any text that leaves a worker (errors, results).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from blueprint_engine.errors import FabricError


class CredentialError(FabricError):
    """A credential set cannot be resolved (missing, or its file is unsafe); ``reason``
    is the agent's reason code."""

    code = "credential_error"

    def __init__(self, message: str, *, reason: str, allowed: str) -> None:
        self.reason = reason
        super().__init__(message, allowed=allowed)


@dataclass(frozen=True)
class Credential:
    username: str
    password: str = field(repr=False)
    key_file: str | None = None  # an SSH private key's path on the worker

    def __repr__(self) -> str:  # never the password, whatever prints it
        key = f", key_file={self.key_file!r}" if self.key_file else ""
        return f"Credential(username={self.username!r}, password=<hidden>{key})"


def _unsafe(path: Path, what: str) -> CredentialError | None:
    """A CredentialError when ``path`` may be read by others or has a foreign owner."""
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 or info.st_uid not in (0, os.geteuid()):
        return CredentialError(
            f"{what} {path} may be read by others (mode {mode:04o}, "
            f"owner uid {info.st_uid}); it is not used",
            reason="credential_unsafe",
            allowed="a file of mode 0600 or 0400 owned by root or the worker's user",
        )
    return None


def checked_key_file(value: object) -> str | None:
    """``key_file`` of a credential set: an absolute path to a private file, or None."""
    if value in (None, ""):
        return None
    path = Path(str(value))
    if not path.is_absolute() or not path.is_file():
        raise CredentialError(
            f"SSH key file {str(value)[:200]!r} is not an absolute path to a file",
            reason="credential_missing",
            allowed="key_file: an absolute path on the worker (mode 0600)",
        )
    problem = _unsafe(path, "SSH key file")
    if problem is not None:
        raise problem
    return str(path)


class CredentialSource(Protocol):
    name: str

    def lookup(self, credential: str) -> Credential | None:
        """The credential set, or None when this source does not hold it."""


def _env_key(credential: str) -> str:
    return "FG_CREDENTIAL_" + re.sub(r"[^A-Z0-9]", "_", credential.upper())


class EnvSource:
    name = "env"

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ = environ

    def lookup(self, credential: str) -> Credential | None:
        env = self.environ if self.environ is not None else os.environ
        key = _env_key(credential)
        if not any(f"{key}_{part}" in env for part in ("PASSWORD", "USERNAME", "KEY_FILE")):
            return None
        return Credential(
            env.get(f"{key}_USERNAME", ""),
            env.get(f"{key}_PASSWORD", ""),
            checked_key_file(env.get(f"{key}_KEY_FILE")),
        )


class FileSource:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def lookup(self, credential: str) -> Credential | None:
        path = self.directory / f"{credential}.yaml"
        try:
            problem = _unsafe(path, "credential file")
        except FileNotFoundError:
            return None
        if problem is not None:
            raise problem
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, yaml.YAMLError):
            doc = None  # the parser's message may quote the file: never repeated
        if not isinstance(doc, dict) or not isinstance(doc.get("password", ""), str):
            raise CredentialError(
                f"credential file {path} does not hold username and password",
                reason="credential_missing",
                allowed="YAML: username: ..., password: ...",
            )
        return Credential(
            str(doc.get("username", "")),
            str(doc.get("password", "")),
            checked_key_file(doc.get("key_file")),
        )


def default_sources() -> list[CredentialSource]:
    state = os.environ.get("FG_STATE_DIR", ".state")
    directory = Path(os.environ.get("FG_CREDENTIALS_DIR", os.path.join(state, "credentials")))
    known: dict[str, CredentialSource] = {"env": EnvSource(), "file": FileSource(directory)}
    order = os.environ.get("FG_CREDENTIAL_SOURCES", "env,file").split(",")
    return [known[n.strip()] for n in order if n.strip() in known]


def resolve(
    credential: str | None, sources: Iterable[CredentialSource] | None = None
) -> Credential:
    """The credential set named ``credential`` from the first source that holds it."""
    if credential is None:
        return Credential(
            os.environ.get("FG_DEVICE_USERNAME", ""), os.environ.get("FG_DEVICE_PASSWORD", "")
        )
    tried = list(default_sources() if sources is None else sources)
    for source in tried:
        found = source.lookup(credential)
        if found is not None:
            return found
    raise CredentialError(
        f"no secrets source holds credential set {credential!r} "
        f"(tried: {', '.join(s.name for s in tried) or 'none'})",
        reason="credential_missing",
        allowed=f"{_env_key(credential)}_USERNAME/_PASSWORD in the worker's environment, "
        f"or {credential}.yaml (mode 0600) in FG_CREDENTIALS_DIR",
    )


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every non-empty secret replaced (errors leaving a worker)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<hidden>")
    return text
