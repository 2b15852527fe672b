/* SPDX-License-Identifier: MIT */
/* exch_read.c: reading and validating migration file sets (see exch_read.h). */
#include "exporters/exchange/exch_read.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/rd.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LINE_MAX_BYTES (1u << 20)
/* A packing list names two files per mailbox of the set: a set of 100,000
 * mailboxes has one of about 5 MB (issue 15), so the bound is far above. */
#define PKL_MAX_BYTES (64u << 20)
#define FIELDS_MAX 512
#define CHAIN_MAX 100000

struct sec_section {
	uint64_t offset;            /* header line */
	uint64_t data_off;
	size_t len;
	int islast;
	int referenced;
	char type[16];
	char *name;
	char *format;
	int64_t position;
};

/* One listed secondary file: a set holds one per mailbox, so this is kept
 * to 16 bytes (no path: it is made again from the folder when the file is
 * mapped; no map: the few mapped ones are in ctx.mapped; no name pointer:
 * an offset into ctx.names; no capacity: sections grow by doubling from
 * 64, so it follows from n, see sec_index). */
struct sec_file {
	struct sec_section *s;
	uint32_t n;              /* its sections (sec_index bounds them) */
	uint32_t name : 27;      /* into ctx.names (the packing list is under 64 MiB) */
	uint32_t readable : 1;   /* a listed file that could be opened: mapped when needed */
	uint32_t mapped : 1;     /* mapped now (while the PRI pointing into it is walked) */
	uint32_t indexed : 1, ok : 1;
};

struct sec_map {
	size_t idx;              /* into ctx.secs */
	struct mf_map map;
};

struct ctx {
	const struct exr_visitor *v;
	struct exr_stats *st;
	char dir[4096];
	char *dir_real;          /* realpath of dir (NULL: resolve it each time) */
	struct sec_file *secs;
	size_t nsecs, capsecs;
	const char *names;       /* the secondary files' names, one after another */
	char *names_own;         /* (exr_walk: the same block, to be freed) */
	size_t names_len, names_cap;
	uint32_t *by_name;       /* secs sorted by name (then order): sec_find */
	const unsigned char *mem_data; /* exr_walk_memory: its one secondary file */
	size_t mem_len;
	struct sec_map *mapped;  /* secs mapped for the PRI being walked */
	size_t nmapped, capmapped;
};

/* The name of a listed secondary file. */
static const char *sf_name(const struct ctx *c, const struct sec_file *sf)
{
	return c->names + sf->name;
}

static void problem(struct ctx *c, const char *file, uint64_t off, const char *fmt, ...)
	MF_ATTR_PRINTF(4, 5);
static void problem(struct ctx *c, const char *file, uint64_t off, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->st->problems++;
	if (c->v && c->v->problem)
		c->v->problem(c->v->payload, file, off, text);
}

/* ---- the two levels of the reading model ---- */

void exr_fields_free(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
}

int exr_split_fields(char **out, size_t max, size_t *n, const char *line, size_t len)
{
	struct mf_buf cur;
	int quoted = 0;
	size_t k = 0;

	*n = 0;
	mf_buf_init(&cur, LINE_MAX_BYTES);
	for (size_t i = 0; i <= len; i++) {
		if (i == len || (line[i] == ',' && !quoted)) {
			if (k == max) {
				mf_buf_release(&cur);
				exr_fields_free(out, k);
				return MF_ETOOBIG;
			}
			out[k++] = mf_buf_detach(&cur, NULL);
			continue;
		}
		if (line[i] == '"') {
			if (quoted && i + 1 < len && line[i + 1] == '"') {
				mf_buf_addch(&cur, '"');
				i++;
			} else {
				quoted = !quoted;
			}
			continue;
		}
		mf_buf_addch(&cur, line[i]);
	}
	mf_buf_release(&cur);
	*n = k;
	return MF_OK;
}

int exr_split_values(char **out, size_t max, size_t *n, const char *field)
{
	size_t len = strlen(field), k = 0, start = 0;
	int quoted = 0;

	*n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || (field[i] == ';' && !quoted)) {
			const char *s = field + start;
			size_t l = i - start;
			if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
				s++;
				l -= 2;
			}
			if (k == max) {
				exr_fields_free(out, k);
				return MF_ETOOBIG;
			}
			out[k++] = mf_xstrndup(s, l);
			start = i + 1;
			continue;
		}
		if (field[i] == '"')
			quoted = !quoted;
	}
	*n = k;
	return MF_OK;
}

/* ---- secondary files ---- */

/* The first secondary file of that name (ASCII case-insensitive): a
 * binary search, not a scan per pointer (a set holds a SEC per mailbox). */
static struct sec_file *sec_find(struct ctx *c, const char *name)
{
	size_t lo = 0, hi = c->nsecs;
	if (!c->by_name) {
		for (size_t i = 0; i < c->nsecs; i++)
			if (mf_strcaseeq(sf_name(c, &c->secs[i]), name))
				return &c->secs[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcasecmp(sf_name(c, &c->secs[c->by_name[mid]]), name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nsecs && mf_strcaseeq(sf_name(c, &c->secs[c->by_name[lo]]), name))
		return &c->secs[c->by_name[lo]];
	return NULL;
}

static const struct ctx *sort_ctx;

static int cmp_sec_name(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcasecmp(sf_name(sort_ctx, &sort_ctx->secs[x]),
			   sf_name(sort_ctx, &sort_ctx->secs[y]));
	return r ? r : (x > y) - (x < y);
}

static void sec_sort(struct ctx *c)
{
	c->by_name = mf_xreallocarray(NULL, c->nsecs ? c->nsecs : 1, sizeof(*c->by_name));
	for (size_t i = 0; i < c->nsecs; i++)
		c->by_name[i] = (uint32_t)i;
	sort_ctx = c;
	if (c->nsecs)
		qsort(c->by_name, c->nsecs, sizeof(*c->by_name), cmp_sec_name);
	sort_ctx = NULL;
}

/* A listed name inside the set's folder (mf_path_resolve). */
static int ctx_resolve(const struct ctx *c, char **path, const char *rel, struct mf_diag *d)
{
	if (c->dir_real)
		return mf_path_resolve_real(path, c->dir_real, rel, d);
	return mf_path_resolve(path, c->dir, rel, d);
}

/* Map a listed secondary file for reading (it is unmapped when the PRI
 * being walked is done: a set of 100,000 mailboxes would otherwise hold
 * 100,000 maps).  0, or -1 when it cannot be read (then a problem). */
static int sec_map(struct ctx *c, struct sec_file *sf)
{
	struct mf_diag d;
	struct sec_map *sm;
	char *path = NULL;
	if (!sf->readable || sf->mapped)
		return 0;
	if (c->nmapped == c->capmapped) {
		c->capmapped = c->capmapped ? c->capmapped * 2 : 16;
		c->mapped = mf_xreallocarray(c->mapped, c->capmapped, sizeof(*c->mapped));
	}
	sm = &c->mapped[c->nmapped];
	if (ctx_resolve(c, &path, sf_name(c, sf), &d) < 0 || mf_map_open(&sm->map, path, &d) < 0) {
		problem(c, sf_name(c, sf), 0, "listed secondary file cannot be read");
		sf->indexed = 1;
		sf->readable = 0;
		free(path);
		return -1;
	}
	free(path);
	sm->idx = (size_t)(sf - c->secs);
	c->nmapped++;
	sf->mapped = 1;
	return 0;
}

static void sec_unmap_all(struct ctx *c)
{
	for (size_t i = 0; i < c->nmapped; i++) {
		struct sec_file *sf = &c->secs[c->mapped[i].idx];
		mf_map_close(&c->mapped[i].map);
		sf->mapped = 0;
	}
	c->nmapped = 0;
}

/* The bytes of a secondary file: mapped (sec_map) or in memory; none
 * (len 0) when it is neither. */
static const unsigned char *sec_data(const struct ctx *c, const struct sec_file *sf, size_t *len)
{
	size_t idx = (size_t)(sf - c->secs);
	if (c->mem_data) {
		*len = c->mem_len;
		return c->mem_data;
	}
	for (size_t i = 0; sf->mapped && i < c->nmapped; i++)
		if (c->mapped[i].idx == idx) {
			*len = c->mapped[i].map.len;
			return c->mapped[i].map.data;
		}
	*len = 0;
	return (const unsigned char *)"";
}

static const char *const sec_types[] = { "Body", "Attachment", "Document", "Schedule", "Other", NULL };

/* Parse a secondary section header line; returns MF_OK or an error text. */
static const char *parse_sec_header(struct sec_section *s, const char *line, size_t len)
{
	char *f[16];
	size_t n = 0;
	const char *err = NULL;
	uint64_t v;
	int known = 0;

	if (exr_split_fields(f, 16, &n, line, len) < 0)
		return "section header with too many fields";
	if (n != 7) {
		err = "section header without 7 fields";
		goto out;
	}
	for (int i = 0; sec_types[i]; i++)
		if (mf_strcaseeq(f[0], sec_types[i])) {
			snprintf(s->type, sizeof(s->type), "%s", sec_types[i]);
			known = 1;
		}
	if (!known) {
		err = "unknown section type";
		goto out;
	}
	if (mf_parse_u64(&v, f[1], strlen(f[1]), (uint64_t)SIZE_MAX / 2) < 0) {
		err = "Length is not a number";
		goto out;
	}
	s->len = (size_t)v;
	if (f[2][0]) {
		err = "Encoding must be blank";
		goto out;
	}
	if (mf_strcaseeq(f[3], "TRUE"))
		s->islast = 1;
	else if (mf_strcaseeq(f[3], "FALSE"))
		s->islast = 0;
	else {
		err = "Islast is neither TRUE nor FALSE";
		goto out;
	}
	s->name = mf_xstrdup(f[4]);
	s->format = mf_xstrdup(f[6]);
	s->position = INT64_MIN;
	if (f[5][0]) {
		char *end = NULL;
		long long p = strtoll(f[5], &end, 10);
		if (!end || *end) {
			err = "Position is not a number";
			goto out;
		}
		s->position = p;
	}
	if (f[6][0] && !mf_strcaseeq(f[6], "None") && !mf_strcaseeq(f[6], "Macbinary"))
		err = "Format is neither None nor Macbinary";
out:
	exr_fields_free(f, n);
	return err;
}

/* Walk a secondary file from its header and index its sections. */
static void sec_index(struct ctx *c, struct sec_file *sf)
{
	static const char hdr[] = "Type,Length,Encoding,Islast,Name,Position,Format\r\n";
	struct mf_rd r;
	size_t len;
	const unsigned char *data = sec_data(c, sf, &len);

	sf->indexed = 1;
	if (len < sizeof(hdr) - 1 || memcmp(data, hdr, sizeof(hdr) - 1) != 0) {
		problem(c, sf_name(c, sf), 0, "secondary file does not start with the 50-byte header line");
		return;
	}
	mf_rd_init(&r, data, len);
	mf_rd_seek(&r, sizeof(hdr) - 1);
	while (!mf_rd_eof(&r)) {
		struct mf_span line;
		enum mf_eol eol;
		struct sec_section s;
		const char *err;
		uint64_t off = mf_rd_offset(&r);

		/* blank lines between sections are ignored */
		if (mf_rd_left(&r) >= 2 && r.p[0] == '\r' && r.p[1] == '\n') {
			mf_rd_skip_eol(&r, MF_EOLS_LF_CRLF);
			continue;
		}
		if (mf_rd_line(&r, &line, &eol, MF_EOLS_LF_CRLF, 4096) != MF_OK) {
			problem(c, sf_name(c, sf), off, "section header line longer than 4096 bytes");
			return;
		}
		if (eol != MF_EOL_CRLF)
			problem(c, sf_name(c, sf), off, "section header line does not end in CR LF");
		memset(&s, 0, sizeof(s));
		err = parse_sec_header(&s, (const char *)line.p, line.len);
		if (err) {
			problem(c, sf_name(c, sf), off, "%s", err);
			free(s.name);
			free(s.format);
			return;
		}
		s.offset = off;
		s.data_off = mf_rd_offset(&r);
		if (s.len > mf_rd_left(&r)) {
			problem(c, sf_name(c, sf), off, "Length %zu runs past the end of the file", s.len);
			free(s.name);
			free(s.format);
			return;
		}
		mf_rd_seek(&r, s.data_off + s.len);
		if (s.len > 0) {
			if (mf_rd_left(&r) >= 2 && r.p[0] == '\r' && r.p[1] == '\n')
				mf_rd_skip_eol(&r, MF_EOLS_LF_CRLF);
			else
				problem(c, sf_name(c, sf), mf_rd_offset(&r),
					"no CR LF separator after the section data (Length wrong?)");
		}
		if (sf->n == 0 || (sf->n >= 64 && !(sf->n & (sf->n - 1)))) {
			/* full: the capacity is 64, then doubled (from 64 on, n is
			 * a power of two exactly when the array is full) */
			if (sf->n >= UINT32_MAX / 2) {
				problem(c, sf_name(c, sf), off, "more sections than can be indexed");
				free(s.name);
				free(s.format);
				return;
			}
			sf->s = mf_xreallocarray(sf->s, sf->n ? (size_t)sf->n * 2 : 64, sizeof(*sf->s));
		}
		sf->s[sf->n++] = s;
		c->st->bytes += (int64_t)s.len;
	}
	sf->ok = 1;
}

static struct sec_section *sec_at(struct sec_file *sf, uint64_t off, size_t *idx)
{
	size_t lo = 0, hi = sf->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sf->s[mid].offset < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sf->n && sf->s[lo].offset == off) {
		*idx = lo;
		return &sf->s[lo];
	}
	return NULL;
}

static int has_extension(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && dot != name && dot[1] != '\0';
}

/* Follow a Body pointer; fills items (malloc'd). */
static void follow(struct ctx *c, const char *pri, uint64_t line_off, const char *ptr,
		   struct exr_item **items, size_t *n_items, const char **sec_name)
{
	char name[256];
	const char *open, *close;
	uint64_t off;
	struct sec_file *sf;
	size_t i, k = 0;
	struct sec_section *s;
	size_t body_len = 0, slen;
	const unsigned char *sdata;

	*items = NULL;
	*n_items = 0;
	*sec_name = NULL;
	if (ptr[0] != '#' || !(open = strchr(ptr, '(')) || !(close = strchr(open, ')')) ||
	    close[1] != '\0' || (size_t)(open - ptr - 1) >= sizeof(name)) {
		problem(c, pri, line_off, "Body is not a pointer #FILE.SEC(offset): '%s'", ptr);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(open - ptr - 1), ptr + 1);
	if (mf_parse_u64(&off, open + 1, (size_t)(close - open - 1), UINT64_MAX / 2) < 0) {
		problem(c, pri, line_off, "pointer offset is not a number: '%s'", ptr);
		return;
	}
	sf = sec_find(c, name);
	if (!sf) {
		problem(c, pri, line_off, "pointer names '%s', which the packing list does not list", name);
		return;
	}
	*sec_name = sf_name(c, sf);
	if (!sf->indexed && sec_map(c, sf) == 0)
		sec_index(c, sf);
	else if (sf->indexed && sec_map(c, sf) < 0)
		return;
	sdata = sec_data(c, sf, &slen);
	s = sec_at(sf, off, &i);
	if (!s) {
		problem(c, pri, line_off, "pointer %s does not land on a section header of %s", ptr,
			sf_name(c, sf));
		return;
	}
	if (strcmp(s->type, "Body") != 0)
		problem(c, sf_name(c, sf), s->offset, "an item's first section is %s, not Body", s->type);
	for (; i < sf->n && k < CHAIN_MAX; i++) {
		s = &sf->s[i];
		if (k > 0 && s->referenced)
			problem(c, sf_name(c, sf), s->offset, "section reached from two pointers");
		s->referenced = 1;
		*items = mf_xreallocarray(*items, k + 1, sizeof(**items));
		(*items)[k].type = s->type;
		(*items)[k].data = sdata + s->data_off;
		(*items)[k].len = s->len;
		(*items)[k].name = s->name;
		(*items)[k].position = s->position;
		(*items)[k].format = s->format;
		(*items)[k].offset = s->offset;
		if (!strcmp(s->type, "Body"))
			body_len = s->len;
		else if (!strcmp(s->type, "Attachment") || !strcmp(s->type, "Document") ||
			 !strcmp(s->type, "Schedule")) {
			if (!s->name[0])
				problem(c, sf_name(c, sf), s->offset, "%s without a Name", s->type);
			else if (!has_extension(s->name))
				problem(c, sf_name(c, sf), s->offset, "%s name '%s' has no extension", s->type,
					s->name);
			if (!strcmp(s->type, "Attachment")) {
				c->st->attachments++;
				if (s->position != INT64_MIN &&
				    (s->position < -1 || s->position > (int64_t)body_len))
					problem(c, sf_name(c, sf), s->offset,
						"Position %lld outside -1..%zu (the body length)",
						(long long)s->position, body_len);
			} else if (!strcmp(s->type, "Document")) {
				c->st->documents++;
			} else {
				c->st->schedules++;
			}
		}
		k++;
		if (s->islast)
			break;
	}
	*n_items = k;
	if (i >= sf->n || k >= CHAIN_MAX)
		problem(c, sf_name(c, sf), off, "chain of sections from %s never ends (no Islast TRUE)", ptr);
	else if (k > 1 && (*items)[0].len == 0 &&
		 strcmp((*items)[1].type, "Document") && strcmp((*items)[1].type, "Schedule"))
		problem(c, sf_name(c, sf), off, "zero-length Body followed by %s (reserved for documents "
			"and schedules)", (*items)[1].type);
}

/* ---- primary files ---- */

static const char *const mm_cols[] = { "Folder", "Sender", "To", "Cc", "Bcc", "Subject",
	"Send-Date", "Received-Date", "Priority", "Unread", "Unsent", "Body" };
static const char *const pab_cols[] = { "Obj-class", "Display-Name", "Email-Address", "First",
	"Last", "Address", "City", "State", "Zip", "Country", "Title", "Company", "Department",
	"Office", "Assistant", "Bus-Num", "Bus2-Num", "Assist-Num", "Fax-Num", "Home-Num",
	"Home2-Num", "Mobile-Num", "Pager-Num", "Note" };

static int valid_date14(const char *s)
{
	struct mf_civil cv;
	if (strlen(s) != 14)
		return 0;
	for (int i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	cv.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	cv.month = (s[4] - '0') * 10 + (s[5] - '0');
	cv.day = (s[6] - '0') * 10 + (s[7] - '0');
	cv.hour = (s[8] - '0') * 10 + (s[9] - '0');
	cv.min = (s[10] - '0') * 10 + (s[11] - '0');
	cv.sec = (s[12] - '0') * 10 + (s[13] - '0');
	return mf_civil_valid(&cv) && cv.year >= 1601;
}

/* Undo DIRECTORY escapes in place; returns 0 on an invalid escape. */
static int unescape_directory(char *s)
{
	char *w = s;
	int ok = 1;
	for (char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		if (*r == '\\')
			*w++ = '\\';
		else if (*r == 'r')
			*w++ = '\r';
		else if (*r == 'n')
			*w++ = '\n';
		else {
			ok = 0;
			if (!*r)
				break;
			*w++ = *r;
		}
	}
	*w = '\0';
	return ok;
}

enum { SEC_NONE, SEC_DIRECTORY, SEC_PAB, SEC_MAILMESSAGE, SEC_UNKNOWN };

static void data_line(struct ctx *c, const char *file, uint64_t off, int kind,
		      const char *kindname, const char *arg, char **hdr, size_t nh,
		      const char *text, size_t len)
{
	char *f[FIELDS_MAX];
	size_t n = 0;
	struct exr_line l;

	memset(&l, 0, sizeof(l));
	if (exr_split_fields(f, FIELDS_MAX, &n, text, len) < 0) {
		problem(c, file, off, "more than %d fields", FIELDS_MAX);
		return;
	}
	if (n != nh)
		problem(c, file, off, "%s line with %zu fields, the header has %zu", kindname, n, nh);
	l.file = file;
	l.offset = off;
	l.section = kindname;
	l.argument = arg;
	l.field = f;
	l.n_fields = n;
	l.header = (const char *const *)hdr;
	l.n_header = nh;
	if (kind == SEC_DIRECTORY) {
		c->st->directory_lines++;
		for (size_t i = 0; i < n; i++)
			if (!unescape_directory(f[i]))
				problem(c, file, off, "invalid backslash escape in field %zu", i + 1);
	} else if (kind == SEC_MAILMESSAGE && n == 12) {
		c->st->messages++;
		for (int i = 6; i <= 7; i++)
			if (f[i][0] && !valid_date14(f[i]))
				problem(c, file, off, "%s '%s' is not a valid 14-digit date", mm_cols[i], f[i]);
		if (f[8][0] && strcmp(f[8], "-1") && strcmp(f[8], "0") && strcmp(f[8], "1"))
			problem(c, file, off, "Priority '%s' is not -1, 0 or 1", f[8]);
		for (int i = 9; i <= 10; i++)
			if (f[i][0] && !mf_strcaseeq(f[i], "TRUE") && !mf_strcaseeq(f[i], "FALSE"))
				problem(c, file, off, "%s '%s' is not TRUE or FALSE", mm_cols[i], f[i]);
		follow(c, file, off, f[11], &l.items, &l.n_items, &l.sec_file);
	} else if (kind == SEC_PAB && n == 24) {
		c->st->pab_lines++;
		if (!mf_strcaseeq(f[0], "entry") && !mf_strcaseeq(f[0], "dl"))
			problem(c, file, off, "PAB Obj-class '%s' is not entry or dl", f[0]);
		if (!f[1][0] || !f[2][0])
			problem(c, file, off, "PAB line without Display-Name or Email-Address");
	}
	if (c->v && c->v->line)
		c->v->line(c->v->payload, &l);
	free(l.items);
	exr_fields_free(f, n);
}

/* Does a logical line end inside quotes? (then a trailing \\ is data) */
static int open_quote(const char *s, size_t n)
{
	int q = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '"')
			q = !q;
	return q;
}

/* map: the file's map (NULL: in memory), whose pages are given back as
 * the walk passes them (DIRECTRY.PRI of a set of 100,000 mailboxes is
 * 14 MB; nothing is kept pointing into the passed bytes). */
static void walk_pri(struct ctx *c, const char *file, const unsigned char *data, size_t len,
		     struct mf_map *map)
{
	struct mf_rd r;
	uint64_t given_back = 0;
	int state = 0;          /* 0 title, 1 header, 2 data */
	int kind = SEC_NONE;
	char kindname[32] = "";
	char *arg = NULL;
	char *hdr[FIELDS_MAX];
	size_t nh = 0;
	struct mf_buf logical;

	mf_rd_init(&r, data, len);
	mf_buf_init(&logical, LINE_MAX_BYTES);
	while (!mf_rd_eof(&r)) {
		struct mf_span line;
		enum mf_eol eol;
		uint64_t off = mf_rd_offset(&r);

		if (map && off - given_back >= (1u << 20)) {
			mf_map_release_before(map, off);
			given_back = off;
		}
		if (mf_rd_line(&r, &line, &eol, MF_EOLS_LF_CRLF, LINE_MAX_BYTES) != MF_OK) {
			problem(c, file, off, "line longer than %u bytes", LINE_MAX_BYTES);
			break;
		}
		if (eol != MF_EOL_CRLF)
			problem(c, file, off, "line does not end in CR LF");
		if (memchr(line.p, '\r', line.len))
			problem(c, file, off, "bare CR inside a line");
		if (line.len && line.p[0] == '!')
			continue;                        /* comment */
		if (line.len == 0) {
			state = 0;                       /* blank line: the section ends */
			continue;
		}
		mf_buf_reset(&logical);
		mf_buf_add(&logical, line.p, line.len);
		/* continuation: "\\" at the end, outside DIRECTORY and quotes */
		while (kind != SEC_DIRECTORY && !(state == 0 && mf_span_starts_ci(line, "DIRECTORY")) &&
		       logical.len >= 2 && !memcmp(logical.data + logical.len - 2, "\\\\", 2) &&
		       !open_quote(logical.data, logical.len - 2) && !mf_rd_eof(&r)) {
			mf_buf_truncate(&logical, logical.len - 2);
			if (mf_rd_line(&r, &line, &eol, MF_EOLS_LF_CRLF, LINE_MAX_BYTES) != MF_OK)
				break;
			if (eol != MF_EOL_CRLF)
				problem(c, file, mf_rd_offset(&r), "line does not end in CR LF");
			if (mf_buf_add(&logical, line.p, line.len) < 0) {
				problem(c, file, off, "continued line longer than %u bytes", LINE_MAX_BYTES);
				break;
			}
		}
		if (state == 0) {
			char *f[8];
			size_t n = 0;
			exr_fields_free(hdr, nh);
			nh = 0;
			free(arg);
			arg = NULL;
			if (exr_split_fields(f, 8, &n, logical.data, logical.len) < 0 || n == 0 || n > 2) {
				problem(c, file, off, "section title line must be KEYWORD[,argument]");
				if (n <= 8)
					exr_fields_free(f, n);
				kind = SEC_UNKNOWN;
				state = 1;
				continue;
			}
			snprintf(kindname, sizeof(kindname), "%.31s", f[0]);
			for (char *p = kindname; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p -= 32;
			arg = mf_xstrdup(n == 2 ? f[1] : "");
			exr_fields_free(f, n);
			if (!strcmp(kindname, "DIRECTORY"))
				kind = SEC_DIRECTORY;
			else if (!strcmp(kindname, "PAB"))
				kind = SEC_PAB;
			else if (!strcmp(kindname, "MAILMESSAGE"))
				kind = SEC_MAILMESSAGE;
			else {
				kind = SEC_UNKNOWN;
				problem(c, file, off, "unknown section '%s'", kindname);
			}
			if ((kind == SEC_PAB || kind == SEC_MAILMESSAGE) && !arg[0])
				problem(c, file, off, "%s section without its argument", kindname);
			c->st->sections++;
			if (c->v && c->v->section)
				c->v->section(c->v->payload, file, kindname, arg);
			state = 1;
		} else if (state == 1) {
			if (exr_split_fields(hdr, FIELDS_MAX, &nh, logical.data, logical.len) < 0) {
				problem(c, file, off, "header line with too many fields");
				nh = 0;
			}
			if (kind == SEC_MAILMESSAGE) {
				int okh = nh == 12;
				for (size_t i = 0; okh && i < 12; i++)
					okh = mf_strcaseeq(hdr[i], mm_cols[i]);
				if (!okh)
					problem(c, file, off, "MAILMESSAGE header is not the 12 documented columns");
			} else if (kind == SEC_PAB) {
				int okh = nh == 24;
				for (size_t i = 0; okh && i < 24; i++)
					okh = mf_strcaseeq(hdr[i], pab_cols[i]);
				if (!okh)
					problem(c, file, off, "PAB header is not the 24 documented columns");
			} else if (kind == SEC_DIRECTORY) {
				if (nh < 2 || !mf_strcaseeq(hdr[0], "Obj-Class"))
					problem(c, file, off, "DIRECTORY header must start with Obj-Class");
			}
			state = 2;
		} else {
			data_line(c, file, off, kind, kindname, arg ? arg : "", hdr, nh,
				  logical.data, logical.len);
		}
	}
	exr_fields_free(hdr, nh);
	free(arg);
	mf_buf_release(&logical);
}

static void check_unreferenced(struct ctx *c)
{
	for (size_t i = 0; i < c->nsecs; i++) {
		struct sec_file *sf = &c->secs[i];
		if (!sf->indexed && sec_map(c, sf) == 0)
			sec_index(c, sf);
		sec_unmap_all(c);
		for (size_t k = 0; k < sf->n; k++)
			if (!sf->s[k].referenced) {
				/* a section after a non-last one was reached through the chain */
				int chained = k > 0 && sf->s[k - 1].referenced && !sf->s[k - 1].islast;
				if (!chained)
					problem(c, sf_name(c, sf), sf->s[k].offset,
						"%s section that no pointer reaches", sf->s[k].type);
			}
	}
}

static void release(struct ctx *c)
{
	for (size_t i = 0; i < c->nsecs; i++) {
		for (size_t k = 0; k < c->secs[i].n; k++) {
			free(c->secs[i].s[k].name);
			free(c->secs[i].s[k].format);
		}
		free(c->secs[i].s);
	}
	sec_unmap_all(c);
	free(c->secs);
	free(c->names_own);
	free(c->by_name);
	free(c->mapped);
}

static int valid_name(const char *n)
{
	if (!*n)
		return 0;
	for (const char *p = n; *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("#();,\\/:*?\"<>|", *p))
			return 0;
	return 1;
}

/*
 * One pass over the packing list (mapped, its pages given back as they are
 * passed, so that a set of 100,000 mailboxes holds no copy of it): pass 0
 * counts the secondary files; pass 1 checks it (the problems) and lists
 * them; pass 2 walks the primary files in the listed order.  Both passes take
 * the same lines for file lines.
 */
static void pkl_pass(struct ctx *c, struct mf_map *m, int pass)
{
	struct mf_rd r;
	struct mf_span line;
	enum mf_eol eol;
	int phase = 0;
	uint64_t given_back = 0;
	int report = pass == 1;

	mf_rd_init(&r, m->data, m->len);
	while (mf_rd_line(&r, &line, &eol, MF_EOLS_LF_CRLF, 4096) == MF_OK) {
		uint64_t off = (uint64_t)(line.p - m->data);
		if (off - given_back >= (1u << 20)) {
			mf_map_release_before(m, off);
			given_back = off;
		}
		if (report && eol != MF_EOL_CRLF)
			problem(c, "packing list", off, "line does not end in CR LF");
		if (line.len && line.p[0] == '!')
			continue;
		if (phase == 0) {
			uint64_t cp;
			if (report) {
				if (mf_parse_u64(&cp, (const char *)line.p, line.len, 100000) < 0)
					problem(c, "packing list", off, "first line is not a code page number");
				snprintf(c->st->codepage, sizeof(c->st->codepage), "%.*s",
					 (int)(line.len < 15 ? line.len : 15), line.p);
			}
			phase = 1;
		} else if (line.len == 0) {
			continue;
		} else if (phase == 1) {
			if (report && !mf_span_eq_ci(line, "Filename,Filetype"))
				problem(c, "packing list", off, "column header is not Filename,Filetype");
			phase = 2;
		} else {
			char *f[4];
			size_t n = 0;
			char kind;
			const char *nul = memchr(line.p, '\0', line.len);
			if (nul) {
				/* the fields are C strings: a NUL would cut the name short */
				if (report)
					problem(c, "packing list",
						off + (uint64_t)(nul - (const char *)line.p),
						"file line holds a NUL byte");
				continue;
			}
			if (exr_split_fields(f, 4, &n, (const char *)line.p, line.len) < 0 || n != 2) {
				if (report)
					problem(c, "packing list", off,
						"file line is not name,Primary|Secondary");
				if (n <= 4)
					exr_fields_free(f, n);
				continue;
			}
			if (!valid_name(f[0]) || strlen(f[0]) >= 256) {
				if (report)
					problem(c, "packing list", off,
						"file name '%s' has a forbidden character", f[0]);
				exr_fields_free(f, n);
				continue;
			}
			if (!mf_strcaseeq(f[1], "Primary") && !mf_strcaseeq(f[1], "Secondary")) {
				if (report)
					problem(c, "packing list", off,
						"file type '%s' is neither Primary nor Secondary", f[1]);
				exr_fields_free(f, n);
				continue;
			}
			kind = mf_strcaseeq(f[1], "Primary") ? 'P' : 'S';
			if (pass == 0 && kind == 'S') {
				c->capsecs++;
				c->names_cap += strlen(f[0]) + 1;
			} else if (pass == 1 && kind == 'S') {
				struct sec_file *sf;
				size_t l = strlen(f[0]) + 1;
				if (c->nsecs == c->capsecs) {
					c->capsecs = c->capsecs ? c->capsecs * 2 : 64;
					c->secs = mf_xreallocarray(c->secs, c->capsecs, sizeof(*c->secs));
				}
				if (c->names_len + l > c->names_cap) {
					c->names_cap = (c->names_len + l) * 2;
					c->names_own = mf_xrealloc(c->names_own, c->names_cap);
				}
				c->names = c->names_own;
				sf = &c->secs[c->nsecs++];
				memset(sf, 0, sizeof(*sf));
				memcpy(c->names_own + c->names_len, f[0], l);
				sf->name = (uint32_t)c->names_len;
				c->names_len += l;
			} else if (pass == 2 && kind == 'P') {
				char *path = NULL;
				struct mf_diag d;
				struct mf_map pm;
				if (ctx_resolve(c, &path, f[0], &d) < 0 ||
				    mf_map_open(&pm, path, &d) < 0) {
					problem(c, f[0], 0, "listed primary file cannot be read");
				} else {
					c->st->files++;
					if (pm.len && (pm.len < 2 || pm.data[pm.len - 1] != '\n' ||
						       pm.data[pm.len - 2] != '\r'))
						problem(c, f[0], pm.len, "the last line does not end in CR LF");
					walk_pri(c, f[0], pm.data, pm.len, &pm);
					mf_map_close(&pm);
					sec_unmap_all(c);
				}
				free(path);
			}
			exr_fields_free(f, n);
		}
	}
	mf_map_release_before(m, m->len);
	if (report && (m->len < 2 || m->data[m->len - 1] != '\n' || m->data[m->len - 2] != '\r'))
		problem(c, "packing list", m->len, "the last line does not end in CR LF");
}

int exr_walk(const char *pkl_arg, const struct exr_visitor *v, struct exr_stats *st,
	     struct mf_diag *diag)
{
	struct ctx c;
	char pkl[4096];
	struct stat sb;
	struct mf_map m;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	c.v = v;
	c.st = st;
	snprintf(pkl, sizeof(pkl), "%s", pkl_arg);
	if (stat(pkl, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(pkl);
		struct dirent *de;
		int found = 0;
		while (d && (de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 4 && mf_strcaseeq(de->d_name + l - 4, ".pkl")) {
				found++;
				snprintf(pkl, sizeof(pkl), "%s/%s", pkl_arg, de->d_name);
			}
		}
		if (d)
			closedir(d);
		if (found != 1)
			return mf_diag_set(diag, MF_EFORMAT, pkl_arg, MF_NO_OFFSET,
					   "folder holds %d packing lists (.pkl), expected one", found);
	}
	if ((rc = mf_map_open(&m, pkl, diag)) < 0)
		return rc;
	if (m.len > PKL_MAX_BYTES) {
		mf_map_close(&m);
		return mf_diag_set(diag, MF_ETOOBIG, pkl, MF_NO_OFFSET,
				   "file is larger than %zu bytes", (size_t)PKL_MAX_BYTES);
	}
	{
		const char *slash = strrchr(pkl, '/');
		if (slash)
			snprintf(c.dir, sizeof(c.dir), "%.*s", (int)(slash - pkl), pkl);
		else
			snprintf(c.dir, sizeof(c.dir), ".");
	}
	c.dir_real = realpath(c.dir, NULL);
	st->files = 1;
	/* counted first: the table of secondary files is made once, at its
	 * size (grown by doubling, a set of 100,000 would leave the smaller
	 * copies in the heap) */
	pkl_pass(&c, &m, 0);
	if (c.capsecs)
		c.secs = mf_xreallocarray(NULL, c.capsecs, sizeof(*c.secs));
	/* the secondary files' names (two files per mailbox are listed: the
	 * primary ones are not held), in one block of the size pass 0 found */
	if (c.names_cap)
		c.names = c.names_own = mf_xmalloc(c.names_cap);
	pkl_pass(&c, &m, 1);
	/* secondary files first: pointers resolve against them */
	for (size_t i = 0; i < c.nsecs; i++) {
		struct sec_file *sf = &c.secs[i];
		char *path = NULL;
		struct mf_diag d;
		struct mf_map probe;
		if (ctx_resolve(&c, &path, sf_name(&c, sf), &d) < 0 ||
		    mf_map_open(&probe, path, &d) < 0) {
			problem(&c, sf_name(&c, sf), 0, "listed secondary file cannot be read");
			sf->indexed = 1;
			free(path);
			continue;
		}
		mf_map_close(&probe);
		free(path);
		sf->readable = 1;      /* mapped again when a pointer reaches it */
		st->files++;
	}
	sec_sort(&c);
	pkl_pass(&c, &m, 2);
	mf_map_close(&m);
	check_unreferenced(&c);
	release(&c);
	free(c.dir_real);
	return MF_OK;
}

int exr_walk_memory(const unsigned char *pri, size_t pri_len, const unsigned char *sec,
		    size_t sec_len, const struct exr_visitor *v, struct exr_stats *st)
{
	struct ctx c;
	struct sec_file sf;

	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	memset(&sf, 0, sizeof(sf));
	c.names = "F.SEC";      /* sf.name: its offset 0 */
	c.mem_data = sec;
	c.mem_len = sec_len;
	c.v = v;
	c.st = st;
	c.secs = mf_xmalloc(sizeof(sf));
	c.secs[0] = sf;
	c.nsecs = 1;
	walk_pri(&c, "F.PRI", pri, pri_len, NULL);
	check_unreferenced(&c);
	release(&c);
	return MF_OK;
}
