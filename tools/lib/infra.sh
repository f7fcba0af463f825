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

sy_dirs() { mkdir -p "$SY_DATA" "$SY_LOGS" "$SY_RUN"; }

# sy_port_open HOST PORT: true when something accepts TCP connections there (no nc needed).
sy_port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

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

sy_pg_ready() { pg_isready -q -h 127.0.0.1 -p "$SY_PG_PORT" -t 2 >/dev/null 2>&1; }
sy_pg_trust_ok() { psql -h 127.0.0.1 -p "$SY_PG_PORT" -U postgres -d postgres -w -Atqc 'select 1' >/dev/null 2>&1; }

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
  v="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$v" && -x "/usr/lib/postgresql/$v/bin/initdb" ]] && echo "/usr/lib/postgresql/$v/bin"
}

sy_ensure_postgres() {
  sy_dirs
  if sy_pg_ready; then
    sy_step "Postgres: already answering on 127.0.0.1:$SY_PG_PORT"
    sy_pg_check_login
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
  else
    local pgdata="$SY_DATA/postgres" bindir
    bindir="$(sy_pg_bindir || true)"
    if [[ -z "$bindir" ]]; then
      sy_step "Postgres: not installed"
      local before
      before="$(pg_lsclusters --no-header 2>/dev/null || true)"
      sy_apt_install postgresql || return 1
      bindir="$(sy_pg_bindir || true)"
      [[ -n "$bindir" ]] || { sy_fail "postgresql was installed but initdb is missing under /usr/lib/postgresql."; return 1; }
      # The Debian package creates an empty 'main' cluster with password auth; replace it with our trust-auth one.
      if [[ -z "$before" ]]; then
        while read -r ver name _; do
          [[ -n "${ver:-}" ]] || continue
          sy_info "removing the empty cluster $ver/$name the package created (Switchyard keeps its own under $(sy_rel "$SY_DATA/postgres"))"
          sy_as_root pg_dropcluster --stop "$ver" "$name" || true
        done < <(pg_lsclusters --no-header 2>/dev/null || true)
      fi
    fi
    if [[ ! -f "$pgdata/PG_VERSION" ]]; then
      sy_step "Postgres: creating a cluster under $(sy_rel "$SY_DATA/postgres") (trust auth, 127.0.0.1:$SY_PG_PORT)..."
      mkdir -p "$pgdata"
      sy_as_root chown postgres:postgres "$pgdata" && chmod 700 "$pgdata" || return 1
      if ! sy_as_root runuser -u postgres -- "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 \
        >"$SY_LOGS/postgres-initdb.log" 2>&1; then
        tail -n 20 "$SY_LOGS/postgres-initdb.log" >&2
        sy_fail "initdb failed (log: $SY_LOGS/postgres-initdb.log). Remove $pgdata and try again."
        return 1
      fi
    fi
    sy_step "Postgres: starting under $(sy_rel "$SY_DATA/postgres")..."
    mkdir -p "$pgdata/socket"
    sy_as_root chown postgres:postgres "$pgdata/socket"
    touch "$SY_LOGS/postgres.log" && sy_as_root chown postgres:postgres "$SY_LOGS/postgres.log"
    if ! sy_as_root runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -l "$SY_LOGS/postgres.log" -w -t "$SY_INFRA_TIMEOUT" \
      -o "-c listen_addresses=127.0.0.1 -c port=$SY_PG_PORT -c unix_socket_directories=$pgdata/socket" start >/dev/null; then
      tail -n 20 "$SY_LOGS/postgres.log" >&2
      sy_fail "Postgres did not start (log: $SY_LOGS/postgres.log). Is port $SY_PG_PORT taken? Set SY_PG_PORT and DATABASE_URL."
      return 1
    fi
  fi
  if ! sy_wait "$SY_INFRA_TIMEOUT" sy_pg_ready; then
    sy_fail "Postgres did not answer on 127.0.0.1:$SY_PG_PORT within ${SY_INFRA_TIMEOUT}s; check its log."
    return 1
  fi
  sy_step "Postgres: started, answering on 127.0.0.1:$SY_PG_PORT"
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
    # The package may have started its own service on the default port.
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
    sy_fail "Restart that nats-server with JetStream enabled: nats-server -js -sd <storage dir> (or 'jetstream {}' in its config)."
    return 1
  fi
}

sy_ensure_nats() {
  sy_dirs
  if sy_port_open 127.0.0.1 "$SY_NATS_PORT"; then
    sy_nats_check_js || return 1
    sy_step "NATS: already answering on 127.0.0.1:$SY_NATS_PORT (JetStream on)"
    return 0
  fi
  if [[ ! -x /usr/sbin/nats-server ]]; then
    sy_step "NATS: not installed"
    sy_apt_install nats-server || return 1
    if sy_port_open 127.0.0.1 "$SY_NATS_PORT"; then
      sy_nats_check_js || return 1
      sy_step "NATS: answering on 127.0.0.1:$SY_NATS_PORT (started by the package)"
      return 0
    fi
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
  if [[ -f "$SY_DATA/postgres/postmaster.pid" ]]; then
    local bindir
    bindir="$(sy_pg_bindir || true)"
    sy_step "Postgres: stopping the cluster under $(sy_rel "$SY_DATA/postgres")..."
    sy_as_root runuser -u postgres -- "$bindir/pg_ctl" -D "$SY_DATA/postgres" -m fast -w stop >/dev/null || true
  fi
}

# ---------------------------------------------------------------- all of it

# Points the services at the servers above when the ports were moved and the URLs were not given.
sy_export_infra_env() {
  [[ "$SY_PG_PORT" != 5432 ]] && export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:$SY_PG_PORT/switchyard}"
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
    if ! (cd "$SY_ROOT" && npm install --no-audit --no-fund) >"$SY_LOGS/npm-ci.log" 2>&1; then
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
