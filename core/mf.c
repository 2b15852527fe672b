/* SPDX-License-Identifier: MIT */
/* mf.c: status names, diagnostics, allocation helpers. */
#include "core/mf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *mf_strerror(int code)
{
	switch (code) {
	case MF_OK: return "ok";
	case MF_DONE: return "done";
	case MF_SKIP: return "skipped";
	case MF_ERR: return "error";
	case MF_EFORMAT: return "format error";
	case MF_ECHARSET: return "charset error";
	case MF_ETOOBIG: return "too big";
	case MF_EIO: return "i/o error";
	case MF_EREMOTE: return "refused by target";
	case MF_ESTORE: return "staging database error";
	case MF_EUSAGE: return "usage error";
	case MF_ENOTFOUND: return "not found";
	case MF_EBUSY: return "busy";
	}
	return "unknown error";
}

void mf_diag_clear(struct mf_diag *d)
{
	if (!d)
		return;
	d->code = MF_OK;
	d->sys_errno = 0;
	d->offset = MF_NO_OFFSET;
	d->file[0] = '\0';
	d->msg[0] = '\0';
}

static int diag_vset(struct mf_diag *d, int code, const char *file, uint64_t off,
		     int err, const char *fmt, va_list ap) MF_ATTR_PRINTF(6, 0);
static int diag_vset(struct mf_diag *d, int code, const char *file, uint64_t off,
		     int err, const char *fmt, va_list ap)
{
	if (!d)
		return code;
	d->code = code;
	d->sys_errno = err;
	d->offset = off;
	snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	if (err) {
		size_t n = strlen(d->msg);
		snprintf(d->msg + n, sizeof(d->msg) - n, ": %s", strerror(err));
	}
	return code;
}

int mf_diag_set(struct mf_diag *d, int code, const char *file, uint64_t off,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vset(d, code, file, off, 0, fmt, ap);
	va_end(ap);
	return code;
}

int mf_diag_errno(struct mf_diag *d, int code, const char *file,
		  const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	diag_vset(d, code, file, MF_NO_OFFSET, err ? err : EIO, fmt, ap);
	va_end(ap);
	errno = err;
	return code;
}

const char *mf_diag_format(const struct mf_diag *d, char *buf, size_t len)
{
	if (!d || d->code == MF_OK) {
		snprintf(buf, len, "no error");
		return buf;
	}
	if (d->file[0] && d->offset != MF_NO_OFFSET)
		snprintf(buf, len, "%s: offset %llu: %s", d->file,
			 (unsigned long long)d->offset, d->msg);
	else if (d->file[0])
		snprintf(buf, len, "%s: %s", d->file, d->msg);
	else
		snprintf(buf, len, "%s", d->msg[0] ? d->msg : mf_strerror(d->code));
	return buf;
}

void mf_oom(void)
{
	static const char msg[] = "mailferry: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *mf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		mf_oom();
	return p;
}

void *mf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		mf_oom();
	return p;
}

void *mf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		mf_oom();
	return q;
}

void *mf_xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		mf_oom();
	return mf_xrealloc(p, nmemb * size);
}

char *mf_xstrdup(const char *s)
{
	return mf_xmemdup(s, strlen(s) + 1);
}

char *mf_xstrndup(const char *s, size_t n)
{
	char *p = mf_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *mf_xmemdup(const void *p, size_t n)
{
	void *q = mf_xmalloc(n);
	if (n)
		memcpy(q, p, n);
	return q;
}

char *mf_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		mf_oom();
	p = mf_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int mf_strcaseeq(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return *a == '\0' && *b == '\0';
}

int mf_strncaseeq(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
		if (!*a)
			return 1;
	}
	return 1;
}

int mf_mem_startswith_ci(const unsigned char *p, size_t len, const char *w)
{
	size_t n = strlen(w);
	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((unsigned char)w[i]))
			return 0;
	return 1;
}

int mf_parse_u64(uint64_t *out, const char *p, size_t len, uint64_t max)
{
	uint64_t v = 0;
	if (len == 0)
		return MF_EFORMAT;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (p[i] < '0' || p[i] > '9')
			return MF_EFORMAT;
		d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return MF_ETOOBIG;
		v = v * 10 + d;
	}
	*out = v;
	return MF_OK;
}

int64_t mf_now(void)
{
	return (int64_t)time(NULL);
}
