#!/usr/bin/env bash
# Runs one service (the command given) the way Kubernetes or systemd would for `make run`: when it exits with 75 (EX_TEMPFAIL, the
# send watchdog's "start me again", shared/ServiceDefaults/SendWatchdog.cs) it is started again; any other exit ends this script with
# the same code. TERM and INT are passed on to the service, so `infra/services.sh stop` still stops it gracefully.
set -u
child=0
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM INT
while :; do
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  [[ $rc -eq 75 ]] || exit "$rc"
  echo "[supervise] $(date -u +%FT%TZ) $* exited with 75 (start me again): starting it again"
  sleep 1
done
