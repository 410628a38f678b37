"""A device's pinned SSH host key as operators read it: OpenSSH's SHA256 fingerprint.

The key itself (``ssh-ed25519 AAAA...``) is public and lives on the device record: the
driver pins the first key it was offered (trust on first use) unless the device's agent
names one (its ``host_key`` option). The drivers verify it; this module only shows it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib


def fingerprint(host_key: str | None) -> str | None:
    """``ssh-ed25519 SHA256:...`` (as ``ssh-keygen -lf`` prints it), or None."""
    words = (host_key or "").split()
    if len(words) < 2:
        return None
    try:
        blob = base64.b64decode(words[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"{words[0]} SHA256:{digest}"
