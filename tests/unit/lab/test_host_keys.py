"""SSH host-key pinning of the linuxfrr driver: fingerprints and the policy's decisions."""

from __future__ import annotations

import pytest

from blueprint_engine.devices.agents import Reason
from blueprint_engine.devices.lifecycle import DeviceRecord
from blueprint_engine.devices.registry import Device
from napalm_linuxfrr.host_keys import (
    HostKeyError,
    HostKeyPolicy,
    PublicKey,
    Verdict,
    decide,
    fingerprint,
)
from workers.agents import classify
from workers.drivers import pinned_args

# generated with ssh-keygen; `ssh-keygen -lf` prints the fingerprint below
LAB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOffSIdTWIJgiOr1w1+JGMZFpUFy0YSQAUPEIUkTycMF"
LAB_FINGERPRINT = "SHA256:qLATWSWnA3pAvE0mq+ydeGKal6FuR/MkTiq+9EiB8uY"
OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7nkG60cqMoRM3E2l3PY2dHSgh6yqYZ3Ld6VG7RM9Jv"


def test_the_fingerprint_is_openssh_sha256_form() -> None:
    assert PublicKey.parse(LAB_KEY).fingerprint == LAB_FINGERPRINT
    assert fingerprint(b"") == "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"


def test_a_pinned_key_is_read_with_or_without_its_comment() -> None:
    key = PublicKey.parse(f"{LAB_KEY} fabricgraph-tenant-lab")
    assert key.key_type == "ssh-ed25519"
    assert key.openssh == LAB_KEY


@pytest.mark.parametrize("text", ["", "ssh-ed25519", "ssh-ed25519 not*base64!"])
def test_a_malformed_pin_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(HostKeyError, match=r"ssh-ed25519|base64"):
        PublicKey.parse(text)


def test_the_pinned_key_offered_is_accepted() -> None:
    offered = PublicKey.parse(LAB_KEY)
    decision = decide("leaf1:22", offered, PublicKey.parse(LAB_KEY), HostKeyPolicy.STRICT)
    assert (decision.verdict, decision.accepted) == (Verdict.ACCEPT, True)


def test_another_key_than_the_pinned_one_is_refused_naming_both_fingerprints() -> None:
    offered = PublicKey.parse(OTHER_KEY)
    decision = decide("172.31.251.11:22", offered, PublicKey.parse(LAB_KEY), HostKeyPolicy.TOFU)
    assert (decision.verdict, decision.accepted) == (Verdict.MISMATCH, False)
    assert "172.31.251.11:22" in decision.reason
    assert f"expected ssh-ed25519 {LAB_FINGERPRINT}" in decision.reason
    assert f"offered ssh-ed25519 {offered.fingerprint}" in decision.reason


def test_a_key_of_another_type_with_the_same_bytes_is_a_mismatch() -> None:
    pinned = PublicKey.parse(LAB_KEY)
    offered = PublicKey("ssh-rsa", pinned.blob)
    assert decide("h", offered, pinned, HostKeyPolicy.TOFU).verdict is Verdict.MISMATCH


def test_nothing_pinned_trusts_the_first_key_unless_strict() -> None:
    offered = PublicKey.parse(LAB_KEY)
    assert decide("h", offered, None, HostKeyPolicy.TOFU).verdict is Verdict.FIRST_USE
    strict = decide("h", offered, None, HostKeyPolicy.STRICT)
    assert (strict.verdict, strict.accepted) == (Verdict.UNPINNED, False)
    assert LAB_FINGERPRINT in strict.reason


def test_the_policy_option_names_the_allowed_values() -> None:
    assert HostKeyPolicy.of(None) is HostKeyPolicy.TOFU
    assert HostKeyPolicy.of("STRICT") is HostKeyPolicy.STRICT
    with pytest.raises(HostKeyError, match="tofu, strict"):
        HostKeyPolicy.of("yes")


def _device(driver_args: dict[str, str], host_key: str | None) -> Device:
    record = DeviceRecord(device_id="S1", device_profile="p")
    return Device(record, "leaf1", "linuxfrr", "linuxfrr", driver_args, None, None, host_key)


def test_the_agents_pin_comes_before_the_key_recorded_on_first_use() -> None:
    assert pinned_args(_device({"host_key": LAB_KEY}, OTHER_KEY))["host_key"] == LAB_KEY
    assert pinned_args(_device({}, OTHER_KEY))["host_key"] == OTHER_KEY
    assert "host_key" not in pinned_args(_device({}, None))


def test_a_refused_host_key_is_the_agents_host_key_mismatch_reason() -> None:
    message = decide(
        "h", PublicKey.parse(OTHER_KEY), PublicKey.parse(LAB_KEY), HostKeyPolicy.TOFU
    ).reason
    assert classify(RuntimeError(message)) is Reason.HOST_KEY_MISMATCH
