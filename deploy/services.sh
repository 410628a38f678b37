#!/usr/bin/env bash
# Start/stop the project's own services, each recorded by pid under .state/.
# Usage: deploy/services.sh start|stop|status [neo4j|redis|worker|beat|api ...]
# Starting what already runs is harmless; a port taken by another program is an error.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
state="${FG_STATE_DIR:-$root/.state}"
py="$root/.venv/bin/python"
redis_port="${FG_REDIS_PORT:-6379}"
api_port="${FG_API_PORT:-8000}"
# Neo4j is external only when NEO4J_URI points somewhere else than this checkout's own
# server (a worktree's .env.local sets NEO4J_URI to its own local port)
local_bolt="bolt://127.0.0.1:${NEO4J_BOLT_PORT:-7687}"
external_neo4j() { [ -n "${NEO4J_URI:-}" ] && [ "${NEO4J_URI%/}" != "$local_bolt" ] && [ "${NEO4J_URI%/}" != "neo4j://127.0.0.1:${NEO4J_BOLT_PORT:-7687}" ]; }
mkdir -p "$state/logs"

source "$here/pids.sh"
need_free_port() {
  if port_busy "$1"; then
    echo "$2: port 127.0.0.1:$1 is already taken by another process (not started by Fabricgraph); stop it or choose another port" >&2
    exit 1
  fi
}

start_redis() {
  local pidfile="$state/redis.pid"
  if alive "$pidfile"; then echo "redis: already running (pid $(cat "$pidfile"))"; return; fi
  need_free_port "$redis_port" redis
  command -v redis-server >/dev/null || { echo "redis: redis-server not installed (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$state/redis"
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$state/redis" \
    --save "" --appendonly no --logfile "$state/logs/redis.log" >/dev/null 2>&1 &
  echo $! > "$pidfile"
  wait_port "$redis_port" redis "$pidfile"
  echo "redis: up (127.0.0.1:$redis_port, pid $(cat "$pidfile"))"
}

start_worker() {
  local pidfile="$state/worker.pid"
  if alive "$pidfile"; then echo "worker: already running (pid $(cat "$pidfile"))"; return; fi
  setsid "$py" -m celery -A workers.app worker --loglevel=INFO --concurrency="${FG_WORKER_CONCURRENCY:-2}" \
    --queues="${FG_CELERY_QUEUE:-fabricgraph}" --hostname="${FG_CELERY_QUEUE:-fabricgraph}@%h" > "$state/logs/worker.log" 2>&1 &
  echo $! > "$pidfile"
  local t0=$SECONDS
  until "$py" -m celery -A workers.app inspect ping --timeout 1 \
      --destination "${FG_CELERY_QUEUE:-fabricgraph}@$(hostname)" >/dev/null 2>&1; do
    if ! alive "$pidfile"; then echo "worker: exited during start; see $state/logs/worker.log" >&2; tail -20 "$state/logs/worker.log" >&2; exit 1; fi
    if (( SECONDS - t0 > 60 )); then echo "worker: no answer to ping after 60 s" >&2; exit 1; fi
    sleep 0.5
  done
  echo "worker: up (pid $(cat "$pidfile"))"
}

start_beat() {
  # Celery beat: the periodic tasks of workers/app.py (beat_schedule)
  local pidfile="$state/beat.pid"
  if alive "$pidfile"; then echo "beat: already running (pid $(cat "$pidfile"))"; return; fi
  setsid "$py" -m celery -A workers.app beat --loglevel=INFO --pidfile= \
    --schedule="$state/celerybeat-schedule" > "$state/logs/beat.log" 2>&1 &
  echo $! > "$pidfile"
  sleep 0.5
  alive "$pidfile" || { echo "beat: exited during start; see $state/logs/beat.log" >&2; tail -20 "$state/logs/beat.log" >&2; exit 1; }
  echo "beat: up (pid $(cat "$pidfile"))"
}

start_api() {
  local pidfile="$state/api.pid"
  if alive "$pidfile"; then echo "api: already running (pid $(cat "$pidfile"))"; return; fi
  need_free_port "$api_port" api
  setsid "$py" -m uvicorn api.app:create_app --factory --host 127.0.0.1 --port "$api_port" \
    --log-level warning > "$state/logs/api.log" 2>&1 &
  echo $! > "$pidfile"
  wait_port "$api_port" api "$pidfile"
  echo "api: up (http://127.0.0.1:$api_port, pid $(cat "$pidfile"))"
}

cmd=${1:-}; shift || true
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(neo4j redis worker beat api)
case "$cmd" in
  start)
    for t in "${targets[@]}"; do
      case "$t" in
        neo4j) if external_neo4j; then echo "neo4j: external ($NEO4J_URI)"; else "$here/neo4j/neo4j.sh" start; fi ;;
        redis) start_redis ;;
        worker) start_worker ;;
        beat) start_beat ;;
        api) start_api ;;
        *) echo "unknown service: $t (allowed: neo4j redis worker beat api)" >&2; exit 2 ;;
      esac
    done ;;
  stop)
    # reverse order: api and workers before the stores they use
    for t in api beat worker redis neo4j; do
      [[ " ${targets[*]} " == *" $t "* ]] || continue
      case "$t" in
        neo4j) external_neo4j || "$here/neo4j/neo4j.sh" stop ;;
        *) stop_pid "$t" "$state/$t.pid" ;;
      esac
    done ;;
  status)
    for t in "${targets[@]}"; do
      case "$t" in
        neo4j) "$here/neo4j/neo4j.sh" status || true ;;
        *) if alive "$state/$t.pid"; then echo "$t: running (pid $(cat "$state/$t.pid"))"; else echo "$t: stopped"; fi ;;
      esac
    done ;;
  *) echo "usage: $0 start|stop|status [neo4j|redis|worker|beat|api ...]" >&2; exit 2 ;;
esac
