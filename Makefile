# Fabricgraph: `make run` (the whole product on this machine) and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
SERVICES := deploy/services.sh
BENCHES := B1 B2 B3 B4 B5 B6 B7 B8 B9 B10 B12 B13 B13s B14 B14P B1x B3x B4x B6x B9x B10x

.PHONY: run test stop services worker api deps venv neo4j-fetch lint typecheck \
        unit integration listener bench $(addprefix bench-,$(BENCHES)) lab-up lab-down demo status \
        dashboards dashboards-check replicas replicas-stop systemd-units graphiql

run: deps venv services worker api demo ## services up, demo blueprint deployed, API served

deps: ## Debian packages (redis, FRR, lldpd...), installed when missing
	@deploy/install-debian.sh

venv: .venv/.installed
.venv/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q -U pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $@

neo4j-fetch: ## the Neo4j server and Browser jars, from Maven Central
	@deploy/neo4j/neo4j.sh fetch

services: venv neo4j-fetch ## Neo4j and Redis
	@$(SERVICES) start neo4j redis
	@$(PY) -m api migrate

worker: services ## Celery worker and its beat (reconciler, telemetry and running-config collection)
	@$(SERVICES) start worker beat

listener: worker ## the pool's event listener (event-driven detection beside polling; not yet on by default)
	@$(SERVICES) start listener

api: services graphiql
	@$(SERVICES) start api

replicas: services ## two API replicas behind haproxy on FG_API_PORT (instead of `make api`)
	@deploy/replicas.sh start

replicas-stop:
	@deploy/replicas.sh stop

systemd-units: venv ## systemd units for API, worker pool and beat from MACHINE_ENV (default: the example)
	@$(PY) deploy/systemd_units.py $(or $(MACHINE_ENV),deploy/machine.env.example) $(or $(UNITS_DIR),$(or $(FG_STATE_DIR),.state)/systemd)

graphiql: ## GraphiQL's assets from the npm registry (GraphiQL is off without them)
	@deploy/graphiql.sh

demo: api
	@$(PY) -m api tour

status:
	@$(SERVICES) status

stop: ## stops exactly what the project started, by pid
	@# the lab only when no run holds it (lab down removes every lab namespace on the machine)
	@-flock -n $${FG_LAB_LOCK:-/tmp/fabricgraph-lab.lock} $(PY) -m lab down 2>/dev/null || true
	@deploy/replicas.sh stop
	@deploy/libvirt.sh stop
	@$(SERVICES) stop

test: deps venv services worker ## unit + integration tests against the real services
	@$(PYTEST) -q tests

unit: venv
	@$(PYTEST) -q tests/unit

lint: venv
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck: venv
	@.venv/bin/mypy

bench: $(addprefix bench-,$(BENCHES))
$(addprefix bench-,$(BENCHES)): bench-%: services worker
	@$(PY) -m bench $*

lab-up: services ## the virtual lab from blueprint $(BLUEPRINT) (default demo), not deployed
	@$(PY) -m api lab-up $(or $(BLUEPRINT),demo)

lab-down: venv
	@$(PY) -m lab down

dashboards: venv ## Grafana dashboards from ops/panels.py into deploy/grafana/dashboards
	@$(PY) -m ops.dashboards

dashboards-check: venv ## the dashboards against Grafana's dashboard schema (tsc + @grafana/schema)
	@$(PY) -m ops.schema_check
