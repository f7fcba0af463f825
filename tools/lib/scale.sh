# shellcheck shell=bash
# How many instances of each service tools/start.sh runs (--scale gateway=2,router=2), their names, pid files and
# ports. Sourced after tools/lib/infra.sh (sy_fail). Instance 0 is the usual one ("gateway", port GATEWAY_PORT);
# the k-th extra one is "gateway-k" on GATEWAY_PORT + 10·k (admin likewise from ADMIN_PORT); router, translator and
# spend have no port: their extra instances share the work through NATS queue groups.

SY_SERVICES=(gateway router translator spend admin)
# 10 gateways end at GATEWAY_PORT + 90, well short of NATS' 4222 with the default ports.
SY_MAX_INSTANCES=10
declare -gA SY_SCALE=()

# Parses "gateway=2,router=3" (total instances per service) into SY_SCALE; services not named run once.
# Returns 2 after saying what is wrong.
sy_parse_scale() {
  local spec="$1" item svc count known
  local -a items=()
  local -A seen=()
  for svc in "${SY_SERVICES[@]}"; do SY_SCALE[$svc]=1; done
  if [[ -z "$spec" ]]; then
    sy_fail "--scale needs a value such as gateway=2,router=2 (services: ${SY_SERVICES[*]})."
    return 2
  fi
  IFS=',' read -ra items <<<"$spec"
  for item in "${items[@]}"; do
    if [[ ! "$item" =~ ^([a-z]+)=([0-9]{1,3})$ ]]; then
      sy_fail "--scale: \"$item\" is not <service>=<count>, e.g. gateway=2 (services: ${SY_SERVICES[*]})."
      return 2
    fi
    svc="${BASH_REMATCH[1]}" count=$((10#${BASH_REMATCH[2]}))
    known=0
    for s in "${SY_SERVICES[@]}"; do [[ "$s" == "$svc" ]] && known=1; done
    if ((!known)); then
      sy_fail "--scale: unknown service \"$svc\". Services: ${SY_SERVICES[*]}."
      return 2
    fi
    if [[ -n "${seen[$svc]:-}" ]]; then
      sy_fail "--scale: $svc is given twice; give each service once."
      return 2
    fi
    seen[$svc]=1
    if ((count < 1 || count > SY_MAX_INSTANCES)); then
      sy_fail "--scale: $svc=$count is out of range: give 1 to $SY_MAX_INSTANCES instances."
      return 2
    fi
    SY_SCALE[$svc]=$count
  done
}

# The name of instance k of a service: "gateway" for 0, "gateway-2" for the second extra one.
sy_instance_name() { if (($2 == 0)); then printf '%s' "$1"; else printf '%s-%s' "$1" "$2"; fi; }

# The HTTP port of instance k of a service that has one (base port + 10·k); nothing for the others.
sy_instance_port() {
  case "$1" in
    gateway) printf '%s' $((GATEWAY_PORT + 10 * $2)) ;;
    admin) printf '%s' $((ADMIN_PORT + 10 * $2)) ;;
  esac
}

# The pid files of every instance of a service that tools/start.sh wrote (any scale), one per line.
sy_instance_pidfiles() {
  local f
  for f in "$SY_RUN/$1.pid" "$SY_RUN/$1"-*.pid; do
    [[ -f "$f" ]] && printf '%s\n' "$f"
  done
  return 0
}
