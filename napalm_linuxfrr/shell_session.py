"""Many commands through one remote shell: what a push over SSH costs in process starts.

An SSH channel per command means the SSH server starts a session and the user's shell for
each one; on a slow box (the tenant lab's User-Mode Linux kernel, where every process start
is expensive) that is most of a push. ``ShellSession`` opens one channel running ``sh``
and feeds it each command as one line of shell, framed so that the command's exit status,
stdout and stderr come back exactly:

    <argv, shell-quoted> </dev/null                  (or a here-document with the stdin)
    printf '\\n<marker> %d\\n' $?; printf '<marker>\\n' >&2

The marker is random per session; nothing but the shell's own builtins runs besides the
command itself. Pure framing functions here; the channel is paramiko's.
"""

from __future__ import annotations

import contextlib
import secrets
import select
import shlex
import time
from collections.abc import Sequence
from typing import Any

READ_CHUNK = 65536
MAX_OUTPUT = 64 * 1024 * 1024  # a command's stdout or stderr beyond this ends the session


def new_marker() -> str:
    return f"FGEND{secrets.token_hex(8)}"


def script(argv: Sequence[str], stdin: str | None, marker: str) -> str:
    """The shell text that runs ``argv`` once with ``stdin`` and reports it."""
    command = shlex.join(argv)
    if stdin is None:
        line = f"{command} </dev/null\n"
    elif stdin.endswith("\n") and f"\n{marker}\n" not in f"\n{stdin}":
        line = f"{command} <<'{marker}'\n{stdin}{marker}\n"
    else:  # no trailing newline: a here-document would add one
        line = f"printf '%s' {shlex.quote(stdin)} | {command}\n"
    return line + f"printf '\\n{marker} %d\\n' $?; printf '{marker}\\n' >&2\n"


def split_stdout(buffer: str, marker: str) -> tuple[str, int] | None:
    """(stdout, status) once ``buffer`` holds the end line, else None."""
    tag = f"\n{marker} "
    at = buffer.find(tag)
    if at < 0:
        return None
    end = buffer.find("\n", at + len(tag))
    if end < 0:
        return None
    return buffer[:at], int(buffer[at + len(tag) : end])


def split_stderr(buffer: str, marker: str) -> str | None:
    tag = f"{marker}\n"
    if buffer.endswith(tag):
        return buffer[: -len(tag)]
    return None


class SessionBroken(Exception):
    """The shell died, timed out or framed nothing readable: open a new one."""


class ShellSession:
    """One ``sh`` on a paramiko channel; ``run`` is one command at a time."""

    def __init__(self, channel: Any, prefix: Sequence[str] = ()) -> None:
        self.channel = channel
        self.prefix = list(prefix)
        self.marker = new_marker()
        self.channel.exec_command("exec sh")

    def run(self, argv: Sequence[str], stdin: str | None, timeout: float) -> tuple[int, str, str]:
        """(exit status, stdout, stderr); SessionBroken when the shell is unusable."""
        self.channel.sendall(script([*self.prefix, *argv], stdin, self.marker).encode())
        deadline = time.monotonic() + timeout
        out, err = bytearray(), bytearray()
        done_out: tuple[str, int] | None = None
        done_err: str | None = None
        while done_out is None or done_err is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionBroken(f"{argv[0]}: no answer within {timeout:.0f} s")
            ended = self.channel.closed or self.channel.exit_status_ready()
            if ended and not (self.channel.recv_ready() or self.channel.recv_stderr_ready()):
                raise SessionBroken("the remote shell exited")
            got = False
            if done_out is None and self.channel.recv_ready():
                out += self.channel.recv(READ_CHUNK)
                done_out = split_stdout(out.decode(errors="replace"), self.marker)
                got = True
            if done_err is None and self.channel.recv_stderr_ready():
                err += self.channel.recv_stderr(READ_CHUNK)
                done_err = split_stderr(err.decode(errors="replace"), self.marker)
                got = True
            if len(out) > MAX_OUTPUT or len(err) > MAX_OUTPUT:
                raise SessionBroken(f"{argv[0]}: more than {MAX_OUTPUT} bytes of output")
            if not got:  # the channel's pipe wakes on stdout and stderr data alike
                select.select([self.channel], [], [], min(left, 1.0))
        stdout, status = done_out
        return status, stdout, done_err

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.channel.sendall(b"exit 0\n")
        self.channel.close()
