/* SPDX-License-Identifier: MIT */
/* store_verify.c: the store reads of `mailferry verify` (see store_verify.h). */
#include "core/store_verify.h"
#include "core/store.h"
#include "core/store_priv.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_V_MESSAGES[] =
	"SELECT g.id, f.path, d.status, d.remote_id, d.sha256, ifnull(d.bytes, -1) "
	"FROM messages g JOIN folders f ON f.id = g.folder_id "
	"LEFT JOIN deliveries d ON d.target = ?2 AND d.item_kind = 'message' AND d.item_id = g.id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL ORDER BY g.id";
static const char SQL_V_LEDGER[] =
	"SELECT item_id, status, remote_id, sha256, ifnull(bytes, -1) FROM deliveries "
	"WHERE mailbox_id = ?1 AND target = ?2 AND item_kind = ?3";   /* sorted in C: an
	 * ORDER BY here makes SQLite walk the primary key over every mailbox */
static const char SQL_V_FOLDERS[] =
	"SELECT path FROM folders WHERE mailbox_id = ?1 ORDER BY path";
static const char SQL_V_CALENDAR[] =
	"SELECT id, uid, ical, dtstart_utc FROM calendar_items WHERE mailbox_id = ?1 "
	"ORDER BY dtstart_utc IS NULL, dtstart_utc, uid";

/* Grow a malloc'd array by one element; returns the new element, zeroed. */
static void *grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	char *p;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = mf_xreallocarray(*arr, *cap, size);
	}
	p = (char *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

static int rows_read(struct mf_store *st, sqlite3_stmt *s, int with_folder,
		     struct mf_ledger_row **out, size_t *n_out, struct mf_arena *arena,
		     struct mf_diag *diag)
{
	void *arr = NULL;
	size_t n = 0, cap = 0;
	int step, c;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_ledger_row *r = grow(&arr, &n, &cap, sizeof(*r));
		c = 0;
		r->item_id = sqlite3_column_int64(s, c++);
		if (with_folder)
			r->folder = mf_store_col_text(s, c++, arena);
		r->status = mf_store_col_text(s, c++, arena);
		r->remote_id = mf_store_col_text(s, c++, arena);
		r->sha256 = mf_store_col_text(s, c++, arena);
		r->bytes = sqlite3_column_int64(s, c);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(arr);
		return mf_store_fail(st, diag, "cannot read the delivery ledger");
	}
	*out = arr;
	*n_out = n;
	return MF_OK;
}

int mf_store_verify_messages(struct mf_store *st, const char *target, int64_t mailbox_id,
			     struct mf_ledger_row **out, size_t *n_out,
			     struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_V_MESSAGES, diag);
	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	return rows_read(st, s, 1, out, n_out, arena, diag);
}

static int cmp_item(const void *a, const void *b)
{
	const struct mf_ledger_row *x = a, *y = b;
	return x->item_id < y->item_id ? -1 : x->item_id > y->item_id;
}

int mf_store_verify_ledger(struct mf_store *st, const char *target, const char *item_kind,
			   int64_t mailbox_id, struct mf_ledger_row **out, size_t *n_out,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_V_LEDGER, diag);
	int rc;
	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	mf_store_bind_text(s, 3, item_kind);
	rc = rows_read(st, s, 0, out, n_out, arena, diag);
	if (rc == MF_OK && *n_out > 1)
		qsort(*out, *n_out, sizeof(**out), cmp_item);
	return rc;
}

int mf_store_verify_folders(struct mf_store *st, int64_t mailbox_id, const char ***out,
			    size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_V_FOLDERS, diag);
	void *arr = NULL;
	size_t n = 0, cap = 0;
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char **p = grow(&arr, &n, &cap, sizeof(*p));
		*p = mf_store_col_text(s, 0, arena);
		if (!*p)
			n--;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(arr);
		return mf_store_fail(st, diag, "cannot list folders");
	}
	*out = arr;
	*n_out = n;
	return MF_OK;
}

int mf_store_verify_calendar(struct mf_store *st, int64_t mailbox_id,
			     struct mf_calendar_item **out, size_t *n_out,
			     struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_V_CALENDAR, diag);
	void *arr = NULL;
	size_t n = 0, cap = 0;
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_calendar_item *c = grow(&arr, &n, &cap, sizeof(*c));
		c->id = sqlite3_column_int64(s, 0);
		c->mailbox_id = mailbox_id;
		c->uid = mf_store_col_text(s, 1, arena);
		c->ical = mf_store_col_text(s, 2, arena);
		c->has_dtstart = sqlite3_column_type(s, 3) != SQLITE_NULL;
		c->dtstart_utc = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(arr);
		return mf_store_fail(st, diag, "cannot read calendar items");
	}
	*out = arr;
	*n_out = n;
	return MF_OK;
}

/* ---- the scratch list of what verify read back (temporary tables) ---- */

static const char SQL_VX_FILE_ADD[] =
	"INSERT INTO temp.vx_files (key, alias) VALUES (?1, ?2)";
static const char SQL_VX_LINE_ADD[] =
	"INSERT INTO temp.vx_lines (file_id, line, sha256, bytes, schedule) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_VX_BY_ALIAS[] =
	"SELECT key FROM temp.vx_files WHERE alias = ?1 ORDER BY id";
static const char SQL_VX_KEY_EXISTS[] =
	"SELECT 1 FROM temp.vx_files WHERE key = ?1 LIMIT 1";
static const char SQL_VX_BY_KEY[] =
	"SELECT l.line, l.sha256, l.bytes, l.schedule FROM temp.vx_files f "
	"JOIN temp.vx_lines l ON l.file_id = f.id WHERE f.key = ?1 ORDER BY f.id, l.line";

int mf_store_vscratch_begin(struct mf_store *st, struct mf_diag *diag)
{
	int rc;
	/* a temporary file, not memory (the store's default): changing it
	 * drops what temporary tables there were */
	if ((rc = mf_store_exec(st,
				"PRAGMA temp_store = FILE;"
				"PRAGMA temp.cache_size = -1024;"
				"DROP TABLE IF EXISTS temp.vx_lines;"
				"DROP TABLE IF EXISTS temp.vx_files;"
				"CREATE TEMP TABLE vx_files (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
				"alias TEXT NOT NULL);"
				"CREATE INDEX temp.vx_files_alias ON vx_files (alias, id);"
				"CREATE INDEX temp.vx_files_key ON vx_files (key, id);"
				"CREATE TEMP TABLE vx_lines (file_id INTEGER NOT NULL, line INTEGER NOT NULL, "
				"sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, schedule INTEGER NOT NULL, "
				"PRIMARY KEY (file_id, line)) WITHOUT ROWID;",
				diag)) < 0)
		return rc;
	return mf_store_exec(st, "BEGIN", diag);
}

int mf_store_vscratch_file_add(struct mf_store *st, int64_t *id_out, const char *key,
			       const char *alias, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_VX_FILE_ADD, diag);
	int step;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, alias ? alias : "", -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot keep a file read back (temporary table)");
	*id_out = sqlite3_last_insert_rowid(mf_store_db(st));
	return MF_OK;
}

int mf_store_vscratch_line_add(struct mf_store *st, int64_t file_id, int64_t line,
			       const char *sha256, int64_t bytes, int schedule,
			       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_VX_LINE_ADD, diag);
	int step;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, line);
	sqlite3_bind_text(s, 3, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, bytes);
	sqlite3_bind_int(s, 5, schedule != 0);
	step = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot keep a line read back (temporary table)");
	return MF_OK;
}

int mf_store_vscratch_ready(struct mf_store *st, struct mf_diag *diag)
{
	return mf_store_exec(st, "COMMIT", diag);
}

void mf_store_vscratch_end(struct mf_store *st)
{
	if (sqlite3_get_autocommit(mf_store_db(st)) == 0)
		mf_store_exec(st, "ROLLBACK", NULL);
	/* and the store's own setting back (core/store.c) */
	mf_store_exec(st, "DROP TABLE IF EXISTS temp.vx_lines; DROP TABLE IF EXISTS temp.vx_files;"
		      "PRAGMA temp_store = MEMORY;", NULL);
}

int mf_store_vscratch_files_by_alias(struct mf_store *st, const char *alias,
				     int (*fn)(void *arg, const char *key), void *arg,
				     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_VX_BY_ALIAS, diag);
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, alias, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);
		if ((rc = fn(arg, key ? key : "")) < 0)
			break;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc < 0)
		return rc;
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the files read back (temporary table)");
	return MF_OK;
}

int mf_store_vscratch_lines_by_key(struct mf_store *st, const char *key, int *exists,
				   int (*fn)(void *arg, int64_t line, const char *sha256,
					     int64_t bytes, int schedule),
				   void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_VX_KEY_EXISTS, diag);
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(s);
	*exists = step == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the files read back (temporary table)");
	if (!(s = mf_store_stmt(st, SQL_VX_BY_KEY, diag)))
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(s, 1);
		if ((rc = fn(arg, sqlite3_column_int64(s, 0), sha ? sha : "",
			     sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3))) < 0)
			break;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc < 0)
		return rc;
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the lines read back (temporary table)");
	return MF_OK;
}
