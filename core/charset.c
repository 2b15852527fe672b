/* SPDX-License-Identifier: MIT */
/* charset.c: iconv-based code page conversion that substitutes, never fails. */
#include "core/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

struct sbcs_rev {
	uint32_t cp;        /* a code point the code page holds */
	unsigned char b;    /* its byte */
};

/*
 * Single-byte code pages (all of mailferry's but the East Asian ones) are
 * converted through tables built from iconv when the converter is opened:
 * the same mappings, without a call into iconv for every character.
 */
struct mf_charset {
	const char *name;   /* canonical */
	int is_utf8;
	iconv_t to;         /* codepage -> UTF-8 */
	iconv_t from;       /* UTF-8 -> codepage */
	int sbcs;           /* the tables below hold the whole code page */
	unsigned char to_len[256];       /* UTF-8 length of each byte; 0: none */
	unsigned char to_utf8[256][4];
	struct sbcs_rev rev[256];        /* sorted by code point */
	size_t n_rev;
};

static const struct {
	const char *alias;
	const char *canon;
} aliases[] = {
	{ "437", "CP437" }, { "cp437", "CP437" }, { "ibm437", "CP437" },
	{ "737", "CP737" }, { "cp737", "CP737" }, { "ibm737", "CP737" },
	{ "850", "CP850" }, { "cp850", "CP850" }, { "ibm850", "CP850" },
	{ "852", "CP852" }, { "cp852", "CP852" }, { "ibm852", "CP852" },
	{ "866", "CP866" }, { "cp866", "CP866" }, { "ibm866", "CP866" },
	{ "932", "CP932" }, { "cp932", "CP932" }, { "shift_jis", "CP932" },
	{ "sjis", "CP932" }, { "windows-31j", "CP932" }, { "ms932", "CP932" },
	{ "936", "CP936" }, { "cp936", "CP936" }, { "gbk", "CP936" },
	{ "949", "CP949" }, { "cp949", "CP949" },
	{ "950", "CP950" }, { "cp950", "CP950" }, { "big5", "CP950" },
	{ "1250", "CP1250" }, { "cp1250", "CP1250" }, { "windows-1250", "CP1250" },
	{ "1251", "CP1251" }, { "cp1251", "CP1251" }, { "windows-1251", "CP1251" },
	{ "1252", "CP1252" }, { "cp1252", "CP1252" }, { "windows-1252", "CP1252" },
	{ "1253", "CP1253" }, { "cp1253", "CP1253" }, { "windows-1253", "CP1253" },
	{ "1254", "CP1254" }, { "cp1254", "CP1254" }, { "windows-1254", "CP1254" },
	{ "10000", "MACINTOSH" }, { "macintosh", "MACINTOSH" }, { "mac", "MACINTOSH" },
	{ "iso-8859-1", "ISO-8859-1" }, { "latin1", "ISO-8859-1" },
	{ "us-ascii", "ASCII" }, { "ascii", "ASCII" }, { "20127", "ASCII" },
	{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "65001", "UTF-8" },
};

const char *mf_codepage_canonical(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < MF_ARRAY_LEN(aliases); i++)
		if (mf_strcaseeq(name, aliases[i].alias) ||
		    mf_strcaseeq(name, aliases[i].canon))
			return aliases[i].canon;
	return NULL;
}

/* Code point of a well-formed UTF-8 sequence of length n. */
static uint32_t utf8_cp(const unsigned char *p, size_t n)
{
	switch (n) {
	case 1: return p[0];
	case 2: return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
	case 3: return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
	default: return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
			((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
	}
}

static size_t utf8_seq(const unsigned char *p, size_t n);

static int cmp_rev(const void *a, const void *b)
{
	const struct sbcs_rev *x = a, *y = b;
	if (x->cp != y->cp)
		return x->cp < y->cp ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/* Ask iconv for every byte alone; a code page where each byte converts on
 * its own (or has no mapping) is single-byte and gets tables. */
static void build_tables(struct mf_charset *cs)
{
	if (cs->is_utf8)
		return;
	for (int b = 0; b < 256; b++) {
		char in = (char)b, outb[8], *ip = &in, *op = outb;
		size_t il = 1, ol = sizeof(outb), r;
		iconv(cs->to, NULL, NULL, NULL, NULL);
		r = iconv(cs->to, &ip, &il, &op, &ol);
		if (r == (size_t)-1) {
			if (errno == EINVAL)
				return;         /* a lead byte: multibyte code page */
			cs->to_len[b] = 0;      /* no mapping */
			continue;
		}
		if (sizeof(outb) - ol == 0 || sizeof(outb) - ol > 4)
			return;
		cs->to_len[b] = (unsigned char)(sizeof(outb) - ol);
		memcpy(cs->to_utf8[b], outb, cs->to_len[b]);
		if (utf8_seq((const unsigned char *)outb, cs->to_len[b]) != cs->to_len[b])
			return;
		cs->rev[cs->n_rev].cp = utf8_cp((const unsigned char *)outb, cs->to_len[b]);
		cs->rev[cs->n_rev].b = (unsigned char)b;
		cs->n_rev++;
	}
	iconv(cs->to, NULL, NULL, NULL, NULL);
	qsort(cs->rev, cs->n_rev, sizeof(cs->rev[0]), cmp_rev);
	cs->sbcs = 1;
}

static int rev_lookup(const struct mf_charset *cs, uint32_t cp, unsigned char *b)
{
	size_t lo = 0, hi = cs->n_rev;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cs->rev[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cs->n_rev && cs->rev[lo].cp == cp) {
		*b = cs->rev[lo].b;
		return 1;
	}
	return 0;
}

int mf_charset_open(struct mf_charset **out, const char *codepage,
		    struct mf_diag *diag)
{
	const char *canon = mf_codepage_canonical(codepage);
	struct mf_charset *cs;

	*out = NULL;
	if (!canon)
		return mf_diag_set(diag, MF_ECHARSET, NULL, MF_NO_OFFSET,
				   "unknown code page '%s'", codepage ? codepage : "");
	cs = mf_xcalloc(1, sizeof(*cs));
	cs->name = canon;
	cs->is_utf8 = strcmp(canon, "UTF-8") == 0;
	cs->to = cs->from = (iconv_t)-1;
	if (!cs->is_utf8) {
		cs->to = iconv_open("UTF-8", canon);
		cs->from = iconv_open(canon, "UTF-8");
		if (cs->to == (iconv_t)-1 || cs->from == (iconv_t)-1) {
			mf_charset_free(&cs);
			return mf_diag_set(diag, MF_ECHARSET, NULL, MF_NO_OFFSET,
					   "code page '%s' is not available in this system's iconv",
					   canon);
		}
	}
	build_tables(cs);
	*out = cs;
	return MF_OK;
}

void mf_charset_free(struct mf_charset **pcs)
{
	struct mf_charset *cs = *pcs;
	if (!cs)
		return;
	if (cs->to != (iconv_t)-1)
		iconv_close(cs->to);
	if (cs->from != (iconv_t)-1)
		iconv_close(cs->from);
	free(cs);
	*pcs = NULL;
}

const char *mf_charset_name(const struct mf_charset *cs)
{
	return cs->name;
}

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 if ill-formed. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		if (c == 0xED && p[1] >= 0xA0)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

int mf_utf8_valid(const void *vp, size_t len)
{
	const unsigned char *p = vp;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static const char repl_utf8[] = "\xEF\xBF\xBD";

int mf_utf8_sanitize(const void *vp, size_t len, struct mf_buf *out,
		     size_t *replacements)
{
	const unsigned char *p = vp;
	size_t i = 0, run = 0;
	int rc;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		if ((rc = mf_buf_add(out, p + run, i - run)) < 0)
			return rc;
		if ((rc = mf_buf_add(out, repl_utf8, 3)) < 0)
			return rc;
		if (replacements)
			(*replacements)++;
		i++;
		run = i;
	}
	return mf_buf_add(out, p + run, i - run);
}

/* Leading run of ASCII bytes (they map to themselves in every code page we
 * open, so the converter can be skipped for them). */
static size_t ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

int mf_charset_to_utf8(struct mf_charset *cs, const void *vin, size_t len,
		       struct mf_buf *out, size_t *replacements)
{
	const unsigned char *in = vin;
	size_t pos = 0;
	int rc;

	if (cs->is_utf8)
		return mf_utf8_sanitize(in, len, out, replacements);
	if (cs->sbcs) {
		if ((rc = mf_buf_grow(out, len + len / 8)) < 0 && out->max - out->len < len)
			return rc;
		while (pos < len) {
			size_t a = ascii_prefix(in + pos, len - pos);
			if (a) {
				if ((rc = mf_buf_add(out, in + pos, a)) < 0)
					return rc;
				pos += a;
				continue;
			}
			if (cs->to_len[in[pos]]) {
				rc = mf_buf_add(out, cs->to_utf8[in[pos]], cs->to_len[in[pos]]);
			} else {
				rc = mf_buf_add(out, repl_utf8, 3);
				if (replacements)
					(*replacements)++;
			}
			if (rc < 0)
				return rc;
			pos++;
		}
		return MF_OK;
	}
	iconv(cs->to, NULL, NULL, NULL, NULL);
	while (pos < len) {
		size_t a = ascii_prefix(in + pos, len - pos);
		char *ip, *op;
		size_t il, ol, room, r;

		if (a) {
			if ((rc = mf_buf_add(out, in + pos, a)) < 0)
				return rc;
			pos += a;
			continue;
		}
		/* Convert a chunk that starts with a non-ASCII byte. */
		il = len - pos;
		if (il > 4096)
			il = 4096;
		room = il * 4 + 16;
		if ((rc = mf_buf_grow(out, room)) < 0) {
			room = out->max - out->len;
			if (room < 4)
				return rc;
			if (il > room / 4)
				il = room / 4;
			if ((rc = mf_buf_grow(out, room)) < 0)
				return rc;
		}
		ip = (char *)(in + pos);
		op = out->data + out->len;
		ol = room;
		r = iconv(cs->to, &ip, &il, &op, &ol);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		{
			size_t npos = (size_t)((const unsigned char *)ip - in);
			int progressed = npos > pos;
			pos = npos;
			if (r != (size_t)-1)
				continue;
			/* EINVAL with input left after the chunk: a pair split
			 * by the chunk boundary; the next chunk starts on it. */
			if (errno == EINVAL && pos + il < len && progressed)
				continue;
			if (errno == E2BIG && progressed)
				continue;
			/* no mapping, a truncated pair at the very end, or no
			 * progress at all: substitute one byte and go on */
			if ((rc = mf_buf_add(out, repl_utf8, 3)) < 0)
				return rc;
			if (replacements)
				(*replacements)++;
			pos++;
			iconv(cs->to, NULL, NULL, NULL, NULL);
		}
	}
	return MF_OK;
}

int mf_charset_from_utf8(struct mf_charset *cs, const char *vin, size_t len,
			 struct mf_buf *out, size_t *replacements, char repl)
{
	const unsigned char *in = (const unsigned char *)vin;
	size_t pos = 0;
	int rc;

	if (cs->is_utf8)
		return mf_utf8_sanitize(in, len, out, replacements);
	iconv(cs->from, NULL, NULL, NULL, NULL);
	while (pos < len) {
		size_t a = ascii_prefix(in + pos, len - pos);
		size_t n;
		char *ip, *op;
		size_t il, ol, r;
		char tmp[8];

		if (a) {
			if ((rc = mf_buf_add(out, in + pos, a)) < 0)
				return rc;
			pos += a;
			continue;
		}
		/* one character at a time: simple, and non-ASCII is rare */
		n = utf8_seq(in + pos, len - pos);
		if (n && cs->sbcs) {
			unsigned char b;
			if (rev_lookup(cs, utf8_cp(in + pos, n), &b)) {
				rc = mf_buf_addch(out, b);
			} else {
				rc = mf_buf_addch(out, repl);
				if (replacements)
					(*replacements)++;
			}
			if (rc < 0)
				return rc;
			pos += n;
			continue;
		}
		if (!n) {
			if ((rc = mf_buf_addch(out, repl)) < 0)
				return rc;
			if (replacements)
				(*replacements)++;
			pos++;
			continue;
		}
		ip = (char *)(in + pos);
		il = n;
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cs->from, &ip, &il, &op, &ol);
		if (r != 0) {
			/* (size_t)-1: no mapping; above 0: an approximate conversion */
			iconv(cs->from, NULL, NULL, NULL, NULL);
			if ((rc = mf_buf_addch(out, repl)) < 0)
				return rc;
			if (replacements)
				(*replacements)++;
		} else if ((rc = mf_buf_add(out, tmp, sizeof(tmp) - ol)) < 0) {
			return rc;
		}
		pos += n;
	}
	return MF_OK;
}

const char *mf_charset_suspect(const char *declared, const void *vp, size_t len)
{
	const unsigned char *p = vp;
	const char *canon = mf_codepage_canonical(declared);
	size_t high = 0, box = 0, c1 = 0, letters = 0;

	if (!canon)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned c = p[i];
		if (c >= 'A' && c <= 'z')
			letters++;
		if (c < 0x80)
			continue;
		high++;
		if (c >= 0xB0 && c <= 0xDF)
			box++;
		if (c <= 0x9F)
			c1++;
	}
	if (high < 8 || letters < 4 * high)
		return NULL;
	/* OEM code pages: 0xB0-0xDF are box drawing and blocks, rare in
	 * prose; in the Windows/ISO pages the same bytes are accented
	 * letters (à..ß), which prose in Western languages is full of. */
	if ((!strcmp(canon, "CP437") || !strcmp(canon, "CP850") ||
	     !strcmp(canon, "CP852")) && box * 2 > high)
		return "many box-drawing bytes (0xB0-0xDF) in prose: the text looks like a Windows code page (1252)";
	/* Windows pages: 0x80-0x9F are curly quotes, dashes and the like,
	 * never the bulk of the accented text. */
	if (!strcmp(canon, "CP1252") && c1 * 2 > high)
		return "most high bytes are 0x80-0x9F: the text looks like a DOS code page (850 or 437)";
	return NULL;
}
