/* SPDX-License-Identifier: MIT */
/* cmd_plan.c: `mailferry plan`: decide what happens to each mailbox on the target. */
#include "cli/cli.h"
#include "core/json.h"
#include "core/store_views.h"
#include "engine/plan.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_plan_help[] =
	"usage: mailferry plan --db STAGE [--alias-map FILE] [--json] [--quiet]\n"
	"\n"
	"Decide what happens to every staged mailbox, custom recipient and list on\n"
	"the target, store the decisions (exporters follow them) and print them.\n"
	"The target's existing recipients come from a directory snapshot\n"
	"('mailferry import directory --db STAGE GAL.csv'); without one every\n"
	"mailbox is created.\n"
	"\n"
	"Mailboxes are matched with the target's objects by their source address\n"
	"(CCMAIL:Lindqvist, Anna at SALES01, MS:NET/PO/MBX), compared without case\n"
	"with every proxy address, plain or with the MIGRATE: prefix:\n"
	"  convert    a custom recipient carries it: it becomes the mailbox (Exchange:\n"
	"             no DIRECTORY line; the mail section converts it), alias kept\n"
	"  exists     a mailbox carries it: the mail goes into that mailbox\n"
	"  create     nothing carries it: the mailbox is created\n"
	"  public     a bulletin board or shared folder: public folders\n"
	"  conflict   blocks the export of that mailbox until fixed: two custom\n"
	"             recipients match, a mailbox and a custom recipient match, a\n"
	"             list matches, the alias is taken on the target by another\n"
	"             object, no alias could be formed, a proxy differs from the\n"
	"             source address only in blanks, or the address is staged twice\n"
	"Custom recipients and lists of the sources: create, exists (the target has\n"
	"that address), migrated (it is a migrated mailbox), duplicate, skip.\n"
	"\n"
	"Aliases are ASCII, at most 20 characters, unique: the alias map first, then\n"
	"the alias of the custom recipient or mailbox the mailbox becomes, then the\n"
	"one it was staged with.  The plan writes them into the staging database.\n"
	"\n"
	"options:\n"
	"  --alias-map FILE   CSV lines 'source_address_or_name,alias' (an optional\n"
	"                     header line 'source_address_or_name,alias'; quote\n"
	"                     addresses with commas: \"CCMAIL:Lindqvist, Anna at SALES01\",AnnaL).\n"
	"                     The map is kept: later plans (also the one an export\n"
	"                     makes) use it until another map is given.\n"
	"  --json             print the plan as JSON: {\"mailboxes\":[{\"alias\",\"name\",\n"
	"                     \"display_name\",\"source_address\",\"kind\",\"action\",\n"
	"                     \"alias_from\",\"object\",\"conflict\",\"message\"}],\n"
	"                     \"recipients\":[{\"kind\",\"name\",\"address\",\"action\",\n"
	"                     \"alias\",\"message\"}],\"totals\":{...}}\n"
	"  --quiet            print only conflicts and the closing line\n"
	"\n"
	"Exit codes: 0 no conflict, 1 conflicts (each printed with both objects and\n"
	"the fix), 2 usage (also a wrong alias map: nothing changes), 3 fatal.\n";

struct text_ctx {
	struct mf_buf *out;
	int quiet;
};

/* written out every 64 KiB: memory does not grow with the mailboxes */
static void text_flush(struct mf_buf *out, size_t at_least)
{
	if (out->len < at_least)
		return;
	fwrite(out->data, 1, out->len, stdout);
	mf_buf_reset(out);
}

static int text_mailbox(void *ctx, const struct mf_view_plan_row *r)
{
	struct text_ctx *c = ctx;
	const char *act = r->action, *oc = r->object_class;
	char obj[64] = "-";
	int conflict = act && !strcmp(act, "conflict");
	if (c->quiet && !conflict)
		return MF_OK;
	if (oc)
		snprintf(obj, sizeof(obj), "%s '%s'", oc, r->object_alias ? r->object_alias : "");
	mf_buf_addf(c->out, "%-20s %-9s %-24s %s <%s>\n", r->alias ? r->alias : "(none)",
		    act ? act : "?", obj, r->name ? r->name : "",
		    r->source_address ? r->source_address : "");
	if (conflict && r->message)
		mf_buf_addf(c->out, "  CONFLICT: %s\n", r->message);
	text_flush(c->out, 1 << 16);
	return MF_OK;
}

static int text_recipient(void *ctx, const struct mf_view_plan_recipient *r)
{
	struct text_ctx *c = ctx;
	const char *ad = r->address;
	mf_buf_addf(c->out, "%-6s %-9s %-20s %s%s%s%s\n", r->kind ? r->kind : "",
		    r->action ? r->action : "", r->alias ? r->alias : "-", r->name ? r->name : "",
		    ad ? " <" : "", ad ? ad : "", ad ? ">" : "");
	text_flush(c->out, 1 << 16);
	return MF_OK;
}

static void text_report(struct mf_store *st, const struct mf_plan_totals *t, int quiet,
			struct mf_buf *out)
{
	struct text_ctx c = { out, quiet };
	struct mf_diag d;

	mf_diag_clear(&d);
	if (!quiet)
		mf_buf_addf(out, "%-20s %-9s %-24s %s\n", "ALIAS", "ACTION", "TARGET OBJECT",
			    "NAME <SOURCE ADDRESS>");
	/* --quiet prints only the conflicts: with none in the totals the walk
	 * (every mailbox in alias order, its plan row and target object
	 * looked up at random places) has nothing to print */
	if (!quiet || t->conflicts)
		mf_store_view_plan_each(st, text_mailbox, &c, &d);
	if (!quiet && (t->customs || t->lists)) {
		mf_buf_addf(out, "\n%-6s %-9s %-20s %s\n", "KIND", "ACTION", "ALIAS", "NAME <ADDRESS>");
		mf_store_view_plan_recipients_each(st, text_recipient, &c, &d);
	}
	mf_buf_addf(out, "plan: %lld mailboxes (%lld create, %lld convert, %lld exist, %lld public), "
		    "%lld conflicts; custom recipients: %lld create, %lld exist, %lld migrated, "
		    "%lld duplicate, %lld skipped; lists: %lld create, %lld exist",
		    (long long)t->mailboxes, (long long)t->create, (long long)t->convert,
		    (long long)t->exists, (long long)t->public_folders, (long long)t->conflicts,
		    (long long)t->custom_create, (long long)t->custom_exists,
		    (long long)t->custom_migrated, (long long)t->custom_duplicate,
		    (long long)t->custom_skip, (long long)t->list_create, (long long)t->list_exists);
	if (t->aliases_changed)
		mf_buf_addf(out, "; %lld aliases changed", (long long)t->aliases_changed);
	if (t->map_unused)
		mf_buf_addf(out, "; %lld alias map lines name no mailbox", (long long)t->map_unused);
	mf_buf_addch(out, '\n');
}

int cmd_plan(int argc, char **argv)
{
	enum { O_DB = 1, O_MAP, O_JSON, O_QUIET };
	static const struct option lo[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "alias-map", required_argument, NULL, O_MAP },
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ 0, 0, 0, 0 }
	};
	const char *db = NULL, *map = NULL;
	int json = 0, quiet = 0, c, rc, exitc;
	struct mf_store *st;
	struct mf_diag d;
	struct mf_plan_totals t;
	struct mf_buf out, js;
	int64_t run_id = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_DB: db = optarg; break;
		case O_MAP: map = optarg; break;
		case O_JSON: json = 1; break;
		case O_QUIET: quiet = 1; break;
		default: return cli_usage("plan", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("plan", "takes no arguments");
	if (!db)
		return cli_usage("plan", "--db STAGE is required");
	if ((rc = cli_open_store(&st, db, 0, 0)) != MF_EXIT_OK)
		return rc;
	mf_diag_clear(&d);
	if (mf_store_run_begin(st, &run_id, "plan", NULL, NULL, NULL, &d) < 0) {
		mf_store_close(&st);
		return cli_fatal(&d);
	}
	mf_store_set_context(st, run_id, 0);
	rc = mf_plan_build(st, map, run_id, &t, &d);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	if (rc < 0) {
		char line[1200];
		mf_store_run_end(st, run_id, "failed", NULL, NULL);
		mf_buf_release(&js);
		mf_store_close(&st);
		if (rc == MF_EUSAGE) {
			fprintf(stderr, "mailferry plan: %s\n", mf_diag_format(&d, line, sizeof(line)));
			return MF_EXIT_USAGE;
		}
		return cli_fatal(&d);
	}
	mf_plan_summary_json(&js, &t);
	mf_store_run_end(st, run_id, t.conflicts ? "problems" : "ok", js.data, NULL);
	if (json) {
		rc = mf_plan_json_write(st, stdout, &t, &d);
		if (rc < 0) {
			fflush(stdout);
			mf_buf_release(&js);
			mf_store_close(&st);
			return cli_fatal(&d);
		}
		putchar('\n');
	} else {
		mf_buf_init(&out, MF_BUF_UNBOUNDED);
		text_report(st, &t, quiet, &out);
		fwrite(out.data, 1, out.len, stdout);
		mf_buf_release(&out);
	}
	exitc = t.conflicts ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	mf_buf_release(&js);
	mf_store_close(&st);
	return exitc;
}
