/* SPDX-License-Identifier: MIT */
/* exch_write.c: bytes of the Exchange migration files (see exch_write.h). */
#include "exporters/exchange/exch_write.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static int needs_quotes(const char *v, size_t len, unsigned q)
{
	if (q & EXW_DIRECTORY) {
		if (memchr(v, '\\', len))
			return 1;
	}
	if (len && (v[0] == ' ' || v[len - 1] == ' ' || v[0] == '\t' || v[len - 1] == '\t'))
		return 1;
	if (len && v[len - 1] == '\\')
		return 1;
	for (size_t i = 0; i < len; i++) {
		switch (v[i]) {
		case ';':
			if (!(q & EXW_MULTI))
				return 1;
			break;
		case ',': case '"': case '%': case '#': case '!': case '\\':
			return 1;
		case '.':
			if (q & EXW_DOTS)
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

int exw_field(struct mf_buf *line, const char *v, size_t len, unsigned q, int first)
{
	int rc = MF_OK;

	if (!first && (rc = mf_buf_addch(line, ',')) < 0)
		return rc;
	if (!v || !len)
		return MF_OK;
	if (q & EXW_NEVER)
		return mf_buf_add(line, v, len);
	if (q & EXW_FOLDER) {
		if (v[0] != '#' && v[0] != '!')
			return mf_buf_add(line, v, len);
	} else if (!needs_quotes(v, len, q)) {
		return mf_buf_add(line, v, len);
	}
	if ((rc = mf_buf_addch(line, '"')) < 0)
		return rc;
	for (size_t i = 0; i < len && rc == MF_OK; i++) {
		if (v[i] == '"')
			rc = mf_buf_add(line, "\"\"", 2);
		else if (v[i] == '\\' && (q & EXW_DIRECTORY))
			rc = mf_buf_add(line, "\\\\", 2);
		else
			rc = mf_buf_addch(line, v[i]);
	}
	if (rc == MF_OK)
		rc = mf_buf_addch(line, '"');
	return rc;
}

int exw_fieldz(struct mf_buf *line, const char *v, unsigned quote, int first)
{
	return exw_field(line, v, v ? strlen(v) : 0, quote, first);
}

int exw_eol(struct mf_buf *line)
{
	return mf_buf_add(line, "\r\n", 2);
}

int exw_sec_write(struct exw_sec *s, const void *p, size_t n)
{
	if (s->err)
		return MF_EIO;
	if (n && fwrite(p, 1, n, s->f) != n) {
		s->err = errno ? errno : EIO;
		return MF_EIO;
	}
	s->off += n;
	return MF_OK;
}

int exw_sec_begin(struct exw_sec *s, FILE *f)
{
	s->f = f;
	s->off = 0;
	s->err = 0;
	return exw_sec_write(s, EXW_SEC_HEADER, sizeof(EXW_SEC_HEADER) - 1);
}

int exw_sec_section(struct exw_sec *s, uint64_t *off_out, const char *type,
		    const void *data, size_t len, int islast, const char *name,
		    int64_t position, const char *format)
{
	struct mf_buf h;
	int rc;
	char num[32];

	mf_buf_init(&h, 64 * 1024);
	if (off_out)
		*off_out = s->off;
	exw_fieldz(&h, type, EXW_NEVER, 1);
	snprintf(num, sizeof(num), "%zu", len);
	exw_fieldz(&h, num, EXW_NEVER, 0);
	exw_field(&h, NULL, 0, EXW_NEVER, 0);                 /* Encoding: reserved */
	exw_fieldz(&h, islast ? "TRUE" : "FALSE", EXW_NEVER, 0);
	exw_fieldz(&h, name, EXW_DOTS, 0);
	if (position != EXW_NOPOS) {
		snprintf(num, sizeof(num), "%" PRId64, position);
		exw_fieldz(&h, num, EXW_NEVER, 0);
	} else {
		exw_field(&h, NULL, 0, EXW_NEVER, 0);
	}
	exw_fieldz(&h, format, EXW_NEVER, 0);
	if ((rc = exw_eol(&h)) == MF_OK &&
	    (rc = exw_sec_write(s, h.data, h.len)) == MF_OK &&
	    (rc = exw_sec_write(s, data, len)) == MF_OK && len)
		rc = exw_sec_write(s, "\r\n", 2);
	mf_buf_release(&h);
	return rc;
}

int exw_pointer(struct mf_buf *out, const char *sec_name, uint64_t off)
{
	return mf_buf_addf(out, "#%s(%" PRIu64 ")", sec_name, off);
}

/* UTF-8 of one line: controls out, CR/LF/TAB to spaces. */
static int clean_line(struct mf_buf *tmp, const char *s, size_t len)
{
	int rc = MF_OK;
	for (size_t i = 0; i < len && rc == MF_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n' || c == '\t')
			rc = mf_buf_addch(tmp, ' ');
		else if (c < 0x20 || c == 0x7f)
			continue;
		else
			rc = mf_buf_addch(tmp, c);
	}
	return rc;
}

int exw_encode_line(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t len, size_t *repl)
{
	struct mf_buf tmp;
	int rc;
	if (!utf8)
		return MF_OK;
	mf_buf_init(&tmp, MF_BUF_TEXT_MAX);
	rc = clean_line(&tmp, utf8, len);
	if (rc == MF_OK)
		rc = mf_charset_from_utf8(cs, tmp.data, tmp.len, out, repl, '?');
	mf_buf_release(&tmp);
	return rc;
}

int exw_encode_text(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t len, size_t *repl)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t i = 0;
	int rc;

	if (!utf8)
		return MF_OK;
	if ((rc = mf_buf_grow(out, len + len / 16 + 16)) < 0)
		return rc;
	while (i < len) {
		size_t run = i;
		/* plain ASCII up to the next line end or non-ASCII byte: as is */
		while (i < len && p[i] < 0x80 && p[i] != '\r' && p[i] != '\n')
			i++;
		if (i > run && (rc = mf_buf_add(out, p + run, i - run)) < 0)
			return rc;
		if (i >= len)
			break;
		if (p[i] == '\r' || p[i] == '\n') {
			/* every line end becomes CR LF */
			if ((rc = mf_buf_add(out, "\r\n", 2)) < 0)
				return rc;
			if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
				i++;
			i++;
			continue;
		}
		/* a run of non-ASCII text through the code page */
		run = i;
		while (i < len && p[i] >= 0x80)
			i++;
		if ((rc = mf_charset_from_utf8(cs, utf8 + run, i - run, out, repl, '?')) < 0)
			return rc;
	}
	return MF_OK;
}

int exw_encode_name(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t *repl)
{
	struct mf_buf tmp;
	int rc;
	size_t start = out->len;

	if (!utf8)
		return MF_OK;
	mf_buf_init(&tmp, MF_BUF_TEXT_MAX);
	rc = exw_encode_line(&tmp, cs, utf8, strlen(utf8), repl);
	for (size_t i = 0; i < tmp.len && rc == MF_OK; i++) {
		char c = tmp.data[i];
		if (c == '"')
			continue;
		rc = mf_buf_addch(out, c == ';' ? ',' : c);
	}
	mf_buf_release(&tmp);
	/* trim blanks left at either end */
	while (out->len > start && out->data[out->len - 1] == ' ')
		mf_buf_truncate(out, out->len - 1);
	return rc;
}

int exw_encode_filename(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
			const char *default_ext)
{
	struct mf_buf tmp, enc;
	const char *last = utf8 ? utf8 : "";
	size_t n, keep;
	int rc = MF_OK;
	const char *dot;

	for (const char *p = last; *p; p++)
		if (*p == '/' || *p == '\\' || *p == ':')
			last = p + 1;
	mf_buf_init(&tmp, 4096);
	mf_buf_init(&enc, 4096);
	for (const char *p = last; *p && rc == MF_OK; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || strchr("#();,\\/:*?\"<>|", c))
			rc = mf_buf_addch(&tmp, '_');
		else
			rc = mf_buf_addch(&tmp, c);
		if (tmp.len > 1024)
			break;
	}
	/* '?' is forbidden in names: replace what the code page cannot hold with '_' */
	if (rc == MF_OK)
		rc = mf_charset_from_utf8(cs, tmp.data, tmp.len, &enc, NULL, '_');
	n = enc.len;
	while (n && (enc.data[n - 1] == '.' || enc.data[n - 1] == ' '))
		n--;
	keep = 0;
	while (keep < n && (enc.data[keep] == '.' || enc.data[keep] == ' '))
		keep++;
	{
		const char *s = enc.data + keep;
		size_t len = n - keep;
		char ext[32] = "";
		dot = len ? memrchr(s, '.', len) : NULL;
		if (!len) {
			s = "attachment";
			len = strlen(s);
			dot = NULL;
		}
		if (!dot || (size_t)(s + len - dot) > 16 || dot == s) {
			snprintf(ext, sizeof(ext), ".%s", default_ext ? default_ext : "dat");
			dot = NULL;
		} else {
			snprintf(ext, sizeof(ext), "%.*s", (int)(s + len - dot), dot);
			len = (size_t)(dot - s);
		}
		if (len + strlen(ext) > 64)
			len = 64 - strlen(ext);
		if (rc == MF_OK)
			rc = mf_buf_add(out, s, len);
		if (rc == MF_OK)
			rc = mf_buf_addstr(out, ext);
	}
	mf_buf_release(&tmp);
	mf_buf_release(&enc);
	return rc;
}

int exw_encode_folder_level(struct mf_buf *out, struct mf_charset *cs,
			    const char *utf8, size_t len, size_t *repl)
{
	struct mf_buf tmp;
	int rc = MF_OK;
	mf_buf_init(&tmp, 4096);
	for (size_t i = 0; i < len && rc == MF_OK; i++) {
		char c = utf8[i];
		if (c == ',' || c == '"' || c == '\\')
			continue;
		rc = mf_buf_addch(&tmp, c);
	}
	if (rc == MF_OK)
		rc = exw_encode_line(out, cs, tmp.data, tmp.len, repl);
	mf_buf_release(&tmp);
	return rc;
}

const char *exw_codepage_number(const char *canonical)
{
	if (!canonical || !strncmp(canonical, "UTF", 3))
		return NULL;
	if (!strncmp(canonical, "CP", 2))
		return canonical + 2;
	if (!strcmp(canonical, "MACINTOSH"))
		return "10000";
	if (!strcmp(canonical, "ISO-8859-1"))
		return "28591";
	if (!strcmp(canonical, "ASCII"))
		return "20127";
	return NULL;
}

const char EXW_PAB_HEADER[] =
	"Obj-class,Display-Name,Email-Address,First,Last,Address,City,State,Zip,Country,\\\\\r\n"
	"Title,Company,Department,Office,Assistant,Bus-Num,Bus2-Num,Assist-Num,Fax-Num,"
	"Home-Num,Home2-Num,Mobile-Num,Pager-Num,Note\r\n";

const char EXW_MAILMESSAGE_HEADER[] =
	"Folder,Sender,To,Cc,Bcc,Subject,Send-Date,Received-Date,Priority,Unread,Unsent,Body\r\n";

int exw_pkl(struct mf_buf *out, const char *codepage_number,
	    const char *const *names, const char *kinds, size_t n)
{
	int rc = mf_buf_addf(out, "%s\r\n\r\nFilename,Filetype\r\n", codepage_number);
	for (size_t i = 0; i < n && rc == MF_OK; i++)
		rc = mf_buf_addf(out, "%s,%s\r\n", names[i],
				 kinds[i] == 'S' ? "Secondary" : "Primary");
	return rc;
}
