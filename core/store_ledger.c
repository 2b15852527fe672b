/* SPDX-License-Identifier: MIT */
/* store_ledger.c: the delivery ledger, what each target holds (see store.h). */
#include "core/store_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_LEDGER_PUT[] =
	"INSERT INTO deliveries(target, item_kind, item_id, mailbox_id, run_id, status, remote_id, "
	"sha256, bytes, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT(target, item_kind, item_id) DO UPDATE SET mailbox_id = excluded.mailbox_id, "
	"run_id = excluded.run_id, status = excluded.status, remote_id = excluded.remote_id, "
	"sha256 = excluded.sha256, bytes = excluded.bytes, detail = excluded.detail, at = excluded.at";

int mf_store_delivery_put(struct mf_store *st, const char *target, int64_t run_id,
			  const struct mf_store_delivery *r, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEDGER_PUT, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, target);
	mf_store_bind_text(s, 2, r->kind);
	sqlite3_bind_int64(s, 3, r->item_id);
	sqlite3_bind_int64(s, 4, r->mailbox_id);
	mf_store_bind_id(s, 5, run_id);
	mf_store_bind_text(s, 6, r->status);
	mf_store_bind_text(s, 7, r->remote_id);
	mf_store_bind_text(s, 8, r->sha256);
	if (r->bytes >= 0)
		sqlite3_bind_int64(s, 9, r->bytes);
	mf_store_bind_text(s, 10, r->detail);
	sqlite3_bind_int64(s, 11, mf_now());
	return mf_store_step_done(st, s, diag, "cannot record delivery");
}

static const char SQL_LEDGER_GET[] =
	"SELECT remote_id FROM deliveries WHERE target = ?1 AND item_kind = ?2 AND item_id = ?3 "
	"AND status = 'delivered'";

int mf_store_delivery_remote_id(struct mf_store *st, const char **out, const char *target,
				const char *item_kind, int64_t item_id, struct mf_arena *arena,
				struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEDGER_GET, diag);
	int rc;

	*out = NULL;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, target);
	mf_store_bind_text(s, 2, item_kind);
	sqlite3_bind_int64(s, 3, item_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = mf_store_col_text(s, 0, arena);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read the ledger");
}

static const char SQL_RESUMED[] =
	"SELECT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 AND mailbox_id = ?2 "
	"AND item_kind <> 'mailbox') AND NOT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 "
	"AND item_kind = 'mailbox' AND item_id = ?2 AND status = 'delivered')";

int mf_store_delivery_unfinished(struct mf_store *st, const char *target, int64_t mailbox_id)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RESUMED, NULL);
	int r = 0, rc;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, target);
	sqlite3_bind_int64(s, 2, mailbox_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? r : MF_ESTORE;
}

static const char SQL_LEDGER_MBOX[] =
	"SELECT remote_id FROM deliveries WHERE target = ?1 AND mailbox_id = ?2 "
	"AND item_kind = 'message' AND status = 'delivered' AND remote_id IS NOT NULL";
static const char SQL_LEDGER_FOLDER[] =
	"SELECT d.remote_id FROM deliveries d JOIN messages g ON g.id = d.item_id "
	"JOIN folders f ON f.id = g.folder_id WHERE d.target = ?1 AND d.item_kind = 'message' "
	"AND d.status = 'delivered' AND g.mailbox_id = ?2 AND d.mailbox_id = ?2 AND f.path = ?3";

int mf_store_delivered_remote_ids(struct mf_store *st, const char ***out, size_t *n_out,
				  const char *target, int64_t mailbox_id, const char *folder,
				  struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, folder ? SQL_LEDGER_FOLDER : SQL_LEDGER_MBOX, diag);
	const char **ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, target);
	sqlite3_bind_int64(s, 2, mailbox_id);
	if (folder)
		mf_store_bind_text(s, 3, folder);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *r = mf_store_col_text(s, 0, arena);
		if (!r)
			continue;
		if (n == cap) {
			const char **nids;
			cap = cap ? cap * 2 : 64;
			nids = mf_arena_alloc(arena, cap * sizeof(*nids));
			if (n)
				memcpy(nids, ids, n * sizeof(*nids));
			ids = nids;
		}
		ids[n++] = r;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the ledger");
	*out = ids;
	*n_out = n;
	return MF_OK;
}
