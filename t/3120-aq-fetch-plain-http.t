#!/bin/sh
# 3120-aq-fetch-plain-http: the plain-http warning goes by the exact host:
# localhost, 127.0.0.0/8 as four decimal octets or [::1], with any port or
# path, get none; every other host does, whatever it starts with.  No
# request is made: the path given to get is refused (exit 64) after the
# client is set up and warned about.
. "$AQ_SRCDIR/t/lib.sh"
plan 30

export OPENAQ_API_KEY=test-key AQ_STATE_DIR="$TMP/state"
unset OPENAQ_BASE_URL

# warned URL: 1 when aq-fetch warns that URL is plain http, 0 when not
warned() {
	aq-fetch --base-url "$1" get '/x?y' >/dev/null 2>"$TMP/err"; st=$?
	[ "$st" = 64 ] || { echo "exit $st"; cat "$TMP/err"; return; }
	grep -c 'is plain http: the key and the data travel unencrypted' "$TMP/err"
}

for u in http://localhost http://localhost/v3 http://localhost:8080/v3 http://LocalHost:1/ \
	http://127.0.0.1 http://127.0.0.1:4000/v3 http://127.255.10.1/v3 http://127.0.0.01:80 \
	'http://[::1]' 'http://[::1]:8080/v3' http://user@localhost:80/v3 https://example.org/v3; do
	check_eq "no warning: $u" "$(warned "$u")" 0
done
for u in http://localhost.attacker.example http://localhost.attacker.example:80/v3 \
	http://127.0.0.1.attacker.example http://127.0.0.1.attacker.example/v3 \
	http://localhost@attacker.example/v3 http://127.0.0.1@attacker.example \
	http://localhostx/v3 http://attacker.example/v3 http://128.0.0.1/v3 http://127.0.0.256/v3 \
	http://127.1/v3 http://127.0.0.1.5/v3 http://0177.0.0.1/v3 http://0x7f.0.0.1/v3 \
	'http://[::1].attacker.example/v3' 'http://[::2]/v3' http://localhost:80x/v3 \
	http://localhost:80.attacker.example/v3; do
	check_eq "a warning: $u" "$(warned "$u")" 1
done
