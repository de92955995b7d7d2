#!/bin/sh
# The systemd units (and the pages of aq-follow, aq-plot and aq-check) are made with the configured paths, install where
# configure said, and pass systemd-analyze verify where it is available.
. "$AQ_SRCDIR/t/lib.sh"
b=$AQ_BUILDDIR/contrib/systemd
plan 18
for u in openaq-follow.service openaq-batch.service openaq-check.service; do
	ok "$u is generated" -s "$b/$u"
	check_nogrep "$u: every @name@ is replaced" '@[A-Za-z_]*@' "$b/$u"
done
check_grep "the follow unit runs aq-follow from bindir" '^ExecStart=/.*/aq-follow ' "$b/openaq-follow.service"
check_grep "the batch unit runs pipeline.mk from pkgdatadir" '^ExecStart=make .* -f /.*/pipeline.mk ' "$b/openaq-batch.service"
check_grep "the check unit runs aq-check from bindir" '^ExecStart=/.*/aq-check ' "$b/openaq-check.service"
# an unconfigured unit (no key file) is skipped, not failed and restarted
for u in openaq-follow.service openaq-batch.service; do
	check_grep "$u: skipped until the key file exists" '^ConditionPathExists=/.*/openaq/api-key$' "$b/$u"
done
# a key on a command line would show in ps and the journal
# a core file of aq-fetch would hold the key
for u in openaq-follow.service openaq-batch.service; do
	check_grep "$u: no core files (LimitCORE=0)" '^LimitCORE=0$' "$b/$u"
done
check_nogrep "no unit sets the key itself" 'OPENAQ_API_KEY=' "$b"/*.service "$AQ_CONTRIB"/systemd/*.in
# verify checks that ExecStart= exists: point it at the source tree's copy
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$TMP/u"
	sed "s|^ExecStart=[^ ]*/aq-follow |ExecStart=$AQ_CONTRIB/aq-follow |" "$b/openaq-follow.service" >"$TMP/u/openaq-follow.service"
	sed "s|^ExecStart=[^ ]* |ExecStart=$(command -v make) |" "$b/openaq-batch.service" >"$TMP/u/openaq-batch.service"
	sed "s|^ExecStart=[^ ]*/aq-check |ExecStart=$AQ_BUILDDIR/contrib/aq-check |" "$b/openaq-check.service" >"$TMP/u/openaq-check.service"
	cp "$AQ_CONTRIB/systemd/openaq-batch.timer" "$AQ_CONTRIB/systemd/openaq-check.timer" "$TMP/u/"
	check "systemd-analyze verify" systemd-analyze verify --man=no "$TMP/u/openaq-follow.service" \
		"$TMP/u/openaq-batch.service" "$TMP/u/openaq-batch.timer" \
		"$TMP/u/openaq-check.service" "$TMP/u/openaq-check.timer"
else
	skip "systemd-analyze not found"
fi
for p in aq-follow.1 aq-plot.1 aq-check.1; do
	if command -v groff >/dev/null 2>&1; then
		groff -mandoc -Tutf8 -ww -z "$AQ_SRCDIR/man/$p" >"$TMP/w" 2>&1
		check_empty "$p formats without warnings" "$TMP/w"
	else
		skip "groff not found"
	fi
done
