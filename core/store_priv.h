/* SPDX-License-Identifier: MIT */
/*
 * store_priv.h: what the store modules (core/store*.c) share and nobody
 * else sees: the connection, the statement cache and the small helpers
 * for binding and stepping.  Every SQL statement of mailferry lives in a
 * core/store*.c file; the rest of the program calls the functions of
 * core/store.h.  (Unit tests and tests/tools may include it to look at a
 * store directly.)
 */
#ifndef MF_CORE_STORE_PRIV_H
#define MF_CORE_STORE_PRIV_H

#include <sqlite3.h>
#include "core/store.h"
#include "core/strmap.h"

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
	int read_tx;               /* mf_store_read_begin's BEGIN is open */
	int64_t run_id;
	int64_t source_id;
	struct stmt_slot cache[STMT_CACHE];
	size_t ncache;
	struct mf_alias_hints *alias_hints; /* core/store_alias.c; NULL until used */
	int msdir_keys, msdir_users;   /* core/store_msdir.c: the temporary tables exist */
};

/* The connection (borrowed), for statements of the store modules. */
sqlite3 *mf_store_db(struct mf_store *st);
/*
 * A cached prepared statement for sql, which must be a string with static
 * storage (the cache is keyed by its address).  The statement is reset and
 * its bindings cleared before it is returned.  NULL on failure (diag set).
 */
sqlite3_stmt *mf_store_stmt(struct mf_store *st, const char *sql,
			    struct mf_diag *diag);

/* Log every statement of st's connection for the query-plan guard when
 * MAILFERRY_SQL_LOG names a file (core/store.c; mf_store_open does it for
 * a staging store, core/store_report.c for the report's joined database). */
void mf_store_log_sql(struct mf_store *st);

/* Step a statement that returns no rows (reset afterwards); MF_OK, or
 * MF_ESTORE with diag saying what failed. */
int mf_store_step_done(struct mf_store *st, sqlite3_stmt *s, struct mf_diag *diag,
		       const char *what);
/* Bind a BLOB (NULL pointer: SQL NULL) / an offset that is NULL when negative. */
int mf_store_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n);
int mf_store_bind_off(sqlite3_stmt *s, int i, int64_t v);

/*
 * Where the search for a free alias made from a base resumes
 * (core/store_alias.c): every candidate before it (mf_alias_unique_from's
 * numbering) is known to be taken.  The hints hold only within one write
 * transaction of this connection: a commit, a rollback, or any UPDATE or
 * DELETE of a mailboxes row forgets them all.  1 when nothing is known.
 */
unsigned mf_store_alias_hint(struct mf_store *st, const char *base);
/* Candidate k of base was just stored: the next search starts after it. */
void mf_store_alias_hint_set(struct mf_store *st, const char *base, unsigned k);
/* Forget every hint and free the table (mf_store_close). */
void mf_store_alias_hints_free(struct mf_store *st);

#endif
