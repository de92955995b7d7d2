#!/bin/sh
# 9600-pkgconfig: the generated libopenaq.pc says where the project lives,
# its version, and what a static link needs.
. "$AQ_SRCDIR/t/lib.sh"
pc=$AQ_BUILDDIR/lib/libopenaq.pc
[ -f "$pc" ] || skip_all "lib/libopenaq.pc not generated"
plan 4
check_grep 'URL: names the project' '^URL: https?://[^ ]+$' "$pc"
check_grep 'Version: is the package version' "^Version: $(sed -n 's/^AC_INIT(\[libopenaq\], \[\([^]]*\)\].*/\1/p' "$AQ_SRCDIR/configure.ac")\$" "$pc"
# openaq.h includes no header of theirs: the libraries go in Libs.private
# (a static link), not Requires.private (which would make every build
# against libopenaq need their -dev packages)
check_grep 'the libraries it needs are private' '^Libs.private: .*-lcurl.*-lyajl.*-lpq.*-lexpat.*-lz' "$pc"
check_nogrep 'and not required packages' '^Requires' "$pc"
