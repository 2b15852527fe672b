/* SPDX-License-Identifier: MIT */
/*
 * store_alias.c: where the search for a free alias resumes (store_priv.h).
 *
 * A mailbox staged without an alias gets the first free one of base,
 * base2, base3, ... (mf_alias_unique).  A large directory has many people
 * with the same surname and initial: every new one tried every earlier
 * candidate again, one indexed look-up each, which made the import
 * quadratic in the number of namesakes (500 bases with 200 users each in
 * the 100,000-user benchmark: 10 million look-ups).  The hint remembers,
 * per base (ASCII case-insensitive, as aliases compare), the candidate
 * after the last one handed out, so the search starts where every earlier
 * candidate is known to be taken and gives the same alias as a full
 * search.
 *
 * The knowledge holds only while nothing can free an alias: the hints are
 * forgotten at every commit and rollback of the connection (another
 * connection may write between transactions) and on every UPDATE or
 * DELETE of a mailboxes row (an alias changed by the plan, a source
 * removed).  The store uses no savepoints, whose partial rollback would
 * not be seen here.
 */
#include "core/store_priv.h"
#include "core/alias.h"

#include <stdlib.h>
#include <string.h>

static void forget(struct mf_store *st)
{
	if (st->alias_hints && st->alias_hints->n)
		mf_strmap_release(st->alias_hints);
}

static int on_commit(void *ctx)
{
	forget(ctx);
	return 0;           /* 0: the commit goes ahead */
}

static void on_rollback(void *ctx)
{
	forget(ctx);
}

static void on_update(void *ctx, int op, const char *db, const char *table, sqlite3_int64 rowid)
{
	(void)db;
	(void)rowid;
	if (op != SQLITE_INSERT && !strcmp(table, "mailboxes"))
		forget(ctx);
}

unsigned mf_store_alias_hint(struct mf_store *st, const char *base)
{
	uint64_t k;
	if (!st->alias_hints || !st->db || sqlite3_get_autocommit(st->db))
		return 1;
	return mf_strmap_get(st->alias_hints, base, &k) ? (unsigned)k : 1;
}

void mf_store_alias_hint_set(struct mf_store *st, const char *base, unsigned k)
{
	/* outside a transaction the statement's own commit forgets it at once */
	if (!st->db || sqlite3_get_autocommit(st->db))
		return;
	if (!st->alias_hints) {
		st->alias_hints = mf_xcalloc(1, sizeof(*st->alias_hints));
		mf_strmap_init(st->alias_hints, MF_STRMAP_NOCASE | MF_STRMAP_COPY);
		sqlite3_commit_hook(st->db, on_commit, st);
		sqlite3_rollback_hook(st->db, on_rollback, st);
		sqlite3_update_hook(st->db, on_update, st);
	}
	mf_strmap_set(st->alias_hints, base, (uint64_t)k + 1);
}

void mf_store_alias_hints_free(struct mf_store *st)
{
	if (!st->alias_hints)
		return;
	if (st->db) {
		sqlite3_commit_hook(st->db, NULL, NULL);
		sqlite3_rollback_hook(st->db, NULL, NULL);
		sqlite3_update_hook(st->db, NULL, NULL);
	}
	mf_strmap_release(st->alias_hints);
	free(st->alias_hints);
	st->alias_hints = NULL;
}
