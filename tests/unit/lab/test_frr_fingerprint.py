"""FRR is reloaded only when it may differ from the candidate: the record of the last
commit (what it applied, what FRR ran right after) says when a reload would change nothing."""

from __future__ import annotations

from napalm_linuxfrr.frr import fingerprint
from napalm_linuxfrr.kstate import Record, parse_record

APPLIED = "frr defaults datacenter\nhostname leaf1\n!\nrouter bgp 65001\n advertise-all-vni\n"
RUNNING = "frr defaults datacenter\nhostname leaf1\n!\nrouter bgp 65001\n address-family\n"


def committed() -> Record:
    return Record(frr_applied=fingerprint(APPLIED), frr_running=fingerprint(RUNNING))


def test_the_same_candidate_on_an_unchanged_frr_needs_no_reload() -> None:
    assert committed().frr_unchanged(APPLIED, RUNNING)


def test_blank_lines_and_trailing_spaces_are_not_a_difference() -> None:
    assert fingerprint(APPLIED) == fingerprint(APPLIED.replace("\n", "  \n\n"))
    assert fingerprint(APPLIED) != fingerprint(APPLIED.replace("65001", "65002"))


def test_a_changed_candidate_is_reloaded() -> None:
    assert not committed().frr_unchanged(APPLIED.replace("65001", "65002"), RUNNING)


def test_frr_changed_out_of_band_since_the_commit_is_reloaded() -> None:
    drifted = RUNNING + "ip route 10.9.9.9/32 blackhole\n"
    assert not committed().frr_unchanged(APPLIED, drifted)


def test_an_unknown_history_or_an_unreadable_frr_is_reloaded() -> None:
    assert not Record().frr_unchanged(APPLIED, RUNNING)  # a device the driver never committed
    assert not Record(frr_applied=fingerprint(APPLIED)).frr_unchanged(APPLIED, RUNNING)
    assert not committed().frr_unchanged(APPLIED, None)  # vtysh did not answer


def test_the_fingerprints_survive_the_record_file() -> None:
    read = parse_record(committed().to_json())
    assert (read.frr_applied, read.frr_running) == (fingerprint(APPLIED), fingerprint(RUNNING))
    older = parse_record('{"mentioned": []}')  # a record an older driver wrote
    assert (older.frr_applied, older.frr_running) == ("", "")
