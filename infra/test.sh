#!/usr/bin/env bash
# `make test`: build once, run every test project, and close with one plain line "N passed, N failed".
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=/dev/null
source infra/env.sh >/dev/null
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Microservices.sln -c Release -nologo -v quiet -p:UseSharedCompilation=false || exit 1

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Every test but the fault suite, the test projects side by side; then the fault suite alone (tests/Faults.Tests, trait
# Category=Faults), since it takes RabbitMQ, Redis and PostgreSQL down under everything that runs meanwhile.
# FAULTS=0 leaves the fault suite out; FAULTS=only runs just that (as `make test-faults` does).
# Last, the cluster cases (trait Category=Cluster) on a three-node RabbitMQ cluster (infra/cluster.sh) and a Redis with a replica
# and three Sentinels (infra/sentinel.sh), started beside the one-node servers and removed afterwards; CLUSTER=0 leaves them out,
# CLUSTER=only runs just them (`make test-cluster`); CLUSTER_FILTER narrows them (`make test-cluster-node-kill` runs just the node kill).
# Then the end-to-end job tests (tests/EndToEnd.Tests) and the tests of the services that keep state in Redis (Integrator, Integrations,
# Reporting) again, against a Redis Cluster of three primaries (infra/redis-cluster.sh): every multi-key script and transaction must
# stay in one hash slot. REDIS_CLUSTER=0 leaves that run out, REDIS_CLUSTER=only runs
# just it (`make test-redis-cluster`).
rc=0
if [[ "${REDIS_CLUSTER:-1}" == only ]]; then FAULTS=0 CLUSTER=0 ONLY_REDIS_CLUSTER=1; fi
if [[ "${FAULTS:-1}" != only && "${CLUSTER:-1}" != only && -z "${ONLY_REDIS_CLUSTER:-}" ]]; then
  dotnet test Microservices.sln -c Release --no-build --filter "Category!=Faults&Category!=Cluster" --logger "console;verbosity=normal" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
fi
if [[ "${FAULTS:-1}" != 0 && "${CLUSTER:-1}" != only ]]; then
  echo "[test] the fault suite (servers taken down and up again; nothing else runs meanwhile)"
  dotnet test tests/Faults.Tests/Faults.Tests.csproj -c Release --no-build --filter "Category=Faults" --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
  faults_rc=${PIPESTATUS[0]}
  [[ $faults_rc -ne 0 ]] && rc=$faults_rc
fi
if [[ "${CLUSTER:-1}" != 0 && "${FAULTS:-1}" != only ]]; then
  echo "[test] the cluster cases (a three-node RabbitMQ cluster and a Redis with Sentinels on loopback, servers killed mid-job)"
  trap 'bash infra/cluster.sh down >/dev/null 2>&1; bash infra/sentinel.sh down >/dev/null 2>&1; rm -f "$log"' EXIT
  if bash infra/cluster.sh up && bash infra/sentinel.sh up; then
    cluster_rc=0
    (
      set -a
      # shellcheck disable=SC1090
      source <(bash infra/cluster.sh env)
      # shellcheck disable=SC1090
      source <(bash infra/sentinel.sh env)
      set +a
      dotnet test tests/Faults.Tests/Faults.Tests.csproj -c Release --no-build --filter "Category=Cluster${CLUSTER_FILTER-}" --logger "console;verbosity=normal"
    ) 2>&1 | tee -a "$log"
    cluster_rc=${PIPESTATUS[0]}
  else
    echo "[test] the cluster did not come up"
    cluster_rc=1
  fi
  bash infra/cluster.sh down
  bash infra/sentinel.sh down
  [[ $cluster_rc -ne 0 ]] && rc=$cluster_rc
fi
if [[ "${REDIS_CLUSTER:-1}" != 0 && "${FAULTS:-1}" != only && "${CLUSTER:-1}" != only ]]; then
  echo "[test] the end-to-end, Integrator, Integrations and Reporting tests against a Redis Cluster (three primaries on loopback)"
  trap 'bash infra/cluster.sh down >/dev/null 2>&1; bash infra/sentinel.sh down >/dev/null 2>&1; bash infra/redis-cluster.sh down >/dev/null 2>&1; rm -f "$log"' EXIT
  if bash infra/redis-cluster.sh up; then
    (
      set -a
      # shellcheck disable=SC1090
      source <(bash infra/redis-cluster.sh env)
      set +a
      project_rc=0
      for project in EndToEnd Integrator Integrations Reporting; do
        dotnet test "tests/$project.Tests/$project.Tests.csproj" -c Release --no-build --logger "console;verbosity=normal" || project_rc=1
      done
      exit $project_rc
    ) 2>&1 | tee -a "$log"
    redis_cluster_rc=${PIPESTATUS[0]}
  else
    echo "[test] the Redis Cluster did not come up"
    redis_cluster_rc=1
  fi
  bash infra/redis-cluster.sh down
  [[ $redis_cluster_rc -ne 0 ]] && rc=$redis_cluster_rc
fi

passed=$(awk '/^[[:space:]]+Passed:[[:space:]]+[0-9]+/ {s += $2} END {print s + 0}' "$log")
failed=$(awk '/^[[:space:]]+Failed:[[:space:]]+[0-9]+/ {s += $2} END {print s + 0}' "$log")
skipped=$(awk '/^[[:space:]]+Skipped:[[:space:]]+[0-9]+/ {s += $2} END {print s + 0}' "$log")
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $failed -gt 0 ]]; then
  # Repeat each failure's name, message and first stack lines at the end, where a truncated CI log still shows them.
  echo
  echo "Failed tests:"
  # Also a fixture's clean-up failing, which fails the run although every test passed.
  awk '/^[[:space:]]+Failed [A-Za-z_]|Cleanup Failure|Catastrophic failure/ {n = 18} n > 0 {print; n--}' "$log"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit "$rc"
