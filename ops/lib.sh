# shellcheck shell=bash
# Shared settings for ops/ scripts. Source it, do not execute it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Repo root = parent of ops/, absolute and with symlinks resolved.
TALLY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# Remember whether TALLY_PG_DIR was chosen by us; ops/db only falls back to
# another location for the default, never for an explicit choice.
# shellcheck disable=SC2034  # used by ops/db
if [[ -n "${TALLY_PG_DIR:-}" ]]; then
    TALLY_PG_DIR_DEFAULT=0
else
    TALLY_PG_DIR_DEFAULT=1
    TALLY_PG_DIR="$TALLY_ROOT/.tally/pg"
fi

TALLY_PG_PORT="${TALLY_PG_PORT:-54329}"
TALLY_DB_NAME="${TALLY_DB_NAME:-tally}"
TALLY_DB_USER=tally

export TALLY_ROOT TALLY_PG_DIR TALLY_PG_PORT TALLY_DB_NAME TALLY_DB_USER

log() {
    printf '[tally] %s\n' "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

# Bin dir of the newest installed PostgreSQL server (one that has initdb;
# client-only packages also create /usr/lib/postgresql/N/bin).
pg_bin() {
    local dir ver best="" best_ver=-1
    for dir in /usr/lib/postgresql/*/bin; do
        ver="$(basename "$(dirname "$dir")")"
        [[ "$ver" =~ ^[0-9]+$ && -x "$dir/initdb" ]] || continue
        if ((ver > best_ver)); then
            best="$dir" best_ver="$ver"
        fi
    done
    if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
        best="$(pg_config --bindir)"
        [[ -x "$best/initdb" ]] || best=""
    fi
    [[ -n "$best" ]] || return 1
    echo "$best"
}

database_url() {
    echo "postgres://$TALLY_DB_USER@127.0.0.1:$TALLY_PG_PORT/${1:-$TALLY_DB_NAME}"
}

# apt_install PACKAGE...: installs Debian packages (root only; anyone else is told the command).
# The log is .tally/setup-apt.log; a concurrent apt or dpkg is waited for, not failed on.
apt_install() {
    ((EUID == 0)) || die "missing packages: $*; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $*"
    mkdir -p "$TALLY_ROOT/.tally"
    local apt_log="$TALLY_ROOT/.tally/setup-apt.log"
    log "installing: $* (log: .tally/setup-apt.log)"
    if ! { apt-get -o DPkg::Lock::Timeout=300 update &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@"; } \
        >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        die "apt-get install $* failed (log: .tally/setup-apt.log)"
    fi
}

# --- Private PostgreSQL servers (ops/db, ops/citus) ---
# Loopback only, trust auth, data owned by and run as the server user.

# PostgreSQL refuses to run as root, so root runs the server as `postgres`.
if ((EUID == 0)); then
    server_user=postgres
else
    server_user="$(id -un)"
fi

# Run a server-side command as the server user. fd 9 is our lock; close it
# so the postmaster does not inherit it and hold the lock forever.
as_server() {
    if ((EUID == 0)); then
        # cd /: the caller's cwd may be unreadable for postgres (e.g. under /root).
        (cd / && runuser -u postgres -- "$@" 9>&-)
    else
        "$@" 9>&-
    fi
}

# server_location DIR IS_DEFAULT ENV_NAME FALLBACK_NAME [quiet]: sets server_dir, where the
# servers of DIR (the value of ENV_NAME) live. When root runs them, user postgres must be able
# to reach DIR; if it cannot and DIR is our default (IS_DEFAULT 1), they live in
# /var/tmp/FALLBACK_NAME-HASH instead (one per checkout), mentioned unless "quiet".
server_location() {
    local dir="$1" is_default="$2" env_name="$3" fallback_name="$4" quiet="${5:-}"
    server_dir="$dir"
    ((EUID == 0)) || return 0
    id postgres >/dev/null 2>&1 || die "user postgres does not exist (run ops/setup)"
    # postgres must be able to reach the directory; we create missing parts with
    # mode 755, so check the nearest existing ancestor.
    local anc
    anc="$(dirname "$dir")"
    while [[ ! -d "$anc" ]]; do anc="$(dirname "$anc")"; done
    if ! runuser -u postgres -- test -x "$anc"; then
        ((is_default)) || die "user postgres cannot traverse to $anc, so it cannot use $env_name=$dir"
        # Same TALLY_ROOT -> same directory, so start/stop/status agree.
        server_dir="/var/tmp/$fallback_name-$(printf '%s' "$TALLY_ROOT" | sha256sum | cut -c1-12)"
        # /var/tmp is world-writable: only trust a directory we created.
        if [[ -e "$server_dir" ]] && [[ "$(stat -c %U "$server_dir")" != postgres ]]; then
            die "$server_dir exists but is not owned by postgres; remove it"
        fi
        [[ "$quiet" == quiet ]] ||
            log "notice: user postgres cannot traverse to $anc; using $server_dir instead of $dir"
    fi
}

# check_data_owner DATA: fails unless DATA (if it exists) belongs to the server user.
check_data_owner() {
    local owner
    [[ -e "$1" ]] || return 0
    owner="$(stat -c %U "$1")"
    [[ "$owner" == "$server_user" ]] ||
        die "$1 belongs to $owner but the server would run as $server_user; run ops/${0##*/} as $owner (root uses postgres)"
}

# take_lock FILE: serializes start/stop/reset (e.g. parallel test jobs all calling start).
take_lock() {
    mkdir -p "$(dirname "$1")"
    exec 9>>"$1"
    flock 9
}

# postmaster_pid DATA: PID of the postmaster serving DATA, or failure. A leftover
# postmaster.pid after a reboot may name a PID now used by an unrelated process, so check
# that the process really is a postmaster sitting in our data dir.
postmaster_pid() {
    local pid
    [[ -f "$1/postmaster.pid" ]] || return 1
    pid="$(head -n 1 "$1/postmaster.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] || return 1
    [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$(realpath "$1")" ]] || return 1
    echo "$pid"
}

# postmaster_port DATA: port the running server listens on (line 4 of postmaster.pid).
postmaster_port() {
    sed -n 4p "$1/postmaster.pid"
}

# make_server_dirs DATA DIR...: creates DATA (mode 700) and the DIRs, owned by the server user.
make_server_dirs() {
    mkdir -p "$@"
    chmod 700 "$1"
    if ((EUID == 0)); then
        chown postgres: "$@"
    fi
}

# init_server BIN DATA LOG_DIR [INITDB_ARGS]: initdb (superuser $TALLY_DB_USER, trust auth) into
# DATA, its output in LOG_DIR/initdb.log. Our settings go to DATA/tally.conf (rewritten on every start).
init_server() {
    local bin="$1" data="$2" log_dir="$3" locale=C.UTF-8
    shift 3
    locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || locale=C
    log "initializing cluster in $data (locale $locale)"
    if ! as_server "$bin/initdb" -D "$data" --username="$TALLY_DB_USER" --auth=trust \
        --encoding=UTF8 --locale="$locale" "$@" >"$log_dir/initdb.log" 2>&1; then
        cat "$log_dir/initdb.log" >&2
        die "initdb failed"
    fi
    echo "include_if_exists = 'tally.conf'" | as_server tee -a "$data/postgresql.conf" >/dev/null
}

# write_loopback_hba DATA: pg_hba.conf trusting every local user, loopback only.
write_loopback_hba() {
    as_server tee "$1/pg_hba.conf" >/dev/null <<EOF
# Managed by ops/${0##*/}; rewritten on every start.
# Loopback-only development cluster: any local user may connect as any role
# without a password. Never make it listen on a non-loopback address.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
host    all       all   ::1/128        trust
EOF
}

# start_server BIN DATA RUN_DIR LOG_FILE PORT [WHAT]: starts the stopped server of DATA (after
# removing a stale postmaster.pid); on failure shows the log's tail.
start_server() {
    local bin="$1" data="$2" run_dir="$3" log_file="$4" port="$5"
    local what="${6:-PostgreSQL $(cat "$2/PG_VERSION")}"
    if [[ -f "$data/postmaster.pid" ]]; then
        log "removing stale postmaster.pid (server is not running)"
        rm -f "$data/postmaster.pid" "$run_dir"/.s.PGSQL.*.lock
    fi
    log "starting $what on 127.0.0.1:$port (log: $log_file)"
    if ! as_server "$bin/pg_ctl" -D "$data" -l "$log_file" -w -t 60 start >&2; then
        tail -n 20 "$log_file" >&2 || true
        die "$what failed to start (log: $log_file)"
    fi
}

# --- Benchmarks (ops/load-claims, ops/bench-http) ---

# tally_binary VAR [CONFIGURATION]: the tally binary a benchmark runs: the file the environment
# variable VAR names, as it is (for A/B runs of two builds), else CONFIGURATION (release), built now.
tally_binary() {
    if [[ -n "${!1:-}" ]]; then
        [[ -x "${!1}" ]] || die "$1=${!1} is not an executable"
        realpath "${!1}"
    else
        "$TALLY_ROOT/ops/build" "${2:-release}" >&2
        echo "$TALLY_ROOT/.build/${2:-release}/tally"
    fi
}

# wrk drives the HTTP load (a Debian package; ops/setup does not install it).
need_wrk() {
    command -v wrk >/dev/null 2>&1 || apt_install wrk
}

# calc EXPRESSION: awk's arithmetic. In parentheses: inside print, a bare ">" would redirect
# to a file instead of comparing.
calc() { awk "BEGIN { print ($1) }"; }

# run_wrk OUT SECONDS THREADS CONNECTIONS SCRIPT URL [ARG ...]: one wrk run of SCRIPT (an
# ops/*.lua built on ops/wrk.lua) with ARGs, its output in OUT. Fails unless wrk printed its
# result line; logs the first unexpected answer.
run_wrk() {
    local out="$1" seconds="$2" threads="$3" connections="$4" script="$5" url="$6"
    shift 6
    timeout --kill-after=5 "$((seconds + 30))" wrk -t "$threads" -c "$connections" -d "${seconds}s" --timeout 5s \
        -s "$script" "$url" -- "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk ($out) failed"; }
    grep -q '^result ' "$out" || { cat "$out" >&2; die "wrk ($out) printed no result"; }
    if grep -q '^first_error ' "$out"; then log "$(basename "$out"): $(grep '^first_error ' "$out")"; fi
}

# wrk_field NAME OUT: a value of the result line ("result key=value ...") in a run_wrk output.
wrk_field() { sed -nE "s/^result (.* )?$1=([^ ]+).*/\2/p" "$2"; }

# pgbench_init DB LOG: a fresh database DB on the ops/db cluster, filled by `pgbench -i` (scale 1),
# its output in LOG.
pgbench_init() {
    "$TALLY_ROOT/ops/db" drop "$1" >/dev/null 2>&1 || true
    "$TALLY_ROOT/ops/db" create "$1" >/dev/null
    timeout 120 "$(pg_bin)/pgbench" -h 127.0.0.1 -p "$TALLY_PG_PORT" -U "$TALLY_DB_USER" -i -q "$1" >"$2" 2>&1 ||
        { cat "$2" >&2; die "pgbench -i failed"; }
}

# pgbench_tps LOG SECONDS DB [ARG ...]: pgbench with 8 clients on 2 threads for SECONDS on DB
# (ARGs: -S, -N, -R RATE, --log ...), its output in LOG; prints its tps.
pgbench_tps() {
    local log="$1" seconds="$2" db="$3" tps
    shift 3
    timeout --kill-after=5 "$((seconds + 30))" "$(pg_bin)/pgbench" -h 127.0.0.1 -p "$TALLY_PG_PORT" -U "$TALLY_DB_USER" \
        -c 8 -j 2 -T "$seconds" "$@" "$db" >"$log" 2>&1 || { cat "$log" >&2; die "pgbench $* failed"; }
    tps="$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$log" | head -n 1)"
    [[ -n "$tps" ]] || { cat "$log" >&2; die "no tps in the output of pgbench $*"; }
    echo "$tps"
}

# pgbench_latency PREFIX [start]: "p50 p99 max" in ms of the transactions that a `pgbench --log
# --log-prefix=PREFIX` run logged: from each one's scheduled start (with -R, so that a wait for a
# free client counts, as a request's wait inside the server does), or with "start" from its
# actual start. Log lines: client, transaction, latency µs (from the schedule), script, epoch s,
# µs, then with -R the lag µs.
pgbench_latency() {
    cat "$1".* | awk -v start="${2:-}" '{ print (start == "start" ? $3 - $7 : $3) }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; printf "%.2f %.2f %.2f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000, v[NR] / 1000 }'
}

# await_server PORT LOG: waits up to 10 s for /healthz on 127.0.0.1:PORT; else shows LOG and fails.
await_server() {
    local _
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return 0; sleep 0.1; done
    cat "$2" >&2
    die "the server did not start on port $1"
}

# Where the CPU goes during a phase: cpu_mark SERVER_PID before and after, then cpu_report or
# cpu_per_request. A mark is the machine's busy and total ticks (all CPUs), the server's ticks,
# our cluster's (the postmaster, its live children and those it has reaped; POSTMASTER PIDs if
# given, all of them: the nodes of a Citus cluster) and this script's reaped children (wrk, pgbench).
# cpu_mark SERVER_PID [POSTMASTER_PID ...]
cpu_mark() {
    local pm ticks=0 p pms=("${@:2}")
    ((${#pms[@]} > 0)) || pms=("$(ops/db status | sed -nE 's/^running \(pid ([0-9]+),.*/\1/p')")
    for pm in "${pms[@]}"; do
        [[ -n "$pm" ]] || continue
        ticks=$((ticks + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")))
        for p in $(pgrep -P "$pm"); do
            ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
        done
    done
    echo "$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)" \
        "$(awk '{ print $14 + $15 }' "/proc/$1/stat")" "$ticks" "$(awk '{ print $16 + $17 }' "/proc/$$/stat")"
}
# citus_postmasters: the PIDs of the ops/citus cluster's running nodes (coordinator, workers).
citus_postmasters() { "$TALLY_ROOT/ops/citus" status 2>/dev/null | sed -nE 's/^[a-z0-9]+: running \(pid ([0-9]+),.*/\1/p'; }
# cpu_report MARK0 MARK1 RATE: cores used by each, and CPU milliseconds per request at RATE/s.
cpu_report() {
    echo "$1 $2" | awk -v n="$(nproc)" -v rate="$3" '{
        t = ($7 - $2) / n; busy = ($6 - $1) / t; server = ($8 - $3) / t; pg = ($9 - $4) / t; gen = ($10 - $5) / t
        printf "CPU, cores of %d: server %.2f, postgres %.2f, wrk/pgbench %.2f, everything else %.2f, idle %.2f\n", \
            n, server, pg, gen, busy - server - pg - gen, n - busy
        printf "CPU ms per request: server %.2f, postgres %.2f, wrk/pgbench %.2f\n", \
            1000 * server / rate, 1000 * pg / rate, 1000 * gen / rate }'
}
# cpu_per_request MARK0 MARK1 RATE: CPU milliseconds per request at RATE/s of the server,
# PostgreSQL and wrk/pgbench, as "server postgres load".
cpu_per_request() {
    echo "$1 $2" | awk -v n="$(nproc)" -v rate="$3" '{
        t = ($7 - $2) / n
        if (rate <= 0 || t <= 0) { print "- - -"; exit }
        printf "%.3f %.3f %.3f\n", 1000 * ($8 - $3) / t / rate, 1000 * ($9 - $4) / t / rate, 1000 * ($10 - $5) / t / rate }'
}
