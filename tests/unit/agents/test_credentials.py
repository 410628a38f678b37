"""Credential sets: environment and root-only files behind one interface; errors and
reasons never carry the secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from blueprint_engine.devices.agents import Reason
from workers.agents import classify
from workers.credentials import Credential, CredentialError, EnvSource, FileSource, resolve, scrub

SECRET = "Canary-pw-6f1d"


def test_env_source_by_name() -> None:
    env = {"FG_CREDENTIAL_DC1_LEAFS_USERNAME": "admin", "FG_CREDENTIAL_DC1_LEAFS_PASSWORD": SECRET}
    found = resolve("dc1-leafs", [EnvSource(env)])
    assert (found.username, found.password) == ("admin", SECRET)
    assert SECRET not in repr(found) and SECRET not in str(found)


def test_file_source_root_only(tmp_path: Path) -> None:
    path = tmp_path / "dc1.yaml"
    path.write_text(f"username: admin\npassword: {SECRET}\n")
    path.chmod(0o600)
    assert resolve("dc1", [FileSource(tmp_path)]).password == SECRET
    path.chmod(0o644)
    with pytest.raises(CredentialError) as err:
        resolve("dc1", [FileSource(tmp_path)])
    assert err.value.reason == "credential_unsafe" and "0644" in str(err.value)
    assert SECRET not in str(err.value)


def test_broken_file_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "dc1.yaml"
    path.write_text(f"password: [{SECRET}\n")
    path.chmod(0o600)
    with pytest.raises(CredentialError) as err:
        resolve("dc1", [FileSource(tmp_path)])
    assert SECRET not in str(err.value) and err.value.reason == "credential_missing"


def test_missing_set_names_the_places_looked() -> None:
    with pytest.raises(CredentialError) as err:
        resolve("nowhere", [EnvSource({})])
    assert "FG_CREDENTIAL_NOWHERE_USERNAME" in str(err.value) and "tried: env" in str(err.value)


def test_rotation_is_read_each_time(tmp_path: Path) -> None:
    path = tmp_path / "dc1.yaml"
    path.write_text("username: a\npassword: one\n")
    path.chmod(0o600)
    source = FileSource(tmp_path)
    assert resolve("dc1", [source]).password == "one"
    path.write_text("username: a\npassword: two\n")
    assert resolve("dc1", [source]).password == "two"


def test_scrub() -> None:
    assert scrub(f"auth failed for admin/{SECRET}", SECRET, "") == "auth failed for admin/<hidden>"
    assert repr(Credential("u", SECRET)) == "Credential(username='u', password=<hidden>)"


class NetmikoAuthenticationException(Exception):
    pass


class ConnectionException(Exception):
    pass


def test_reasons_are_distinct() -> None:
    assert classify(socket.gaierror(-2, "Name or service not known")) is Reason.DNS
    assert classify(ConnectionRefusedError(111, "refused")) is Reason.TCP_REFUSED
    assert classify(TimeoutError("timed out")) is Reason.TIMEOUT
    wrapped = ConnectionException("cannot connect")
    wrapped.__cause__ = NetmikoAuthenticationException("Authentication to device failed.")
    assert classify(wrapped) is Reason.AUTH_FAILED
    assert classify(ValueError("odd")) is Reason.ERROR


def test_a_set_may_name_an_ssh_key_file_held_to_the_same_rule(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    key.chmod(0o600)
    path = tmp_path / "lab.yaml"
    path.write_text(f"username: root\nkey_file: {key}\n")
    path.chmod(0o600)
    found = resolve("lab", [FileSource(tmp_path)])
    assert (found.username, found.password, found.key_file) == ("root", "", str(key))
    assert resolve("lab", [EnvSource({"FG_CREDENTIAL_LAB_KEY_FILE": str(key)})]).key_file == str(
        key
    )
    key.chmod(0o644)
    with pytest.raises(CredentialError) as err:
        resolve("lab", [FileSource(tmp_path)])
    assert err.value.reason == "credential_unsafe"
    path.write_text("username: root\nkey_file: relative/key\n")
    with pytest.raises(CredentialError) as err:
        resolve("lab", [FileSource(tmp_path)])
    assert err.value.reason == "credential_missing"
