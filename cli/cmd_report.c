/* SPDX-License-Identifier: MIT */
/* cmd_report.c: `mailferry report`: write the migration report (HTML or JSON). */
#include "cli/cli.h"
#include "cli/report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_report_help[] =
	"usage: mailferry report --db STAGE [--html FILE] [--json[=FILE]]\n"
	"       mailferry report --merge STAGE... [--html FILE] [--json[=FILE]]\n"
	"\n"
	"Write the migration report of a staging database: what was staged, what\n"
	"reached each target (from the delivery ledger, so resumed runs count\n"
	"once), the problems by code with examples, the sources and the timings\n"
	"of every run.\n"
	"\n"
	"--html FILE writes one self-contained page (inline SVG and CSS, no\n"
	"script, no external file, mode 0600): totals, for each target a bar per\n"
	"mailbox (messages delivered, failed, skipped: outside the selection or\n"
	"not reached yet), problems by code with up to three examples, source and\n"
	"target details, a table and a chart of run durations.\n"
	"\n"
	"--json prints the same report as one JSON object on standard output\n"
	"(--json=FILE writes it to FILE):\n"
	"  {\"report\":\"mailferry\",\"version\":1,\"generated_at\",\"databases\":[...],\n"
	"   \"sources\":[{\"format\",\"path\",\"postoffice\",\"network\",\"codepage\",\n"
	"     \"timezone\",\"date_order\",\"exported_at\"}],\n"
	"   \"staged\":{\"mailboxes\",\"public\",\"messages\",\"attachments\",\"bytes\",\n"
	"     \"calendar_items\"},\n"
	"   \"targets\":[{\"target\",\"format\",\"options\",\"totals\":{\"mailboxes\",\n"
	"     \"mailboxes_done\",\"messages\",\"delivered\",\"failed\",\"skipped\",\n"
	"     \"calendar_delivered\"},\"mailboxes\":[{\"alias\",\"display_name\",\n"
	"     \"source_address\",\"kind\",\"messages\",\"delivered\",\"failed\",\"skipped\",\n"
	"     \"calendar_items\",\"calendar_delivered\",\"done\"}]}],\n"
	"   \"problems\":{\"error\",\"warning\",\"info\",\"codes\":[{\"severity\",\"code\",\n"
	"     \"count\",\"examples\":[{\"alias\",\"file\",\"offset\",\"text\"}]}]},\n"
	"   \"runs\":[{\"database\",\"id\",\"kind\",\"format\",\"target\",\"status\",\n"
	"     \"started_at\",\"finished_at\",\"seconds\",\"items\",\"bytes\"}]}\n"
	"Without --html, --json is assumed.\n"
	"\n"
	"--merge joins the staging databases of the shards of one migration\n"
	"('mailferry batch --shard I/N', each shard with its own database) into\n"
	"one report, equal to the report of the same migration run unsharded.\n"
	"Mailboxes are matched by source address, targets by their identity\n"
	"without the output folder's instance suffix; a mailbox's figures come\n"
	"from the shard that migrated it; problems found by the import (every\n"
	"shard imports the whole source) count once, export problems add up.\n"
	"\n"
	"Exit codes: 0 written, 2 usage, 3 a database could not be read or a file\n"
	"not written.\n";

int cmd_report(int argc, char **argv)
{
	enum { O_DB = 1, O_HTML, O_JSON, O_MERGE };
	static const struct option lo[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "html", required_argument, NULL, O_HTML },
		{ "json", optional_argument, NULL, O_JSON },
		{ "merge", no_argument, NULL, O_MERGE },
		{ 0, 0, 0, 0 }
	};
	const char *db = NULL, *html = NULL, *json = NULL;
	const char **dbs;
	size_t n = 0;
	int merge = 0, c, rc;
	struct mf_diag d;
	struct mf_buf out;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_HTML: html = optarg; break;
		case O_JSON: json = optarg ? optarg : "-"; break;
		case O_MERGE: merge = 1; break;
		default: return cli_usage("report", "unknown option");
		}
	}
	if (merge && db)
		return cli_usage("report", "--merge takes the databases as arguments, not --db");
	if (!merge && optind != argc)
		return cli_usage("report", "takes no arguments (use --db STAGE, or --merge STAGE...)");
	if (merge && optind >= argc)
		return cli_usage("report", "--merge wants one or more staging databases");
	if (!merge && !db)
		return cli_usage("report", "--db STAGE is required");
	if (!html && !json)
		json = "-";
	if (merge) {
		dbs = (const char **)(argv + optind);
		n = (size_t)(argc - optind);
	} else {
		dbs = &db;
		n = 1;
	}
	mf_diag_clear(&d);
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	rc = cli_report_write(dbs, n, html, json, &out, &d);
	if (rc < 0) {
		mf_buf_release(&out);
		return cli_fatal(&d);
	}
	fwrite(out.data, 1, out.len, stdout);
	mf_buf_release(&out);
	if (html && (!json || strcmp(json, "-")))
		printf("report written to %s\n", html);
	return MF_EXIT_OK;
}
