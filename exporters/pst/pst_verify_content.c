/* SPDX-License-Identifier: MIT */
/*
 * pst_verify_content.c: a PST part read back with mailferry's own reader
 * (exporters/pst/reader/, written apart from the writer) and compared with
 * the staging database (see pst_verify_content.h).
 *
 * The reader lists the file's folders and messages as JSON (the document
 * `mailferry inspect pst --json` prints under "store"); a small JSON parser
 * here turns it into a tree.  The expected side is computed from the
 * staged message alone: the folder a staged path lands in (the standard
 * folders by name or special use, the deeper levels as staged), the
 * subject without its prefix marker, the sender's and each recipient's
 * address as every exporter renders a staged address (core/mime.h), times
 * as UTC seconds, read = not unread, importance from the priority, the
 * plain body as the staged text parts with CR LF line ends, and every
 * attachment's bytes.  Messages are paired with ledger rows by node id
 * (the ledger's remote id is "<part>:0x<NID>").
 */
#include "exporters/pst/pst_verify_content.h"
#include "exporters/pst/reader/pstr.h"

#include "core/buf.h"
#include "core/hash.h"
#include "core/mime.h"
#include "core/model.h"
#include "core/store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VC_PROBLEMS_MAX 50   /* reader problems shown per file */
#define VC_DEPTH 64          /* JSON nesting accepted */

/* ---- a small JSON tree ---- */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	int t;
	int64_t n;             /* J_NUM, J_BOOL */
	char *s;               /* J_STR */
	struct jv *kids;       /* J_ARR, J_OBJ */
	char **keys;           /* J_OBJ */
	size_t nk;
};

struct jp {
	const char *p, *end;
	struct mf_arena *a;
	int bad;
};

static void jws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static void jutf8(struct mf_buf *b, uint32_t c)
{
	if (c < 0x80) {
		mf_buf_addch(b, (int)c);
	} else if (c < 0x800) {
		mf_buf_addch(b, (int)(0xC0 | c >> 6));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		mf_buf_addch(b, (int)(0xE0 | c >> 12));
		mf_buf_addch(b, (int)(0x80 | (c >> 6 & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	} else {
		mf_buf_addch(b, (int)(0xF0 | c >> 18));
		mf_buf_addch(b, (int)(0x80 | (c >> 12 & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | (c >> 6 & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	}
}

static int jhex4(struct jp *j, uint32_t *out)
{
	uint32_t c = 0;
	if (j->end - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int ch = (unsigned char)j->p[i], d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		c = c << 4 | (uint32_t)d;
	}
	j->p += 4;
	*out = c;
	return 0;
}

static char *jstr(struct jp *j)
{
	struct mf_buf b;
	char *s;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	j->p++; /* the opening quote */
	while (j->p < j->end && *j->p != '"') {
		if (*j->p != '\\') {
			mf_buf_addch(&b, *j->p++);
			continue;
		}
		if (++j->p >= j->end)
			break;
		switch (*j->p++) {
		case 'n': mf_buf_addch(&b, '\n'); break;
		case 'r': mf_buf_addch(&b, '\r'); break;
		case 't': mf_buf_addch(&b, '\t'); break;
		case 'b': mf_buf_addch(&b, '\b'); break;
		case 'f': mf_buf_addch(&b, '\f'); break;
		case 'u': {
			uint32_t c, lo;
			if (jhex4(j, &c) < 0) {
				j->bad = 1;
				break;
			}
			if (c >= 0xD800 && c < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
			    j->p[1] == 'u') {
				j->p += 2;
				if (jhex4(j, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000)
					c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				else
					c = 0xFFFD;
			} else if (c >= 0xD800 && c < 0xE000) {
				c = 0xFFFD;
			}
			jutf8(&b, c);
			break;
		}
		default: mf_buf_addch(&b, j->p[-1]); break;
		}
	}
	if (j->p >= j->end)
		j->bad = 1;
	else
		j->p++;
	mf_buf_addch(&b, '\0');
	s = mf_arena_strdup(j->a, b.data ? b.data : "");
	mf_buf_release(&b);
	return s;
}

static void jval(struct jp *j, struct jv *v, int depth)
{
	memset(v, 0, sizeof(*v));
	jws(j);
	if (j->p >= j->end || depth > VC_DEPTH) {
		j->bad = 1;
		return;
	}
	if (*j->p == '"') {
		v->t = J_STR;
		v->s = jstr(j);
	} else if (*j->p == '{' || *j->p == '[') {
		int obj = *j->p == '{';
		size_t cap = 0;
		v->t = obj ? J_OBJ : J_ARR;
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			return;
		}
		while (!j->bad) {
			if (v->nk == cap) {
				cap = cap ? cap * 2 : 8;
				v->kids = mf_xreallocarray(v->kids, cap, sizeof(*v->kids));
				if (obj)
					v->keys = mf_xreallocarray(v->keys, cap, sizeof(*v->keys));
			}
			if (obj) {
				jws(j);
				if (j->p >= j->end || *j->p != '"') {
					j->bad = 1;
					break;
				}
				v->keys[v->nk] = jstr(j);
				jws(j);
				if (j->p >= j->end || *j->p != ':') {
					j->bad = 1;
					break;
				}
				j->p++;
			}
			jval(j, &v->kids[v->nk++], depth + 1);
			jws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == (obj ? '}' : ']'))
				j->p++;
			else
				j->bad = 1;
			break;
		}
	} else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
		v->t = J_BOOL;
		v->n = *j->p == 't';
		j->p += v->n ? 4 : 5;
	} else if (!strncmp(j->p, "null", 4)) {
		j->p += 4;
	} else {
		char *e;
		v->t = J_NUM;
		v->n = strtoll(j->p, &e, 10);
		if (e == j->p)
			j->bad = 1;
		j->p = e;
	}
}

static void jfree(struct jv *v)
{
	for (size_t i = 0; i < v->nk; i++)
		jfree(&v->kids[i]);
	free(v->kids);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->nk; i++)
		if (!strcmp(o->keys[i], key))
			return &o->kids[i];
	return NULL;
}

static const char *jgets(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);
	return v && v->t == J_STR ? v->s : NULL;
}

static int64_t jgetn(const struct jv *o, const char *key, int64_t dflt)
{
	const struct jv *v = jget(o, key);
	return v && (v->t == J_NUM || v->t == J_BOOL) ? v->n : dflt;
}

/* ---- the expected side ---- */

/* The PST folder path (below the top of the store, levels joined by '/')
 * of a staged folder. */
static char *expected_folder(const char *path, const char *special)
{
	static const struct { const char *n, *std; } names[] = {
		{ "inbox", "Inbox" }, { "in box", "Inbox" }, { "sent", "Sent Items" },
		{ "sent items", "Sent Items" }, { "sent mail", "Sent Items" },
		{ "drafts", "Drafts" }, { "draft", "Drafts" }, { "trash", "Deleted Items" },
		{ "deleted", "Deleted Items" }, { "deleted items", "Deleted Items" },
		{ "wastebasket", "Deleted Items" }, { "outbox", "Outbox" }, { "out box", "Outbox" },
	};
	static const struct { const char *sp, *std; } specials[] = {
		{ "inbox", "Inbox" }, { "sent", "Sent Items" }, { "drafts", "Drafts" },
		{ "trash", "Deleted Items" },
	};
	struct mf_buf b;
	const char *p = path && *path ? path : "Inbox";
	int level = 0;

	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	while (1) {
		size_t n = strcspn(p, "\\");
		char *name = mf_xstrndup(p, n);
		const char *out = *name ? name : "(no name)";
		if (level == 0) {
			int by_use = 0;
			/* a one-level folder's special use first, then its name */
			for (size_t i = 0; !p[n] && special && i < MF_ARRAY_LEN(specials); i++)
				if (!strcmp(special, specials[i].sp)) {
					out = specials[i].std;
					by_use = 1;
				}
			for (size_t i = 0; !by_use && i < MF_ARRAY_LEN(names); i++)
				if (mf_strcaseeq(name, names[i].n))
					out = names[i].std;
		}
		if (level++)
			mf_buf_addch(&b, '/');
		mf_buf_addstr(&b, out);
		free(name);
		if (!p[n])
			break;
		p += n + 1;
	}
	mf_buf_addch(&b, '\0');
	return mf_buf_detach(&b, NULL);
}

static void utc(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	out[0] = '\0';
	if (gmtime_r(&tt, &tm))
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The address every exporter gives a staged party; 0 when it has none. */
static int rendered(const struct mf_mailbox *mb, const char *display, const char *type,
		    const char *address, const char *raw, struct mf_buf *name, struct mf_buf *addr)
{
	mf_buf_reset(name);
	mf_buf_reset(addr);
	if (mf_mime_address(name, addr, display, type, address, raw, mb, NULL) != MF_OK ||
	    !addr->len)
		return 0;
	mf_buf_addch(name, '\0');
	mf_buf_addch(addr, '\0');
	return 1;
}

static void body_of(struct mf_buf *out, const struct mf_message *m, int *has_rtf)
{
	*has_rtf = 0;
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		if (b->kind && !strcmp(b->kind, "rtf")) {
			*has_rtf = 1;
			continue;
		}
		if (!b->text)
			continue;
		if (out->len)
			mf_buf_add(out, "\r\n", 2);
		for (size_t k = 0; k < b->text_len; k++) {
			char c = b->text[k];
			if (c == '\r' || c == '\n') {
				mf_buf_add(out, "\r\n", 2);
				if (c == '\r' && k + 1 < b->text_len && b->text[k + 1] == '\n')
					k++;
			} else {
				mf_buf_addch(out, c);
			}
		}
	}
}

/* ---- comparing ---- */

struct vc {
	struct mf_verify *v;
	const struct mf_mailbox *mb;
	const char *mbname, *part;
	long problems;
};

static void vc_problem(void *ctx, uint64_t off, uint32_t nid, const char *text)
{
	struct vc *c = ctx;
	if (++c->problems > VC_PROBLEMS_MAX)
		return;
	if (off != MF_NO_OFFSET)
		mf_verify_mismatch(c->v, "%s: %s: offset %llu: %s", c->mbname, c->part,
				   (unsigned long long)off, text);
	else if (nid != PSTR_NO_NID)
		mf_verify_mismatch(c->v, "%s: %s: node 0x%X: %s", c->mbname, c->part, nid, text);
	else
		mf_verify_mismatch(c->v, "%s: %s: %s", c->mbname, c->part, text);
}

static void cmp_str(struct vc *c, const char *tag, const char *what, const char *got,
		    const char *want)
{
	if (strcmp(got ? got : "", want ? want : "") != 0)
		mf_verify_mismatch(c->v, "%s: %s: %s '%.80s', staged '%.80s'", c->mbname, tag, what,
				   got ? got : "(none)", want ? want : "");
}

static void cmp_message(struct vc *c, const char *tag, const struct jv *x,
			const struct mf_message *m, int depth)
{
	struct mf_buf name, addr, body;
	const struct jv *arr;
	char want[32], hex[MF_SHA256_HEX];
	int has_rtf;

	mf_buf_init(&name, 1u << 16);
	mf_buf_init(&addr, 1u << 16);
	cmp_str(c, tag, "subject", jgets(x, "subject"), m->subject ? m->subject : "");
	/* sender */
	if (m->sender_raw) {
		if (rendered(c->mb, m->sender_name, m->sender_type, m->sender_address, m->sender_raw,
			     &name, &addr)) {
			cmp_str(c, tag, "sender address", jgets(x, "sender_address"), addr.data);
			cmp_str(c, tag, "sender name", jgets(x, "sender_name"), name.data);
			cmp_str(c, tag, "sent-representing address", jgets(x, "from_address"),
				addr.data);
		} else if (!jgets(x, "sender_name")) {
			mf_verify_mismatch(c->v, "%s: %s: no sender, staged '%.80s'", c->mbname, tag,
					   m->sender_raw);
		}
	} else if (jgets(x, "sender_name")) {
		mf_verify_mismatch(c->v, "%s: %s: sender '%.80s', staged none", c->mbname, tag,
				   jgets(x, "sender_name"));
	}
	/* dates */
	if (m->has_sent) {
		utc(want, m->sent_utc);
		cmp_str(c, tag, "submit time", jgets(x, "submit_time"), want);
	} else if (jgets(x, "submit_time")) {
		cmp_str(c, tag, "submit time", jgets(x, "submit_time"), "(none)");
	}
	if (m->has_received || m->has_sent) {
		utc(want, m->has_received ? m->received_utc : m->sent_utc);
		cmp_str(c, tag, "delivery time", jgets(x, "delivery_time"), want);
	}
	/* flags and importance */
	if (jgetn(x, "read", -1) != !m->unread || jgetn(x, "unsent", -1) != !!m->unsent)
		mf_verify_mismatch(c->v, "%s: %s: read/unsent %lld/%lld, staged %d/%d", c->mbname,
				   tag, (long long)jgetn(x, "read", -1),
				   (long long)jgetn(x, "unsent", -1), !m->unread, !!m->unsent);
	{
		int64_t imp = m->priority < 0 ? 0 : m->priority > 0 ? 2 : 1;
		if (jgetn(x, "importance", 1) != imp)
			mf_verify_mismatch(c->v, "%s: %s: importance %lld, staged %lld", c->mbname,
					   tag, (long long)jgetn(x, "importance", 1),
					   (long long)imp);
	}
	/* plain body */
	mf_buf_init(&body, MF_BUF_UNBOUNDED);
	body_of(&body, m, &has_rtf);
	mf_sha256_hex(hex, body.data ? body.data : "", body.len);
	if (body.len || !has_rtf) {
		if (!jgets(x, "body_sha256") || strcmp(jgets(x, "body_sha256"), hex) != 0)
			mf_verify_mismatch(c->v, "%s: %s: plain body differs (%lld bytes read, "
					   "%zu staged)", c->mbname, tag,
					   (long long)jgetn(x, "body_length", -1), body.len);
	}
	mf_buf_release(&body);
	/* recipients, in staged order */
	arr = jget(x, "recipients");
	if (!arr || arr->t != J_ARR || arr->nk != m->n_recipients) {
		mf_verify_mismatch(c->v, "%s: %s: %zu recipients, staged %zu", c->mbname, tag,
				   arr && arr->t == J_ARR ? arr->nk : 0, m->n_recipients);
	} else {
		for (size_t i = 0; i < m->n_recipients; i++) {
			const struct mf_recipient *r = &m->recipients[i];
			const struct jv *y = &arr->kids[i];
			int64_t type = r->role && !strcmp(r->role, "cc")    ? 2
				       : r->role && !strcmp(r->role, "bcc") ? 3
									    : 1;
			char what[48];
			if (jgetn(y, "type", 0) != type)
				mf_verify_mismatch(c->v, "%s: %s: recipient %zu type %lld, staged "
						   "%s", c->mbname, tag, i + 1,
						   (long long)jgetn(y, "type", 0),
						   r->role ? r->role : "to");
			if (rendered(c->mb, r->display_name, r->address_type, r->address, r->raw,
				     &name, &addr)) {
				snprintf(what, sizeof(what), "recipient %zu address", i + 1);
				cmp_str(c, tag, what, jgets(y, "address"), addr.data);
				snprintf(what, sizeof(what), "recipient %zu name", i + 1);
				cmp_str(c, tag, what, jgets(y, "name"), name.data);
			}
		}
	}
	/* attachments, in staged order */
	arr = jget(x, "attachments");
	if (!arr || arr->t != J_ARR || arr->nk != m->n_attachments) {
		mf_verify_mismatch(c->v, "%s: %s: %zu attachments, staged %zu", c->mbname, tag,
				   arr && arr->t == J_ARR ? arr->nk : 0, m->n_attachments);
	} else {
		for (size_t i = 0; i < m->n_attachments; i++) {
			const struct mf_attachment *a = &m->attachments[i];
			const struct jv *y = &arr->kids[i];
			if (a->nested) {
				const struct jv *e = jget(y, "embedded");
				char *sub = mf_xasprintf("%s: attachment %zu (forwarded message)", tag,
							 i + 1);
				if (jgetn(y, "method", 0) != 5 || !e)
					mf_verify_mismatch(c->v, "%s: %s: not an embedded message",
							   c->mbname, sub);
				else if (depth < 4)
					cmp_message(c, sub, e, a->nested, depth + 1);
				free(sub);
				continue;
			}
			{
				const char *nm = a->name && *a->name ? a->name : "attachment";
				const char *sha = jgets(y, "sha256");
				char want_sha[MF_SHA256_HEX];
				char *sub = mf_xasprintf("%s: attachment %zu", tag, i + 1);
				mf_sha256_hex(want_sha, a->has_data && a->data ? a->data : "",
					      a->has_data && a->data ? a->size : 0);
				if (jgetn(y, "method", 0) != 1)
					mf_verify_mismatch(c->v, "%s: %s: method %lld, staged by value",
							   c->mbname, sub,
							   (long long)jgetn(y, "method", 0));
				if (!sha || strcmp(sha, want_sha) != 0 ||
				    jgetn(y, "data_size", -1) !=
					    (int64_t)(a->has_data && a->data ? a->size : 0))
					mf_verify_mismatch(c->v, "%s: %s (%s): %lld bytes, sha256 "
							   "%.16s..., staged %zu bytes, %.16s...",
							   c->mbname, sub, nm,
							   (long long)jgetn(y, "data_size", -1),
							   sha ? sha : "(none)",
							   a->has_data && a->data ? a->size : 0, want_sha);
				cmp_str(c, sub, "file name", jgets(y, "long_name"), nm);
				free(sub);
			}
		}
	}
	mf_buf_release(&name);
	mf_buf_release(&addr);
}

/* A message found in the file. */
struct found {
	uint32_t nid;
	const struct jv *msg;
	const char *folder;    /* below the top of the store */
	int seen;
};

static int cmp_found(const void *a, const void *b)
{
	uint32_t x = ((const struct found *)a)->nid, y = ((const struct found *)b)->nid;
	return x < y ? -1 : x > y;
}

/* A folder below the top of the store. */
struct fold {
	const char *path;
	int64_t count;         /* content count the folder says */
	int64_t listed;        /* messages the reader listed */
	int64_t want;          /* messages the ledger puts there */
	int expected;          /* a standard or staged folder */
};

static struct fold *fold_find(struct fold *fs, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fs[i].path, path))
			return &fs[i];
	return NULL;
}

/* The node id of a ledger remote id "<part>:0x<NID>" when it names part. */
static int nid_in(const char *rid, const char *part, uint32_t *nid)
{
	size_t l = strlen(part);
	char *e;
	unsigned long v;
	if (!rid || strncmp(rid, part, l) != 0 || strncmp(rid + l, ":0x", 3) != 0)
		return 0;
	v = strtoul(rid + l + 3, &e, 16);
	if (*e || v > 0xFFFFFFFFul)
		return 0;
	*nid = (uint32_t)v;
	return 1;
}

void pst_verify_content(struct mf_verify *v, const struct mf_mailbox *mb,
			const struct mf_verify_mailbox *vm, const char *path,
			const char *part_name, struct mf_arena *arena)
{
	static const char *const standard[] = { "Inbox", "Sent Items", "Deleted Items", "Drafts",
						"Outbox" };
	struct mf_verify_sum *sum = mf_verify_sum(v);
	struct mf_store *st = mf_verify_store(v);
	struct vc c = { v, mb, mf_verify_name(mb), part_name, 0 };
	struct pstr f;
	struct mf_diag d;
	struct mf_buf jb;
	struct jp jp;
	struct jv root;
	const struct jv *folders;
	struct found *fnd = NULL;
	struct fold *fs = NULL;
	struct mf_arena ma = MF_ARENA_INIT;   /* one staged message at a time */
	size_t nfnd = 0, nfs = 0;
	char *top = NULL;

	memset(&f, 0, sizeof(f));
	memset(&root, 0, sizeof(root));
	f.problem = vc_problem;
	f.problem_ctx = &c;
	mf_diag_clear(&d);
	mf_buf_init(&jb, MF_BUF_UNBOUNDED);
	if (pstr_open_path(&f, path, &d) != MF_OK) {
		char line[1200];
		mf_verify_mismatch(v, "%s: %s cannot be read as a PST: %s", c.mbname, part_name,
				   mf_diag_format(&d, line, sizeof(line)));
		goto out;
	}
	pstr_check_ndb(&f);
	pstr_check_msg(&f, &jb);
	if (c.problems > VC_PROBLEMS_MAX)
		mf_verify_mismatch(v, "%s: %s: %ld more problems (mailferry inspect pst %s)",
				   c.mbname, part_name, c.problems - VC_PROBLEMS_MAX, path);
	jp.p = jb.data ? jb.data : "";
	jp.end = jp.p + jb.len;
	jp.a = arena;
	jp.bad = 0;
	jval(&jp, &root, 0);
	folders = jget(&root, "folders");
	if (jp.bad || !folders || folders->t != J_ARR) {
		mf_verify_mismatch(v, "%s: %s: the reader could not list its folders", c.mbname,
				   part_name);
		goto out;
	}
	/* the top of the store: the folder whose parent is the root folder and
	 * that holds the standard folders */
	for (size_t i = 0; i < folders->nk; i++) {
		const char *p = jgets(&folders->kids[i], "path");
		const char *slash = p ? strchr(p, '/') : NULL;
		if (slash && !strcmp(slash + 1, "Inbox"))
			top = mf_xstrndup(p, (size_t)(slash - p) + 1);
	}
	if (!top) {
		mf_verify_mismatch(v, "%s: %s: no Inbox below the top of the store", c.mbname,
				   part_name);
		goto out;
	}
	for (size_t i = 0; i < folders->nk; i++) {
		const struct jv *fo = &folders->kids[i];
		const char *p = jgets(fo, "path");
		const struct jv *ms = jget(fo, "messages");
		if (!p || strncmp(p, top, strlen(top)) != 0)
			continue;
		fs = mf_xreallocarray(fs, nfs + 1, sizeof(*fs));
		memset(&fs[nfs], 0, sizeof(*fs));
		fs[nfs].path = p + strlen(top);
		fs[nfs].count = jgetn(fo, "content_count", -1);
		fs[nfs].listed = ms && ms->t == J_ARR ? (int64_t)ms->nk : 0;
		nfs++;
		for (size_t k = 0; ms && ms->t == J_ARR && k < ms->nk; k++) {
			fnd = mf_xreallocarray(fnd, nfnd + 1, sizeof(*fnd));
			fnd[nfnd].nid = (uint32_t)jgetn(&ms->kids[k], "nid", 0);
			fnd[nfnd].msg = &ms->kids[k];
			fnd[nfnd].folder = p + strlen(top);
			fnd[nfnd].seen = 0;
			nfnd++;
		}
	}
	if (nfnd)
		qsort(fnd, nfnd, sizeof(*fnd), cmp_found);
	/* the standard folders and every staged one */
	for (size_t i = 0; i < MF_ARRAY_LEN(standard); i++) {
		struct fold *x = fold_find(fs, nfs, standard[i]);
		if (!x)
			mf_verify_mismatch(v, "%s: %s: standard folder %s missing", c.mbname,
					   part_name, standard[i]);
		else
			x->expected = 1;
	}
	for (size_t i = 0; i < vm->n_folders; i++) {
		char *want = expected_folder(vm->folders[i], NULL);
		struct fold *x = fold_find(fs, nfs, want);
		if (!x)
			mf_verify_mismatch(v, "%s: %s: folder '%s' (staged '%s') missing", c.mbname,
					   part_name, want, vm->folders[i]);
		else
			x->expected = 1;
		free(want);
	}
	/* every delivered message this part holds by the ledger */
	for (size_t i = 0; i < vm->n_all; i++) {
		const struct mf_ledger_row *r = &vm->all[i];
		struct found key = { 0 }, *hit;
		struct mf_message *m = NULL;
		char *want, *tag;
		if (!r->status || strcmp(r->status, "delivered") || !nid_in(r->remote_id, part_name,
									     &key.nid))
			continue;
		tag = mf_xasprintf("%s: message %lld in '%s'", part_name, (long long)r->item_id,
				   r->folder ? r->folder : "");
		hit = nfnd ? bsearch(&key, fnd, nfnd, sizeof(*fnd), cmp_found) : NULL;
		if (!hit) {
			mf_verify_mismatch(v, "%s: %s: not in the file (node 0x%X)", c.mbname, tag,
					   key.nid);
			free(tag);
			continue;
		}
		hit->seen = 1;
		mf_arena_reset(&ma);
		if (mf_store_message_load(st, &m, r->item_id, 1, &ma, &d) != MF_OK || !m) {
			char line[1200];
			mf_verify_mismatch(v, "%s: %s: the staged message cannot be read: %s",
					   c.mbname, tag, mf_diag_format(&d, line, sizeof(line)));
			free(tag);
			continue;
		}
		/* every staged folder is made when the part is opened, by its
		 * name; a folder whose name is not a standard one but whose
		 * special use is may hold its messages (either is right) */
		want = expected_folder(m->folder_path ? m->folder_path : r->folder,
				       m->folder_special);
		if (strcmp(hit->folder, want) != 0) {
			char *alt = expected_folder(m->folder_path ? m->folder_path : r->folder,
						    NULL);
			if (!strcmp(hit->folder, alt)) {
				free(want);
				want = alt;
			} else {
				mf_verify_mismatch(v, "%s: %s: in folder '%s', should be in '%s'",
						   c.mbname, tag, hit->folder, want);
				free(alt);
			}
		}
		{
			struct fold *x = fold_find(fs, nfs, want);
			if (x)
				x->want++;
		}
		cmp_message(&c, tag, hit->msg, m, 0);
		free(want);
		free(tag);
	}
	/* messages no ledger row names */
	for (size_t i = 0; i < nfnd; i++) {
		const char *klass = jgets(fnd[i].msg, "class");
		if (fnd[i].seen || !klass || strncmp(klass, "IPM.Note", 8) != 0)
			continue;
		mf_verify_mismatch(v, "%s: %s: message '%.80s' (node 0x%X) in '%s' is not in the "
				   "ledger (an extra message)", c.mbname, part_name,
				   jgets(fnd[i].msg, "subject") ? jgets(fnd[i].msg, "subject") : "",
				   fnd[i].nid, fnd[i].folder);
	}
	/* folder counts */
	for (size_t i = 0; i < nfs; i++) {
		if (!fs[i].expected)
			continue;
		sum->folders++;
		if (fs[i].count != fs[i].want || fs[i].listed != fs[i].want)
			mf_verify_mismatch(v, "%s: %s: folder '%s' counts %lld messages and lists "
					   "%lld, the ledger puts %lld there", c.mbname, part_name,
					   fs[i].path, (long long)fs[i].count,
					   (long long)fs[i].listed, (long long)fs[i].want);
	}
out:
	mf_arena_release(&ma);
	jfree(&root);
	free(fnd);
	free(fs);
	free(top);
	mf_buf_release(&jb);
	pstr_close(&f);
}
