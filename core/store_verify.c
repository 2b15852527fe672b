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
