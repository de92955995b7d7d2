#!/bin/sh
# 3000-aq-fetch: paging, output, request parameters, keys and refusals,
# against the fake OpenAQ v3 server (t/fakeapi.py).
. "$AQ_SRCDIR/t/lib.sh"
. "$AQ_SRCDIR/t/lib-api.sh"
plan 38

api_start --locations 2300 --seed 7
export AQ_BACKOFF=0.05
# print(EXPR) over the JSON on stdin, as j

# --- paging: every record, once, in the fewest requests ---
api_admin reset >/dev/null
check 'locations exits 0' aq-fetch -q locations
cp "$TMP/.out" "$TMP/loc.ndjson"
api_truth /v3/locations >"$TMP/loc.want"
check_same 'the output equals the server data, byte for byte' "$TMP/loc.ndjson" "$TMP/loc.want"
n=$(wc -l <"$TMP/loc.want")
check_eq 'pages of 1000 until a short page' "$(api_stat requests)" "$((n / 1000 + 1))"
check_grep 'raw UTF-8 is left raw' '[^ -~]' "$TMP/loc.ndjson"
api_admin requests | pyj '"\n".join(r["path"] + "?" + r["query"] for r in j)' >"$TMP/req"
check_grep 'page 1 asks limit=1000' '^/v3/locations\?limit=1000&page=1$' "$TMP/req"
check_grep 'then page 2' '^/v3/locations\?limit=1000&page=2$' "$TMP/req"
api_admin requests | pyj 'j[0]["ua"]' >"$TMP/ua"
check_grep 'the User-Agent names the tool and its version' '^aq-fetch/[0-9]' "$TMP/ua"
check_eq 'gzip is accepted' "$(api_admin requests | pyj 'j[0]["gzip"]')" True
check_eq 'one connection serves every page' "$(api_admin requests | pyj 'len({r["port"] for r in j})')" 1

# found is ">100" or a page count here: never a reason to stop
api_admin reset >/dev/null
check 'small pages' aq-fetch -q --limit 100 locations
check_same 'small pages give the same records' "$TMP/.out" "$TMP/loc.want"
check_eq 'and one request per page, plus the short one' "$(api_stat requests)" "$((n / 100 + 1))"

# filters, sent as the API spells them
api_admin reset >/dev/null
check 'locations --iso LU' aq-fetch -q locations --iso LU
cp "$TMP/.out" "$TMP/lu.ndjson"
api_truth '/v3/locations&iso=LU' >"$TMP/lu.want"
check_same '--iso LU gives the LU locations' "$TMP/lu.ndjson" "$TMP/lu.want"
check_eq 'iso=LU is sent' "$(api_admin requests | pyj 'j[0]["query"]')" 'iso=LU&limit=1000&page=1'
check_status '--iso with --countries is refused before any request' 64 aq-fetch locations --iso LU --countries 1
check_status 'a filter a kind does not take is refused' 64 aq-fetch owners --iso LU
check_status 'a bad country code' 64 aq-fetch locations --iso LUX

# countries, parameters, the other lists
: >"$TMP/lists.err"
for k in countries parameters providers owners instruments manufacturers licenses; do
	aq-fetch -q "$k" >"$TMP/$k.ndjson" 2>"$TMP/$k.err" || echo "$k: exit $?" >>"$TMP/lists.err"
	api_truth "/v3/$k" | cmp -s - "$TMP/$k.ndjson" || echo "$k differs" >>"$TMP/lists.err"
done
check_empty 'every list kind equals the server data' "$TMP/lists.err"

# sensors of a location, with locationsId added
loc=$(head -1 "$TMP/lu.ndjson" | pyj 'j["id"]')
check 'sensors --location ID' aq-fetch -q sensors --location "$loc"
head -1 "$TMP/.out" | pyj 'j["locationsId"]' >"$TMP/lid" 2>&1
check_eq 'sensor records carry locationsId' "$(cat "$TMP/lid")" "$loc"

# get: any path, /v3 optional and never doubled
api_admin reset >/dev/null
check 'get /v3/locations/ID' aq-fetch -q get "/v3/locations/$loc"
check 'get locations/ID' aq-fetch -q get "locations/$loc"
check_eq 'the same request either way' "$(api_admin requests | pyj '" ".join(r["path"] for r in j)')" \
	"/v3/locations/$loc /v3/locations/$loc"
check_status 'a camelCase parameter is refused (the API would ignore it)' 64 \
	aq-fetch get /v3/locations datetimeFrom=2025-01-01

# --- keys ---
check_status 'a key on the command line is refused' 64 aq-fetch --api-key=abc countries
(unset OPENAQ_API_KEY; aq-fetch countries >"$TMP/.out" 2>"$TMP/.err"); st=$?
check_eq 'no key at all: exit 77' "$st" 77
api_admin reset >/dev/null
OPENAQ_API_KEY=wrong-key-123 aq-fetch countries >"$TMP/.out" 2>"$TMP/err401"; st=$?
check_eq 'a refused key: exit 77' "$st" 77
check_grep 'with the API own words' 'HTTP 401: Invalid credentials' "$TMP/err401"
check_nogrep 'and without the key' wrong-key-123 "$TMP/err401"
check_eq '401 is not retried' "$(api_stat requests)" 1
printf 'test-key\n' >"$TMP/keyfile"
(unset OPENAQ_API_KEY; aq-fetch -q --api-key-file "$TMP/keyfile" countries >"$TMP/.out" 2>"$TMP/.err"); st=$?
check_eq '--api-key-file works' "$st" 0

# -v logs every request without the key
aq-fetch -v countries >/dev/null 2>"$TMP/verbose"
check_grep '-v logs the request' 'GET /v3/countries\?limit=1000&page=1 200' "$TMP/verbose"
check_nogrep '-v never shows the key' "$OPENAQ_API_KEY" "$TMP/verbose"

# transport warnings
aq-fetch -q countries >/dev/null 2>"$TMP/warn"
check_empty 'plain http to loopback: no warning' "$TMP/warn"
aq-fetch -q --insecure countries >/dev/null 2>"$TMP/warn"
check_grep '--insecure warns' 'TLS certificates are not verified' "$TMP/warn"

aq-fetch --help >"$TMP/help"
lines=$(wc -l <"$TMP/help") width=$(wc -L <"$TMP/help")
ok "--help fits on one screen: at most 24 lines ($lines)" "$lines" -le 24
ok "and at most 80 columns ($width)" "$width" -le 80
