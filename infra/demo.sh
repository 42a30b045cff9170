#!/usr/bin/env bash
# Runs a demo synthetic job through the HTTP API and prints its result and the URLs to look at.
set -euo pipefail

# REPORTING_URL: where this script reaches Reporting; PUBLIC_URL: the address printed for a browser (docker compose's demo
# service reaches http://reporting:5080 and prints the published http://127.0.0.1:5080).
api="${REPORTING_URL:-http://127.0.0.1:5080}"
public="${PUBLIC_URL:-$api}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
key="${API_KEY:-$(cat "$root/.run/admin.key")}"
body='{"platform":"synthetic","settings":{"children":100,"grandchildren":2,"work_ms":5}}'
echo "[demo] POST $api/jobs $body"
response="$(curl -fsS -X POST "$api/jobs" -H 'content-type: application/json' -H "X-Api-Key: $key" -d "$body")"
id="$(jq -r .id <<<"$response")"
echo "[demo] accepted job $id"
# The status request answers as soon as the job ends (or after 10 s with the status as it is then).
status=""
for _ in $(seq 1 12); do
  status="$(curl -fsS -H "X-Api-Key: $key" "$api/jobs/$id/status?wait=10" | jq -r .status)"
  case "$status" in
    Completed|CompletedWithFailures|Failed|Cancelled) break ;;
  esac
done
# The audit trail (generations, failures) catches up just after the end: wait until it holds every child.
for _ in $(seq 1 40); do
  job="$(curl -fsS -H "X-Api-Key: $key" "$api/jobs/$id")"
  [[ "$(jq '[.generations[].children] | add // 0' <<<"$job")" == "$(jq .children.total <<<"$job")" ]] && break
  sleep 0.25
done
echo "[demo] result: $(jq -c . <<<"$job")"
cat <<TXT

  Console              $public/console/  (sign in with the administrator key below; this job: $public/console/#/jobs/$id)
  Reporting API        $public  (GET /jobs/$id, GET /platforms; OpenAPI UI at $public/scalar)
  Administrator key    $key  (header X-Api-Key; also in ${KEY_SOURCE:-.run/admin.key})
  RabbitMQ management  http://127.0.0.1:15672  (${RABBITMQ_LOGIN:-guest / guest})
  Metrics              http://127.0.0.1:5080/metrics ... :5084/metrics
  Health               http://127.0.0.1:508{0..4}/health/ready
  Logs                 ${LOGS_HINT:-.run/logs/<Service>.log   (stop everything with: make stop)}
TXT
[[ "$status" == Completed ]] || { echo "[demo] the demo job ended $status" >&2; exit 1; }
