#!/bin/sh
# The fault matrix: a database failure is never a bad row.  A full
# tablespace, a restart, a crash, a terminated backend, a server that stays
# down, a signal while retrying, concurrent loaders of the same rows, and a
# reject file that cannot be written: each leaves whole batches, rejects no
# good row, and never exits 0 without every row stored.
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-pg.sh"
. "$AQ_SRCDIR/t/lib-load.sh"
load_start
plan 37

bin=$("$AQ_SRCDIR/build-aux/pg-cluster" bindir)
pgctl() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$PGDIR/data" "$@"
	else "$bin/pg_ctl" -D "$PGDIR/data" "$@"; fi >"$TMP/pgctl.out" 2>&1 3>&-
}
# (3>&-: a server started here must not hold the feed's pipe open)
up() { $PSQL -c 'SELECT 1' >/dev/null 2>&1; }
rows() { [ "$(q 'SELECT count(*) FROM measurement')" = "$1" ]; }
once() { q 'SELECT count(*), count(DISTINCT (sensor_id, period, datetime)) FROM measurement'; }
gone() { ! kill -0 "$1" 2>/dev/null; }

gen_rows 2500 1000 1722470400 >"$TMP/rows"
# a committed batch must survive the crash below (the test clusters
# commit asynchronously, for speed)
q 'ALTER SYSTEM SET synchronous_commit = on' >/dev/null
q 'SELECT pg_reload_conf()' >/dev/null

# feed N: aq-load (options in $@) reads $TMP/fifo, which gets the first
# N rows and stays open until close_feed
feed() {
	n=$1; shift
	rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
	aq-load -q -t measurement --batch 1000 "$@" "$TMP/fifo" 2>"$TMP/err" &
	pid=$!
	exec 3>"$TMP/fifo"
	sed -n "1,${n}p" "$TMP/rows" >&3
}
close_feed() { exec 3>&-; wait "$pid"; st=$?; }

# ---- a restart, a crash: the batch is tried again and goes in ----
for how in fast immediate; do
	q 'TRUNCATE measurement' >/dev/null
	feed 2500
	wait_for 'two batches' 120 rows 2000
	pgctl stop -m "$how" -w
	pgctl start -w -l "$PGDIR/data/server.log"
	close_feed
	check_eq "server stopped -m $how and started mid-load: aq-load completes" "$st" 0
	check_grep "saying that it tries the batch again" "trying it again in" "$TMP/err"
	check_eq "every row once" "$(once)" "2500|2500"
done

# ---- a server that stays down: exit 75, earlier batches kept ----
q 'TRUNCATE measurement' >/dev/null
feed 2500 --retry 2
wait_for 'two batches' 120 rows 2000
pgctl stop -m fast -w
close_feed
check_eq "the server stays down: exit 75 after the retries" "$st" 75
check_grep "saying the attempts are used up" "attempt 3 of 3" "$TMP/err"
check_grep "and that the database cannot be reached" "aq-load: measurement: .*(connect|server)" "$TMP/err"
pgctl start -w -l "$PGDIR/data/server.log"
check_eq "the two committed batches stay" "$(once)" "2000|2000"
check "a rerun completes" aq-load -t measurement --batch 1000 "$TMP/rows"
check_eq "every row once" "$(once)" "2500|2500"

# ---- a signal while waiting to try again: a prompt exit 75 ----
q 'TRUNCATE measurement' >/dev/null
feed 1500
wait_for 'one batch' 120 rows 1000
pgctl stop -m fast -w
exec 3>&-
wait_for 'the first retry' 60 grep -q 'trying it again' "$TMP/err"
kill -TERM "$pid"
t0=$(date +%s)
wait_for 'aq-load to stop after SIGTERM' 30 gone "$pid"
wait "$pid"; st=$?
t1=$(date +%s)
check_eq "SIGTERM while retrying: exit 75" "$st" 75
ok "promptly (in $((t1 - t0)) s, where the retries would wait 15 s and more)" $((t1 - t0)) -le 5
pgctl start -w -l "$PGDIR/data/server.log"
check_eq "the committed batch stays" "$(once)" "1000|1000"

# ---- pg_terminate_backend mid-batch, in --stream mode ----
q 'TRUNCATE measurement' >/dev/null
rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
aq-load -q -t measurement --stream --flush-interval 0.2 "$TMP/fifo" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/fifo"
sed -n 1,500p "$TMP/rows" >&3
wait_for 'the first rows' 120 rows 500
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = 'aq'" >/dev/null
sed -n 501,1000p "$TMP/rows" >&3
wait_for 'the rows after the lost connection' 120 rows 1000
exec 3>&-
wait "$pid"; st=$?
check_eq "--stream, backend terminated: aq-load connects again, exit 0" "$st" 0
check_eq "every row once" "$(once)" "1000|1000"

# ---- --stream and SIGTERM at 20 random moments: what was read is in ----
bad=
i=1
while [ $i -le 20 ]; do
	q 'TRUNCATE measurement' >/dev/null
	rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
	rm -f "$TMP/opened"
	aq-load -t measurement --stream --flush-interval 0.1 "$TMP/fifo" 2>"$TMP/err" &
	pid=$!
	# the writer's open of the fifo returns once aq-load has opened it,
	# which it does after it set its handlers: a signal before that
	# would be the default's, whatever aq-load does
	{ : >"$TMP/opened"; awk '{ print; fflush() } NR % 25 == 0 { system("sleep 0.01") }' "$TMP/rows"; } \
		>"$TMP/fifo" 2>/dev/null &
	wpid=$!
	wait_for 'aq-load to open its input' 120 test -e "$TMP/opened"
	# a moment between 0.05 and 0.6 s after that
	sleep "0.$(awk -v i=$i 'BEGIN { srand(i); printf "%02d", 5 + int(rand() * 55) }')"
	kill -TERM "$pid"
	wait "$pid"; st=$?
	kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
	read_n=$(sed -n 's/.*measurement: \([0-9]*\) read, .*/\1/p' "$TMP/err")
	got=$(q 'SELECT count(*) FROM measurement')
	[ "$st" = 0 ] && [ -n "$read_n" ] && [ "$got" = "$read_n" ] || bad="$bad $i:st=$st,read=$read_n,stored=$got"
	i=$((i + 1))
done
check_eq "--stream, SIGTERM 20 times: every row read before the signal is committed" "$bad" ""

# ---- concurrent upsert loaders of the same rows ----
gen_rows 20000 2000 1725148800 >"$TMP/many"	# September 2024
q 'TRUNCATE measurement' >/dev/null
t0=$(date +%s.%N)
aq-load -q -t measurement --batch 2000 "$TMP/many"
lone=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { print a - b }')
q 'TRUNCATE measurement' >/dev/null
for i in 1 2 3 4; do
	yes "$i" | head -c 100000 >"$TMP/seed$i"
	shuf --random-source="$TMP/seed$i" "$TMP/many" >"$TMP/shuf$i"
done
for i in 1 2 3 4; do
	( s=$(date +%s.%N); aq-load -t measurement --batch 2000 --reject "$TMP/crej$i" "$TMP/shuf$i" 2>"$TMP/cerr$i"
	  echo "$? $(awk -v a="$(date +%s.%N)" -v b="$s" 'BEGIN { print a - b }')" >"$TMP/cst$i" ) &
done
wait
sts= slow=
for i in 1 2 3 4; do
	read -r s secs <"$TMP/cst$i"
	sts="$sts$s"
	diag "loader $i: exit $s in $secs s (alone: $lone s)"
	awk -v t="$secs" -v l="$lone" 'BEGIN { exit !(t > 6 * l + 10) }' && slow="$slow $i"
done
check_eq "4 concurrent upsert loaders of shuffled copies: every one exits 0" "$sts" "0000"
check_eq "every row stored once" "$(once)" "20000|20000"
check_eq "no row rejected" "$(cat "$TMP"/crej* 2>/dev/null | wc -l)" 0
check_nogrep "no deadlock reaches a reject or a failure" "deadlock detected.*reject|rejected: deadlock" "$TMP/cerr1" "$TMP/cerr2" "$TMP/cerr3" "$TMP/cerr4"
check_eq "each within a small factor of a lone run" "$slow" ""
$PSQL -c "CREATE TABLE want_m (LIKE measurement)" >/dev/null
aq-load -q -t want_m --mode insert "$TMP/many"
check_eq "the stored rows are the rows" "$(table_sum measurement)" "$(table_sum want_m)"

# two loaders of overlapping files with different values: each row has
# the values of one of them, whole
q 'TRUNCATE measurement' >/dev/null
sed -n 1,14000p "$TMP/many" >"$TMP/ova"
sed -n 6001,20000p "$TMP/many" | sed 's/"value":[0-9.]*/"value":-1/' >"$TMP/ovb"
for t in a b; do
	$PSQL -c "CREATE TABLE ov_$t (LIKE measurement)" >/dev/null
	aq-load -q -t ov_$t --mode insert "$TMP/ov$t"
done
aq-load -q -t measurement --batch 1000 "$TMP/ova" 2>"$TMP/oerr1" & p1=$!
aq-load -q -t measurement --batch 1000 "$TMP/ovb" 2>"$TMP/oerr2" & p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
check_eq "2 loaders of overlapping files: both exit 0" "$s1$s2" "00"
check_eq "every row once" "$(once)" "20000|20000"
check_eq "each row has the values of one of the files: the only one, or either" "$(q "
	SELECT count(*) FROM measurement m
	LEFT JOIN ov_a a USING (sensor_id, period, datetime)
	LEFT JOIN ov_b b USING (sensor_id, period, datetime)
	WHERE NOT (CASE WHEN a.value IS NULL THEN m.value = b.value
		WHEN b.value IS NULL THEN m.value = a.value
		ELSE m.value IN (a.value, b.value) END)")" 0
ok "the files share 8000 rows" "$(q "SELECT count(*) FROM measurement m JOIN ov_a USING (sensor_id, period, datetime) JOIN ov_b USING (sensor_id, period, datetime)")" = 8000

# ---- a full tablespace: no row rejected, exit 75 ----
# (under the cluster's directory, which the server's user can reach)
ts=$PGDIR/ts
if [ "$(id -u)" = 0 ] && mkdir -p "$ts" && mount -t tmpfs -o size=2m,mode=700 tmpfs "$ts" 2>/dev/null; then
	at_exit "umount -l '$ts' 2>/dev/null"
	chown postgres "$ts"
	q "CREATE TABLESPACE small LOCATION '$ts'"
	q 'CREATE TABLE filler (id integer PRIMARY KEY USING INDEX TABLESPACE small, v text) TABLESPACE small'
	awk 'BEGIN { for (i = 1; i <= 30000; i++) printf "{\"id\":%d,\"v\":\"%0100d\"}\n", i, i }' >"$TMP/fill"
	aq-load -t filler --batch 1000 --retry 1 --reject "$TMP/frej" "$TMP/fill" 2>"$TMP/ferr"; st=$?
	check_eq "a full tablespace: exit 75" "$st" 75
	check_eq "no good row is rejected" "$(cat "$TMP/frej" 2>/dev/null | wc -l)" 0
	check_grep "saying the disk is full" "(No space left|could not extend)" "$TMP/ferr"
	n=$(q 'SELECT count(*) FROM filler')
	ok "only whole batches were committed ($n rows)" $((n % 1000)) = 0 -a "$n" -lt 30000
else
	skip "a full tablespace needs root and a tmpfs mount"
	skip "a full tablespace needs root and a tmpfs mount"
	skip "a full tablespace needs root and a tmpfs mount"
	skip "a full tablespace needs root and a tmpfs mount"
fi

# ---- a reject file that cannot be written: the batch rolls back ----
q 'TRUNCATE measurement' >/dev/null
{ sed -n 1,10p "$TMP/rows"; echo '{"sensor_id":1,"period":"hour","datetime":"2024-06-01T00:00:00Z","value":"high"}'; } >"$TMP/mixed"
check_status "a reject file on a full disk (/dev/full): exit 74" 74 aq-load -t measurement --reject /dev/full "$TMP/mixed"
check_eq "the batch with the unwritten reject is not committed" "$(q 'SELECT count(*) FROM measurement')" 0
check_grep "saying the file cannot be written" "/dev/full: No space left" "$TMP/.err"

# ---- a reject file cut short: the next reject starts a fresh line ----
printf '{"file":"x","line":1,"reason":"cut sh' >"$TMP/cut"
check "a reject file that ends in a cut line" aq-load -t measurement --reject "$TMP/cut" "$TMP/mixed"
check_eq "gets the new reject on a line of its own" "$(sed -n 2p "$TMP/cut" | jq -r .line)" 11
