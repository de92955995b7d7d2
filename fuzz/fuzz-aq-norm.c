/*
 * fuzz-aq-norm: aq-norm's record handling, its own code unchanged:
 * bin/aq-norm.c is included whole (its main renamed), and the input goes
 * through the tool's input loop (cli_loop_run, with its skip paths) into
 * its on_record() or, when the input does not start with '{', on_csv()
 * (--csv).  A sensors table (--sensors) fills in what records lack;
 * inputs of odd length run with --units canonical.  Every row written and
 * every reject record must be one JSON object a line.
 */
#include "fuzz.h"

int aq_norm_main(int argc, char **argv);
#define main aq_norm_main
#include "aq-norm.c"
#undef main

/* what --sensors reads: a location with sensors, and sensor rows */
static const char sensor_file[] =
    "{\"id\":1,\"timezone\":\"UTC\",\"coordinates\":{\"latitude\":48.1,\"longitude\":11.5},"
    "\"sensors\":[{\"id\":1,\"parameter\":{\"id\":2,\"name\":\"pm25\",\"units\":\"µg/m³\"}},"
    "{\"id\":2,\"parameter\":{\"id\":7,\"name\":\"no2\",\"units\":\"ppm\"}},"
    "{\"id\":3,\"parameter\":{\"id\":10,\"name\":\"o3\",\"units\":\"ppb\"}},"
    "{\"id\":4,\"parameter\":{\"id\":100,\"name\":\"temperature\",\"units\":\"f\"}}]}\n"
    "{\"id\":3917,\"location_id\":2178,\"parameter_id\":10,\"name\":\"o3 ppm\"}\n"
    "{\"id\":3919,\"location_id\":2178,\"parameter_id\":1,\"name\":\"pm10 µg/m³\"}\n"
    "{\"id\":10,\"name\":\"o3\",\"units\":\"ppm\"}\n"
    "{\"id\":1,\"name\":\"pm10\",\"units\":\"µg/m³\"}\n";


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cli_init("aq-norm");
	g.sensors = sensors_new();
	sensors_load(g.sensors, fuzz_path(fuzz_fd(2, sensor_file, sizeof sensor_file - 1)),
	    "--sensors", 0);
	sensors_done(g.sensors);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_out o;
	struct cli_loop loop;
	char *argv[2];
	size_t i;

	/* the rows go to stdout, which the loop flushes too */
	fuzz_out_begin(&o);
	memset(&g.rejects, 0, sizeof g.rejects);
	g.rejects.fp = o.rej;
	FUZZ_CHECK((g.rejects.w = aq_writer_new(g.rejects.fp)) != NULL);
	g.canonical = size & 1;
	window_init(&g.win, 4, o.out);
	memset(&hdr, 0, sizeof hdr);

	memset(&loop, 0, sizeof loop);
	for (i = 0; i < size && (data[i] == ' ' || data[i] == '\n'); i++)
		;
	if (i < size && data[i] != '{')
		loop.csv_record = on_csv;
	else {
		loop.record = on_record;
		loop.skip = skip;
	}
	loop.idle = on_idle;
	loop.rejects = &g.rejects;
	argv[0] = (char *)fuzz_path(fuzz_fd(0, data, size));
	argv[1] = NULL;
	(void)cli_loop_run(&loop, 1, argv);
	FUZZ_CHECK(window_flush(&g.win) == 0);
	window_free(&g.win);
	FUZZ_CHECK(cli_rejects_close(&g.rejects) == 0);
	fuzz_out_end(&o);
	return 0;
}
