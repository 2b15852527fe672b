/* SPDX-License-Identifier: MIT */
/*
 * store_plan_work.c: the plan's working tables (schema/008-plan-work.sql,
 * see store.h).  The planner keeps its mailboxes, the aliases it has given
 * and the recipient addresses it has seen here instead of in memory, and
 * reads the mailboxes a page at a time: memory stays flat in the number of
 * mailboxes, and every look-up goes through an index.
 */
#include "core/store_priv.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_W_DEL[] = "DELETE FROM plan_work";
static const char SQL_WA_DEL[] = "DELETE FROM plan_work_aliases";
static const char SQL_WS_DEL[] = "DELETE FROM plan_work_seen";
static const char SQL_WB_DEL[] = "DELETE FROM plan_work_bases";
static const char SQL_WB_GET[] = "SELECT next FROM plan_work_bases WHERE base = ?1";
static const char SQL_WB_PUT[] =
	"INSERT INTO plan_work_bases(base, next) VALUES (?1, ?2) "
	"ON CONFLICT(base) DO UPDATE SET next = excluded.next";
static const char SQL_W_ADD[] =
	"INSERT INTO plan_work(mailbox_id, kind, name, display_name, source_address, match_key, "
	"loose_key, current_alias, origin_alias) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
#define W_COLS "mailbox_id, kind, name, display_name, source_address, match_key, loose_key, " \
	"current_alias, origin_alias, map_alias, action, object_id, obj_class, obj_alias, obj_dn, " \
	"alias, alias_from, conflict, message"
static const char SQL_W_PAGE[] =
	"SELECT " W_COLS " FROM plan_work WHERE mailbox_id > ?1 ORDER BY mailbox_id LIMIT ?2";
static const char SQL_W_GET[] = "SELECT " W_COLS " FROM plan_work WHERE mailbox_id = ?1";
static const char SQL_W_UPD[] =
	"UPDATE plan_work SET action = ?2, object_id = ?3, obj_class = ?4, obj_alias = ?5, obj_dn = ?6, "
	"alias = ?7, alias_from = ?8, conflict = ?9, message = ?10 WHERE mailbox_id = ?1";
static const char SQL_W_RESOLVE[] =
	"SELECT count(*), min(mailbox_id) FROM ("
	"SELECT mailbox_id FROM plan_work WHERE source_address = ?1 COLLATE NOCASE "
	"UNION SELECT mailbox_id FROM plan_work WHERE source_address = ?2 COLLATE NOCASE "
	"UNION SELECT mailbox_id FROM plan_work WHERE name = ?1 COLLATE NOCASE)";
static const char SQL_W_MAP[] = "UPDATE plan_work SET map_alias = ?2 WHERE mailbox_id = ?1";
static const char SQL_W_BY_KEY[] =
	"SELECT mailbox_id FROM plan_work WHERE match_key = ?1 COLLATE NOCASE AND mailbox_id < ?2 "
	"ORDER BY match_key COLLATE NOCASE, mailbox_id LIMIT 1";
static const char SQL_W_CLAIMED[] =
	"SELECT mailbox_id FROM plan_work WHERE object_id = ?1 AND mailbox_id < ?2 "
	"AND action IN ('convert', 'exists') ORDER BY object_id, mailbox_id LIMIT 1";
static const char SQL_WA_HAS[] = "SELECT 1 FROM plan_work_aliases WHERE alias = ?1";
static const char SQL_WA_ADD[] = "INSERT OR IGNORE INTO plan_work_aliases(alias) VALUES (?1)";
static const char SQL_WS_GET[] = "SELECT entry_id, name FROM plan_work_seen WHERE key = ?1";
static const char SQL_WS_PUT[] =
	"INSERT OR IGNORE INTO plan_work_seen(key, entry_id, name) VALUES (?1, ?2, ?3)";
static const char SQL_W_PLAN[] =
	"INSERT INTO plan_mailboxes(mailbox_id, action, alias, alias_from, object_id, conflict, message) "
	"SELECT mailbox_id, action, alias, alias_from, object_id, conflict, coalesce(message, '') "
	"FROM plan_work ORDER BY mailbox_id";

int mf_store_planw_reset(struct mf_store *st, struct mf_diag *diag)
{
	int rc = mf_store_exec(st, SQL_W_DEL, diag);
	if (rc == MF_OK)
		rc = mf_store_exec(st, SQL_WA_DEL, diag);
	if (rc == MF_OK)
		rc = mf_store_exec(st, SQL_WS_DEL, diag);
	if (rc == MF_OK)
		rc = mf_store_exec(st, SQL_WB_DEL, diag);
	return rc;
}

int mf_store_planw_add(struct mf_store *st, const struct mf_store_planw *w, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_ADD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, w->id);
	mf_store_bind_text(s, 2, w->kind ? w->kind : "mailbox");
	mf_store_bind_text(s, 3, w->name ? w->name : "");
	mf_store_bind_text(s, 4, w->display_name);
	mf_store_bind_text(s, 5, w->source_address);
	mf_store_bind_text(s, 6, w->match_key);
	mf_store_bind_text(s, 7, w->loose_key);
	mf_store_bind_text(s, 8, w->current_alias);
	mf_store_bind_text(s, 9, w->origin_alias);
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

static void read_row(sqlite3_stmt *s, struct mf_store_planw *w, struct mf_arena *a)
{
	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(s, 0);
	w->kind = mf_store_col_text(s, 1, a);
	w->name = mf_store_col_text(s, 2, a);
	w->display_name = mf_store_col_text(s, 3, a);
	w->source_address = mf_store_col_text(s, 4, a);
	w->match_key = mf_store_col_text(s, 5, a);
	w->loose_key = mf_store_col_text(s, 6, a);
	w->current_alias = mf_store_col_text(s, 7, a);
	w->origin_alias = mf_store_col_text(s, 8, a);
	w->map_alias = mf_store_col_text(s, 9, a);
	w->action = mf_store_col_text(s, 10, a);
	w->object_id = sqlite3_column_int64(s, 11);
	w->obj_class = mf_store_col_text(s, 12, a);
	w->obj_alias = mf_store_col_text(s, 13, a);
	w->obj_dn = mf_store_col_text(s, 14, a);
	w->alias = mf_store_col_text(s, 15, a);
	w->alias_from = mf_store_col_text(s, 16, a);
	w->conflict = mf_store_col_text(s, 17, a);
	w->message = mf_store_col_text(s, 18, a);
}

int mf_store_planw_page(struct mf_store *st, struct mf_store_planw *out, size_t max, size_t *n_out,
			int64_t after_id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_PAGE, diag);
	size_t n = 0;
	int step;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, after_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while (n < max && (step = sqlite3_step(s)) == SQLITE_ROW)
		read_row(s, &out[n++], arena);
	if (n < max && step != SQLITE_DONE) {
		sqlite3_reset(s);
		return mf_store_fail(st, diag, "cannot read plan work");
	}
	sqlite3_reset(s);
	*n_out = n;
	return MF_OK;
}

int mf_store_planw_get(struct mf_store *st, struct mf_store_planw *out, int64_t mailbox_id,
		       struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_GET, diag);
	int step;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		read_row(s, out, arena);
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_update(struct mf_store *st, const struct mf_store_planw *w, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_UPD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, w->id);
	mf_store_bind_text(s, 2, w->action);
	mf_store_bind_id(s, 3, w->object_id);
	mf_store_bind_text(s, 4, w->obj_class);
	mf_store_bind_text(s, 5, w->obj_alias);
	mf_store_bind_text(s, 6, w->obj_dn);
	mf_store_bind_text(s, 7, w->alias);
	mf_store_bind_text(s, 8, w->alias_from);
	mf_store_bind_text(s, 9, w->conflict);
	mf_store_bind_text(s, 10, w->message);
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

int mf_store_planw_resolve(struct mf_store *st, int64_t *n_out, int64_t *first_id, const char *key,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_RESOLVE, diag);
	int step;
	*n_out = 0;
	*first_id = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	if (key && strlen(key) >= 8 && !sqlite3_strnicmp(key, "MIGRATE:", 8))
		mf_store_bind_text(s, 2, key + 8);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*n_out = sqlite3_column_int64(s, 0);
		*first_id = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return step == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_set_map_alias(struct mf_store *st, int64_t mailbox_id, const char *alias,
				 struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_W_MAP, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, alias);
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

/* One id from sql binding (text or id, id); 1 found, 0 not, <0 error. */
static int one(struct mf_store *st, const char *sql, const char *text, int64_t a, int64_t b,
	       int64_t *out, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	int step;
	*out = 0;
	if (!s)
		return MF_ESTORE;
	if (text)
		mf_store_bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_first_by_key(struct mf_store *st, int64_t *mailbox_id, const char *key,
				int64_t before_id, struct mf_diag *diag)
{
	*mailbox_id = 0;
	if (!key)
		return 0;
	return one(st, SQL_W_BY_KEY, key, 0, before_id > 0 ? before_id : INT64_MAX, mailbox_id, diag);
}

int mf_store_planw_claimed(struct mf_store *st, int64_t *mailbox_id, int64_t object_id,
			   int64_t before_id, struct mf_diag *diag)
{
	return one(st, SQL_W_CLAIMED, NULL, object_id, before_id, mailbox_id, diag);
}

int mf_store_planw_alias_has(struct mf_store *st, const char *alias, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WA_HAS, diag);
	int step;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	step = sqlite3_step(s);
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_alias_add(struct mf_store *st, const char *alias, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WA_ADD, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

int mf_store_planw_seen_get(struct mf_store *st, int64_t *entry_id, const char **name,
			    const char *key, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WS_GET, diag);
	int step;
	*entry_id = 0;
	*name = NULL;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*entry_id = sqlite3_column_int64(s, 0);
		*name = mf_store_col_text(s, 1, arena);
	}
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_seen_put(struct mf_store *st, const char *key, int64_t entry_id,
			    const char *name, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WS_PUT, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, entry_id);
	mf_store_bind_text(s, 3, name ? name : "");
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

int mf_store_planw_base_get(struct mf_store *st, int64_t *next, const char *base,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WB_GET, diag);
	int step;
	*next = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, base);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		return 1;
	return step == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan work");
}

int mf_store_planw_base_put(struct mf_store *st, const char *base, int64_t next,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_WB_PUT, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, base);
	sqlite3_bind_int64(s, 2, next);
	return mf_store_step_done(st, s, diag, "cannot store plan work");
}

int mf_store_planw_write_plan(struct mf_store *st, struct mf_diag *diag)
{
	int rc = mf_store_plan_clear(st, 0, diag);
	if (rc == MF_OK)
		rc = mf_store_exec(st, SQL_W_PLAN, diag);
	return rc;
}
