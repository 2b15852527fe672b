/* SPDX-License-Identifier: MIT */
/*
 * pstr_msg.c: the messaging layer of a PST, checked: the nodes every store
 * must have, the store's and name-to-ID map's required properties, every
 * folder's parent link, tables and counts, every hierarchy, contents and FAI
 * row against the node it describes, every message's required properties,
 * size, recipient and attachment tables and attachment objects.  With a JSON
 * buffer it also lists the folders and their messages for tests and for
 * `verify pst`.
 */
#include "exporters/pst/reader/pstr.h"
#include "core/hash.h"
#include "core/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NT(nid) ((nid) & 0x1F)
#define SIBLING(nid, t) (((nid) & ~0x1Fu) | (t))
#define MAX_DEPTH 64
#define EMBED_DEPTH 4

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The nodes [MS-PST] 2.7.1 requires of every store. */
static const uint32_t required_nodes[] = {
	0x21, 0x61, 0x122, 0x12D, 0x12E, 0x12F, 0x1E1, 0x201, 0x60D, 0x60E, 0x60F, 0x610,
	0x671, 0x692, 0x2223, 0x8022, 0x802D, 0x802E, 0x802F, 0x8042, 0x804D, 0x804E,
	0x804F, 0x8062, 0x806D, 0x806E, 0x806F,
};

/* Columns whose values are computed by the reader, not copied from the node. */
static int calculated(uint16_t id)
{
	static const uint16_t ids[] = {
		0x0057, 0x0058, 0x0E05, 0x0E2A, 0x0E30, 0x0E31, 0x0E33, 0x0E34, 0x0E37,
		0x0E38, 0x0E3C, 0x0E3D, 0x0E3E, 0x1097, 0x3013, 0x65C6, 0x6635, 0x6636,
		0x67F1, 0x67F2, 0x67F3,
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(ids); i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

struct walk {
	struct pstr *f;
	struct mf_buf *json;
	size_t *by_parent;     /* NBT indexes sorted by (parent, nid) */
	uint8_t store_uid[16];
	uint32_t ipm;          /* IPM subtree NID */
	int nfolders_json;
	struct pstr_namemap nm; /* for contacts, lists, tasks (pstr_pim.c) */
};

static const struct pstr_nent *nent_at(struct walk *w, size_t i) { return &w->f->nbt[w->by_parent[i]]; }

static struct pstr *sort_f;
static int cmp_parent(const void *a, const void *b)
{
	const struct pstr_nent *x = &sort_f->nbt[*(const size_t *)a];
	const struct pstr_nent *y = &sort_f->nbt[*(const size_t *)b];
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return x->nid < y->nid ? -1 : x->nid > y->nid;
}

/* The range of by_parent holding the children of parent. */
static void children(struct walk *w, uint32_t parent, size_t *from, size_t *to)
{
	size_t lo = 0, hi = w->f->nnbt;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (nent_at(w, m)->parent < parent)
			lo = m + 1;
		else
			hi = m;
	}
	*from = lo;
	while (lo < w->f->nnbt && nent_at(w, lo)->parent == parent)
		lo++;
	*to = lo;
}

static struct pstr_node *open_top(struct pstr *f, uint32_t nid)
{
	const struct pstr_nent *e = pstr_nbt_find(f, nid);
	if (!e)
		return NULL;
	return pstr_node_open(f, nid, e->bid_data, e->bid_sub);
}

/* ---- value helpers ---- */

static void hexstr(char *out, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A short rendering of a value for a problem line. */
static void show(char *out, size_t cap, const struct pstr_val *v)
{
	if (!v->exists) {
		snprintf(out, cap, "(absent)");
	} else if (v->type == PSTR_T_STR) {
		char *s = pstr_utf16(v->p, v->len);
		snprintf(out, cap, "\"%.60s\"", s);
		free(s);
	} else if (v->len <= 8) {
		uint64_t x = 0;
		for (size_t i = v->len; i-- > 0;)
			x = x << 8 | v->p[i];
		snprintf(out, cap, "%llu", (unsigned long long)x);
	} else {
		char h[67];
		hexstr(h, v->p, v->len < 32 ? v->len : 32);
		snprintf(out, cap, "%zu bytes %s%s", (size_t)v->full_len, h, v->len > 32 ? "..." : "");
	}
}

/* Compare every cell of the loaded row with the node's property context. */
static void row_vs_pc(struct pstr *f, struct pstr_tc *tc, uint32_t table, uint32_t row_id,
		      struct pstr_pc *pc)
{
	for (size_t c = 0; c < tc->ncols; c++) {
		uint32_t tag = tc->cols[c].tag;
		uint16_t id = (uint16_t)(tag >> 16), type = (uint16_t)tag;
		struct pstr_val cell, pv;
		char a[128], b[128];
		if (calculated(id))
			continue;
		if (pstr_tc_cell(tc, c, &cell, 1 << 20) != MF_OK) {
			pstr_report(f, MF_NO_OFFSET, table, "row 0x%X: cell 0x%08X cannot be read",
				    row_id, tag);
			continue;
		}
		pstr_pc_get(pc, id, &pv, 1 << 20);
		if (!cell.exists && !pv.exists) {
			/* both absent */
		} else if (!pv.exists) {
			show(a, sizeof(a), &cell);
			pstr_report(f, MF_NO_OFFSET, table,
				    "row 0x%X: column 0x%08X holds %s, the node has no such property",
				    row_id, tag, a);
		} else if (pv.type != type) {
			pstr_report(f, MF_NO_OFFSET, table,
				    "row 0x%X: column 0x%08X, but the node's property has type 0x%04X",
				    row_id, tag, pv.type);
		} else if (!cell.exists) {
			show(b, sizeof(b), &pv);
			pstr_report(f, MF_NO_OFFSET, table,
				    "row 0x%X: column 0x%08X is empty, the node holds %s", row_id, tag, b);
		} else if (cell.full_len != pv.full_len || cell.len != pv.len ||
			   (cell.len && memcmp(cell.p, pv.p, cell.len) != 0)) {
			show(a, sizeof(a), &cell);
			show(b, sizeof(b), &pv);
			pstr_report(f, MF_NO_OFFSET, table,
				    "row 0x%X: column 0x%08X is %s, the node holds %s", row_id, tag, a, b);
		}
		pstr_val_release(&cell);
		pstr_val_release(&pv);
	}
}

static void require_props(struct pstr *f, struct pstr_pc *pc, uint32_t nid, const uint16_t *ids,
			  size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!pstr_pc_find(pc, ids[i]))
			pstr_report(f, MF_NO_OFFSET, nid, "%s lacks required property 0x%04X", what,
				    ids[i]);
}

static void json_time(struct mf_buf *b, const char *key, struct pstr_pc *pc, uint16_t id)
{
	uint64_t ft;
	char s[32];
	if (!pstr_pc_u64(pc, id, &ft))
		return;
	{
		int64_t secs = (int64_t)(ft / 10000000ULL) - 11644473600LL;
		time_t t = (time_t)secs;
		struct tm tm;
		if (secs < -62135596800LL || secs > 253402300799LL || !gmtime_r(&t, &tm))
			return;
		strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	mf_json_kv_str(b, key, s, 0);
}

static void json_pc_str(struct mf_buf *b, const char *key, struct pstr_pc *pc, uint16_t id)
{
	char *s;
	if (!pstr_pc_find(pc, id))
		return;
	s = pstr_pc_str(pc, id);
	mf_json_kv_str(b, key, s, 0);
	free(s);
}

static void sha_fn(void *ctx, const void *p, size_t n) { mf_sha256_update(ctx, p, n); }

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- messages ---- */

static void check_message(struct walk *w, struct pstr_node *n, struct pstr_pc *pc, int depth,
			  struct mf_buf *jb);

static void check_attachments(struct walk *w, struct pstr_node *msg, struct pstr_pc *mpc,
			      int depth, struct mf_buf *jb)
{
	struct pstr *f = w->f;
	struct pstr_node *tn = pstr_node_sub(msg, 0x671);
	struct pstr_tc tc;
	uint32_t flags = 0;
	size_t nsub5 = 0;
	int first = 1;

	for (size_t i = 0; i < msg->nsubs; i++)
		if (NT(msg->subs[i].nid) == PSTR_NT_ATTACH)
			nsub5++;
	pstr_pc_u32(mpc, 0x0E07, &flags);
	if (jb)
		mf_buf_addstr(jb, ",\"attachments\":[");
	if (!tn) {
		if (nsub5)
			pstr_report(f, MF_NO_OFFSET, msg->nid, "%zu attachment objects but no "
				    "attachment table", nsub5);
		if (flags & 0x10)
			pstr_report(f, MF_NO_OFFSET, msg->nid, "flag mfHasAttach set, no attachment "
				    "table");
		goto out;
	}
	if (pstr_tc_load(&tc, tn) != MF_OK) {
		pstr_node_free(&tn);
		goto out;
	}
	if (tc.nrows != nsub5)
		pstr_report(f, MF_NO_OFFSET, msg->nid, "attachment table has %zu rows, the message "
			    "%zu attachment objects", tc.nrows, nsub5);
	if (!!(flags & 0x10) != (tc.nrows > 0))
		pstr_report(f, MF_NO_OFFSET, msg->nid, "flag mfHasAttach %s, %zu attachments",
			    flags & 0x10 ? "set" : "clear", tc.nrows);
	for (size_t r = 0; r < tc.nrows; r++) {
		uint32_t id = tc.row_ids[r], method = 0;
		struct pstr_node *an;
		struct pstr_pc apc;
		static const uint16_t req[] = { 0x0E20, 0x3705, 0x370B };
		if (pstr_tc_row(&tc, r) != MF_OK)
			continue;
		f->tot.attachments++;
		an = pstr_node_sub(msg, id);
		if (NT(id) != PSTR_NT_ATTACH || !an) {
			pstr_report(f, MF_NO_OFFSET, msg->nid, "attachment row 0x%X has no attachment "
				    "object", id);
			pstr_node_free(&an);
			continue;
		}
		if (pstr_pc_load(&apc, an) != MF_OK) {
			pstr_node_free(&an);
			continue;
		}
		row_vs_pc(f, &tc, msg->nid, id, &apc);
		require_props(f, &apc, msg->nid, req, MF_ARRAY_LEN(req), "attachment");
		pstr_pc_u32(&apc, 0x3705, &method);
		if (jb) {
			uint32_t sz = 0;
			const struct pstr_prop *dp = pstr_pc_find(&apc, 0x3701);
			if (!first)
				mf_buf_addch(jb, ',');
			first = 0;
			mf_buf_addch(jb, '{');
			mf_json_kv_int(jb, "method", method, 1);
			json_pc_str(jb, "name", &apc, 0x3704);
			json_pc_str(jb, "long_name", &apc, 0x3707);
			json_pc_str(jb, "mime", &apc, 0x370E);
			if (pstr_pc_u32(&apc, 0x0E20, &sz))
				mf_json_kv_int(jb, "size", sz, 0);
			if (dp && dp->type == PSTR_T_BIN) {
				struct mf_sha256 h;
				char hex[MF_SHA256_HEX];
				uint64_t len = 0;
				mf_sha256_init(&h);
				int ok = pstr_pc_stream(&apc, 0x3701, sha_fn, &h, &len) == MF_OK;
				mf_sha256_final(&h, hex);       /* also frees the context */
				if (ok) {
					mf_json_kv_int(jb, "data_size", (int64_t)len, 0);
					mf_json_kv_str(jb, "sha256", hex, 0);
				}
			}
		}
		{
			const struct pstr_prop *dp = pstr_pc_find(&apc, 0x3701);
			if (dp && dp->type == PSTR_T_OBJ) {
				struct pstr_val v;
				if (pstr_hnid(an, dp->raw, &v, 16) == MF_OK && v.len >= 8) {
					uint32_t enid = le32(v.p);
					struct pstr_node *en = pstr_node_sub(an, enid);
					struct pstr_pc epc;
					if (!en)
						pstr_report(f, MF_NO_OFFSET, msg->nid, "embedded message "
							    "0x%X missing", enid);
					else if (depth >= EMBED_DEPTH)
						pstr_report(f, MF_NO_OFFSET, msg->nid, "messages embedded "
							    "deeper than %d", EMBED_DEPTH);
					else if (pstr_pc_load(&epc, en) == MF_OK) {
						if (jb)
							mf_buf_addstr(jb, ",\"embedded\":");
						check_message(w, en, &epc, depth + 1, jb);
						pstr_pc_release(&epc);
					}
					pstr_node_free(&en);
				} else if (dp->raw) {
					pstr_report(f, MF_NO_OFFSET, msg->nid, "attachment 0x%X: object "
						    "value unreadable", id);
				}
				pstr_val_release(&v);
			}
		}
		if (jb)
			mf_buf_addch(jb, '}');
		pstr_pc_release(&apc);
		pstr_node_free(&an);
	}
	pstr_tc_release(&tc);
	pstr_node_free(&tn);
out:
	if (jb)
		mf_buf_addch(jb, ']');
}

static void check_recipients(struct walk *w, struct pstr_node *msg, struct mf_buf *jb)
{
	struct pstr *f = w->f;
	struct pstr_node *tn = pstr_node_sub(msg, 0x692);
	struct pstr_tc tc;
	if (jb)
		mf_buf_addstr(jb, ",\"recipients\":[");
	if (!tn) {
		pstr_report(f, MF_NO_OFFSET, msg->nid, "message has no recipient table (0x692)");
	} else if (pstr_tc_load(&tc, tn) == MF_OK) {
		for (size_t r = 0; r < tc.nrows; r++) {
			struct pstr_val v;
			if (pstr_tc_row(&tc, r) != MF_OK)
				continue;
			f->tot.recipients++;
			if (!jb)
				continue;
			if (r)
				mf_buf_addch(jb, ',');
			mf_buf_addch(jb, '{');
			if (pstr_tc_cell_tag(&tc, 0x0C150003, &v, 8) == MF_OK && v.exists)
				mf_json_kv_int(jb, "type", le32(v.p), 1);
			else
				mf_json_kv_int(jb, "type", 0, 1);
			pstr_val_release(&v);
			{
				static const struct { uint32_t tag; const char *key; } cols[] = {
					{ 0x3001001F, "name" }, { 0x3002001F, "addrtype" },
					{ 0x3003001F, "address" }, { 0x39FE001F, "smtp" },
				};
				for (size_t k = 0; k < MF_ARRAY_LEN(cols); k++)
					if (pstr_tc_cell_tag(&tc, cols[k].tag, &v, 1 << 16) == MF_OK &&
					    v.exists) {
						char *s = pstr_utf16(v.p, v.len);
						mf_json_kv_str(jb, cols[k].key, s, 0);
						free(s);
						pstr_val_release(&v);
					} else {
						pstr_val_release(&v);
					}
			}
			mf_buf_addch(jb, '}');
		}
		pstr_tc_release(&tc);
	}
	pstr_node_free(&tn);
	if (jb)
		mf_buf_addch(jb, ']');
}

static void check_message(struct walk *w, struct pstr_node *n, struct pstr_pc *pc, int depth,
			  struct mf_buf *jb)
{
	static const uint16_t req[] = { 0x001A, 0x0E07, 0x0E08, 0x0E17, 0x3007, 0x3008, 0x300B };
	struct pstr *f = w->f;
	uint32_t size = 0, flags = 0, imp = 1;
	uint64_t total = pstr_node_total(n, 0);

	require_props(f, pc, n->nid, req, MF_ARRAY_LEN(req), "message");
	if (pstr_pc_u32(pc, 0x0E08, &size) && size != total)
		pstr_report(f, MF_NO_OFFSET, n->nid,
			    "PidTagMessageSize %u, but the message's node and subnodes hold %llu bytes",
			    size, (unsigned long long)total);
	pstr_pc_u32(pc, 0x0E07, &flags);
	if (jb) {
		char *subj = pstr_pc_str(pc, 0x0037);
		const char *s = subj;
		mf_buf_addch(jb, '{');
		mf_json_kv_int(jb, "nid", n->nid, 1);
		json_pc_str(jb, "class", pc, 0x001A);
		/* a leading U+0001 and a length character mark the prefix */
		if ((unsigned char)s[0] == 0x01 && s[1])
			s += 2 + ((unsigned char)s[1] >= 0xC0 ? 1 : 0);
		mf_json_kv_str(jb, "subject", s, 0);
		free(subj);
		json_pc_str(jb, "sender_name", pc, 0x0C1A);
		json_pc_str(jb, "sender_address", pc, 0x0C1F);
		json_pc_str(jb, "sender_addrtype", pc, 0x0C1E);
		json_pc_str(jb, "from_name", pc, 0x0042);
		json_pc_str(jb, "from_address", pc, 0x0065);
		json_pc_str(jb, "display_to", pc, 0x0E04);
		json_pc_str(jb, "display_cc", pc, 0x0E03);
		json_pc_str(jb, "display_bcc", pc, 0x0E02);
		json_time(jb, "submit_time", pc, 0x0039);
		json_time(jb, "delivery_time", pc, 0x0E06);
		mf_json_kv_int(jb, "flags", flags, 0);
		mf_buf_addf(jb, ",\"read\":%s,\"unsent\":%s", flags & 1 ? "true" : "false",
			    flags & 8 ? "true" : "false");
		if (pstr_pc_u32(pc, 0x0017, &imp))
			mf_json_kv_int(jb, "importance", imp, 0);
		mf_json_kv_int(jb, "size", size, 0);
		if (pstr_pc_find(pc, 0x1000)) {
			struct mf_sha256 h;
			char hex[MF_SHA256_HEX];
			char *body = pstr_pc_str(pc, 0x1000);
			mf_sha256_hex(hex, body, strlen(body));
			mf_json_kv_int(jb, "body_length", (int64_t)strlen(body), 0);
			mf_json_kv_str(jb, "body_sha256", hex, 0);
			free(body);
			(void)h;
		}
	}
	pstr_check_pim(f, &w->nm, n->nid, pc, w->store_uid);
	check_recipients(w, n, jb);
	check_attachments(w, n, pc, depth, jb);
	pstr_check_appt(f, n, pc, jb);
	if (jb)
		mf_buf_addch(jb, '}');
}

/* ---- folders ---- */

/* Check the rows of one folder table against the nodes of type `type` whose
 * parent is the folder; returns how many such nodes (and unread ones). */
static void check_table(struct walk *w, uint32_t folder, uint32_t tnid, uint32_t type,
			long *count, long *unread, struct mf_buf *jb)
{
	struct pstr *f = w->f;
	struct pstr_node *tn = open_top(f, tnid);
	struct pstr_tc tc;
	size_t from, to, nkids = 0, rows_ok = 0;
	int first = 1;

	*count = *unread = 0;
	children(w, folder, &from, &to);
	for (size_t i = from; i < to; i++) {
		uint32_t nid = nent_at(w, i)->nid;
		if (nid == folder)
			continue;
		if (NT(nid) == type || (type == PSTR_NT_FOLDER && NT(nid) == PSTR_NT_SEARCH))
			nkids++;
	}
	if (!tn) {
		pstr_report(f, MF_NO_OFFSET, folder, "folder table 0x%X missing or unreadable", tnid);
		return;
	}
	if (pstr_tc_load(&tc, tn) != MF_OK) {
		pstr_node_free(&tn);
		return;
	}
	for (size_t r = 0; r < tc.nrows; r++) {
		uint32_t id = tc.row_ids[r];
		const struct pstr_nent *e = pstr_nbt_find(f, id);
		struct pstr_node *cn;
		struct pstr_pc pc;
		if (pstr_tc_row(&tc, r) != MF_OK)
			continue;
		if (!e || e->parent != folder) {
			pstr_report(f, MF_NO_OFFSET, tnid, "row 0x%X names %s", id,
				    e ? "a node whose parent is another folder" : "no node");
			continue;
		}
		cn = pstr_node_open(f, id, e->bid_data, e->bid_sub);
		if (!cn || pstr_pc_load(&pc, cn) != MF_OK) {
			pstr_report(f, MF_NO_OFFSET, id, "node of row in 0x%X cannot be read", tnid);
			pstr_node_free(&cn);
			continue;
		}
		rows_ok++;
		row_vs_pc(f, &tc, tnid, id, &pc);
		if (type != PSTR_NT_FOLDER) {
			uint32_t flags = 0;
			if (pstr_pc_u32(&pc, 0x0E07, &flags) && !(flags & 1))
				(*unread)++;
			if (type == PSTR_NT_MESSAGE)
				f->tot.messages++;
			else
				f->tot.assoc++;
			if (jb && type == PSTR_NT_MESSAGE) {
				if (!first)
					mf_buf_addch(jb, ',');
				first = 0;
			}
			check_message(w, cn, &pc, 0, type == PSTR_NT_MESSAGE ? jb : NULL);
		}
		pstr_pc_release(&pc);
		pstr_node_free(&cn);
	}
	*count = (long)tc.nrows;
	if (tc.nrows != nkids)
		pstr_report(f, MF_NO_OFFSET, tnid, "table has %zu rows, the folder has %zu %s",
			    tc.nrows, nkids, type == PSTR_NT_FOLDER ? "subfolders"
			    : type == PSTR_NT_MESSAGE ? "messages" : "associated messages");
	/* children with no row (row ids sorted for the lookup) */
	{
		uint32_t *ids = mf_xmemdup(tc.row_ids, (tc.nrows ? tc.nrows : 1) * sizeof(*ids));
		if (tc.nrows > 1)
			qsort(ids, tc.nrows, sizeof(*ids), cmp_u32);
		for (size_t i = from; i < to; i++) {
			uint32_t nid = nent_at(w, i)->nid;
			int match = NT(nid) == type ||
				    (type == PSTR_NT_FOLDER && NT(nid) == PSTR_NT_SEARCH);
			if (!match || nid == folder)
				continue;
			if (!bsearch(&nid, ids, tc.nrows, sizeof(*ids), cmp_u32))
				pstr_report(f, MF_NO_OFFSET, nid, "node of folder 0x%X has no row in "
					    "its table 0x%X", folder, tnid);
		}
		free(ids);
	}
	(void)rows_ok;
	pstr_tc_release(&tc);
	pstr_node_free(&tn);
}

/* The folder's path from the root ("" for the root itself). */
static char *folder_path(struct walk *w, uint32_t nid)
{
	char *names[MAX_DEPTH];
	int n = 0;
	struct mf_buf b;
	uint32_t cur = nid;
	while (cur != 0x122 && n < MAX_DEPTH) {
		const struct pstr_nent *e = pstr_nbt_find(w->f, cur);
		struct pstr_node *node;
		struct pstr_pc pc;
		if (!e)
			break;
		node = pstr_node_open(w->f, cur, e->bid_data, e->bid_sub);
		names[n] = NULL;
		if (node && pstr_pc_load(&pc, node) == MF_OK) {
			names[n] = pstr_pc_str(&pc, 0x3001);
			pstr_pc_release(&pc);
		}
		if (!names[n])
			names[n] = mf_xstrdup("?");
		n++;
		pstr_node_free(&node);
		cur = e->parent;
	}
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_buf_addstr(&b, "");
	for (int i = n - 1; i >= 0; i--) {
		mf_buf_addstr(&b, names[i]);
		if (i)
			mf_buf_addch(&b, '/');
		free(names[i]);
	}
	return mf_buf_detach(&b, NULL);
}

static void check_folder(struct walk *w, const struct pstr_nent *e)
{
	static const uint16_t req[] = { 0x3001, 0x3602, 0x3603, 0x360A };
	struct pstr *f = w->f;
	struct pstr_node *n = pstr_node_open(f, e->nid, e->bid_data, e->bid_sub);
	struct pstr_pc pc;
	uint32_t cnt = 0, unr = 0, sub = 0;
	long nmsg = 0, nunread = 0, nfolders = 0, nassoc = 0, dummy;
	struct mf_buf *jb = w->json;
	int depth = 0;
	uint32_t cur = e->nid;

	f->tot.folders++;
	/* the parent chain must reach the root */
	while (cur != 0x122 && depth++ < MAX_DEPTH) {
		const struct pstr_nent *p = pstr_nbt_find(f, cur);
		if (!p || !pstr_nbt_find(f, p->parent) ||
		    (NT(p->parent) != PSTR_NT_FOLDER)) {
			pstr_report(f, MF_NO_OFFSET, cur, "parent 0x%X is not a folder",
				    p ? p->parent : 0);
			break;
		}
		cur = p->parent;
	}
	if (depth >= MAX_DEPTH)
		pstr_report(f, MF_NO_OFFSET, e->nid, "parent chain does not reach the root (a loop?)");
	if (!n || pstr_pc_load(&pc, n) != MF_OK) {
		pstr_report(f, MF_NO_OFFSET, e->nid, "folder node cannot be read");
		pstr_node_free(&n);
		return;
	}
	require_props(f, &pc, e->nid, req, MF_ARRAY_LEN(req), "folder");
	pstr_pc_u32(&pc, 0x3602, &cnt);
	pstr_pc_u32(&pc, 0x3603, &unr);
	pstr_pc_u32(&pc, 0x360A, &sub);
	if (NT(e->nid) == PSTR_NT_FOLDER) {
		if (jb) {
			char *name = pstr_pc_str(&pc, 0x3001), *path = folder_path(w, e->nid);
			if (w->nfolders_json++)
				mf_buf_addch(jb, ',');
			mf_buf_addch(jb, '{');
			mf_json_kv_int(jb, "nid", e->nid, 1);
			mf_json_kv_int(jb, "parent", e->parent, 0);
			mf_json_kv_str(jb, "name", name, 0);
			mf_json_kv_str(jb, "path", path, 0);
			mf_json_kv_int(jb, "content_count", cnt, 0);
			mf_json_kv_int(jb, "unread_count", unr, 0);
			mf_buf_addf(jb, ",\"subfolders\":%s", sub ? "true" : "false");
			mf_buf_addstr(jb, ",\"messages\":[");
			free(name);
			free(path);
		}
		check_table(w, e->nid, SIBLING(e->nid, PSTR_NT_HIER), PSTR_NT_FOLDER, &nfolders,
			    &dummy, NULL);
		check_table(w, e->nid, SIBLING(e->nid, PSTR_NT_CONTENTS), PSTR_NT_MESSAGE, &nmsg,
			    &nunread, jb);
		check_table(w, e->nid, SIBLING(e->nid, PSTR_NT_FAI), PSTR_NT_ASSOC, &nassoc,
			    &dummy, NULL);
		if (jb)
			mf_buf_addstr(jb, "]}");
		if ((long)cnt != nmsg)
			pstr_report(f, MF_NO_OFFSET, e->nid, "PidTagContentCount %u, the contents "
				    "table has %ld rows", cnt, nmsg);
		if ((long)unr != nunread)
			pstr_report(f, MF_NO_OFFSET, e->nid, "PidTagContentUnreadCount %u, %ld "
				    "messages are unread", unr, nunread);
		if (!!sub != (nfolders > 0))
			pstr_report(f, MF_NO_OFFSET, e->nid, "PidTagSubfolders %s, %ld subfolders",
				    sub ? "true" : "false", nfolders);
	}
	pstr_pc_release(&pc);
	pstr_node_free(&n);
}

/* An EntryID of the store: 4 zero bytes, the store's UID, a NID. */
static uint32_t store_entryid(struct walk *w, struct pstr_pc *pc, uint16_t id, const char *what)
{
	struct pstr_val v;
	uint32_t nid = 0;
	if (pstr_pc_get(pc, id, &v, 64) != MF_OK || !v.exists) {
		pstr_report(w->f, MF_NO_OFFSET, 0x21, "store lacks %s (0x%04X)", what, id);
	} else if (v.len != 24 || le32(v.p) != 0 || memcmp(v.p + 4, w->store_uid, 16) != 0) {
		pstr_report(w->f, MF_NO_OFFSET, 0x21, "store %s (0x%04X) is not an EntryID of this "
			    "store", what, id);
	} else {
		nid = le32(v.p + 20);
		if (!pstr_nbt_find(w->f, nid) || NT(nid) != PSTR_NT_FOLDER) {
			pstr_report(w->f, MF_NO_OFFSET, 0x21, "store %s names 0x%X, not a folder",
				    what, nid);
			nid = 0;
		}
	}
	pstr_val_release(&v);
	return nid;
}

void pstr_check_msg(struct pstr *f, struct mf_buf *json)
{
	struct walk w;
	struct pstr_node *n;
	struct pstr_pc pc;
	const struct pstr_nent *root;

	memset(&w, 0, sizeof(w));
	w.f = f;
	w.json = json;
	for (size_t i = 0; i < MF_ARRAY_LEN(required_nodes); i++)
		if (!pstr_nbt_find(f, required_nodes[i]))
			pstr_report(f, MF_NO_OFFSET, required_nodes[i], "required node missing");
	/* store */
	n = open_top(f, 0x21);
	if (n && pstr_pc_load(&pc, n) == MF_OK) {
		struct pstr_val v;
		static const uint16_t req[] = { 0x0FF9, 0x3001, 0x35E0, 0x35E3, 0x35E7 };
		require_props(f, &pc, 0x21, req, MF_ARRAY_LEN(req), "message store");
		if (pstr_pc_get(&pc, 0x0FF9, &v, 64) == MF_OK && v.len == 16)
			memcpy(w.store_uid, v.p, 16);
		else
			pstr_report(f, MF_NO_OFFSET, 0x21, "store record key is not 16 bytes");
		pstr_val_release(&v);
		w.ipm = store_entryid(&w, &pc, 0x35E0, "IPM subtree EntryID");
		store_entryid(&w, &pc, 0x35E3, "wastebasket EntryID");
		store_entryid(&w, &pc, 0x35E7, "finder EntryID");
		pstr_pc_release(&pc);
	} else {
		pstr_report(f, MF_NO_OFFSET, 0x21, "message store node cannot be read");
	}
	pstr_node_free(&n);
	/* name-to-ID map */
	n = open_top(f, 0x61);
	if (n && pstr_pc_load(&pc, n) == MF_OK) {
		uint32_t buckets = 0;
		if (!pstr_pc_u32(&pc, 0x0001, &buckets) || buckets != 251)
			pstr_report(f, MF_NO_OFFSET, 0x61, "PidTagNameidBucketCount %u, not 251",
				    buckets);
		pstr_namemap_load(&w.nm, &pc);
		pstr_pc_release(&pc);
	} else {
		pstr_report(f, MF_NO_OFFSET, 0x61, "name-to-ID map cannot be read");
	}
	pstr_node_free(&n);
	root = pstr_nbt_find(f, 0x122);
	if (root && root->parent != 0x122)
		pstr_report(f, root->page, 0x122, "root folder's parent is 0x%X, not itself",
			    root->parent);

	/* folders, by parent */
	w.by_parent = mf_xcalloc(f->nnbt ? f->nnbt : 1, sizeof(*w.by_parent));
	for (size_t i = 0; i < f->nnbt; i++)
		w.by_parent[i] = i;
	sort_f = f;
	if (f->nnbt > 1)
		qsort(w.by_parent, f->nnbt, sizeof(*w.by_parent), cmp_parent);
	if (json)
		mf_buf_addstr(json, "{\"folders\":[");
	for (size_t i = 0; i < f->nnbt; i++) {
		const struct pstr_nent *e = &f->nbt[i];
		if (NT(e->nid) == PSTR_NT_FOLDER || NT(e->nid) == PSTR_NT_SEARCH)
			check_folder(&w, e);
		else if ((NT(e->nid) == PSTR_NT_MESSAGE || NT(e->nid) == PSTR_NT_ASSOC) &&
			 (!pstr_nbt_find(f, e->parent) || NT(e->parent) != PSTR_NT_FOLDER))
			pstr_report(f, e->page, e->nid, "message's parent 0x%X is not a folder",
				    e->parent);
	}
	if (json) {
		mf_buf_addstr(json, "],\"totals\":{");
		mf_json_kv_int(json, "folders", f->tot.folders, 1);
		mf_json_kv_int(json, "messages", f->tot.messages, 0);
		mf_json_kv_int(json, "assoc", f->tot.assoc, 0);
		mf_json_kv_int(json, "attachments", f->tot.attachments, 0);
		mf_json_kv_int(json, "recipients", f->tot.recipients, 0);
		mf_json_kv_int(json, "nodes", f->tot.nodes, 0);
		mf_json_kv_int(json, "blocks", f->tot.blocks, 0);
		mf_json_kv_int(json, "pages", f->tot.pages, 0);
		mf_json_kv_int(json, "problems", f->nproblems, 0);
		mf_buf_addstr(json, "}}");
	}
	free(w.by_parent);
	pstr_namemap_release(&w.nm);
}

/* ---- input ---- */

static int read_fd(void *ctx, uint64_t off, void *buf, size_t len)
{
	int fd = ((struct pstr *)ctx)->fd_plus1 - 1;
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* A file up to this size is read with one call and its pages served from
 * memory: a PST of an empty mailbox is about 265 KiB (mostly holes) and
 * its check reads about 250 pages, one pread each. */
#define PSTR_WHOLE_MAX ((uint64_t)1 << 20)

static int read_whole(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct pstr *f = ctx;
	if (off > f->whole_len || len > f->whole_len - off)
		return -1;
	memcpy(buf, f->whole + off, len);
	return 0;
}

/* The whole of a small file into w (size bytes): its data extents read,
 * its holes left as zeros without reading them (reading a hole fills the
 * page cache with zeroed pages: most of an empty mailbox's PST). */
static int read_extents(struct pstr *f, unsigned char *w, uint64_t size)
{
	int fd = f->fd_plus1 - 1;
	uint64_t at = 0;
	memset(w, 0, (size_t)size);
	while (at < size) {
		off_t dat = lseek(fd, (off_t)at, SEEK_DATA), hole;
		if (dat < 0 && errno == ENXIO)
			return 0;   /* a hole to the end */
		if (dat < 0)
			return read_fd(f, 0, w, (size_t)size);   /* no SEEK_DATA here */
		if ((uint64_t)dat >= size)
			return 0;
		hole = lseek(fd, dat, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		if (read_fd(f, (uint64_t)dat, w + dat, (size_t)(hole - dat)) != 0)
			return -1;
		at = (uint64_t)hole;
	}
	return 0;
}

int pstr_open_path(struct pstr *f, const char *path, struct mf_diag *diag)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mf_diag_errno(diag, MF_EIO, path, "cannot open");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return mf_diag_set(diag, MF_EFORMAT, path, MF_NO_OFFSET, "not a regular file");
	}
	f->fd_plus1 = fd + 1;
	f->read = read_fd;
	f->read_ctx = f;
	f->size = (uint64_t)sb.st_size;
	if (f->size > 0 && f->size <= PSTR_WHOLE_MAX) {
		unsigned char *w = mf_xmalloc((size_t)f->size);
		if (read_extents(f, w, f->size) == 0) {
			f->whole = w;
			f->whole_len = (size_t)f->size;
			f->read = read_whole;
		} else {
			free(w);   /* changed under us: read page by page */
		}
	}
	snprintf(f->name, sizeof(f->name), "%s", path);
	return pstr_open(f, diag);
}

struct mem { const unsigned char *p; size_t len; };

static int read_mem(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (off > m->len || len > m->len - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

long pstr_check_memory(const void *data, size_t len, struct mf_buf *json)
{
	struct pstr f;
	struct mem m = { data, len };
	struct mf_diag d;
	long n;
	memset(&f, 0, sizeof(f));
	f.read = read_mem;
	f.read_ctx = &m;
	f.size = len;
	snprintf(f.name, sizeof(f.name), "memory");
	mf_diag_clear(&d);
	if (pstr_open(&f, &d) != MF_OK) {
		pstr_close(&f);
		return MF_EFORMAT;
	}
	pstr_check_ndb(&f);
	pstr_check_msg(&f, json);
	n = f.nproblems;
	pstr_close(&f);
	return n;
}
