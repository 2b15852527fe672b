/* SPDX-License-Identifier: MIT */
/* store.c: the SQLite staging store (see store.h, schema/, docs/staging.md). */
#include "core/store_priv.h"
#include "schema/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


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

void mf_store_log_sql(struct mf_store *st)
{
	char *log = getenv("MAILFERRY_SQL_LOG");
	if (log && *log)
		sqlite3_trace_v2(st->db, SQLITE_TRACE_STMT, sql_log, log);
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
	/* after the schema steps: they run once per database (a step may copy
	 * a table once), never per item, and name tables that the step itself
	 * drops, so the guard could not plan them */
	mf_store_log_sql(st);
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
	mf_store_alias_hints_free(st);
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

int mf_store_read_begin(struct mf_store *st, struct mf_diag *diag)
{
	/* autocommit off: a transaction of its own is open (the verify
	 * scratch tables' BEGIN) */
	if (st->tx_depth > 0 || st->read_tx || !sqlite3_get_autocommit(st->db))
		return MF_OK;
	if (mf_store_exec(st, "BEGIN", diag) < 0)
		return MF_ESTORE;
	st->read_tx = 1;
	return MF_OK;
}

void mf_store_cache_kib(struct mf_store *st, int kib)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", -(kib > 0 ? kib : 2048));
	mf_store_exec(st, sql, NULL);
}

void mf_store_read_end(struct mf_store *st)
{
	if (!st->read_tx)
		return;
	st->read_tx = 0;
	if (sqlite3_get_autocommit(st->db))
		return;      /* ended already (a ROLLBACK of its own) */
	if (mf_store_exec(st, "COMMIT", NULL) < 0)
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

int mf_store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	if (!p)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_blob64(s, i, n ? p : "", (sqlite3_uint64)n, SQLITE_STATIC);
}

int mf_store_bind_off(sqlite3_stmt *s, int i, int64_t v)
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
int mf_store_step_done(struct mf_store *st, sqlite3_stmt *s, struct mf_diag *diag,
		       const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, what);
	return MF_OK;
}

