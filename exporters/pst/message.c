/* SPDX-License-Identifier: MIT */
/*
 * message.c: one staged message as a PST message node ([MS-PST] 2.4.5,
 * [MS-OXCMSG]): the property context, the recipient table, the attachment
 * table with one attachment object per item, forwarded messages embedded
 * as attachment objects (PidTagAttachDataObject), recursively.
 *
 * Sizes.  PidTagMessageSize and PidTagAttachSize are the payload bytes of
 * every block of the object's node and subnodes (heaps, table rows, big
 * values, embedded messages), internal blocks not counted; both are
 * measured after everything else is laid out (the value is inline, so
 * measuring cannot change it).
 */
#include "exporters/pst/pst.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/charset.h"
#include "core/hash.h"
#include "core/mime.h"
#include "core/model.h"

#define MAX_DEPTH 16

uint64_t pst_filetime(int64_t t)
{
	return (uint64_t)(t + 11644473600LL) * 10000000ULL;
}

void pst_rowinfo_release(struct pst_rowinfo *ri)
{
	free(ri->klass);
	free(ri->subject);
	free(ri->sender);
	free(ri->to);
	free(ri->cc);
	free(ri->topic);
	memset(ri, 0, sizeof(*ri));
}

/* Text with CR LF line ends (bare LF and bare CR become CR LF). */
static void crlf(struct mf_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* the run up to the next line break in one piece */
		size_t j = i;
		while (j < n && s[j] != '\r' && s[j] != '\n')
			j++;
		mf_buf_add(out, s + i, j - i);
		if (j == n)
			break;
		mf_buf_add(out, "\r\n", 2);
		j += (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') ? 2 : 1;
		i = j;
	}
}

/* A party as MAPI wants it: display name, address type, address. */
struct party {
	char *name, *type, *addr;
};

static int party_of(struct party *p, const char *display, const char *type, const char *address,
		    const char *raw, const struct mf_mailbox *mb)
{
	struct mf_buf n, a;
	int rc;
	memset(p, 0, sizeof(*p));
	mf_buf_init(&n, 1u << 16);
	mf_buf_init(&a, 1u << 16);
	rc = mf_mime_address(&n, &a, display, type, address, raw, mb, NULL);
	if (rc == MF_OK && a.len) {
		p->addr = mf_xstrdup(a.data);
		p->name = mf_xstrdup(n.len ? n.data : a.data);
		p->type = mf_xstrdup("SMTP");
	} else if (display || raw) {
		p->name = mf_xstrdup(display ? display : raw);
		p->addr = mf_xstrdup(raw ? raw : display);
		p->type = mf_xstrdup(type && *type ? type : "SMTP");
	}
	mf_buf_release(&n);
	mf_buf_release(&a);
	return p->addr ? MF_OK : MF_EFORMAT;
}

static void party_free(struct party *p)
{
	free(p->name);
	free(p->type);
	free(p->addr);
}

/* One-off entry ID ([MS-OXCDATA] 2.2.5.1), Unicode strings. */
static uint8_t *one_off(const struct party *p, size_t *len)
{
	static const uint8_t uid[16] = { 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E,
					 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02 };
	struct mf_buf b;
	const char *parts[3] = { p->name, p->type, p->addr };
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_buf_add(&b, "\0\0\0\0", 4);
	mf_buf_add(&b, uid, 16);
	mf_buf_add(&b, "\0\0\x01\x90", 4);
	for (int i = 0; i < 3; i++) {
		size_t n;
		uint8_t *u = pst_utf16(parts[i], strlen(parts[i]), &n);
		mf_buf_add(&b, u, n);
		mf_buf_add(&b, "\0\0", 2);
		free(u);
	}
	return (uint8_t *)mf_buf_detach(&b, len);
}

uint8_t *pst_one_off(const char *name, const char *type, const char *addr, size_t *len)
{
	struct party p = { (char *)name, (char *)type, (char *)addr };
	return one_off(&p, len);
}

static char *search_key(const struct party *p)
{
	char *s = mf_xasprintf("%s:%s", p->type, p->addr);
	for (char *q = s; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return s;
}

/* "RE: " and the like: 1-3 letters, a colon and a space. */
static size_t prefix_len(const char *s)
{
	size_t k = 0;
	while (k < 3 && isalpha((unsigned char)s[k]))
		k++;
	if (k >= 1 && s[k] == ':' && s[k + 1] == ' ')
		return k + 2;
	return 0;
}

/* 8.3 name of a long file name. */
static void short_name(char out[13], const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t k = 0, e = 0;
	for (const char *p = name; *p && p != dot && k < 8; p++)
		if (isalnum((unsigned char)*p))
			out[k++] = (char)toupper((unsigned char)*p);
	if (!k)
		out[k++] = 'F';
	if (dot && dot[1]) {
		out[k++] = '.';
		for (const char *p = dot + 1; *p && e < 3; p++)
			if (isalnum((unsigned char)*p)) {
				out[k++] = (char)toupper((unsigned char)*p);
				e++;
			}
		if (!e)
			k--;
	}
	out[k] = '\0';
}

static void join(char **acc, const char *name)
{
	char *n = *acc ? mf_xasprintf("%s; %s", *acc, name) : mf_xstrdup(name);
	free(*acc);
	*acc = n;
}

/* ---- recipients ---- */

static void recipients(struct pst_store *s, const struct mf_message *m, struct pst_sublist *subs,
		       uint64_t *extra, char **to, char **cc, char **bcc)
{
	struct pst_tc t;
	uint64_t bd, bs, bytes;
	pst_tc_begin(&t, &s->nb, &pst_tc_recip, m->n_recipients, 0);
	for (size_t i = 0; i < m->n_recipients; i++) {
		const struct mf_recipient *r = &m->recipients[i];
		struct party p;
		struct pst_cell c[12];
		uint8_t *u[3], *eid;
		size_t n = 0, l[3], elen;
		char *sk;
		uint32_t type = !strcmp(r->role, "cc") ? 2 : !strcmp(r->role, "bcc") ? 3 : 1;
		if (party_of(&p, r->display_name, r->address_type, r->address, r->raw, s->mb) < 0)
			continue;
		join(type == 1 ? to : type == 2 ? cc : bcc, p.name);
		eid = one_off(&p, &elen);
		sk = search_key(&p);
		u[0] = pst_utf16(p.name, strlen(p.name), &l[0]);
		u[1] = pst_utf16(p.type, strlen(p.type), &l[1]);
		u[2] = pst_utf16(p.addr, strlen(p.addr), &l[2]);
		memset(c, 0, sizeof(c));
		c[n].tag = 0x0C150003, c[n++].v = type;
		c[n].tag = 0x0E0F000B, c[n++].v = 0;
		c[n].tag = 0x0FFE0003, c[n++].v = 6;
		c[n].tag = 0x0FFF0102, c[n].data = eid, c[n++].len = elen;
		c[n].tag = 0x3001001F, c[n].data = u[0], c[n++].len = l[0];
		c[n].tag = 0x3002001F, c[n].data = u[1], c[n++].len = l[1];
		c[n].tag = 0x3003001F, c[n].data = u[2], c[n++].len = l[2];
		c[n].tag = 0x300B0102, c[n].data = (const uint8_t *)sk, c[n++].len = strlen(sk) + 1;
		c[n].tag = 0x39000003, c[n++].v = 0;
		c[n].tag = 0x39FF001F, c[n].data = u[0], c[n++].len = l[0];
		c[n].tag = 0x3A40000B, c[n++].v = 0;
		pst_tc_row(&t, (uint32_t)i, 1, c, n);
		for (int k = 0; k < 3; k++)
			free(u[k]);
		free(eid);
		free(sk);
		party_free(&p);
	}
	pst_tc_end(&t, &bd, &bs, &bytes);
	pst_sub_add(subs, 0x692, bd, bs);
	*extra += bytes;
}

/* ---- attachments ---- */

static void attachments(struct pst_store *s, const struct mf_message *m, int depth,
			struct pst_sublist *subs, uint64_t *extra)
{
	struct pst_tc t;
	uint64_t bd, bs, bytes;
	pst_tc_begin(&t, &s->nb, &pst_tc_attach, m->n_attachments, 0);
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct mf_attachment *a = &m->attachments[i];
		struct pst_sublist asub = { 0 };
		struct pst_pc pc;
		struct pst_pc_out o;
		struct pst_cell c[4];
		uint32_t nid = PST_NID(NT_ATTACHMENT, 0x401 + i), next = 1, method = 1;
		uint64_t nested_bytes = 0;
		const char *name = a->name && *a->name ? a->name : "attachment";
		char sn[13];
		uint8_t *u;
		size_t ul;

		pst_pc_init(&pc);
		if (a->nested && depth < MAX_DEPTH) {
			uint64_t nbd, nbs;
			uint32_t enid = PST_NID(NT_LTP, next++);
			method = 5;
			pst_message_node(s, a->nested, depth + 1, &nbd, &nbs, &nested_bytes, NULL);
			pst_sub_add(&asub, enid, nbd, nbs);
			pst_pc_object(&pc, 0x3701, enid, (uint32_t)nested_bytes);
			pst_pc_str(&pc, 0x3001, a->nested->subject ? a->nested->subject :
				   (a->title ? a->title : name));
		} else {
			pst_pc_bin_ref(&pc, 0x3701, a->has_data ? a->data : NULL, a->has_data ? a->size : 0);
			short_name(sn, name);
			pst_pc_str(&pc, 0x3707, name);
			pst_pc_str(&pc, 0x3704, sn);
			pst_pc_str(&pc, 0x3001, name);
			if (strrchr(name, '.'))
				pst_pc_str(&pc, 0x3703, strrchr(name, '.'));
			pst_pc_str(&pc, 0x370E, a->content_type ? a->content_type :
				   "application/octet-stream");
		}
		pst_pc_i4(&pc, 0x3705, method);
		pst_pc_i4(&pc, 0x370B, 0xFFFFFFFFu);
		pst_pc_i4(&pc, 0x3714, 0);
		pst_pc_bool(&pc, 0x7FFE, 0);
		pst_pc_i4(&pc, 0x0E20, 0);
		pst_pc_write(&s->nb, &pc, &asub, &next, 0x0E20, nested_bytes, &o);
		pst_sub_add(subs, nid, o.bid_data, pst_ndb_subtree(&s->nb, &asub));
		*extra += o.bytes + nested_bytes;
		memset(c, 0, sizeof(c));
		c[0].tag = 0x0E200003, c[0].v = pst_pc_get(&pc, 0x0E20)->inl;
		c[1].tag = 0x37050003, c[1].v = method;
		c[2].tag = 0x370B0003, c[2].v = 0xFFFFFFFFu;
		/* the row holds what the attachment object holds: an embedded
		 * message has no file name, so its row has no 0x3704 cell */
		u = NULL;
		if (method != 5) {
			short_name(sn, name);
			u = pst_utf16(sn, strlen(sn), &ul);
			c[3].tag = 0x3704001F, c[3].data = u, c[3].len = ul;
		}
		pst_tc_row(&t, nid, 1, c, method == 5 ? 3 : 4);
		free(u);
		pst_pc_release(&pc);
	}
	pst_tc_end(&t, &bd, &bs, &bytes);
	pst_sub_add(subs, 0x671, bd, bs);
	*extra += bytes;
}

/* ---- the message ---- */

/*
 * The source header block as Internet headers (readers parse it as RFC
 * 5322): lines "Name: value" and their continuations as written, every
 * other line (MS Mail's "Microsoft Mail v3.0 ..." banner, a bare count)
 * as "X-Source-Line: <line>"; no empty line, CR LF ends.
 */
static void header_block(struct mf_buf *out, const char *h)
{
	int prev_kept = 0;
	while (*h) {
		size_t n = strcspn(h, "\r\n"), k = 0;
		int field;
		while (k < n && h[k] > ' ' && h[k] < 127 && h[k] != ':')
			k++;
		field = k > 0 && k < n && h[k] == ':';
		if (n == 0) {
			/* an empty line would end the header block */
		} else if (field || ((h[0] == ' ' || h[0] == '\t') && prev_kept)) {
			mf_buf_add(out, h, n);
			mf_buf_add(out, "\r\n", 2);
			prev_kept = 1;
		} else {
			mf_buf_addstr(out, "X-Source-Line: ");
			mf_buf_add(out, h, n);
			mf_buf_add(out, "\r\n", 2);
			prev_kept = 1;
		}
		h += n;
		if (*h == '\r')
			h++;
		if (*h == '\n')
			h++;
	}
}

void pst_cs_keep_free(struct pst_cs_keep *k)
{
	mf_charset_free(&k->cs);
	free(k->name);
	k->name = NULL;
}

/* The source header block in UTF-8: read in the message's code page
 * (converters are kept per store, one per code page met). */
static char *utf8_of(struct pst_store *s, const char *charset, const void *p, size_t n)
{
	struct mf_buf b;
	struct mf_charset *cs = NULL, **pcs = s->cs_keep ? &s->cs_keep->cs : &s->cs;
	char **pname = s->cs_keep ? &s->cs_keep->name : &s->cs_name;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	if (charset && *charset && !mf_utf8_valid(p, n)) {
		if (*pcs && !mf_strcaseeq(*pname, charset)) {
			mf_charset_free(pcs);
			free(*pname);
			*pname = NULL;
		}
		if (!*pcs && mf_charset_open(pcs, charset, NULL) == MF_OK)
			*pname = mf_xstrdup(charset);
		cs = *pcs;
	}
	if (!cs || mf_charset_to_utf8(cs, p, n, &b, NULL) < 0) {
		mf_buf_reset(&b);
		mf_utf8_sanitize(p, n, &b, NULL);
	}
	return mf_buf_detach(&b, NULL);
}

int pst_message_node(struct pst_store *s, const struct mf_message *m, int depth,
		     uint64_t *bid_data, uint64_t *bid_sub, uint64_t *bytes,
		     struct pst_rowinfo *ri)
{
	struct pst_sublist subs = { 0 };
	struct pst_pc pc;
	struct pst_pc_out o;
	struct party snd;
	struct mf_buf body;
	uint64_t extra = 0, t_submit = 0, t_deliv = 0, t_mod = 0;
	uint32_t next = 1, flags = 0, imp;
	char *to = NULL, *cc = NULL, *bcc = NULL, *subj = NULL, staged[MF_MIME_STAGED_ID_MAX];
	char mid[MF_MIME_MESSAGE_ID_MAX];
	uint8_t key[16];
	const char *topic = NULL;
	int has_sender, has_rtf = 0, rc;

	recipients(s, m, &subs, &extra, &to, &cc, &bcc);
	if (m->n_attachments) {
		attachments(s, m, depth, &subs, &extra);
		flags |= 0x10;
	}
	if (!m->unread)
		flags |= 0x01;
	if (m->unsent)
		flags |= 0x08;
	imp = m->priority < 0 ? 0 : m->priority > 0 ? 2 : 1;
	if (m->has_sent)
		t_submit = pst_filetime(m->sent_utc);
	t_deliv = m->has_received ? pst_filetime(m->received_utc) : t_submit;
	t_mod = t_deliv ? t_deliv : t_submit;

	pst_pc_init(&pc);
	pst_pc_str(&pc, 0x001A, "IPM.Note");
	if (m->subject) {
		size_t pl = prefix_len(m->subject);
		subj = mf_xasprintf("\x01%c%s", (char)(pl + 1), m->subject);
		topic = m->subject + pl;
		pst_pc_str(&pc, 0x0037, subj);
		pst_pc_str(&pc, 0x0070, topic);
	}
	pst_pc_i4(&pc, 0x0E07, flags);
	pst_pc_i4(&pc, 0x0E08, 0);
	pst_pc_i4(&pc, 0x0E17, 0);
	pst_pc_i4(&pc, 0x0017, imp);
	pst_pc_i4(&pc, 0x0026, (uint32_t)(m->priority < 0 ? -1 : m->priority > 0 ? 1 : 0));
	pst_pc_i4(&pc, 0x0036, 0);
	if (m->receipt_requested)
		pst_pc_bool(&pc, 0x0029, 1);
	if (m->has_sent)
		pst_pc_i8(&pc, 0x0039, PT_TIME, t_submit);
	if (t_deliv)
		pst_pc_i8(&pc, 0x0E06, PT_TIME, t_deliv);
	pst_pc_i8(&pc, 0x3007, PT_TIME, t_mod);
	pst_pc_i8(&pc, 0x3008, PT_TIME, t_mod);
	mf_mime_staged_id(staged, m);
	pst_hash16(key, "search-key", staged);
	pst_pc_bin(&pc, 0x300B, key, 16);
	mf_mime_message_id(mid, m);
	{
		char *b = mf_xasprintf("<%s>", mid);
		pst_pc_str(&pc, 0x1035, b);
		free(b);
	}
	if (m->parent_message_id && *m->parent_message_id) {
		char *b = m->parent_message_id[0] == '<' ? mf_xstrdup(m->parent_message_id) :
			  mf_xasprintf("<%s>", m->parent_message_id);
		pst_pc_str(&pc, 0x1042, b);
		free(b);
	}
	/* sender and sent-representing: the staged sender is both */
	has_sender = m->sender_raw &&
		     party_of(&snd, m->sender_name, m->sender_type, m->sender_address, m->sender_raw,
			      s->mb) == MF_OK;
	if (has_sender) {
		size_t elen;
		uint8_t *eid = one_off(&snd, &elen);
		char *sk = search_key(&snd);
		static const uint16_t ids[2][6] = { { 0x0C1A, 0x0C1E, 0x0C1F, 0x0C19, 0x0C1D, 0x5D01 },
						     { 0x0042, 0x0064, 0x0065, 0x0041, 0x003B, 0x5D02 } };
		for (int k = 0; k < 2; k++) {
			pst_pc_str(&pc, ids[k][0], snd.name);
			pst_pc_str(&pc, ids[k][1], snd.type);
			pst_pc_str(&pc, ids[k][2], snd.addr);
			pst_pc_bin(&pc, ids[k][3], eid, elen);
			pst_pc_bin(&pc, ids[k][4], sk, strlen(sk) + 1);
			pst_pc_str(&pc, ids[k][5], snd.addr);
		}
		free(eid);
		free(sk);
	}
	pst_pc_str(&pc, 0x0E04, to ? to : "");
	pst_pc_str(&pc, 0x0E03, cc ? cc : "");
	pst_pc_str(&pc, 0x0E02, bcc ? bcc : "");
	/* bodies */
	mf_buf_init(&body, MF_BUF_UNBOUNDED);
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		if (!strcmp(b->kind, "rtf")) {
			/* the RTF source: as written, or its text when that reproduces it */
			const void *src = b->raw ? b->raw : b->text;
			size_t sl = b->raw ? b->raw_len : b->text_len;
			if (!has_rtf && src && sl) {
				size_t cl;
				uint8_t *c = pst_lzfu(src, sl, &cl);
				pst_pc_bin(&pc, 0x1009, c, cl);
				pst_pc_bool(&pc, 0x0E1F, 1);
				free(c);
				has_rtf = 1;
			}
			continue;
		}
		if (b->text) {
			if (body.len)
				mf_buf_add(&body, "\r\n", 2);
			crlf(&body, b->text, b->text_len);
		}
	}
	if (body.len || !has_rtf)
		pst_pc_str(&pc, 0x1000, body.len ? body.data : "");
	mf_buf_release(&body);
	if (m->raw_header && m->raw_header_len) {
		char *h = utf8_of(s, m->charset, m->raw_header, m->raw_header_len);
		struct mf_buf hb;
		mf_buf_init(&hb, MF_BUF_UNBOUNDED);
		header_block(&hb, h);
		pst_pc_str(&pc, 0x007D, hb.len ? hb.data : "");
		mf_buf_release(&hb);
		free(h);
	}

	rc = pst_pc_write(&s->nb, &pc, &subs, &next, 0x0E08, extra, &o);
	*bid_data = o.bid_data;
	*bid_sub = pst_ndb_subtree(&s->nb, &subs);
	*bytes = o.bytes + extra;
	if (ri) {
		ri->flags = flags;
		ri->importance = imp;
		ri->size = pst_pc_get(&pc, 0x0E08)->inl;
		ri->has_submit = m->has_sent;
		ri->has_delivery = t_deliv != 0;
		ri->submit = t_submit;
		ri->delivery = t_deliv;
		ri->modified = t_mod;
		ri->klass = mf_xstrdup("IPM.Note");
		ri->subject = subj ? mf_xstrdup(subj) : NULL;
		ri->topic = topic ? mf_xstrdup(topic) : NULL;
		ri->sender = has_sender ? mf_xstrdup(snd.name) : NULL;
		ri->to = mf_xstrdup(to ? to : "");
		ri->cc = mf_xstrdup(cc ? cc : "");
	}
	if (has_sender)
		party_free(&snd);
	pst_pc_release(&pc);
	free(subj);
	free(to);
	free(cc);
	free(bcc);
	return rc;
}
