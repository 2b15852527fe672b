/* SPDX-License-Identifier: MIT */
/* addr.c: splitting cc:Mail, MS Mail and typed addresses (see addr.h). */
#include "core/addr.h"
#include "core/alias.h"

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

/* ---- rendering: a legacy address in RFC 5322 form ---- */

#define SP(span) ((const char *)(span).p)

/* An addr-spec we can pass on as it is: one '@', both sides non-empty,
 * printable ASCII without spaces or specials that need quoting. */
static int smtp_usable(const char *s, size_t n)
{
	const char *at;
	if (n < 3 || n > 254)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\\",;:", c))
			return 0;
	}
	at = memchr(s, '@', n);
	if (!at || at == s || at == s + n - 1)
		return 0;
	if (memchr(at + 1, '@', (size_t)(s + n - at - 1)))
		return 0;
	if (s[0] == '.' || at[-1] == '.' || at[1] == '.' || s[n - 1] == '.')
		return 0;
	for (const char *p = s; p + 1 < s + n; p++)
		if (p[0] == '.' && p[1] == '.')
			return 0;
	return 1;
}

/* Local part from any text: ASCII-folded, atext kept except the few that
 * trouble tools, everything else '_', runs of '_' collapsed, at most 64. */
static int add_local(struct mf_buf *out, const char *s, size_t n)
{
	struct mf_buf f;
	size_t start = out->len, k = 0;
	int rc;

	mf_buf_init(&f, MF_BUF_LINE_MAX);
	mf_ascii_fold(&f, s, n, '_');
	for (size_t i = 0; i < f.len && k < 64; i++) {
		unsigned char c = (unsigned char)f.data[i];
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '=' ||
			   c == '.';
		char ch = keep ? (char)c : '_';
		if (ch == '_' && out->len > start && out->data[out->len - 1] == '_')
			continue;
		if (ch == '.' && (out->len == start || out->data[out->len - 1] == '.' ||
				  out->data[out->len - 1] == '_'))
			ch = '_';
		if (ch == '_' && out->len > start && out->data[out->len - 1] == '_')
			continue;
		if ((rc = mf_buf_addch(out, ch)) < 0) {
			mf_buf_release(&f);
			return rc;
		}
		k++;
	}
	mf_buf_release(&f);
	/* no leading or trailing '_' or '.' */
	while (out->len > start && (out->data[out->len - 1] == '_' || out->data[out->len - 1] == '.'))
		mf_buf_truncate(out, out->len - 1);
	if (out->len > start && out->data[start] == '_') {
		size_t skip = 0;
		while (start + skip < out->len && out->data[start + skip] == '_')
			skip++;
		memmove(out->data + start, out->data + start + skip, out->len - start - skip);
		mf_buf_truncate(out, out->len - skip);
	}
	if (out->len == start)
		return mf_buf_addstr(out, "unknown");
	return MF_OK;
}

/* A domain label: letters, digits and '-', at most 63, never empty. */
static int add_label(struct mf_buf *out, const char *s, size_t n)
{
	size_t start = out->len;
	int rc;
	for (size_t i = 0; i < n && out->len - start < 63; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')) ? (char)c : '-';
		if (ch == '-' && (out->len == start || out->data[out->len - 1] == '-'))
			continue;
		if ((rc = mf_buf_addch(out, ch)) < 0)
			return rc;
	}
	while (out->len > start && out->data[out->len - 1] == '-')
		mf_buf_truncate(out, out->len - 1);
	if (out->len == start)
		return mf_buf_addstr(out, "unknown");
	return MF_OK;
}

static int add_span(struct mf_buf *b, struct mf_span s)
{
	return mf_buf_add(b, s.p, s.len);
}

/* The post office of the mailbox's own cc:Mail address ("CCMAIL:Name at PO"). */
static struct mf_span mailbox_po(const char *home)
{
	struct mf_span none = { NULL, 0 };
	struct mf_typedaddr t;
	struct mf_ccaddr c;

	if (!home)
		return none;
	if (mf_typedaddr_parse(&t, home, strlen(home)) < 0)
		return none;
	if (mf_ccaddr_parse(&c, SP(t.address), t.address.len) < 0)
		return none;
	return c.po;
}

static int trimmed_empty(const char *s)
{
	if (!s)
		return 1;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

/* Address types a "TYPE:" prefix in raw text may name (canonical forms). */
static int known_type(const char *canon)
{
	static const char *const known[] = {
		"SMTP", "CCMAIL", "MS", "X400", "X500", "FAX", "MHS", "PROFS", "SNADS", "OV",
		"MCI", "ATT", "INTERNET", "RFC822", "NOTES", "EX", "MSA", "MSN", "CCMAIL",
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(known); i++)
		if (!strcmp(canon, known[i]))
			return 1;
	return 0;
}

enum atype { AT_NONE, AT_SMTP, AT_CCMAIL, AT_MS, AT_OTHER };

static enum atype classify(const char *canon)
{
	if (!canon || !*canon)
		return AT_NONE;
	if (!strcmp(canon, "SMTP") || !strcmp(canon, "INTERNET") || !strcmp(canon, "RFC822") ||
	    !strcmp(canon, "EX"))
		return AT_SMTP;
	if (!strcmp(canon, "CCMAIL"))
		return AT_CCMAIL;
	if (!strcmp(canon, "MS"))
		return AT_MS;
	return AT_OTHER;
}

int mf_addr_render(struct mf_buf *name_out, struct mf_buf *addr_out, const char *display,
		   const char *type, const char *address, const char *raw, const char *home,
		   const char *domain)
{
	const char *nd = domain && *domain ? domain : "invalid";
	char canon[24];
	const char *a;
	size_t alen;
	enum atype at;
	struct mf_typedaddr ta;
	struct mf_span nm = { NULL, 0 };   /* name to use when display is empty */

	canon[0] = '\0';
	if (!trimmed_empty(address)) {
		a = address;
		if (type && *type)
			mf_addrtype_canonical(canon, type, strlen(type));
	} else if (!trimmed_empty(raw)) {
		a = raw;
	} else {
		return MF_EFORMAT;
	}
	alen = strlen(a);
	/* "TYPE:address" inside the text wins when no type was given */
	if (!canon[0] && mf_typedaddr_parse(&ta, a, alen) == MF_OK && ta.type.len) {
		char c2[24];
		mf_addrtype_canonical(c2, SP(ta.type), ta.type.len);
		if (known_type(c2)) {
			memcpy(canon, c2, sizeof(canon));
			a = SP(ta.address);
			alen = ta.address.len;
		}
	}
	while (alen && (*a == ' ' || *a == '\t')) {
		a++;
		alen--;
	}
	while (alen && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
		alen--;
	at = classify(canon);
	if (at == AT_NONE) {
		struct mf_msaddr ms;
		struct mf_ccaddr cc;
		if (smtp_usable(a, alen))
			at = AT_SMTP;
		else if (memchr(a, '/', alen) && mf_msaddr_parse(&ms, a, alen) == MF_OK)
			at = AT_MS;
		else if (mf_ccaddr_parse(&cc, a, alen) == MF_OK)
			at = AT_CCMAIL;
		else
			at = AT_OTHER;
	}
	mf_buf_reset(name_out);
	mf_buf_reset(addr_out);

	if (at == AT_CCMAIL) {
		struct mf_ccaddr cc;
		if (mf_ccaddr_parse(&cc, a, alen) == MF_OK) {
			if (cc.internet && smtp_usable(SP(cc.name), cc.name.len)) {
				add_span(addr_out, cc.name);
			} else {
				struct mf_span po = cc.po.len ? cc.po : mailbox_po(home);
				const char *n = SP(cc.name);
				size_t nl = cc.name.len;
				if (cc.kind == MF_CCADDR_BBOARD && nl && *n == '#') {
					n++;
					nl--;
				}
				add_local(addr_out, n, nl);
				mf_buf_addch(addr_out, '@');
				add_label(addr_out, po.p ? SP(po) : "local", po.p ? po.len : 5);
				mf_buf_addf(addr_out, ".ccmail.%s", nd);
				nm = cc.name;
			}
		} else {
			at = AT_OTHER;
		}
	} else if (at == AT_MS) {
		struct mf_msaddr ms;
		if (mf_msaddr_parse(&ms, a, alen) == MF_OK) {
			add_local(addr_out, SP(ms.mailbox), ms.mailbox.len);
			mf_buf_addch(addr_out, '@');
			add_label(addr_out, SP(ms.postoffice), ms.postoffice.len);
			mf_buf_addch(addr_out, '.');
			add_label(addr_out, SP(ms.network), ms.network.len);
			mf_buf_addf(addr_out, ".msmail.%s", nd);
			nm = ms.mailbox;
		} else {
			at = AT_OTHER;
		}
	} else if (at == AT_SMTP) {
		if (smtp_usable(a, alen))
			mf_buf_add(addr_out, a, alen);
		else
			at = AT_OTHER;
	}
	if (at == AT_OTHER) {
		mf_buf_reset(addr_out);
		add_local(addr_out, a, alen);
		mf_buf_addch(addr_out, '@');
		if (canon[0]) {
			for (char *p = canon; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			add_label(addr_out, canon, strlen(canon));
		} else {
			mf_buf_addstr(addr_out, "unknown");
		}
		mf_buf_addf(addr_out, ".%s", nd);
		nm.p = (const unsigned char *)a;
		nm.len = alen;
	}
	if (!trimmed_empty(display))
		mf_buf_addstr(name_out, display);
	else if (nm.len)
		add_span(name_out, nm);
	return addr_out->len ? MF_OK : MF_EFORMAT;
}
