#!/usr/bin/env bash
# Stops the services tools/start.sh started (pid files in .data/run), every instance of each (--scale).
#   bash tools/stop.sh           services only
#   bash tools/stop.sh --infra   also the Postgres/Redis/NATS/ClickHouse that tools/start.sh started under .data
#                                (servers that were already running are never stopped)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib/infra.sh
source tools/lib/scale.sh

quiet=0 infra=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --infra) infra=1 ;;
    *) sy_fail "Unknown option $arg. Usage: bash tools/stop.sh [--infra]"; exit 2 ;;
  esac
done

stopped=0
for svc in "${SY_SERVICES[@]}"; do
  # Every instance: the usual one and the extra ones of tools/start.sh --scale (gateway-1.pid, ...).
  while IFS= read -r pidfile; do
    name="$(basename "$pidfile" .pid)"
    pid="$(cat "$pidfile")"
    # Only signal the pid if it is still our service (pids are reused after a reboot or crash).
    if [[ -n "$pid" ]] && [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dist/apps/$svc/src/main.js"; then
      kill -TERM "$pid" 2>/dev/null || true
      if ! sy_wait 10 sy_pid_gone "$pid"; then
        sy_info "$name (pid $pid) did not stop within 10s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      stopped=$((stopped + 1))
      sy_step "$name: stopped (pid $pid)"
    fi
    rm -f "$pidfile"
  done < <(sy_instance_pidfiles "$svc")
done
if ((stopped == 0 && quiet == 0)); then sy_step "no Switchyard service was running"; fi

if ((infra)); then sy_stop_infra; fi
exit 0
