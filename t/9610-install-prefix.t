#!/bin/sh
# 9610-install-prefix: make install puts everything under the prefix (the
# systemd units, the sysusers.d file and the bash completions too), so that
# ./configure --prefix=$HOME/x && make install works as a user; no .la
# file; the completion links; uninstall removes it all.
. "$AQ_SRCDIR/t/lib.sh"
command -v make >/dev/null 2>&1 || skip_all "make not found"
prefix=$(sed -n 's/^prefix=//p' "$AQ_BUILDDIR/lib/libopenaq.pc")
[ -n "$prefix" ] || skip_all "no prefix in lib/libopenaq.pc"
plan 8
d=$TMP/dest
check 'make install DESTDIR=...' make -s -C "$AQ_BUILDDIR" install DESTDIR="$d"
(cd "$d" && find . ! -type d | sed 's|^\.||') >"$TMP/files"
# a packager's configure names the system's dirs (debian/rules): those are
# allowed too; the defaults are under the prefix
allowed="$prefix/"
for v in systemdsystemunitdir sysusersdir bashcompletiondir; do
	dir=$(sed -n "s|^$v = \(/.*\)|\1|p" "$AQ_BUILDDIR/Makefile")
	[ -n "$dir" ] && allowed="$allowed $dir/"
done
: >"$TMP/outside"
while read -r f; do
	in=
	for a in $allowed; do case $f in "$a"*) in=1 ;; esac; done
	[ -n "$in" ] || echo "$f" >>"$TMP/outside"
done <"$TMP/files"
check_empty "every installed file is under the prefix $prefix (or a dir configure was given)" "$TMP/outside"
check_grep 'the units are among them' '/lib/systemd/system/openaq-follow\.service$' "$TMP/files"
check_nogrep 'no libtool archive' '\.la$' "$TMP/files"
ok 'a completion for aq-load (a link to the one file)' -L "$d$(grep '/bash-completion/completions/aq-load$' "$TMP/files")"
f=$(grep '/man3/aq_reader_new\.3$' "$TMP/files")
check_eq 'man aq_reader_new: a page per documented function, a .so of libopenaq.3' \
	"$(cat "$d$f" 2>/dev/null)" '.so man3/libopenaq.3'
check 'make uninstall' make -s -C "$AQ_BUILDDIR" uninstall DESTDIR="$d"
(cd "$d" && find . ! -type d) >"$TMP/left"
check_empty 'and nothing is left' "$TMP/left"
