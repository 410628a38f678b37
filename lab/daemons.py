"""Start and stop the per-namespace daemons: FRR (zebra, bgpd, staticd under watchfrr),
lldpd, sshd.

FRR runs as real deployments run it: ``watchfrr`` supervises the routing daemons
and restarts one that crashes (``/etc/frr/daemons`` says which are enabled). Each
switch gets a small control script (``<run>/frr-daemon.sh start|stop|restart NAME``)
that watchfrr calls, since its commands take the daemon's name only once.
"""

from __future__ import annotations

import os
import shlex
import signal
import time
from collections.abc import Sequence

from lab import shell
from lab.errors import LabCommandError
from napalm_linuxfrr.layout import DeviceLayout

FRR_DAEMONS = ("zebra", "bgpd", "staticd")
FRR_BIN = "/usr/lib/frr"
SSHD_PORT = 22
WATCHFRR_MIN_RESTART_S = 5
WATCHFRR_MAX_RESTART_S = 30
# watchfrr's restart of a crashed daemon starts it this much later: a crash stays
# observable for a few collection rounds (2 s each), as on a switch whose bgpd takes
# that long to come back with its tables (it must stay well below watchfrr's restart
# timeout, 20 s by default, after which watchfrr kills the restart command)
WATCHFRR_RESTART_DELAY_S = 10


def factory_frr_conf(hostname: str) -> str:
    return (
        "frr defaults datacenter\n"
        f"hostname {hostname}\n"
        "log syslog informational\n"
        "service integrated-vtysh-config\n"
        "!\n"
    )


def factory_lldpd_conf(hostname: str) -> str:
    return (
        f"configure system hostname {hostname}\n"
        "configure lldp tx-interval 5\n"
        "configure lldp portidsubtype ifname\n"
    )


def frr_daemons_file() -> str:
    """``/etc/frr/daemons`` of a lab switch: the routing daemons enabled (zebra and
    staticd always run in FRR 8; watchfrr supervises them all)."""
    return "".join(f"{d}=yes\n" for d in FRR_DAEMONS if d not in ("zebra", "staticd"))


def daemon_script(netns: str, layout: DeviceLayout) -> str:
    """The control script watchfrr calls: ``start|stop|restart NAME``."""
    run_dir = layout.frr_run_dir or "/var/run/frr"
    q = shlex.quote
    start = (
        f'{FRR_BIN}/"$2" -d -N {q(netns)} -z {q(run_dir)}/zserv.api -i {q(run_dir)}/"$2".pid '
        f"--vty_socket {q(run_dir)} -P 0 -f {q(layout.frr_conf_file)}"
        # besides the configured syslog, each daemon logs to <run>/<daemon>.log (bgpd's
        # neighbour state changes feed the switch's event stream, as syslog does on a
        # real switch); a start-up target, so not part of the running config
        f' --log file:{q(run_dir)}/"$2".log --log-level info'
    )
    stop = f'[ -f {q(run_dir)}/"$2".pid ] && kill "$(cat {q(run_dir)}/"$2".pid)" 2>/dev/null'
    return (
        "#!/bin/sh\n"
        "# start|stop|restart one FRR daemon of this lab switch (called by watchfrr)\n"
        'case "$1" in\n'
        f"  start) exec {start} ;;\n"
        f"  stop) {stop}; exit 0 ;;\n"
        f"  restart) {stop}; sleep {WATCHFRR_RESTART_DELAY_S}; exec {start} ;;\n"
        '  *) echo "usage: $0 start|stop|restart DAEMON" >&2; exit 2 ;;\n'
        "esac\n"
    )


def _script_path(layout: DeviceLayout) -> str:
    return f"{layout.frr_run_dir or '/var/run/frr'}/frr-daemon.sh"


def _write(path: str, text: str, mode: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, mode)


def start_frr(netns: str, layout: DeviceLayout) -> None:
    """zebra first (it owns the zserv socket), then bgpd and staticd, then watchfrr."""
    run_dir = layout.frr_run_dir or "/var/run/frr"
    script = _script_path(layout)
    _write(script, daemon_script(netns, layout), 0o755)
    _write(f"{layout.frr_conf_dir}/daemons", frr_daemons_file(), 0o644)
    for daemon in FRR_DAEMONS:
        shell.in_netns(netns, [script, "start", daemon])
        if daemon == "zebra":
            _wait_for(f"{run_dir}/zserv.api")
    start_watchfrr(netns, layout)


def start_watchfrr(netns: str, layout: DeviceLayout) -> None:
    """watchfrr over the routing daemons: a crashed one is restarted within about
    WATCHFRR_RESTART_DELAY_S + 5 s, later restarts at least WATCHFRR_MIN_RESTART_S
    apart (FRR's defaults, with shorter bounds for the lab)."""
    run_dir = layout.frr_run_dir or "/var/run/frr"
    script = _script_path(layout)
    argv = [
        f"{FRR_BIN}/watchfrr",
        "-d",
        "-N",
        netns,
        "-S",
        run_dir,
        "-p",
        f"{run_dir}/watchfrr.pid",
        "-r",
        f"{script} restart %s",
        "-s",
        f"{script} start %s",
        "-k",
        f"{script} stop %s",
        "--min-restart-interval",
        str(WATCHFRR_MIN_RESTART_S),
        "--max-restart-interval",
        str(WATCHFRR_MAX_RESTART_S),
        *FRR_DAEMONS,
    ]
    shell.in_netns(netns, argv)
    _wait_for(f"{run_dir}/watchfrr.pid")


def kill_daemon(netns: str, comm: str) -> list[int]:
    """``kill -9`` the processes of ``netns`` named ``comm`` (a crash, not a stop)."""
    pids = [p for p in shell.netns_pids(netns) if _comm(p) == comm]
    _signal_all(pids, signal.SIGKILL)
    return pids


def running_named(netns: str, comm: str) -> list[int]:
    return [p for p in shell.netns_pids(netns) if _comm(p) == comm and is_running(p)]


def _wait_for(path: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def start_lldpd(netns: str, layout: DeviceLayout, ports: Sequence[str], factory_conf: str) -> None:
    """lldpd on the switch's ports only, configured from the pushed file if there is one."""
    conf = layout.lldpd_conf_file if os.path.exists(layout.lldpd_conf_file) else factory_conf
    sock = layout.lldpd_socket or "/var/run/lldpd.socket"
    stop_named(netns, "lldpd")
    for stale in (sock, f"{sock}.lock"):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = ["lldpd", "-d", "-u", sock, "-I", ",".join(ports), "-O", conf]
    shell.spawn(netns, argv, os.path.join(os.path.dirname(sock), "lldpd.log"))
    probe = ["ip", "netns", "exec", netns, "lldpcli", "-u", sock, "show", "configuration"]
    deadline = time.monotonic() + 10.0
    while not shell.succeeds(probe):
        if time.monotonic() > deadline:
            raise LabCommandError(
                f"lldpd in {netns} did not answer on {sock}",
                allowed="see the lldpd.log beside the socket",
            )
        time.sleep(0.1)


def start_sshd(netns: str, run_dir: str, authorized_keys: str) -> None:
    """An sshd listening on every address of ``netns`` (root login with a key only)."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    argv = [
        "/usr/sbin/sshd",
        "-p",
        str(SSHD_PORT),
        "-o",
        f"PidFile={run_dir}/sshd.pid",
        "-o",
        f"AuthorizedKeysFile={authorized_keys}",
        "-o",
        "PermitRootLogin=prohibit-password",
        "-o",
        "PasswordAuthentication=no",
        "-o",
        "StrictModes=no",
        "-o",
        "UsePAM=no",
    ]
    shell.in_netns(netns, argv)
    _wait_for(f"{run_dir}/sshd.pid")


def stop_netns_processes(netns: str, grace: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process living in ``netns``; returns their pids.

    watchfrr goes first, so that it restarts none of the daemons stopped after it."""
    watchers = stop_named(netns, "watchfrr", grace)
    pids = shell.netns_pids(netns)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_running(p) for p in pids):
        time.sleep(0.05)
    _signal_all([p for p in pids if is_running(p)], signal.SIGKILL)
    return watchers + pids


def stop_named(netns: str, comm: str, grace: float = 3.0) -> list[int]:
    """Stop the processes of ``netns`` whose command name is ``comm``; returns their pids."""
    pids = [p for p in shell.netns_pids(netns) if _comm(p) == comm]
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_running(p) for p in pids):
        time.sleep(0.05)
    _signal_all([p for p in pids if is_running(p)], signal.SIGKILL)
    return pids


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as fh:
            return fh.read().strip()
    except (FileNotFoundError, ProcessLookupError):  # gone before or while it was read
        return ""


def _signal_all(pids: Sequence[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # reading a dying process: ESRCH
        return False
