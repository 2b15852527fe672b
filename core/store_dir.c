/* SPDX-License-Identifier: MIT */
/* store_dir.c: the directory: post offices, entries, list members (see store.h). */
#include "core/store_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- directory ---- */

static const char SQL_PO_FIND[] = "SELECT id FROM postoffices WHERE source_id = ?1 AND name = ?2";
static const char SQL_PO_INS[] =
	"INSERT INTO postoffices(source_id, name, network, kind, address_type, comments) "
	"VALUES (?1, ?2, ?3, ifnull(?4, 'remote'), ?5, ?6)";

int mf_store_postoffice(struct mf_store *st, int64_t *id_out, int64_t source_id,
			const char *name, const char *network, const char *kind,
			const char *address_type, const char *comments,
			struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PO_FIND, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (id_out)
			*id_out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	s = mf_store_stmt(st, SQL_PO_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, name);
	mf_store_bind_text(s, 3, network);
	mf_store_bind_text(s, 4, kind);
	mf_store_bind_text(s, 5, address_type);
	mf_store_bind_text(s, 6, comments);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store post office")) < 0)
		return rc;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

static const char SQL_DIR_INS[] =
	"INSERT INTO dir_entries(source_id, kind, name, display_name, given_name, surname, "
	"address_type, address, postoffice, location, comments, alias_of, mailbox_id, "
	"src_file_id, src_offset, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

int mf_store_dir_entry(struct mf_store *st, int64_t *id_out, int64_t source_id,
		       const struct mf_dir_entry *e, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_DIR_INS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, e->kind);
	mf_store_bind_text(s, 3, e->name);
	mf_store_bind_text(s, 4, e->display_name);
	mf_store_bind_text(s, 5, e->given_name);
	mf_store_bind_text(s, 6, e->surname);
	mf_store_bind_text(s, 7, e->address_type);
	mf_store_bind_text(s, 8, e->address);
	mf_store_bind_text(s, 9, e->postoffice);
	mf_store_bind_text(s, 10, e->location);
	mf_store_bind_text(s, 11, e->comments);
	mf_store_bind_id(s, 12, e->alias_of);
	mf_store_bind_id(s, 13, e->mailbox_id);
	mf_store_bind_id(s, 14, e->src_file_id);
	mf_store_bind_off(s, 15, e->src_offset);
	mf_store_bind_blob(s, 16, e->raw, e->raw_len);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store directory entry")) < 0)
		return rc;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

static const char SQL_MEMBER_INS[] =
	"INSERT OR REPLACE INTO list_members(list_id, position, address, entry_id) VALUES (?1, ?2, ?3, ?4)";

int mf_store_list_member(struct mf_store *st, int64_t list_id, int position,
			 const char *address, int64_t entry_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MEMBER_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, list_id);
	sqlite3_bind_int(s, 2, position);
	mf_store_bind_text(s, 3, address);
	mf_store_bind_id(s, 4, entry_id);
	return mf_store_step_done(st, s, diag, "cannot store list member");
}

/* ---- what an export reads ---- */

static const char SQL_ENTRY_REF[] =
	"SELECT e.id, e.source_id, ifnull(e.mailbox_id, 0), e.kind, e.name, ifnull(e.display_name, e.name), "
	"e.address_type, e.address, m.display_name, m.alias FROM dir_entries e "
	"LEFT JOIN mailboxes m ON m.id = e.mailbox_id WHERE e.id = ?1";

static void entry_ref_row(sqlite3_stmt *s, struct mf_store_entry_ref *out, struct mf_arena *arena)
{
	out->id = sqlite3_column_int64(s, 0);
	out->source_id = sqlite3_column_int64(s, 1);
	out->mailbox_id = sqlite3_column_int64(s, 2);
	out->kind = mf_store_col_text(s, 3, arena);
	out->name = mf_store_col_text(s, 4, arena);
	out->display_name = mf_store_col_text(s, 5, arena);
	out->address_type = mf_store_col_text(s, 6, arena);
	out->address = mf_store_col_text(s, 7, arena);
	out->mailbox_display_name = mf_store_col_text(s, 8, arena);
	out->mailbox_alias = mf_store_col_text(s, 9, arena);
}

int mf_store_entry_ref(struct mf_store *st, struct mf_store_entry_ref *out, int64_t entry_id,
		       struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_ENTRY_REF, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, entry_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		entry_ref_row(s, out, arena);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	return rc == SQLITE_DONE ? MF_ENOTFOUND : mf_store_fail(st, diag, "cannot read directory entry");
}

static const char SQL_MEMBERS[] =
	"SELECT m.address, e.id, b.alias FROM list_members m "
	"LEFT JOIN dir_entries e ON e.id = m.entry_id LEFT JOIN mailboxes b ON b.id = e.mailbox_id "
	"WHERE m.list_id = ?1 ORDER BY m.position";

int mf_store_list_members(struct mf_store *st, struct mf_store_member **out, size_t *n_out,
			  int64_t list_id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MEMBERS, diag);
	struct mf_store_member *m = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, list_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct mf_store_member *nm;
			cap = cap ? cap * 2 : 16;
			nm = mf_arena_alloc(arena, cap * sizeof(*nm));
			if (n)
				memcpy(nm, m, n * sizeof(*nm));
			m = nm;
		}
		m[n].address = mf_store_col_text(s, 0, arena);
		m[n].entry_id = sqlite3_column_type(s, 1) != SQLITE_NULL ? sqlite3_column_int64(s, 1) : 0;
		m[n].mailbox_alias = mf_store_col_text(s, 2, arena);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list members");
	*out = m;
	*n_out = n;
	return MF_OK;
}

static const char SQL_LIST_UNRESOLVED[] =
	"SELECT count(*), count(DISTINCT m.list_id), min(l.name || ': ' || m.address) "
	"FROM list_members m JOIN dir_entries l ON l.id = m.list_id WHERE m.entry_id IS NULL";

int mf_store_unresolved_members(struct mf_store *st, struct mf_store_unresolved *out,
				struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LIST_UNRESOLVED, diag);
	int step;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		out->n = sqlite3_column_int64(s, 0);
		out->groups = sqlite3_column_int64(s, 1);
		out->example = mf_store_col_text(s, 2, arena);
	}
	sqlite3_reset(s);
	return step == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot count list members");
}
