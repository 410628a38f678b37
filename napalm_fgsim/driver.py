"""``FgsimDriver``: NAPALM driver whose device is a switch of the device simulator.

hostname        the simulator's address (127.0.0.1)
optional_args:
  port          the simulator's TCP port (default 7990)
  switch        the simulated switch, "<blueprint>/<system>"
  timeout_s     seconds to wait for the connection and for each answer (default 10)
"""

from __future__ import annotations

import contextlib
import json
import socket
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import (
    CommandErrorException,
    ConnectionClosedException,
    ConnectionException,
    ReplaceConfigException,
)

DEFAULT_PORT = 7990


class FgsimDriver(NetworkDriver):  # type: ignore[misc]
    platform = "fgsim"

    def __init__(
        self,
        hostname: str,
        username: str = "",
        password: str = "",
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname = hostname
        self.username = username
        self.password = password
        args = dict(optional_args or {})
        self.port = int(args.get("port", DEFAULT_PORT))
        self.switch = str(args.get("switch", hostname))
        self.timeout_s = float(args.get("timeout_s", min(timeout, 10)))
        self._sock: socket.socket | None = None
        self._file: Any = None

    def open(self) -> None:
        try:
            self._sock = socket.create_connection((self.hostname, self.port), self.timeout_s)
        except OSError as exc:
            raise ConnectionException(
                f"simulator at {self.hostname}:{self.port} unreachable: {exc}"
            ) from exc
        self._sock.settimeout(self.timeout_s)
        self._file = self._sock.makefile("rwb")
        try:
            self._call({"op": "open", "switch": self.switch})
        except CommandErrorException as exc:
            self.close()
            raise ConnectionException(str(exc)) from exc

    def close(self) -> None:
        for part in (self._file, self._sock):
            if part is not None:
                with contextlib.suppress(OSError):
                    part.close()
        self._file = self._sock = None

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": self._sock is not None}

    def _call(self, request: dict[str, Any]) -> Any:
        if self._file is None:
            raise ConnectionClosedException(f"{self.switch}: the driver is not open")
        try:
            self._file.write(json.dumps(request).encode() + b"\n")
            self._file.flush()
            line = self._file.readline()
        except OSError as exc:
            raise ConnectionClosedException(f"{self.switch}: {exc}") from exc
        if not line:
            raise ConnectionClosedException(f"{self.switch}: the simulator closed the connection")
        answer = json.loads(line)
        if "error" in answer:
            raise CommandErrorException(f"{self.switch}: {answer['error']}")
        return answer["ok"]

    def _get(self, getter: str, **args: Any) -> Any:
        return self._call({"op": "get", "getter": getter, "args": args})

    def get_facts(self) -> Any:
        return self._get("get_facts")

    def get_interfaces(self) -> Any:
        return self._get("get_interfaces")

    def get_lldp_neighbors_detail(self, interface: str = "") -> Any:
        found = self._get("get_lldp_neighbors_detail")
        return {interface: found.get(interface, [])} if interface else found

    def get_bgp_neighbors(self) -> Any:
        return self._get("get_bgp_neighbors")

    def get_interfaces_counters(self) -> Any:
        return self._get("get_interfaces_counters")

    def get_optics(self) -> Any:
        return self._get("get_optics")

    def get_route_to(self, destination: str = "", protocol: str = "", longer: bool = False) -> Any:
        return self._get("get_route_to", destination=destination)

    def get_config(
        self,
        retrieve: str = "all",
        full: bool = False,
        sanitized: bool = False,
        format: str = "text",
    ) -> Any:
        return self._get("get_config", retrieve=retrieve)

    def load_replace_candidate(
        self, filename: str | None = None, config: str | None = None
    ) -> None:
        if config is None:
            if filename is None:
                raise ReplaceConfigException("load_replace_candidate needs config or filename")
            with open(filename) as fh:
                config = fh.read()
        self._call({"op": "load_replace", "config": config})

    def compare_config(self) -> str:
        return str(self._call({"op": "compare"}))

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self._call({"op": "commit"})

    def discard_config(self) -> None:
        self._call({"op": "discard"})
