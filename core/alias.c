/* SPDX-License-Identifier: MIT */
/* alias.c: ASCII folding and alias formation (see alias.h). */
#include "core/alias.h"

#include <stdio.h>
#include <string.h>

/* ASCII look-alikes for U+00A0..U+017F; "" drops the character. */
static const char *const fold_a0[] = {
	/* A0 */ " ", "!", "c", "L", "", "Y", "|", "S", "", "C", "a", "", "", "", "R", "",
	/* B0 */ "", "", "2", "3", "", "u", "P", "", "", "1", "o", "", "", "", "", "?",
	/* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
	/* D0 */ "D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
	/* 110 */ "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
	/* 120 */ "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
	/* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
	/* 140 */ "l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o",
	/* 150 */ "O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
	/* 160 */ "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
	/* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

/* Decode one UTF-8 character; returns its length (1 for an invalid byte,
 * with *cp = 0xFFFD). */
static size_t utf8_next(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF && n >= 2 && (p[1] & 0xC0) == 0x80) {
		*cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF && n >= 3 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80) {
		*cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (p[1] & 0xC0) == 0x80 &&
	    (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
		*cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
		      ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		return 4;
	}
	*cp = 0xFFFD;
	return 1;
}

int mf_ascii_fold(struct mf_buf *out, const char *utf8, size_t len, char other)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t i = 0;
	int rc = MF_OK;

	while (i < len && rc == MF_OK) {
		unsigned cp;
		i += utf8_next(p + i, len - i, &cp);
		if (cp < 0x80)
			rc = mf_buf_addch(out, (int)cp);
		else if (cp >= 0xA0 && cp <= 0x17F)
			rc = mf_buf_addstr(out, fold_a0[cp - 0xA0]);
		else if (cp == 0x2018 || cp == 0x2019)
			rc = mf_buf_addch(out, '\'');
		else if (cp == 0x201C || cp == 0x201D)
			rc = mf_buf_addch(out, '"');
		else if (cp == 0x2013 || cp == 0x2014)
			rc = mf_buf_addch(out, '-');
		else if (other)
			rc = mf_buf_addch(out, other);
	}
	return rc;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

void mf_name_split(const char *name, const char **given, size_t *given_len,
		   const char **sur, size_t *sur_len)
{
	size_t n = strlen(name), a = 0, b = n;
	const char *comma;

	while (a < b && is_blank(name[a]))
		a++;
	while (b > a && is_blank(name[b - 1]))
		b--;
	*given = *sur = name + a;
	*given_len = *sur_len = 0;
	comma = memchr(name + a, ',', b - a);
	if (comma) {
		size_t s0 = a, s1 = (size_t)(comma - name), g0 = s1 + 1, g1 = b;
		while (s1 > s0 && is_blank(name[s1 - 1]))
			s1--;
		while (g0 < g1 && is_blank(name[g0]))
			g0++;
		*sur = name + s0;
		*sur_len = s1 - s0;
		*given = name + g0;
		*given_len = g1 - g0;
		return;
	}
	{
		size_t k = b;
		while (k > a && !is_blank(name[k - 1]))
			k--;
		*sur = name + k;
		*sur_len = b - k;
		if (k > a) {
			size_t g1 = k;
			while (g1 > a && is_blank(name[g1 - 1]))
				g1--;
			*given = name + a;
			*given_len = g1 - a;
		}
	}
}

/* Folded letters and digits of s into out (bounded by cap). */
static size_t alnum_fold(char *out, size_t cap, const char *s, size_t len)
{
	struct mf_buf b;
	size_t n = 0;

	mf_buf_init(&b, 4096);
	if (mf_ascii_fold(&b, s, len > 1024 ? 1024 : len, 0) < 0) {
		mf_buf_release(&b);
		return 0;
	}
	for (size_t i = 0; i < b.len && n < cap; i++) {
		char c = b.data[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
	}
	mf_buf_release(&b);
	return n;
}

size_t mf_alias_base(char out[MF_ALIAS_MAX + 1], const char *given,
		     const char *surname, const char *name)
{
	size_t n = 0;

	if (surname && *surname)
		n = alnum_fold(out, MF_ALIAS_MAX, surname, strlen(surname));
	if (n) {
		char g[8];
		if (given && *given && alnum_fold(g, 1, given, strlen(given)) == 1) {
			if (n == MF_ALIAS_MAX)
				n--;
			out[n++] = g[0];
		}
	} else if (name) {
		n = alnum_fold(out, MF_ALIAS_MAX, name, strlen(name));
	}
	out[n] = '\0';
	return n;
}

int mf_alias_unique_from(char out[MF_ALIAS_MAX + 1], unsigned *k_io, const char *base,
			 int (*taken)(const char *alias, void *payload), void *payload)
{
	size_t blen = strlen(base);
	unsigned k = *k_io;

	if (blen == 0 || blen > MF_ALIAS_MAX)
		return MF_ENOTFOUND;
	if (k < 2) {
		snprintf(out, MF_ALIAS_MAX + 1, "%s", base);
		if (!taken(out, payload)) {
			*k_io = 1;
			return MF_OK;
		}
		k = 2;
	}
	for (; k < 100000; k++) {
		char suf[8];
		int sl = snprintf(suf, sizeof(suf), "%u", k);
		size_t keep = blen;
		if (keep + (size_t)sl > MF_ALIAS_MAX)
			keep = MF_ALIAS_MAX - (size_t)sl;
		snprintf(out, MF_ALIAS_MAX + 1, "%.*s%s", (int)keep, base, suf);
		if (!taken(out, payload)) {
			*k_io = k;
			return MF_OK;
		}
	}
	out[0] = '\0';
	return MF_ENOTFOUND;
}

int mf_alias_unique(char out[MF_ALIAS_MAX + 1], const char *base,
		    int (*taken)(const char *alias, void *payload), void *payload)
{
	unsigned k = 0;
	return mf_alias_unique_from(out, &k, base, taken, payload);
}

int mf_alias_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MF_ALIAS_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
