"""SSH host-key pinning: what the SSH transport accepts as the device's host key.

A pinned key is the public key as OpenSSH writes it (``ssh-ed25519 AAAA...``, an
optional comment after it is ignored); it is public, so it lives in the device's driver
arguments or its device record. Fingerprints are OpenSSH's ``SHA256:`` form (the
unpadded base64 of the SHA-256 of the key blob), as ``ssh-keygen -lf`` prints them.

``decide`` is the whole policy, without I/O:

- a pinned key that matches the offered key: connect;
- a pinned key that does not: refuse (before any credential is sent);
- no pinned key: trust on first use (``tofu``: connect, and the caller records the
  offered key as the device's pin) or refuse (``strict``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from enum import StrEnum


class HostKeyError(ValueError):
    """A pinned host key that is not ``<type> <base64>``."""


class HostKeyPolicy(StrEnum):
    TOFU = "tofu"  # no pinned key: accept the first key offered (the caller records it)
    STRICT = "strict"  # no pinned key: refuse

    @classmethod
    def of(cls, value: object) -> HostKeyPolicy:
        try:
            return cls(str(value or cls.TOFU).lower())
        except ValueError:
            allowed = ", ".join(p.value for p in cls)
            raise HostKeyError(
                f"host_key_policy {str(value)[:40]!r} is not one of: {allowed}"
            ) from None


@dataclass(frozen=True)
class PublicKey:
    key_type: str  # "ssh-ed25519"
    blob: bytes  # the key in SSH wire format (what the base64 encodes)

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        words = text.split()
        if len(words) < 2:
            raise HostKeyError(
                f"host key {text[:80]!r} is not '<type> <base64>' (e.g. 'ssh-ed25519 AAAA...')"
            )
        try:
            blob = base64.b64decode(words[1], validate=True)
        except (binascii.Error, ValueError):
            raise HostKeyError(f"host key of type {words[0]!r}: its key is not base64") from None
        return cls(words[0], blob)

    @property
    def openssh(self) -> str:
        """``<type> <base64>``: the form pinned and recorded."""
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a key blob: ``SHA256:<base64, no padding>``."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


class Verdict(StrEnum):
    ACCEPT = "accept"  # the pinned key was offered
    FIRST_USE = "first_use"  # nothing pinned, trust on first use: record the offered key
    MISMATCH = "mismatch"  # another key than the pinned one: refuse
    UNPINNED = "unpinned"  # nothing pinned and the policy is strict: refuse


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    host: str
    offered: PublicKey
    pinned: PublicKey | None

    @property
    def accepted(self) -> bool:
        return self.verdict in (Verdict.ACCEPT, Verdict.FIRST_USE)

    @property
    def reason(self) -> str:
        offered = f"{self.offered.key_type} {self.offered.fingerprint}"
        if self.verdict is Verdict.MISMATCH:
            assert self.pinned is not None
            return (
                f"SSH host key of {self.host} does not match its pinned key: expected "
                f"{self.pinned.key_type} {self.pinned.fingerprint}, offered {offered}; "
                "not connecting (a changed key is re-pinned by an operator)"
            )
        if self.verdict is Verdict.UNPINNED:
            return (
                f"SSH host key of {self.host} is not pinned (offered {offered}) and "
                "host_key_policy is strict; not connecting"
            )
        return f"SSH host key of {self.host}: {offered} ({self.verdict})"


def decide(
    host: str, offered: PublicKey, pinned: PublicKey | None, policy: HostKeyPolicy
) -> Decision:
    """Whether the transport connects to ``host`` offering ``offered``."""
    if pinned is not None:
        same = pinned.key_type == offered.key_type and pinned.blob == offered.blob
        return Decision(Verdict.ACCEPT if same else Verdict.MISMATCH, host, offered, pinned)
    if policy is HostKeyPolicy.TOFU:
        return Decision(Verdict.FIRST_USE, host, offered, None)
    return Decision(Verdict.UNPINNED, host, offered, None)
