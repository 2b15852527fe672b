/* SPDX-License-Identifier: MIT */
/* cmd_misc.c: `mailferry init` and `mailferry formats`. */
#include "cli/cli.h"
#include "engine/importer.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_init_help[] =
	"usage: mailferry init --db STAGE\n"
	"\n"
	"Create an empty staging database (mode 0600) with the current schema, or\n"
	"upgrade an existing one.  Imports create the database themselves, so this\n"
	"is only needed to inspect an empty store.\n";

int cmd_init(int argc, char **argv)
{
	static const struct option lo[] = { { "db", required_argument, NULL, 'd' }, { 0, 0, 0, 0 } };
	const char *db = NULL;
	struct mf_store *st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else
			return cli_usage("init", "unknown option");
	}
	if (!db)
		return cli_usage("init", "--db STAGE is required");
	if ((rc = cli_open_store(&st, db, 1, 0)) != MF_EXIT_OK)
		return rc;
	printf("staging database %s: schema version %d\n", db, mf_store_schema_version());
	mf_store_close(&st);
	return MF_EXIT_OK;
}

const char cmd_formats_help[] =
	"usage: mailferry formats\n"
	"\n"
	"List the importers (sources mailferry reads) and exporters (targets it\n"
	"writes), one per line: kind, name, state, summary.\n";

int cmd_formats(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("importers:\n");
	for (size_t i = 0; mf_importers[i]; i++)
		printf("  %-10s %-9s %s\n", mf_importers[i]->name, "built", mf_importers[i]->summary);
	printf("exporters:\n");
	for (size_t i = 0; mf_exporters[i]; i++)
		printf("  %-10s %-9s %s\n", mf_exporters[i]->name, "built", mf_exporters[i]->summary);
	return MF_EXIT_OK;
}
