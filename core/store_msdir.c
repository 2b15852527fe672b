/* SPDX-License-Identifier: MIT */
/* store_msdir.c: the MS Mail importer's directory keys (see store_msdir.h). */
#include "core/store_msdir.h"
#include "core/store_priv.h"

#include <stdlib.h>
#include <string.h>

/* WITHOUT ROWID: the key is the table's b-tree, one page look-up each */
static const char SQL_KEYS_MAKE[] =
	"CREATE TEMP TABLE IF NOT EXISTS msdir_keys(key TEXT PRIMARY KEY, id INTEGER NOT NULL, "
	"display TEXT) WITHOUT ROWID";
static const char SQL_KEYS_CLEAR[] = "DELETE FROM temp.msdir_keys";
static const char SQL_KEYS_DROP[] = "DROP TABLE IF EXISTS temp.msdir_keys";
static const char SQL_USERS_MAKE[] =
	"CREATE TEMP TABLE IF NOT EXISTS msdir_users(seq INTEGER PRIMARY KEY, "
	"mailbox TEXT NOT NULL COLLATE NOCASE UNIQUE, full_name TEXT, dir_name TEXT, "
	"mail_dir TEXT, calendar TEXT, hexid TEXT, deleted INTEGER NOT NULL, "
	"in_csv INTEGER NOT NULL, in_pol INTEGER NOT NULL, csv_offset INTEGER NOT NULL, "
	"mailbox_id INTEGER NOT NULL, inbox_messages INTEGER NOT NULL)";
static const char SQL_USERS_CLEAR[] = "DELETE FROM temp.msdir_users";
static const char SQL_USERS_DROP[] = "DROP TABLE IF EXISTS temp.msdir_users";
static const char SQL_USER_ADD[] =
	"INSERT INTO temp.msdir_users(seq, mailbox, full_name, dir_name, mail_dir, calendar, "
	"hexid, deleted, in_csv, in_pol, csv_offset, mailbox_id, inbox_messages) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_USER_SET[] =
	"UPDATE temp.msdir_users SET full_name = ?3, dir_name = ?4, mail_dir = ?5, "
	"calendar = ?6, hexid = ?7, deleted = ?8, in_csv = ?9, in_pol = ?10, csv_offset = ?11, "
	"mailbox_id = ?12, inbox_messages = ?13 WHERE seq = ?1";
#define USER_COLS "seq, mailbox, full_name, dir_name, mail_dir, calendar, hexid, deleted, " \
	"in_csv, in_pol, csv_offset, mailbox_id, inbox_messages"
static const char SQL_USER_FIND[] =
	"SELECT " USER_COLS " FROM temp.msdir_users WHERE mailbox = ?1";
static const char SQL_USER_NEXT[] =
	"SELECT " USER_COLS " FROM temp.msdir_users WHERE seq > ?1 ORDER BY seq LIMIT 1";
static const char SQL_KEY_PUT[] =
	"INSERT OR IGNORE INTO temp.msdir_keys(key, id, display) VALUES (?1, ?2, ?3)";
static const char SQL_KEY_GET[] = "SELECT id, display FROM temp.msdir_keys WHERE key = ?1";

int mf_store_msdir_reset(struct mf_store *st, struct mf_diag *diag)
{
	int rc;
	if ((rc = mf_store_exec(st, SQL_KEYS_MAKE, diag)) < 0)
		return rc;
	st->msdir_keys = 1;
	return mf_store_exec(st, SQL_KEYS_CLEAR, diag);
}

int mf_store_msdir_put(struct mf_store *st, const char *key, int64_t id, const char *display,
		       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_KEY_PUT, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, id);
	mf_store_bind_text(s, 3, display);
	return mf_store_step_done(st, s, diag, "cannot keep a directory key");
}

int mf_store_msdir_get(struct mf_store *st, int64_t *id, char **display, const char *key,
		       struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc;
	*id = 0;
	*display = NULL;
	if (!st->msdir_keys)
		return 0;
	if (!(s = mf_store_stmt(st, SQL_KEY_GET, diag)))
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 1);
		*id = sqlite3_column_int64(s, 0);
		*display = d ? mf_xstrdup(d) : NULL;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(st, diag, "cannot look a directory key up");
}

int mf_store_msdir_begin(struct mf_store *st, struct mf_diag *diag)
{
	/* the store keeps temporary tables in memory (core/store.c): these
	 * two grow with the directory, so they go to a file behind the
	 * temporary database's own page cache (SQLite's default, 2 MB) */
	return mf_store_exec(st, "PRAGMA temp_store = FILE", diag);
}

void mf_store_msdir_drop(struct mf_store *st)
{
	if (st->msdir_keys)
		mf_store_exec(st, SQL_KEYS_DROP, NULL);
	if (st->msdir_users)
		mf_store_exec(st, SQL_USERS_DROP, NULL);
	st->msdir_keys = st->msdir_users = 0;
	/* as core/store.c set it (fails harmlessly inside a transaction) */
	mf_store_exec(st, "PRAGMA temp_store = MEMORY", NULL);
}

/* ---- users ---- */

void mf_store_msuser_release(struct mf_store_msuser *u)
{
	free(u->mailbox);
	free(u->full_name);
	free(u->dir_name);
	free(u->mail_dir);
	free(u->calendar);
	free(u->hexid);
	memset(u, 0, sizeof(*u));
}

int mf_store_msuser_reset(struct mf_store *st, struct mf_diag *diag)
{
	int rc;
	if ((rc = mf_store_exec(st, SQL_USERS_MAKE, diag)) < 0)
		return rc;
	st->msdir_users = 1;
	return mf_store_exec(st, SQL_USERS_CLEAR, diag);
}

static int user_write(struct mf_store *st, const char *sql, const struct mf_store_msuser *u,
		      struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, u->seq);
	mf_store_bind_text(s, 2, u->mailbox);
	mf_store_bind_text(s, 3, u->full_name);
	mf_store_bind_text(s, 4, u->dir_name);
	mf_store_bind_text(s, 5, u->mail_dir);
	mf_store_bind_text(s, 6, u->calendar);
	mf_store_bind_text(s, 7, u->hexid);
	sqlite3_bind_int(s, 8, u->deleted);
	sqlite3_bind_int(s, 9, u->in_csv);
	sqlite3_bind_int(s, 10, u->in_pol);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)u->csv_offset);
	sqlite3_bind_int64(s, 12, u->mailbox_id);
	sqlite3_bind_int64(s, 13, u->inbox_messages);
	return mf_store_step_done(st, s, diag, "cannot keep a user of the directory");
}

int mf_store_msuser_add(struct mf_store *st, const struct mf_store_msuser *u,
			struct mf_diag *diag)
{
	return user_write(st, SQL_USER_ADD, u, diag);
}

int mf_store_msuser_update(struct mf_store *st, const struct mf_store_msuser *u,
			   struct mf_diag *diag)
{
	return user_write(st, SQL_USER_SET, u, diag);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? mf_xstrdup(v) : NULL;
}

static int user_read(struct mf_store *st, sqlite3_stmt *s, struct mf_store_msuser *u,
		     struct mf_diag *diag)
{
	int rc = sqlite3_step(s);
	memset(u, 0, sizeof(*u));
	if (rc == SQLITE_ROW) {
		u->seq = sqlite3_column_int64(s, 0);
		u->mailbox = col_dup(s, 1);
		u->full_name = col_dup(s, 2);
		u->dir_name = col_dup(s, 3);
		u->mail_dir = col_dup(s, 4);
		u->calendar = col_dup(s, 5);
		u->hexid = col_dup(s, 6);
		u->deleted = sqlite3_column_int(s, 7);
		u->in_csv = sqlite3_column_int(s, 8);
		u->in_pol = sqlite3_column_int(s, 9);
		u->csv_offset = (uint64_t)sqlite3_column_int64(s, 10);
		u->mailbox_id = sqlite3_column_int64(s, 11);
		u->inbox_messages = sqlite3_column_int64(s, 12);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(st, diag, "cannot read a user of the directory back");
}

int mf_store_msuser_find(struct mf_store *st, struct mf_store_msuser *u, const char *mailbox,
			 struct mf_diag *diag)
{
	sqlite3_stmt *s;
	memset(u, 0, sizeof(*u));
	if (!st->msdir_users)
		return 0;
	if (!(s = mf_store_stmt(st, SQL_USER_FIND, diag)))
		return MF_ESTORE;
	mf_store_bind_text(s, 1, mailbox);
	return user_read(st, s, u, diag);
}

int mf_store_msuser_next(struct mf_store *st, struct mf_store_msuser *u, int64_t after,
			 struct mf_diag *diag)
{
	sqlite3_stmt *s;
	memset(u, 0, sizeof(*u));
	if (!st->msdir_users)
		return 0;
	if (!(s = mf_store_stmt(st, SQL_USER_NEXT, diag)))
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, after);
	return user_read(st, s, u, diag);
}
