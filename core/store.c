/* SPDX-License-Identifier: MIT */
/* store.c: the SQLite staging store (see store.h, schema/, docs/staging.md). */
#include "core/store.h"
#include "core/alias.h"
#include "core/hash.h"
#include "schema/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STMT_CACHE 96

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct mf_store {
	sqlite3 *db;
	char *path;
	int readonly;
	int tx_depth;
	int64_t run_id;
	int64_t source_id;
	struct stmt_slot cache[STMT_CACHE];
	size_t ncache;
};

const char *mf_severity_name(enum mf_severity s)
{
	switch (s) {
	case MF_INFO: return "info";
	case MF_WARNING: return "warning";
	case MF_ERROR: return "error";
	}
	return "error";
}

int mf_store_schema_version(void)
{
	int v = 0;
	for (const struct mf_schema_step *s = mf_schema_steps; s->version; s++)
		v = s->version;
	return v;
}

int mf_store_fail(struct mf_store *st, struct mf_diag *diag, const char *what)
{
	return mf_diag_set(diag, MF_ESTORE, st ? st->path : NULL, MF_NO_OFFSET,
			   "%s: %s", what, st && st->db ? sqlite3_errmsg(st->db) : "no database");
}

int mf_store_exec(struct mf_store *st, const char *sql, struct mf_diag *diag)
{
	char *err = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		mf_diag_set(diag, MF_ESTORE, st->path, MF_NO_OFFSET, "%s",
			    err ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return MF_ESTORE;
	}
	return MF_OK;
}

static int apply_schema(struct mf_store *st, struct mf_diag *diag)
{
	sqlite3_stmt *s = NULL;
	int have = 0, rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return mf_store_fail(st, diag, "cannot read schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		have = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (have > mf_store_schema_version())
		return mf_diag_set(diag, MF_ESTORE, st->path, MF_NO_OFFSET,
				   "staging store has schema version %d, newer than this mailferry (%d)",
				   have, mf_store_schema_version());
	for (const struct mf_schema_step *step = mf_schema_steps; step->version; step++) {
		char pragma[64];
		if (step->version <= have)
			continue;
		if (st->readonly)
			return mf_diag_set(diag, MF_ESTORE, st->path, MF_NO_OFFSET,
					   "staging store needs an upgrade to schema %d; open it for writing once",
					   step->version);
		if ((rc = mf_store_exec(st, "BEGIN IMMEDIATE", diag)) < 0)
			return rc;
		if ((rc = mf_store_exec(st, step->sql, diag)) < 0) {
			mf_store_exec(st, "ROLLBACK", NULL);
			return rc;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", step->version);
		if ((rc = mf_store_exec(st, pragma, diag)) < 0 ||
		    (rc = mf_store_exec(st, "COMMIT", diag)) < 0) {
			mf_store_exec(st, "ROLLBACK", NULL);
			return rc;
		}
	}
	return MF_OK;
}

/* MAILFERRY_SQL_LOG=FILE (a test hook: the query-plan guard,
 * tests/cli/queryplan.sh): the text of every statement a store connection
 * prepares, from mf_store_stmt's cache or elsewhere, is appended to FILE at
 * its first run, NUL-terminated.  Nothing is logged without the variable. */
static int sql_log(unsigned type, void *file, void *stmt, void *text)
{
	const char *sql = sqlite3_sql(stmt);
	(void)type;
	if (sql && !(text && ((const char *)text)[0] == '-') &&   /* "-- TRIGGER" */
	    sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_RUN, 0) == 0) {
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ssize_t n = write(fd, sql, strlen(sql) + 1);
			(void)n;
			close(fd);
		}
	}
	return 0;
}

int mf_store_open(struct mf_store **out, const char *path, unsigned flags,
		  struct mf_diag *diag)
{
	struct mf_store *st;
	int oflags, rc;
	struct stat sb;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (!(flags & MF_STORE_CREATE) || (flags & MF_STORE_READONLY))
			return mf_diag_set(diag, MF_ENOTFOUND, path, MF_NO_OFFSET,
					   "no staging database here (create one with an import, or 'mailferry init')");
		/* create it private to its owner before SQLite opens it */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return mf_diag_errno(diag, MF_EIO, path, "cannot create staging database");
		if (fd >= 0)
			close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		return mf_diag_set(diag, MF_ESTORE, path, MF_NO_OFFSET,
				   "not a regular file");
	}
	st = mf_xcalloc(1, sizeof(*st));
	st->path = mf_xstrdup(path);
	st->readonly = (flags & MF_STORE_READONLY) != 0;
	oflags = st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = mf_store_fail(st, diag, "cannot open staging database");
		mf_store_close(&st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, 30000);
	sqlite3_extended_result_codes(st->db, 1);
	{
		char *log = getenv("MAILFERRY_SQL_LOG");
		if (log && *log)
			sqlite3_trace_v2(st->db, SQLITE_TRACE_STMT, sql_log, log);
	}
	if (!st->readonly &&
	    (rc = mf_store_exec(st, "PRAGMA journal_mode = WAL", diag)) < 0) {
		mf_store_close(&st);
		return rc;
	}
	if ((rc = mf_store_exec(st,
				"PRAGMA foreign_keys = ON;"
				"PRAGMA synchronous = NORMAL;"
				"PRAGMA temp_store = MEMORY;"
				/* 2 MiB: the exports and the checks read each row
				 * once, and memory stays flat however large the
				 * store; the importers take more while they run */
				"PRAGMA cache_size = -2048;", diag)) < 0 ||
	    (rc = apply_schema(st, diag)) < 0) {
		mf_store_close(&st);
		return rc;
	}
	/* SQLite gives the -wal and -shm files the database file's mode */
	*out = st;
	return MF_OK;
}

void mf_store_close(struct mf_store **pst)
{
	struct mf_store *st = *pst;
	if (!st)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
	*pst = NULL;
}

sqlite3 *mf_store_db(struct mf_store *st)
{
	return st->db;
}

const char *mf_store_path(const struct mf_store *st)
{
	return st->path;
}

sqlite3_stmt *mf_store_stmt(struct mf_store *st, const char *sql,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = NULL;
	for (size_t i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		mf_store_fail(st, diag, "cannot prepare statement");
		return NULL;
	}
	if (st->ncache < STMT_CACHE) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache].stmt = s;
		st->ncache++;
	} else {
		/* cache full: recycle the oldest slot */
		sqlite3_finalize(st->cache[0].stmt);
		memmove(st->cache, st->cache + 1, (STMT_CACHE - 1) * sizeof(st->cache[0]));
		st->cache[STMT_CACHE - 1].sql = sql;
		st->cache[STMT_CACHE - 1].stmt = s;
	}
	return s;
}

int mf_store_begin(struct mf_store *st, struct mf_diag *diag)
{
	if (st->tx_depth++ > 0)
		return MF_OK;
	if (mf_store_exec(st, "BEGIN IMMEDIATE", diag) < 0) {
		st->tx_depth = 0;
		return MF_ESTORE;
	}
	return MF_OK;
}

int mf_store_commit(struct mf_store *st, struct mf_diag *diag)
{
	if (st->tx_depth == 0)
		return MF_OK;
	if (--st->tx_depth > 0)
		return MF_OK;
	if (mf_store_exec(st, "COMMIT", diag) < 0) {
		mf_store_exec(st, "ROLLBACK", NULL);
		return MF_ESTORE;
	}
	return MF_OK;
}

void mf_store_rollback(struct mf_store *st)
{
	if (st->tx_depth == 0)
		return;
	st->tx_depth = 0;
	mf_store_exec(st, "ROLLBACK", NULL);
}

int mf_store_in_transaction(const struct mf_store *st)
{
	return st->tx_depth > 0;
}

void mf_store_set_context(struct mf_store *st, int64_t run_id, int64_t source_id)
{
	st->run_id = run_id;
	st->source_id = source_id;
}

int64_t mf_store_run_id(const struct mf_store *st)
{
	return st->run_id;
}

int mf_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

int mf_store_bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	return v > 0 ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);
}

static int bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	if (!p)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob64(s, i, n ? p : "", (sqlite3_uint64)n, SQLITE_STATIC);
}

static int bind_off(sqlite3_stmt *s, int i, int64_t v)
{
	return v >= 0 ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);
}

const char *mf_store_col_text(sqlite3_stmt *s, int i, struct mf_arena *arena)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	if (!t)
		return NULL;
	return mf_arena_strndup(arena, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

/* Step a statement that returns no rows. */
static int step_done(struct mf_store *st, sqlite3_stmt *s, struct mf_diag *diag,
		     const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, what);
	return MF_OK;
}

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
	bind_blob(s, 11, src->manifest, src->manifest_len);
	if (src->manifest) {
		mf_sha256_hex(sha, src->manifest, src->manifest_len);
		sqlite3_bind_text(s, 12, sha, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(s, 13, mf_now());
	if (id)
		sqlite3_bind_int64(s, 14, id);
	if ((rc = step_done(st, s, diag, "cannot store source")) < 0)
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
	if ((rc = step_done(st, s, diag, "cannot store source file")) < 0)
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
	return step_done(st, s, diag, "cannot finish source file");
}

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
	if ((rc = step_done(st, s, diag, "cannot store post office")) < 0)
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
	bind_off(s, 15, e->src_offset);
	bind_blob(s, 16, e->raw, e->raw_len);
	if ((rc = step_done(st, s, diag, "cannot store directory entry")) < 0)
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
	return step_done(st, s, diag, "cannot store list member");
}

/* ---- mailboxes ---- */

static const char SQL_MB_FIND[] =
	"SELECT id FROM mailboxes WHERE source_id = ?1 AND kind = ?2 AND name = ?3 COLLATE NOCASE";
static const char SQL_ALIAS_TAKEN[] = "SELECT 1 FROM mailboxes WHERE alias = ?1";
static const char SQL_MB_INS[] =
	"INSERT INTO mailboxes(source_id, kind, name, alias, display_name, given_name, surname, "
	"address_type, source_address, deleted, in_directory, comments, created_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

struct taken_ctx {
	struct mf_store *st;
	int failed;
};

static int alias_taken(const char *alias, void *payload)
{
	struct taken_ctx *t = payload;
	sqlite3_stmt *s = mf_store_stmt(t->st, SQL_ALIAS_TAKEN, NULL);
	int rc;
	if (!s) {
		t->failed = 1;
		return 0;
	}
	sqlite3_bind_text(s, 1, alias, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		t->failed = 1;
	return rc == SQLITE_ROW;
}

int mf_store_mailbox(struct mf_store *st, int64_t *id_out, int *created_out,
		     int64_t source_id, const struct mf_mailbox *mb,
		     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_FIND, diag);
	char alias[MF_ALIAS_MAX + 1] = "";
	struct taken_ctx tc = { st, 0 };
	int rc, have_alias = 0;

	if (created_out)
		*created_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, mb->kind);
	mf_store_bind_text(s, 3, mb->name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up mailbox");

	if (mb->alias && mf_alias_valid(mb->alias) && !alias_taken(mb->alias, &tc)) {
		snprintf(alias, sizeof(alias), "%s", mb->alias);
		have_alias = 1;
	} else {
		char base[MF_ALIAS_MAX + 1];
		if (mf_alias_base(base, mb->given_name, mb->surname, mb->name) &&
		    mf_alias_unique(alias, base, alias_taken, &tc) == MF_OK)
			have_alias = 1;
	}
	if (tc.failed)
		return mf_store_fail(st, diag, "cannot check alias");
	s = mf_store_stmt(st, SQL_MB_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, mb->kind);
	mf_store_bind_text(s, 3, mb->name);
	mf_store_bind_text(s, 4, have_alias ? alias : NULL);
	mf_store_bind_text(s, 5, mb->display_name ? mb->display_name : mb->name);
	mf_store_bind_text(s, 6, mb->given_name);
	mf_store_bind_text(s, 7, mb->surname);
	mf_store_bind_text(s, 8, mb->address_type);
	mf_store_bind_text(s, 9, mb->source_address);
	sqlite3_bind_int(s, 10, mb->deleted ? 1 : 0);
	sqlite3_bind_int(s, 11, mb->in_directory ? 1 : 0);
	mf_store_bind_text(s, 12, mb->comments);
	sqlite3_bind_int64(s, 13, mf_now());
	if ((rc = step_done(st, s, diag, "cannot store mailbox")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	if (created_out)
		*created_out = 1;
	return MF_OK;
}

static const char SQL_MAIL_FILE[] =
	"UPDATE mail_sections SET mail_file_id = ?2, mail_skipped = ?3, reason = ?4 WHERE mailbox_id = ?1";

int mf_store_mail_file(struct mf_store *st, int64_t mailbox_id, int64_t file_id,
		       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MAIL_FILE, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_id(s, 2, file_id);
	sqlite3_bind_int(s, 3, file_id > 0 ? 0 : 1);
	mf_store_bind_text(s, 4, file_id > 0 ? NULL : "no mail file in the export");
	return step_done(st, s, diag, "cannot store mail section");
}

static const char SQL_MB_BY_ALIAS[] = "SELECT id FROM mailboxes WHERE alias = ?1";

int mf_store_mailbox_by_alias(struct mf_store *st, int64_t *id_out,
			      const char *alias, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_BY_ALIAS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox with alias '%s'", alias);
	return mf_store_fail(st, diag, "cannot look up mailbox");
}

#define MB_COLUMNS \
	"m.id, m.kind, m.name, m.alias, m.display_name, m.given_name, m.surname, " \
	"m.address_type, m.source_address, m.deleted, m.in_directory, m.comments, " \
	"m.source_id, ifnull(s.mail_skipped, 1), ifnull(s.mail_file_id, 0) " \
	"FROM mailboxes m LEFT JOIN mail_sections s ON s.mailbox_id = m.id "
static const char SQL_MB_LOAD[] = "SELECT " MB_COLUMNS "WHERE m.id = ?1";
static const char SQL_MB_LIST[] = "SELECT " MB_COLUMNS "ORDER BY m.id";

static void mailbox_row(sqlite3_stmt *s, struct mf_mailbox *mb, struct mf_arena *a)
{
	memset(mb, 0, sizeof(*mb));
	mb->id = sqlite3_column_int64(s, 0);
	mb->kind = mf_store_col_text(s, 1, a);
	mb->name = mf_store_col_text(s, 2, a);
	mb->alias = mf_store_col_text(s, 3, a);
	mb->display_name = mf_store_col_text(s, 4, a);
	mb->given_name = mf_store_col_text(s, 5, a);
	mb->surname = mf_store_col_text(s, 6, a);
	mb->address_type = mf_store_col_text(s, 7, a);
	mb->source_address = mf_store_col_text(s, 8, a);
	mb->deleted = sqlite3_column_int(s, 9);
	mb->in_directory = sqlite3_column_int(s, 10);
	mb->comments = mf_store_col_text(s, 11, a);
	mb->source_id = sqlite3_column_int64(s, 12);
	mb->mail_skipped = sqlite3_column_int(s, 13);
	mb->mail_file_id = sqlite3_column_int64(s, 14);
}

int mf_store_mailbox_load(struct mf_store *st, struct mf_mailbox *out,
			  int64_t id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_LOAD, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mailbox_row(s, out, arena);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox %lld", (long long)id);
	return mf_store_fail(st, diag, "cannot load mailbox");
}

int mf_store_mailbox_list(struct mf_store *st, struct mf_mailbox **out,
			  size_t *n_out, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_LIST, diag);
	struct mf_mailbox *arr = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct mf_mailbox *na;
			cap = cap ? cap * 2 : 16;
			na = mf_arena_alloc(arena, cap * sizeof(*na));
			if (n)
				memcpy(na, arr, n * sizeof(*na));
			arr = na;
		}
		mailbox_row(s, &arr[n++], arena);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list mailboxes");
	*out = arr;
	*n_out = n;
	return MF_OK;
}

static const char SQL_FOLDER_FIND[] = "SELECT id FROM folders WHERE mailbox_id = ?1 AND path = ?2";
static const char SQL_FOLDER_INS[] =
	"INSERT INTO folders(mailbox_id, path, source_name, special) VALUES (?1, ?2, ?3, ?4)";

int mf_store_folder(struct mf_store *st, int64_t *id_out, int64_t mailbox_id,
		    const char *path, const char *source_name, const char *special,
		    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FOLDER_FIND, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, path);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up folder");
	s = mf_store_stmt(st, SQL_FOLDER_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, path);
	mf_store_bind_text(s, 3, source_name ? source_name : path);
	mf_store_bind_text(s, 4, special);
	if ((rc = step_done(st, s, diag, "cannot store folder")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

/* ---- messages ---- */

static const char SQL_MSG_EXISTS[] =
	"SELECT 1 FROM messages WHERE src_file_id = ?1 AND src_offset = ?2";

int mf_store_message_exists(struct mf_store *st, int64_t file_id, int64_t offset,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_EXISTS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, offset);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(st, diag, "cannot look up message");
}

static const char SQL_MSG_INS[] =
	"INSERT INTO messages(mailbox_id, folder_id, parent_id, src_file_id, src_offset, src_length, "
	"src_sha256, raw_header, charset, sender_name, sender_type, sender_address, sender_raw, "
	"sender_entry_id, subject, date_raw, sent_utc, received_utc, timezone, unread, unsent, "
	"priority, receipt_requested, is_receipt, message_class, message_id, conversation_id, "
	"parent_message_id, size, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
	"?28, ?29, ?30)";
static const char SQL_RCPT_INS[] =
	"INSERT INTO recipients(message_id, role, position, display_name, address_type, address, raw, entry_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_BODY_INS[] =
	"INSERT INTO body_parts(message_id, position, kind, title, text, size, sha256, raw, "
	"replacements, highlights_removed, src_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_ATT_INS[] =
	"INSERT INTO attachments(message_id, position, kind, name, title, content_type, data, size, "
	"sha256, original, original_size, original_sha256, format, mac_type, mac_creator, "
	"body_position, nested_message_id, src_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	"?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

static int store_message(struct mf_store *st, int64_t *id_out, const struct mf_message *m,
			 int64_t parent_id, int depth, struct mf_diag *diag);

static int store_attachment(struct mf_store *st, int64_t msg_id, const struct mf_message *m,
			    const struct mf_attachment *a, int depth, struct mf_diag *diag)
{
	int64_t nested = 0;
	char sha[MF_SHA256_HEX], osha[MF_SHA256_HEX];
	sqlite3_stmt *s;
	int rc;

	if (a->nested) {
		struct mf_message sub = *a->nested;
		sub.mailbox_id = m->mailbox_id;
		if (!sub.src_file_id)
			sub.src_file_id = m->src_file_id;
		if ((rc = store_message(st, &nested, &sub, msg_id, depth + 1, diag)) < 0)
			return rc;
	}
	s = mf_store_stmt(st, SQL_ATT_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, msg_id);
	sqlite3_bind_int(s, 2, a->position);
	mf_store_bind_text(s, 3, a->kind ? a->kind : "file");
	mf_store_bind_text(s, 4, a->name ? a->name : "attachment.bin");
	mf_store_bind_text(s, 5, a->title);
	mf_store_bind_text(s, 6, a->content_type);
	if (a->has_data) {
		bind_blob(s, 7, a->data ? a->data : "", a->size);
		mf_sha256_hex(sha, a->data, a->size);
		sqlite3_bind_text(s, 9, sha, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(s, 8, (sqlite3_int64)(a->has_data ? a->size : 0));
	if (a->original) {
		bind_blob(s, 10, a->original, a->original_size);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)a->original_size);
		mf_sha256_hex(osha, a->original, a->original_size);
		sqlite3_bind_text(s, 12, osha, -1, SQLITE_TRANSIENT);
	}
	mf_store_bind_text(s, 13, a->format);
	mf_store_bind_text(s, 14, a->mac_type);
	mf_store_bind_text(s, 15, a->mac_creator);
	bind_off(s, 16, a->body_position);
	mf_store_bind_id(s, 17, nested);
	bind_off(s, 18, a->src_offset);
	return step_done(st, s, diag, "cannot store attachment");
}

static int store_message(struct mf_store *st, int64_t *id_out, const struct mf_message *m,
			 int64_t parent_id, int depth, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	char sha[MF_SHA256_HEX];
	int64_t id, size = 0;
	int rc;

	if (depth > 64)
		return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET,
				   "forwarded messages nested more than 64 deep");
	for (size_t i = 0; i < m->n_bodies; i++)
		size += (int64_t)m->bodies[i].raw_len;
	for (size_t i = 0; i < m->n_attachments; i++)
		size += (int64_t)(m->attachments[i].has_data ? m->attachments[i].size : 0);
	s = mf_store_stmt(st, SQL_MSG_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, m->mailbox_id);
	mf_store_bind_id(s, 2, parent_id ? 0 : m->folder_id);
	mf_store_bind_id(s, 3, parent_id);
	sqlite3_bind_int64(s, 4, m->src_file_id);
	sqlite3_bind_int64(s, 5, m->src_offset);
	sqlite3_bind_int64(s, 6, m->src_length);
	/* a caller that hashed the bytes itself (a message of gigabytes,
	 * hashed while its pages are given back) passes the digest */
	if (m->src_sha256 && strlen(m->src_sha256) == MF_SHA256_HEX - 1)
		snprintf(sha, sizeof(sha), "%s", m->src_sha256);
	else
		mf_sha256_hex(sha, m->src, m->src ? (size_t)m->src_length : 0);
	sqlite3_bind_text(s, 7, sha, -1, SQLITE_TRANSIENT);
	bind_blob(s, 8, m->raw_header ? m->raw_header : "", m->raw_header_len);
	mf_store_bind_text(s, 9, m->charset);
	mf_store_bind_text(s, 10, m->sender_name);
	mf_store_bind_text(s, 11, m->sender_type);
	mf_store_bind_text(s, 12, m->sender_address);
	mf_store_bind_text(s, 13, m->sender_raw);
	mf_store_bind_id(s, 14, m->sender_entry_id);
	mf_store_bind_text(s, 15, m->subject);
	mf_store_bind_text(s, 16, m->date_raw);
	if (m->has_sent)
		sqlite3_bind_int64(s, 17, m->sent_utc);
	if (m->has_received)
		sqlite3_bind_int64(s, 18, m->received_utc);
	mf_store_bind_text(s, 19, m->timezone);
	sqlite3_bind_int(s, 20, m->unread ? 1 : 0);
	sqlite3_bind_int(s, 21, m->unsent ? 1 : 0);
	sqlite3_bind_int(s, 22, m->priority < 0 ? -1 : m->priority > 0 ? 1 : 0);
	sqlite3_bind_int(s, 23, m->receipt_requested ? 1 : 0);
	sqlite3_bind_int(s, 24, m->is_receipt ? 1 : 0);
	mf_store_bind_text(s, 25, m->message_class);
	mf_store_bind_text(s, 26, m->message_id);
	mf_store_bind_text(s, 27, m->conversation_id);
	mf_store_bind_text(s, 28, m->parent_message_id);
	sqlite3_bind_int64(s, 29, size);
	sqlite3_bind_int64(s, 30, mf_now());
	if ((rc = step_done(st, s, diag, "cannot store message")) < 0)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);

	for (size_t i = 0; i < m->n_recipients; i++) {
		const struct mf_recipient *r = &m->recipients[i];
		s = mf_store_stmt(st, SQL_RCPT_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		mf_store_bind_text(s, 2, r->role);
		sqlite3_bind_int(s, 3, (int)i);
		mf_store_bind_text(s, 4, r->display_name);
		mf_store_bind_text(s, 5, r->address_type);
		mf_store_bind_text(s, 6, r->address);
		mf_store_bind_text(s, 7, r->raw ? r->raw : "");
		mf_store_bind_id(s, 8, r->entry_id);
		if ((rc = step_done(st, s, diag, "cannot store recipient")) < 0)
			return rc;
	}
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		s = mf_store_stmt(st, SQL_BODY_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, b->position);
		mf_store_bind_text(s, 3, b->kind ? b->kind : "text");
		mf_store_bind_text(s, 4, b->title);
		sqlite3_bind_text64(s, 5, b->text ? b->text : "", b->text ? b->text_len : 0,
				    SQLITE_STATIC, SQLITE_UTF8);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)b->raw_len);
		mf_sha256_hex(sha, b->raw, b->raw_len);
		sqlite3_bind_text(s, 7, sha, -1, SQLITE_TRANSIENT);
		if (b->keep_raw)
			bind_blob(s, 8, b->raw ? b->raw : "", b->raw_len);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)b->replacements);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)b->highlights_removed);
		bind_off(s, 11, b->src_offset);
		if ((rc = step_done(st, s, diag, "cannot store body")) < 0)
			return rc;
	}
	for (size_t i = 0; i < m->n_attachments; i++)
		if ((rc = store_attachment(st, id, m, &m->attachments[i], depth, diag)) < 0)
			return rc;
	if (id_out)
		*id_out = id;
	return MF_OK;
}

int mf_store_message(struct mf_store *st, int64_t *id_out,
		     const struct mf_message *m, struct mf_diag *diag)
{
	return store_message(st, id_out, m, 0, 0, diag);
}

static const char SQL_MSG_LOAD[] =
	"SELECT g.id, g.mailbox_id, ifnull(g.folder_id, 0), ifnull(g.parent_id, 0), g.src_file_id, "
	"g.src_offset, g.src_length, g.src_sha256, g.raw_header, g.charset, g.sender_name, "
	"g.sender_type, g.sender_address, g.sender_raw, ifnull(g.sender_entry_id, 0), g.subject, "
	"g.date_raw, g.sent_utc, g.received_utc, g.timezone, g.unread, g.unsent, g.priority, "
	"g.receipt_requested, g.is_receipt, g.message_class, g.message_id, g.conversation_id, "
	"g.parent_message_id, g.size, f.path, f.special "
	"FROM messages g LEFT JOIN folders f ON f.id = g.folder_id WHERE g.id = ?1";
static const char SQL_RCPT_LOAD[] =
	"SELECT role, display_name, address_type, address, raw, ifnull(entry_id, 0), position "
	"FROM recipients WHERE message_id = ?1";
static const char SQL_BODY_LOAD[] =
	"SELECT position, kind, title, text, size, sha256, raw, replacements, highlights_removed, "
	"ifnull(src_offset, -1) FROM body_parts WHERE message_id = ?1 ORDER BY position";
static const char SQL_ATT_LOAD[] =
	"SELECT position, kind, name, title, content_type, size, sha256, data IS NOT NULL, "
	"original_size, original_sha256, format, mac_type, mac_creator, ifnull(body_position, -1), "
	"ifnull(nested_message_id, 0), ifnull(src_offset, -1), CASE WHEN ?2 THEN data END, "
	"CASE WHEN ?2 THEN original END FROM attachments WHERE message_id = ?1 ORDER BY position";

struct rcpt_pos {
	int pos;
	struct mf_recipient r;
};

static int cmp_rcpt_pos(const void *a, const void *b)
{
	const struct rcpt_pos *x = a, *y = b;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int load_message(struct mf_store *st, struct mf_message **out, int64_t id,
			int with_data, struct mf_arena *a, int depth, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_LOAD, diag);
	struct mf_message *m;
	int rc;
	size_t n, cap;

	if (!s)
		return MF_ESTORE;
	if (depth > 64)
		return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET, "messages nested too deep");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
					   "no message %lld", (long long)id);
		return mf_store_fail(st, diag, "cannot load message");
	}
	m = mf_arena_zalloc(a, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->mailbox_id = sqlite3_column_int64(s, 1);
	m->folder_id = sqlite3_column_int64(s, 2);
	m->parent_id = sqlite3_column_int64(s, 3);
	m->src_file_id = sqlite3_column_int64(s, 4);
	m->src_offset = sqlite3_column_int64(s, 5);
	m->src_length = sqlite3_column_int64(s, 6);
	m->src_sha256 = mf_store_col_text(s, 7, a);
	m->raw_header_len = (size_t)sqlite3_column_bytes(s, 8);
	m->raw_header = mf_arena_memdup(a, sqlite3_column_blob(s, 8), m->raw_header_len);
	m->charset = mf_store_col_text(s, 9, a);
	m->sender_name = mf_store_col_text(s, 10, a);
	m->sender_type = mf_store_col_text(s, 11, a);
	m->sender_address = mf_store_col_text(s, 12, a);
	m->sender_raw = mf_store_col_text(s, 13, a);
	m->sender_entry_id = sqlite3_column_int64(s, 14);
	m->subject = mf_store_col_text(s, 15, a);
	m->date_raw = mf_store_col_text(s, 16, a);
	m->has_sent = sqlite3_column_type(s, 17) != SQLITE_NULL;
	m->sent_utc = sqlite3_column_int64(s, 17);
	m->has_received = sqlite3_column_type(s, 18) != SQLITE_NULL;
	m->received_utc = sqlite3_column_int64(s, 18);
	m->timezone = mf_store_col_text(s, 19, a);
	m->unread = sqlite3_column_int(s, 20);
	m->unsent = sqlite3_column_int(s, 21);
	m->priority = sqlite3_column_int(s, 22);
	m->receipt_requested = sqlite3_column_int(s, 23);
	m->is_receipt = sqlite3_column_int(s, 24);
	m->message_class = mf_store_col_text(s, 25, a);
	m->message_id = mf_store_col_text(s, 26, a);
	m->conversation_id = mf_store_col_text(s, 27, a);
	m->parent_message_id = mf_store_col_text(s, 28, a);
	m->size = sqlite3_column_int64(s, 29);
	m->folder_path = mf_store_col_text(s, 30, a);
	m->folder_special = mf_store_col_text(s, 31, a);
	sqlite3_reset(s);

	/* recipients, in the order they were written (position); the table's
	 * key orders them by role first, so they are put back in order here
	 * rather than by an ORDER BY that would sort in a temporary B-tree */
	s = mf_store_stmt(st, SQL_RCPT_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	n = cap = 0;
	{
		int *pos = NULL;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct mf_recipient *r;
			if (n == cap) {
				struct mf_recipient *na;
				int *np;
				cap = cap ? cap * 2 : 8;
				na = mf_arena_alloc(a, cap * sizeof(*na));
				np = mf_arena_alloc(a, cap * sizeof(*np));
				if (n) {
					memcpy(na, m->recipients, n * sizeof(*na));
					memcpy(np, pos, n * sizeof(*np));
				}
				m->recipients = na;
				pos = np;
			}
			pos[n] = sqlite3_column_int(s, 6);
			r = &m->recipients[n++];
			r->role = mf_store_col_text(s, 0, a);
			r->display_name = mf_store_col_text(s, 1, a);
			r->address_type = mf_store_col_text(s, 2, a);
			r->address = mf_store_col_text(s, 3, a);
			r->raw = mf_store_col_text(s, 4, a);
			r->entry_id = sqlite3_column_int64(s, 5);
		}
		if (n > 1) {
			struct rcpt_pos *v = mf_xmalloc(n * sizeof(*v));
			for (size_t i = 0; i < n; i++) {
				v[i].pos = pos[i];
				v[i].r = m->recipients[i];
			}
			qsort(v, n, sizeof(*v), cmp_rcpt_pos);
			for (size_t i = 0; i < n; i++)
				m->recipients[i] = v[i].r;
			free(v);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load recipients");
	m->n_recipients = n;

	/* bodies */
	s = mf_store_stmt(st, SQL_BODY_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	n = cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_body_part *b;
		if (n == cap) {
			struct mf_body_part *na;
			cap = cap ? cap * 2 : 4;
			na = mf_arena_alloc(a, cap * sizeof(*na));
			if (n)
				memcpy(na, m->bodies, n * sizeof(*na));
			m->bodies = na;
		}
		b = &m->bodies[n++];
		memset(b, 0, sizeof(*b));
		b->position = sqlite3_column_int(s, 0);
		b->kind = mf_store_col_text(s, 1, a);
		b->title = mf_store_col_text(s, 2, a);
		b->text_len = (size_t)sqlite3_column_bytes(s, 3);
		b->text = mf_store_col_text(s, 3, a);
		if (!b->text)
			b->text = "";
		b->raw_len = (size_t)sqlite3_column_int64(s, 4);
		b->sha256 = mf_store_col_text(s, 5, a);
		if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
			b->keep_raw = 1;
			b->raw = mf_arena_memdup(a, sqlite3_column_blob(s, 6),
						 (size_t)sqlite3_column_bytes(s, 6));
		}
		b->replacements = (size_t)sqlite3_column_int64(s, 7);
		b->highlights_removed = (size_t)sqlite3_column_int64(s, 8);
		b->src_offset = sqlite3_column_int64(s, 9);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load bodies");
	m->n_bodies = n;

	/* attachments */
	s = mf_store_stmt(st, SQL_ATT_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, with_data ? 1 : 0);
	n = cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_attachment *t;
		if (n == cap) {
			struct mf_attachment *na;
			cap = cap ? cap * 2 : 4;
			na = mf_arena_alloc(a, cap * sizeof(*na));
			if (n)
				memcpy(na, m->attachments, n * sizeof(*na));
			m->attachments = na;
		}
		t = &m->attachments[n++];
		memset(t, 0, sizeof(*t));
		t->position = sqlite3_column_int(s, 0);
		t->kind = mf_store_col_text(s, 1, a);
		t->name = mf_store_col_text(s, 2, a);
		t->title = mf_store_col_text(s, 3, a);
		t->content_type = mf_store_col_text(s, 4, a);
		t->size = (size_t)sqlite3_column_int64(s, 5);
		t->sha256 = mf_store_col_text(s, 6, a);
		t->has_data = sqlite3_column_int(s, 7);
		t->original_size = (size_t)sqlite3_column_int64(s, 8);
		t->original_sha256 = mf_store_col_text(s, 9, a);
		t->format = mf_store_col_text(s, 10, a);
		t->mac_type = mf_store_col_text(s, 11, a);
		t->mac_creator = mf_store_col_text(s, 12, a);
		t->body_position = sqlite3_column_int64(s, 13);
		t->nested_id = sqlite3_column_int64(s, 14);
		t->src_offset = sqlite3_column_int64(s, 15);
		if (with_data && t->has_data)
			t->data = mf_arena_memdup(a, sqlite3_column_blob(s, 16), t->size);
		if (with_data && sqlite3_column_type(s, 17) != SQLITE_NULL)
			t->original = mf_arena_memdup(a, sqlite3_column_blob(s, 17),
						      (size_t)sqlite3_column_bytes(s, 17));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load attachments");
	m->n_attachments = n;
	for (size_t i = 0; i < n; i++) {
		if (m->attachments[i].nested_id &&
		    (rc = load_message(st, &m->attachments[i].nested,
				       m->attachments[i].nested_id, with_data, a,
				       depth + 1, diag)) < 0)
			return rc;
	}
	*out = m;
	return MF_OK;
}

int mf_store_message_load(struct mf_store *st, struct mf_message **out,
			  int64_t id, int with_data, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	*out = NULL;
	return load_message(st, out, id, with_data, arena, 0, diag);
}

/* ---- calendars and address books ---- */

static const char SQL_CAL_INS[] =
	"INSERT INTO calendar_items(mailbox_id, src_file_id, src_offset, kind, uid, summary, "
	"dtstart_utc, timezone, recurring, ical, raw, source_type) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
	"ON CONFLICT(mailbox_id, uid) DO NOTHING";

int mf_store_calendar_item(struct mf_store *st, int64_t *id_out,
			   const struct mf_calendar_item *c, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_CAL_INS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, c->mailbox_id);
	mf_store_bind_id(s, 2, c->src_file_id);
	bind_off(s, 3, c->src_offset);
	mf_store_bind_text(s, 4, c->kind);
	mf_store_bind_text(s, 5, c->uid);
	mf_store_bind_text(s, 6, c->summary);
	if (c->has_dtstart)
		sqlite3_bind_int64(s, 7, c->dtstart_utc);
	mf_store_bind_text(s, 8, c->timezone);
	sqlite3_bind_int(s, 9, c->recurring ? 1 : 0);
	mf_store_bind_text(s, 10, c->ical);
	bind_blob(s, 11, c->raw, c->raw_len);
	mf_store_bind_text(s, 12, c->source_type);
	if ((rc = step_done(st, s, diag, "cannot store calendar item")) < 0)
		return rc;
	if (id_out)
		*id_out = sqlite3_changes(st->db) ? sqlite3_last_insert_rowid(st->db) : 0;
	return MF_OK;
}

static const char SQL_PAB_INS[] =
	"INSERT INTO pab_entries(mailbox_id, position, kind, display_name, address_type, address, "
	"first_name, last_name, street, city, state, zip, country, title, company, department, "
	"office, assistant, bus_num, bus2_num, assist_num, fax_num, home_num, home2_num, "
	"mobile_num, pager_num, note, src_file_id, src_offset, raw) VALUES (?1, ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
	"?24, ?25, ?26, ?27, ?28, ?29, ?30)";
static const char SQL_PABM_INS[] =
	"INSERT INTO pab_members(pab_id, position, address, member_pab_id, entry_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";

int mf_store_pab_entry(struct mf_store *st, int64_t *id_out,
		       const struct mf_pab_entry *e, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PAB_INS, diag);
	int64_t id;
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, e->mailbox_id);
	sqlite3_bind_int(s, 2, e->position);
	mf_store_bind_text(s, 3, e->kind);
	mf_store_bind_text(s, 4, e->display_name);
	mf_store_bind_text(s, 5, e->address_type);
	mf_store_bind_text(s, 6, e->address);
	for (int i = 0; i < MF_PAB_NFIELDS; i++)
		mf_store_bind_text(s, 7 + i, e->field[i]);
	mf_store_bind_id(s, 28, e->src_file_id);
	bind_off(s, 29, e->src_offset);
	bind_blob(s, 30, e->raw, e->raw_len);
	if ((rc = step_done(st, s, diag, "cannot store address book entry")) < 0)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	for (size_t i = 0; i < e->n_members; i++) {
		s = mf_store_stmt(st, SQL_PABM_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, (int)i);
		mf_store_bind_text(s, 3, e->members[i].address);
		mf_store_bind_id(s, 4, e->members[i].member_pab_id);
		mf_store_bind_id(s, 5, e->members[i].entry_id);
		if ((rc = step_done(st, s, diag, "cannot store list member")) < 0)
			return rc;
	}
	if (id_out)
		*id_out = id;
	return MF_OK;
}

/* ---- problems ---- */

static const char SQL_PROB_INS[] =
	"INSERT INTO problems(run_id, source_id, severity, code, file, offset, mailbox_id, "
	"message_id, item, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT DO NOTHING";

int mf_store_problem(struct mf_store *st, const struct mf_problem *p,
		     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROB_INS, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_id(s, 1, st->run_id);
	mf_store_bind_id(s, 2, st->source_id);
	mf_store_bind_text(s, 3, mf_severity_name(p->severity));
	mf_store_bind_text(s, 4, p->code);
	mf_store_bind_text(s, 5, p->file);
	bind_off(s, 6, p->offset);
	mf_store_bind_id(s, 7, p->mailbox_id);
	mf_store_bind_id(s, 8, p->message_id);
	mf_store_bind_text(s, 9, p->item);
	mf_store_bind_text(s, 10, p->text ? p->text : "");
	sqlite3_bind_int64(s, 11, mf_now());
	return step_done(st, s, diag, "cannot store problem");
}

int mf_store_problemf(struct mf_store *st, enum mf_severity sev, const char *code,
		      const char *file, int64_t offset, int64_t mailbox_id,
		      int64_t message_id, const char *fmt, ...)
{
	char text[1024];
	struct mf_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&p, 0, sizeof(p));
	p.severity = sev;
	p.code = code;
	p.file = file;
	p.offset = offset;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.text = text;
	return mf_store_problem(st, &p, NULL);
}

static const char SQL_PROB_COUNT[] =
	"SELECT severity, count(*) FROM problems GROUP BY severity";

int mf_store_problem_counts(struct mf_store *st, int64_t counts[3],
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROB_COUNT, diag);
	int rc;
	counts[0] = counts[1] = counts[2] = 0;
	if (!s)
		return MF_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (sev && !strcmp(sev, "info"))
			counts[MF_INFO] = n;
		else if (sev && !strcmp(sev, "warning"))
			counts[MF_WARNING] = n;
		else
			counts[MF_ERROR] += n;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? MF_OK : mf_store_fail(st, diag, "cannot count problems");
}

/* ---- runs ---- */

static const char SQL_RUN_INS[] =
	"INSERT INTO runs(kind, format, target, host, pid, started_at, heartbeat_at, options) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)";
static const char SQL_RUN_BEAT[] = "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1";
static const char SQL_RUN_END[] =
	"UPDATE runs SET status = ?2, summary = ?3, finished_at = ?4, heartbeat_at = ?4 WHERE id = ?1";

int mf_store_run_begin(struct mf_store *st, int64_t *id_out, const char *kind,
		       const char *format, const char *target,
		       const char *options_json, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_INS, diag);
	char host[256];
	int rc;
	if (!s)
		return MF_ESTORE;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	mf_store_bind_text(s, 1, kind);
	mf_store_bind_text(s, 2, format);
	mf_store_bind_text(s, 3, target);
	mf_store_bind_text(s, 4, host);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)getpid());
	sqlite3_bind_int64(s, 6, mf_now());
	mf_store_bind_text(s, 7, options_json);
	if ((rc = step_done(st, s, diag, "cannot start run")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

int mf_store_run_heartbeat(struct mf_store *st, int64_t run_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_BEAT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, mf_now());
	return step_done(st, s, diag, "cannot update run heartbeat");
}

int mf_store_run_end(struct mf_store *st, int64_t run_id, const char *status,
		     const char *summary_json, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_END, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	mf_store_bind_text(s, 2, status);
	mf_store_bind_text(s, 3, summary_json);
	sqlite3_bind_int64(s, 4, mf_now());
	return step_done(st, s, diag, "cannot finish run");
}
