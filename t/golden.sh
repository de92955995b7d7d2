# golden.sh: golden-file tests of a filter, sourced after lib.sh.
#
#   golden DIR TOOL
#
# Each NAME of t/data/DIR with a NAME.in.ndjson, NAME.args, NAME.out.ndjson
# or NAME.rejects.tsv is one case: the tool runs with the options of
# NAME.args (shell words; $AQ_TESTDATA may appear), reading NAME.in.ndjson
# on standard input when it exists, and
# - its rows must equal NAME.out.ndjson byte for byte;
# - its rejects, as "LINE<TAB>REASON" lines, must equal NAME.rejects.tsv
#   (an empty file when the case rejects nothing), and each must carry its
#   input record.
# Both expected files must exist: a case missing one fails, it never passes
# unchecked.  (Not *.rej: dh_clean deletes those as patch leftovers.)
# A DIR without any case fails too.
golden() {
	gdir=$AQ_TESTDATA/$1 tool=$2
	names=$(cd "$gdir" 2>/dev/null && ls | sed -n 's/\.\(in\.ndjson\|args\|out\.ndjson\|rejects\.tsv\)$//p' | sort -u)
	if [ -z "$names" ]; then
		fail "$tool: $gdir holds golden cases"
		return 1
	fi
	for name in $names; do
		want=$gdir/$name.out.ndjson
		wantrej=$gdir/$name.rejects.tsv
		if [ ! -f "$want" ]; then
			fail "$tool $name: the expected rows $name.out.ndjson exist"
			continue
		fi
		if [ ! -f "$wantrej" ]; then
			fail "$tool $name: the expected rejects $name.rejects.tsv exist (empty for none)"
			continue
		fi
		in=$gdir/$name.in.ndjson
		[ -f "$in" ] || in=/dev/null
		args=
		[ -f "$gdir/$name.args" ] && args=$(cat "$gdir/$name.args")
		rm -f "$TMP/rej"
		eval "set -- $args"
		"$tool" -q --reject "$TMP/rej" "$@" <"$in" >"$TMP/out" 2>"$TMP/err"
		st=$?
		check_eq "$tool $name: exit status" "$st" 0
		[ -s "$TMP/err" ] && diag_file "$TMP/err"
		check_same "$tool $name: rows" "$TMP/out" "$want"
		if [ -z "${JQ:-}" ]; then
			skip "jq not found"
			skip "jq not found"
			continue
		fi
		touch "$TMP/rej"
		"$JQ" -r '"\(.line)\t\(.reason)"' "$TMP/rej" >"$TMP/rej.got"
		check_same "$tool $name: rejects" "$TMP/rej.got" "$wantrej"
		# each reject carries its input record, unchanged
		bad=
		n=0
		while IFS='	' read -r line reason; do
			n=$((n + 1))
			f=$("$JQ" -r "select(.line == $line) | .file" "$TMP/rej" | head -1)
			[ "$f" = "<stdin>" ] && f=$in
			a=$(sed -n "${line}p" "$f" | "$JQ" -cS .)
			b=$(sed -n "${n}p" "$TMP/rej" | "$JQ" -cS .record)
			[ "$a" = "$b" ] || bad="$bad $line"
		done <"$TMP/rej.got"
		check_eq "$tool $name: rejects hold their records" "$bad" ""
	done
}
