/* SPDX-License-Identifier: MIT */
/*
 * export.c: the export driver (protocol in exporters/exporter.h).
 *
 * Leases: a mailbox is exported to a target by one run at a time.  A lease
 * held by another run is taken over only when that run is provably gone:
 * its row says it finished, or it ran on this host and its pid no longer
 * exists, or its heartbeat is older than the lease timeout.  Never because
 * of anything this process believes about itself.
 *
 * Ledger: deliveries(target, item_kind, item_id) records what the target
 * holds.  Rows are written in the transaction the driver keeps open while a
 * mailbox is exported and committed every few hundred items, every two
 * seconds, and at the end of the mailbox.
 */
#include "core/export.h"
#include "core/json.h"
#include "core/progress.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mf_export {
	struct mf_store *st;
	const struct mf_exporter *exp;
	struct mf_export_ctx *ctx;
	const struct mf_export_opts *opts;
	int64_t run_id;
	const char *target;
	char host[256];
	struct mf_export_mbox_sum *cur;
	int64_t cur_mailbox;
	int cur_resumed;
	int uncommitted;
	int64_t last_commit_ms, last_beat_ms;
	struct mf_progress prog;
	int64_t items_done, bytes_done;
};

void mf_export_summary_release(struct mf_export_summary *s)
{
	free(s->mbox);
	memset(s, 0, sizeof(*s));
}

int mf_folder_match(const char *pattern, const char *path)
{
	char p[1024], q[1024];
	size_t i;

	snprintf(p, sizeof(p), "%s", pattern);
	snprintf(q, sizeof(q), "%s", path);
	for (i = 0; p[i]; i++)
		if (p[i] == '/')
			p[i] = '\\';
	for (i = 0; q[i]; i++)
		if (q[i] == '/')
			q[i] = '\\';
	/* "**" crosses levels: fnmatch without FNM_PATHNAME treats '*' so;
	 * a pattern without "**" must not cross '\'. */
	if (strstr(p, "**")) {
		char r[1024];
		size_t k = 0;
		for (i = 0; p[i] && k + 1 < sizeof(r); i++) {
			if (p[i] == '*' && p[i + 1] == '*')
				i++;
			r[k++] = p[i];
		}
		r[k] = '\0';
		return fnmatch(r, q, FNM_CASEFOLD | FNM_NOESCAPE) == 0;
	}
	/* emulate FNM_PATHNAME with '\' as the separator: compare level by level */
	{
		char *ps = NULL, *qs = NULL;
		char *pt = strtok_r(p, "\\", &ps), *qt = strtok_r(q, "\\", &qs);
		while (pt && qt) {
			if (fnmatch(pt, qt, FNM_CASEFOLD | FNM_NOESCAPE) != 0)
				return 0;
			pt = strtok_r(NULL, "\\", &ps);
			qt = strtok_r(NULL, "\\", &qs);
		}
		return pt == NULL && qt == NULL;
	}
}

/* ---- ledger ---- */

static const char SQL_LEDGER_PUT[] =
	"INSERT INTO deliveries(target, item_kind, item_id, mailbox_id, run_id, status, remote_id, "
	"sha256, bytes, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT(target, item_kind, item_id) DO UPDATE SET mailbox_id = excluded.mailbox_id, "
	"run_id = excluded.run_id, status = excluded.status, remote_id = excluded.remote_id, "
	"sha256 = excluded.sha256, bytes = excluded.bytes, detail = excluded.detail, at = excluded.at";

static int ledger_put(struct mf_export *ex, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const char *status, const char *remote_id,
		      const char *sha256, int64_t bytes, const char *detail)
{
	struct mf_diag d;
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_LEDGER_PUT, &d);
	int rc;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, ex->target);
	mf_store_bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, item_id);
	sqlite3_bind_int64(s, 4, mailbox_id);
	mf_store_bind_id(s, 5, ex->run_id);
	mf_store_bind_text(s, 6, status);
	mf_store_bind_text(s, 7, remote_id && *remote_id ? remote_id : NULL);
	mf_store_bind_text(s, 8, sha256 && *sha256 ? sha256 : NULL);
	if (bytes >= 0)
		sqlite3_bind_int64(s, 9, bytes);
	mf_store_bind_text(s, 10, detail);
	sqlite3_bind_int64(s, 11, mf_now());
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return MF_ESTORE;
	ex->uncommitted++;
	return MF_OK;
}

/* Commit the open transaction when enough work is in it, and beat. */
static int maybe_commit(struct mf_export *ex, int force, struct mf_diag *diag)
{
	int64_t now = mf_now_ms();
	int rc;

	if (!force && ex->uncommitted < 200 && now - ex->last_commit_ms < 2000)
		return MF_OK;
	if (now - ex->last_beat_ms >= 2000 || force) {
		if ((rc = mf_store_run_heartbeat(ex->st, ex->run_id, diag)) < 0)
			return rc;
		ex->last_beat_ms = now;
	}
	if ((rc = mf_store_commit(ex->st, diag)) < 0)
		return rc;
	ex->uncommitted = 0;
	ex->last_commit_ms = now;
	return mf_store_begin(ex->st, diag);
}

int mf_export_confirm(struct mf_export *ex, const char *item_kind, int64_t item_id,
		      int64_t mailbox_id, const char *remote_id, const char *sha256,
		      int64_t bytes)
{
	int rc = ledger_put(ex, item_kind, item_id, mailbox_id, "delivered", remote_id,
			    sha256, bytes, NULL);
	if (rc == MF_OK && ex->cur && ex->cur_mailbox == mailbox_id) {
		if (!strcmp(item_kind, "message")) {
			ex->cur->delivered++;
			ex->cur->bytes += bytes > 0 ? bytes : 0;
		} else if (!strcmp(item_kind, "calendar")) {
			ex->cur->calendar_items++;
		}
	}
	return rc;
}

int mf_export_refuse(struct mf_export *ex, const char *item_kind, int64_t item_id,
		     int64_t mailbox_id, const char *detail)
{
	int rc = ledger_put(ex, item_kind, item_id, mailbox_id, "failed", NULL, NULL, -1,
			    detail);
	mf_export_problem(ex, MF_ERROR, "export.refused", mailbox_id,
			  !strcmp(item_kind, "message") ? item_id : 0,
			  "%s %lld refused by the target: %s", item_kind, (long long)item_id,
			  detail ? detail : "no reason given");
	if (ex->cur && ex->cur_mailbox == mailbox_id && !strcmp(item_kind, "message"))
		ex->cur->failed++;
	return rc;
}

void mf_export_problem(struct mf_export *ex, enum mf_severity sev, const char *code,
		       int64_t mailbox_id, int64_t message_id, const char *fmt, ...)
{
	char text[1024];
	struct mf_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&p, 0, sizeof(p));
	p.severity = sev;
	p.code = code;
	p.offset = -1;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.text = text;
	mf_store_problem(ex->st, &p, NULL);
	if (ex->cur && ex->cur_mailbox == mailbox_id)
		ex->cur->problems++;
	if (sev == MF_ERROR && !ex->opts->quiet)
		mf_progress_note(&ex->prog, "mailferry: %s: %s", code, text);
}

static const char SQL_LEDGER_GET[] =
	"SELECT remote_id FROM deliveries WHERE target = ?1 AND item_kind = ?2 AND item_id = ?3 "
	"AND status = 'delivered'";

const char *mf_export_ledger_remote_id(struct mf_export *ex, const char *item_kind,
				       int64_t item_id, struct mf_arena *arena)
{
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_LEDGER_GET, NULL);
	const char *r = NULL;
	if (!s)
		return NULL;
	mf_store_bind_text(s, 1, ex->target);
	mf_store_bind_text(s, 2, item_kind);
	sqlite3_bind_int64(s, 3, item_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = mf_store_col_text(s, 0, arena);
	sqlite3_reset(s);
	return r;
}

static const char SQL_RESUMED[] =
	"SELECT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 AND mailbox_id = ?2 "
	"AND item_kind <> 'mailbox') AND NOT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 "
	"AND item_kind = 'mailbox' AND item_id = ?2 AND status = 'delivered')";

int mf_export_mailbox_resumed(struct mf_export *ex, int64_t mailbox_id)
{
	sqlite3_stmt *s;
	int r = 0;
	if (ex->cur_mailbox == mailbox_id && ex->cur_resumed)
		return 1;
	s = mf_store_stmt(ex->st, SQL_RESUMED, NULL);
	if (!s)
		return 1; /* when in doubt, look before appending */
	mf_store_bind_text(s, 1, ex->target);
	sqlite3_bind_int64(s, 2, mailbox_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return r;
}

/* ---- leases ---- */

static const char SQL_LEASE_GET[] =
	"SELECT l.run_id, r.host, r.pid, r.heartbeat_at, r.status FROM leases l "
	"JOIN runs r ON r.id = l.run_id WHERE l.mailbox_id = ?1 AND l.target = ?2";
static const char SQL_LEASE_PUT[] =
	"INSERT INTO leases(mailbox_id, target, run_id, acquired_at) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT(mailbox_id, target) DO UPDATE SET run_id = excluded.run_id, "
	"acquired_at = excluded.acquired_at";
static const char SQL_LEASE_DEL[] =
	"DELETE FROM leases WHERE mailbox_id = ?1 AND target = ?2 AND run_id = ?3";
static const char SQL_RUN_INTERRUPTED[] =
	"UPDATE runs SET status = 'interrupted', finished_at = ?2 WHERE id = ?1 AND status = 'running'";

enum lease_result { LEASE_TAKEN, LEASE_TAKEN_OVER, LEASE_BUSY };

/* Is the owner of a lease provably gone? */
static int owner_gone(struct mf_export *ex, const char *host, int64_t pid,
		      int64_t heartbeat, const char *status)
{
	int timeout = ex->opts->lease_timeout > 0 ? ex->opts->lease_timeout : 120;

	if (status && strcmp(status, "running") != 0)
		return 1;
	if (host && !strcmp(host, ex->host) && pid > 0 &&
	    kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 1;
	return mf_now() - heartbeat > timeout;
}

static int lease_acquire(struct mf_export *ex, int64_t mailbox_id,
			 enum lease_result *res, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	int64_t owner = 0;

	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	s = mf_store_stmt(ex->st, SQL_LEASE_GET, diag);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	step = sqlite3_step(s);
	*res = LEASE_TAKEN;
	if (step == SQLITE_ROW) {
		owner = sqlite3_column_int64(s, 0);
		if (owner != ex->run_id) {
			const char *host = (const char *)sqlite3_column_text(s, 1);
			const char *status = (const char *)sqlite3_column_text(s, 4);
			if (owner_gone(ex, host, sqlite3_column_int64(s, 2),
				       sqlite3_column_int64(s, 3), status))
				*res = LEASE_TAKEN_OVER;
			else
				*res = LEASE_BUSY;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		mf_store_fail(ex->st, diag, "cannot read lease");
		goto fail;
	}
	if (*res == LEASE_BUSY)
		return mf_store_commit(ex->st, diag);
	if (*res == LEASE_TAKEN_OVER) {
		s = mf_store_stmt(ex->st, SQL_RUN_INTERRUPTED, diag);
		if (!s)
			goto fail;
		sqlite3_bind_int64(s, 1, owner);
		sqlite3_bind_int64(s, 2, mf_now());
		step = sqlite3_step(s);
		sqlite3_reset(s);
		if (step != SQLITE_DONE) {
			mf_store_fail(ex->st, diag, "cannot mark run interrupted");
			goto fail;
		}
	}
	s = mf_store_stmt(ex->st, SQL_LEASE_PUT, diag);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	sqlite3_bind_int64(s, 3, ex->run_id);
	sqlite3_bind_int64(s, 4, mf_now());
	step = sqlite3_step(s);
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		mf_store_fail(ex->st, diag, "cannot take lease");
		goto fail;
	}
	return mf_store_commit(ex->st, diag);
fail:
	mf_store_rollback(ex->st);
	return MF_ESTORE;
}

static void lease_release(struct mf_export *ex, int64_t mailbox_id)
{
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_LEASE_DEL, NULL);
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	sqlite3_bind_int64(s, 3, ex->run_id);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* ---- selection ---- */

static int folder_selected(const struct mf_export_opts *o, const char *path)
{
	if (o->n_folders) {
		int any = 0;
		for (size_t i = 0; i < o->n_folders && !any; i++)
			any = mf_folder_match(o->folders[i], path);
		if (!any)
			return 0;
	}
	for (size_t i = 0; i < o->n_skip_folders; i++)
		if (mf_folder_match(o->skip_folders[i], path))
			return 0;
	return 1;
}

static const char SQL_FOLDERS[] = "SELECT path FROM folders WHERE mailbox_id = ?1 ORDER BY path";
static const char SQL_MSG_SELECT[] =
	"SELECT g.id, f.path, EXISTS (SELECT 1 FROM deliveries d WHERE d.target = ?2 AND "
	"d.item_kind = 'message' AND d.item_id = g.id AND d.status = 'delivered') "
	"FROM messages g JOIN folders f ON f.id = g.folder_id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL "
	"AND (?3 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) >= ?3) "
	"AND (?4 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) < ?4) "
	"ORDER BY f.path, coalesce(g.sent_utc, g.received_utc), g.id";
static const char SQL_CAL_SELECT[] =
	"SELECT c.id, c.mailbox_id, ifnull(c.src_file_id, 0), ifnull(c.src_offset, -1), c.kind, c.uid, "
	"c.summary, c.dtstart_utc, c.timezone, c.recurring, c.ical, c.raw, c.source_type "
	"FROM calendar_items c WHERE c.mailbox_id = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d "
	"WHERE d.target = ?2 AND d.item_kind = 'calendar' AND d.item_id = c.id AND d.status = 'delivered') "
	"ORDER BY c.id";
static const char SQL_PAB_SELECT[] =
	"SELECT id, position, kind, display_name, address_type, address, first_name, last_name, "
	"street, city, state, zip, country, title, company, department, office, assistant, bus_num, "
	"bus2_num, assist_num, fax_num, home_num, home2_num, mobile_num, pager_num, note, "
	"ifnull(src_file_id, 0), ifnull(src_offset, -1) FROM pab_entries WHERE mailbox_id = ?1 ORDER BY position";
static const char SQL_PABM_SELECT[] =
	"SELECT address, ifnull(member_pab_id, 0), ifnull(entry_id, 0) FROM pab_members "
	"WHERE pab_id = ?1 ORDER BY position";

struct msg_ref {
	int64_t id;
	int delivered;
};

static int select_messages(struct mf_export *ex, int64_t mailbox_id,
			   struct msg_ref **out, size_t *n_out, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_MSG_SELECT, diag);
	struct msg_ref *arr = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	if (ex->opts->has_since)
		sqlite3_bind_int64(s, 3, ex->opts->since);
	if (ex->opts->has_until)
		sqlite3_bind_int64(s, 4, ex->opts->until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 1);
		if (!folder_selected(ex->opts, path ? path : ""))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			arr = mf_xreallocarray(arr, cap, sizeof(*arr));
		}
		arr[n].id = sqlite3_column_int64(s, 0);
		arr[n].delivered = sqlite3_column_int(s, 2);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return mf_store_fail(ex->st, diag, "cannot select messages");
	}
	*out = arr;
	*n_out = n;
	return MF_OK;
}

static int handle_put(struct mf_export *ex, int rc, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const struct mf_put_result *res)
{
	if (rc < 0)
		return rc;
	switch (res->state) {
	case MF_PUT_DELIVERED:
		return mf_export_confirm(ex, kind, item_id, mailbox_id, res->remote_id,
					 res->sha256, res->bytes);
	case MF_PUT_REFUSED:
		return mf_export_refuse(ex, kind, item_id, mailbox_id, res->detail);
	case MF_PUT_PENDING:
		return MF_OK;
	}
	return MF_OK;
}

static int export_calendar(struct mf_export *ex, const struct mf_mailbox *mb,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;

	/* collect ids first: the ledger is written while we go */
	s = mf_store_stmt(ex->st, SQL_CAL_SELECT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	mf_store_bind_text(s, 2, ex->target);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = mf_xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(ids);
		return mf_store_fail(ex->st, diag, "cannot select calendar items");
	}
	for (size_t i = 0; i < n; i++) {
		static const char one[] =
			"SELECT c.id, c.mailbox_id, ifnull(c.src_file_id, 0), ifnull(c.src_offset, -1), "
			"c.kind, c.uid, c.summary, c.dtstart_utc, c.timezone, c.recurring, c.ical, c.raw, "
			"c.source_type FROM calendar_items c WHERE c.id = ?1";
		struct mf_calendar_item c;
		struct mf_put_result res;

		mf_arena_reset(arena);
		s = mf_store_stmt(ex->st, one, diag);
		if (!s) {
			free(ids);
			return MF_ESTORE;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.id = sqlite3_column_int64(s, 0);
		c.mailbox_id = sqlite3_column_int64(s, 1);
		c.src_file_id = sqlite3_column_int64(s, 2);
		c.src_offset = sqlite3_column_int64(s, 3);
		c.kind = mf_store_col_text(s, 4, arena);
		c.uid = mf_store_col_text(s, 5, arena);
		c.summary = mf_store_col_text(s, 6, arena);
		c.has_dtstart = sqlite3_column_type(s, 7) != SQLITE_NULL;
		c.dtstart_utc = sqlite3_column_int64(s, 7);
		c.timezone = mf_store_col_text(s, 8, arena);
		c.recurring = sqlite3_column_int(s, 9);
		c.ical = mf_store_col_text(s, 10, arena);
		c.raw_len = (size_t)sqlite3_column_bytes(s, 11);
		c.raw = c.raw_len ? mf_arena_memdup(arena, sqlite3_column_blob(s, 11), c.raw_len) : NULL;
		c.source_type = mf_store_col_text(s, 12, arena);
		sqlite3_reset(s);
		memset(&res, 0, sizeof(res));
		rc = ex->exp->put_calendar(ex->ctx, mb, &c, &res, diag);
		if ((rc = handle_put(ex, rc, "calendar", c.id, mb->id, &res)) < 0) {
			free(ids);
			return rc;
		}
		if ((rc = maybe_commit(ex, 0, diag)) < 0) {
			free(ids);
			return rc;
		}
	}
	free(ids);
	return MF_OK;
}

static int export_pab(struct mf_export *ex, const struct mf_mailbox *mb,
		      struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct mf_pab_entry *e = NULL;
	size_t n = 0, cap = 0;
	int step, rc;
	struct mf_put_result res;

	if (mf_export_ledger_remote_id(ex, "pab", mb->id, arena))
		return MF_OK;
	mf_arena_reset(arena);
	s = mf_store_stmt(ex->st, SQL_PAB_SELECT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_pab_entry *p;
		if (n == cap) {
			struct mf_pab_entry *ne;
			cap = cap ? cap * 2 : 16;
			ne = mf_arena_alloc(arena, cap * sizeof(*ne));
			if (n)
				memcpy(ne, e, n * sizeof(*ne));
			e = ne;
		}
		p = &e[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->mailbox_id = mb->id;
		p->position = sqlite3_column_int(s, 1);
		p->kind = mf_store_col_text(s, 2, arena);
		p->display_name = mf_store_col_text(s, 3, arena);
		p->address_type = mf_store_col_text(s, 4, arena);
		p->address = mf_store_col_text(s, 5, arena);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			p->field[f] = mf_store_col_text(s, 6 + f, arena);
		p->src_file_id = sqlite3_column_int64(s, 27);
		p->src_offset = sqlite3_column_int64(s, 28);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(ex->st, diag, "cannot load address book");
	if (n == 0)
		return MF_OK;
	for (size_t i = 0; i < n; i++) {
		size_t m = 0, mcap = 0;
		s = mf_store_stmt(ex->st, SQL_PABM_SELECT, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, e[i].id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (m == mcap) {
				struct mf_pab_member *nm;
				mcap = mcap ? mcap * 2 : 8;
				nm = mf_arena_alloc(arena, mcap * sizeof(*nm));
				if (m)
					memcpy(nm, e[i].members, m * sizeof(*nm));
				e[i].members = nm;
			}
			e[i].members[m].address = mf_store_col_text(s, 0, arena);
			e[i].members[m].member_pab_id = sqlite3_column_int64(s, 1);
			e[i].members[m].entry_id = sqlite3_column_int64(s, 2);
			m++;
		}
		sqlite3_reset(s);
		e[i].n_members = m;
	}
	memset(&res, 0, sizeof(res));
	rc = ex->exp->put_pab(ex->ctx, mb, e, n, &res, diag);
	return handle_put(ex, rc, "pab", mb->id, mb->id, &res);
}

static int export_mailbox(struct mf_export *ex, struct mf_mailbox *mb,
			  struct mf_export_mbox_sum *sum, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	struct msg_ref *refs = NULL;
	size_t nrefs = 0;
	const char **folders = NULL;
	size_t nf = 0, fcap = 0;
	sqlite3_stmt *s;
	int rc = MF_OK, step;
	struct mf_arena farena = MF_ARENA_INIT;

	if (ex->opts->no_mail)
		mb->mail_skipped = 1;
	/* folders */
	s = mf_store_stmt(ex->st, SQL_FOLDERS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 0);
		if (!p || !folder_selected(ex->opts, p))
			continue;
		if (nf == fcap) {
			fcap = fcap ? fcap * 2 : 16;
			folders = mf_xreallocarray(folders, fcap, sizeof(*folders));
		}
		folders[nf++] = mf_arena_strdup(&farena, p);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		rc = mf_store_fail(ex->st, diag, "cannot list folders");
		goto out;
	}
	if (!mb->mail_skipped && (rc = select_messages(ex, mb->id, &refs, &nrefs, diag)) < 0)
		goto out;
	for (size_t i = 0; i < nrefs; i++) {
		sum->planned++;
		if (refs[i].delivered)
			sum->already++;
	}
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		goto out;
	rc = ex->exp->mailbox_begin(ex->ctx, mb, folders, nf, diag);
	if (rc < 0)
		goto end;
	for (size_t i = 0; i < nrefs && ex->exp->put_message; i++) {
		struct mf_message *m;
		struct mf_put_result res;
		if (refs[i].delivered)
			continue;
		mf_arena_reset(arena);
		if ((rc = mf_store_message_load(ex->st, &m, refs[i].id, 1, arena, diag)) < 0)
			goto end;
		memset(&res, 0, sizeof(res));
		res.bytes = -1;
		rc = ex->exp->put_message(ex->ctx, mb, m, &res, diag);
		if ((rc = handle_put(ex, rc, "message", m->id, mb->id, &res)) < 0)
			goto end;
		sum->attachments += (int64_t)m->n_attachments;
		ex->items_done++;
		ex->bytes_done += m->size;
		mf_progress_update(&ex->prog, ex->items_done, ex->bytes_done);
		if ((rc = maybe_commit(ex, 0, diag)) < 0)
			goto end;
	}
	if (ex->exp->put_calendar && (rc = export_calendar(ex, mb, arena, diag)) < 0)
		goto end;
	if (ex->exp->put_pab && (rc = export_pab(ex, mb, arena, diag)) < 0)
		goto end;
end:
	{
		struct mf_diag d2;
		int failed = rc < 0;
		int erc;
		mf_diag_clear(&d2);
		erc = ex->exp->mailbox_end(ex->ctx, mb, failed, failed ? &d2 : diag);
		if (!failed && erc < 0)
			rc = erc;
		if (rc == MF_OK)
			rc = ledger_put(ex, "mailbox", mb->id, mb->id, "delivered", mb->alias,
					NULL, -1, mb->mail_skipped ? "mail skipped" : NULL);
		if (rc < 0) {
			/* keep what was confirmed: ledger rows are true facts */
			struct mf_diag d3;
			if (mf_store_commit(ex->st, &d3) < 0)
				mf_store_rollback(ex->st);
		} else {
			rc = mf_store_commit(ex->st, diag);
		}
	}
out:
	free(refs);
	free(folders);
	mf_arena_release(&farena);
	return rc;
}

static int cmp_alias(const void *a, const void *b)
{
	const struct mf_mailbox *x = a, *y = b;
	const char *p = x->alias ? x->alias : x->name, *q = y->alias ? y->alias : y->name;
	int c = strcasecmp(p, q);
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

int mf_export_summary_json(struct mf_buf *b, const struct mf_export_summary *s,
			   const char *format, const char *target)
{
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "run_id", s->run_id, 1);
	mf_json_kv_str(b, "format", format, 0);
	mf_json_kv_str(b, "target", target, 0);
	mf_json_key(b, "mailboxes", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < s->n_mbox; i++) {
		const struct mf_export_mbox_sum *m = &s->mbox[i];
		if (i)
			mf_buf_addch(b, ',');
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "alias", m->alias, 1);
		mf_json_kv_int(b, "planned", m->planned, 0);
		mf_json_kv_int(b, "delivered", m->delivered, 0);
		mf_json_kv_int(b, "already", m->already, 0);
		mf_json_kv_int(b, "failed", m->failed, 0);
		mf_json_kv_int(b, "bytes", m->bytes, 0);
		mf_json_kv_int(b, "attachments", m->attachments, 0);
		mf_json_kv_int(b, "calendar_items", m->calendar_items, 0);
		mf_json_kv_int(b, "problems", m->problems, 0);
		mf_json_kv_str(b, "state", m->skipped_leased ? "leased" :
			       m->failed_mailbox ? "failed" : "done", 0);
		mf_buf_addch(b, '}');
	}
	mf_buf_addch(b, ']');
	mf_json_key(b, "totals", 0);
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "mailboxes", s->mailboxes, 1);
	mf_json_kv_int(b, "mailboxes_failed", s->mailboxes_failed, 0);
	mf_json_kv_int(b, "mailboxes_leased", s->mailboxes_leased, 0);
	mf_json_kv_int(b, "delivered", s->delivered, 0);
	mf_json_kv_int(b, "already", s->already, 0);
	mf_json_kv_int(b, "failed", s->failed, 0);
	mf_json_kv_int(b, "bytes", s->bytes, 0);
	mf_json_kv_int(b, "calendar_items", s->calendar_items, 0);
	mf_buf_addch(b, '}');
	return mf_buf_addch(b, '}');
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int mf_export_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, struct mf_export_summary *summary,
		  struct mf_diag *diag)
{
	struct mf_export ex;
	struct mf_arena arena = MF_ARENA_INIT, marena = MF_ARENA_INIT;
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	int rc, final = MF_OK;
	struct mf_buf opts_json, sum_json;
	struct sigaction sa, old_int, old_term;

	memset(summary, 0, sizeof(*summary));
	memset(&ex, 0, sizeof(ex));
	ex.st = st;
	ex.exp = exp;
	ex.opts = opts;
	if (gethostname(ex.host, sizeof(ex.host)) != 0)
		snprintf(ex.host, sizeof(ex.host), "localhost");
	ex.host[sizeof(ex.host) - 1] = '\0';
	if (!exp->open)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "exporter '%s' is not built", exp->name);

	if ((rc = mf_store_mailbox_list(st, &mbs, &nmb, &marena, diag)) < 0)
		goto out_arena;
	/* selection by alias */
	if (opts->n_mailboxes) {
		size_t k = 0;
		for (size_t j = 0; j < opts->n_mailboxes; j++) {
			int found = 0;
			for (size_t i = 0; i < nmb; i++)
				if (mbs[i].alias && mf_strcaseeq(mbs[i].alias, opts->mailboxes[j]))
					found = 1;
			if (!found) {
				rc = mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
						 "no mailbox with alias '%s' (see 'mailferry status')",
						 opts->mailboxes[j]);
				goto out_arena;
			}
		}
		for (size_t i = 0; i < nmb; i++) {
			int keep = 0;
			for (size_t j = 0; j < opts->n_mailboxes && !keep; j++)
				keep = mbs[i].alias && mf_strcaseeq(mbs[i].alias, opts->mailboxes[j]);
			if (keep)
				mbs[k++] = mbs[i];
		}
		nmb = k;
	}
	qsort(mbs, nmb, sizeof(*mbs), cmp_alias);

	mf_buf_init(&opts_json, 1 << 20);
	mf_buf_addch(&opts_json, '{');
	mf_json_kv_str(&opts_json, "out", opts->out, 1);
	mf_json_kv_str(&opts_json, "url", opts->url, 0);
	mf_json_kv_int(&opts_json, "no_mail", opts->no_mail, 0);
	mf_json_kv_int(&opts_json, "mailboxes", (int64_t)opts->n_mailboxes, 0);
	mf_buf_addch(&opts_json, '}');
	rc = mf_store_run_begin(st, &ex.run_id, "export", exp->name, NULL, opts_json.data, diag);
	mf_buf_release(&opts_json);
	if (rc < 0)
		goto out_arena;
	summary->run_id = ex.run_id;
	mf_store_set_context(st, ex.run_id, 0);

	if ((rc = exp->open(&ex.ctx, &ex, st, opts, diag)) < 0) {
		mf_store_run_end(st, ex.run_id, "failed", NULL, NULL);
		goto out_arena;
	}
	summary->started = 1;
	ex.target = exp->target(ex.ctx);
	{
		static const char upd[] = "UPDATE runs SET target = ?2 WHERE id = ?1";
		sqlite3_stmt *s = mf_store_stmt(st, upd, diag);
		if (s) {
			sqlite3_bind_int64(s, 1, ex.run_id);
			mf_store_bind_text(s, 2, ex.target);
			sqlite3_step(s);
			sqlite3_reset(s);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	interrupted = 0;

	summary->mbox = mf_xcalloc(nmb ? nmb : 1, sizeof(*summary->mbox));
	summary->n_mbox = nmb;
	mf_progress_begin(&ex.prog, exp->name, 0, 0, opts->quiet || opts->json);
	ex.last_commit_ms = ex.last_beat_ms = mf_now_ms();
	for (size_t i = 0; i < nmb && !interrupted; i++) {
		struct mf_mailbox *mb = &mbs[i];
		struct mf_export_mbox_sum *sum = &summary->mbox[i];
		enum lease_result lr;

		sum->mailbox_id = mb->id;
		snprintf(sum->alias, sizeof(sum->alias), "%s", mb->alias ? mb->alias : mb->name);
		for (;;) {
			if ((rc = lease_acquire(&ex, mb->id, &lr, diag)) < 0)
				goto stop;
			if (lr != LEASE_BUSY || !opts->wait || interrupted)
				break;
			sleep(1);
		}
		if (lr == LEASE_BUSY) {
			sum->skipped_leased = 1;
			summary->mailboxes_leased++;
			mf_progress_note(&ex.prog, "%s: skipped, another run is exporting it",
					 sum->alias);
			continue;
		}
		ex.cur = sum;
		ex.cur_mailbox = mb->id;
		ex.cur_resumed = lr == LEASE_TAKEN_OVER;
		rc = export_mailbox(&ex, mb, sum, &arena, diag);
		lease_release(&ex, mb->id);
		ex.cur = NULL;
		ex.cur_mailbox = 0;
		if (rc == MF_ESTORE)
			goto stop;
		if (rc < 0) {
			char line[1200];
			sum->failed_mailbox = 1;
			summary->mailboxes_failed++;
			mf_export_problem(&ex, MF_ERROR, "export.mailbox-failed", mb->id, 0,
					  "%s", mf_diag_format(diag, line, sizeof(line)));
			final = rc;
			mf_diag_clear(diag);
			continue;
		}
		summary->mailboxes++;
		mf_progress_note(&ex.prog, "%s: %lld delivered, %lld already there, %lld failed",
				 sum->alias, (long long)sum->delivered, (long long)sum->already,
				 (long long)sum->failed);
	}
	rc = MF_OK;
	if (exp->finish && !interrupted)
		rc = exp->finish(ex.ctx, diag);
stop:
	mf_progress_end(&ex.prog);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc < 0)
		final = rc;
	for (size_t i = 0; i < summary->n_mbox; i++) {
		summary->delivered += summary->mbox[i].delivered;
		summary->already += summary->mbox[i].already;
		summary->failed += summary->mbox[i].failed;
		summary->bytes += summary->mbox[i].bytes;
		summary->calendar_items += summary->mbox[i].calendar_items;
	}
	mf_buf_init(&sum_json, MF_BUF_UNBOUNDED);
	mf_export_summary_json(&sum_json, summary, exp->name, ex.target);
	mf_store_run_end(st, ex.run_id,
			 interrupted ? "interrupted" : final < 0 ? "failed" :
			 (summary->failed || summary->mailboxes_leased) ? "problems" : "ok",
			 sum_json.data, NULL);
	mf_buf_release(&sum_json);
	exp->close(&ex.ctx);
	if (interrupted && final == MF_OK)
		final = mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
				    "interrupted; run the same command again to resume");
	if (final == MF_OK && summary->mailboxes_leased)
		final = MF_EBUSY;
	rc = final;
out_arena:
	mf_arena_release(&arena);
	mf_arena_release(&marena);
	return rc;
}
