/* SPDX-License-Identifier: MIT */
/*
 * buf.h: a growable byte buffer with a mandatory maximum size.
 *
 * Invariants: `data` is never NULL after mf_buf_init (it points at a static
 * empty string until the first append), and data[len] is always '\0', so a
 * buffer holding text can be used as a C string.  `max` bounds len; an append
 * that would pass it fails with MF_ETOOBIG and leaves the buffer unchanged.
 *
 * Ownership: the buffer owns `data`.  mf_buf_detach() hands it to the caller
 * (free() it) and re-initialises the buffer with the same max.
 */
#ifndef MF_CORE_BUF_H
#define MF_CORE_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "core/mf.h"

struct mf_buf {
	char *data;
	size_t len;
	size_t alloc;   /* 0 while data points at the static empty string */
	size_t max;
};

/* Common bounds. */
#define MF_BUF_LINE_MAX   (1u << 20)          /* one header or text line */
#define MF_BUF_TEXT_MAX   (256u << 20)        /* one text body */
#define MF_BUF_UNBOUNDED  ((size_t)-1 >> 1)

void mf_buf_init(struct mf_buf *b, size_t max);
void mf_buf_release(struct mf_buf *b);
/* Drop the contents, keep the memory. */
void mf_buf_reset(struct mf_buf *b);
/* Make room for n more bytes; MF_ETOOBIG when len + n > max. */
int mf_buf_grow(struct mf_buf *b, size_t n);
int mf_buf_add(struct mf_buf *b, const void *p, size_t n);
int mf_buf_addstr(struct mf_buf *b, const char *s);
int mf_buf_addch(struct mf_buf *b, int c);
int mf_buf_addf(struct mf_buf *b, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);
int mf_buf_vaddf(struct mf_buf *b, const char *fmt, va_list ap) MF_ATTR_PRINTF(2, 0);
/* Shorten to n bytes (n <= len). */
void mf_buf_truncate(struct mf_buf *b, size_t n);
/* Take ownership of the data (NUL-terminated, *len_out bytes); never NULL. */
char *mf_buf_detach(struct mf_buf *b, size_t *len_out);

#endif
