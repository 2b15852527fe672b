/* SPDX-License-Identifier: MIT */
/* store_ccdir.c: one name at a time from a staged directory (see store_ccdir.h). */
#include "core/store_ccdir.h"
#include "core/store_priv.h"

#define DIR_COLS                                                                     \
	"SELECT id, kind, name, display_name, address_type, address, postoffice, " \
	"ifnull(alias_of, 0) FROM dir_entries "

/* by the name and address indexes: the '+' keep the planner off
 * dir_entries_source, whose source_id prefix holds the whole directory */
static const char SQL_DIR_EACH_NAMED[] =
	DIR_COLS "WHERE name = ?2 COLLATE NOCASE AND +source_id = ?1 ORDER BY id";
static const char SQL_DIR_EACH_SMTP[] =
	DIR_COLS "WHERE address = ?2 COLLATE NOCASE AND +source_id = ?1 "
	"AND +address_type = 'SMTP' ORDER BY id";
static const char SQL_DIR_BY_ID[] = DIR_COLS "WHERE id = ?2 AND source_id = ?1";
/* the name index alone (it holds the id): no page of the table is read */
static const char SQL_DIR_IDS_NAMED[] =
	"SELECT id FROM dir_entries WHERE name = ?1 COLLATE NOCASE ORDER BY id LIMIT 2";

static const char *text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int each(struct mf_store *st, const char *sql, int64_t source_id, const char *key,
		int64_t id, mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	int rc, frc = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	if (key)
		sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(s, 2, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_dir_row r;
		r.id = sqlite3_column_int64(s, 0);
		r.kind = text(s, 1);
		r.name = text(s, 2);
		r.display_name = text(s, 3);
		r.address_type = text(s, 4);
		r.address = text(s, 5);
		r.postoffice = text(s, 6);
		r.alias_of = sqlite3_column_int64(s, 7);
		if ((frc = fn(ctx, &r)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (frc < 0)
		return frc;
	if (frc == 0 && rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up directory entry");
	return MF_OK;
}

int mf_store_dir_each_named(struct mf_store *st, int64_t source_id, const char *name,
			    mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag)
{
	return each(st, SQL_DIR_EACH_NAMED, source_id, name ? name : "", 0, fn, ctx, diag);
}

int mf_store_dir_each_smtp(struct mf_store *st, int64_t source_id, const char *address,
			   mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag)
{
	return each(st, SQL_DIR_EACH_SMTP, source_id, address ? address : "", 0, fn, ctx, diag);
}

int mf_store_dir_by_id(struct mf_store *st, int64_t source_id, int64_t id,
		       mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag)
{
	return each(st, SQL_DIR_BY_ID, source_id, NULL, id, fn, ctx, diag);
}

int mf_store_dir_ids_named(struct mf_store *st, const char *name, int64_t *id, int *n,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_DIR_IDS_NAMED, diag);
	int rc;
	*id = 0;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, name ? name : "", -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == 0)
			*id = sqlite3_column_int64(s, 0);
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up directory entry");
	return MF_OK;
}
