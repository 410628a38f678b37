"""One on-demand round of a blueprint whose devices are on several pools (pure)."""

from __future__ import annotations

from workers.collect import merged_rounds


def test_rounds_of_several_pools_merge_into_one_summary() -> None:
    a = {"status": "collected", "blueprint": "dc1", "devices": 3, "observations": 30,
         "changed": 1, "unreachable": ["leaf2"], "errors": {"leaf2": "timeout"},
         "seconds": 1.5, "anomalies_raised": 1}  # fmt: skip
    b = {"status": "collected", "blueprint": "dc1", "devices": 2, "observations": 20,
         "changed": 0, "unreachable": ["leaf1"], "errors": {}, "seconds": 2.5}  # fmt: skip
    merged = merged_rounds([a, b])
    assert (merged["devices"], merged["observations"], merged["changed"]) == (5, 50, 1)
    assert merged["anomalies_raised"] == 1 and merged["seconds"] == 2.5
    assert merged["unreachable"] == ["leaf1", "leaf2"]
    assert merged["errors"] == {"leaf2": "timeout"} and merged["status"] == "collected"
    busy = merged_rounds([a, {**b, "status": "busy", "reason": "running"}])
    assert (busy["status"], busy["reason"]) == ("busy", "running")
    assert merged_rounds([a]) is a
