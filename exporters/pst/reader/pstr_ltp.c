/* SPDX-License-Identifier: MIT */
/*
 * pstr_ltp.c: node data (data trees through XBLOCK/XXBLOCK, subnode trees
 * through SLBLOCK/SIBLOCK) and the lists-tables-properties layer on top of
 * it: heap-on-node, BTree-on-heap, property contexts and table contexts.
 * Every heap offset and count is checked against the block that holds it;
 * a value read from a subnode is cut at the caller's cap.
 */
#include "exporters/pst/reader/pstr.h"

#include <stdlib.h>
#include <string.h>

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

#define MAX_LEAVES (1021u * 1021u)
#define MAX_SUBS (1u << 20)

int pstr_type_size(uint16_t type)
{
	switch (type) {
	case PSTR_T_I16: return 2;
	case PSTR_T_I32: case PSTR_T_F32: case PSTR_T_ERR: return 4;
	case PSTR_T_BOOL: return 1;
	case PSTR_T_F64: case PSTR_T_CUR: case PSTR_T_APPTIME: case PSTR_T_I64:
	case PSTR_T_TIME: return 8;
	}
	return 0;
}

void pstr_val_release(struct pstr_val *v)
{
	mf_free(&v->p);
	memset(v, 0, sizeof(*v));
}

/* ---- node data ---- */

static void add_leaf(struct pstr_node *n, size_t *cap, uint64_t bid, uint32_t cb)
{
	if (n->nleaves == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		n->leaves = mf_xreallocarray(n->leaves, *cap, sizeof(*n->leaves));
	}
	n->leaves[n->nleaves].bid = bid;
	n->leaves[n->nleaves].cb = cb;
	n->leaves[n->nleaves].at = n->size;
	n->nleaves++;
	n->size += cb;
}

/* Expand the data tree under bid (level: 2 XXBLOCK, 1 XBLOCK, 0 data). */
static int data_tree(struct pstr_node *n, size_t *cap, uint64_t bid, int depth, uint64_t *total)
{
	struct pstr *f = n->f;
	const struct pstr_bent *b = pstr_bbt_find(f, bid);
	unsigned char buf[PSTR_BLOCK_MAX];
	size_t cb;
	unsigned cent;
	uint32_t lcb;
	uint64_t sum = 0;

	if (!b || pstr_block(f, bid, buf, &cb) != MF_OK)
		return MF_EFORMAT;   /* reported by the NDB pass */
	if (!(bid & 2)) {
		if (n->nleaves >= MAX_LEAVES)
			return MF_ETOOBIG;
		add_leaf(n, cap, bid, (uint32_t)cb);
		*total = cb;
		return MF_OK;
	}
	if (depth > 2 || cb < 8 || buf[0] != 1 || buf[1] < 1 || buf[1] > 2) {
		pstr_report(f, b->ib, n->nid, "data tree block 0x%llX is not an XBLOCK/XXBLOCK",
			    (unsigned long long)bid);
		return MF_EFORMAT;
	}
	cent = le16(buf + 2);
	lcb = le32(buf + 4);
	if (8 + (size_t)cent * 8 > cb)
		return MF_EFORMAT;
	for (unsigned i = 0; i < cent; i++) {
		uint64_t child = le64(buf + 8 + i * 8), t = 0;
		const struct pstr_bent *cbe = pstr_bbt_find(f, child);
		int want_internal = buf[1] == 2;
		if (!cbe || !!(child & 2) != want_internal) {
			pstr_report(f, b->ib, n->nid, "%s 0x%llX: child 0x%llX is %s",
				    buf[1] == 2 ? "XXBLOCK" : "XBLOCK", (unsigned long long)bid,
				    (unsigned long long)child,
				    !cbe ? "not in the BBT" : "of the wrong kind");
			return MF_EFORMAT;
		}
		if (data_tree(n, cap, child, depth + 1, &t) != MF_OK)
			return MF_EFORMAT;
		sum += t;
	}
	if (sum != lcb)
		pstr_report(f, b->ib + 4, n->nid, "%s 0x%llX: lcbTotal %u, its blocks hold %llu",
			    buf[1] == 2 ? "XXBLOCK" : "XBLOCK", (unsigned long long)bid, lcb,
			    (unsigned long long)sum);
	*total = sum;
	return MF_OK;
}

static int cmp_sub(const void *a, const void *b)
{
	uint32_t x = ((const struct pstr_sub *)a)->nid, y = ((const struct pstr_sub *)b)->nid;
	return x < y ? -1 : x > y;
}

static int sub_tree(struct pstr_node *n, size_t *cap, uint64_t bid, int depth)
{
	struct pstr *f = n->f;
	const struct pstr_bent *b = pstr_bbt_find(f, bid);
	unsigned char buf[PSTR_BLOCK_MAX];
	size_t cb, esz;
	unsigned cent;

	if (!b || pstr_block(f, bid, buf, &cb) != MF_OK)
		return MF_EFORMAT;
	if (!(bid & 2) || depth > 1 || cb < 8 || buf[0] != 2 || buf[1] > 1) {
		pstr_report(f, b->ib, n->nid, "subnode tree block 0x%llX is not an SLBLOCK/SIBLOCK",
			    (unsigned long long)bid);
		return MF_EFORMAT;
	}
	esz = buf[1] == 0 ? 24 : 16;
	cent = le16(buf + 2);
	if (8 + (size_t)cent * esz > cb)
		return MF_EFORMAT;
	for (unsigned i = 0; i < cent; i++) {
		const unsigned char *e = buf + 8 + i * esz;
		if (buf[1] == 1) {
			if (sub_tree(n, cap, le64(e + 8), depth + 1) != MF_OK)
				return MF_EFORMAT;
			continue;
		}
		if (n->nsubs >= MAX_SUBS)
			return MF_ETOOBIG;
		if (n->nsubs == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			n->subs = mf_xreallocarray(n->subs, *cap, sizeof(*n->subs));
		}
		n->subs[n->nsubs].nid = le32(e);
		n->subs[n->nsubs].bid_data = le64(e + 8);
		n->subs[n->nsubs].bid_sub = le64(e + 16);
		if (n->nsubs && n->subs[n->nsubs].nid <= n->subs[n->nsubs - 1].nid)
			pstr_report(f, b->ib + 8 + i * esz, n->nid,
				    "subnode 0x%X out of order in block 0x%llX", le32(e),
				    (unsigned long long)bid);
		n->nsubs++;
	}
	return MF_OK;
}

struct pstr_node *pstr_node_open(struct pstr *f, uint32_t nid, uint64_t bid_data, uint64_t bid_sub)
{
	struct pstr_node *n = mf_xcalloc(1, sizeof(*n));
	size_t cap = 0;
	uint64_t t;
	n->f = f;
	n->nid = nid;
	n->cache_idx = -1;
	if (bid_data && data_tree(n, &cap, bid_data, 0, &t) != MF_OK) {
		n->nleaves = 0;
		n->size = 0;
		pstr_node_free(&n);
		return NULL;
	}
	cap = 0;
	if (bid_sub && sub_tree(n, &cap, bid_sub, 0) != MF_OK) {
		pstr_node_free(&n);
		return NULL;
	}
	if (n->nsubs > 1)
		qsort(n->subs, n->nsubs, sizeof(*n->subs), cmp_sub);
	return n;
}

void pstr_node_free(struct pstr_node **n)
{
	if (!*n)
		return;
	free((*n)->leaves);
	free((*n)->subs);
	mf_free(n);
}

struct pstr_node *pstr_node_sub(struct pstr_node *n, uint32_t nid)
{
	size_t lo = 0, hi = n->nsubs;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (n->subs[m].nid == nid)
			return pstr_node_open(n->f, nid, n->subs[m].bid_data, n->subs[m].bid_sub);
		if (n->subs[m].nid < nid)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

uint64_t pstr_node_total(struct pstr_node *n, int depth)
{
	uint64_t t = n->size;
	if (depth > 8)
		return t;
	for (size_t i = 0; i < n->nsubs; i++) {
		struct pstr_node *s = pstr_node_open(n->f, n->subs[i].nid, n->subs[i].bid_data,
						     n->subs[i].bid_sub);
		if (s) {
			t += pstr_node_total(s, depth + 1);
			pstr_node_free(&s);
		}
	}
	return t;
}

int pstr_node_leaf(struct pstr_node *n, size_t i, const unsigned char **p, size_t *len)
{
	if (i >= n->nleaves)
		return MF_EFORMAT;
	if (n->cache_idx != (int)i) {
		n->cache_idx = -1;
		if (pstr_block(n->f, n->leaves[i].bid, n->cache, &n->cache_len) != MF_OK)
			return MF_EFORMAT;
		n->cache_idx = (int)i;
	}
	*p = n->cache;
	*len = n->cache_len;
	return MF_OK;
}

/* ---- heap-on-node ---- */

/* The allocation hid: a pointer into the node's cache (valid until the next
 * leaf is loaded). */
static int hn_get(struct pstr_node *n, uint32_t hid, const unsigned char **p, size_t *len)
{
	const unsigned char *b;
	size_t blen, ib, ca;
	unsigned idx = (hid >> 5) & 0x7FF;
	size_t blk = hid >> 16;
	if ((hid & 0x1F) != 0 || idx == 0)
		return MF_EFORMAT;
	if (pstr_node_leaf(n, blk, &b, &blen) != MF_OK || blen < 4)
		return MF_EFORMAT;
	ib = le16(b);
	if (ib + 4 > blen)
		return MF_EFORMAT;
	ca = le16(b + ib);
	if (idx > ca || ib + 4 + (ca + 1) * 2 > blen)
		return MF_EFORMAT;
	{
		size_t s = le16(b + ib + 4 + (idx - 1) * 2), e = le16(b + ib + 4 + idx * 2);
		if (s > e || e > ib)
			return MF_EFORMAT;
		*p = b + s;
		*len = e - s;
	}
	return MF_OK;
}

/* Check the heap's first block and return its user root. */
static int hn_open(struct pstr_node *n, uint8_t client, uint32_t *root)
{
	const unsigned char *b;
	size_t blen;
	if (n->nleaves == 0 || pstr_node_leaf(n, 0, &b, &blen) != MF_OK || blen < 12) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid, "node has no heap");
		return MF_EFORMAT;
	}
	if (b[2] != 0xEC || b[3] != client) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid,
			    "heap signature 0x%02X, client 0x%02X (expected 0xEC, 0x%02X)", b[2],
			    b[3], client);
		return MF_EFORMAT;
	}
	*root = le32(b + 4);
	return MF_OK;
}

/* ---- BTree-on-heap ---- */

struct bth {
	unsigned cbkey, cbent;
	int (*fn)(void *ctx, const unsigned char *key, const unsigned char *ent);
	void *ctx;
	long count;
};

static int bth_walk(struct pstr_node *n, struct bth *t, uint32_t hid, int level, int depth)
{
	const unsigned char *p;
	size_t len, rs;
	unsigned char *copy;
	int rc = MF_OK;
	if (n->f->budget-- <= 0)
		return MF_ETOOBIG;
	if (depth > 8 || hn_get(n, hid, &p, &len) != MF_OK) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH record array 0x%X cannot be read", hid);
		return MF_EFORMAT;
	}
	rs = t->cbkey + (level > 0 ? 4 : t->cbent);
	if (len % rs != 0) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH records at 0x%X: %zu bytes, not a "
			    "multiple of %zu", hid, len, rs);
		return MF_EFORMAT;
	}
	copy = mf_xmemdup(p, len ? len : 1);
	for (size_t i = 0; i < len / rs && rc == MF_OK; i++) {
		const unsigned char *r = copy + i * rs;
		if (i > 0) {
			/* keys compare as little-endian numbers */
			uint64_t a = 0, b = 0;
			for (unsigned k = t->cbkey; k-- > 0;) {
				a = a << 8 | (r - rs)[k];
				b = b << 8 | r[k];
			}
			if (t->cbkey <= 8 && a >= b)
				pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH keys out of order "
					    "(0x%llX after 0x%llX)", (unsigned long long)b,
					    (unsigned long long)a);
		}
		if (level > 0)
			rc = bth_walk(n, t, le32(r + t->cbkey), level - 1, depth + 1);
		else {
			t->count++;
			rc = t->fn(t->ctx, r, r + t->cbkey);
		}
	}
	free(copy);
	return rc;
}

/* Walk the BTH whose header is at hid. */
static int bth(struct pstr_node *n, uint32_t hid, unsigned cbkey, unsigned cbent,
	       int (*fn)(void *, const unsigned char *, const unsigned char *), void *ctx)
{
	const unsigned char *p;
	size_t len;
	struct bth t;
	unsigned levels;
	uint32_t root;
	if (hn_get(n, hid, &p, &len) != MF_OK || len < 8 || p[0] != 0xB5) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH header 0x%X missing or not 0xB5", hid);
		return MF_EFORMAT;
	}
	if (p[1] != cbkey || p[2] != cbent) {
		pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH key/entry sizes %u/%u, expected %u/%u",
			    p[1], p[2], cbkey, cbent);
		return MF_EFORMAT;
	}
	levels = p[3];
	root = le32(p + 4);
	if (root == 0)
		return MF_OK;
	t.cbkey = cbkey;
	t.cbent = cbent;
	t.fn = fn;
	t.ctx = ctx;
	t.count = 0;
	if (bth_walk(n, &t, root, (int)levels, 0) == MF_OK)
		return MF_OK;
	pstr_report(n->f, MF_NO_OFFSET, n->nid, "BTH 0x%X cannot be read whole (damaged, "
		    "looping or larger than the file)", hid);
	return MF_EFORMAT;
}

/* ---- values ---- */

int pstr_hnid(struct pstr_node *n, uint32_t hnid, struct pstr_val *v, size_t cap)
{
	v->exists = 1;
	v->len = 0;
	v->full_len = 0;
	v->p = NULL;
	if (hnid == 0)
		return MF_OK;
	if ((hnid & 0x1F) == 0) {
		const unsigned char *p;
		size_t len;
		if (hn_get(n, hnid, &p, &len) != MF_OK) {
			pstr_report(n->f, MF_NO_OFFSET, n->nid, "heap item 0x%X cannot be read", hnid);
			return MF_EFORMAT;
		}
		v->full_len = len;
		v->len = len < cap ? len : cap;
		v->p = mf_xmemdup(p, v->len ? v->len : 1);
		return MF_OK;
	} else {
		struct pstr_node *s = pstr_node_sub(n, hnid);
		size_t got = 0;
		if (!s) {
			pstr_report(n->f, MF_NO_OFFSET, n->nid, "value subnode 0x%X missing", hnid);
			return MF_EFORMAT;
		}
		v->full_len = s->size;
		v->p = mf_xmalloc(s->size < cap ? (size_t)s->size + 1 : cap + 1);
		for (size_t i = 0; i < s->nleaves && got < cap; i++) {
			const unsigned char *p;
			size_t len;
			if (pstr_node_leaf(s, i, &p, &len) != MF_OK)
				break;
			if (len > cap - got)
				len = cap - got;
			memcpy(v->p + got, p, len);
			got += len;
		}
		v->len = got;
		pstr_node_free(&s);
		return MF_OK;
	}
}

/* Canonical bytes of a fixed value held inline (raw: the 4 bytes). */
static void fixed_inline(struct pstr_val *v, uint16_t type, const unsigned char *raw, size_t n)
{
	size_t sz = (size_t)pstr_type_size(type);
	v->exists = 1;
	v->p = mf_xcalloc(sz ? sz : 1, 1);
	if (type == PSTR_T_BOOL)
		v->p[0] = raw[0] != 0;
	else
		memcpy(v->p, raw, sz < n ? sz : n);
	v->len = v->full_len = sz;
}

/* ---- property context ---- */

struct pc_load {
	struct pstr_pc *pc;
	size_t cap;
};

static int pc_rec(void *ctx, const unsigned char *key, const unsigned char *ent)
{
	struct pc_load *l = ctx;
	struct pstr_prop *p;
	if (l->pc->n >= l->pc->node->f->size / 8 + 16)
		return MF_ETOOBIG;   /* more records than the file can hold */
	if (l->pc->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->pc->props = mf_xreallocarray(l->pc->props, l->cap, sizeof(*l->pc->props));
	}
	p = &l->pc->props[l->pc->n++];
	p->id = le16(key);
	p->type = le16(ent);
	p->raw = le32(ent + 2);
	return MF_OK;
}

static int pc_load(struct pstr_pc *pc, struct pstr_node *n)
{
	uint32_t root;
	struct pc_load l;
	memset(pc, 0, sizeof(*pc));
	l.pc = pc;
	l.cap = 0;
	pc->node = n;
	if (hn_open(n, 0xBC, &root) != MF_OK)
		return MF_EFORMAT;
	return bth(n, root, 2, 6, pc_rec, &l);
}

int pstr_pc_load(struct pstr_pc *pc, struct pstr_node *n)
{
	int rc = pc_load(pc, n);
	if (rc != MF_OK)
		pstr_pc_release(pc);
	return rc;
}

void pstr_pc_release(struct pstr_pc *pc)
{
	mf_free(&pc->props);
	pc->n = 0;
}

const struct pstr_prop *pstr_pc_find(const struct pstr_pc *pc, uint16_t id)
{
	for (size_t i = 0; i < pc->n; i++)
		if (pc->props[i].id == id)
			return &pc->props[i];
	return NULL;
}

int pstr_pc_get(struct pstr_pc *pc, uint16_t id, struct pstr_val *v, size_t cap)
{
	const struct pstr_prop *p = pstr_pc_find(pc, id);
	unsigned char raw[4];
	int sz;
	memset(v, 0, sizeof(*v));
	if (!p)
		return MF_ENOTFOUND;
	v->type = p->type;
	sz = pstr_type_size(p->type);
	raw[0] = (unsigned char)p->raw;
	raw[1] = (unsigned char)(p->raw >> 8);
	raw[2] = (unsigned char)(p->raw >> 16);
	raw[3] = (unsigned char)(p->raw >> 24);
	if (sz > 0 && sz <= 4) {
		fixed_inline(v, p->type, raw, 4);
		return MF_OK;
	}
	if (pstr_hnid(pc->node, p->raw, v, cap) != MF_OK)
		return MF_EFORMAT;
	v->type = p->type;
	if (sz == 8 && v->len != 8) {
		pstr_report(pc->node->f, MF_NO_OFFSET, pc->node->nid,
			    "property 0x%04X%04X: %zu bytes for an 8-byte type", id, p->type, v->len);
		pstr_val_release(v);
		return MF_EFORMAT;
	}
	return MF_OK;
}

int pstr_pc_u32(struct pstr_pc *pc, uint16_t id, uint32_t *out)
{
	struct pstr_val v;
	int ok = 0;
	*out = 0;
	if (pstr_pc_get(pc, id, &v, 16) == MF_OK && v.exists) {
		if (v.len >= 4)
			*out = le32(v.p), ok = 1;
		else if (v.len == 2)
			*out = le16(v.p), ok = 1;
		else if (v.len == 1)
			*out = v.p[0], ok = 1;
	}
	pstr_val_release(&v);
	return ok;
}

int pstr_pc_u64(struct pstr_pc *pc, uint16_t id, uint64_t *out)
{
	struct pstr_val v;
	int ok = 0;
	*out = 0;
	if (pstr_pc_get(pc, id, &v, 16) == MF_OK && v.exists && v.len == 8)
		*out = le64(v.p), ok = 1;
	pstr_val_release(&v);
	return ok;
}

char *pstr_pc_str(struct pstr_pc *pc, uint16_t id)
{
	struct pstr_val v;
	char *s;
	if (pstr_pc_get(pc, id, &v, 1 << 20) != MF_OK || !v.exists) {
		pstr_val_release(&v);
		return mf_xstrdup("");
	}
	if (v.type == PSTR_T_STR8)
		s = mf_xstrndup((const char *)v.p, v.len);
	else
		s = pstr_utf16(v.p, v.len);
	pstr_val_release(&v);
	return s;
}

int pstr_pc_stream(struct pstr_pc *pc, uint16_t id, void (*fn)(void *, const void *, size_t),
		   void *ctx, uint64_t *len)
{
	const struct pstr_prop *p = pstr_pc_find(pc, id);
	*len = 0;
	if (!p)
		return MF_ENOTFOUND;
	if (p->raw == 0)
		return MF_OK;
	if ((p->raw & 0x1F) == 0) {
		struct pstr_val v;
		if (pstr_hnid(pc->node, p->raw, &v, PSTR_BLOCK_MAX) != MF_OK)
			return MF_EFORMAT;
		fn(ctx, v.p, v.len);
		*len = v.len;
		pstr_val_release(&v);
		return MF_OK;
	} else {
		struct pstr_node *s = pstr_node_sub(pc->node, p->raw);
		if (!s)
			return MF_EFORMAT;
		for (size_t i = 0; i < s->nleaves; i++) {
			const unsigned char *b;
			size_t bl;
			if (pstr_node_leaf(s, i, &b, &bl) != MF_OK) {
				pstr_node_free(&s);
				return MF_EFORMAT;
			}
			fn(ctx, b, bl);
			*len += bl;
		}
		pstr_node_free(&s);
		return MF_OK;
	}
}

/* ---- table context ---- */

struct ri_load {
	struct pstr_tc *tc;
	uint32_t *ids;
	uint32_t *idx;
	size_t n, cap;
};

static int ri_rec(void *ctx, const unsigned char *key, const unsigned char *ent)
{
	struct ri_load *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if (l->cap > (1u << 24) || l->n >= l->tc->node->f->size / 8 + 16)
			return MF_ETOOBIG;   /* more rows than the file can hold */
		l->ids = mf_xreallocarray(l->ids, l->cap, sizeof(*l->ids));
		l->idx = mf_xreallocarray(l->idx, l->cap, sizeof(*l->idx));
	}
	l->ids[l->n] = le32(key);
	l->idx[l->n] = le32(ent);
	l->n++;
	return MF_OK;
}

static int tc_load(struct pstr_tc *tc, struct pstr_node *n)
{
	struct pstr *f = n->f;
	const unsigned char *p;
	size_t len, ceb;
	uint32_t root, hid_ri;
	struct ri_load l;
	unsigned char info[22];

	memset(tc, 0, sizeof(*tc));
	tc->node = n;
	if (hn_open(n, 0x7C, &root) != MF_OK)
		return MF_EFORMAT;
	if (hn_get(n, root, &p, &len) != MF_OK || len < 22 || p[0] != 0x7C) {
		pstr_report(f, MF_NO_OFFSET, n->nid, "TCINFO missing or not 0x7C");
		return MF_EFORMAT;
	}
	memcpy(info, p, 22);
	tc->ncols = info[1];
	if (len < 22 + tc->ncols * 8) {
		pstr_report(f, MF_NO_OFFSET, n->nid, "TCINFO: %zu columns do not fit %zu bytes",
			    tc->ncols, len);
		return MF_EFORMAT;
	}
	for (int i = 0; i < 4; i++)
		tc->rgib[i] = le16(info + 2 + i * 2);
	hid_ri = le32(info + 10);
	tc->hnid_rows = le32(info + 14);
	tc->cols = mf_xcalloc(tc->ncols ? tc->ncols : 1, sizeof(*tc->cols));
	for (size_t i = 0; i < tc->ncols; i++) {
		const unsigned char *c = p + 22 + i * 8;
		tc->cols[i].tag = le32(c);
		tc->cols[i].ib = le16(c + 4);
		tc->cols[i].cb = c[6];
		tc->cols[i].bit = c[7];
	}
	tc->row_size = tc->rgib[3];
	ceb = (tc->ncols + 7) / 8;
	if (tc->rgib[0] > tc->rgib[1] || tc->rgib[1] > tc->rgib[2] ||
	    tc->rgib[2] + ceb != tc->rgib[3] || tc->row_size > PSTR_BLOCK_DATA_MAX ||
	    tc->row_size == 0) {
		pstr_report(f, MF_NO_OFFSET, n->nid, "TCINFO group ends %u/%u/%u/%u do not fit "
			    "%zu columns", tc->rgib[0], tc->rgib[1], tc->rgib[2], tc->rgib[3],
			    tc->ncols);
		return MF_EFORMAT;
	}
	for (size_t i = 0; i < tc->ncols; i++) {
		const struct pstr_col *c = &tc->cols[i];
		int sz = pstr_type_size((uint16_t)(c->tag & 0xFFFF));
		size_t want = sz > 0 ? (size_t)sz : 4;
		if (i > 0 && c->tag <= tc->cols[i - 1].tag)
			pstr_report(f, MF_NO_OFFSET, n->nid, "TC columns not sorted by tag at 0x%08X",
				    c->tag);
		if (c->cb != want || (size_t)c->ib + c->cb > tc->rgib[2] || c->bit >= tc->ncols)
			pstr_report(f, MF_NO_OFFSET, n->nid,
				    "TC column 0x%08X: offset %u, size %u, bit %u do not fit", c->tag,
				    c->ib, c->cb, c->bit);
	}
	/* the row index */
	memset(&l, 0, sizeof(l));
	l.tc = tc;
	if (hid_ri && bth(n, hid_ri, 4, 4, ri_rec, &l) != MF_OK) {
		free(l.ids);
		free(l.idx);
		return MF_EFORMAT;
	}
	tc->nrows = l.n;
	tc->row_ids = mf_xcalloc(l.n ? l.n : 1, sizeof(*tc->row_ids));
	{
		unsigned char *seen = mf_xcalloc(l.n ? l.n : 1, 1);
		for (size_t i = 0; i < l.n; i++) {
			if (l.idx[i] >= l.n || seen[l.idx[i]]) {
				pstr_report(f, MF_NO_OFFSET, n->nid,
					    "row index: row 0x%X points at row %u (of %zu)", l.ids[i],
					    l.idx[i], l.n);
				continue;
			}
			seen[l.idx[i]] = 1;
			tc->row_ids[l.idx[i]] = l.ids[i];
		}
		free(seen);
	}
	free(l.ids);
	free(l.idx);
	/* the row matrix */
	if (tc->hnid_rows == 0) {
		if (tc->nrows)
			pstr_report(f, MF_NO_OFFSET, n->nid, "%zu rows indexed but no row matrix",
				    tc->nrows);
		tc->nrows = 0;
	} else if ((tc->hnid_rows & 0x1F) == 0) {
		if (hn_get(n, tc->hnid_rows, &p, &len) != MF_OK || len / tc->row_size < tc->nrows) {
			pstr_report(f, MF_NO_OFFSET, n->nid, "row matrix holds fewer than %zu rows",
				    tc->nrows);
			tc->nrows = 0;
		}
	} else {
		size_t rpb = PSTR_BLOCK_DATA_MAX / tc->row_size, have = 0;
		tc->rows_node = pstr_node_sub(n, tc->hnid_rows);
		if (!tc->rows_node) {
			pstr_report(f, MF_NO_OFFSET, n->nid, "row matrix subnode 0x%X missing",
				    tc->hnid_rows);
			tc->nrows = 0;
			return MF_OK;
		}
		for (size_t i = 0; i < tc->rows_node->nleaves; i++) {
			uint32_t cb = tc->rows_node->leaves[i].cb;
			/* rows never span blocks: every block but the last holds
			 * rpb rows, padded or not to 8,176 bytes; the last holds
			 * whole rows */
			if (i + 1 < tc->rows_node->nleaves ? cb / tc->row_size != rpb
							   : cb % tc->row_size != 0)
				pstr_report(f, MF_NO_OFFSET, n->nid,
					    "row matrix block %zu holds %u bytes: rows of %zu bytes, "
					    "%zu per full block", i, cb, tc->row_size, rpb);
			have += cb / tc->row_size;
		}
		if (have < tc->nrows) {
			pstr_report(f, MF_NO_OFFSET, n->nid, "row matrix holds %zu rows, %zu indexed",
				    have, tc->nrows);
			tc->nrows = have;
		}
	}
	return MF_OK;
}

void pstr_tc_release(struct pstr_tc *tc)
{
	mf_free(&tc->cols);
	mf_free(&tc->row_ids);
	pstr_node_free(&tc->rows_node);
	tc->nrows = tc->ncols = 0;
}

int pstr_tc_load(struct pstr_tc *tc, struct pstr_node *n)
{
	int rc = tc_load(tc, n);
	if (rc != MF_OK)
		pstr_tc_release(tc);
	return rc;
}

int pstr_tc_row(struct pstr_tc *tc, size_t i)
{
	const unsigned char *p;
	size_t len;
	if (i >= tc->nrows)
		return MF_EFORMAT;
	if (!tc->rows_node) {
		if (hn_get(tc->node, tc->hnid_rows, &p, &len) != MF_OK ||
		    (i + 1) * tc->row_size > len)
			return MF_EFORMAT;
		memcpy(tc->row, p + i * tc->row_size, tc->row_size);
		return MF_OK;
	} else {
		size_t rpb = PSTR_BLOCK_DATA_MAX / tc->row_size;
		if (pstr_node_leaf(tc->rows_node, i / rpb, &p, &len) != MF_OK ||
		    (i % rpb + 1) * tc->row_size > len)
			return MF_EFORMAT;
		memcpy(tc->row, p + (i % rpb) * tc->row_size, tc->row_size);
		return MF_OK;
	}
}

int pstr_tc_cell(struct pstr_tc *tc, size_t c, struct pstr_val *v, size_t cap)
{
	const struct pstr_col *col = &tc->cols[c];
	uint16_t type = (uint16_t)(col->tag & 0xFFFF);
	int sz = pstr_type_size(type);
	size_t ceb = tc->rgib[2];
	memset(v, 0, sizeof(*v));
	v->type = type;
	if ((size_t)col->ib + col->cb > tc->row_size || ceb + col->bit / 8 >= tc->row_size)
		return MF_EFORMAT;
	if (!(tc->row[ceb + col->bit / 8] & (0x80 >> (col->bit % 8))))
		return MF_OK;
	if (sz > 0) {
		if (col->cb != sz)
			return MF_EFORMAT;
		fixed_inline(v, type, tc->row + col->ib, col->cb);
		return MF_OK;
	}
	if (col->cb != 4)
		return MF_EFORMAT;
	if (pstr_hnid(tc->node, le32(tc->row + col->ib), v, cap) != MF_OK)
		return MF_EFORMAT;
	v->type = type;
	return MF_OK;
}

int pstr_tc_cell_tag(struct pstr_tc *tc, uint32_t tag, struct pstr_val *v, size_t cap)
{
	for (size_t i = 0; i < tc->ncols; i++)
		if (tc->cols[i].tag == tag)
			return pstr_tc_cell(tc, i, v, cap);
	memset(v, 0, sizeof(*v));
	return MF_ENOTFOUND;
}

/* ---- text ---- */

static void put_utf8(struct mf_buf *b, uint32_t c)
{
	if (c < 0x80)
		mf_buf_addch(b, (int)c);
	else if (c < 0x800) {
		mf_buf_addch(b, (int)(0xC0 | c >> 6));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		mf_buf_addch(b, (int)(0xE0 | c >> 12));
		mf_buf_addch(b, (int)(0x80 | ((c >> 6) & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	} else {
		mf_buf_addch(b, (int)(0xF0 | c >> 18));
		mf_buf_addch(b, (int)(0x80 | ((c >> 12) & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | ((c >> 6) & 0x3F)));
		mf_buf_addch(b, (int)(0x80 | (c & 0x3F)));
	}
}

char *pstr_utf16(const unsigned char *p, size_t len)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_buf_addstr(&b, "");
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t c = le16(p + i);
		if (c >= 0xD800 && c < 0xDC00 && i + 3 < len && le16(p + i + 2) >= 0xDC00 &&
		    le16(p + i + 2) < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (le16(p + i + 2) - 0xDC00);
			i += 2;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		if (c == 0)
			c = 0xFFFD;
		put_utf8(&b, c);
	}
	return mf_buf_detach(&b, NULL);
}
