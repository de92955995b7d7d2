/* aq-dims: turns raw OpenAQ records into dimension rows. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void CLI_DEAD
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: aq-dims [options] kind [file ...]\n");
	if (status == 0)
		fputs("\naq-dims turns raw OpenAQ records into dimension rows.\n"
		    "\n"
		    "  -h, --help     show this help and exit\n"
		    "  -V, --version  show the version and exit\n"
		    "\nSee aq-dims(1).\n", fp);
	exit(status);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	cli_init("aq-dims");
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'V':
			cli_version();
			return 0;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;

	cli_errx(EX_SOFTWARE, "not implemented yet in this version");
}
