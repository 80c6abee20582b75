#!/usr/bin/env bash
# scripts/test.sh — the body of `make test`.
#
# Installs what the tests need (PostgreSQL server, Chromium, fonts) when
# running as root on Debian, starts a throwaway PostgreSQL cluster on
# 127.0.0.1, runs `go test -race -count=1 ./...` against it and always tears
# the cluster down again (also on failure or Ctrl-C).
#
# Environment:
#   TESTFLAGS  extra arguments for go test, e.g. TESTFLAGS='-run Foo -v'
#   CI         when "true", a missing/broken PostgreSQL is a hard failure
#              instead of a warning.
set -euo pipefail

cd "$(dirname "$0")/.."

say()  { printf 'test: %s\n' "$*"; }
warn() { printf 'test: WARNING: %s\n' "$*" >&2; }
die()  { printf 'test: ERROR: %s\n' "$*" >&2; exit 1; }

is_ci() { [[ "${CI:-}" == "true" ]]; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null 2>&1 || die "go not found in PATH (nor /usr/local/go/bin)"

is_root=false
[[ "$(id -u)" -eq 0 ]] && is_root=true

# ---------------------------------------------------------------------------
# Work dir (data dir, socket dir, logs) and cleanup.
# As root the cluster runs as "postgres", which must be able to reach the
# directory, so use /tmp rather than a possibly mode-700 $TMPDIR.
if $is_root; then
	work=$(mktemp -d /tmp/roster-pg.XXXXXX)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/roster-pg.XXXXXX")
fi
log="$work/setup.log"
: >"$log"
datadir="$work/data"
pg_started=false
pgbin=""

# as_pg runs a PostgreSQL tool as the cluster owner, from inside $work so the
# tool never trips over an unreadable current directory.
as_pg() {
	if $is_root; then
		(cd "$work" && runuser -u postgres -- "$@")
	else
		(cd "$work" && "$@")
	fi
}

show_log() {
	if [[ -s "$log" ]]; then
		printf 'test: ---- last lines of %s ----\n' "$log" >&2
		tail -n 40 "$log" >&2 || true
		printf 'test: ----\n' >&2
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if $pg_started; then
		if ! as_pg "$pgbin/pg_ctl" -D "$datadir" -m immediate -w -t 20 stop >>"$log" 2>&1; then
			# Last resort: kill the postmaster by pid.
			if [[ -f "$datadir/postmaster.pid" ]]; then
				kill -9 "$(head -n 1 "$datadir/postmaster.pid")" 2>/dev/null || true
			fi
		fi
		say "stopped PostgreSQL"
	fi
	rm -rf "$work" "${bindir:-}"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Locate / install prerequisites.

# find_pgbin sets pgbin to a directory holding initdb, pg_ctl and postgres.
# Prefer the real Debian binaries over wrappers somewhere on PATH.
has_server_bins() {
	[[ -n "$1" && -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]
}
find_pgbin() {
	local d
	pgbin=""
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if has_server_bins "$d"; then pgbin=$d; return 0; fi
	fi
	d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1 || true)
	if has_server_bins "$d"; then pgbin=$d; return 0; fi
	if command -v initdb >/dev/null 2>&1; then
		d=$(dirname "$(readlink -f "$(command -v initdb)")")
		if has_server_bins "$d"; then pgbin=$d; return 0; fi
	fi
	return 1
}

chromium_bin=""
find_chromium() {
	local c
	chromium_bin=""
	for c in /usr/bin/chromium /usr/bin/chromium-browser; do
		if [[ -x "$c" ]]; then chromium_bin=$c; return 0; fi
	done
	return 1
}
have_fonts() {
	[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]
}

pg_pkgs=()
browser_pkgs=()
find_pgbin || pg_pkgs+=(postgresql)
find_chromium || browser_pkgs+=(chromium)
have_fonts || browser_pkgs+=(fonts-dejavu-core)

if (( ${#pg_pkgs[@]} + ${#browser_pkgs[@]} > 0 )); then
	all_pkgs=(${pg_pkgs[@]+"${pg_pkgs[@]}"} ${browser_pkgs[@]+"${browser_pkgs[@]}"})
	missing="${all_pkgs[*]}"
	if $is_root && command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt_get() {
			apt-get -q -o Dpkg::Use-Pty=0 -o APT::Color=0 "$@" </dev/null >>"$log" 2>&1
		}
		say "installing $missing with apt-get"
		apt_get update || warn "apt-get update failed"
		if (( ${#pg_pkgs[@]} > 0 )); then
			apt_get install -y --no-install-recommends "${pg_pkgs[@]}" ||
				{ warn "apt-get install ${pg_pkgs[*]} failed"; show_log; }
		fi
		if (( ${#browser_pkgs[@]} > 0 )); then
			apt_get install -y --no-install-recommends "${browser_pkgs[@]}" ||
				warn "apt-get install ${browser_pkgs[*]} failed; browser tests will be skipped"
		fi
		find_pgbin || true
		find_chromium || true
	else
		warn "missing: $missing"
		warn "install with: sudo apt-get install -y --no-install-recommends $missing"
	fi
fi

# ---------------------------------------------------------------------------
# Throwaway PostgreSQL cluster.

port_in_use() {
	# Succeeds when something accepts connections on 127.0.0.1:$1.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_pg starts the cluster and sets db_url; returns non-zero (with a
# message) on failure so the caller can decide between error and warning.
db_url=""
start_pg() {
	local version port tries ok
	if [[ -z "$pgbin" ]]; then
		warn "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
		return 1
	fi
	if $is_root; then
		id postgres >/dev/null 2>&1 || { warn "user 'postgres' does not exist (initdb refuses to run as root)"; return 1; }
		command -v runuser >/dev/null 2>&1 || { warn "runuser (util-linux) not found"; return 1; }
		chown postgres: "$work" "$log"
	fi
	# "postgres (PostgreSQL) 15.18 (Debian ...)" -> "15"
	version=$("$pgbin/postgres" --version 2>/dev/null | awk '{ split($3, v, "."); print v[1] }' || true)

	if ! as_pg "$pgbin/initdb" -D "$datadir" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >>"$log" 2>&1; then
		rm -rf "$datadir"
		if ! as_pg "$pgbin/initdb" -D "$datadir" -A trust -U postgres --no-sync -E UTF8 --locale=C >>"$log" 2>&1; then
			warn "initdb failed"
			show_log
			return 1
		fi
	fi

	port=55432
	ok=false
	for (( tries = 0; tries < 20; tries++ )); do
		while port_in_use "$port"; do port=$((port + 1)); done
		say "starting PostgreSQL ${version:-?} on 127.0.0.1:$port"
		if [[ -f "$work/postgres.log" ]]; then
			cat "$work/postgres.log" >>"$log"
			: >"$work/postgres.log"
		fi
		if as_pg "$pgbin/pg_ctl" -D "$datadir" -l "$work/postgres.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$work' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB" \
			start >>"$log" 2>&1; then
			pg_started=true
			ok=true
			break
		fi
		# The port may have been grabbed between probe and start: try the next one.
		if grep -q 'could not bind\|Address already in use' "$work/postgres.log" 2>/dev/null; then
			port=$((port + 1))
			continue
		fi
		break
	done
	if ! $ok; then
		warn "pg_ctl start failed"
		cat "$work/postgres.log" >>"$log" 2>/dev/null || true
		show_log
		return 1
	fi

	local deadline=$((SECONDS + 30))
	until "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; do
		if (( SECONDS >= deadline )); then
			warn "PostgreSQL did not become ready on 127.0.0.1:$port within 30s"
			cat "$work/postgres.log" >>"$log" 2>/dev/null || true
			show_log
			return 1
		fi
		sleep 0.2
	done

	if ! "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres roster_test >>"$log" 2>&1; then
		warn "createdb roster_test failed"
		show_log
		return 1
	fi
	db_url="postgres://postgres@127.0.0.1:$port/roster_test?sslmode=disable"
}

if start_pg; then
	export ROSTER_TEST_DATABASE_URL="$db_url"
else
	unset ROSTER_TEST_DATABASE_URL
	if is_ci; then
		die "PostgreSQL is required when CI=true (install the 'postgresql' package, or run as root so this script can)"
	fi
	warn "********************************************************************"
	warn "PostgreSQL is NOT available: PostgreSQL tests will be SKIPPED."
	warn "Install it (sudo apt-get install postgresql) to run the full suite."
	warn "********************************************************************"
fi

if [[ -z "${ROSTER_TEST_CHROMIUM:-}" && -n "$chromium_bin" ]]; then
	export ROSTER_TEST_CHROMIUM="$chromium_bin"
fi

# ---------------------------------------------------------------------------
# Run the tests.
read -r -a extra <<<"${TESTFLAGS:-}"
# The whole output goes to artifacts/go-test.log; the console shows each
# package's result and each test's result per database (the .../sqlite and
# .../postgres subtests), and on failure the failing tests' messages.
mkdir -p artifacts
gotestlog=artifacts/go-test.log
# The kill-and-resume test SIGKILLs `roster import` 20 times; it runs the
# real binary, built without the race detector, whose instrumentation would
# make the pure-Go SQLite in each child ten times slower.
bindir=$(mktemp -d "${TMPDIR:-/tmp}/roster-bin.XXXXXX")
say "go build -o $bindir/roster ./cmd/roster  (the binary the kill test runs)"
go build -o "$bindir/roster" ./cmd/roster || die "go build failed"
export ROSTER_TEST_BINARY="$bindir/roster"
# Tests that run second, without -race (when TESTFLAGS chooses nothing):
# the kill -9 tests drive the binary above, built without the race
# detector, so instrumenting the test process that watches it finds
# nothing and only slows it; the index-versus-SQL property test and the
# search test run whole (under -race they check a sample).
second='^(TestIndexMatchesSQL|TestUserService_Search|TestImportKillResume|TestMailKillResume|TestEventsKillResume)$'
skip=()
if [[ -z "${TESTFLAGS:-}" ]]; then
	skip=(-skip '^(TestImportKillResume|TestMailKillResume|TestEventsKillResume)$')
fi
# The web package's browser and end-to-end tests take longer than go
# test's default limit of 10 minutes per package under the race detector.
say "go test -race -count=1 -timeout 70m -v ${skip[*]+${skip[*]} }${extra[*]+${extra[*]} }./...  (full output: $gotestlog)"
rc=0
go test -race -count=1 -timeout 70m -v ${skip[@]+"${skip[@]}"} ${extra[@]+"${extra[@]}"} ./... >"$gotestlog" 2>&1 || rc=$?
grep -E '^(ok|FAIL|--- (PASS|FAIL|SKIP))|^ +--- (PASS|FAIL|SKIP): [^ ]+/(sqlite|postgres) ' "$gotestlog" || true
# failures prints, from a go test log, the failing tests, their messages,
# panics, races and build errors: last, so that a console cut to its head
# and tail still shows them.
failures() {
	say "failures:"
	grep -E -- '^ *--- FAIL|^ +[a-z_0-9]+_test\.go:[0-9]+: |^panic:|^fatal error:|^WARNING: DATA RACE|\[build failed\]|^[^ ]+\.go:[0-9]+:[0-9]+: ' "$1" |
		grep -v -- '--- PASS' | tail -n 100 || true
}
if (( rc != 0 )); then
	failures "$gotestlog"
fi
# The second run (see $second above), on both databases.
if (( rc == 0 )) && [[ -z "${TESTFLAGS:-}" ]]; then
	say "go test -count=1 -timeout 30m -run '$second' ./index/ ./sqldb/ ./cmd/roster/  (without -race; full output: $gotestlog.whole)"
	set +e
	go test -count=1 -timeout 30m -run "$second" -v ./index/ ./sqldb/ ./cmd/roster/ >"$gotestlog.whole" 2>&1
	rc=$?
	set -e
	grep -E '^(ok|FAIL|--- )|^ +--- [A-Z]+: [^ ]+/(sqlite|postgres) |^ +oracle_test' "$gotestlog.whole" || true
	if (( rc != 0 )); then
		failures "$gotestlog.whole"
	fi
fi
if (( rc != 0 )); then
	say "FAIL (go test exit code $rc)"
else
	say "ok"
fi
exit "$rc"
