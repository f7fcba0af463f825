#!/usr/bin/env bash
# Quick start: installs dependencies, brings up Postgres/Redis/NATS/ClickHouse on loopback, builds,
# migrates, and runs the five Switchyard services in the background. Safe to run again: it restarts them.
#   bash tools/start.sh        (stop with: bash tools/stop.sh)
#   bash tools/start.sh --scale gateway=2,router=2
#                              several instances of any service; the k-th extra gateway listens on
#                              GATEWAY_PORT + 10·k (4010, 4020, ...), the k-th extra admin on ADMIN_PORT + 10·k
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib/infra.sh
source tools/lib/scale.sh

SERVICES=("${SY_SERVICES[@]}")
scale_spec=
while (($# > 0)); do
  case "$1" in
    --scale)
      if (($# < 2)); then
        sy_fail "--scale needs a value, e.g. --scale gateway=2,router=2."
        exit 2
      fi
      scale_spec="$2"
      shift 2
      ;;
    --scale=*)
      scale_spec="${1#--scale=}"
      shift
      ;;
    *)
      sy_fail "Unknown option $1. Usage: bash tools/start.sh [--scale <service>=<count>,...]"
      exit 2
      ;;
  esac
done
if [[ -n "$scale_spec" ]]; then
  sy_parse_scale "$scale_spec" || exit 2
else
  sy_parse_scale "gateway=1"
fi
HEALTH_TIMEOUT="${SY_HEALTH_TIMEOUT:-60}"

export SWITCHYARD_CONFIG="${SWITCHYARD_CONFIG:-infra/config/demo.yaml}"
# No master key is exported here: SWITCHYARD_MASTER_KEY, else the config's general_settings.master_key, else the
# public demo key (on 127.0.0.1 only) is decided by the gateway and admin themselves (libs/config master-key.ts).
GATEWAY_PORT="${GATEWAY_PORT:-4000}"
ADMIN_PORT="${ADMIN_PORT:-4001}"
export GATEWAY_PORT ADMIN_PORT
# Gateways forward the admin routes to the first admin, wherever ADMIN_PORT put it.
export SWITCHYARD_ADMIN_URL="${SWITCHYARD_ADMIN_URL:-http://127.0.0.1:$ADMIN_PORT}"
# Plain log files: no ANSI colours from Nest's logger.
export NO_COLOR="${NO_COLOR:-1}"

sy_check_node
sy_dirs
sy_npm_ci
sy_ensure_infra

sy_step "build (npm run build)..."
if ! npm run --silent build; then
  sy_fail "The build failed: fix the TypeScript errors above, then run bash tools/start.sh again."
  exit 1
fi

sy_step "migrations..."
if ! node dist/tools/migrate.js; then
  sy_fail "Migrations failed (see above). Fix the cause and run bash tools/start.sh again."
  exit 1
fi

for svc in "${SERVICES[@]}"; do
  if [[ ! -f "dist/apps/$svc/src/main.js" ]]; then
    sy_fail "dist/apps/$svc/src/main.js is missing: the build did not produce the $svc service (is there apps/$svc/src/main.ts?)."
    exit 1
  fi
done

bash tools/stop.sh --quiet

# Every instance to start (name, service, HTTP port or empty), and the ports that must answer /health.
INSTANCES=() HTTP_PORTS=()
for svc in "${SERVICES[@]}"; do
  for ((k = 0; k < SY_SCALE[$svc]; k++)); do
    INSTANCES+=("$(sy_instance_name "$svc" "$k")")
    port="$(sy_instance_port "$svc" "$k")"
    [[ -n "$port" ]] && HTTP_PORTS+=("$port")
    # The usual ports were always taken by whatever answered there; an extra one must be free.
    if [[ -n "$port" ]] && ((k > 0)) && ! sy_port_closed "$port"; then
      sy_fail "Port $port (for $(sy_instance_name "$svc" "$k")) is in use. Free it, or set ${svc^^}_PORT so that"
      sy_fail "${svc^^}_PORT + 10·k lands on free ports, then run bash tools/start.sh again."
      exit 1
    fi
  done
done

sy_step "starting services (config $SWITCHYARD_CONFIG)..."
for svc in "${SERVICES[@]}"; do
  entry="dist/apps/$svc/src/main.js"
  for ((k = 0; k < SY_SCALE[$svc]; k++)); do
    name="$(sy_instance_name "$svc" "$k")"
    log="$SY_LOGS/$name.log"
    [[ -f "$log" ]] && mv -f "$log" "$log.prev"
    port_env=()
    case "$svc" in
      gateway) port_env=("GATEWAY_PORT=$(sy_instance_port gateway "$k")") ;;
      admin) port_env=("ADMIN_PORT=$(sy_instance_port admin "$k")") ;;
    esac
    # setsid: the services keep running after this script (and its terminal) ends.
    env "${port_env[@]}" setsid nohup node "$entry" >"$log" 2>&1 </dev/null &
    echo $! >"$SY_RUN/$name.pid"
    sy_info "$name: pid $!, ${port_env[0]:+${port_env[0]#*=} as port, }log $(sy_rel "$log")"
  done
done

healthy() { curl -sf --max-time 2 "http://127.0.0.1:$1/health" >/dev/null; }
all_healthy() {
  local port
  for port in "${HTTP_PORTS[@]}"; do healthy "$port" || return 1; done
}
first_unhealthy() {
  local svc k
  for svc in gateway admin; do
    for ((k = 0; k < SY_SCALE[$svc]; k++)); do
      healthy "$(sy_instance_port "$svc" "$k")" || { sy_instance_name "$svc" "$k"; return 0; }
    done
  done
}
dead_service() {
  local name
  for name in "${INSTANCES[@]}"; do
    kill -0 "$(cat "$SY_RUN/$name.pid")" 2>/dev/null || { echo "$name"; return 0; }
  done
  return 1
}
show_failure() {
  local svc=$1
  sy_fail "$svc is not healthy. Last lines of $(sy_rel "$SY_LOGS/$svc.log"):"
  tail -n 30 "$SY_LOGS/$svc.log" >&2 || true
  bash tools/stop.sh --quiet >/dev/null
  sy_fail "Stopped the other services. Fix the cause (config: $SWITCHYARD_CONFIG; environment variables in README.md),"
  sy_fail "then run bash tools/start.sh again."
}

sy_step "waiting for /health on gateway and admin (ports ${HTTP_PORTS[*]})..."
deadline=$((SECONDS + HEALTH_TIMEOUT))
while ! all_healthy; do
  if dead="$(dead_service)"; then
    show_failure "$dead"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    show_failure "$(first_unhealthy)"
    exit 1
  fi
  sleep 0.5
done
# A service without an HTTP port (router, translator, spend) that crashed at boot shows up by now.
if dead="$(dead_service)"; then
  show_failure "$dead"
  exit 1
fi

# Which key the gateway took (it logs where from, never the key itself unless it is the public demo value).
gateway_log="$SY_LOGS/gateway.log"
# Only the well-known demo key is printed; a real key stays out of terminals and logs.
if grep -q 'master key from the public demo key' "$gateway_log"; then
  key=sk-switchyard-demo py_key='"sk-switchyard-demo"' js_key="'sk-switchyard-demo'" py_import=
  key_note="sk-switchyard-demo (public demo value, loopback only: set SWITCHYARD_MASTER_KEY for anything else)"
elif grep -q 'master key from general_settings.master_key' "$gateway_log"; then
  key='<general_settings.master_key>' py_key='"<general_settings.master_key>"' js_key="'<general_settings.master_key>'"
  py_import=
  key_note="general_settings.master_key of $SWITCHYARD_CONFIG"
else
  # shellcheck disable=SC2016 # printed literally, for the user's shell
  key='$SWITCHYARD_MASTER_KEY' py_key='os.environ["SWITCHYARD_MASTER_KEY"]' js_key='process.env.SWITCHYARD_MASTER_KEY'
  py_import=$'\n  import os'
  # shellcheck disable=SC2016
  key_note='the value of $SWITCHYARD_MASTER_KEY'
fi
loopback_note=
if grep -q 'LOOPBACK ONLY' "$gateway_log" "$SY_LOGS/admin.log"; then
  loopback_note="$(grep -h -o 'LOOPBACK ONLY.*' "$gateway_log" | head -n 1 || true)"
  sy_warn "$loopback_note"
fi
# LiteLLM settings the config uses that Switchyard does not act on (the translator names them once at boot).
ignored_line="$(grep -h -o 'ignored: .*' "$SY_LOGS/translator.log" | head -n 1 || true)"
[[ -n "$ignored_line" ]] && sy_warn "$ignored_line"
# The extra instances of --scale, one line per service that has any.
scale_summary() {
  local svc k line
  for svc in "${SERVICES[@]}"; do
    ((SY_SCALE[$svc] > 1)) || continue
    line="  $svc x${SY_SCALE[$svc]}:"
    for ((k = 0; k < SY_SCALE[$svc]; k++)); do
      line+=" $(sy_instance_name "$svc" "$k")"
      [[ -n "$(sy_instance_port "$svc" "$k")" ]] && line+=" (:$(sy_instance_port "$svc" "$k"))"
    done
    printf '\n%s' "$line"
  done
}
cat <<EOF

Switchyard is running.${loopback_note:+ ($loopback_note)}
  gateway  http://localhost:$GATEWAY_PORT/v1   (OpenAI-compatible API)
  admin    http://localhost:$ADMIN_PORT        (API docs: http://localhost:$ADMIN_PORT/docs)
  master key: $key_note
  logs: $(sy_rel "$SY_LOGS")/<service>.log    stop: bash tools/stop.sh$(scale_summary)

Try it:
  curl -s http://localhost:$GATEWAY_PORT/v1/chat/completions \\
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'

With the official openai client (Python):$py_import
  from openai import OpenAI
  client = OpenAI(base_url="http://localhost:$GATEWAY_PORT/v1", api_key=$py_key)
  print(client.chat.completions.create(model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello!"}]).choices[0].message.content)

With the official openai client (JavaScript):
  import OpenAI from 'openai';
  const client = new OpenAI({ baseURL: 'http://localhost:$GATEWAY_PORT/v1', apiKey: $js_key });
  const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] });
  console.log(r.choices[0].message.content);

Create a virtual key for a team: see "Admin API" in README.md.
EOF
