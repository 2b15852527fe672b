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
 * someone's alone): a table of HINT_SETS sets of HINT_WAYS slots, the set
 * chosen by a hash of the base, a new base taking the slot in its set
 * used least recently; and a base whose search ended at the base itself
 * is not remembered (its next namesake pays one more look-up), so only
 * bases with namesakes compete for the slots.  A hint that is not there
 * makes the search start at the base again: the alias is the same, only
 * found with more look-ups.
 *
 * The table was one slot per hash (4,096 of them) until the 100,000-user
 * benchmark showed what that costs (issue 15, "import msmail at 100k" in
 * docs/BENCHMARKS.md): of its 500 bases with namesakes, the few dozen that
 * shared a slot with another took it from each other at every turn, and
 * each of their namesakes searched from the base again, through 100 taken
 * candidates on average at 100,000 users against 10 at 10,000: 1.69
 * million alias look-ups against 100,500 without a clash.  Eight ways per
 * set make a clash that evicts a live hint need nine hot bases in one set
 * of 512.
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

#define HINT_SETS 512u         /* a power of two */
#define HINT_WAYS 8u           /* 4,096 slots in all: 160 KiB */

struct hint_slot {
	char base[MF_ALIAS_MAX + 1];
	unsigned k;                /* the next candidate to try */
	uint32_t gen;              /* valid while it is the table's */
	uint32_t hash;             /* of base (folded), compared first */
	uint32_t used;             /* when last read or set (the table's clock;
				    * a wrap only misjudges which is oldest) */
};

struct mf_alias_hints {
	uint32_t gen;              /* bumped to forget every slot at once */
	size_t n;                  /* slots set in this generation */
	uint32_t clock;            /* counts reads and sets: least recent first out */
	struct hint_slot slot[HINT_SETS * HINT_WAYS];
};

static uint32_t base_hash(const char *base)
{
	uint32_t x = 2166136261u;  /* FNV-1a over the ASCII-folded bytes */
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		x = (x ^ (uint32_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
	return x;
}

/* The current slot of base in its set, or NULL. */
static struct hint_slot *slot_find(struct mf_alias_hints *h, const char *base, uint32_t x)
{
	struct hint_slot *set = &h->slot[(x & (HINT_SETS - 1)) * HINT_WAYS];
	for (unsigned i = 0; i < HINT_WAYS; i++)
		if (set[i].gen == h->gen && set[i].hash == x && mf_strcaseeq(set[i].base, base))
			return &set[i];
	return NULL;
}

/* The slot for base: its own, else one not current, else the least
 * recently used of its set. */
static struct hint_slot *slot_take(struct mf_alias_hints *h, const char *base, uint32_t x)
{
	struct hint_slot *set = &h->slot[(x & (HINT_SETS - 1)) * HINT_WAYS], *old = &set[0];
	struct hint_slot *sl = slot_find(h, base, x);
	if (sl)
		return sl;
	for (unsigned i = 0; i < HINT_WAYS; i++) {
		if (set[i].gen != h->gen)
			return &set[i];
		if (set[i].used < old->used)
			old = &set[i];
	}
	return old;
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
	if (!(sl = slot_find(st->alias_hints, base, base_hash(base))))
		return 1;
	sl->used = ++st->alias_hints->clock;
	return sl->k;
}

void mf_store_alias_hint_set(struct mf_store *st, const char *base, unsigned k)
{
	struct hint_slot *sl;
	uint32_t x;
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
	x = base_hash(base);
	sl = slot_take(st->alias_hints, base, x);
	memcpy(sl->base, base, strlen(base) + 1);
	sl->k = k + 1;
	sl->hash = x;
	sl->used = ++st->alias_hints->clock;
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
