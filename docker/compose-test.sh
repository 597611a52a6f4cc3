#!/usr/bin/env bash
# `make compose-test`: build the images locally (no registry), start the whole stack with docker-compose
# (postgres, redis, migrate, api, worker), wait until api and worker are healthy, create an API key with the CLI
# inside the api container, add the sample corpus and submit the sample paper through the HTTP API, read the
# result, and always take the stack down again (`down -v`: containers, network and volumes).
# Host port: COMPOSE_TEST_PORT (default 18080); health wait per service: COMPOSE_TEST_WAIT_S (600 s);
# project name: COMPOSE_PROJECT_NAME (default integrity-compose-test).
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$SECONDS
stamp() { echo "compose-test: [$((SECONDS - T0)) s] $*"; }

WAIT_S=${COMPOSE_TEST_WAIT_S:-600}  # per service; a loaded 2-core host needed 146 s for the api once
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-integrity-compose-test}
export INTEGRITY_PORT=${COMPOSE_TEST_PORT:-18080}
export INTEGRITY_PUBLIC_BASE_URL="http://127.0.0.1:$INTEGRITY_PORT"
export INTEGRITY_BASE_IMAGE=${INTEGRITY_BASE_IMAGE:-integrity-base:bookworm}
export INTEGRITY_POSTGRES_IMAGE=${INTEGRITY_POSTGRES_IMAGE:-integrity-postgres:bookworm}
export INTEGRITY_REDIS_IMAGE=${INTEGRITY_REDIS_IMAGE:-integrity-redis:bookworm}
export INTEGRITY_IMAGE=${INTEGRITY_IMAGE:-integrity:latest}
INTEGRITY_ADMIN_API_KEY=ik_$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export INTEGRITY_ADMIN_API_KEY POSTGRES_PASSWORD
COMPOSE=(docker-compose)
docker-compose version >/dev/null 2>&1 || COMPOSE=(docker compose)

# 1. images (each step skips what is already built)
stamp "base images"
docker/build-base.sh
stamp "wheels"
docker/build-wheels.sh
stamp "docker build $INTEGRITY_IMAGE (FROM $INTEGRITY_BASE_IMAGE)"
tb=$SECONDS
docker build -q --build-arg "BASE_IMAGE=$INTEGRITY_BASE_IMAGE" -t "$INTEGRITY_IMAGE" . >/dev/null
stamp "image built in $((SECONDS - tb)) s: $(docker image inspect -f '{{.Size}}' "$INTEGRITY_IMAGE" |
  awk '{printf "%.0f MB", $1/1e6}')"

down() {
  stamp "docker-compose down -v"
  "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
}
dump_logs() {
  echo "compose-test: FAILED; last log lines:" >&2
  "${COMPOSE[@]}" ps >&2 || true
  "${COMPOSE[@]}" logs --no-color --tail=40 >&2 || true
}
trap 'rc=$?; [ $rc -eq 0 ] || dump_logs; down; exit $rc' EXIT

# 2. the stack (up waits for postgres/redis healthy and migrate completed before api and worker start)
down
stamp "docker-compose up -d (port $INTEGRITY_PORT)"
tu=$SECONDS
"${COMPOSE[@]}" up -d --no-build
for svc in api worker; do
  cid=$("${COMPOSE[@]}" ps -q "$svc")
  deadline=$((SECONDS + WAIT_S))
  while [ $SECONDS -lt $deadline ]; do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$cid")
    [ "$state" = healthy ] && break
    [ "$(docker inspect -f '{{.State.Running}}' "$cid")" = true ] || { echo "compose-test: $svc exited" >&2; exit 1; }
    sleep 2
  done
  [ "$state" = healthy ] || { echo "compose-test: $svc not healthy after $WAIT_S s ($state)" >&2; exit 1; }
  stamp "$svc healthy"
done
stamp "stack up and healthy in $((SECONDS - tu)) s"
migrate_rc=$(docker inspect -f '{{.State.ExitCode}}' "$("${COMPOSE[@]}" ps -q migrate)")
stamp "migrate exited $migrate_rc"
for svc in api worker; do
  stamp "$svc runs as uid $("${COMPOSE[@]}" exec -T "$svc" id -u), root fs read-only:" \
    "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$("${COMPOSE[@]}" ps -q "$svc")")"
done

# 3. a key through the CLI inside the container, then a check through the API
key=$("${COMPOSE[@]}" exec -T api integrity keys create --role reviewer --tenant compose-test --name compose-test |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
stamp "API key created with the CLI in the api container"
python3 docker/compose_smoke.py "http://127.0.0.1:$INTEGRITY_PORT" "$key"
stamp "OK: total $((SECONDS - T0)) s"
