"""Config deviation: the running config compared with the golden config (pure).

Golden is the running config collected right after the last successful deploy.
Any later difference is a deviation. ``accept changes`` records the hash of the
running config it accepted: the deviation stays suppressed while the device
keeps exactly that config, and opens again on any further change. A failed
deploy unsets golden, which is itself a deviation (nothing is known to be good).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

from blueprint_engine.devices.lifecycle import DeviationStatus


def normalise(text: str) -> str:
    """Config text compared line by line, ignoring trailing blanks and empty lines."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def config_hash(text: str) -> str:
    """A short stable fingerprint of a config, insensitive to blank lines."""
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Verdict:
    status: DeviationStatus
    reason: str
    running_hash: str


def evaluate(
    golden: str | None, running: str, accepted_hash: str | None, *, deploy_failed: bool
) -> Verdict:
    """The deviation status of a device whose running config is ``running``.

    Without golden config and without a failed deploy there is nothing to deviate
    from: nothing was deployed yet, or a deployment was interrupted (a killed
    worker) and the reconciler will redo it.
    """
    running_hash = config_hash(running)
    if golden is None and not deploy_failed:
        why = "no golden config yet (nothing deployed, or a deployment is being redone)"
        return Verdict(DeviationStatus.NONE, why, running_hash)
    if golden is not None and config_hash(golden) == running_hash:
        return Verdict(DeviationStatus.NONE, "running config equals golden", running_hash)
    why = (
        "golden config unset: the last deploy failed"
        if golden is None
        else "running config differs from golden"
    )
    if accepted_hash == running_hash:
        return Verdict(DeviationStatus.ACCEPTED, f"{why}; changes accepted", running_hash)
    return Verdict(DeviationStatus.OPEN, why, running_hash)


def diff(golden: str | None, running: str) -> list[str]:
    """Unified diff golden → running, for the evidence shown to operators."""
    return list(
        difflib.unified_diff(
            normalise(golden or "").splitlines(),
            normalise(running).splitlines(),
            "golden",
            "running",
            lineterm="",
        )
    )
