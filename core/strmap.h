/* SPDX-License-Identifier: MIT */
/*
 * strmap.h: a map from NUL-terminated strings to a 64-bit value (an id, an
 * index, a UID, or a pointer through uintptr_t), open addressing with FNV-1a.
 *
 * Keys are compared exactly, or ASCII case-insensitively with
 * MF_STRMAP_NOCASE (bytes >= 0x80 compare as they are).  Keys are borrowed
 * (they must outlive the map) unless MF_STRMAP_COPY makes the map keep its
 * own copy.  No order of iteration is offered: what needs an order keeps
 * it elsewhere.
 *
 *     struct mf_strmap m;
 *     mf_strmap_init(&m, MF_STRMAP_NOCASE);
 *     uint64_t *v = mf_strmap_ref(&m, "Anna", &created);   insert or find
 *     if (created) *v = 42;                                first one wins
 *     if (mf_strmap_get(&m, "ANNA", &x)) ...               x == 42
 *     mf_strmap_release(&m);
 */
#ifndef MF_CORE_STRMAP_H
#define MF_CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"

#define MF_STRMAP_NOCASE 1u   /* ASCII letters compare without case */
#define MF_STRMAP_COPY   2u   /* the map copies each key it stores */

struct mf_strmap_slot {
	const char *key;          /* NULL: empty */
	uint64_t val;
};

struct mf_strmap {
	struct mf_strmap_slot *slot;
	size_t cap, n;            /* cap: a power of two, or 0 */
	unsigned flags;
	struct mf_arena keys;     /* MF_STRMAP_COPY: the copies */
};

void mf_strmap_init(struct mf_strmap *m, unsigned flags);
/* Free the table (and the copied keys); the map is empty again and may be
 * used once more with the same flags. */
void mf_strmap_release(struct mf_strmap *m);

/* The value of key, inserted with value 0 when absent (*created = 1, else 0;
 * created may be NULL).  The pointer is valid until the next insertion. */
uint64_t *mf_strmap_ref(struct mf_strmap *m, const char *key, int *created);
/* 1 and *val (val may be NULL) when key is present, 0 when not. */
int mf_strmap_get(const struct mf_strmap *m, const char *key, uint64_t *val);
/* Insert key -> val unless key is present (then nothing changes); 1 when
 * inserted. */
int mf_strmap_add(struct mf_strmap *m, const char *key, uint64_t val);
/* Insert or replace. */
void mf_strmap_set(struct mf_strmap *m, const char *key, uint64_t val);

#endif
