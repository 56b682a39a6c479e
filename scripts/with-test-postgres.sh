#!/usr/bin/env bash
# Runs a command (the test suite) beside a throwaway PostgreSQL cluster on loopback, for the
# PostgreSQL event store tests:
#   - installs Debian's `postgresql` package with apt-get when no server binaries are found;
#   - creates a cluster in a temporary directory (trust login for user postgres, loopback only,
#     fsync off: nothing in it outlives the run), starts it on a free port;
#   - runs the command with BEHAVIORKIT_TEST_POSTGRES_URL set, then stops and removes the cluster.
# When PostgreSQL cannot be installed or started, the command runs anyway and this says so; the
# PostgreSQL tests then report themselves as skipped. BEHAVIORKIT_SKIP_POSTGRES=1 skips on purpose.
set -uo pipefail

say() { echo "with-test-postgres: $*" >&2; }
server_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_cluster() {
	local bin
	bin=$(server_bin)
	if [ -z "$bin" ]; then
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		say "installing PostgreSQL (Debian package postgresql) for the PostgreSQL store tests..."
		$sudo apt-get install -y -qq postgresql >/dev/null 2>&1 ||
			{ $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq postgresql >/dev/null 2>&1; } ||
			{ say "could not install postgresql with apt-get"; return 1; }
		bin=$(server_bin)
		[ -n "$bin" ] || { say "postgresql installed but no server binaries under /usr/lib/postgresql"; return 1; }
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		say "running as root but there is no postgres user to run the server as"
		return 1
	fi
	cluster=$(mktemp -d /tmp/behaviorkit-test-postgres.XXXXXX) || return 1
	[ "$(id -u)" -eq 0 ] && chown postgres "$cluster"
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((40000 + RANDOM % 20000)))
	as_postgres "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust -E UTF8 --locale=C >"$cluster/initdb.log" 2>&1 ||
		{ say "initdb failed: $(tail -n 3 "$cluster/initdb.log")"; return 1; }
	as_postgres "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null ||
		{ say "the server did not start: $(tail -n 3 "$cluster/server.log")"; return 1; }
	pg_bin="$bin"
	export BEHAVIORKIT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
	say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster $cluster) for the tests"
}

stop_cluster() {
	if [ -n "${pg_bin:-}" ]; then
		as_postgres "$pg_bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1
	fi
	[ -n "${cluster:-}" ] && rm -rf "$cluster"
}

cluster=""
pg_bin=""
unset BEHAVIORKIT_TEST_POSTGRES_URL
if [ "${BEHAVIORKIT_SKIP_POSTGRES:-}" = 1 ]; then
	say "BEHAVIORKIT_SKIP_POSTGRES=1: the PostgreSQL store tests will be SKIPPED"
elif ! start_cluster; then
	stop_cluster
	cluster=""
	pg_bin=""
	say "no PostgreSQL server: the PostgreSQL store tests will be SKIPPED"
fi
trap stop_cluster EXIT
"$@"
