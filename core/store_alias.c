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
 * The hints are a cache of fixed size (issue 15: one per base grew with
 * the directory, 8 MiB at 100,000 users, where nearly every base is
 * someone's alone): a table of HINT_SLOTS slots, one per hash of the base,
 * a newer base taking the slot of an older one; and a base whose search
 * ended at the base itself is not remembered (its next namesake pays one
 * more look-up), so only bases with namesakes compete for the slots.  A
 * hint that is not there makes the search start at the base again: the
 * alias is the same, only found with more look-ups.
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

#define HINT_SLOTS 4096u       /* a power of two; 128 KiB */

struct hint_slot {
	char base[MF_ALIAS_MAX + 1];
	unsigned k;                /* the next candidate to try */
	uint32_t gen;              /* valid while it is the table's */
};

struct mf_alias_hints {
	uint32_t gen;              /* bumped to forget every slot at once */
	size_t n;                  /* slots set in this generation */
	struct hint_slot slot[HINT_SLOTS];
};

static struct hint_slot *slot_of(struct mf_alias_hints *h, const char *base)
{
	uint32_t x = 2166136261u;  /* FNV-1a over the ASCII-folded bytes */
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		x = (x ^ (uint32_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
	return &h->slot[x & (HINT_SLOTS - 1)];
}

static void forget(struct mf_store *st)
{
	struct mf_alias_hints *h = st->alias_hints;
	if (h && h->n) {
		h->n = 0;
		if (++h->gen == 0) {   /* wrapped: no old slot may look current */
			memset(h->slot, 0, sizeof(h->slot));
			h->gen = 1;
		}
	}
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
	struct hint_slot *sl;
	if (!st->alias_hints || !st->db || sqlite3_get_autocommit(st->db))
		return 1;
	sl = slot_of(st->alias_hints, base);
	return sl->gen == st->alias_hints->gen && mf_strcaseeq(sl->base, base) ? sl->k : 1;
}

void mf_store_alias_hint_set(struct mf_store *st, const char *base, unsigned k)
{
	struct hint_slot *sl;
	/* outside a transaction the statement's own commit forgets it at once;
	 * k 1: the base itself was free, not worth a slot (see above) */
	if (!st->db || sqlite3_get_autocommit(st->db) || k < 2 || strlen(base) > MF_ALIAS_MAX)
		return;
	if (!st->alias_hints) {
		st->alias_hints = mf_xcalloc(1, sizeof(*st->alias_hints));
		st->alias_hints->gen = 1;
		sqlite3_commit_hook(st->db, on_commit, st);
		sqlite3_rollback_hook(st->db, on_rollback, st);
		sqlite3_update_hook(st->db, on_update, st);
	}
	sl = slot_of(st->alias_hints, base);
	memcpy(sl->base, base, strlen(base) + 1);
	sl->k = k + 1;
	sl->gen = st->alias_hints->gen;
	st->alias_hints->n++;
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
	free(st->alias_hints);
	st->alias_hints = NULL;
}
