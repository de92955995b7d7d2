# lib-load.sh: for the aq-load tests: a throwaway cluster with the schema.
#   . "$AQ_SRCDIR/t/lib.sh"; . "$AQ_SRCDIR/t/lib-pg.sh"; . "$AQ_SRCDIR/t/lib-load.sh"
#   load_start        # cluster + database "aq" + aq-load --init
#   q 'select ...'    # one value (psql -Atq)
#   gen_rows N [SENSOR0] [START_EPOCH] > file   # N hourly measurement rows

load_start() {
	pg_start
	$PSQL -c 'CREATE DATABASE aq' >/dev/null || { echo "Bail out! createdb"; exit 1; }
	PGDATABASE=aq
	export PGDATABASE
	aq-load -q --init >"$TMP/init.out" 2>&1 || { diag_file "$TMP/init.out"; echo "Bail out! aq-load --init"; exit 1; }
}

q() { $PSQL -c "$1"; }

# N measurement rows as aq-norm writes them: sensors SENSOR0.. in turn,
# one hour apart from START (epoch seconds, default 2024-01-01T00:00Z)
gen_rows() {
	awk -v n="$1" -v s0="${2:-1000}" -v t0="${3:-1704067200}" "$AQ_AWK_UTC"'
	BEGIN {
		for (i = 0; i < n; i++) {
			t = t0 + 3600 * int(i / 10)
			printf "{\"sensor_id\":%d,\"location_id\":%d,\"parameter_id\":2,\"parameter\":\"pm25\",\"units\":\"µg/m³\",\"period\":\"hour\",\"datetime\":\"%s\",\"value\":%.1f,\"latitude\":48.85,\"longitude\":2.35,\"source_units\":null,\"source_value\":null,\"observed_count\":1,\"expected_count\":1,\"flagged\":false}\n",
				s0 + i % 10, 100 + i % 10, utc(t), (i * 7) % 500 / 10
		}
	}'
}

# a checksum of a table's rows, in key order
table_sum() { q "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM $1 t"; }
