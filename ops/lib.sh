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
