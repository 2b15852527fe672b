/* SPDX-License-Identifier: MIT */
/* utf7.c: IMAP modified UTF-7 (RFC 3501 5.1.3), see utf7.h. */
#include "core/utf7.h"
#include "core/charset.h"
#include "core/mf.h"

#include <stdint.h>

static const char B64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Decode one code point of well-formed UTF-8 at s[*i] (validated before). */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp;
	int more;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xF0) {
		cp = c & 0x07;
		more = 3;
	} else if (c >= 0xE0) {
		cp = c & 0x0F;
		more = 2;
	} else {
		cp = c & 0x1F;
		more = 1;
	}
	(*i)++;
	while (more-- && *i < len)
		cp = (cp << 6) | (s[(*i)++] & 0x3F);
	return cp;
}

static int direct(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e;
}

int mf_utf7_imap_encode(struct mf_buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int rc;

	if (!mf_utf8_valid(s, len))
		return MF_EFORMAT;
	while (i < len) {
		uint32_t cp = utf8_next(u, len, &i);
		uint32_t bits = 0;
		int nbits = 0;

		if (direct(cp)) {
			if ((rc = mf_buf_addch(out, (int)cp)) < 0)
				return rc;
			if (cp == '&' && (rc = mf_buf_addch(out, '-')) < 0)
				return rc;
			continue;
		}
		/* a run of characters that need encoding */
		if ((rc = mf_buf_addch(out, '&')) < 0)
			return rc;
		for (;;) {
			uint16_t units[2];
			int nu = 0;
			if (cp >= 0x10000) {
				uint32_t v = cp - 0x10000;
				units[nu++] = (uint16_t)(0xD800 | (v >> 10));
				units[nu++] = (uint16_t)(0xDC00 | (v & 0x3FF));
			} else {
				units[nu++] = (uint16_t)cp;
			}
			for (int k = 0; k < nu; k++) {
				bits = (bits << 16) | units[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					if ((rc = mf_buf_addch(out, B64[(bits >> nbits) & 0x3F])) < 0)
						return rc;
				}
				bits &= (1u << nbits) - 1;
			}
			if (i >= len)
				break;
			{
				size_t j = i;
				uint32_t next = utf8_next(u, len, &j);
				if (direct(next))
					break;
				cp = next;
				i = j;
			}
		}
		if (nbits > 0 && (rc = mf_buf_addch(out, B64[(bits << (6 - nbits)) & 0x3F])) < 0)
			return rc;
		if ((rc = mf_buf_addch(out, '-')) < 0)
			return rc;
	}
	return MF_OK;
}

static int put_utf8(struct mf_buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return mf_buf_add(out, b, n);
}

int mf_utf7_imap_decode(struct mf_buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int rc;

	while (i < len) {
		unsigned char c = u[i];
		uint32_t bits = 0, high = 0;
		int nbits = 0, any = 0;

		if (c < 0x20 || c > 0x7e)
			return MF_EFORMAT;
		if (c != '&') {
			if ((rc = mf_buf_addch(out, c)) < 0)
				return rc;
			i++;
			continue;
		}
		i++;
		if (i < len && u[i] == '-') {
			if ((rc = mf_buf_addch(out, '&')) < 0)
				return rc;
			i++;
			continue;
		}
		for (;;) {
			int v;
			if (i >= len)
				return MF_EFORMAT;      /* unterminated */
			if (u[i] == '-') {
				i++;
				break;
			}
			v = b64_value(u[i]);
			if (v < 0)
				return MF_EFORMAT;
			i++;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits >= 16) {
				uint32_t unit;
				nbits -= 16;
				unit = (bits >> nbits) & 0xFFFF;
				bits &= (1u << nbits) - 1;
				any = 1;
				if (high) {
					if (unit < 0xDC00 || unit > 0xDFFF)
						return MF_EFORMAT;
					rc = put_utf8(out, 0x10000 + ((high - 0xD800) << 10) +
							   (unit - 0xDC00));
					high = 0;
				} else if (unit >= 0xD800 && unit <= 0xDBFF) {
					high = unit;
					continue;
				} else if (unit >= 0xDC00 && unit <= 0xDFFF) {
					return MF_EFORMAT;
				} else if (direct(unit)) {
					return MF_EFORMAT;  /* not canonical */
				} else {
					rc = put_utf8(out, unit);
				}
				if (rc < 0)
					return rc;
			}
		}
		if (!any || high || nbits >= 6 || bits != 0)
			return MF_EFORMAT;
	}
	return MF_OK;
}
