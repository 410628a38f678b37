"""SSH host-key pinning against a real sshd: the linuxfrr transport connects to the
pinned key, refuses another before sending any credential, and trusts on first use.

The sshd is this machine's ``/usr/sbin/sshd`` on 127.0.0.1 (a free port), with a
throwaway host key and authorized key in a temporary directory; it runs in a private
mount namespace whose own ``/run`` holds its privilege separation directory, so nothing
of it outlives the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from napalm_linuxfrr.host_keys import HostKeyPolicy, PublicKey
from napalm_linuxfrr.transport import SshSettings, SshTransport, TransportError

pytestmark = pytest.mark.integration

SSHD = "/usr/sbin/sshd"
START_WAIT_S = 15.0
LOG_WAIT_S = 15.0


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "a private mount namespace for sshd needs root"
    if not os.path.exists(SSHD) or shutil.which("unshare") is None:
        return f"needs {SSHD} and unshare"
    return None


@dataclass(frozen=True)
class Sshd:
    port: int
    host_key: str  # "ssh-ed25519 AAAA..."
    client_key: str
    log: Path

    def settings(self, host_key: str | None, policy: HostKeyPolicy) -> SshSettings:
        return SshSettings(
            "127.0.0.1", "root", "", port=self.port, key_filename=self.client_key,
            timeout=10.0, host_key=host_key, host_key_policy=policy,
        )  # fmt: skip

    def count(self, text: str) -> int:
        return self.log.read_text(errors="replace").count(text)

    def logged(self, text: str, times: int) -> bool:
        """Waits (bounded) until ``text`` was logged ``times`` times."""
        deadline = time.monotonic() + LOG_WAIT_S
        while self.count(text) < times and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.count(text) >= times


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(path)],
        check=True, timeout=30, capture_output=True,
    )  # fmt: skip
    return " ".join(Path(f"{path}.pub").read_text().split()[:2])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    host_key = _keygen(tmp_path / "host")
    client_pub = _keygen(tmp_path / "client")
    (tmp_path / "authorized_keys").write_text(client_pub + "\n")
    port = _free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host'}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}\nPidFile {tmp_path / 'pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nLogLevel DEBUG1\n"
    )
    log = tmp_path / "sshd.log"
    script = (
        "mount -t tmpfs fg-test-sshd /run && mkdir -m 755 /run/sshd && "
        f"exec {SSHD} -D -e -f {config}"
    )
    with log.open("w") as out:
        process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_WAIT_S
        while not _listening(port) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _listening(port):
            pytest.fail(f"sshd did not listen on port {port}: {log.read_text()[-2000:]}")
        yield Sshd(port, host_key, str(tmp_path / "client"), log)
    finally:
        os.killpg(process.pid, 9)
        process.wait(timeout=30)


def test_the_pinned_host_key_connects(sshd: Sshd) -> None:
    transport = SshTransport(sshd.settings(sshd.host_key, HostKeyPolicy.STRICT))
    try:
        assert transport.run(["echo", "pinned"]).stdout.strip() == "pinned"
        assert transport.host_key_seen is None  # verified, nothing to record
    finally:
        transport.close()


def test_another_host_key_is_refused_before_any_credential_is_sent(
    sshd: Sshd, tmp_path: Path
) -> None:
    impostor = _keygen(tmp_path / "impostor")
    with pytest.raises(TransportError) as refused:
        SshTransport(sshd.settings(impostor, HostKeyPolicy.TOFU))
    message = str(refused.value)
    assert f"127.0.0.1:{sshd.port}" in message
    assert f"expected ssh-ed25519 {PublicKey.parse(impostor).fingerprint}" in message
    assert f"offered ssh-ed25519 {PublicKey.parse(sshd.host_key).fingerprint}" in message
    # a connection with the right pin afterwards: once sshd logged its login, whatever the
    # refused connection sent was logged before that connection began; no authentication
    transport = SshTransport(sshd.settings(sshd.host_key, HostKeyPolicy.STRICT))
    transport.close()
    assert sshd.logged("Accepted publickey for root", 1)
    before_last = sshd.log.read_text(errors="replace").rsplit("Connection from", 1)[0]
    assert "Connection from" in before_last  # the refused connection
    assert "userauth-request" not in before_last


def test_nothing_pinned_trusts_the_first_key_and_names_it(sshd: Sshd) -> None:
    transport = SshTransport(sshd.settings(None, HostKeyPolicy.TOFU))
    try:
        assert transport.run(["true"]).ok
        assert transport.host_key_seen == sshd.host_key
    finally:
        transport.close()


def test_nothing_pinned_under_the_strict_policy_is_refused(sshd: Sshd) -> None:
    with pytest.raises(TransportError, match=r"is not pinned .* strict"):
        SshTransport(sshd.settings(None, HostKeyPolicy.STRICT))
    assert sshd.count("userauth-request") == 0
