#!/usr/bin/env bash
# Start/stop the project's own services, each recorded by pid under .state/.
# Usage: deploy/services.sh start|stop|status [neo4j|redis|worker|beat|listener|api|worker@QUEUE|beat@QUEUE|listener@QUEUE ...]
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

# worker and beat of a pool: `worker` / `beat` serve FG_CELERY_QUEUE; `worker@QUEUE` /
# `beat@QUEUE` serve another pool's queue (own pid file and log, FG_CELERY_QUEUE=QUEUE)
# the background pools (worker, beat, listener) yield the CPU to the API: on a shared
# machine their rounds must not make liveness probes wait (B12); 0 = same priority
bg_nice="${FG_BACKGROUND_NICE:-10}"
[[ "$bg_nice" =~ ^[0-9]$|^1[0-9]$ ]] || { echo "FG_BACKGROUND_NICE='$bg_nice' is not allowed (allowed: 0-19)" >&2; exit 2; }
queue_of() { case "$1" in *@*) echo "${1#*@}" ;; *) echo "${FG_CELERY_QUEUE:-fabricgraph}" ;; esac; }
pid_name() { case "$1" in *@*) echo "${1%%@*}-${1#*@}" ;; *) echo "$1" ;; esac; }
check_queue() {
  [[ "$1" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || { echo "queue '$1' is not allowed (allowed: [a-z0-9][a-z0-9._-]{0,62})" >&2; exit 2; }
}

start_worker() {
  local queue name pidfile
  queue=$(queue_of "$1"); name=$(pid_name "$1"); pidfile="$state/$name.pid"
  check_queue "$queue"
  if alive "$pidfile"; then echo "$name: already running (pid $(cat "$pidfile"))"; return; fi
  FG_CELERY_QUEUE="$queue" setsid nice -n "$bg_nice" "$py" -m celery -A workers.app worker --loglevel=INFO --concurrency="${FG_WORKER_CONCURRENCY:-2}" \
    --queues="$queue" --hostname="$queue@%h" > "$state/logs/$name.log" 2>&1 &
  echo $! > "$pidfile"
  local t0=$SECONDS
  until FG_CELERY_QUEUE="$queue" "$py" -m celery -A workers.app inspect ping --timeout 1 \
      --destination "$queue@$(hostname)" >/dev/null 2>&1; do
    if ! alive "$pidfile"; then echo "$name: exited during start; see $state/logs/$name.log" >&2; tail -20 "$state/logs/$name.log" >&2; exit 1; fi
    if (( SECONDS - t0 > 60 )); then echo "$name: no answer to ping after 60 s" >&2; exit 1; fi
    sleep 0.5
  done
  echo "$name: up (queue $queue, pid $(cat "$pidfile"))"
}

start_beat() {
  # Celery beat: the periodic tasks of workers/app.py (beat_schedule), sent to its queue
  local queue name pidfile
  queue=$(queue_of "$1"); name=$(pid_name "$1"); pidfile="$state/$name.pid"
  check_queue "$queue"
  if alive "$pidfile"; then echo "$name: already running (pid $(cat "$pidfile"))"; return; fi
  FG_CELERY_QUEUE="$queue" setsid nice -n "$bg_nice" "$py" -m celery -A workers.app beat --loglevel=INFO --pidfile= \
    --schedule="$state/celerybeat-schedule${1#beat}" > "$state/logs/$name.log" 2>&1 &
  echo $! > "$pidfile"
  sleep 0.5
  alive "$pidfile" || { echo "$name: exited during start; see $state/logs/$name.log" >&2; tail -20 "$state/logs/$name.log" >&2; exit 1; }
  echo "$name: up (queue $queue, pid $(cat "$pidfile"))"
}

start_listener() {
  # the pool's event listener (workers/listener.py): device event streams -> collection
  local queue name pidfile
  queue=$(queue_of "$1"); name=$(pid_name "$1"); pidfile="$state/$name.pid"
  check_queue "$queue"
  if alive "$pidfile"; then echo "$name: already running (pid $(cat "$pidfile"))"; return; fi
  FG_CELERY_QUEUE="$queue" setsid nice -n "$bg_nice" "$py" -m workers.listener > "$state/logs/$name.log" 2>&1 &
  echo $! > "$pidfile"
  sleep 0.5
  alive "$pidfile" || { echo "$name: exited during start; see $state/logs/$name.log" >&2; tail -20 "$state/logs/$name.log" >&2; exit 1; }
  echo "$name: up (queue $queue, pid $(cat "$pidfile"))"
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
targets=("$@"); [ ${#targets[@]} -eq 0 ] && targets=(neo4j redis worker beat listener api)
case "$cmd" in
  start)
    for t in "${targets[@]}"; do
      case "$t" in
        neo4j) if external_neo4j; then echo "neo4j: external ($NEO4J_URI)"; else "$here/neo4j/neo4j.sh" start; fi ;;
        redis) start_redis ;;
        worker|worker@*) start_worker "$t" ;;
        beat|beat@*) start_beat "$t" ;;
        listener|listener@*) start_listener "$t" ;;
        api) start_api ;;
        *) echo "unknown service: $t (allowed: neo4j redis worker beat listener api worker@QUEUE beat@QUEUE listener@QUEUE)" >&2; exit 2 ;;
      esac
    done ;;
  stop)
    # a named pool's worker, beat or listener (worker@QUEUE...): by its own pid file
    for t in "${targets[@]}"; do
      case "$t" in
        worker@*|beat@*|listener@*) check_queue "$(queue_of "$t")"; stop_pid "$(pid_name "$t")" "$state/$(pid_name "$t").pid" ;;
      esac
    done
    # reverse order: api and workers before the stores they use
    for t in api listener beat worker redis neo4j; do
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
        *) n=$(pid_name "$t"); if alive "$state/$n.pid"; then echo "$t: running (pid $(cat "$state/$n.pid"))"; else echo "$t: stopped"; fi ;;
      esac
    done ;;
  *) echo "usage: $0 start|stop|status [neo4j|redis|worker|beat|listener|api|worker@QUEUE|beat@QUEUE|listener@QUEUE ...]" >&2; exit 2 ;;
esac
