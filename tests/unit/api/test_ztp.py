"""The ZTP policy and a registration's checks (pure)."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from api import ztp
from blueprint_engine.errors import AuthError, ValidationError

GOOD = {"serial": "SN-1", "address": "10.253.0.20", "platform": "linuxfrr", "hostname": "leaf1"}


def test_lab_policy_makes_a_netns_agent_without_credential() -> None:
    spec = ztp.agent_spec(ztp.LAB_POLICY, ztp.parse_registration(GOOD))
    assert (spec.name, spec.address, spec.platform) == ("ztp-sn-1", "10.253.0.20", "linuxfrr")
    assert spec.options["netns"] == "fg-leaf1" and spec.credential_ref is None


def test_file_policy_names_a_credential_set() -> None:
    policy = ztp.parse_policy({"subnets": ["192.0.2.0/24"], "platforms": ["eos"],
                               "credential": "dc1", "options": {"timeout": 20}})  # fmt: skip
    reg = ztp.parse_registration({"serial": "JPE1", "address": "192.0.2.5", "platform": "eos"})
    spec = ztp.agent_spec(policy, reg)
    assert spec.credential == "dc1" and spec.options == {"timeout": 20}


@pytest.mark.parametrize(
    ("change", "word"),
    [({"serial": "a" * 65}, "serial"), ({"serial": "é1"}, "serial"),
     ({"address": "1.2.3"}, "address"), ({"platform": 7}, "platform"),
     ({"hostname": "a_b"}, "hostname"), ({"x": 1}, "unknown")],
)  # fmt: skip
def test_bad_registrations_name_the_field(change: dict[str, object], word: str) -> None:
    with pytest.raises(ValidationError, match=word):
        ztp.parse_registration({**GOOD, **change})


def test_policy_refuses_outside_its_bounds_and_when_off() -> None:
    reg = ztp.parse_registration({**GOOD, "address": "10.0.0.1"})
    with pytest.raises(AuthError, match="outside"):
        ztp.agent_spec(ztp.LAB_POLICY, reg)
    with pytest.raises(AuthError, match="off"):
        ztp.agent_spec(None, ztp.parse_registration(GOOD))
    assert ztp.load_policy({"FG_ZTP_POLICY": "off"}) is None
    assert ztp.load_policy({}) == ztp.LAB_POLICY


def test_base_url_takes_only_a_well_formed_host() -> None:
    assert ztp.base_url("10.253.0.1:8500", "http", "http://x") == "http://10.253.0.1:8500"
    assert ztp.base_url("a b;$(x)", "http", "http://fallback") == "http://fallback"


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0c2tleWZvcnRlc3Rpbmdvbmx5MDEyMzQ1Njc4 fg@dc1"


def test_a_policy_carries_the_agents_public_keys_of_a_grammar() -> None:
    base = {"subnets": ["192.0.2.0/24"], "platforms": ["linuxfrr"]}
    assert ztp.parse_policy({**base, "authorized_keys": [KEY]}).authorized_keys == (KEY,)
    for bad in (KEY + "'; reboot; '", KEY + "\nssh-rsa AAAA", "-----BEGIN OPENSSH PRIVATE KEY"):
        with pytest.raises(ValidationError, match=r"is not an SSH public key.*ssh-ed25519"):
            ztp.parse_policy({**base, "authorized_keys": [bad]})
    with pytest.raises(ValidationError, match="at most 16 keys"):
        ztp.parse_policy({**base, "authorized_keys": [KEY] * 17})


def test_the_script_installs_each_key_once_readable_by_root_only(tmp_path: Path) -> None:
    snippet = ztp.preinstall((KEY,))
    assert snippet in ztp.script("http://10.253.0.1:8000", (KEY,))
    assert ztp.preinstall(()) == "" and "authorized_keys" not in ztp.script("http://x")
    for _ in range(2):  # a switch re-running its script adds nothing twice
        subprocess.run(["sh", "-euc", f'root="{tmp_path}"\n{snippet}'], check=True, timeout=10)
    keys = tmp_path / "root" / ".ssh" / "authorized_keys"
    assert keys.read_text() == KEY + "\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
