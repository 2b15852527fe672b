/* SPDX-License-Identifier: MIT */
/* store_import.c: the statements only the importers need (see store_import.h). */
#include "core/store_import.h"
#include "core/store_priv.h"

#include <stdio.h>

/* ---- bulk import ---- */

static const char SQL_CACHE_GET[] = "PRAGMA cache_size";
static const char SQL_WAL_GET[] = "PRAGMA wal_autocheckpoint";

static int pragma_int(struct mf_store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, NULL);
	int ok;
	if (!s)
		return 0;
	ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return ok;
}

static void pragma_set(struct mf_store *st, const char *name, int64_t v)
{
	char sql[80];
	snprintf(sql, sizeof(sql), "PRAGMA %s = %lld", name, (long long)v);
	mf_store_exec(st, sql, NULL);
}

void mf_store_bulk_begin(struct mf_store *st, struct mf_store_bulk *b, int cache_kib,
			 int wal_pages)
{
	b->saved = pragma_int(st, SQL_CACHE_GET, &b->cache_size) &&
		   pragma_int(st, SQL_WAL_GET, &b->wal_autocheckpoint);
	pragma_set(st, "wal_autocheckpoint", wal_pages);
	pragma_set(st, "cache_size", -(int64_t)cache_kib);
}

void mf_store_bulk_end(struct mf_store *st, struct mf_store_bulk *b)
{
	if (!b->saved) {
		/* the store's own settings (core/store.c) */
		b->wal_autocheckpoint = 1000;
		b->cache_size = -2048;
	}
	pragma_set(st, "wal_autocheckpoint", b->wal_autocheckpoint);
	pragma_set(st, "cache_size", b->cache_size);
}

/* ---- the staged directory of one source ---- */

/* in id order by the table itself: through dir_entries_source the rows
 * came in (kind, id) order and were sorted again in memory, a sort that
 * holds up to the page cache's size (8 MiB while importing), all of it at
 * 100,000 users and a part at 10,000 (issue 15) */
static const char SQL_DIR_SCAN[] =
	"SELECT id, kind, name, display_name, address_type, address, postoffice, "
	"ifnull(alias_of, 0) FROM dir_entries WHERE +source_id = ?1 ORDER BY id";
static const char SQL_DIR_NAMED[] =
	"SELECT id FROM dir_entries WHERE source_id = ?1 AND name = ?2 COLLATE NOCASE "
	"AND kind != 'alias' ORDER BY id LIMIT 1";
/* by the name index: the '+' keep the planner off dir_entries_source,
 * whose (source_id, kind) prefix holds every user of the source (a scan
 * that grows with the directory, once per entry staged: issue 15) */
static const char SQL_DIR_TAKEN[] =
	"SELECT 1 FROM dir_entries WHERE name = ?2 COLLATE NOCASE AND +source_id = ?1 "
	"AND +kind IN ('user', 'custom', 'postoffice') LIMIT 1";
static const char SQL_ALIAS_SET[] = "UPDATE dir_entries SET alias_of = ?2 WHERE id = ?1";
static const char SQL_MEMBER_ENTRY[] =
	"UPDATE list_members SET entry_id = ?3 WHERE list_id = ?1 AND position = ?2";

static const char *text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int mf_store_dir_scan(struct mf_store *st, int64_t source_id,
		      int (*fn)(void *ctx, const struct mf_store_dir_row *row), void *ctx,
		      struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_DIR_SCAN, diag);
	int rc, frc = MF_OK;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
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
		if ((frc = fn(ctx, &r)) < 0)
			break;
	}
	sqlite3_reset(s);
	if (frc < 0)
		return frc;
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the directory");
	return MF_OK;
}

static int find_one(struct mf_store *st, const char *sql, int64_t *id_out, int64_t source_id,
		    const char *name, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && id_out)
		*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(st, diag, "cannot look up directory entry");
}

int mf_store_dir_named(struct mf_store *st, int64_t *id_out, int64_t source_id,
		       const char *name, struct mf_diag *diag)
{
	return find_one(st, SQL_DIR_NAMED, id_out, source_id, name, diag);
}

int mf_store_dir_name_taken(struct mf_store *st, int64_t source_id, const char *name,
			    struct mf_diag *diag)
{
	return find_one(st, SQL_DIR_TAKEN, NULL, source_id, name, diag);
}

int mf_store_dir_set_alias(struct mf_store *st, int64_t id, int64_t target,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_ALIAS_SET, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, target);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot store alias");
	return MF_OK;
}

int mf_store_list_member_entry(struct mf_store *st, int64_t list_id, int position,
			       int64_t entry_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MEMBER_ENTRY, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int(s, 2, position);
	sqlite3_bind_int64(s, 3, entry_id);
	return mf_store_step_done(st, s, diag, "cannot store list member");
}

/* ---- counts ---- */

static const char SQL_COUNT_MB[] = "SELECT count(*) FROM mailboxes WHERE source_id = ?1";
static const char SQL_PAB_NEXT[] =
	"SELECT coalesce(max(position), -1) + 1 FROM pab_entries WHERE mailbox_id = ?1";

int mf_store_mailbox_count(struct mf_store *st, int64_t *n_out, int64_t source_id,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_COUNT_MB, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		*n_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return MF_OK;
}

int mf_store_pab_next_position(struct mf_store *st, int *pos_out, int64_t mailbox_id,
			       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PAB_NEXT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		*pos_out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return MF_OK;
}

/* ---- the target directory snapshot ---- */

/*
 * Dropping the old snapshot: its target objects go a batch at a time (each
 * DELETE cascades to the objects' proxies and clears the plan rows naming
 * them), then its sources row.  One DELETE of the sources row alone did
 * the same in one statement, and inside the import's transaction SQLite
 * keeps a statement journal of every page that statement changes - in
 * memory (temp_store = MEMORY): 28 MB more at 30,000 objects (issue 15).
 * A batch's journal is dropped when its statement ends.  Everything stays
 * in the caller's transaction, so the replacement is still all or nothing.
 */
#define SNAPSHOT_DROP_BATCH 500
static const char SQL_DROP_OBJECTS[] =
	"DELETE FROM target_objects WHERE id IN (SELECT o.id FROM sources s "
	"JOIN target_objects o ON o.source_id = s.id WHERE s.format = 'directory' LIMIT ?1)";
static const char SQL_DROP_OLD[] = "DELETE FROM sources WHERE format = 'directory'";
static const char SQL_OBJ_INS[] =
	"INSERT INTO target_objects(source_id, class, alias, display_name, given_name, surname, "
	"target_address, line, offset, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_PROXY_INS[] =
	"INSERT INTO target_proxies(object_id, position, proxy, type, address, is_primary, migrate, "
	"match_key, loose_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_ALIAS_DUP[] =
	"SELECT line FROM target_objects WHERE alias = ?1 COLLATE NOCASE AND id <> ?2 ORDER BY id LIMIT 1";

int mf_store_snapshot_drop(struct mf_store *st, struct mf_diag *diag)
{
	for (;;) {
		sqlite3_stmt *s = mf_store_stmt(st, SQL_DROP_OBJECTS, diag);
		int rc;
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int(s, 1, SNAPSHOT_DROP_BATCH);
		if ((rc = mf_store_step_done(st, s, diag, "cannot drop the old snapshot")) < 0)
			return rc;
		if (sqlite3_changes(mf_store_db(st)) == 0)
			break;
	}
	return mf_store_exec(st, SQL_DROP_OLD, diag);
}

int mf_store_target_object(struct mf_store *st, int64_t *id_out,
			   const struct mf_target_object *o, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_OBJ_INS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, o->source_id);
	mf_store_bind_text(s, 2, o->cls);
	mf_store_bind_text(s, 3, o->alias);
	mf_store_bind_text(s, 4, o->display_name);
	mf_store_bind_text(s, 5, o->given_name);
	mf_store_bind_text(s, 6, o->surname);
	mf_store_bind_text(s, 7, o->target_address);
	sqlite3_bind_int64(s, 8, o->line);
	sqlite3_bind_int64(s, 9, o->offset);
	mf_store_bind_text(s, 10, o->raw);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot store target object");
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(mf_store_db(st));
	return MF_OK;
}

int mf_store_target_proxy(struct mf_store *st, const struct mf_target_proxy *p,
			  struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROXY_INS, diag);
	int rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, p->object_id);
	sqlite3_bind_int(s, 2, p->position);
	mf_store_bind_text(s, 3, p->proxy);
	mf_store_bind_text(s, 4, p->type);
	mf_store_bind_text(s, 5, p->address);
	sqlite3_bind_int(s, 6, p->is_primary);
	sqlite3_bind_int(s, 7, p->migrate);
	mf_store_bind_text(s, 8, p->match_key);
	mf_store_bind_text(s, 9, p->loose_key);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot store proxy address");
	sqlite3_reset(s);
	return rc;
}

int mf_store_target_alias_dup(struct mf_store *st, int64_t *line_out, const char *alias,
			      int64_t object_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_ALIAS_DUP, diag);
	int found;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	sqlite3_bind_int64(s, 2, object_id);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found)
		*line_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return found;
}
