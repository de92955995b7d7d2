#!/bin/sh
# The manual pages format without warnings, and each command's EXIT STATUS
# lists exactly the statuses the command can return.
. "$AQ_SRCDIR/t/lib.sh"
pages="aq-fetch.1 aq-dims.1 aq-norm.1 aq-load.1 aq-check.1 aq-ndjson.5 openaq.7 libopenaq.3"
tools="aq-fetch aq-dims aq-norm aq-load"
# Known mismatches, as "tool:status" words, reported as TODO tests until
# the page is fixed (none at the moment).
todo_cases=

for p in $pages; do
	if command -v groff >/dev/null 2>&1; then
		groff -mandoc -Tutf8 -ww -z "$AQ_SRCDIR/man/$p" >"$TMP/w" 2>&1
		check_empty "$p formats without warnings" "$TMP/w"
	else
		skip "groff not found"
	fi
done

# The statuses a command can return, from its sources: the EX_* names and
# literal statuses in every function reachable from its main() (calls and
# function pointers alike, across bin/ and lib/), and for cli_status() the
# statuses its table gives to the AQ_* codes that reachable library code
# returns.  The other tests provoke most of them for real (1400, 3000,
# 3100, 4200, 4400); this one keeps the pages and the code in step.
cat >"$TMP/exits.awk" <<'AWK'
BEGIN {
	split("OK 0 USAGE 64 DATAERR 65 NOINPUT 66 NOUSER 67 NOHOST 68 UNAVAILABLE 69 " \
	    "SOFTWARE 70 OSERR 71 OSFILE 72 CANTCREAT 73 IOERR 74 TEMPFAIL 75 PROTOCOL 76 " \
	    "NOPERM 77 CONFIG 78", t, " ")
	for (i = 1; i in t; i += 2)
		exnum["EX_" t[i]] = t[i + 1]
}
FNR == 1 { depth = 0; incomment = 0; fn = ""; cand = ""; prev = "" }
{
	line = $0
	# comments, strings and characters are not code
	out = ""
	while (line != "") {
		if (incomment) {
			if ((i = index(line, "*/")) == 0) { line = ""; break }
			line = substr(line, i + 2); incomment = 0; continue
		}
		if (match(line, /\/\*|"|'/) == 0) { out = out line; break }
		out = out substr(line, 1, RSTART - 1)
		tok = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
		if (tok == "/*") { incomment = 1; continue }
		# skip to the closing quote, over escapes
		while (line != "" && substr(line, 1, 1) != tok)
			line = substr(line, substr(line, 1, 1) == "\\" ? 3 : 2)
		line = substr(line, 2)
		out = out " 0 "
	}
	line = out
	if (line ~ /^[ \t]*#/) next
	if (depth == 0 && fn == "") {
		if (match(line, /^[A-Za-z_][A-Za-z0-9_]*\(/)) {
			cand = substr(line, 1, RLENGTH - 1); candstatic = (prev ~ /(^|[ \t])static([ \t]|$)/)
		} else if (line ~ /;[ \t]*$/)
			cand = ""
		if (line ~ /^\{/ && cand != "") {
			fn = FILENAME ":" cand; name[fn] = cand
			if (candstatic) sdef[FILENAME, cand] = fn; else gdef[cand] = fn
			files[FILENAME] = 1; infile[fn] = FILENAME
			cand = ""
		}
	}
	if (line ~ /[^ \t]/) prev = line
	owner = fn != "" ? fn : (depth > 0 ? "@" FILENAME : "")
	if (owner != "") {
		s = line
		if (name[fn] == "cli_status" && fn != "") {
			# the AQ_* -> EX_* table
			while (match(s, /case[ \t]+AQ_[A-Z_]+/)) {
				c = substr(s, RSTART, RLENGTH); sub(/case[ \t]+/, "", c); pend[c] = 1
				s = substr(s, RSTART + RLENGTH)
			}
			if (s ~ /default[ \t]*:/) pend["default"] = 1
			if (match(s, /return[ \t]+EX_[A-Z]+/)) {
				x = substr(s, RSTART, RLENGTH); sub(/return[ \t]+/, "", x)
				for (c in pend) map[c] = x
				split("", pend)
			}
			s = ""
		}
		gsub(/case[ \t]+AQ_[A-Z_]+[ \t]*:/, " ", s)
		gsub(/[=!]=[ \t]*(AQ|EX)_[A-Z_]+/, " ", s)
		gsub(/(AQ|EX)_[A-Z_]+[ \t]*[=!]=/, " ", s)
		# literal statuses: exit(0), usage(0), cli_errx(1, ...)
		r = s
		while (match(r, /(exit|usage|cli_errx?)\([ \t]*[0-9]+/)) {
			v = substr(r, RSTART, RLENGTH); sub(/.*\([ \t]*/, "", v); lit[owner] = lit[owner] " " v
			r = substr(r, RSTART + RLENGTH)
		}
		while (match(s, /[A-Za-z_][A-Za-z0-9_]*/)) {
			id = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			# a status or code is returned from code; at file scope
			# (a table of messages, say) it is not
			if (id ~ /^(EX|AQ)_[A-Z]+$/) {
				if (fn == "") continue
				if (id ~ /^EX_/) ex[owner] = ex[owner] " " id
				else aq[owner] = aq[owner] " " id
			} else
				refs[owner] = refs[owner] " " id
		}
	}
	n = gsub(/\{/, "{", line); m = gsub(/\}/, "}", line)
	depth += n - m
	if (depth == 0) fn = ""
}
function resolve(file, id) {
	if ((file, id) in sdef) return sdef[file, id]
	if (id in gdef) return gdef[id]
	return ""
}
END {
	start = resolve(tool, root)
	if (start == "") { print "exits.awk: no " root " in " tool > "/dev/stderr"; exit 2 }
	queue[1] = start; seen[start] = 1; nq = 1
	for (qi = 1; qi <= nq; qi++) {
		f = queue[qi]
		file = f ~ /^@/ ? substr(f, 2) : infile[f]
		k = split(refs[f], ids, " ")
		if (f !~ /^@/) ids[++k] = "@"
		for (j = 1; j <= k; j++) {
			g = ids[j] == "@" ? "@" file : resolve(file, ids[j])
			if (g != "" && !(g in seen)) { seen[g] = 1; queue[++nq] = g }
		}
	}
	st[0] = 1
	for (f in seen) {
		k = split(ex[f], e, " ")
		for (j = 1; j <= k; j++) if (e[j] in exnum) st[exnum[e[j]]] = 1
		k = split(lit[f], e, " ")
		for (j = 1; j <= k; j++) st[e[j] + 0] = 1
		if (name[f] == "cli_status") usesmap = 1
		k = split(aq[f], e, " ")
		for (j = 1; j <= k; j++) codes[e[j]] = 1
	}
	if (usesmap)
		for (c in codes) {
			x = c in map ? map[c] : map["default"]
			if (x in exnum) st[exnum[x]] = 1
		}
	for (s in st) print s
}
AWK
exits() {
	(cd "$AQ_SRCDIR" && awk -v root=main -v tool="bin/$1.c" -f "$TMP/exits.awk" "bin/$1.c" \
		$(ls bin/*.c | grep -v '^bin/aq-') lib/*.c) | sort -n
}
documented() {
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /s/^\.It \([0-9][0-9]*\)$/\1/p' "$AQ_SRCDIR/man/$1.1" | sort -n
}

for t in $tools; do
	exits "$t" >"$TMP/$t.code" 2>"$TMP/$t.err"
	st=$?
	check_eq "$t: its exit statuses are derived from its sources" "$st" 0
	diag_file "$TMP/$t.err"
	# the derivation must see the two statuses every command has
	like "$t: the derivation finds 0 and 64" "$(tr '\n' ' ' <"$TMP/$t.code")" '(^| )0 .*64 '
	documented "$t" >"$TMP/$t.man"
	for s in $(sort -nu "$TMP/$t.code" "$TMP/$t.man"); do
		inc=$(grep -cx "$s" "$TMP/$t.code") inm=$(grep -cx "$s" "$TMP/$t.man")
		case " $todo_cases " in *" $t:$s "*) todo "man page and code disagree on $s" ;; esac
		if [ "$inc" != 0 ] && [ "$inm" != 0 ]; then
			pass "$t: exit status $s is documented and reachable"
		elif [ "$inm" != 0 ]; then
			fail "$t.1 lists exit status $s, which $t cannot return"
		else
			fail "$t can return $s, which $t.1 does not list"
		fi
	done
done

# aq-check, a script: the statuses it can end with are its exit and
# usage calls, the awk program's exit (0 to 2, the worst finding) and
# unknown() (3)
{
	sed -n 's/.*exit \([0-9][0-9]*\).*/\1/p' "$AQ_SRCDIR/contrib/aq-check.in"
	grep -q 'exit worst + 0' "$AQ_SRCDIR/contrib/aq-check.in" && printf '0\n1\n2\n'
	grep -q '^[[:space:]]*unknown "' "$AQ_SRCDIR/contrib/aq-check.in" && echo 3
} | sort -nu >"$TMP/aq-check.code"
documented aq-check | sort -nu >"$TMP/aq-check.man"
check_eq "aq-check: the exit statuses of the page are those of the script" \
	"$(tr '\n' ' ' <"$TMP/aq-check.man")" "$(tr '\n' ' ' <"$TMP/aq-check.code")"
done_testing
