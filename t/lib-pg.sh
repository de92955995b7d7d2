# lib-pg.sh: a throwaway PostgreSQL cluster for one test file (after
# ephemeralpg's pg_tmp.sh): initdb into a temp dir, trust auth, Unix socket
# only, fsync off, stopped and removed by the EXIT trap.  The cluster work
# itself is build-aux/pg-cluster, which run-demo uses too.
#
#   . "$AQ_SRCDIR/t/lib.sh"
#   . "$AQ_SRCDIR/t/lib-pg.sh"
#   pg_start            # or skip_all with the reason
#   $PSQL -c 'select 1' # PGHOST, PGPORT, PGUSER, PGDATABASE are exported

pg_start() {
	command -v psql >/dev/null 2>&1 || skip_all "psql not found (Debian: apt-get install postgresql-client-15)"
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/aqpg.XXXXXX") || exit 99
	chmod 755 "$PGDIR"
	at_exit 'pg_stop'
	st=0
	env=$("$AQ_SRCDIR/build-aux/pg-cluster" start "$PGDIR" 2>"$PGDIR/start.err") || st=$?
	if [ "$st" = 2 ]; then
		skip_all "$(sed 's/^pg-cluster: //' "$PGDIR/start.err")"
	elif [ "$st" != 0 ]; then
		diag_file "$PGDIR/start.err"
		echo "Bail out! could not start a PostgreSQL cluster"
		exit 1
	fi
	eval "$env"
	PGDATABASE=postgres
	export PGDATABASE
	unset PGSERVICE PGPASSWORD PGHOSTADDR PGSSLMODE
	PSQL="psql -qAtX -v ON_ERROR_STOP=1"
}

pg_stop() {
	[ -n "${PGDIR:-}" ] || return 0
	"$AQ_SRCDIR/build-aux/pg-cluster" stop "$PGDIR"
	rm -rf "$PGDIR"
	PGDIR=
}
