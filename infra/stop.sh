#!/usr/bin/env bash
# Stops RabbitMQ, Redis, PostgreSQL and MariaDB started by infra/start.sh.
# Tolerant of services that are already stopped (or not installed).
set -euo pipefail

RABBIT_NODE=rabbit@localhost
PG_CLUSTER="${PG_CLUSTER:-main}"

log()  { printf '[stop] %s\n' "$*"; }
warn() { printf '[stop] WARNING: %s\n' "$*" >&2; }
die()  { printf '[stop] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0)"
rc=0

# RabbitMQ
if command -v rabbitmqctl >/dev/null 2>&1; then
  if timeout 60 rabbitmq-diagnostics -q -n "$RABBIT_NODE" ping >/dev/null 2>&1; then
    log "RabbitMQ: stopping node $RABBIT_NODE"
    if timeout 120 rabbitmqctl -q -n "$RABBIT_NODE" stop >/dev/null; then
      # rabbitmqctl returns once the node has been told to stop; wait for the VM to exit.
      for _ in $(seq 1 60); do
        pgrep -u rabbitmq -f -- "-s rabbit boot" >/dev/null 2>&1 || break
        sleep 0.5
      done
      if pgrep -u rabbitmq -f -- "-s rabbit boot" >/dev/null 2>&1; then
        warn "RabbitMQ: Erlang VM of $RABBIT_NODE still running after stop"; rc=1
      else
        log "RabbitMQ: stopped"
      fi
    else
      warn "RabbitMQ: rabbitmqctl stop failed"; rc=1
    fi
  else
    log "RabbitMQ: not running"
  fi
  # epmd is started on demand by the Erlang VM; stop it if no node is left.
  if command -v epmd >/dev/null 2>&1 && pgrep -x epmd >/dev/null 2>&1; then
    if ! epmd -names 2>/dev/null | grep -q '^name '; then epmd -kill >/dev/null 2>&1 || true; fi
  fi
else
  log "RabbitMQ: not installed"
fi

# Redis
if command -v redis-cli >/dev/null 2>&1; then
  if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; then
    log "Redis: shutting down"
    redis-cli -h 127.0.0.1 -p 6379 shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] || break
      sleep 0.5
    done
    if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; then
      warn "Redis: still running after shutdown"; rc=1
    else
      log "Redis: stopped"
    fi
  else
    log "Redis: not running"
  fi
else
  log "Redis: not installed"
fi

# PostgreSQL
if command -v pg_lsclusters >/dev/null 2>&1; then
  if [ -z "${PG_VERSION:-}" ]; then
    if [ -d /etc/postgresql/15/"$PG_CLUSTER" ]; then PG_VERSION=15
    else PG_VERSION="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)"; fi
  fi
  if [ -n "$PG_VERSION" ] && pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
    log "PostgreSQL: stopping cluster $PG_VERSION/$PG_CLUSTER"
    if pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop; then
      log "PostgreSQL: stopped"
    else
      warn "PostgreSQL: pg_ctlcluster stop failed"; rc=1
    fi
  else
    log "PostgreSQL: not running"
  fi
else
  log "PostgreSQL: not installed"
fi

# MariaDB
if command -v mariadb-admin >/dev/null 2>&1; then
  if mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; then
    log "MariaDB: shutting down"
    # mysqld_safe exits once the server it watches shut down cleanly.
    mariadb-admin --protocol=socket -uroot shutdown >/dev/null 2>&1 || { warn "MariaDB: shutdown failed"; rc=1; }
    for _ in $(seq 1 60); do pgrep -x mysqld_safe >/dev/null 2>&1 || break; sleep 0.5; done
    log "MariaDB: stopped"
  else
    log "MariaDB: not running"
  fi
else
  log "MariaDB: not installed"
fi

exit "$rc"
