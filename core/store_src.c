/* SPDX-License-Identifier: MIT */
/* store_src.c: sources and the files read from them (see store.h). */
#include "core/store_priv.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sources and files ---- */

static const char SQL_SOURCE_FIND[] =
	"SELECT id FROM sources WHERE format = ?1 AND ifnull(network, '') = ifnull(?2, '') "
	"AND ifnull(postoffice, '') = ifnull(?3, '') AND path = ?4";
static const char SQL_SOURCE_INS[] =
	"INSERT INTO sources(format, network, postoffice, path, codepage, calendar_codepage, "
	"timezone, date_order, db_version, exported_at, manifest, manifest_sha256, created_at, updated_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ifnull(?7, 'UTC'), ?8, ?9, ?10, ?11, ?12, ?13, ?13)";
static const char SQL_SOURCE_UPD[] =
	"UPDATE sources SET codepage = ?5, calendar_codepage = ?6, timezone = ifnull(?7, 'UTC'), "
	"date_order = ?8, db_version = ?9, exported_at = ?10, manifest = ?11, manifest_sha256 = ?12, "
	"updated_at = ?13 WHERE id = ?14";

int mf_store_source(struct mf_store *st, int64_t *id_out,
		    const struct mf_source_info *src, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_SOURCE_FIND, diag);
	int64_t id = 0;
	char sha[MF_SHA256_HEX];
	int rc;

	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, src->format);
	mf_store_bind_text(s, 2, src->network);
	mf_store_bind_text(s, 3, src->postoffice);
	mf_store_bind_text(s, 4, src->path);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up source");
	s = mf_store_stmt(st, id ? SQL_SOURCE_UPD : SQL_SOURCE_INS, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, src->format);
	mf_store_bind_text(s, 2, src->network);
	mf_store_bind_text(s, 3, src->postoffice);
	mf_store_bind_text(s, 4, src->path);
	mf_store_bind_text(s, 5, src->codepage);
	mf_store_bind_text(s, 6, src->calendar_codepage);
	mf_store_bind_text(s, 7, src->timezone);
	mf_store_bind_text(s, 8, src->date_order);
	mf_store_bind_text(s, 9, src->db_version);
	mf_store_bind_text(s, 10, src->exported_at);
	mf_store_bind_blob(s, 11, src->manifest, src->manifest_len);
	if (src->manifest) {
		mf_sha256_hex(sha, src->manifest, src->manifest_len);
		sqlite3_bind_text(s, 12, sha, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(s, 13, mf_now());
	if (id)
		sqlite3_bind_int64(s, 14, id);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store source")) < 0)
		return rc;
	*id_out = id ? id : sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

static const char SQL_FILE_FIND[] =
	"SELECT id, sha256, state FROM source_files WHERE source_id = ?1 AND role = ?2 AND path = ?3";
static const char SQL_FILE_INS[] =
	"INSERT INTO source_files(source_id, role, path, size, sha256, codepage, mailbox_id, state, imported_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'importing', ?8)";
static const char SQL_FILE_END[] =
	"UPDATE source_files SET state = ?2, messages = ?3, skipped = ?4, imported_at = ?5 WHERE id = ?1";

int mf_store_file_begin(struct mf_store *st, int64_t *id_out,
			enum mf_file_state *state_out, int64_t source_id,
			const char *role, const char *path, uint64_t size,
			const char *sha256, const char *codepage,
			int64_t mailbox_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FILE_FIND, diag);
	int rc;

	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, role);
	mf_store_bind_text(s, 3, path);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(s, 1);
		const char *state = (const char *)sqlite3_column_text(s, 2);
		*id_out = sqlite3_column_int64(s, 0);
		if (!sha || strcmp(sha, sha256) != 0)
			*state_out = MF_FILE_CHANGED;
		else if (state && !strcmp(state, "done"))
			*state_out = MF_FILE_DONE;
		else
			*state_out = MF_FILE_RESUME;
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up source file");
	s = mf_store_stmt(st, SQL_FILE_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, role);
	mf_store_bind_text(s, 3, path);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)size);
	mf_store_bind_text(s, 5, sha256);
	mf_store_bind_text(s, 6, codepage);
	mf_store_bind_id(s, 7, mailbox_id);
	sqlite3_bind_int64(s, 8, mf_now());
	if ((rc = mf_store_step_done(st, s, diag, "cannot store source file")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	*state_out = MF_FILE_NEW;
	return MF_OK;
}

int mf_store_file_end(struct mf_store *st, int64_t file_id, const char *state,
		      int64_t messages, int64_t skipped, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FILE_END, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, file_id);
	mf_store_bind_text(s, 2, state);
	sqlite3_bind_int64(s, 3, messages);
	sqlite3_bind_int64(s, 4, skipped);
	sqlite3_bind_int64(s, 5, mf_now());
	return mf_store_step_done(st, s, diag, "cannot finish source file");
}

static const char SQL_SOURCE_LOAD[] =
	"SELECT ifnull(postoffice, ''), format, ifnull(timezone, 'UTC'), "
	"ifnull(calendar_codepage, ifnull(codepage, 'CP1252')), path, network, codepage "
	"FROM sources WHERE id = ?1";

int mf_store_source_load(struct mf_store *st, struct mf_source_info *out, int64_t source_id,
			 struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_SOURCE_LOAD, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->postoffice = mf_store_col_text(s, 0, arena);
		out->format = mf_store_col_text(s, 1, arena);
		out->timezone = mf_store_col_text(s, 2, arena);
		out->calendar_codepage = mf_store_col_text(s, 3, arena);
		out->path = mf_store_col_text(s, 4, arena);
		out->network = mf_store_col_text(s, 5, arena);
		out->codepage = mf_store_col_text(s, 6, arena);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	return rc == SQLITE_DONE ? MF_ENOTFOUND : mf_store_fail(st, diag, "cannot read source");
}

static const char SQL_SECTION[] = "SELECT count(*) FROM mail_sections WHERE mailbox_id = ?1";

int mf_store_mail_sections(struct mf_store *st, int64_t *n_out, int64_t mailbox_id,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_SECTION, diag);
	int step;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*n_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return step == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot read mail sections");
}

static const char SQL_FILES_OPEN[] =
	"SELECT f.path, f.state, s.path FROM source_files f JOIN sources s ON s.id = f.source_id "
	"WHERE f.state <> 'done' AND (f.mailbox_id = ?1 OR f.id = "
	"(SELECT mail_file_id FROM mail_sections WHERE mailbox_id = ?1)) ORDER BY f.id";

int mf_store_files_not_done(struct mf_store *st, int64_t mailbox_id,
			    void (*visit)(void *arg, const char *path, const char *state,
					  const char *source_path),
			    void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FILES_OPEN, diag);
	int step;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		visit(arg, (const char *)sqlite3_column_text(s, 0),
		      (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2));
	sqlite3_reset(s);
	return step == SQLITE_DONE ? MF_OK : mf_store_fail(st, diag, "cannot read source files");
}
