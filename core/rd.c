/* SPDX-License-Identifier: MIT */
/* rd.c: bounded reader over in-memory bytes (see rd.h). */
#include "core/rd.h"

#include <string.h>

void mf_rd_init(struct mf_rd *r, const void *data, size_t len)
{
	static const unsigned char none[1];
	r->err = MF_OK;
	r->passed = NULL;
	r->passed_ctx = NULL;
	if (!data) {
		r->base = r->p = r->end = none;
		return;
	}
	r->base = data;
	r->p = data;
	r->end = r->p + len;
}

int mf_rd_sub(struct mf_rd *r, size_t n, struct mf_rd *sub)
{
	if (n > mf_rd_left(r))
		return MF_EFORMAT;
	sub->base = r->base;
	sub->p = r->p;
	sub->end = r->p + n;
	sub->err = MF_OK;
	sub->passed = r->passed;
	sub->passed_ctx = r->passed_ctx;
	r->p += n;
	return MF_OK;
}

int mf_rd_seek(struct mf_rd *r, uint64_t off)
{
	if (off > (uint64_t)(r->end - r->base))
		return MF_EFORMAT;
	r->p = r->base + off;
	return MF_OK;
}

/* Tell r's owner (if it asked) about [*told, p) once that is a chunk long. */
static void tell(const struct mf_rd *r, const unsigned char **told, const unsigned char *p)
{
	if (r && r->passed && (size_t)(p - *told) >= MF_RD_PASS_CHUNK) {
		r->passed(r->passed_ctx, *told, p);
		*told = p;
	}
}

/* The first LF (or, with any_eol, LF or CR) in [p, end), or NULL.  Looked
 * for a block at a time, so the cost is linear whatever the mix (searching
 * the rest of the input for LF at each of a million lone CRs is not), and
 * a long search tells r's owner what it passed. */
static const unsigned char *eol_in(const unsigned char *p, const unsigned char *end, int any_eol,
				   const struct mf_rd *r, const unsigned char **told)
{
	while (p < end) {
		size_t n = (size_t)(end - p) < 4096 ? (size_t)(end - p) : 4096;
		const unsigned char *nl, *cr;
		tell(r, told, p);
		nl = memchr(p, '\n', n);
		if (any_eol && (cr = memchr(p, '\r', nl ? (size_t)(nl - p) : n)) != NULL)
			return cr;
		if (nl)
			return nl;
		p += n;
	}
	return NULL;
}

static int scan_line(const struct mf_rd *r, enum mf_eol_mode mode, size_t max,
		     struct mf_span *line, enum mf_eol *eol, const unsigned char **next)
{
	const unsigned char *p = r->p, *end = r->end, *told = r->p;
	size_t left = (size_t)(end - p);
	size_t lim = left < max ? left : max;
	const unsigned char *q;

	if (left == 0)
		return MF_DONE;
	q = eol_in(p, p + lim, mode == MF_EOLS_ANY, r, &told);
	if (!q)
		q = p + lim;
	if (q == p + lim) {
		if (lim < left) /* no line end within max bytes */
			return MF_ETOOBIG;
		/* last line without a line end */
		line->p = p;
		line->len = lim;
		if (eol)
			*eol = MF_EOL_NONE;
		*next = end;
		return MF_OK;
	}
	line->p = p;
	if (*q == '\n') {
		if (q > p && q[-1] == '\r') {
			line->len = (size_t)(q - p) - 1;
			if (eol)
				*eol = MF_EOL_CRLF;
		} else {
			line->len = (size_t)(q - p);
			if (eol)
				*eol = MF_EOL_LF;
		}
		*next = q + 1;
	} else { /* '\r' in MF_EOLS_ANY */
		line->len = (size_t)(q - p);
		if (q + 1 < end && q[1] == '\n') {
			if (eol)
				*eol = MF_EOL_CRLF;
			*next = q + 2;
		} else {
			if (eol)
				*eol = MF_EOL_CR;
			*next = q + 1;
		}
	}
	return MF_OK;
}

int mf_rd_line(struct mf_rd *r, struct mf_span *line, enum mf_eol *eol,
	       enum mf_eol_mode mode, size_t max)
{
	const unsigned char *next;
	int rc = scan_line(r, mode, max, line, eol, &next);
	if (rc == MF_OK)
		r->p = next;
	return rc;
}

int mf_rd_peek_line(const struct mf_rd *r, struct mf_span *line,
		    enum mf_eol_mode mode, size_t max)
{
	const unsigned char *next;
	return scan_line(r, mode, max, line, NULL, &next);
}

int mf_rd_bytes(struct mf_rd *r, size_t n, struct mf_span *out)
{
	if (n > mf_rd_left(r))
		return MF_EFORMAT;
	out->p = r->p;
	out->len = n;
	r->p += n;
	return MF_OK;
}

int mf_rd_skip_eol(struct mf_rd *r, enum mf_eol_mode mode)
{
	size_t left = mf_rd_left(r);
	if (left >= 2 && r->p[0] == '\r' && r->p[1] == '\n') {
		r->p += 2;
		return 1;
	}
	if (left >= 1 && r->p[0] == '\n') {
		r->p += 1;
		return 1;
	}
	if (mode == MF_EOLS_ANY && left >= 1 && r->p[0] == '\r') {
		r->p += 1;
		return 1;
	}
	return 0;
}

int mf_rd_at_ci(const struct mf_rd *r, const char *w)
{
	return mf_mem_startswith_ci(r->p, mf_rd_left(r), w);
}

/* Start of the line after the one containing p, or NULL at end of input.
 * LF, CR LF and a lone CR all end a line here. */
static const unsigned char *next_line(const unsigned char *p, const unsigned char *end,
				      const struct mf_rd *r, const unsigned char **told)
{
	const unsigned char *q = eol_in(p, end, 1, r, told);

	if (!q)
		return NULL;
	if (*q == '\r' && q + 1 < end && q[1] == '\n')
		return q + 2;
	return q + 1;
}

int mf_rd_find_line_with(const struct mf_rd *r, int at_line_start,
			 const char *const *words, uint64_t *off)
{
	const unsigned char *p = r->p;
	const unsigned char *end = r->end;

	const unsigned char *told = p;

	if (!at_line_start)
		p = next_line(p, end, r, &told);
	while (p && p <= end) {
		size_t left = (size_t)(end - p);
		for (int i = 0; words[i]; i++) {
			if (mf_mem_startswith_ci(p, left, words[i])) {
				*off = (uint64_t)(p - r->base);
				return i;
			}
		}
		if (p == end)
			break;
		p = next_line(p, end, r, &told);
	}
	if (r->passed && (size_t)(end - told) >= MF_RD_PASS_CHUNK)
		r->passed(r->passed_ctx, told, end);
	return MF_ENOTFOUND;
}

uint8_t mf_rd_u8(struct mf_rd *r)
{
	if (r->err || mf_rd_left(r) < 1) {
		r->err = MF_EFORMAT;
		return 0;
	}
	/* a byte loop over gigabytes (a CSV field without end) tells the
	 * owner of the bytes each time it enters a new chunk */
	if (r->passed && ((uintptr_t)r->p & (MF_RD_PASS_CHUNK - 1)) == 0 &&
	    (size_t)(r->p - r->base) >= MF_RD_PASS_CHUNK)
		r->passed(r->passed_ctx, r->p - MF_RD_PASS_CHUNK, r->p);
	return *r->p++;
}

uint16_t mf_rd_be16(struct mf_rd *r)
{
	uint16_t v;
	if (r->err || mf_rd_left(r) < 2) {
		r->err = MF_EFORMAT;
		return 0;
	}
	v = (uint16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	return v;
}

uint32_t mf_rd_be32(struct mf_rd *r)
{
	uint32_t v;
	if (r->err || mf_rd_left(r) < 4) {
		r->err = MF_EFORMAT;
		return 0;
	}
	v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
	    ((uint32_t)r->p[2] << 8) | r->p[3];
	r->p += 4;
	return v;
}

uint16_t mf_rd_le16(struct mf_rd *r)
{
	uint16_t v;
	if (r->err || mf_rd_left(r) < 2) {
		r->err = MF_EFORMAT;
		return 0;
	}
	v = (uint16_t)(r->p[0] | (r->p[1] << 8));
	r->p += 2;
	return v;
}

uint32_t mf_rd_le32(struct mf_rd *r)
{
	uint32_t v;
	if (r->err || mf_rd_left(r) < 4) {
		r->err = MF_EFORMAT;
		return 0;
	}
	v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) |
	    ((uint32_t)r->p[2] << 16) | ((uint32_t)r->p[3] << 24);
	r->p += 4;
	return v;
}

struct mf_span mf_span_trim(struct mf_span s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.len--;
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

int mf_span_eq_ci(struct mf_span s, const char *w)
{
	return strlen(w) == s.len && mf_mem_startswith_ci(s.p, s.len, w);
}

int mf_span_starts_ci(struct mf_span s, const char *w)
{
	return mf_mem_startswith_ci(s.p, s.len, w);
}

char *mf_span_dup(struct mf_span s)
{
	return mf_xstrndup((const char *)s.p, s.len);
}
