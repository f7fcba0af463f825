# shellcheck shell=bash
# Brings up the infrastructure Switchyard needs on loopback: Postgres, Redis, NATS (JetStream), ClickHouse.
# Sourced by tools/start.sh and tools/test.sh. Every function is idempotent: a server that already
# answers is reused; a missing one is installed with apt-get and started under .data/.
#
# Ports (infra only; the services read DATABASE_URL, REDIS_URL, NATS_URL, CLICKHOUSE_URL):
#   SY_PG_PORT (5432), SY_REDIS_PORT (6379), SY_NATS_PORT (4222),
#   SY_CH_HTTP_PORT (8123), SY_CH_TCP_PORT (9000), SY_CH_INTERSERVER_PORT (9009)
# SY_INFRA_TIMEOUT: seconds to wait for one server to answer (default 60).

SY_ROOT="${SY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SY_DATA="${SY_DATA:-$SY_ROOT/.data}"
SY_LOGS="$SY_DATA/logs"
SY_RUN="$SY_DATA/run"

SY_PG_PORT="${SY_PG_PORT:-5432}"
SY_REDIS_PORT="${SY_REDIS_PORT:-6379}"
SY_NATS_PORT="${SY_NATS_PORT:-4222}"
SY_CH_HTTP_PORT="${SY_CH_HTTP_PORT:-8123}"
SY_INFRA_TIMEOUT="${SY_INFRA_TIMEOUT:-60}"

sy_step() { printf '==> %s\n' "$*"; }
# Display form of a path under the data folder (".data/x" in the usual case).
sy_rel() { local p="$1"; [[ "$p" == "$SY_ROOT/"* ]] && p="${p#"$SY_ROOT/"}"; printf '%s' "$p"; }
sy_info() { printf '    %s\n' "$*"; }
sy_fail() { printf '!!  %s\n' "$*" >&2; }
sy_warn() { printf '!!  %s\n' "$*" >&2; }

sy_dirs() { mkdir -p "$SY_DATA" "$SY_LOGS" "$SY_RUN"; }

# sy_port_open HOST PORT: true when something accepts TCP connections there (no nc needed).
sy_port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
sy_port_closed() { ! sy_port_open 127.0.0.1 "$1"; }

# sy_wait SECONDS CMD...: runs CMD every 0.5 s until it succeeds or SECONDS pass.
sy_wait() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

sy_is_root() { [[ "$(id -u)" == 0 ]]; }

# sy_as_root CMD...: runs CMD as root (directly, or through passwordless sudo).
sy_as_root() {
  if sy_is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    sy_fail "This step needs root: $*"
    sy_fail "Run the command again as root (or with passwordless sudo), or start the server yourself."
    return 1
  fi
}

# sy_as_root_quiet CMD...: like sy_as_root, but silently fails when root is not available (for probes).
sy_as_root_quiet() {
  if sy_is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    "$@"
  fi
}
sy_can_root() { sy_is_root || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; }

sy_pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

SY_APT_UPDATED=0
# sy_apt_install PKG...: installs missing Debian packages; refreshes the package lists once when a package is unknown.
sy_apt_install() {
  local missing=() p
  for p in "$@"; do sy_pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    sy_fail "apt-get not found: install ${missing[*]} with your system's package manager, or use docker compose."
    return 1
  fi
  for p in "${missing[@]}"; do
    if [[ "$SY_APT_UPDATED" == 0 ]] && ! apt-cache show "$p" >/dev/null 2>&1; then
      sy_info "package $p is unknown to apt; running apt-get update..."
      sy_as_root apt-get update -qq || { sy_fail "apt-get update failed: check network access to your Debian mirror."; return 1; }
      SY_APT_UPDATED=1
    fi
  done
  sy_info "installing Debian package ${missing[*]}..."
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}")
  if ! sy_as_root "${install[@]}" >"$SY_LOGS/apt-install.log" 2>&1; then
    # Old package lists name versions the mirror no longer has: refresh them once and try again.
    if [[ "$SY_APT_UPDATED" == 0 ]]; then
      sy_info "install failed; running apt-get update and trying again..."
      SY_APT_UPDATED=1
      if sy_as_root apt-get update -qq && sy_as_root "${install[@]}" >"$SY_LOGS/apt-install.log" 2>&1; then
        return 0
      fi
    fi
    tail -n 20 "$SY_LOGS/apt-install.log" >&2
    sy_fail "apt-get install ${missing[*]} failed (full log: $SY_LOGS/apt-install.log)."
    return 1
  fi
}

sy_ensure_curl() {
  command -v curl >/dev/null 2>&1 && return 0
  sy_dirs
  sy_apt_install curl
}

# ---------------------------------------------------------------- Postgres

# sy_pg_ready [PORT] / sy_pg_trust_ok [PORT]: answers / lets user postgres in without a password (default SY_PG_PORT).
sy_pg_ready() { pg_isready -q -h 127.0.0.1 -p "${1:-$SY_PG_PORT}" -t 2 >/dev/null 2>&1; }
sy_pg_trust_ok() { psql -h 127.0.0.1 -p "${1:-$SY_PG_PORT}" -U postgres -d postgres -w -Atqc 'select 1' >/dev/null 2>&1; }

sy_pg_check_login() {
  if sy_pg_trust_ok; then return 0; fi
  if [[ -n "${DATABASE_URL:-}" ]]; then
    sy_info "passwordless login as postgres is refused; relying on DATABASE_URL from your environment."
    return 0
  fi
  sy_fail "Postgres on 127.0.0.1:$SY_PG_PORT refuses passwordless login as user postgres."
  sy_fail "Either set DATABASE_URL (e.g. postgres://postgres:PASSWORD@127.0.0.1:$SY_PG_PORT/switchyard) or add"
  sy_fail "'host all all 127.0.0.1/32 trust' to pg_hba.conf and reload Postgres."
  return 1
}

# Debian cluster (version) listening on our port, from pg_lsclusters.
sy_pg_debian_cluster() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 1
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$SY_PG_PORT" '$3 == port { print $1 " " $2; exit }'
}

sy_pg_bindir() {
  local v
  v="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$v" && -x "/usr/lib/postgresql/$v/bin/initdb" ]] && echo "/usr/lib/postgresql/$v/bin"
}

# The scripts' own cluster lives in $SY_DATA/postgres, or, when the postgres user cannot reach the data folder
# (a repository under /root, mode 700), in /var/lib/postgresql/switchyard-<id> with $SY_DATA/postgres a symlink to it.
SY_PG_LINK="$SY_DATA/postgres"

# Prints the folder of our own cluster (following the symlink); does not create anything.
sy_pg_own_dir() {
  if [[ -L "$SY_PG_LINK" ]]; then readlink -f "$SY_PG_LINK"; else printf '%s\n' "$SY_PG_LINK"; fi
}

# Port our own cluster runs on (line 4 of postmaster.pid), when it runs and answers.
sy_pg_own_port() {
  local dir port
  dir="$(sy_pg_own_dir)"
  port="$(sy_as_root_quiet sed -n 4p "$dir/postmaster.pid" 2>/dev/null || true)"
  [[ "$port" =~ ^[0-9]+$ ]] && sy_pg_ready "$port" && echo "$port"
}

# Log file of our own cluster: under .data/logs, or beside the cluster when the postgres user cannot write there.
sy_pg_own_log() {
  local dir
  dir="$(sy_pg_own_dir)"
  if [[ "$dir" == "$SY_PG_LINK" ]]; then echo "$SY_LOGS/postgres.log"; else echo "$dir.log"; fi
}

# Decides (once) where our own cluster lives; prints what it chose when it is outside the data folder.
sy_pg_place_own() {
  [[ -L "$SY_PG_LINK" || -f "$SY_PG_LINK/PG_VERSION" ]] && return 0
  if sy_as_root runuser -u postgres -- test -x "$SY_DATA"; then return 0; fi
  local dir
  dir="/var/lib/postgresql/switchyard-$(printf '%s' "$SY_DATA" | sha256sum | cut -c1-8)"
  sy_info "the postgres user cannot reach $SY_DATA (a parent folder is private, e.g. /root):"
  sy_info "the cluster goes to $dir instead ($(sy_rel "$SY_PG_LINK") links to it)"
  if [[ -d "$SY_PG_LINK" ]] && ! rmdir "$SY_PG_LINK" 2>/dev/null; then
    sy_fail "$SY_PG_LINK holds files but no cluster (a failed initdb?). Remove it and run the command again."
    return 1
  fi
  sy_as_root mkdir -p "$dir" && sy_as_root chown postgres:postgres "$dir" && sy_as_root chmod 700 "$dir" || return 1
  ln -s "$dir" "$SY_PG_LINK"
}

# initdb's locale: C.UTF-8 where the C library has it, else C (the caller's locale may not be generated).
sy_pg_locale() { if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then echo C.UTF-8; else echo C; fi; }

# sy_pg_start_own PORT: creates (once) and starts the scripts' own trust-auth cluster on 127.0.0.1:PORT.
sy_pg_start_own() {
  local port=$1 bindir pgdata log
  bindir="$(sy_pg_bindir || true)"
  [[ -n "$bindir" ]] || { sy_fail "initdb is missing under /usr/lib/postgresql: install the postgresql package."; return 1; }
  sy_pg_place_own || return 1
  pgdata="$(sy_pg_own_dir)"
  log="$(sy_pg_own_log)"
  if ! sy_as_root_quiet test -f "$pgdata/PG_VERSION"; then
    sy_step "Postgres: creating a cluster under $(sy_rel "$pgdata") (trust auth)..."
    mkdir -p "$pgdata" 2>/dev/null || sy_as_root mkdir -p "$pgdata" || return 1
    sy_as_root chown postgres:postgres "$pgdata" && sy_as_root chmod 700 "$pgdata" || return 1
    if ! sy_as_root runuser -u postgres -- env LC_ALL=C "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust \
      -E UTF8 --locale="$(sy_pg_locale)" >"$SY_LOGS/postgres-initdb.log" 2>&1; then
      tail -n 20 "$SY_LOGS/postgres-initdb.log" >&2
      sy_fail "initdb failed (log: $SY_LOGS/postgres-initdb.log). Remove $pgdata and try again."
      return 1
    fi
  fi
  sy_step "Postgres: starting the cluster under $(sy_rel "$pgdata") on 127.0.0.1:$port..."
  sy_as_root runuser -u postgres -- mkdir -p "$pgdata/socket" || return 1
  sy_as_root touch "$log" && sy_as_root chown postgres:postgres "$log" || return 1
  if ! sy_as_root runuser -u postgres -- env LC_ALL=C "$bindir/pg_ctl" -D "$pgdata" -l "$log" -w -t "$SY_INFRA_TIMEOUT" \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdata/socket" start >/dev/null; then
    sy_as_root tail -n 20 "$log" >&2
    sy_fail "Postgres did not start (log: $log). Is port $port taken? Set SY_PG_PORT and DATABASE_URL."
    return 1
  fi
  if ! sy_wait "$SY_INFRA_TIMEOUT" sy_pg_ready "$port"; then
    sy_fail "Postgres did not answer on 127.0.0.1:$port within ${SY_INFRA_TIMEOUT}s; see $log."
    return 1
  fi
  sy_step "Postgres: started, answering on 127.0.0.1:$port (log: $(sy_rel "$log"))"
}

# The Postgres on SY_PG_PORT refuses passwordless login and no DATABASE_URL was given: run our own trust-auth cluster
# beside it on the next free port (or reuse it when it already runs) and point DATABASE_URL at it.
sy_pg_use_own_beside() {
  local port
  if ! port="$(sy_pg_own_port)"; then
    port="$(sy_free_port $((SY_PG_PORT + 1)))" || { sy_fail "No free port above $SY_PG_PORT for Postgres."; return 1; }
    sy_pg_start_own "$port" || return 1
  fi
  if ! sy_pg_trust_ok "$port"; then
    sy_fail "Switchyard's own cluster on 127.0.0.1:$port refuses passwordless login too; see $(sy_pg_own_dir)/pg_hba.conf."
    return 1
  fi
  SY_PG_PORT=$port
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/switchyard"
  export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:$port/postgres}"
  sy_step "Postgres: using Switchyard's own trust-auth cluster on 127.0.0.1:$port (the other one is left as it is)"
  sy_info "DATABASE_URL=$DATABASE_URL (exported for the services and tests; set DATABASE_URL yourself to use another)"
}

sy_ensure_postgres() {
  sy_dirs
  if sy_pg_ready; then
    if sy_pg_trust_ok || [[ -n "${DATABASE_URL:-}" ]]; then
      sy_step "Postgres: already answering on 127.0.0.1:$SY_PG_PORT"
      sy_pg_check_login
      return
    fi
    sy_step "Postgres: answering on 127.0.0.1:$SY_PG_PORT, but it refuses passwordless login as postgres"
    sy_info "(Debian's default pg_hba.conf asks for a password on 127.0.0.1: scram-sha-256)"
    sy_pg_use_own_beside
    return
  fi
  local cluster ver name
  cluster="$(sy_pg_debian_cluster || true)"
  if [[ -n "$cluster" ]]; then
    read -r ver name <<<"$cluster"
    sy_step "Postgres: starting Debian cluster $ver/$name..."
    if ! sy_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start; then
      sy_fail "pg_ctlcluster $ver $name start failed: see /var/log/postgresql/postgresql-$ver-$name.log"
      return 1
    fi
    if ! sy_wait "$SY_INFRA_TIMEOUT" sy_pg_ready; then
      sy_fail "Postgres did not answer on 127.0.0.1:$SY_PG_PORT within ${SY_INFRA_TIMEOUT}s; check its log."
      return 1
    fi
    if sy_pg_trust_ok || [[ -n "${DATABASE_URL:-}" ]]; then
      sy_step "Postgres: started Debian cluster $ver/$name, answering on 127.0.0.1:$SY_PG_PORT"
      sy_pg_check_login
      return
    fi
    # It was stopped before we came: leave it stopped, as we found it.
    sy_info "cluster $ver/$name refuses passwordless login as postgres (Debian's default scram-sha-256); stopping it again"
    sy_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop || true
    sy_pg_use_own_beside
    return
  fi
  if [[ -z "$(sy_pg_bindir || true)" ]]; then
    sy_step "Postgres: not installed"
    local before
    before="$(pg_lsclusters --no-header 2>/dev/null || true)"
    sy_apt_install postgresql || return 1
    [[ -n "$(sy_pg_bindir || true)" ]] || { sy_fail "postgresql was installed but initdb is missing under /usr/lib/postgresql."; return 1; }
    # The package creates (and, where services may start, starts) a 'main' cluster with password auth on 5432;
    # drop it: Switchyard keeps its own trust-auth cluster.
    if [[ -z "$before" ]]; then
      while read -r ver name _; do
        [[ -n "${ver:-}" ]] || continue
        sy_info "removing the empty cluster $ver/$name the package created (Switchyard keeps its own under $(sy_rel "$SY_PG_LINK"))"
        sy_as_root pg_dropcluster --stop "$ver" "$name" || true
      done < <(pg_lsclusters --no-header 2>/dev/null || true)
    fi
  fi
  sy_pg_start_own "$SY_PG_PORT" || return 1
  sy_pg_check_login
}

# ---------------------------------------------------------------- Redis

sy_redis_ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$SY_REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

sy_ensure_redis() {
  sy_dirs
  if command -v redis-cli >/dev/null 2>&1 && sy_redis_ready; then
    sy_step "Redis: already answering on 127.0.0.1:$SY_REDIS_PORT"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    sy_step "Redis: not installed"
    sy_apt_install redis-server || return 1
    # Under systemd the package starts its service on 127.0.0.1:6379 (no password, as Switchyard expects) and at every
    # boot: it is reused. Where policy-rc.d kept it from starting (containers), Switchyard starts its own below.
    if sy_redis_ready; then sy_step "Redis: answering on 127.0.0.1:$SY_REDIS_PORT (started by the package)"; return 0; fi
  fi
  if sy_port_open 127.0.0.1 "$SY_REDIS_PORT"; then
    sy_fail "Port $SY_REDIS_PORT is taken by something that is not Redis. Free it, or set SY_REDIS_PORT and REDIS_URL."
    return 1
  fi
  mkdir -p "$SY_DATA/redis"
  sy_step "Redis: starting under $(sy_rel "$SY_DATA/redis")..."
  if ! redis-server --daemonize yes --bind 127.0.0.1 --port "$SY_REDIS_PORT" --save "" --appendonly no \
    --dir "$SY_DATA/redis" --logfile "$SY_LOGS/redis.log" --pidfile "$SY_RUN/redis.pid"; then
    sy_fail "redis-server failed to start; see $SY_LOGS/redis.log"
    return 1
  fi
  if ! sy_wait "$SY_INFRA_TIMEOUT" sy_redis_ready; then
    tail -n 20 "$SY_LOGS/redis.log" >&2 || true
    sy_fail "Redis did not answer on 127.0.0.1:$SY_REDIS_PORT within ${SY_INFRA_TIMEOUT}s (log: $SY_LOGS/redis.log)."
    return 1
  fi
  sy_step "Redis: started under $(sy_rel "$SY_DATA/redis"), answering on 127.0.0.1:$SY_REDIS_PORT"
}

# ---------------------------------------------------------------- NATS

# Prints the server's INFO line (it is sent on connect and says whether JetStream is enabled).
sy_nats_info() {
  # shellcheck disable=SC2016 # $line expands in the inner shell
  timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$SY_NATS_PORT"' || exit 1; IFS= read -r -t 2 line <&3 && printf "%s\n" "$line"' 2>/dev/null
}

sy_nats_ready() { sy_nats_info | grep -q '^INFO '; }

sy_nats_check_js() {
  local info
  info="$(sy_nats_info || true)"
  if [[ "$info" != INFO* ]]; then
    sy_fail "Something listens on 127.0.0.1:$SY_NATS_PORT but it is not a NATS server. Free the port or set SY_NATS_PORT and NATS_URL."
    return 1
  fi
  if [[ "$info" != *'"jetstream":true'* ]]; then
    sy_fail "NATS answers on 127.0.0.1:$SY_NATS_PORT but JetStream is OFF; Switchyard needs it for usage events."
    sy_fail "Restart that nats-server with JetStream enabled: nats-server -js -sd <storage dir> (or 'jetstream {}' in its config),"
    sy_fail "or set SY_NATS_PORT=$((SY_NATS_PORT + 1)) and the scripts start their own beside it (NATS_URL follows)."
    return 1
  fi
}

# Config file of the Debian package's nats-server service (ExecStart=/usr/sbin/nats-server -c /etc/nats-server.conf).
SY_NATS_PKG_CONF="${SY_NATS_PKG_CONF:-/etc/nats-server.conf}"

# sy_listener_pid PORT: pid of the process listening on 127.0.0.1:PORT (empty when unknown).
sy_listener_pid() {
  command -v ss >/dev/null 2>&1 || return 0
  sy_as_root_quiet ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2
}

# sy_is_pkg_nats PID: true when PID is the packaged service's nats-server (started with its config file).
sy_is_pkg_nats() {
  [[ -n "$1" && -r "/proc/$1/cmdline" ]] || return 1
  tr '\0' '\n' <"/proc/$1/cmdline" | grep -qxF -- "$SY_NATS_PKG_CONF"
}

# sy_disable_pkg_service NAME [PID]: stops a Debian package's service and keeps it from starting at boot.
# With systemd as PID 1: systemctl disable --now; otherwise its init script (if any), then PID itself if still alive.
# In containers whose policy-rc.d kept the package from starting it, this finds nothing running and changes nothing.
sy_disable_pkg_service() {
  local name=$1 pid=${2:-}
  if [[ -d /run/systemd/system ]]; then
    sy_as_root systemctl disable --now "$name" >/dev/null 2>&1 || sy_info "systemctl disable --now $name failed"
  elif [[ -x "/etc/init.d/$name" ]]; then
    sy_as_root service "$name" stop >/dev/null 2>&1 || true
    if command -v update-rc.d >/dev/null 2>&1; then sy_as_root update-rc.d "$name" disable >/dev/null 2>&1 || true; fi
  fi
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    sy_as_root start-stop-daemon --stop --quiet --oknodo --pid "$pid" --retry TERM/10/KILL/5 || return 1
  fi
}

sy_ensure_nats() {
  sy_dirs
  if [[ ! -x /usr/sbin/nats-server ]]; then
    sy_step "NATS: not installed"
    sy_apt_install nats-server || return 1
    # The package enables its service, which (under systemd) starts at once and at every boot from
    # /etc/nats-server.conf on 4222, without JetStream. Switchyard runs its own server with JetStream instead.
    sy_info "disabling the nats-server service the package set up (no JetStream; Switchyard starts its own)"
    local pkg_pid
    pkg_pid="$(sy_listener_pid "$SY_NATS_PORT")"
    sy_is_pkg_nats "$pkg_pid" || pkg_pid=
    sy_disable_pkg_service nats-server "$pkg_pid"
    sy_wait 15 sy_port_closed "$SY_NATS_PORT" || true
  fi
  if sy_port_open 127.0.0.1 "$SY_NATS_PORT"; then
    local info pid
    info="$(sy_nats_info || true)"
    if [[ "$info" == INFO* && "$info" != *'"jetstream":true'* ]]; then
      pid="$(sy_listener_pid "$SY_NATS_PORT")"
      if sy_is_pkg_nats "$pid" && sy_can_root; then
        sy_step "NATS: the packaged nats-server service answers on 127.0.0.1:$SY_NATS_PORT without JetStream"
        sy_info "stopping and disabling it (pid $pid, config $SY_NATS_PKG_CONF); Switchyard starts its own with JetStream"
        if [[ -d /run/systemd/system ]]; then
          sy_info "to get it back: bash tools/stop.sh --infra && systemctl enable --now nats-server"
        fi
        sy_disable_pkg_service nats-server "$pid" || { sy_fail "Could not stop the nats-server service (pid $pid)."; return 1; }
        if ! sy_wait 15 sy_port_closed "$SY_NATS_PORT"; then
          sy_fail "Port $SY_NATS_PORT is still taken after stopping the nats-server service; free it or set SY_NATS_PORT and NATS_URL."
          return 1
        fi
      fi
    fi
  fi
  if sy_port_open 127.0.0.1 "$SY_NATS_PORT"; then
    sy_nats_check_js || return 1
    sy_step "NATS: already answering on 127.0.0.1:$SY_NATS_PORT (JetStream on)"
    return 0
  fi
  mkdir -p "$SY_DATA/nats"
  sy_step "NATS: starting under $(sy_rel "$SY_DATA/nats") (JetStream on)..."
  # --pidfile makes start-stop-daemon look only at our own server, not any other nats-server on the machine.
  if ! start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$SY_RUN/nats.pid" \
    --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p "$SY_NATS_PORT" -js -sd "$SY_DATA/nats" -l "$SY_LOGS/nats.log"; then
    sy_fail "start-stop-daemon could not start nats-server; see $SY_LOGS/nats.log"
    return 1
  fi
  if ! sy_wait "$SY_INFRA_TIMEOUT" sy_nats_ready; then
    tail -n 20 "$SY_LOGS/nats.log" >&2 || true
    sy_fail "NATS did not answer on 127.0.0.1:$SY_NATS_PORT within ${SY_INFRA_TIMEOUT}s (log: $SY_LOGS/nats.log)."
    return 1
  fi
  sy_nats_check_js || return 1
  sy_step "NATS: started under $(sy_rel "$SY_DATA/nats"), answering on 127.0.0.1:$SY_NATS_PORT (JetStream on)"
}

# ---------------------------------------------------------------- ClickHouse

sy_ch_ready() { [[ "$(curl -s --max-time 2 "http://127.0.0.1:$SY_CH_HTTP_PORT/ping" 2>/dev/null)" == Ok* ]]; }

# sy_free_port PREFERRED: prints PREFERRED when free, else the first free port above it (up to +100).
sy_free_port() {
  local p=$1
  while sy_port_open 127.0.0.1 "$p"; do
    p=$((p + 1))
    ((p > $1 + 100)) && return 1
  done
  echo "$p"
}

sy_ensure_clickhouse() {
  sy_dirs
  sy_ensure_curl || return 1
  if sy_ch_ready; then
    sy_step "ClickHouse: already answering on 127.0.0.1:$SY_CH_HTTP_PORT"
    return 0
  fi
  if sy_port_open 127.0.0.1 "$SY_CH_HTTP_PORT"; then
    sy_fail "Port $SY_CH_HTTP_PORT is taken by something that is not ClickHouse. Free it, or set SY_CH_HTTP_PORT and CLICKHOUSE_URL."
    return 1
  fi
  if ! command -v clickhouse-server >/dev/null 2>&1; then
    sy_step "ClickHouse: not installed"
    sy_apt_install clickhouse-server || return 1
    if sy_ch_ready; then sy_step "ClickHouse: answering on 127.0.0.1:$SY_CH_HTTP_PORT (started by the package)"; return 0; fi
  fi
  # The native and interserver ports are not used by Switchyard; move them when another server holds the defaults.
  local tcp_port inter_port chdir="$SY_DATA/clickhouse"
  tcp_port="${SY_CH_TCP_PORT:-$(sy_free_port 9000)}" || { sy_fail "No free port near 9000; set SY_CH_TCP_PORT."; return 1; }
  inter_port="${SY_CH_INTERSERVER_PORT:-$(sy_free_port 9009)}" || { sy_fail "No free port near 9009; set SY_CH_INTERSERVER_PORT."; return 1; }
  [[ "$tcp_port" == "$inter_port" ]] && inter_port="$(sy_free_port $((inter_port + 1)))"
  mkdir -p "$chdir/tmp"
  sy_step "ClickHouse: starting under $(sy_rel "$SY_DATA/clickhouse") (http $SY_CH_HTTP_PORT, native $tcp_port, interserver $inter_port)..."
  # ClickHouse runs in the foreground; setsid + nohup detach it from this shell so it outlives the script.
  # Runs as the current user (root in the quick start); all its files live under the data folder.
  setsid nohup clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- \
    --path="$chdir/" --tmp_path="$chdir/tmp/" \
    --http_port="$SY_CH_HTTP_PORT" --tcp_port="$tcp_port" --interserver_http_port="$inter_port" \
    --logger.log="$SY_LOGS/clickhouse.log" --logger.errorlog="$SY_LOGS/clickhouse.err.log" \
    >"$SY_LOGS/clickhouse.stdout.log" 2>&1 </dev/null &
  if ! sy_wait "$SY_INFRA_TIMEOUT" sy_ch_ready; then
    tail -n 20 "$SY_LOGS/clickhouse.err.log" "$SY_LOGS/clickhouse.stdout.log" >&2 2>/dev/null || true
    sy_fail "ClickHouse did not answer on 127.0.0.1:$SY_CH_HTTP_PORT within ${SY_INFRA_TIMEOUT}s (logs: $SY_LOGS/clickhouse*.log)."
    sy_fail "If a port is taken, set SY_CH_TCP_PORT / SY_CH_INTERSERVER_PORT; remove .data/clickhouse if its files are damaged."
    return 1
  fi
  pgrep -f -- "--path=$chdir/" | head -n 1 >"$SY_RUN/clickhouse.pid" || true
  sy_step "ClickHouse: started under $(sy_rel "$SY_DATA/clickhouse"), answering on 127.0.0.1:$SY_CH_HTTP_PORT"
}

# ---------------------------------------------------------------- stopping what we started

# sy_stop_pidfile NAME PIDFILE: SIGTERM the process, wait up to 30 s, then SIGKILL.
sy_stop_pidfile() {
  local name=$1 pidfile=$2 pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    sy_step "$name: stopping (pid $pid)..."
    kill -TERM "$pid" 2>/dev/null || true
    if ! sy_wait 30 sy_pid_gone "$pid"; then
      sy_info "$name did not stop within 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}
sy_pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# Stops only the servers this script started under the data folder; servers found running are left alone.
sy_stop_infra() {
  sy_stop_pidfile ClickHouse "$SY_RUN/clickhouse.pid"
  sy_stop_pidfile NATS "$SY_RUN/nats.pid"
  sy_stop_pidfile Redis "$SY_RUN/redis.pid"
  local pgdata
  pgdata="$(sy_pg_own_dir)"
  if sy_as_root_quiet test -f "$pgdata/postmaster.pid"; then
    local bindir
    bindir="$(sy_pg_bindir || true)"
    sy_step "Postgres: stopping the cluster under $(sy_rel "$pgdata")..."
    sy_as_root runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null || true
  fi
}

# ---------------------------------------------------------------- all of it

# Points the services at the servers above when the ports were moved and the URLs were not given.
sy_export_infra_env() {
  if [[ "$SY_PG_PORT" != 5432 ]]; then
    export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:$SY_PG_PORT/switchyard}"
    # Integration tests that create their own databases connect to the maintenance database here.
    export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:$SY_PG_PORT/postgres}"
  fi
  [[ "$SY_REDIS_PORT" != 6379 ]] && export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$SY_REDIS_PORT}"
  [[ "$SY_NATS_PORT" != 4222 ]] && export NATS_URL="${NATS_URL:-nats://127.0.0.1:$SY_NATS_PORT}"
  [[ "$SY_CH_HTTP_PORT" != 8123 ]] && export CLICKHOUSE_URL="${CLICKHOUSE_URL:-http://127.0.0.1:$SY_CH_HTTP_PORT}"
  return 0
}

sy_ensure_infra() {
  local failed=0
  sy_ensure_postgres || failed=1
  sy_ensure_redis || failed=1
  sy_ensure_nats || failed=1
  sy_ensure_clickhouse || failed=1
  if ((failed)); then
    sy_fail "Infrastructure is not ready: fix the problems above and run the command again."
    return 1
  fi
  sy_export_infra_env
}

# npm ci unless node_modules already matches package-lock.json (stamp of its hash in .data).
sy_npm_ci() {
  sy_dirs
  local stamp="$SY_DATA/npm-ci.stamp" hash
  hash="$(sha256sum "$SY_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ -d "$SY_ROOT/node_modules" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    sy_step "npm ci: node_modules matches package-lock.json, skipped"
    return 0
  fi
  # No stamp yet: npm's own record of the installed tree (node_modules/.package-lock.json) tells whether it matches.
  if [[ -f "$SY_ROOT/node_modules/.package-lock.json" ]] && (cd "$SY_ROOT" && node -e '
    const lock = require("./package-lock.json").packages, have = require("./node_modules/.package-lock.json").packages;
    for (const [k, v] of Object.entries(lock)) {
      if (!k) continue;
      const h = have[k];
      if (!h) { if (v.optional || v.devOptional) continue; process.exit(1); }
      if (h.version !== v.version || (v.integrity && h.integrity !== v.integrity)) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!lock[k]) process.exit(1);') 2>/dev/null; then
    echo "$hash" >"$stamp"
    sy_step "npm ci: node_modules matches package-lock.json, skipped"
    return 0
  fi
  sy_step "npm ci..."
  if ! (cd "$SY_ROOT" && npm ci --no-audit --no-fund) >"$SY_LOGS/npm-ci.log" 2>&1; then
    if ! grep -q 'can only install packages when your package.json and package-lock.json' "$SY_LOGS/npm-ci.log"; then
      tail -n 30 "$SY_LOGS/npm-ci.log" >&2
      sy_fail "npm ci failed (log: $(sy_rel "$SY_LOGS/npm-ci.log")): check access to the npm registry and that Node >= 20.19 is installed."
      return 1
    fi
    # npm ci insists that the lock lists every optional platform package (darwin, win32, ...), which a registry
    # mirror serving only some platforms cannot provide; npm install resolves the same tree from the same lock.
    sy_info "npm ci refused a lock file without some optional platform packages; installing with npm install instead"
    # --no-save: the tracked package-lock.json stays as it is (the work tree stays clean).
    if ! (cd "$SY_ROOT" && npm install --no-save --no-audit --no-fund) >"$SY_LOGS/npm-ci.log" 2>&1; then
      tail -n 30 "$SY_LOGS/npm-ci.log" >&2
      sy_fail "npm install failed (log: $(sy_rel "$SY_LOGS/npm-ci.log")): check access to the npm registry."
      return 1
    fi
    hash="$(sha256sum "$SY_ROOT/package-lock.json" | cut -d' ' -f1)"
  fi
  sy_info "dependencies installed (log: $(sy_rel "$SY_LOGS/npm-ci.log"))"
  echo "$hash" >"$stamp"
}

sy_check_node() {
  if ! command -v node >/dev/null 2>&1; then
    sy_fail "node not found: install Node.js >= 20.19."
    return 1
  fi
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    sy_fail "Node $(node -v) is too old: Switchyard needs Node >= 20.19."
    return 1
  fi
}
