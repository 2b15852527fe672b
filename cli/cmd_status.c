/* SPDX-License-Identifier: MIT */
/* cmd_status.c: `mailferry status`: what the staging database holds. */
#include "cli/cli.h"
#include "core/json.h"

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

static const char SQL_SUMMARY[] =
	"SELECT mailbox_id, alias, display_name, source_address, kind, messages, attachments, "
	"calendar_items, bytes, has_mail_section, mail_skipped FROM mailbox_summary "
	"ORDER BY kind, alias COLLATE NOCASE, mailbox_id";
static const char SQL_FOLDERS[] =
	"SELECT path, messages FROM folder_summary WHERE mailbox_id = ?1 ORDER BY path";
static const char SQL_PLAN[] =
	"SELECT action, alias_from, conflict, message FROM plan_mailboxes WHERE mailbox_id = ?1";
static const char SQL_TARGETS[] =
	"SELECT target, ifnull(sum(item_kind = 'message' AND status = 'delivered'), 0), "
	"ifnull(sum(item_kind = 'message' AND status = 'failed'), 0), "
	"ifnull(sum(item_kind = 'message' AND status = 'skipped'), 0), "
	"ifnull(sum(item_kind = 'calendar' AND status = 'delivered'), 0), "
	"ifnull(max(item_kind = 'mailbox' AND status = 'delivered'), 0) "
	"FROM deliveries WHERE mailbox_id = ?1 GROUP BY target ORDER BY target";

/* The plan and the per-target ledger of one mailbox, as JSON members or
 * indented text lines. */
static int plan_and_targets(struct mf_store *st, struct mf_buf *out, int json, int64_t id,
			    long long msgs, struct mf_diag *d)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PLAN, d);
	int step, first = 1;

	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (json) {
		mf_json_key(out, "plan", 0);
		if (step == SQLITE_ROW) {
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "action", (const char *)sqlite3_column_text(s, 0), 1);
			mf_json_kv_str(out, "alias_from", (const char *)sqlite3_column_text(s, 1), 0);
			mf_json_kv_str(out, "conflict", (const char *)sqlite3_column_text(s, 2), 0);
			mf_json_kv_str(out, "message", (const char *)sqlite3_column_text(s, 3), 0);
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addstr(out, "null");
		}
	} else if (step == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(s, 0);
		const char *m = (const char *)sqlite3_column_text(s, 3);
		if (a && strcmp(a, "create"))
			mf_buf_addf(out, "    plan: %s: %s\n", a, m ? m : "");
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return mf_store_fail(st, d, "cannot read plan");
	if (!(s = mf_store_stmt(st, SQL_TARGETS, d)))
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	if (json) {
		mf_json_key(out, "targets", 0);
		mf_buf_addch(out, '[');
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		long long del = sqlite3_column_int64(s, 1), fail = sqlite3_column_int64(s, 2);
		long long skip = sqlite3_column_int64(s, 3), cal = sqlite3_column_int64(s, 4);
		int done = sqlite3_column_int(s, 5);
		if (json) {
			if (!first)
				mf_buf_addch(out, ',');
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "target", t, 1);
			mf_json_kv_int(out, "planned", msgs, 0);
			mf_json_kv_int(out, "delivered", del, 0);
			mf_json_kv_int(out, "failed", fail, 0);
			mf_json_kv_int(out, "skipped", skip, 0);
			mf_json_kv_int(out, "calendar_delivered", cal, 0);
			mf_json_key(out, "mailbox_done", 0);
			mf_buf_addstr(out, done ? "true" : "false");
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addf(out, "    -> %s: %lld planned, %lld delivered, %lld failed%s%s\n",
				    t ? t : "?", msgs, del, fail, skip ? ", some skipped" : "",
				    done ? "" : " (mailbox not finished)");
		}
		first = 0;
	}
	sqlite3_reset(s);
	if (json)
		mf_buf_addch(out, ']');
	if (step != SQLITE_DONE)
		return mf_store_fail(st, d, "cannot read deliveries");
	return MF_OK;
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

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 }
	};
	const char *db = NULL;
	int json = 0, c, rc, step;
	struct mf_store *st;
	struct mf_diag d;
	sqlite3_stmt *s;
	int64_t counts[3];
	struct mf_buf out;
	int first = 1;
	long long n_mb = 0, n_msg = 0;

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
	if ((rc = cli_open_store(&st, db, 0, 0)) != MF_EXIT_OK)
		return rc;
	mf_diag_clear(&d);
	s = mf_store_stmt(st, SQL_SUMMARY, &d);
	if (!s) {
		mf_store_close(&st);
		return cli_fatal(&d);
	}
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	if (json)
		mf_buf_addstr(&out, "{\"mailboxes\":[");
	else
		mf_buf_addf(&out, "%-20s %-7s %8s %6s %8s %9s %-7s %s\n", "ALIAS", "KIND",
			    "MESSAGES", "ATTACH", "CALENDAR", "BYTES", "MAIL",
			    "DISPLAY NAME <SOURCE ADDRESS>");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *alias = (const char *)sqlite3_column_text(s, 1);
		const char *dn = (const char *)sqlite3_column_text(s, 2);
		const char *sa = (const char *)sqlite3_column_text(s, 3);
		const char *kind = (const char *)sqlite3_column_text(s, 4);
		long long msgs = sqlite3_column_int64(s, 5), att = sqlite3_column_int64(s, 6);
		long long cal = sqlite3_column_int64(s, 7), bytes = sqlite3_column_int64(s, 8);
		int has = sqlite3_column_int(s, 9), skipped = sqlite3_column_int(s, 10);

		n_mb++;
		n_msg += msgs;
		if (json) {
			sqlite3_stmt *f;
			int ff = 1;
			if (!first)
				mf_buf_addch(&out, ',');
			first = 0;
			mf_buf_addch(&out, '{');
			mf_json_kv_str(&out, "alias", alias, 1);
			mf_json_kv_str(&out, "display_name", dn, 0);
			mf_json_kv_str(&out, "source_address", sa, 0);
			mf_json_kv_str(&out, "kind", kind, 0);
			mf_json_kv_int(&out, "messages", msgs, 0);
			mf_json_kv_int(&out, "attachments", att, 0);
			mf_json_kv_int(&out, "calendar_items", cal, 0);
			mf_json_kv_int(&out, "bytes", bytes, 0);
			mf_json_key(&out, "has_mail_section", 0);
			mf_buf_addstr(&out, has ? "true" : "false");
			mf_json_key(&out, "mail_skipped", 0);
			mf_buf_addstr(&out, skipped ? "true" : "false");
			mf_json_key(&out, "folders", 0);
			mf_buf_addch(&out, '[');
			f = mf_store_stmt(st, SQL_FOLDERS, &d);
			if (!f)
				break;
			sqlite3_bind_int64(f, 1, id);
			while (sqlite3_step(f) == SQLITE_ROW) {
				if (!ff)
					mf_buf_addch(&out, ',');
				ff = 0;
				mf_buf_addch(&out, '{');
				mf_json_kv_str(&out, "path", (const char *)sqlite3_column_text(f, 0), 1);
				mf_json_kv_int(&out, "messages", sqlite3_column_int64(f, 1), 0);
				mf_buf_addch(&out, '}');
			}
			sqlite3_reset(f);
			mf_buf_addch(&out, ']');
			if (plan_and_targets(st, &out, 1, id, msgs, &d) < 0)
				break;
			mf_buf_addch(&out, '}');
		} else {
			char hb[32];
			human(hb, sizeof(hb), bytes);
			mf_buf_addf(&out, "%-20s %-7s %8lld %6lld %8lld %9s %-7s %s <%s>\n",
				    alias ? alias : "(none)", kind, msgs, att, cal, hb,
				    !has ? "MISSING" : skipped ? "skipped" : "mail",
				    dn ? dn : "", sa ? sa : "");
			if (plan_and_targets(st, &out, 0, id, msgs, &d) < 0)
				break;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		mf_store_fail(st, &d, "cannot read mailbox summary");
		mf_buf_release(&out);
		mf_store_close(&st);
		return cli_fatal(&d);
	}
	if (mf_store_problem_counts(st, counts, &d) < 0) {
		mf_buf_release(&out);
		mf_store_close(&st);
		return cli_fatal(&d);
	}
	if (json) {
		mf_buf_addstr(&out, "],\"problems\":{");
		mf_json_kv_int(&out, "info", counts[MF_INFO], 1);
		mf_json_kv_int(&out, "warning", counts[MF_WARNING], 0);
		mf_json_kv_int(&out, "error", counts[MF_ERROR], 0);
		mf_buf_addstr(&out, "}}\n");
	} else {
		mf_buf_addf(&out, "%lld mailboxes, %lld messages; problems: %lld errors, "
			    "%lld warnings, %lld info (sqlite3 %s 'select * from problem_summary')\n",
			    n_mb, n_msg, (long long)counts[MF_ERROR], (long long)counts[MF_WARNING],
			    (long long)counts[MF_INFO], db);
	}
	fwrite(out.data, 1, out.len, stdout);
	mf_buf_release(&out);
	mf_store_close(&st);
	return MF_EXIT_OK;
}
