/*
 * fuzz-aq-dims: aq-dims' row builders, its own code unchanged:
 * bin/aq-dims.c is included whole (its main renamed), and each record of
 * the input goes through its on_record() once for every kind (countries,
 * parameters, locations, ... location-instruments).  Every row written
 * and every reject record must be one JSON object a line.
 */
#include "fuzz.h"

int aq_dims_main(int argc, char **argv);
#define main aq_dims_main
#include "aq-dims.c"
#undef main

static struct aq_reader *in;
static char err[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cli_init("aq-dims");
	/* a small set, so that its restart is reached too */
	idset_init(&g.seen, 64);
	FUZZ_CHECK((in = aq_reader_new()) != NULL);
	aq_reader_set_errbuf(in, err, sizeof err);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct aq_value *rec;
	struct fuzz_out o;
	size_t k;
	int rc;

	/* commit() writes the rows to stdout */
	fuzz_out_begin(&o);
	memset(&g.rejects, 0, sizeof g.rejects);
	g.rejects.fp = o.rej;
	FUZZ_CHECK((g.rejects.w = aq_writer_new(g.rejects.fp)) != NULL);

	FUZZ_CHECK(aq_reader_open(in, fuzz_fd(0, data, size), "in") == AQ_OK);
	while ((rc = aq_reader_next(in, &rec)) == AQ_OK || rc == AQ_EJSON) {
		if (rc != AQ_OK)
			continue;
		for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			kind_fn = kinds[k].fn;
			g.kind = kinds[k].name;
			FUZZ_CHECK(on_record(NULL, in, rec) == 0);
			FUZZ_CHECK(g.npend == 0 && g.rows.len == 0);
		}
	}
	FUZZ_CHECK(rc == AQ_EOF);
	FUZZ_CHECK(cli_rejects_close(&g.rejects) == 0);
	fuzz_out_end(&o);
	return 0;
}
