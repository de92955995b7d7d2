#!/bin/sh
# Only aq_ names leave libopenaq.so (libmaxminddb's external_symbols_t).
. "$AQ_SRCDIR/t/lib.sh"
need nm
so=$AQ_BUILDDIR/lib/.libs/libopenaq.so
[ -f "$so" ] || skip_all "no shared library was built"
plan 5
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' | sed 's/@.*//' | sort -u >"$TMP/syms"
grep -v '^aq_' "$TMP/syms" >"$TMP/bad"
check_empty "only aq_ symbols are exported" "$TMP/bad"
check_grep "aq_strerror is exported" '^aq_strerror$' "$TMP/syms"
# every public function in openaq.h is exported, and nothing else
sed -n 's/^[a-z].*[ *]\(aq_[a-z0-9_]*\)(.*/\1/p' "$AQ_SRCDIR/lib/openaq.h" | sort -u >"$TMP/header"
grep '^aq_' "$TMP/syms" >"$TMP/exported"
check_same "the exports are exactly the functions declared in openaq.h" "$TMP/exported" "$TMP/header"
# every freer of openaq.h is called with NULL by t/0200-errors.c
grep '_free$' "$TMP/header" | while read -r f; do
	grep -q "$f(NULL)" "$AQ_SRCDIR/t/0200-errors.c" || echo "$f"
done >"$TMP/unfreed"
check_empty "t/0200-errors.c calls every aq_*_free of openaq.h with NULL" "$TMP/unfreed"
# the Debian symbols file lists them all, so that a new function cannot
# slip into the package without its version
sed -n 's/^ \(aq_[a-z0-9_]*\)@Base .*/\1/p' "$AQ_SRCDIR/debian/libopenaq0.symbols" | sort -u >"$TMP/debsyms"
check_same "debian/libopenaq0.symbols lists exactly the exports" "$TMP/debsyms" "$TMP/exported"
