"""The one-shell framing of the linuxfrr driver's SSH transport, against a real ``sh``.

A local ``sh`` process stands in for the remote shell's channel: the same bytes go in and
come back, so exit status, stdout and stderr must come back exactly, stdin included.
"""

from __future__ import annotations

import select
import subprocess
from typing import Any

import pytest

from napalm_linuxfrr.shell_session import SessionBroken, ShellSession, script, split_stdout


class LocalChannel:
    """The part of paramiko's Channel ``ShellSession`` uses, over a local process."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.closed = False

    def exec_command(self, command: str) -> None:
        self.proc = subprocess.Popen(
            ["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def _proc(self) -> subprocess.Popen[bytes]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        return self.proc

    def sendall(self, data: bytes) -> None:
        stdin = self._proc().stdin
        assert stdin is not None
        stdin.write(data)
        stdin.flush()

    def _ready(self, stream: Any) -> bool:
        return bool(select.select([stream], [], [], 0)[0])

    def recv_ready(self) -> bool:
        return self._ready(self._proc().stdout)

    def recv_stderr_ready(self) -> bool:
        return self._ready(self._proc().stderr)

    def recv(self, size: int) -> bytes:
        return bytes(self._proc().stdout.read1(size))  # type: ignore[union-attr]

    def recv_stderr(self, size: int) -> bytes:
        return bytes(self._proc().stderr.read1(size))  # type: ignore[union-attr]

    def exit_status_ready(self) -> bool:
        return self._proc().poll() is not None

    def fileno(self) -> int:
        return self._proc().stdout.fileno()  # type: ignore[union-attr]

    def close(self) -> None:
        self.closed = True
        proc = self._proc()
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def session() -> Any:
    shell = ShellSession(LocalChannel())
    yield shell
    shell.close()


def test_status_stdout_and_stderr_come_back_exactly(session: ShellSession) -> None:
    assert session.run(["sh", "-c", "printf 'a\\n\\nb'; echo err >&2; exit 3"], None, 10) == (
        3,
        "a\n\nb",
        "err\n",
    )
    assert session.run(["true"], None, 10) == (0, "", "")


def test_stdin_is_passed_byte_for_byte_with_or_without_a_final_newline(
    session: ShellSession,
) -> None:
    for text in ("line 1\nline 2\n", "no newline", 'it\'s $HOME `x` \\ "q"\n', ""):
        assert session.run(["cat"], text, 10) == (0, text, "")


def test_a_command_without_stdin_does_not_read_the_shells_input(session: ShellSession) -> None:
    assert session.run(["cat"], None, 10) == (0, "", "")
    assert session.run(["echo", "still here"], None, 10) == (0, "still here\n", "")


def test_quoting_keeps_every_word_one_argument(session: ShellSession) -> None:
    words = ["a b", "$(id)", "'", ";", "*"]
    status, out, _ = session.run(["printf", "%s|", *words], None, 10)
    assert (status, out) == (0, "|".join(words) + "|")


def test_a_command_that_outlives_its_timeout_breaks_the_session(session: ShellSession) -> None:
    with pytest.raises(SessionBroken):
        session.run(["sleep", "5"], None, 0.3)


def test_the_end_line_is_found_only_once_complete() -> None:
    marker = "FGENDx"
    assert split_stdout("out\n\nFGENDx 0", marker) is None
    assert split_stdout("out\n\nFGENDx 12\n", marker) == ("out\n", 12)
    assert script(["cat"], "x\n", marker).startswith("cat <<'FGENDx'\nx\nFGENDx\n")
