/* SPDX-License-Identifier: MIT */
/* cmd_export.c: `mailferry export FORMAT --db STAGE [options]`. */
#include "cli/cli.h"
#include "cli/stop.h"
#include "engine/export.h"
#include "core/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_export_help[] =
	"usage: mailferry export FORMAT --db STAGE [target options] [selection]\n"
	"\n"
	"Write the staged mailboxes to a target.  FORMAT is an exporter from\n"
	"'mailferry formats'.  Every selected mailbox is created on the target,\n"
	"also one with no mail.  What reached the target is recorded in the\n"
	"delivery ledger, so running the same command again sends only what is\n"
	"missing; an interrupted export resumes.  Two runs on the same database and\n"
	"target share the work: a mailbox is exported by one run at a time.\n"
	"\n"
	"target options:\n"
	"@export-target@\n"
	"\n"
	"selection:\n"
	"@export-selection@\n"
	"\n"
	"run control:\n"
	"@export-run@\n"
	"\n"
	"Before the first mailbox the export makes the plan current ('mailferry\n"
	"plan') and runs the preflight check ('mailferry check'); while the check\n"
	"finds an error nothing is exported and each error is printed.  Every run\n"
	"ends with a summary per mailbox (plan action, messages planned, delivered,\n"
	"already there, failed, bytes, attachments, calendar items, problems),\n"
	"printed and stored (one row per mailbox in the run_mailboxes table, the\n"
	"totals in the run's row, runs.summary); --json prints it as\n"
	"{\"run_id\",\"format\",\"target\",\"status\",\"mailboxes\":[...],\"totals\":{...},\n"
	"\"preflight\":{...}}.\n"
	"\n"
	"Exit codes: 0 everything exported, 1 some items or mailboxes failed or were\n"
	"left to another run, or the preflight check failed (nothing moved), 2 usage,\n"
	"3 the target or the database could not be used.\n";

/* One line of the table (the run's figures are read back from the store). */
static int print_mailbox(void *arg, const struct mf_store_run_mailbox *m)
{
	(void)arg;
	printf("%-20s %-8s %7lld %9lld %7lld %6lld %10lld %6lld %8lld %8lld %-11s\n",
	       m->alias, m->action ? m->action : "-", (long long)m->planned,
	       (long long)m->delivered, (long long)m->already, (long long)m->failed,
	       (long long)m->bytes, (long long)m->attachments, (long long)m->calendar_items,
	       (long long)m->problems, m->state);
	return MF_OK;
}

int cmd_export(int argc, char **argv)
{
	struct option lo[128];
	struct cli_export_opts co;
	const struct mf_exporter *exp;
	struct mf_export_summary sum;
	struct mf_store *st;
	struct mf_diag d;
	const char *db = NULL;
	size_t k = 0;
	int c, rc, exitc;

	lo[k++] = (struct option){ "db", required_argument, NULL, 'd' };
	for (size_t i = 0; cli_export_long[i].name && k < 127; i++)
		lo[k++] = cli_export_long[i];
	lo[k] = (struct option){ NULL, 0, NULL, 0 };

	cli_export_opts_init(&co);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
			continue;
		}
		rc = cli_export_opt(&co, c, optarg, "export");
		if (rc < 0) {
			cli_export_opts_release(&co);
			return MF_EXIT_USAGE;
		}
		if (rc == 0) {
			cli_export_opts_release(&co);
			return cli_usage("export", "unknown option");
		}
	}
	if (optind + 1 != argc) {
		cli_export_opts_release(&co);
		return cli_usage("export", "wants FORMAT");
	}
	exp = mf_exporter_find(argv[optind]);
	if (!exp) {
		cli_export_opts_release(&co);
		return cli_usage("export", "unknown format '%s' (see 'mailferry formats')", argv[optind]);
	}
	if (!db) {
		cli_export_opts_release(&co);
		return cli_usage("export", "--db STAGE is required");
	}
	if ((exp->caps & MF_EXP_NEEDS_OUT) && !co.o.out) {
		cli_export_opts_release(&co);
		return cli_usage("export", "%s needs --out DIR", exp->name);
	}
	if ((exp->caps & MF_EXP_NEEDS_URL) && !co.o.url) {
		cli_export_opts_release(&co);
		return cli_usage("export", "%s needs --url", exp->name);
	}
	if ((rc = cli_open_store(&st, db, 0, 0)) != MF_EXIT_OK) {
		cli_export_opts_release(&co);
		return rc;
	}
	mf_diag_clear(&d);
	{
		struct cli_stop stop;
		co.o.stop = &cli_stop_flag;
		cli_stop_begin(&stop);
		rc = mf_export_run(st, exp, &co.o, &sum, &d);
		cli_stop_end(&stop);
	}
	if (co.o.json) {
		struct mf_diag d2;
		mf_export_summary_json_print(stdout, st, &sum, exp->name,
					     co.o.out ? co.o.out : co.o.url, &d2);
		putchar('\n');
	} else if (sum.preflight_failed) {
		/* nothing moved: say why, one line per finding */
		for (size_t i = 0; i < sum.preflight.n; i++)
			if (sum.preflight.items[i].severity == MF_ERROR)
				fprintf(stderr, "mailferry: preflight: %s: %s\n",
					sum.preflight.items[i].code, sum.preflight.items[i].text);
	} else if (sum.started) {
		printf("%-20s %-8s %7s %9s %7s %6s %10s %6s %8s %8s %-11s\n", "ALIAS", "ACTION",
		       "PLANNED", "DELIVERED", "ALREADY", "FAILED", "BYTES", "ATTACH", "CALENDAR",
		       "PROBLEMS", "STATE");
		{
			struct mf_diag d2;
			mf_export_summary_mailboxes(st, &sum, print_mailbox, NULL, &d2);
		}
		printf("export %s: %lld mailboxes, %lld messages delivered (%lld already there), "
		       "%lld failed, %lld bytes, %lld attachments, %lld calendar items, "
		       "%lld problems; run %lld: %s\n", exp->name,
		       (long long)sum.mailboxes, (long long)sum.delivered, (long long)sum.already,
		       (long long)sum.failed, (long long)sum.bytes, (long long)sum.attachments,
		       (long long)sum.calendar_items, (long long)sum.problems, (long long)sum.run_id,
		       sum.status);
		if (sum.forced)
			printf("the preflight check found %lld errors; exported anyway (--force)\n",
			       (long long)sum.preflight.errors);
	}
	if (rc == MF_EBUSY)
		exitc = MF_EXIT_PROBLEMS;
	else if (rc == MF_EUSAGE && !sum.started) {
		char line[1200];
		fprintf(stderr, "mailferry export: %s\n", mf_diag_format(&d, line, sizeof(line)));
		exitc = MF_EXIT_USAGE;
	} else if (rc < 0 && (!sum.started || rc == MF_ESTORE)) {
		exitc = cli_fatal(&d);
	} else if (rc < 0) {
		char line[1200];
		if (d.code != MF_OK)
			fprintf(stderr, "mailferry: %s\n", mf_diag_format(&d, line, sizeof(line)));
		exitc = MF_EXIT_PROBLEMS;
	} else {
		exitc = (sum.failed || sum.mailboxes_failed) ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	}
	mf_export_summary_release(&sum);
	mf_store_close(&st);
	cli_export_opts_release(&co);
	return exitc;
}
