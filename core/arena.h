/* SPDX-License-Identifier: MIT */
/*
 * arena.h: a bump allocator for things that live and die together (one
 * parsed message, one loaded message).  mf_arena_reset frees everything at
 * once; nothing is freed one by one.
 */
#ifndef MF_CORE_ARENA_H
#define MF_CORE_ARENA_H

#include <stddef.h>

struct mf_arena_chunk;

struct mf_arena {
	struct mf_arena_chunk *head;
	size_t total;      /* bytes handed out since the last reset */
};

#define MF_ARENA_INIT { NULL, 0 }

/* n bytes, aligned for any type; never NULL (aborts on exhaustion). */
void *mf_arena_alloc(struct mf_arena *a, size_t n);
void *mf_arena_zalloc(struct mf_arena *a, size_t n);
/* Copies; the results live until the next reset. */
char *mf_arena_strndup(struct mf_arena *a, const char *s, size_t n);
char *mf_arena_strdup(struct mf_arena *a, const char *s);   /* NULL -> NULL */
void *mf_arena_memdup(struct mf_arena *a, const void *p, size_t n);
/* Free everything allocated so far; keeps one chunk for reuse. */
void mf_arena_reset(struct mf_arena *a);
/* Free everything. */
void mf_arena_release(struct mf_arena *a);

#endif
