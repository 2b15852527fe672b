/* SPDX-License-Identifier: MIT */
/* cmd_verify.c: `mailferry verify imap`: read the target back and compare with the staged data. */
#include "cli/cli.h"
#include "exporters/imap/imap.h"
#include "exporters/dav/dav.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_verify_help[] =
	"usage: mailferry verify imap --db STAGE --url imap[s]://HOST[:PORT] --admin USER\n"
	"                        --password-file FILE [login options] [selection]\n"
	"\n"
	"Read every message the delivery ledger records as delivered to this server\n"
	"back by UID (BODY.PEEK[], INTERNALDATE, FLAGS), logged in as the export\n"
	"logs in, and compare it with the staged message built again the same way:\n"
	"the sha256 of the bytes, the INTERNALDATE with the source date (received,\n"
	"else sent), the flags (\\Seen unless unread, \\Draft for unsent, \\Flagged for\n"
	"high priority with --flag-urgent).  Also checks that every mailbox and each\n"
	"of its folders exists (the empty ones too) and that each folder holds as\n"
	"many messages as the plan selects for it (no message missing, none twice).\n"
	"\n"
	"Takes the login options of 'mailferry export imap' (--url, --admin,\n"
	"--password-file, --oauth2-token-file, --login-format, --starttls,\n"
	"--tls-verify, --public-folder, --flag-urgent) and its selection (--mailbox,\n"
	"--folders, --since, ...).  Prints one line per mismatch and a summary.\n"
	"\n"
	"       mailferry verify carddav|caldav --db STAGE --url http[s]://HOST[:PORT]/PATH\n"
	"                        [--admin USER --password-file FILE] [--dav-layout L]\n"
	"                        [--vcard-version 3.0|4.0] [--directory create] [--mailbox ALIAS]\n"
	"\n"
	"carddav, caldav: list every mailbox's collection (PROPFIND), compare the\n"
	"count and names of its resources with the staged address book or calendar,\n"
	"fetch them (addressbook-multiget / calendar-multiget REPORTs, 100 at a time)\n"
	"and compare each with the card or calendar item built again from the staging\n"
	"database, property by property (line folding and property order do not\n"
	"matter).  An empty mailbox must have its empty collection.  With --directory\n"
	"create also the directory's collection.\n"
	"\n"
	"Exit codes: 0 everything matches, 1 mismatches, 2 usage, 3 the server or\n"
	"the database could not be used.\n";

int cmd_verify(int argc, char **argv)
{
	struct option lo[64];
	struct cli_export_opts co;
	struct mf_imap_verify_sum sum;
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
	if (optind + 1 != argc || (strcmp(argv[optind], "imap") != 0 &&
				   strcmp(argv[optind], "carddav") != 0 &&
				   strcmp(argv[optind], "caldav") != 0)) {
		cli_export_opts_release(&co);
		return cli_usage("verify", "wants the target kind: imap, carddav or caldav");
	}
	if (!db || !co.o.url) {
		cli_export_opts_release(&co);
		return cli_usage("verify", "--db STAGE and --url are required");
	}
	if ((rc = cli_open_store(&st, db, 0, 1)) != MF_EXIT_OK) {
		cli_export_opts_release(&co);
		return rc;
	}
	mf_diag_clear(&d);
	if (strcmp(argv[optind], "imap") != 0) {
		/* carddav, caldav (exporters/dav/); the plugin registry will route this */
		struct mf_dav_verify_sum ds;
		enum mf_dav_kind kind = !strcmp(argv[optind], "carddav") ? MF_DAV_CARD : MF_DAV_CAL;
		rc = mf_dav_verify(st, kind, &co.o, stdout, &ds, &d);
		if (rc == MF_EUSAGE) {
			char line[1200];
			fprintf(stderr, "mailferry verify: %s\n", mf_diag_format(&d, line, sizeof(line)));
			rc = MF_EXIT_USAGE;
		} else if (rc < 0) {
			rc = cli_fatal(&d);
		} else {
			printf("verify %s: %lld mailboxes, %lld collections, %lld items read back; "
			       "%lld mismatches\n", argv[optind], (long long)ds.mailboxes,
			       (long long)ds.collections, (long long)ds.items, (long long)ds.mismatches);
			rc = ds.mismatches ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
		}
		mf_store_close(&st);
		cli_export_opts_release(&co);
		return rc;
	}
	rc = mf_imap_verify(st, &co.o, stdout, &sum, &d);
	if (rc == MF_EUSAGE) {
		char line[1200];
		fprintf(stderr, "mailferry verify: %s\n", mf_diag_format(&d, line, sizeof(line)));
		rc = MF_EXIT_USAGE;
	} else if (rc < 0) {
		rc = cli_fatal(&d);
	} else {
		printf("verify imap: %lld mailboxes, %lld folders, %lld messages read back; "
		       "%lld mismatches\n", (long long)sum.mailboxes, (long long)sum.folders,
		       (long long)sum.messages, (long long)sum.mismatches);
		rc = sum.mismatches ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	}
	mf_store_close(&st);
	cli_export_opts_release(&co);
	return rc;
}
