/* SPDX-License-Identifier: MIT */
/* arena.c: bump allocator (see arena.h). */
#include "core/arena.h"
#include "core/mf.h"

#include <stdlib.h>
#include <string.h>

struct mf_arena_chunk {
	struct mf_arena_chunk *next;
	size_t size, used;
	max_align_t data[];
};

#define CHUNK_MIN (64u * 1024)
#define ALIGN (sizeof(max_align_t))

void *mf_arena_alloc(struct mf_arena *a, size_t n)
{
	struct mf_arena_chunk *c = a->head;
	size_t need = (n + ALIGN - 1) / ALIGN * ALIGN;
	void *p;

	if (need < n)
		mf_oom();
	if (!c || c->size - c->used < need) {
		size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;
		if (size > SIZE_MAX - sizeof(*c))
			mf_oom();
		c = mf_xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *mf_arena_zalloc(struct mf_arena *a, size_t n)
{
	void *p = mf_arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *mf_arena_strndup(struct mf_arena *a, const char *s, size_t n)
{
	char *p = mf_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mf_arena_strdup(struct mf_arena *a, const char *s)
{
	return s ? mf_arena_strndup(a, s, strlen(s)) : NULL;
}

void *mf_arena_memdup(struct mf_arena *a, const void *p, size_t n)
{
	void *q = mf_arena_alloc(a, n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

void mf_arena_reset(struct mf_arena *a)
{
	struct mf_arena_chunk *c = a->head, *keep = NULL;
	/* keep one standard-size chunk, free the rest (large ones first) */
	while (c) {
		struct mf_arena_chunk *next = c->next;
		if (!keep && c->size == CHUNK_MIN) {
			keep = c;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = keep;
	a->total = 0;
}

void mf_arena_release(struct mf_arena *a)
{
	struct mf_arena_chunk *c = a->head;
	while (c) {
		struct mf_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
