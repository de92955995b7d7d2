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
# A file holding the API key (else aq-fetch reads OPENAQ_API_KEY).
API_KEY_FILE ?=

AQ_FETCH ?= aq-fetch
AQ_DIMS ?= aq-dims
AQ_NORM ?= aq-norm
AQ_LOAD ?= aq-load
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
HOURS_RAW := $(DATA)/hours-$(ISO)-$(FROM)-$(TO).ndjson

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all dims latest backfill fetch init clean-tmp

all: dims latest backfill
dims: $(L)/country-$(DAY) $(L)/parameter-$(DAY) $(L)/location-$(ISO)-$(DAY) $(L)/sensor-$(ISO)-$(DAY)
latest: $(L)/latest-$(ISO)-$(HOUR)
backfill: $(L)/hours-$(ISO)-$(FROM)-$(TO)
fetch: $(COUNTRIES) $(PARAMETERS) $(LOCATIONS) $(LATEST_RAW) $(HOURS_RAW)
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

$(HOURS_RAW): $(SENSORS)
	@$(call tmp_then_rename,$(fetch) hours --sensors-from '$<' --from '$(FROM)' --to '$(TO)')

# --- rows: no requests ---------------------------------------------------
$(DATA)/country-rows-$(DAY).ndjson: $(COUNTRIES)
	@$(call tmp_then_rename,$(AQ_DIMS) -q countries '$<')
$(DATA)/parameter-rows-$(DAY).ndjson: $(PARAMETERS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q parameters '$<')
$(DATA)/location-rows-$(ISO)-$(DAY).ndjson: $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q locations '$<')
$(SENSORS): $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_DIMS) -q sensors '$<')
# readings: parameter, units and location filled in from the locations
$(DATA)/latest-rows-$(ISO)-$(HOUR).ndjson: $(LATEST_RAW) $(LOCATIONS)
	@$(call tmp_then_rename,$(AQ_NORM) -q $(NORMFLAGS) --sensors '$(LOCATIONS)' \
		--reject '$@.rejects' '$<')
$(DATA)/hours-rows-$(ISO)-$(FROM)-$(TO).ndjson: $(HOURS_RAW) $(LOCATIONS)
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
$(L)/hours-$(ISO)-$(FROM)-$(TO): $(DATA)/hours-rows-$(ISO)-$(FROM)-$(TO).ndjson $(L)/sensor-$(ISO)-$(DAY)
	$(load) -t measurement --reject '$@.rejects' '$<'
	@touch '$@'

# leftovers of a killed make (a normal failure removes its own)
clean-tmp:
	rm -f '$(DATA)'/*.tmp
