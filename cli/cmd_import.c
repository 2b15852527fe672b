/* SPDX-License-Identifier: MIT */
/* cmd_import.c: `mailferry import FORMAT --db STAGE PATH`. */
#include "cli/cli.h"
#include "core/json.h"
#include "engine/importer.h"

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
	"  --mailbox NAME          single-file import: the owner of FILE\n"
	"  --postoffice PO         single-file import: the owner's post office\n"
	"  --codepage CP           override the manifest's code page (850, 437, 1252, ...)\n"
	"  --timezone ZONE         override the manifest's time zone (Europe/Paris, ...)\n"
	"  --date-order ORDER      override the manifest's date order (mdy, dmy, ymd)\n"
	"  --keep-system-folders   cc:Mail: also import Clipboard, Stationery, Preferences, Rules\n"
	"  --strict                exit 1 when any error problem was recorded\n"
	"  --quiet                 no progress output\n"
	"  --json                  print the summary as JSON\n"
	"\n"
	"Exit codes: 0 imported (damaged messages may have been skipped and\n"
	"recorded), 1 with --strict and error problems, 2 usage, 3 the input or the\n"
	"database could not be read at all.\n";

static const char SQL_RUN_PROBLEMS[] =
	"SELECT severity, count(*) FROM problems WHERE run_id = ?1 GROUP BY severity";

int cmd_import(int argc, char **argv)
{
	enum { O_DB = 1, O_MAILBOX, O_PO, O_CP, O_TZ, O_ORDER, O_KEEP, O_STRICT, O_QUIET, O_JSON };
	static const struct option lo[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "mailbox", required_argument, NULL, O_MAILBOX },
		{ "postoffice", required_argument, NULL, O_PO },
		{ "codepage", required_argument, NULL, O_CP },
		{ "timezone", required_argument, NULL, O_TZ },
		{ "date-order", required_argument, NULL, O_ORDER },
		{ "keep-system-folders", no_argument, NULL, O_KEEP },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "json", no_argument, NULL, O_JSON },
		{ 0, 0, 0, 0 }
	};
	struct mf_import_opts opts;
	struct mf_import_stats stats;
	const struct mf_importer *imp;
	const char *db = NULL, *format, *path;
	struct mf_store *st;
	struct mf_diag d;
	int c, rc, exitc = MF_EXIT_OK;
	int64_t run_id;
	sqlite3_stmt *s;
	struct mf_buf js;

	memset(&opts, 0, sizeof(opts));
	memset(&stats, 0, sizeof(stats));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_MAILBOX: opts.mailbox = optarg; break;
		case O_PO: opts.postoffice = optarg; break;
		case O_CP: opts.codepage = optarg; break;
		case O_TZ: opts.timezone = optarg; break;
		case O_ORDER: opts.date_order = optarg; break;
		case O_KEEP: opts.keep_system_folders = 1; break;
		case O_STRICT: opts.strict = 1; break;
		case O_QUIET: opts.quiet = 1; break;
		case O_JSON: opts.json = 1; break;
		default: return cli_usage("import", "unknown option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage("import", "wants FORMAT and PATH");
	format = argv[optind];
	path = argv[optind + 1];
	if (!db)
		return cli_usage("import", "--db STAGE is required");
	if (!strcmp(format, "auto")) {
		imp = mf_importer_probe(path);
		if (!imp) {
			fprintf(stderr, "mailferry: %s: not a format mailferry recognises "
				"(see 'mailferry formats')\n", path);
			return MF_EXIT_FATAL;
		}
	} else {
		imp = mf_importer_find(format);
		if (!imp)
			return cli_usage("import", "unknown format '%s' (see 'mailferry formats')", format);
	}
	if (!imp->import) {
		fprintf(stderr, "mailferry: importer '%s' is not built\n", imp->name);
		return MF_EXIT_FATAL;
	}
	if ((rc = cli_open_store(&st, db, 1, 0)) != MF_EXIT_OK)
		return rc;
	mf_diag_clear(&d);
	if (mf_store_run_begin(st, &run_id, "import", imp->name, path, NULL, &d) < 0) {
		mf_store_close(&st);
		return cli_fatal(&d);
	}
	mf_store_set_context(st, run_id, 0);
	rc = imp->import(st, path, &opts, &stats, &d);
	mf_store_rollback(st); /* nothing is left open on failure */
	s = mf_store_stmt(st, SQL_RUN_PROBLEMS, NULL);
	if (s) {
		sqlite3_bind_int64(s, 1, run_id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *sev = (const char *)sqlite3_column_text(s, 0);
			int64_t n = sqlite3_column_int64(s, 1);
			if (sev && !strcmp(sev, "info"))
				stats.problems[MF_INFO] = n;
			else if (sev && !strcmp(sev, "warning"))
				stats.problems[MF_WARNING] = n;
			else
				stats.problems[MF_ERROR] = n;
		}
		sqlite3_reset(s);
	}
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	mf_buf_addch(&js, '{');
	mf_json_kv_str(&js, "format", imp->name, 1);
	mf_json_kv_str(&js, "path", path, 0);
	mf_json_kv_int(&js, "files", stats.files, 0);
	mf_json_kv_int(&js, "files_skipped", stats.files_skipped, 0);
	mf_json_kv_int(&js, "mailboxes", stats.mailboxes, 0);
	mf_json_kv_int(&js, "messages", stats.messages, 0);
	mf_json_kv_int(&js, "messages_skipped", stats.messages_skipped, 0);
	mf_json_kv_int(&js, "calendar_items", stats.calendar_items, 0);
	mf_json_kv_int(&js, "directory_entries", stats.dir_entries, 0);
	mf_json_kv_int(&js, "bytes", stats.bytes, 0);
	mf_json_key(&js, "problems", 0);
	mf_buf_addch(&js, '{');
	mf_json_kv_int(&js, "info", stats.problems[MF_INFO], 1);
	mf_json_kv_int(&js, "warning", stats.problems[MF_WARNING], 0);
	mf_json_kv_int(&js, "error", stats.problems[MF_ERROR], 0);
	mf_buf_addstr(&js, "}}");
	if (rc < 0) {
		mf_store_run_end(st, run_id, "failed", js.data, NULL);
		exitc = cli_fatal(&d);
	} else {
		int bad = opts.strict && stats.problems[MF_ERROR] > 0;
		mf_store_run_end(st, run_id, stats.problems[MF_ERROR] ? "problems" : "ok",
				 js.data, NULL);
		exitc = bad ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	}
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
	return exitc;
}
