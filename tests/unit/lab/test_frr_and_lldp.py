"""FRR and lldpd text handling: running-config normalisation, reload diffs, lldpd settings."""

from __future__ import annotations

import pytest

from napalm_linuxfrr import frr, lldp

SHOW_RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults datacenter
hostname leaf1
log syslog informational
!
router bgp 65101
 bgp router-id 10.0.0.11
exit
!
end
"""

RELOAD_TEST = """
Lines To Delete
===============
router bgp 65101
 no neighbor 10.1.0.9 remote-as 65009

Lines To Add
============
router bgp 65101
router bgp 65101
 neighbor 10.1.0.4 remote-as 65000
"""


def test_running_config_loses_banner_version_and_end() -> None:
    text = frr.normalise_running(SHOW_RUNNING)
    assert text.startswith("frr defaults datacenter\nhostname leaf1\n")
    assert "frr version" not in text
    assert "Building configuration" not in text
    assert not text.rstrip().endswith("end")
    assert frr.normalise_running(text) == text


def test_reload_diff_lists_deletions_then_additions_once_each() -> None:
    diff = frr.reload_diff(RELOAD_TEST).splitlines()
    assert diff[0] == "frr lines to delete:"
    assert "-  no neighbor 10.1.0.9 remote-as 65009" in diff
    assert diff.count("+ router bgp 65101") == 1
    assert diff[-1] == "+  neighbor 10.1.0.4 remote-as 65000"


def test_nothing_to_reload_is_an_empty_diff() -> None:
    assert frr.reload_diff("\nLines To Delete\n===\n\nLines To Add\n===\n") == ""


def test_reload_error_keeps_vtyshs_complaint() -> None:
    noise = "INFO: Called via ...\nb'line 3: % Unknown command:  bogus\\n'"
    assert frr.reload_error(noise, "") == "line 3: % Unknown command:  bogus"


def test_vtysh_hostname_is_replaced_not_duplicated() -> None:
    conf = frr.set_vtysh_hostname("hostname old\nservice integrated-vtysh-config\n", "leaf1")
    assert conf.count("hostname ") == 1
    assert conf.startswith("hostname leaf1\n")
    assert "service integrated-vtysh-config" in conf


def test_vtysh_only_lines_are_not_sent_to_the_daemons() -> None:
    text = "frr defaults datacenter\nservice integrated-vtysh-config\n!\n"
    assert "service integrated-vtysh-config" not in frr.daemon_config(text)


def test_lldpd_settings_round_trip() -> None:
    text = "configure system hostname leaf1\nconfigure lldp tx-interval 5\n"
    settings = lldp.parse_lldpd_conf(text)
    assert settings == {"hostname": "leaf1", "tx-interval": "5"}
    assert lldp.render_lldpd_conf(settings) == text


def test_lldpd_settings_absent_from_the_file_return_to_defaults() -> None:
    commands = lldp.apply_commands({"tx-interval": "5"})
    assert ["unconfigure", "system", "hostname"] in commands
    assert ["configure", "lldp", "tx-interval", "5"] in commands
    assert commands[0] == ["resume"]


@pytest.mark.parametrize(
    "line",
    ["configure lldp tx-interval 0", "configure lldp portidsubtype local", "pause", "rm -rf /"],
)
def test_unsupported_lldpd_lines_are_refused(line: str) -> None:
    with pytest.raises(lldp.LldpConfigError, match="allowed"):
        lldp.parse_lldpd_conf(line + "\n")


def test_lldp_neighbours_accept_lldpclis_single_object_form() -> None:
    one = (
        '{"lldp": {"interface": {"swp1": {"chassis": {"spine1": {"id": {"value": "m"}}},'
        ' "port": {"id": {"type": "mac", "value": "m"}, "descr": "swp7"}}}}}'
    )
    assert lldp.parse_neighbors(one) == {"swp1": [{"hostname": "spine1", "port": "swp7"}]}


def test_routing_daemons_are_the_enabled_ones_and_those_vtysh_reaches() -> None:
    daemons_file = '# /etc/frr/daemons\nbgpd=yes\nospfd=no\nisisd="yes"\nvtysh_enable=yes\n'
    assert frr.enabled_daemons(daemons_file) == ["bgpd", "isisd", "staticd", "zebra"]
    got = frr.routing_daemons(" zebra staticd\n", daemons_file)
    assert got["bgpd"] == {"enabled": True, "running": False, "pid": None, "started_at": None}
    assert got["zebra"] == {"enabled": True, "running": True, "pid": None, "started_at": None}
    assert frr.routing_daemons(" zebra bgpd staticd ldpd\n", "")["ldpd"] == {
        "enabled": False,
        "running": True,
        "pid": None,
        "started_at": None,
    }


def _stat(pid: int, comm: str, start_ticks: int) -> str:
    """A /proc/PID/stat line: field 22 is the start time in clock ticks since boot."""
    after = ["S", *["0"] * 18, str(start_ticks), "0", "0"]  # fields 3..24
    return f"{pid} ({comm}) {' '.join(after)}"


def test_routing_daemons_carry_pid_and_start_time_from_proc() -> None:
    processes = "\n".join(
        [
            f"bgpd 4242 {_stat(4242, 'bgpd', 150_000)}",
            f"zebra 4200 {_stat(4200, 'zebra', 100_050)}",
            f"watchfrr 4100 {_stat(4100, 'watchfrr', 100_000)}",
            "staticd 999 ",  # a stale pid file: no such process
            f"ospfd 4300 {_stat(4300, 'sleep', 100_000)}",  # its pid reused by another program
            "btime 1700000000",
            "clk_tck 100",
        ]
    )
    got = frr.routing_daemons(" zebra bgpd staticd\n", "bgpd=yes\n", processes)
    assert got["bgpd"] == {
        "enabled": True,
        "running": True,
        "pid": 4242,
        "started_at": 1700001500.0,
    }
    assert got["zebra"]["started_at"] == 1700001000.5
    assert got["staticd"] == {"enabled": True, "running": True, "pid": None, "started_at": None}
    assert "ospfd" not in got
    assert got["watchfrr"] == {
        "enabled": False,
        "running": True,
        "pid": 4100,
        "started_at": 1700001000.0,
    }
    assert frr.daemon_processes("bgpd 1 x\nno boot time\n") == {}
    odd = f"x) y 7 {_stat(7, 'x) y', 200)}\nbtime 10\nclk_tck 100\n"  # comm with ") "
    assert frr.daemon_processes(odd) == {}  # the pid file's name is one word: "x)"


def test_lldpd_settings_already_running_are_not_set_again() -> None:
    text = "configure system hostname leaf1\nconfigure lldp tx-interval 5\n"
    running = lldp.render_lldpd_conf(lldp.parse_lldpd_conf(text))
    assert lldp.changed_commands(text, running) == [["resume"]]
    changed = lldp.changed_commands(text.replace("5", "7"), running)
    assert ["configure", "lldp", "tx-interval", "7"] in changed
    assert lldp.changed_commands(text, None) == lldp.apply_commands(lldp.parse_lldpd_conf(text))
