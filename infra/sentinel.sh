#!/usr/bin/env bash
# Redis that fails over, on loopback, beside the Redis of infra/start.sh (which it leaves alone): a primary, a replica and
# three Sentinels watching them as service "jobs", for the cluster tests (`make test-cluster`) and for trying it by hand.
#
#   bash infra/sentinel.sh up            start from empty data: primary 127.0.0.1:6391, replica 6392, Sentinels 26391-26393
#   bash infra/sentinel.sh down          stop all five and remove their data
#   bash infra/sentinel.sh kill-primary  kill -9 whichever instance is the primary now (prints its port)
#   bash infra/sentinel.sh start PORT    start the instance of PORT (6391 or 6392) again on its data, as a replica of the current primary
#   bash infra/sentinel.sh primary       the primary's port, as the Sentinels say
#   bash infra/sentinel.sh env           REDIS_URL naming the Sentinels (eval "$(bash infra/sentinel.sh env)")
#
# Data and logs under $REDIS_SENTINEL_DIR (default /var/lib/redis-sentinel). Sentinel is redis-server in sentinel mode.
set -euo pipefail

BASE="${REDIS_SENTINEL_DIR:-/var/lib/redis-sentinel}"
SERVICE=jobs
DATA_PORTS=(6391 6392)
SENTINEL_PORTS=(26391 26392 26393)

log() { printf '[sentinel] %s\n' "$*"; }
die() { printf '[sentinel] ERROR: %s\n' "$*" >&2; exit 1; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
pid_of() { [ -s "$BASE/$1/redis.pid" ] && kill -0 "$(cat "$BASE/$1/redis.pid")" 2>/dev/null && cat "$BASE/$1/redis.pid"; }

configure_data() {
  local port="$1" d="$BASE/$1"
  mkdir -p "$d"
  {
    echo "bind 127.0.0.1"
    echo "port $port"
    echo "dir $d"
    echo "daemonize yes"
    echo "pidfile $d/redis.pid"
    echo "logfile $d/redis.log"
    echo "appendonly yes"
    echo "appendfsync everysec"
    echo "save \"\""
    if [ "$port" != "${DATA_PORTS[0]}" ]; then echo "replicaof 127.0.0.1 ${DATA_PORTS[0]}"; fi
  } > "$d/redis.conf"
}

configure_sentinel() {
  local port="$1" d="$BASE/$1"
  mkdir -p "$d"
  cat > "$d/sentinel.conf" <<EOF
bind 127.0.0.1
port $port
dir $d
daemonize yes
pidfile $d/redis.pid
logfile $d/sentinel.log
sentinel monitor $SERVICE 127.0.0.1 ${DATA_PORTS[0]} 2
sentinel down-after-milliseconds $SERVICE 2000
sentinel failover-timeout $SERVICE 10000
sentinel parallel-syncs $SERVICE 1
EOF
}

wait_ping() {
  local port="$1"
  for _ in $(seq 1 100); do [ "$(cli "$port" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.2; done
  die "no PONG from 127.0.0.1:$port"
}

start_data() { redis-server "$BASE/$1/redis.conf"; wait_ping "$1"; }

primary() { cli "${SENTINEL_PORTS[0]}" sentinel get-master-addr-by-name "$SERVICE" 2>/dev/null | sed -n 2p; }

stop_all() {
  local p pid
  for p in "${SENTINEL_PORTS[@]}" "${DATA_PORTS[@]}"; do
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
    for p in "${DATA_PORTS[@]}"; do configure_data "$p"; start_data "$p"; done
    for p in "${SENTINEL_PORTS[@]}"; do configure_sentinel "$p"; redis-server "$BASE/$p/sentinel.conf" --sentinel; wait_ping "$p"; done
    for _ in $(seq 1 100); do
      [ "$(cli "${SENTINEL_PORTS[0]}" sentinel master "$SERVICE" 2>/dev/null | grep -A1 -x num-other-sentinels | tail -n 1)" = 2 ] &&
        [ "$(cli "${SENTINEL_PORTS[0]}" sentinel master "$SERVICE" | grep -A1 -x num-slaves | tail -n 1)" = 1 ] && break
      sleep 0.3
    done
    log "primary 127.0.0.1:$(primary), replica, and 3 Sentinels up: $(bash "$0" env)"
    ;;
  down)
    stop_all
    rm -rf "$BASE"
    log "stopped, data removed"
    ;;
  kill-primary)
    port="$(primary)"
    [ -n "$port" ] || die "the Sentinels name no primary"
    pid="$(pid_of "$port" || true)"
    [ -n "$pid" ] || die "the primary 127.0.0.1:$port is not running"
    kill -9 "$pid"
    echo "$port"
    ;;
  start)
    port="${2:?the port of the instance: 6391 or 6392}"
    pid_of "$port" >/dev/null && { log "127.0.0.1:$port is running"; exit 0; }
    # As a replica of the primary the Sentinels name now, as an operator restarts a lost pod: started from its own config, an old
    # primary would come back as a primary with its stale data and take writes (the services may reach it before the Sentinels
    # demote it) that its resync from the real primary then throws away.
    current="$(primary)"
    if [ -n "$current" ] && [ "$current" != "$port" ]; then
      redis-server "$BASE/$port/redis.conf" --replicaof 127.0.0.1 "$current"; wait_ping "$port"
      log "127.0.0.1:$port is up again, a replica of 127.0.0.1:$current"
    else
      start_data "$port"
      log "127.0.0.1:$port is up again"
    fi
    ;;
  primary)
    primary
    ;;
  env)
    echo "REDIS_URL=$(printf '127.0.0.1:%s,' "${SENTINEL_PORTS[@]}")serviceName=$SERVICE"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
