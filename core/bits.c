/* SPDX-License-Identifier: MIT */
/* bits.c: a growable set of small numbers, one bit each. */
#include "bits.h"

#include <stdlib.h>
#include <string.h>

#include "mf.h"

void mf_bits_set(struct mf_bits *b, size_t n)
{
	size_t w = n / 64;
	uint64_t bit = UINT64_C(1) << (n % 64);

	if (w >= b->nwords) {
		size_t nw = b->nwords ? b->nwords : 64;
		while (nw <= w)
			nw *= 2;
		b->words = mf_xreallocarray(b->words, nw, sizeof(*b->words));
		memset(b->words + b->nwords, 0, (nw - b->nwords) * sizeof(*b->words));
		b->nwords = nw;
	}
	if (!(b->words[w] & bit))
		b->count++;
	b->words[w] |= bit;
}

int mf_bits_has(const struct mf_bits *b, size_t n)
{
	size_t w = n / 64;
	return w < b->nwords && (b->words[w] >> (n % 64) & 1);
}

void mf_bits_free(struct mf_bits *b)
{
	free(b->words);
	b->words = NULL;
	b->nwords = 0;
	b->count = 0;
}
