/* SPDX-License-Identifier: MIT */
/* cmd_verify.c: `mailferry verify TARGET`: read a target back and compare it
 * with the delivery ledger and the staged data (engine/verify.h; each
 * exporter's verify callback does the reading). */
#include "cli/cli.h"
#include "core/buf.h"
#include "engine/verify.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_verify_help[] =
	"usage: mailferry verify FORMAT --db STAGE (--out DIR | --url URL ...) [selection]\n"
	"       FORMAT: maildir, mbox, eml, ics, exchange, pst, vcard, imap, carddav or\n"
	"       caldav\n"
	"\n"
	"Read a target back and compare it with what the delivery ledger says was\n"
	"delivered there and with the staged data.  Give the target and the\n"
	"selection (--mailbox, --folders, --skip-folders, --since, --until,\n"
	"--no-mail) exactly as to the export: verify selects the mailboxes and\n"
	"messages the export selects.  For every selected mailbox:\n"
	"\n"
	"  - the mailbox and each of its folders exist on the target, the empty\n"
	"    ones too;\n"
	"  - every selected message (calendar item for ics) is in the ledger as\n"
	"    delivered, is where the ledger says (file, mbox offset, Exchange\n"
	"    .PRI line, IMAP UID) and its bytes have the sha256 the ledger\n"
	"    recorded when they were written;\n"
	"  - each folder holds as many messages as the selection has for it, and\n"
	"    nothing the ledger does not know (an extra file, mbox message,\n"
	"    .PRI line or calendar component).\n"
	"\n"
	"maildir, mbox, eml: the files under --out DIR.  ics: each mailbox's\n"
	"calendar file is read with libical and compared component by component\n"
	"with the calendar built again from the staged items.  exchange: every\n"
	"set under --out DIR is walked as 'mailferry inspect exchange' does (its\n"
	"problems are mismatches too); each message's .PRI line and the sections\n"
	"it points to are compared with the ledger.\n"
	"\n"
	"pst: every selected mailbox has DIR/<alias>.pst (the empty ones too) and\n"
	"every part its delivered messages name, each with the sha256 the ledger\n"
	"recorded for it; a .pst no ledger row names is extra.  Each part is then\n"
	"read with mailferry's own PST reader (every check of 'mailferry inspect\n"
	"pst'; its problems are mismatches too) and compared with staging: every\n"
	"message the ledger puts in it is there, in the folder its staged folder\n"
	"maps to, with the staged subject, sender, recipients, dates, read and\n"
	"unsent flags, importance, plain body and attachments (sha256, names;\n"
	"forwarded messages embedded, recursively); the standard and staged\n"
	"folders exist with as many messages as the ledger puts there; no other\n"
	"message is there.  vcard: the .vcf file of each\n"
	"address book the ledger has delivered has the sha256 it recorded; a\n"
	".vcf in DIR or DIR/public that no ledger row names is extra\n"
	"(directory.vcf excepted).\n"
	"\n"
	"imap: logged in as the export logs in (--url, --admin, --password-file,\n"
	"--oauth2-token-file, --login-format, --starttls, --tls-verify,\n"
	"--public-folder, --flag-urgent), every message the ledger records as\n"
	"delivered is read back by UID (BODY.PEEK[], INTERNALDATE, FLAGS) and\n"
	"compared with the staged message built again the same way: the sha256 of\n"
	"the bytes, the INTERNALDATE with the source date (received, else sent),\n"
	"the flags (\\Seen unless unread, \\Draft for unsent, \\Flagged for high\n"
	"priority with --flag-urgent).\n"
	"\n"
	"carddav, caldav: every mailbox's collection (--dav-layout) is listed\n"
	"(PROPFIND), the count and names of its resources compared with the\n"
	"staged address book or calendar, and each resource fetched\n"
	"(multiget REPORTs, 100 at a time) and compared property by property\n"
	"with the card or calendar item built again from the staging database\n"
	"(line folding and property order do not matter).  With --directory\n"
	"create also the directory's collection.\n"
	"\n"
	"Prints one line per mismatch, naming the mailbox, the folder and the\n"
	"item, and a summary.\n"
	"\n"
	"Exit codes: 0 everything matches, 1 mismatches, 2 usage, 3 the target or\n"
	"the database could not be used.\n";

/* "maildir|mbox|..." of the exporters that offer verify. */
static void verify_targets(struct mf_buf *b)
{
	for (size_t i = 0; mf_exporters[i]; i++)
		if (mf_exporters[i]->verify) {
			if (b->len)
				mf_buf_addch(b, '|');
			mf_buf_addstr(b, mf_exporters[i]->name);
		}
}

int cmd_verify(int argc, char **argv)
{
	struct option lo[64];
	struct cli_export_opts co;
	struct mf_verify_sum sum;
	const struct mf_exporter *exp;
	struct mf_store *st;
	struct mf_diag d;
	const char *db = NULL;
	size_t k = 0;
	int c, rc;

	lo[k++] = (struct option){ "db", required_argument, NULL, 'd' };
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
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
		if (c == 'h') {
			cli_export_opts_release(&co);
			return cli_help("verify");
		}
		rc = cli_export_opt(&co, c, optarg, "verify");
		if (rc <= 0) {
			cli_export_opts_release(&co);
			return rc < 0 ? MF_EXIT_USAGE : cli_usage("verify", "unknown option");
		}
	}
	exp = optind + 1 == argc ? mf_exporter_find(argv[optind]) : NULL;
	if (!exp || !exp->verify) {
		struct mf_buf names;
		mf_buf_init(&names, MF_BUF_LINE_MAX);
		verify_targets(&names);
		cli_export_opts_release(&co);
		rc = cli_usage("verify", "wants the target kind: %s", names.data ? names.data : "");
		mf_buf_release(&names);
		return rc;
	}
	if (!db || ((exp->caps & MF_EXP_NEEDS_URL) && !co.o.url) ||
	    ((exp->caps & MF_EXP_NEEDS_OUT) && !co.o.out)) {
		cli_export_opts_release(&co);
		return cli_usage("verify", "--db STAGE and %s are required",
				 (exp->caps & MF_EXP_NEEDS_URL) ? "--url" : "--out");
	}
	if ((rc = cli_open_store(&st, db, 0, 1)) != MF_EXIT_OK) {
		cli_export_opts_release(&co);
		return rc;
	}
	mf_diag_clear(&d);
	rc = mf_verify_run(st, exp, &co.o, stdout, &sum, &d);
	if (rc == MF_EUSAGE) {
		char line[1200];
		fprintf(stderr, "mailferry verify: %s\n", mf_diag_format(&d, line, sizeof(line)));
		rc = MF_EXIT_USAGE;
	} else if (rc < 0) {
		rc = cli_fatal(&d);
	} else {
		printf("verify %s: %lld mailboxes, %lld folders, %lld %s read back; "
		       "%lld mismatches\n", exp->name, (long long)sum.mailboxes,
		       (long long)sum.folders, (long long)sum.items,
		       (exp->caps & MF_EXP_MESSAGES)   ? "messages"
		       : (exp->caps & MF_EXP_CALENDAR) ? "calendar items"
						       : "cards",
		       (long long)sum.mismatches);
		rc = sum.mismatches ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	}
	mf_store_close(&st);
	cli_export_opts_release(&co);
	return rc;
}
