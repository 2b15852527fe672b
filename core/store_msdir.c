/* SPDX-License-Identifier: MIT */
/* store_msdir.c: the MS Mail importer's directory keys (see store_msdir.h). */
#include "core/store_msdir.h"
#include "core/store_priv.h"

#include <stdlib.h>

/* WITHOUT ROWID: the key is the table's b-tree, one page look-up each */
static const char SQL_KEYS_MAKE[] =
	"CREATE TEMP TABLE IF NOT EXISTS msdir_keys(key TEXT PRIMARY KEY, id INTEGER NOT NULL, "
	"display TEXT) WITHOUT ROWID";
static const char SQL_KEYS_CLEAR[] = "DELETE FROM temp.msdir_keys";
static const char SQL_KEYS_DROP[] = "DROP TABLE IF EXISTS temp.msdir_keys";
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

void mf_store_msdir_drop(struct mf_store *st)
{
	if (!st->msdir_keys)
		return;
	st->msdir_keys = 0;
	mf_store_exec(st, SQL_KEYS_DROP, NULL);
}
