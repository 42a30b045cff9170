#!/usr/bin/env bash
# Redis Cluster on loopback, beside the Redis of infra/start.sh (which it leaves alone): three primaries sharing the 16384 hash
# slots, no replicas, for the Redis Cluster test run (`make test-redis-cluster`) and for trying it by hand.
#
#   bash infra/redis-cluster.sh up      start from empty data: primaries 127.0.0.1:6401-6403 (cluster bus 16401-16403)
#   bash infra/redis-cluster.sh down    stop all three and remove their data
#   bash infra/redis-cluster.sh status  the cluster's state and how the slots are shared
#   bash infra/redis-cluster.sh env     REDIS_URL naming the three nodes (eval "$(bash infra/redis-cluster.sh env)")
#
# Every key of one root job carries the root's hash tag ({id}), so the ledger's and the saga's scripts and the Integrations'
# transactions touch one slot on one node; StackExchange.Redis finds the cluster from any node named and follows MOVED/ASK.
# Data and logs under $REDIS_CLUSTER_DIR (default /var/lib/redis-cluster).
set -euo pipefail

BASE="${REDIS_CLUSTER_DIR:-/var/lib/redis-cluster}"
PORTS=(6401 6402 6403)
TIMEOUT="${REDIS_CLUSTER_TIMEOUT:-60}"

log() { printf '[redis-cluster] %s\n' "$*"; }
die() { printf '[redis-cluster] ERROR: %s\n' "$*" >&2; exit 1; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
pid_of() { [ -s "$BASE/$1/redis.pid" ] && kill -0 "$(cat "$BASE/$1/redis.pid")" 2>/dev/null && cat "$BASE/$1/redis.pid"; }

configure() {
  local port="$1" d="$BASE/$1"
  mkdir -p "$d"
  cat > "$d/redis.conf" <<EOF
bind 127.0.0.1
port $port
dir $d
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
cluster-enabled yes
cluster-config-file $d/nodes.conf
cluster-node-timeout 5000
appendonly yes
appendfsync everysec
save ""
EOF
}

wait_ping() {
  local port="$1"
  for _ in $(seq 1 100); do [ "$(cli "$port" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.2; done
  die "no PONG from 127.0.0.1:$port"
}

state_ok() {
  local p
  for p in "${PORTS[@]}"; do
    cli "$p" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok' || return 1
  done
}

stop_all() {
  local p pid
  for p in "${PORTS[@]}"; do
    pid="$(pid_of "$p" || true)"
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  return 0
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
command -v redis-server >/dev/null 2>&1 || die "Redis is not installed - run: bash infra/install.sh"

case "${1:-}" in
  up)
    stop_all
    rm -rf "$BASE"
    for p in "${PORTS[@]}"; do configure "$p"; redis-server "$BASE/$p/redis.conf"; wait_ping "$p"; done
    # Three primaries, the slots shared evenly, no replicas (the failover case is infra/sentinel.sh's).
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-replicas 0 --cluster-yes >"$BASE/create.log" 2>&1 ||
      die "redis-cli --cluster create failed: $(tail -n 5 "$BASE/create.log")"
    deadline=$((SECONDS + TIMEOUT))
    until state_ok; do
      [ $SECONDS -lt $deadline ] || die "the cluster did not reach cluster_state:ok within ${TIMEOUT}s"
      sleep 0.3
    done
    log "3 primaries up, slots assigned: $(bash "$0" env)"
    ;;
  down)
    stop_all
    rm -rf "$BASE"
    log "stopped, data removed"
    ;;
  status)
    cli "${PORTS[0]}" cluster info | tr -d '\r' | grep -E '^cluster_(state|slots_assigned|known_nodes|size):'
    redis-cli --cluster check "127.0.0.1:${PORTS[0]}"
    ;;
  env)
    echo "REDIS_URL=$(printf '127.0.0.1:%s,' "${PORTS[@]}" | sed 's/,$//')"
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
