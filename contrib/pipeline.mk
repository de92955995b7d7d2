# pipeline.mk: the OpenAQ batch pipeline as file targets, for GNU make.
#
#   make -f pipeline.mk [-j N] [ISO=LU] [DB=conninfo] [DATA=dir] [FROM=date TO=date] [target]
#
# Every fetch writes one file named by the day (dimensions) or the hour
# (latest), so a rerun in the same period makes no request at all and the
# timer's next run fetches fresh data.  Each file is written to NAME.tmp and
# renamed when its command succeeded: a failure leaves no half-made target
# and stops everything that depends on it.  Loads run in dependency order
# (aq-load --init, then dimension tables, then measurements); a load is
# recorded by a stamp file under $(DATA)/loaded.  Independent fetches run in
# parallel under make -j: every aq-fetch process of one key shares one rate
# budget through the state file in $AQ_STATE_DIR (see aq-fetch(1)).
#
# The backfill takes each day older than ARCHIVE_LAG days from the OpenAQ
# archive on S3 (no key, no rate limit; $OPENAQ_ARCHIVE_URL names another
# server), through one manifest in $(DATA), so that a later run fetches only
# what is new or patched (the manifest moves on once the rows are loaded),
# and the newer days from the API's hours.
#
# The API's hours are incremental (INCREMENTAL=yes, the default): before the
# fetch, psql asks the database's sensor_watermark view for the newest hour
# it holds of each sensor of ISO, and aq-fetch starts each such sensor at
# that hour less LOOKBACK (OpenAQ's sources deliver late) instead of at
# H_FROM, so a run asks only for each sensor's tail; a sensor the database
# has no hour of starts at H_FROM.  INCREMENTAL=no fetches the whole window.
#
# Targets: all (default), dims, latest, backfill, fetch, clean-tmp.
# See openaq(7).

ISO ?= LU
DB ?=
DATA ?= data
# The backfill window of hourly values, as dates (YYYY-MM-DD: a colon would
# break a target name): yesterday, by default, so that the
# daily timer run fetches the day that just ended.
FROM ?= $(shell date -u -d yesterday +%Y-%m-%d 2>/dev/null || date -u -v-1d +%Y-%m-%d)
TO ?= $(shell date -u +%Y-%m-%d)
# How to get the latest values: "locations" (one request per location of
# ISO: the fewest for a small country) or "parameters" (one paged walk per
# parameter, worldwide: the fewest for a large country or the whole world).
LATEST ?= $(if $(ISO),locations,parameters)
# The periods that name the targets.
DAY ?= $(shell date -u +%Y-%m-%d)
HOUR ?= $(shell date -u +%Y-%m-%dT%H)
# Archive files appear about 72 hours after a location's local day ends:
# the days older than this many days come from the archive.
ARCHIVE_LAG ?= 3
# A file holding the API key (else aq-fetch reads OPENAQ_API_KEY).
API_KEY_FILE ?=
# Incremental hours: start each sensor at its newest stored hour less this.
INCREMENTAL ?= yes
LOOKBACK ?= 24h

AQ_FETCH ?= aq-fetch
AQ_DIMS ?= aq-dims
AQ_NORM ?= aq-norm
AQ_LOAD ?= aq-load
PSQL ?= psql
FETCHFLAGS ?= -q
NORMFLAGS ?=
LOADFLAGS ?= -q

fetch = $(AQ_FETCH) $(FETCHFLAGS) $(if $(API_KEY_FILE),--api-key-file '$(API_KEY_FILE)')
load = $(AQ_LOAD) $(LOADFLAGS) $(if $(DB),-d '$(DB)')
# the ids of aq-dims rows (their first key)
ids_sed := s/^{"id":\([0-9]*\),.*/\1/p
# run CMD with its output into $@.tmp, then rename; never leave the .tmp
tmp_then_rename = { $(1) >'$@.tmp' && mv -f '$@.tmp' '$@'; } || { st=$$?; rm -f '$@.tmp'; exit $$st; }

L := $(DATA)/loaded
COUNTRIES := $(DATA)/countries-$(DAY).ndjson
PARAMETERS := $(DATA)/parameters-$(DAY).ndjson
LOCATIONS := $(DATA)/locations-$(ISO)-$(DAY).ndjson
SENSORS := $(DATA)/sensors-$(ISO)-$(DAY).ndjson
LATEST_RAW := $(DATA)/latest-$(ISO)-$(HOUR).ndjson
# The window split at the archive's lag: archive days FROM..A_TO, API hours
# H_FROM..TO.  The API part starts a day before the first day the archive
# lacks: archive days are local days, and a day's overlap covers every zone
# (UTC-12 to UTC+14); the rows differ in period (raw, hour), so none is lost.
# Dates compare as text (YYYY-MM-DD); make's sort gives the smaller.
ARCH_LAST := $(shell date -u -d '$(DAY) -$(ARCHIVE_LAG) days -1 day' +%Y-%m-%d 2>/dev/null)
A_TO := $(firstword $(sort $(TO) $(ARCH_LAST)))
H_FROM := $(lastword $(sort $(FROM) $(ARCH_LAST)))
HAS_ARCHIVE := $(if $(ARCH_LAST),$(filter $(FROM),$(firstword $(sort $(FROM) $(A_TO)))))
HAS_HOURS := $(if $(ARCH_LAST),$(filter-out $(ARCH_LAST),$(lastword $(sort $(TO) $(ARCH_LAST)))),yes)
ifeq ($(ARCH_LAST),)
H_FROM := $(FROM)
endif
HOURS_RAW := $(DATA)/hours-$(ISO)-$(H_FROM)-$(TO).ndjson
SINCE := $(DATA)/since-$(ISO)-$(H_FROM)-$(TO).ndjson
ARCHIVE_RAW := $(DATA)/archive-$(ISO)-$(FROM)-$(A_TO).ndjson
MANIFEST := $(DATA)/archive-$(ISO).manifest
# the manifest as it will be once ARCHIVE_RAW is loaded
ARCHIVE_MANIFEST := $(DATA)/archive-$(ISO)-$(FROM)-$(A_TO).manifest

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all dims latest backfill fetch init clean-tmp

all: dims latest backfill
dims: $(L)/country-$(DAY) $(L)/parameter-$(DAY) $(L)/location-$(ISO)-$(DAY) $(L)/sensor-$(ISO)-$(DAY)
latest: $(L)/latest-$(ISO)-$(HOUR)
backfill: $(if $(HAS_ARCHIVE),$(L)/archive-$(ISO)-$(FROM)-$(A_TO)) \
	$(if $(HAS_HOURS),$(L)/hours-$(ISO)-$(H_FROM)-$(TO))
fetch: $(COUNTRIES) $(PARAMETERS) $(LOCATIONS) $(LATEST_RAW) \
	$(if $(HAS_ARCHIVE),$(ARCHIVE_RAW)) $(if $(HAS_HOURS),$(HOURS_RAW))
init: $(L)/init

$(DATA) $(L):
	mkdir -p '$@'

# --- fetches: the only targets that make requests ----------------------
$(COUNTRIES): | $(DATA)
	@$(call tmp_then_rename,$(fetch) countries)
$(PARAMETERS): | $(DATA)
	@$(call tmp_then_rename,$(fetch) parameters)
$(LOCATIONS): | $(DATA)
	@$(call tmp_then_rename,$(fetch) --iso '$(ISO)' locations)

ifeq ($(LATEST),parameters)
$(LATEST_RAW): | $(DATA)
	@$(call tmp_then_rename,$(fetch) latest)
else
# one request per location: ids from the location rows
$(LATEST_RAW): $(DATA)/location-rows-$(ISO)-$(DAY).ndjson
	@$(call tmp_then_rename,(for id in $$(sed -n '$(ids_sed)' '$<'); do \
		$(fetch) latest --location "$$id" || exit; done))
endif

ifeq ($(INCREMENTAL),yes)
# what the database holds: per sensor of ISO, its newest hour.  The country
# goes to psql as a variable, quoted by psql (:'iso'), never pasted into SQL.
# (after --init, so that the view exists; before this run's dimensions are
# loaded is enough: a sensor new today has no hour stored yet)
$(SINCE): | $(L)/init
	@$(call tmp_then_rename,echo "SELECT json_build_object('id', w.sensor_id, 'since', w.datetime) \
		FROM sensor_watermark w JOIN sensor s ON s.id = w.sensor_id \
		JOIN location l ON l.id = s.location_id \
		WHERE w.period = 'hour' AND l.country_code = :'iso' ORDER BY w.sensor_id" | \
		$(PSQL) -X -q -At -v ON_ERROR_STOP=1 -v iso='$(ISO)' $(if $(DB),-d '$(DB)'))
$(HOURS_RAW): $(SENSORS) $(SINCE)
	@$(call tmp_then_rename,cat '$(SENSORS)' '$(SINCE)' | $(fetch) hours --sensors-from - \
		--lookback '$(LOOKBACK)' --from '$(H_FROM)' --to '$(TO)')
else
$(HOURS_RAW): $(SENSORS)
	@$(call tmp_then_rename,$(fetch) hours --sensors-from '$<' --from '$(H_FROM)' --to '$(TO)')
endif

# the archive: no key, no rate limit.  aq-fetch updates a copy of the
# manifest, which is kept beside the output (ARCHIVE_MANIFEST) only when the
# output is, and replaces the manifest only once the output is loaded: a
# failed fetch leaves neither (a rerun refetches all it lost), and a failed
# load leaves the manifest as it was, so that the next day's run, whose
# targets have new names, fetches (and loads) those objects again.
$(ARCHIVE_RAW): $(LOCATIONS)
	@cp '$(MANIFEST)' '$(ARCHIVE_MANIFEST).tmp' 2>/dev/null || rm -f '$(ARCHIVE_MANIFEST).tmp'; \
	if $(fetch) archive --locations-from '$<' --from '$(FROM)' --to '$(A_TO)' \
		--manifest '$(ARCHIVE_MANIFEST).tmp' >'$@.tmp' && \
		{ [ ! -e '$(ARCHIVE_MANIFEST).tmp' ] || mv -f '$(ARCHIVE_MANIFEST).tmp' '$(ARCHIVE_MANIFEST)'; } && \
		mv -f '$@.tmp' '$@'; then :; \
	else st=$$?; rm -f '$@.tmp' '$(ARCHIVE_MANIFEST).tmp' '$(ARCHIVE_MANIFEST)'; exit $$st; fi

# --- rows: no requests ---------------------------------------------------
$(DATA)/country-rows-$(DAY).ndjson: $(COUNTRIES)
	@$(call tmp_then_rename,$(AQ_DIMS) -q countries '$<')
$(DATA)/parameter-rows-$(DAY).ndjson: $(PARAMETERS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q parameters '$<')
$(DATA)/location-rows-$(ISO)-$(DAY).ndjson: $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q locations '$<')
$(SENSORS): $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q sensors '$<')
# readings: parameter, units and location filled in from the locations; a
# worldwide walk's records name only their parametersId, whose parameter
# rows give parameter and units to the sensors no locations file knows
$(DATA)/latest-rows-$(ISO)-$(HOUR).ndjson: $(LATEST_RAW) $(LOCATIONS) $(DATA)/parameter-rows-$(DAY).ndjson
	@$(call tmp_then_rename,$(AQ_NORM) -q $(NORMFLAGS) --sensors '$(LOCATIONS)' \
		--sensors '$(DATA)/parameter-rows-$(DAY).ndjson' --reject '$@.rejects' '$<')
$(DATA)/hours-rows-$(ISO)-$(H_FROM)-$(TO).ndjson: $(HOURS_RAW) $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_NORM) -q $(NORMFLAGS) --sensors '$(LOCATIONS)' \
		--reject '$@.rejects' '$<')
$(DATA)/archive-rows-$(ISO)-$(FROM)-$(A_TO).ndjson: $(ARCHIVE_RAW) $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_NORM) -q $(NORMFLAGS) --sensors '$(LOCATIONS)' \
		--reject '$@.rejects' '$<')

# --- loads, in dependency order; each leaves a stamp -------------------
$(L)/init: | $(L)
	$(load) --init
	@touch '$@'
$(L)/country-$(DAY): $(DATA)/country-rows-$(DAY).ndjson $(L)/init
	$(load) -t country '$<'
	@touch '$@'
$(L)/parameter-$(DAY): $(DATA)/parameter-rows-$(DAY).ndjson $(L)/init
	$(load) -t parameter '$<'
	@touch '$@'
$(L)/location-$(ISO)-$(DAY): $(DATA)/location-rows-$(ISO)-$(DAY).ndjson $(L)/country-$(DAY)
	$(load) -t location '$<'
	@touch '$@'
$(L)/sensor-$(ISO)-$(DAY): $(SENSORS) $(L)/location-$(ISO)-$(DAY) $(L)/parameter-$(DAY)
	$(load) -t sensor '$<'
	@touch '$@'
$(L)/latest-$(ISO)-$(HOUR): $(DATA)/latest-rows-$(ISO)-$(HOUR).ndjson $(L)/sensor-$(ISO)-$(DAY)
	$(load) -t measurement --reject '$@.rejects' '$<'
	@touch '$@'
$(L)/hours-$(ISO)-$(H_FROM)-$(TO): $(DATA)/hours-rows-$(ISO)-$(H_FROM)-$(TO).ndjson $(L)/sensor-$(ISO)-$(DAY)
	$(load) -t measurement --reject '$@.rejects' '$<'
	@touch '$@'
$(L)/archive-$(ISO)-$(FROM)-$(A_TO): $(DATA)/archive-rows-$(ISO)-$(FROM)-$(A_TO).ndjson $(L)/sensor-$(ISO)-$(DAY)
	$(load) -t measurement --reject '$@.rejects' '$<'
	@[ ! -e '$(ARCHIVE_MANIFEST)' ] || mv -f '$(ARCHIVE_MANIFEST)' '$(MANIFEST)'
	@touch '$@'

# leftovers of a killed make (a normal failure removes its own)
clean-tmp:
	rm -f '$(DATA)'/*.tmp
