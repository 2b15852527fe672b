/* SPDX-License-Identifier: MIT */
/*
 * store_priv.h: what the store modules (core/store*.c) share and nobody
 * else needs: the connection and the statement cache.  Every SQL statement
 * of mailferry lives in a core/store*.c file.
 */
#ifndef MF_CORE_STORE_PRIV_H
#define MF_CORE_STORE_PRIV_H

#include <sqlite3.h>
#include "core/store.h"

/* The connection (borrowed), for statements of the store modules. */
sqlite3 *mf_store_db(struct mf_store *st);
/* A cached prepared statement for sql (static storage); NULL on failure. */
sqlite3_stmt *mf_store_stmt(struct mf_store *st, const char *sql,
			    struct mf_diag *diag);

#endif
