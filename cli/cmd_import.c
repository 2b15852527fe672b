/* SPDX-License-Identifier: MIT */
/* cmd_import.c: `mailferry import FORMAT --db STAGE PATH`. */
#include "cli/cli.h"
#include "engine/import.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_import_help[] =
	"usage: mailferry import FORMAT --db STAGE [options] PATH\n"
	"       mailferry import ccmail --db STAGE --mailbox \"Last, First\" --postoffice PO FILE\n"
	"\n"
	"Read a legacy export into the staging database STAGE (created if missing,\n"
	"mode 0600).  FORMAT is an importer from 'mailferry formats': ccmail (an\n"
	"export set folder), msmail (an export bundle folder), directory (a CSV\n"
	"snapshot of the target's recipients), or auto (detect it).\n"
	"\n"
	"Importing the same files again changes nothing: files are recognised by\n"
	"their sha256, and an interrupted import resumes where it stopped.\n"
	"Everything the importer had to guess, repair or skip is recorded as a\n"
	"problem (see 'mailferry status' and the problem_summary view).\n"
	"\n"
	"options:\n"
	"  --db STAGE              the staging database (required)\n"
	"@import-options@\n"
	"\n"
	"Exit codes: 0 imported (damaged messages may have been skipped and\n"
	"recorded), 1 with --strict and error problems, 2 usage, 3 the input or the\n"
	"database could not be read at all.\n";

int cmd_import(int argc, char **argv)
{
	struct option lo[64];
	struct mf_optvals vals;
	struct mf_import_opts opts;
	struct mf_import_stats stats;
	const struct mf_importer *imp;
	const struct option *ilo = cli_import_long_options(0);
	const char *db = NULL, *format, *path;
	struct mf_store *st;
	struct mf_diag d;
	int c, rc, exitc = MF_EXIT_OK;
	int64_t run_id;
	struct mf_buf js;
	size_t k = 0;

	lo[k++] = (struct option){ "db", required_argument, NULL, 'd' };
	for (size_t i = 0; ilo[i].name && k < 63; i++)
		lo[k++] = ilo[i];
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
	memset(&opts, 0, sizeof(opts));
	cli_import_values(&vals);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
			continue;
		}
		rc = cli_opt_set(&vals, c, optarg, "import", NULL);
		if (rc <= 0) {
			mf_optvals_release(&vals);
			return rc < 0 ? MF_EXIT_USAGE : cli_usage("import", "unknown option");
		}
	}
	mf_optvals_fill(&vals, &opts);
	opts.values = &vals;
	if (optind + 2 != argc) {
		mf_optvals_release(&vals);
		return cli_usage("import", "wants FORMAT and PATH");
	}
	format = argv[optind];
	path = argv[optind + 1];
	if (!db) {
		mf_optvals_release(&vals);
		return cli_usage("import", "--db STAGE is required");
	}
	if (!strcmp(format, "auto")) {
		imp = mf_importer_probe(path);
		if (!imp) {
			fprintf(stderr, "mailferry: %s: not a format mailferry recognises "
				"(see 'mailferry formats')\n", path);
			mf_optvals_release(&vals);
			return MF_EXIT_FATAL;
		}
	} else {
		imp = mf_importer_find(format);
		if (!imp) {
			mf_optvals_release(&vals);
			return cli_usage("import", "unknown format '%s' (see 'mailferry formats')", format);
		}
	}
	if ((rc = cli_open_store(&st, db, 1, 0)) != MF_EXIT_OK) {
		mf_optvals_release(&vals);
		return rc;
	}
	mf_diag_clear(&d);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	rc = mf_import_run(st, imp, path, &opts, &stats, &run_id, &js, &d);
	if (rc < 0 && !run_id) {
		exitc = cli_fatal(&d);
		mf_buf_release(&js);
		mf_store_close(&st);
		mf_optvals_release(&vals);
		return exitc;
	}
	if (rc < 0)
		exitc = cli_fatal(&d);
	else
		exitc = opts.strict && stats.problems[MF_ERROR] > 0 ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	if (opts.json)
		printf("%s\n", js.data);
	else if (rc >= 0)
		printf("imported %s: %lld mailboxes, %lld messages (%lld damaged and skipped), "
		       "%lld calendar items, %lld files (%lld already imported); problems: "
		       "%lld errors, %lld warnings, %lld info\n",
		       path, (long long)stats.mailboxes, (long long)stats.messages,
		       (long long)stats.messages_skipped, (long long)stats.calendar_items,
		       (long long)stats.files, (long long)stats.files_skipped,
		       (long long)stats.problems[MF_ERROR], (long long)stats.problems[MF_WARNING],
		       (long long)stats.problems[MF_INFO]);
	mf_buf_release(&js);
	mf_store_close(&st);
	mf_optvals_release(&vals);
	return exitc;
}
