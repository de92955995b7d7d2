#!/bin/sh
# 9600-pkgconfig: the generated libopenaq.pc says where the project lives,
# its version, and what a static link needs.
. "$AQ_SRCDIR/t/lib.sh"
pc=$AQ_BUILDDIR/lib/libopenaq.pc
[ -f "$pc" ] || skip_all "lib/libopenaq.pc not generated"
plan 3
check_grep 'URL: names the project' '^URL: https?://[^ ]+$' "$pc"
check_grep 'Version: is the package version' "^Version: $(sed -n 's/^AC_INIT(\[libopenaq\], \[\([^]]*\)\].*/\1/p' "$AQ_SRCDIR/configure.ac")\$" "$pc"
check_grep 'the libraries it needs are private' '^Requires.private: .*libcurl.*yajl.*libpq' "$pc"
