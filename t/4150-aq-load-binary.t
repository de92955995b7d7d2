#!/bin/sh
# COPY binary (the default) and text load the same input into the same
# tables, row for row: every type aq-load writes, the edge values, column
# defaults, a value binary cannot carry (the batch goes on in text, the next
# one is binary again), and the bad rows found by bisection, with the same
# reasons and lines.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 36

# every row of a table as text, in order
dump() { q "SELECT t::text FROM $1 t ORDER BY 1" >"$2"; }
# the COPY statements the server ran, from its log
log=$PGDIR/data/server.log
copies() { grep -c "statement: COPY .*$1" "$log" || true; }
# aq-load with each statement logged
aql() { PGOPTIONS='-c log_statement=all' aq-load "$@"; }

# ---- measurement: aq-norm's rows and edge values ----
gen_rows 2000 1000 1717200000 >"$TMP/m"
cat >>"$TMP/m" <<'EOF'
{"sensor_id":1,"datetime":"2024-03-01T00:00:00Z","value":0.1,"latitude":5e-324,"longitude":-0}
{"sensor_id":2,"datetime":"2024-03-01T05:30:00+05:30","value":1.7976931348623157e308,"latitude":-2.2250738585072014e-308,"longitude":1e-310}
{"sensor_id":3,"datetime":"2024-03-01 00:00:00-08","value":"NaN","latitude":"Infinity","longitude":"-Infinity"}
{"sensor_id":4,"datetime":"2024-03-01T00:00:00.123456Z","value":123456789.123456789,"source_value":-0.0}
{"sensor_id":5,"datetime":"2024-03-01","value":null,"flagged":true,"observed_count":6.0,"expected_count":1e3}
{"sensor_id":6,"datetime":"2024-03-01T00:00","period":"day","flagged":false}
{"sensor_id":7,"datetime":"1999-12-31T23:59:59.999999-0130","parameter":"tab\there \\ back\nnew \"q\" µg/m³ 空气","units":""}
{"sensor_id":8,"datetime":"2024-03-01T00:00:00+0100","parameter":{"a":[1,true,null]},"units":true,"source_units":12.50}
{"sensor_id":9,"datetime":"0001-01-01T00:00:00Z","value":-1e-5}
{"sensor_id":10,"datetime":"9999-12-31T23:59:59Z","value":2.5e+3}
EOF
check "text: measurement loads" aql -t measurement --copy-format text "$TMP/m"
check_eq "text: no binary COPY" "$(copies 'FORMAT binary')" 0
dump measurement "$TMP/m.text"
q 'TRUNCATE measurement' >/dev/null
check "binary: measurement loads" aql -t measurement "$TMP/m"
check_eq "binary: one COPY, binary" "$(copies 'FORMAT binary')" 1
dump measurement "$TMP/m.bin"
check_same "measurement: binary and text give the same rows" "$TMP/m.bin" "$TMP/m.text"
check_eq "all rows are there" "$(q 'SELECT count(*) FROM measurement')" 2010

# ---- every type, its extremes and the column defaults ----
q "CREATE TABLE alltypes (id bigint PRIMARY KEY, s smallint, i integer, r real,
	d double precision, n numeric, n2 numeric(10,2), t text, v varchar(20), j json,
	jb jsonb, ts timestamptz, dt date, b boolean,
	def_ts timestamptz DEFAULT '2024-05-05 10:00:00.5+02', def_n numeric DEFAULT 1.50,
	def_t text DEFAULT E'x\\ty', def_d date DEFAULT '2020-02-29',
	def_f double precision DEFAULT 'NaN', def_j jsonb DEFAULT '{\"k\": [1]}')" >/dev/null
cat >"$TMP/a" <<'EOF'
{"id":1,"s":32767,"i":2147483647,"r":3.4028235e38,"d":-0,"n":0,"n2":3.14159,"t":"","v":"abc","j":{"b":2,"a":[1,2,{"c":null}]},"jb":{"b":2,"a":[1,2,{"c":null}]},"ts":"4714-11-24 00:00:00+00 BC","dt":"2000-01-01","b":true}
{"id":-9223372036854775808,"s":-32768,"i":-2147483648,"r":1.17549435e-38,"d":5e-324,"n":"NaN","n2":-0.005,"t":"a\tb","v":"","j":"str","jb":"str","ts":"294276-12-31T23:59:59.999999Z","dt":"infinity","b":false}
{"id":9223372036854775807,"s":0,"i":0,"r":1e-45,"d":"-Infinity","n":"Infinity","n2":12345678.9,"j":12.5,"jb":12.5,"ts":"infinity","dt":"-infinity","b":null}
{"id":4,"r":"NaN","d":"inf","n":12345678901234567890.000100,"t":{"x":"y"},"j":true,"jb":[],"ts":"-infinity","dt":"1999-02-28"}
{"id":5,"r":-0,"n":-0.00012300,"ts":"2024-02-29T12:00:00+15:59","dt":"2024-02-29"}
{"id":6,"n":1.5e10,"ts":"1970-01-01T00:00:00Z"}
{"id":7,"n":1e-3,"ts":"1969-12-31T23:59:59.999999Z"}
{"id":8,"n":-12.5E+2,"ts":"0099-06-30T12:00:00Z"}
{"id":9,"n":1e900}
{"id":10,"n":-0}
{"id":11,"n":10000,"d":1e308}
{"id":12,"n":0.0001,"s":6.0,"i":1e3}
EOF
check "text: alltypes loads" aql -t alltypes --copy-format text "$TMP/a"
check_eq "text: one COPY, text" "$(copies 'alltypes .* FROM STDIN$')" 1
dump alltypes "$TMP/a.text"
q 'TRUNCATE alltypes' >/dev/null
n0=$(copies 'FORMAT binary')
check "binary: alltypes loads" aql -t alltypes "$TMP/a"
check_eq "binary: in binary" "$(copies 'FORMAT binary')" $((n0 + 1))
check_eq "binary: every value was written in binary (no text COPY)" "$(copies 'alltypes .* FROM STDIN$')" 1
dump alltypes "$TMP/a.bin"
check_same "alltypes: binary and text give the same rows" "$TMP/a.bin" "$TMP/a.text"

# ---- values binary cannot carry: that batch in text, the next binary ----
cat >"$TMP/f" <<'EOF'
{"id":101,"i":1,"ts":"2024-01-01T00:00:00Z"}
{"id":102,"i":2,"ts":"2024-01-01T00:00:00.1234567Z"}
{"id":103,"i":"3","ts":"2024-01-01T00:00:00z"}
{"id":104,"i":4,"ts":"2024-01-01T24:00:00Z","dt":"2024-01-01 10:00"}
{"id":105,"i":5,"b":"yes","d":" 1.5 ","r":"1e-50"}
{"id":106,"i":6,"ts":"2024-01-01T00:00:00+16:00","s":40000}
{"id":107,"i":7,"ts":"2024-01-01T00:00:00Z"}
{"id":108,"i":8,"ts":"2024-01-01T00:00:00Z"}
EOF
q 'TRUNCATE alltypes' >/dev/null
check "text: the odd values load or are rejected" aq-load -t alltypes --copy-format text --batch 3 --reject "$TMP/f.rej.text" "$TMP/f"
dump alltypes "$TMP/f.text"
q 'TRUNCATE alltypes' >/dev/null
n0=$(copies 'FORMAT binary')
check "binary: the same" aql -t alltypes --batch 3 --reject "$TMP/f.rej.bin" "$TMP/f"
dump alltypes "$TMP/f.bin"
check_same "the same rows" "$TMP/f.bin" "$TMP/f.text"
check_same "the same rejects, reasons and lines" "$TMP/f.rej.bin" "$TMP/f.rej.text"
check_eq "24:00, which binary leaves to the server, is the next midnight" \
	"$(q "SELECT ts = '2024-01-02T00:00:00Z' FROM alltypes WHERE id = 104")" t
# rows go at send (aq_loader_send()), so the first two batches were text
# before any COPY began: the one binary COPY is the last batch's
check_eq "the last batch went in binary again" "$(copies 'FORMAT binary')" $((n0 + 1))

# ---- bad rows found by bisection in binary ----
gen_rows 500 1000 1717200000 >"$TMP/good"
{
	sed -n 1,100p "$TMP/good"
	printf '{"sensor_id":2,"period":"minute","datetime":"2024-06-01T00:00:00Z","value":1}\n'
	sed -n 101,300p "$TMP/good"
	printf '{"sensor_id":null,"datetime":"2024-06-01T00:00:00Z","value":1}\n'
	sed -n 5p "$TMP/good"
	sed -n 301,500p "$TMP/good"
} >"$TMP/bad"
for mode in insert upsert; do
	for fmt in text binary; do
		q 'TRUNCATE measurement' >/dev/null
		aq-load -t measurement --mode $mode --copy-format $fmt --reject "$TMP/bad.rej.$fmt" "$TMP/bad" \
			>/dev/null 2>&1
		dump measurement "$TMP/bad.$fmt"
	done
	check_same "$mode: binary finds the same bad rows, with the same reasons" \
		"$TMP/bad.rej.binary" "$TMP/bad.rej.text"
	check_same "$mode: and loads the same rows" "$TMP/bad.binary" "$TMP/bad.text"
done
check_grep "the CHECK violation at its line" '"line":101,"reason":"database: new row for relation .* violates check constraint' "$TMP/bad.rej.binary"

# ---- every recorded API sample, through aq-dims and aq-norm ----
cd "$AQ_TESTDATA/samples" || exit 99
files=$(ls *.ndjson)
nrows=0
for kt in countries:country parameters:parameter locations:location sensors:sensor \
	providers:provider owners:owner manufacturers:manufacturer instruments:instrument \
	licenses:license location-licenses:location_license \
	location-instruments:location_instrument norm:measurement; do
	k=${kt%%:*} t=${kt#*:}
	# shellcheck disable=SC2086
	if [ "$k" = norm ]; then aq-norm -q --reject "$TMP/s.drej" $files; else
		aq-dims -q --reject "$TMP/s.drej" "$k" $files; fi \
		>"$TMP/s.rows" 2>/dev/null
	nrows=$((nrows + $(wc -l <"$TMP/s.rows")))
	for fmt in text binary; do
		q "TRUNCATE $t CASCADE" >/dev/null 2>&1
		aq-load -q -t "$t" --copy-format $fmt --reject "$TMP/s.rej.$fmt" "$TMP/s.rows" \
			>/dev/null 2>&1
		dump "$t" "$TMP/s.$fmt"
	done
	check_same "samples, $t: binary and text give the same rows" "$TMP/s.binary" "$TMP/s.text"
done
ok "the samples made rows to compare ($nrows)" "$nrows" -gt 100
