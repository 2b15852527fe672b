/* SPDX-License-Identifier: MIT */
/* addr.c: splitting cc:Mail, MS Mail and typed addresses (see addr.h). */
#include "core/addr.h"

#include <string.h>

static int is_sp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static struct mf_span span(const char *p, size_t n)
{
	struct mf_span s = { (const unsigned char *)p, n };
	return s;
}

/* Position of the next " at " word at or after from (the index of the
 * leading blank), or len if none. */
static size_t find_at(const char *s, size_t len, size_t from)
{
	for (size_t i = from; i + 4 <= len; i++) {
		if (is_sp((unsigned char)s[i]) && lower((unsigned char)s[i + 1]) == 'a' &&
		    lower((unsigned char)s[i + 2]) == 't' && is_sp((unsigned char)s[i + 3]))
			return i;
	}
	return len;
}

int mf_ccaddr_parse(struct mf_ccaddr *out, const char *s, size_t len)
{
	struct mf_span all = mf_span_trim(span(s, len));
	const char *t = (const char *)all.p;
	size_t n = all.len, at = n, i;

	memset(out, 0, sizeof(*out));
	out->name = all;
	out->po = span(t + n, 0);
	/* a leading "at PO" (the blank before it was trimmed away) */
	if (n >= 3 && lower((unsigned char)t[0]) == 'a' && lower((unsigned char)t[1]) == 't' &&
	    is_sp((unsigned char)t[2])) {
		out->kind = MF_CCADDR_DAMAGED;
		out->name = span(t, 0);
		out->po = mf_span_trim(span(t + 3, n - 3));
		return MF_EFORMAT;
	}
	/* the last " at " */
	for (i = find_at(t, n, 0); i < n; i = find_at(t, n, i + 1))
		at = i;
	if (at < n) {
		out->name = mf_span_trim(span(t, at));
		out->po = mf_span_trim(span(t + at + 4, n - at - 4));
	}
	if (out->name.len == 0) {
		out->kind = MF_CCADDR_DAMAGED;
		return MF_EFORMAT;
	}
	if (out->name.p[0] == '#')
		out->kind = MF_CCADDR_BBOARD;
	out->internet = memchr(out->name.p, '@', out->name.len) != NULL;
	if (at < n && out->po.len == 0) {
		/* "Name at" with nothing after: keep it as a name-only address */
		out->name = all;
	}
	return MF_OK;
}

int mf_ccaddr_split(struct mf_span *parts, size_t max, size_t *n,
		    const char *s, size_t len)
{
	size_t start = 0, count = 0, i = 0;

	while (start < len) {
		size_t at = find_at(s, len, i), cut = len, next = len;
		if (at < len) {
			/* the post office runs to the next ", " */
			for (size_t j = at + 4; j + 1 < len; j++) {
				if (s[j] == ',' && is_sp((unsigned char)s[j + 1])) {
					cut = j;
					next = j + 2;
					break;
				}
			}
		}
		{
			struct mf_span p = mf_span_trim(span(s + start, cut - start));
			if (p.len) {
				if (count < max)
					parts[count] = p;
				count++;
			}
		}
		if (cut >= len)
			break;
		start = next;
		i = next;
	}
	*n = count;
	return MF_OK;
}

int mf_typedaddr_parse(struct mf_typedaddr *out, const char *s, size_t len)
{
	struct mf_span all = mf_span_trim(span(s, len));
	size_t i = 0;

	out->type = span((const char *)all.p, 0);
	out->address = all;
	while (i < all.len && i <= 16) {
		unsigned char c = all.p[i];
		if (c == ':')
			break;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			break;
		i++;
	}
	if (i > 0 && i <= 16 && i < all.len && all.p[i] == ':') {
		out->type = span((const char *)all.p, i);
		out->address = mf_span_trim(span((const char *)all.p + i + 1, all.len - i - 1));
	}
	return out->address.len ? MF_OK : MF_EFORMAT;
}

const char *mf_addrtype_canonical(char out[24], const char *type, size_t len)
{
	size_t i;
	if (len > 23)
		len = 23;
	for (i = 0; i < len; i++) {
		char c = type[i];
		out[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	out[i] = '\0';
	if (!strcmp(out, "PCM") || !strcmp(out, "CSI") || !strcmp(out, "MS") ||
	    !strcmp(out, "MSMAIL"))
		strcpy(out, "MS");
	else if (!strcmp(out, "CCMAIL") || !strcmp(out, "CC:MAIL"))
		strcpy(out, "CCMAIL");
	return out;
}

int mf_msaddr_parse(struct mf_msaddr *out, const char *s, size_t len)
{
	struct mf_span all = mf_span_trim(span(s, len));
	struct mf_span part[3];
	size_t k = 0, start = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i <= all.len; i++) {
		if (i == all.len || all.p[i] == '/' || all.p[i] == '\\') {
			if (k == 3)
				return MF_EFORMAT;
			part[k++] = span((const char *)all.p + start, i - start);
			start = i + 1;
		}
	}
	if (k != 3)
		return MF_EFORMAT;
	for (k = 0; k < 3; k++) {
		if (part[k].len == 0)
			return MF_EFORMAT;
		for (size_t i = 0; i < part[k].len; i++)
			if (is_sp(part[k].p[i]) || part[k].p[i] < 0x20)
				return MF_EFORMAT;
		if (part[k].len > 10)
			out->overlong = 1;
	}
	out->network = part[0];
	out->postoffice = part[1];
	out->mailbox = part[2];
	return MF_OK;
}

int mf_addr_eq_ci(struct mf_span a, struct mf_span b)
{
	if (a.len != b.len)
		return 0;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return 0;
	return 1;
}
