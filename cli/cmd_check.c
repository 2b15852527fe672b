/* SPDX-License-Identifier: MIT */
/* cmd_check.c: `mailferry check`: preflight: check the staging data, the plan and the target. */
#include "cli/cli.h"
#include "engine/check.h"
#include "engine/export.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_check_help[] =
	"usage: mailferry check --db STAGE [FORMAT [target options]] [selection] [--json]\n"
	"\n"
	"The preflight check, the same one every export runs before it moves\n"
	"anything (an export with errors stops unless --force).  It makes the plan\n"
	"current ('mailferry plan') and checks, for every selected mailbox:\n"
	"  - it has its mail section and the import of its files finished;\n"
	"  - the plan has no conflict for it;\n"
	"  - its messages' recipients are in the directory, or are reported;\n"
	"  - with FORMAT and its target options (the same as 'mailferry export'):\n"
	"    the target can be opened, and a live target (IMAP) accepts the admin\n"
	"    acting for the mailbox and creating its folders, tried for each one.\n"
	"Every finding names the mailbox or object and the fix.\n"
	"\n"
	"selection (as for export): --mailbox ALIAS (repeatable), --mailboxes-from\n"
	"FILE, --no-mail (recipients are not checked).\n"
	"\n"
	"  --json    print {\"ok\",\"errors\",\"warnings\",\"infos\",\"mailboxes\",\n"
	"            \"target_checked\",\"items\":[{\"severity\",\"code\",\"alias\",\"text\"}]}\n"
	"  --quiet   print only errors and the closing line\n"
	"\n"
	"Exit codes: 0 every check passed (warnings may be printed), 1 some check\n"
	"failed, 2 usage, 3 the database could not be used.\n";

int cmd_check(int argc, char **argv)
{
	struct option lo[64];
	struct cli_export_opts co;
	const struct mf_exporter *exp = NULL;
	struct mf_check_report rep;
	struct mf_store *st;
	struct mf_diag d;
	const char *db = NULL;
	size_t k = 0;
	int c, rc, exitc;

	lo[k++] = (struct option){ "db", required_argument, NULL, 'd' };
	for (size_t i = 0; cli_export_long[i].name && k < 63; i++)
		lo[k++] = cli_export_long[i];
	lo[k] = (struct option){ NULL, 0, NULL, 0 };

	cli_export_opts_init(&co);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
			continue;
		}
		rc = cli_export_opt(&co, c, optarg, "check");
		if (rc <= 0) {
			cli_export_opts_release(&co);
			return rc < 0 ? MF_EXIT_USAGE : cli_usage("check", "unknown option");
		}
	}
	if (optind + 1 < argc) {
		cli_export_opts_release(&co);
		return cli_usage("check", "takes at most one FORMAT");
	}
	if (!db) {
		cli_export_opts_release(&co);
		return cli_usage("check", "--db STAGE is required");
	}
	if (optind < argc) {
		exp = mf_exporter_find(argv[optind]);
		if (!exp) {
			cli_export_opts_release(&co);
			return cli_usage("check", "unknown format '%s' (see 'mailferry formats')",
					 argv[optind]);
		}
		if ((exp->caps & MF_EXP_NEEDS_OUT) && !co.o.out) {
			cli_export_opts_release(&co);
			return cli_usage("check", "%s needs --out DIR", exp->name);
		}
		if ((exp->caps & MF_EXP_NEEDS_URL) && !co.o.url) {
			cli_export_opts_release(&co);
			return cli_usage("check", "%s needs --url", exp->name);
		}
	}
	if ((rc = cli_open_store(&st, db, 0, 0)) != MF_EXIT_OK) {
		cli_export_opts_release(&co);
		return rc;
	}
	mf_diag_clear(&d);
	mf_check_report_init(&rep);
	/* the preflight alone: a larger fixed cache for its look-ups (core/store.h) */
	mf_store_cache_kib(st, MF_STORE_LOOKUP_CACHE_KIB);
	rc = mf_export_check(st, exp, &co.o, &rep, &d);
	if (rc == MF_EUSAGE) {
		char line[1200];
		fprintf(stderr, "mailferry check: %s\n", mf_diag_format(&d, line, sizeof(line)));
		exitc = MF_EXIT_USAGE;
	} else if (rc < 0) {
		exitc = cli_fatal(&d);
	} else {
		if (co.o.json) {
			struct mf_buf b;
			mf_buf_init(&b, MF_BUF_UNBOUNDED);
			mf_check_report_json(&b, &rep);
			printf("%s\n", b.data);
			mf_buf_release(&b);
		} else {
			if (co.o.quiet) {
				for (size_t i = 0; i < rep.n; i++)
					if (rep.items[i].severity == MF_ERROR)
						printf("%-7s %-30s %s\n", "error", rep.items[i].code,
						       rep.items[i].text);
			} else {
				mf_check_report_print(stdout, &rep);
			}
			printf("check: %lld mailboxes%s%s: %lld errors, %lld warnings, %lld info: %s\n",
			       (long long)rep.mailboxes, exp ? ", target " : "", exp ? exp->name : "",
			       (long long)rep.errors, (long long)rep.warnings, (long long)rep.infos,
			       rep.errors ? "FAILED (an export would move nothing)" : "passed");
		}
		exitc = rep.errors ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	}
	mf_check_report_release(&rep);
	mf_store_close(&st);
	cli_export_opts_release(&co);
	return exitc;
}
