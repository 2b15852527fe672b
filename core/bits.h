/* SPDX-License-Identifier: MIT */
/* bits.h: a growable set of small numbers, one bit each (the positions of
 * items to come back to after a pass in another order). */
#ifndef MF_BITS_H
#define MF_BITS_H

#include <stddef.h>
#include <stdint.h>

struct mf_bits {
	uint64_t *words;
	size_t nwords;
	size_t count; /* bits set (each set once counts once) */
};

#define MF_BITS_INIT { NULL, 0, 0 }

/* Set bit n, growing the set as needed (aborts on out of memory). */
void mf_bits_set(struct mf_bits *b, size_t n);
/* 1 if bit n is set, else 0. */
int mf_bits_has(const struct mf_bits *b, size_t n);
void mf_bits_free(struct mf_bits *b);

#endif
