"""Task results are data: one outcome type with an enum status, carried as JSON."""

from __future__ import annotations

import json

import pytest

from workers.outcome import CONVERGED, Outcome, Status


def test_an_outcome_survives_the_json_round_trip_celery_makes() -> None:
    pushed = Outcome(Status.SUCCEEDED, serial="S1", stage="service", push="full", seconds=1.5)
    data = json.loads(json.dumps(pushed.as_dict()))
    assert data == {
        "status": "succeeded",
        "serial": "S1",
        "stage": "service",
        "push": "full",
        "seconds": 1.5,
    }
    assert Outcome.of(data) == pushed


def test_a_round_summary_keeps_its_fields_beside_the_status() -> None:
    round_ = Outcome(Status.COLLECTED, blueprint="dc1", details={"devices": 3, "unreachable": []})
    data = round_.as_dict()
    assert (data["status"], data["devices"], data["unreachable"]) == ("collected", 3, [])
    assert Outcome.of(data).details == {"devices": 3, "unreachable": []}


@pytest.mark.parametrize("status", list(Status))
def test_only_pushed_nothing_to_do_and_golden_collected_are_converged(status: Status) -> None:
    converged = status in (Status.SUCCEEDED, Status.NONE, Status.GOLDEN_COLLECTED)
    assert Outcome(status).converged is converged
    assert (status in CONVERGED) is converged


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        Outcome.of({"status": "finished"})


def test_why_prefers_the_error_then_the_reason() -> None:
    assert Outcome(Status.FAILED, error="E", reason="R").why == "E"
    assert Outcome(Status.BLOCKED, reason="R").why == "R"
    assert Outcome(Status.BUSY).why == "busy"
