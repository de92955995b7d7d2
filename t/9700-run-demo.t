#!/bin/sh
# 9700-run-demo: run-demo's arguments: --help, stop and clean, and an
# unknown argument is a usage error that runs nothing.  (The demo itself
# needs root and the network or the fake: CI and by hand.)
. "$AQ_SRCDIR/t/lib.sh"
plan 9
tree=$TMP/tree
mkdir -p "$tree/build-aux"
cp "$AQ_SRCDIR/run-demo" "$tree/"
cp "$AQ_SRCDIR/build-aux/pg-cluster" "$tree/build-aux/"
cd "$tree" || exit 99
check_status '--help exits 0' 0 ./run-demo --help
check_grep 'and shows the usage' '^usage: \./run-demo' "$TMP/.out"
check_status 'an unknown argument is a usage error (64)' 64 ./run-demo --bogus
check_grep 'that names the argument' '^run-demo: unknown argument: --bogus' "$TMP/.err"
ok 'and runs nothing (no ./var)' ! -e var
check_status 'two arguments: a usage error' 64 ./run-demo run extra
check_status 'stop without ./var: nothing to stop, exit 0' 0 ./run-demo stop
mkdir -p var/data var/state && : >var/build.log
check_status 'clean exits 0' 0 ./run-demo clean
ok 'and removes ./var' ! -e var
