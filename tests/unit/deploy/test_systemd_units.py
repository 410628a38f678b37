"""``make systemd-units``: one machine's settings -> systemd units of its roles."""

from __future__ import annotations

import pytest

from deploy.systemd_units import UnitError, parse_env, units

MACHINE = """
# a machine of pool-b running everything
FG_ROLES="api worker beat"
FG_ROOT=/opt/fabricgraph
FG_USER=fabricgraph
NEO4J_URI=neo4j+s://abcd1234.databases.neo4j.io
NEO4J_AUTH=neo4j/s3cret-pass
FG_REDIS_URL=redis://10.9.0.5:6379/0
FG_CELERY_QUEUE=pool-b
FG_WORKER_CONCURRENCY=6
FG_API_PORTS="8001 8002 8003"
FG_DEVICE_PASSWORD=dev1ce-pass
"""


def _exec(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("ExecStart="))


def test_each_role_gets_its_unit_reading_the_machine_file() -> None:
    made = units(parse_env(MACHINE))
    assert set(made) == {
        "fabricgraph-api@.service",
        "fabricgraph-worker.service",
        "fabricgraph-beat.service",
        "fabricgraph-listener.service",
        "fabricgraph.target",
    }
    worker = made["fabricgraph-worker.service"]
    assert "--queues=pool-b" in _exec(worker) and "--concurrency=6" in _exec(worker)
    assert _exec(worker).startswith("ExecStart=/opt/fabricgraph/.venv/bin/python -m celery")
    assert "--port %i" in _exec(made["fabricgraph-api@.service"])
    assert _exec(made["fabricgraph-listener.service"]).endswith(" -m workers.listener")
    assert (
        "After=network-online.target fabricgraph-worker.service" in made["fabricgraph-beat.service"]
    )
    wants = next(x for x in made["fabricgraph.target"].splitlines() if x.startswith("Wants="))
    assert wants.split("=", 1)[1].split() == [
        "fabricgraph-api@8001.service",
        "fabricgraph-api@8002.service",
        "fabricgraph-api@8003.service",
        "fabricgraph-worker.service",
        "fabricgraph-beat.service",
        "fabricgraph-listener.service",
    ]
    for name, text in made.items():
        if name.endswith(".service"):
            assert "EnvironmentFile=/etc/fabricgraph/fabricgraph.env" in text
            assert "User=fabricgraph" in text


def test_the_background_pools_yield_the_cpu_to_the_api() -> None:
    made = units(parse_env(MACHINE))
    for name in ("worker", "beat", "listener"):
        assert "Nice=10" in made[f"fabricgraph-{name}.service"].splitlines()
    assert "Nice=0" in made["fabricgraph-api@.service"].splitlines()
    lower = units({**parse_env(MACHINE), "FG_BACKGROUND_NICE": "15"})
    assert "Nice=15" in lower["fabricgraph-worker.service"].splitlines()


def test_secrets_never_reach_a_unit() -> None:
    for text in units(parse_env(MACHINE)).values():
        assert "s3cret-pass" not in text and "dev1ce-pass" not in text


def test_a_worker_only_machine_gets_no_api_and_no_beat() -> None:
    env = parse_env(MACHINE) | {"FG_ROLES": "worker"}
    assert set(units(env)) == {"fabricgraph-worker.service", "fabricgraph.target"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FG_ROLES": "api poller"}, "allowed roles are api, worker, beat"),
        ({"FG_CELERY_QUEUE": ""}, "lack FG_CELERY_QUEUE"),
        ({"FG_API_PORTS": "8001 http"}, "TCP ports"),
        ({"FG_WORKER_CONCURRENCY": "many"}, "a number of worker processes"),
        ({"FG_BACKGROUND_NICE": "-5"}, "a CPU niceness 0-19"),
        ({"FG_BACKGROUND_NICE": "20"}, "a CPU niceness 0-19"),
    ],
)
def test_wrong_settings_are_refused_naming_what_is_allowed(
    change: dict[str, str], message: str
) -> None:
    with pytest.raises(UnitError, match=message):
        units(parse_env(MACHINE) | change)


def test_a_line_that_is_not_key_value_is_refused_with_its_number() -> None:
    with pytest.raises(UnitError, match="line 2"):
        parse_env("FG_ROLES=api\nthis is not a setting\n")
