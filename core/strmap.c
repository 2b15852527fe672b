/* SPDX-License-Identifier: MIT */
/* strmap.c: see strmap.h. */
#include "core/strmap.h"
#include "core/mf.h"

#include <stdlib.h>
#include <string.h>

static unsigned char fold(unsigned char c, unsigned flags)
{
	return (flags & MF_STRMAP_NOCASE) && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static uint64_t key_hash(const char *s, unsigned flags)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ fold((unsigned char)*s, flags)) * 1099511628211ull;
	return h;
}

static int key_eq(const char *a, const char *b, unsigned flags)
{
	if (!(flags & MF_STRMAP_NOCASE))
		return !strcmp(a, b);
	for (; *a && *b; a++, b++)
		if (fold((unsigned char)*a, flags) != fold((unsigned char)*b, flags))
			return 0;
	return *a == *b;
}

void mf_strmap_init(struct mf_strmap *m, unsigned flags)
{
	memset(m, 0, sizeof(*m));
	m->flags = flags;
}

void mf_strmap_release(struct mf_strmap *m)
{
	unsigned flags = m->flags;
	free(m->slot);
	mf_arena_release(&m->keys);
	mf_strmap_init(m, flags);
}

/* The slot of key, or the empty slot where it would go. */
static size_t find(const struct mf_strmap *m, const char *key)
{
	size_t i = (size_t)key_hash(key, m->flags) & (m->cap - 1);
	while (m->slot[i].key && !key_eq(m->slot[i].key, key, m->flags))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct mf_strmap *m)
{
	struct mf_strmap_slot *old = m->slot;
	size_t oldcap = m->cap;
	m->cap = m->cap ? m->cap * 2 : 64;
	m->slot = mf_xcalloc(m->cap, sizeof(*m->slot));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			m->slot[find(m, old[i].key)] = old[i];
	free(old);
}

uint64_t *mf_strmap_ref(struct mf_strmap *m, const char *key, int *created)
{
	size_t i;
	if (created)
		*created = 0;
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	i = find(m, key);
	if (!m->slot[i].key) {
		m->slot[i].key = m->flags & MF_STRMAP_COPY ? mf_arena_strdup(&m->keys, key) : key;
		m->slot[i].val = 0;
		m->n++;
		if (created)
			*created = 1;
	}
	return &m->slot[i].val;
}

int mf_strmap_get(const struct mf_strmap *m, const char *key, uint64_t *val)
{
	size_t i;
	if (!m->cap || !key)
		return 0;
	i = find(m, key);
	if (!m->slot[i].key)
		return 0;
	if (val)
		*val = m->slot[i].val;
	return 1;
}

int mf_strmap_add(struct mf_strmap *m, const char *key, uint64_t val)
{
	int created;
	uint64_t *v = mf_strmap_ref(m, key, &created);
	if (created)
		*v = val;
	return created;
}

void mf_strmap_set(struct mf_strmap *m, const char *key, uint64_t val)
{
	*mf_strmap_ref(m, key, NULL) = val;
}
