/* SPDX-License-Identifier: MIT */
/* buf.c: bounded growable buffer (see buf.h for the invariants). */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char empty_[1];

void mf_buf_init(struct mf_buf *b, size_t max)
{
	b->data = empty_;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void mf_buf_release(struct mf_buf *b)
{
	if (b->alloc)
		free(b->data);
	mf_buf_init(b, b->max);
}

void mf_buf_reset(struct mf_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->data[0] = '\0';
}

int mf_buf_grow(struct mf_buf *b, size_t n)
{
	size_t want;

	if (n > b->max || b->len > b->max - n)
		return MF_ETOOBIG;
	want = b->len + n + 1;
	if (want <= b->alloc)
		return MF_OK;
	if (b->alloc == 0) {
		size_t a = want < 64 ? 64 : want;
		b->data = mf_xmalloc(a);
		b->data[0] = '\0';
		b->alloc = a;
		return MF_OK;
	}
	{
		size_t a = b->alloc;
		while (a < want)
			a = a > SIZE_MAX / 2 ? want : a * 2;
		b->data = mf_xrealloc(b->data, a);
		b->alloc = a;
	}
	return MF_OK;
}

int mf_buf_add(struct mf_buf *b, const void *p, size_t n)
{
	int rc = mf_buf_grow(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	if (b->alloc)
		b->data[b->len] = '\0';
	return MF_OK;
}

int mf_buf_addstr(struct mf_buf *b, const char *s)
{
	return mf_buf_add(b, s, strlen(s));
}

int mf_buf_addch(struct mf_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;
	return mf_buf_add(b, &ch, 1);
}

int mf_buf_vaddf(struct mf_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return MF_ERR;
	rc = mf_buf_grow(b, (size_t)n);
	if (rc < 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return MF_OK;
}

int mf_buf_addf(struct mf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = mf_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void mf_buf_truncate(struct mf_buf *b, size_t n)
{
	if (n >= b->len)
		return;
	b->len = n;
	if (b->alloc)
		b->data[n] = '\0';
}

char *mf_buf_detach(struct mf_buf *b, size_t *len_out)
{
	char *p;
	if (len_out)
		*len_out = b->len;
	if (!b->alloc)
		p = mf_xstrdup("");
	else
		p = b->data;
	mf_buf_init(b, b->max);
	return p;
}
