/* SPDX-License-Identifier: MIT */
/* cmd_status.c: `mailferry status`: what the staging database holds. */
#include "cli/cli.h"
#include "core/json.h"
#include "core/store_views.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_status_help[] =
	"usage: mailferry status --db STAGE [--json]\n"
	"\n"
	"Print one line per mailbox: alias, kind, messages, attachments, calendar\n"
	"items, bytes, its mail section (\"mail\", or \"skipped\" when no mail was\n"
	"exported for it), the display name and source address; then the problem\n"
	"counts.  Every mailbox to migrate is listed, also those with no message.\n"
	"Below a mailbox: its plan when it is not a plain 'create' ('mailferry\n"
	"plan'), and one line per target it was exported to: messages planned\n"
	"(all its messages), delivered and failed there, and whether the mailbox\n"
	"itself was made there.\n"
	"\n"
	"--json prints one object:\n"
	"  {\"mailboxes\":[{\"alias\",\"display_name\",\"source_address\",\"kind\",\n"
	"    \"messages\",\"attachments\",\"calendar_items\",\"bytes\",\"has_mail_section\",\n"
	"    \"mail_skipped\",\"folders\":[{\"path\",\"messages\"}],\n"
	"    \"plan\":{\"action\",\"alias_from\",\"conflict\",\"message\"}|null,\n"
	"    \"targets\":[{\"target\",\"planned\",\"delivered\",\"failed\",\"skipped\",\n"
	"      \"calendar_delivered\",\"mailbox_done\"}]}],\n"
	"   \"problems\":{\"info\",\"warning\",\"error\"}}\n"
	"\n"
	"Exit code 0, or 3 when the database cannot be opened.\n";

/* The plan and the per-target ledger of one mailbox, as JSON members or
 * indented text lines. */
static int plan_and_targets(struct mf_store *st, struct mf_buf *out, int json, int64_t id,
			    long long msgs, struct mf_arena *a, struct mf_diag *d)
{
	struct mf_view_mailbox_plan p;
	struct mf_view_target *t;
	size_t n;
	int found, rc;

	if ((rc = mf_store_view_mailbox_plan(st, id, &found, &p, a, d)) < 0)
		return rc;
	if (json) {
		mf_json_key(out, "plan", 0);
		if (found) {
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "action", p.action, 1);
			mf_json_kv_str(out, "alias_from", p.alias_from, 0);
			mf_json_kv_str(out, "conflict", p.conflict, 0);
			mf_json_kv_str(out, "message", p.message, 0);
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addstr(out, "null");
		}
	} else if (found) {
		if (p.action && strcmp(p.action, "create"))
			mf_buf_addf(out, "    plan: %s: %s\n", p.action, p.message ? p.message : "");
	}
	if (json) {
		mf_json_key(out, "targets", 0);
		mf_buf_addch(out, '[');
	}
	rc = mf_store_view_targets(st, id, &t, &n, a, d);
	for (size_t i = 0; i < n; i++) {
		if (json) {
			if (i)
				mf_buf_addch(out, ',');
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "target", t[i].target, 1);
			mf_json_kv_int(out, "planned", msgs, 0);
			mf_json_kv_int(out, "delivered", t[i].delivered, 0);
			mf_json_kv_int(out, "failed", t[i].failed, 0);
			mf_json_kv_int(out, "skipped", t[i].skipped, 0);
			mf_json_kv_int(out, "calendar_delivered", t[i].calendar_items, 0);
			mf_json_key(out, "mailbox_done", 0);
			mf_buf_addstr(out, t[i].completed ? "true" : "false");
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addf(out, "    -> %s: %lld planned, %lld delivered, %lld failed%s%s\n",
				    t[i].target ? t[i].target : "?", msgs, (long long)t[i].delivered,
				    (long long)t[i].failed, t[i].skipped ? ", some skipped" : "",
				    t[i].completed ? "" : " (mailbox not finished)");
		}
	}
	if (json)
		mf_buf_addch(out, ']');
	return rc;
}

static void human(char *out, size_t n, long long v)
{
	if (v >= 10000000)
		snprintf(out, n, "%lld MB", v / 1000000);
	else if (v >= 10000)
		snprintf(out, n, "%lld KB", v / 1000);
	else
		snprintf(out, n, "%lld B", v);
}

struct status_ctx {
	struct mf_store *st;
	struct mf_buf out;
	struct mf_arena a;          /* one mailbox's rows, reset after it */
	struct mf_diag d;
	int json, first;
	long long n_mb, n_msg;
};

/* One mailbox's lines, written out before the next is read: memory does
 * not grow with the number of mailboxes. */
static int status_mailbox(void *ctx, const struct mf_view_mailbox *m)
{
	struct status_ctx *c = ctx;
	struct mf_buf *out = &c->out;
	long long msgs = m->messages;
	int rc;

	c->n_mb++;
	c->n_msg += msgs;
	if (c->json) {
		struct mf_view_folder *f;
		size_t nf;
		if (!c->first)
			mf_buf_addch(out, ',');
		c->first = 0;
		mf_buf_addch(out, '{');
		mf_json_kv_str(out, "alias", m->alias, 1);
		mf_json_kv_str(out, "display_name", m->display_name, 0);
		mf_json_kv_str(out, "source_address", m->source_address, 0);
		mf_json_kv_str(out, "kind", m->kind, 0);
		mf_json_kv_int(out, "messages", msgs, 0);
		mf_json_kv_int(out, "attachments", m->attachments, 0);
		mf_json_kv_int(out, "calendar_items", m->calendar_items, 0);
		mf_json_kv_int(out, "bytes", m->bytes, 0);
		mf_json_key(out, "has_mail_section", 0);
		mf_buf_addstr(out, m->has_mail_section ? "true" : "false");
		mf_json_key(out, "mail_skipped", 0);
		mf_buf_addstr(out, m->mail_skipped ? "true" : "false");
		mf_json_key(out, "folders", 0);
		mf_buf_addch(out, '[');
		if ((rc = mf_store_view_folders(c->st, m->id, &f, &nf, &c->a, &c->d)) < 0)
			return rc;
		for (size_t k = 0; k < nf; k++) {
			if (k)
				mf_buf_addch(out, ',');
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "path", f[k].path, 1);
			mf_json_kv_int(out, "messages", f[k].messages, 0);
			mf_buf_addch(out, '}');
		}
		mf_buf_addch(out, ']');
		if ((rc = plan_and_targets(c->st, out, 1, m->id, msgs, &c->a, &c->d)) < 0)
			return rc;
		mf_buf_addch(out, '}');
	} else {
		char hb[32];
		human(hb, sizeof(hb), m->bytes);
		mf_buf_addf(out, "%-20s %-7s %8lld %6lld %8lld %9s %-7s %s <%s>\n",
			    m->alias ? m->alias : "(none)", m->kind, msgs,
			    (long long)m->attachments, (long long)m->calendar_items, hb,
			    !m->has_mail_section ? "MISSING" : m->mail_skipped ? "skipped" : "mail",
			    m->display_name ? m->display_name : "",
			    m->source_address ? m->source_address : "");
		if ((rc = plan_and_targets(c->st, out, 0, m->id, msgs, &c->a, &c->d)) < 0)
			return rc;
	}
	fwrite(out->data, 1, out->len, stdout);
	out->len = 0;
	mf_arena_reset(&c->a);
	return MF_OK;
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 }
	};
	const char *db = NULL;
	int json = 0, c, rc;
	struct status_ctx sc = { .a = MF_ARENA_INIT, .first = 1 };
	int64_t counts[3] = { 0, 0, 0 };
	struct mf_buf *out = &sc.out;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'j': json = 1; break;
		default: return cli_usage("status", "unknown option");
		}
	}
	if (!db)
		return cli_usage("status", "--db STAGE is required");
	if ((rc = cli_open_store(&sc.st, db, 0, 0)) != MF_EXIT_OK)
		return rc;
	mf_diag_clear(&sc.d);
	sc.json = json;
	mf_buf_init(out, MF_BUF_UNBOUNDED);
	if (json)
		mf_buf_addstr(out, "{\"mailboxes\":[");
	else
		mf_buf_addf(out, "%-20s %-7s %8s %6s %8s %9s %-7s %s\n", "ALIAS", "KIND",
			    "MESSAGES", "ATTACH", "CALENDAR", "BYTES", "MAIL",
			    "DISPLAY NAME <SOURCE ADDRESS>");
	/* one read transaction: one snapshot, and no lock taken and given
	 * back around each of the per-mailbox statements */
	mf_store_cache_kib(sc.st, MF_STORE_LOOKUP_CACHE_KIB);
	rc = mf_store_read_begin(sc.st, &sc.d);
	if (rc == MF_OK)
		rc = mf_store_view_mailboxes_each(sc.st, 1, status_mailbox, &sc, &sc.d);
	if (rc == MF_OK)
		rc = mf_store_problem_counts(sc.st, counts, &sc.d);
	mf_store_read_end(sc.st);
	if (rc < 0) {
		fflush(stdout);
		mf_buf_release(out);
		mf_arena_release(&sc.a);
		mf_store_close(&sc.st);
		return cli_fatal(&sc.d);
	}
	if (json) {
		mf_buf_addstr(out, "],\"problems\":{");
		mf_json_kv_int(out, "info", counts[MF_INFO], 1);
		mf_json_kv_int(out, "warning", counts[MF_WARNING], 0);
		mf_json_kv_int(out, "error", counts[MF_ERROR], 0);
		mf_buf_addstr(out, "}}\n");
	} else {
		mf_buf_addf(out, "%lld mailboxes, %lld messages; problems: %lld errors, "
			    "%lld warnings, %lld info (sqlite3 %s 'select * from problem_summary')\n",
			    sc.n_mb, sc.n_msg, (long long)counts[MF_ERROR], (long long)counts[MF_WARNING],
			    (long long)counts[MF_INFO], db);
	}
	fwrite(out->data, 1, out->len, stdout);
	mf_buf_release(out);
	mf_arena_release(&sc.a);
	mf_store_close(&sc.st);
	return MF_EXIT_OK;
}
