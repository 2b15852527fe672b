/* SPDX-License-Identifier: MIT */
/*
 * ltp.c: the PST lists, tables and properties layer ([MS-PST] 2.3):
 * heap-on-node over any number of blocks, BTH with index levels,
 * property contexts and table contexts whose row matrix spans blocks.
 */
#include "exporters/pst/pst.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALLOCS 2047      /* an HID's allocation index is 11 bits */

/* ---- heap-on-node ---- */

static size_t hdr_size(size_t b)
{
	return b == 0 ? 12 : (b % 128 == 8 ? 66 : 2);
}

static int is_bitmap(size_t b)
{
	return b % 128 == 8;
}

static void heap_open_block(struct pst_heap *h, size_t b)
{
	if (b == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 8;
		h->blk = mf_xreallocarray(h->blk, nc, sizeof(*h->blk));
		h->used = mf_xreallocarray(h->used, nc, sizeof(*h->used));
		h->nalloc = mf_xreallocarray(h->nalloc, nc, sizeof(*h->nalloc));
		h->offs = mf_xreallocarray(h->offs, nc, sizeof(*h->offs));
		h->bids = mf_xreallocarray(h->bids, nc, sizeof(*h->bids));
		h->cbs = mf_xreallocarray(h->cbs, nc, sizeof(*h->cbs));
		h->cap = nc;
	}
	/* not zeroed (8 KiB a block, most of it never used by a small
	 * message): every byte written out is set before it is written -
	 * the header by heap_seal and fill_levels (zeroed here for the
	 * bytes they OR into), the allocations by their memcpy, the pad
	 * byte and the page map by heap_seal */
	h->blk[b] = mf_xmalloc(PST_BLOCK_DATA);
	memset(h->blk[b], 0, hdr_size(b));
	h->offs[b] = mf_xmalloc((MAX_ALLOCS + 1) * sizeof(uint16_t));
	h->used[b] = (uint16_t)hdr_size(b);
	h->offs[b][0] = h->used[b];
	h->nalloc[b] = 0;
	h->bids[b] = 0;
	h->cbs[b] = 0;
	h->n = b + 1;
	h->cur = b;
}

void pst_heap_init(struct pst_heap *h, struct pst_ndb *nb, uint8_t client_sig, int streaming)
{
	memset(h, 0, sizeof(*h));
	h->nb = nb;
	h->client_sig = client_sig;
	h->streaming = streaming;
	heap_open_block(h, 0);
}

/* Size of block b once its page map is written. */
static size_t block_final(const struct pst_heap *h, size_t b)
{
	size_t u = h->used[b];
	u += u & 1;
	return u + 4 + 2 * ((size_t)h->nalloc[b] + 1);
}

static uint8_t fill_level(size_t freeb)
{
	static const size_t lim[] = { 3584, 2560, 2048, 1792, 1536, 1280, 1024, 768, 512, 256,
		128, 64, 32, 16, 8 };
	for (uint8_t i = 0; i < 15; i++)
		if (freeb >= lim[i])
			return i;
	return 15;
}

/* Put the page map into block b (its size is final). */
static void heap_seal(struct pst_heap *h, size_t b)
{
	uint8_t *p = h->blk[b];
	size_t u = h->used[b];
	if (u & 1)
		p[u++] = 0;
	pst_w16(p, (uint32_t)u);
	pst_w16(p + u, h->nalloc[b]);
	pst_w16(p + u + 2, 0);
	for (size_t i = 0; i <= h->nalloc[b]; i++)
		pst_w16(p + u + 4 + 2 * i, h->offs[b][i]);
	h->cbs[b] = (uint32_t)(u + 4 + 2 * ((size_t)h->nalloc[b] + 1));
}

static void fill_levels(struct pst_heap *h, size_t b)
{
	/* block 0 covers blocks 0..7, a bitmap block b covers b..b+127 */
	size_t first = b, count = b == 0 ? 8 : 128, at = b == 0 ? 8 : 2;
	for (size_t k = 0; k < count; k++) {
		size_t i = first + k;
		uint8_t lv = 0;
		if (i < h->n)
			lv = fill_level(PST_BLOCK_DATA - (h->cbs[i] ? h->cbs[i] : block_final(h, i)));
		if (k % 2 == 0)
			h->blk[b][at + k / 2] = lv;
		else
			h->blk[b][at + k / 2] |= (uint8_t)(lv << 4);
	}
}

static void heap_write(struct pst_heap *h, size_t b)
{
	if (!h->blk[b])
		return;
	if (b == 0 || is_bitmap(b))
		fill_levels(h, b);
	h->bids[b] = pst_ndb_block(h->nb, h->blk[b], h->cbs[b], 0);
	free(h->blk[b]);
	free(h->offs[b]);
	h->blk[b] = NULL;
	h->offs[b] = NULL;
}

uint32_t pst_heap_alloc(struct pst_heap *h, const void *data, size_t n)
{
	size_t b = h->cur, need;
	uint8_t *p;
	if (n == 0 || n > PST_HEAP_ALLOC_MAX) {
		h->err = EINVAL;
		return 0;
	}
	need = h->used[b] + n + 1 + 4 + 2 * ((size_t)h->nalloc[b] + 2);
	if (need > PST_BLOCK_DATA || h->nalloc[b] >= MAX_ALLOCS) {
		if (b + 1 >= 0x10000) {
			h->err = EFBIG;
			return 0;
		}
		heap_seal(h, b);
		if (h->streaming) {
			if (b != 0 && !is_bitmap(b))
				heap_write(h, b);
			/* a bitmap block goes out once the 127 blocks after it are sealed */
			if (b >= 8 && (b - 8) % 128 == 127)
				heap_write(h, b - 127);
		}
		heap_open_block(h, b + 1);
		b = h->cur;
	}
	p = h->blk[b];
	h->offs[b][h->nalloc[b]] = h->used[b];
	memcpy(p + h->used[b], data, n);
	h->used[b] = (uint16_t)(h->used[b] + n);
	h->nalloc[b]++;
	h->offs[b][h->nalloc[b]] = h->used[b];
	return (uint32_t)((b << 16) | ((size_t)h->nalloc[b] << 5));
}

uint8_t *pst_heap_ptr(struct pst_heap *h, uint32_t hid)
{
	size_t b = hid >> 16, i = ((hid >> 5) & 0x7FF);
	if (b >= h->n || !h->blk[b] || i == 0 || i > h->nalloc[b])
		return NULL;
	return h->blk[b] + h->offs[b][i - 1];
}

uint64_t pst_heap_measure(struct pst_heap *h);
uint64_t pst_heap_measure(struct pst_heap *h)
{
	uint64_t t = 0;
	for (size_t b = 0; b < h->n; b++)
		t += h->cbs[b] && !h->blk[b] ? h->cbs[b] : block_final(h, b);
	return t;
}

uint64_t pst_heap_end(struct pst_heap *h, uint32_t hid_user_root, uint64_t *bytes)
{
	struct pst_dtree t;
	uint64_t total = 0;
	h->blk[0][2] = 0xEC;
	h->blk[0][3] = h->client_sig;
	pst_w32(h->blk[0] + 4, hid_user_root);
	heap_seal(h, h->cur);
	for (size_t b = h->n; b-- > 0;)
		if (h->blk[b] && b != 0 && !is_bitmap(b))
			heap_write(h, b);
	for (size_t b = h->n; b-- > 0;)
		if (h->blk[b])
			heap_write(h, b);
	pst_dtree_init(&t);
	for (size_t b = 0; b < h->n; b++) {
		pst_dtree_add(&t, h->bids[b], h->cbs[b]);
		total += h->cbs[b];
	}
	if (bytes)
		*bytes = total;
	return pst_dtree_end(h->nb, &t);
}

void pst_heap_release(struct pst_heap *h)
{
	for (size_t b = 0; b < h->n; b++) {
		free(h->blk[b]);
		free(h->offs[b]);
	}
	free(h->blk);
	free(h->used);
	free(h->nalloc);
	free(h->offs);
	free(h->bids);
	free(h->cbs);
	memset(h, 0, sizeof(*h));
}

/* ---- BTH ---- */

void pst_bth_init(struct pst_bth *b, struct pst_heap *h, uint8_t cb_key, uint8_t cb_ent)
{
	uint8_t hdr[8] = { 0xB5, cb_key, cb_ent, 0, 0, 0, 0, 0 };
	memset(b, 0, sizeof(*b));
	b->h = h;
	b->cb_key = cb_key;
	b->cb_ent = cb_ent;
	/* the header first: HID 0x20 in every PC and TC, as Outlook has it */
	b->idx = NULL;
	b->count = 0;
	pst_heap_alloc(h, hdr, sizeof(hdr));
}

static void idx_add(uint8_t **v, size_t *n, size_t *cap, const uint8_t *key, size_t cbk,
		    uint32_t hid)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = mf_xreallocarray(*v, *cap, cbk + 4);
	}
	memcpy(*v + *n * (cbk + 4), key, cbk);
	pst_w32(*v + *n * (cbk + 4) + cbk, hid);
	(*n)++;
}

static void bth_flush_leaf(struct pst_bth *b)
{
	uint32_t hid;
	if (!b->leaf_len)
		return;
	hid = pst_heap_alloc(b->h, b->leaf, b->leaf_len);
	idx_add(&b->idx, &b->nidx, &b->capidx, b->leaf, b->cb_key, hid);
	b->leaf_len = 0;
}

void pst_bth_add(struct pst_bth *b, const void *key, const void *ent)
{
	size_t rec = (size_t)b->cb_key + b->cb_ent;
	if (b->leaf_len + rec > PST_HEAP_ALLOC_MAX / rec * rec)
		bth_flush_leaf(b);
	memcpy(b->leaf + b->leaf_len, key, b->cb_key);
	memcpy(b->leaf + b->leaf_len + b->cb_key, ent, b->cb_ent);
	b->leaf_len += rec;
	b->count++;
}

uint32_t pst_bth_end(struct pst_bth *b)
{
	uint32_t root = 0;
	uint8_t levels = 0;
	size_t rec = (size_t)b->cb_key + 4, per = PST_HEAP_ALLOC_MAX / rec;
	uint8_t *hdr;

	bth_flush_leaf(b);
	if (b->nidx == 1) {
		root = (uint32_t)b->idx[b->cb_key] | (uint32_t)b->idx[b->cb_key + 1] << 8 |
		       (uint32_t)b->idx[b->cb_key + 2] << 16 | (uint32_t)b->idx[b->cb_key + 3] << 24;
	}
	while (b->nidx > 1) {
		uint8_t *up = NULL;
		size_t nup = 0, capup = 0;
		for (size_t a = 0; a < b->nidx; a += per) {
			size_t e = a + per < b->nidx ? a + per : b->nidx;
			uint32_t hid = pst_heap_alloc(b->h, b->idx + a * rec, (e - a) * rec);
			idx_add(&up, &nup, &capup, b->idx + a * rec, b->cb_key, hid);
		}
		free(b->idx);
		b->idx = up;
		b->nidx = nup;
		b->capidx = capup;
		levels++;
		if (nup == 1) {
			const uint8_t *q = up + b->cb_key;
			root = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
			       (uint32_t)q[3] << 24;
		}
	}
	hdr = pst_heap_ptr(b->h, 0x20);
	if (hdr) {
		hdr[3] = levels;
		pst_w32(hdr + 4, root);
	}
	free(b->idx);
	b->idx = NULL;
	return 0x20;
}

/* ---- UTF-16 ---- */

uint8_t *pst_utf16(const char *s, size_t n, size_t *out_len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint8_t *o = mf_xmalloc(2 * n + 2);
	size_t k = 0, i = 0;
	while (i < n) {
		uint32_t c, need = 0;
		/* a run of ASCII: a byte and a zero each */
		while (i < n && p[i] < 0x80) {
			o[k] = p[i++];
			o[k + 1] = 0;
			k += 2;
		}
		if (i == n)
			break;
		c = p[i];
		if (c < 0x80) {
			need = 0;
		} else if ((c & 0xE0) == 0xC0) {
			c &= 0x1F;
			need = 1;
		} else if ((c & 0xF0) == 0xE0) {
			c &= 0x0F;
			need = 2;
		} else if ((c & 0xF8) == 0xF0) {
			c &= 0x07;
			need = 3;
		} else {
			c = 0xFFFD;
			need = 0;
		}
		i++;
		for (uint32_t j = 0; j < need; j++) {
			if (i >= n || (p[i] & 0xC0) != 0x80) {
				c = 0xFFFD;
				break;
			}
			c = c << 6 | (p[i++] & 0x3F);
		}
		if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			c = 0xFFFD;
		if (c >= 0x10000) {
			c -= 0x10000;
			pst_w16(o + k, 0xD800 + (c >> 10));
			pst_w16(o + k + 2, 0xDC00 + (c & 0x3FF));
			k += 4;
		} else {
			pst_w16(o + k, c);
			k += 2;
		}
	}
	*out_len = k;
	return o;
}

/* ---- property contexts ---- */

void pst_pc_init(struct pst_pc *pc)
{
	memset(pc, 0, sizeof(*pc));
}

void pst_pc_release(struct pst_pc *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		if (!pc->v[i].borrowed)
			free(pc->v[i].data);
	free(pc->v);
	memset(pc, 0, sizeof(*pc));
}

static struct pst_prop *pc_slot(struct pst_pc *pc, uint16_t id, uint16_t type)
{
	struct pst_prop *p = NULL;
	for (size_t i = 0; i < pc->n; i++)
		if ((pc->v[i].tag >> 16) == id) {
			p = &pc->v[i];
			if (!p->borrowed)
				free(p->data);
			p->borrowed = 0;
			break;
		}
	if (!p) {
		if (pc->n == pc->cap) {
			pc->cap = pc->cap ? pc->cap * 2 : 32;
			pc->v = mf_xreallocarray(pc->v, pc->cap, sizeof(*pc->v));
		}
		p = &pc->v[pc->n++];
	}
	memset(p, 0, sizeof(*p));
	p->tag = PST_TAG(id, type);
	return p;
}

void pst_pc_i4(struct pst_pc *pc, uint16_t id, uint32_t v)
{
	pc_slot(pc, id, PT_I4)->inl = v;
}

void pst_pc_bool(struct pst_pc *pc, uint16_t id, int v)
{
	pc_slot(pc, id, PT_BOOL)->inl = v ? 1 : 0;
}

void pst_pc_i8(struct pst_pc *pc, uint16_t id, uint16_t type, uint64_t v)
{
	struct pst_prop *p = pc_slot(pc, id, type);
	p->data = mf_xmalloc(8);
	pst_w64(p->data, v);
	p->len = 8;
}

void pst_pc_bin(struct pst_pc *pc, uint16_t id, const void *d, size_t n)
{
	struct pst_prop *p = pc_slot(pc, id, PT_BINARY);
	p->data = n ? mf_xmemdup(d, n) : NULL;
	p->len = n;
	p->var = 1;
}

void pst_pc_bin_ref(struct pst_pc *pc, uint16_t id, const void *d, size_t n)
{
	struct pst_prop *p = pc_slot(pc, id, PT_BINARY);
	p->data = n ? (uint8_t *)(uintptr_t)d : NULL;
	p->len = n;
	p->var = 1;
	p->borrowed = 1;
}

void pst_pc_str(struct pst_pc *pc, uint16_t id, const char *s)
{
	struct pst_prop *p;
	if (!s)
		return;
	p = pc_slot(pc, id, PT_STRING);
	p->data = pst_utf16(s, strlen(s), &p->len);
	p->var = 1;
}

void pst_pc_object(struct pst_pc *pc, uint16_t id, uint32_t sub_nid, uint32_t size)
{
	struct pst_prop *p = pc_slot(pc, id, PT_OBJECT);
	p->data = mf_xmalloc(8);
	pst_w32(p->data, sub_nid);
	pst_w32(p->data + 4, size);
	p->len = 8;
}

const struct pst_prop *pst_pc_get(const struct pst_pc *pc, uint16_t id)
{
	for (size_t i = 0; i < pc->n; i++)
		if ((pc->v[i].tag >> 16) == id)
			return &pc->v[i];
	return NULL;
}

static int cmp_prop(const void *a, const void *b)
{
	const struct pst_prop *x = a, *y = b;
	return (x->tag > y->tag) - (x->tag < y->tag);
}

/* Lay the properties into a heap; big[i] is the subnode NID of a value
 * too large for the heap (0 otherwise). */
static uint32_t pc_heap(struct pst_heap *h, struct pst_ndb *nb, const struct pst_pc *pc,
			const uint32_t *big)
{
	struct pst_bth b;
	pst_heap_init(h, nb, 0xBC, 0);
	pst_bth_init(&b, h, 2, 6);
	for (size_t i = 0; i < pc->n; i++) {
		const struct pst_prop *p = &pc->v[i];
		uint8_t key[2], ent[6];
		uint16_t type = (uint16_t)(p->tag & 0xFFFF);
		uint32_t hnid;
		if (type == PT_I4 || type == PT_BOOL)
			hnid = p->inl;
		else if (big[i])
			hnid = big[i];
		else if (p->len == 0)
			hnid = 0;
		else
			hnid = pst_heap_alloc(h, p->data, p->len);
		pst_w16(key, p->tag >> 16);
		pst_w16(ent, type);
		pst_w32(ent + 2, hnid);
		pst_bth_add(&b, key, ent);
	}
	return pst_bth_end(&b);
}

int pst_pc_write(struct pst_ndb *nb, struct pst_pc *pc, struct pst_sublist *subs,
		 uint32_t *next_sub, uint16_t size_prop, uint64_t extra_size,
		 struct pst_pc_out *out)
{
	struct pst_heap h;
	uint32_t *big, root;
	uint64_t big_bytes = 0, heap_bytes;

	qsort(pc->v, pc->n, sizeof(*pc->v), cmp_prop);
	big = mf_xcalloc(pc->n ? pc->n : 1, sizeof(*big));
	for (size_t i = 0; i < pc->n; i++) {
		struct pst_prop *p = &pc->v[i];
		if (p->len > PST_HEAP_ALLOC_MAX) {
			uint32_t nid = PST_NID(NT_LTP, (*next_sub)++);
			uint64_t bid = pst_ndb_data(nb, p->data, p->len);
			pst_sub_add(subs, nid, bid, 0);
			big[i] = nid;
			big_bytes += p->len;
		}
	}
	if (size_prop) {
		/* the size counts the heap itself: measure with a placeholder
		 * (the value is inline, so the layout does not change) */
		struct pst_prop *sp = NULL;
		for (size_t i = 0; i < pc->n; i++)
			if ((pc->v[i].tag >> 16) == size_prop)
				sp = &pc->v[i];
		if (sp) {
			pc_heap(&h, nb, pc, big);
			heap_bytes = pst_heap_measure(&h);
			pst_heap_release(&h);
			sp->inl = (uint32_t)(heap_bytes + big_bytes + extra_size);
		}
	}
	root = pc_heap(&h, nb, pc, big);
	out->bid_data = pst_heap_end(&h, root, &heap_bytes);
	out->bytes = heap_bytes + big_bytes;
	pst_heap_release(&h);
	free(big);
	return nb->err ? MF_EIO : MF_OK;
}

/* ---- table contexts ---- */

static uint8_t col_size(uint32_t tag)
{
	switch (tag & 0xFFFF) {
	case PT_I8: case PT_TIME: case 0x0005: return 8;
	case PT_BOOL: return 1;
	case PT_I2: return 2;
	default: return 4;
	}
}

static int var_type(uint32_t tag)
{
	uint16_t t = (uint16_t)(tag & 0xFFFF);
	return t == PT_STRING || t == PT_BINARY || t == PT_OBJECT || (t & 0x1000);
}

void pst_tc_layout(struct pst_tcdef *def, struct pst_col *cols, size_t n)
{
	uint16_t ib = 0;
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < n; i++) {
			uint8_t cb = col_size(cols[i].tag);
			if ((pass == 0 && cb >= 4) || (pass == 1 && cb == 2) || (pass == 2 && cb == 1)) {
				cols[i].ib = ib;
				cols[i].cb = cb;
				cols[i].ibit = (uint8_t)i;
				ib = (uint16_t)(ib + cb);
			}
		}
		def->rgib[pass] = ib;
	}
	def->rgib[3] = (uint16_t)(ib + (n + 7) / 8);
	def->cols = cols;
	def->ncols = n;
}

static int cmp_col(const void *a, const void *b)
{
	const struct pst_col *x = a, *y = b;
	return (x->tag > y->tag) - (x->tag < y->tag);
}

void pst_tc_begin(struct pst_tc *t, struct pst_ndb *nb, const struct pst_tcdef *def,
		  uint64_t expected_rows, int streaming)
{
	uint8_t info[22 + 8 * 256];
	size_t rs = def->rgib[3];
	memset(t, 0, sizeof(*t));
	t->nb = nb;
	t->def = def;
	t->expect = expected_rows;
	t->next_sub = 1;
	pst_heap_init(&t->heap, nb, 0x7C, streaming);
	pst_bth_init(&t->idx, &t->heap, 4, 4);
	memset(info, 0, sizeof(info));
	t->hid_info = pst_heap_alloc(&t->heap, info, 22 + 8 * def->ncols);
	t->in_heap = expected_rows * rs <= PST_HEAP_ALLOC_MAX;
	t->rows = mf_xmalloc(PST_BLOCK_DATA);
	pst_dtree_init(&t->matrix);
}

static const struct pst_col *find_col(const struct pst_tcdef *def, uint32_t tag)
{
	for (size_t i = 0; i < def->ncols; i++)
		if (def->cols[i].tag == tag)
			return &def->cols[i];
	return NULL;
}

void pst_tc_row(struct pst_tc *t, uint32_t row_id, uint32_t row_ver,
		const struct pst_cell *cells, size_t n)
{
	const struct pst_tcdef *def = t->def;
	size_t rs = def->rgib[3], per = PST_BLOCK_DATA / rs;
	uint8_t row[1024], key[4], ent[4];
	uint8_t *ceb = row + def->rgib[2];

	memset(row, 0, rs);
	pst_w32(row, row_id);
	pst_w32(row + 4, row_ver);
	for (size_t i = 0; i < n; i++) {
		const struct pst_col *c = find_col(def, cells[i].tag);
		uint64_t v = cells[i].v;
		if (!c)
			continue;
		if (var_type(c->tag)) {
			if (cells[i].len == 0) {
				v = 0;
			} else if (cells[i].len <= PST_HEAP_ALLOC_MAX) {
				v = pst_heap_alloc(&t->heap, cells[i].data, cells[i].len);
			} else {
				uint32_t nid = PST_NID(NT_LTP, t->next_sub++);
				pst_sub_add(&t->subs, nid, pst_ndb_data(t->nb, cells[i].data,
									 cells[i].len), 0);
				t->big_bytes += cells[i].len;
				v = nid;
			}
		}
		switch (c->cb) {
		case 8: pst_w64(row + c->ib, v); break;
		case 4: pst_w32(row + c->ib, (uint32_t)v); break;
		case 2: pst_w16(row + c->ib, (uint32_t)v); break;
		default: row[c->ib] = (uint8_t)v; break;
		}
		ceb[c->ibit / 8] |= (uint8_t)(0x80 >> (c->ibit % 8));
	}
	ceb[0] |= 0xC0; /* RowId, RowVer */
	pst_w32(key, row_id);
	pst_w32(ent, (uint32_t)t->nrows);
	pst_bth_add(&t->idx, key, ent);
	if (t->in_heap && t->rows_len + rs > PST_HEAP_ALLOC_MAX) {
		/* more rows than announced: move to a subnode matrix */
		t->in_heap = 0;
	}
	if (!t->in_heap && t->rows_len + rs > per * rs) {
		/* a full matrix block: readers find row k at (k / per) * 8176 +
		 * (k % per) * size, so every block but the last is 8,176 bytes */
		memset(t->rows + t->rows_len, 0, PST_BLOCK_DATA - t->rows_len);
		pst_dtree_add(&t->matrix, pst_ndb_block(t->nb, t->rows, PST_BLOCK_DATA, 0),
			      PST_BLOCK_DATA);
		t->matrix_bytes += PST_BLOCK_DATA;
		t->rows_len = 0;
	}
	memcpy(t->rows + t->rows_len, row, rs);
	t->rows_len += rs;
	t->nrows++;
}

int pst_tc_end(struct pst_tc *t, uint64_t *bid_data, uint64_t *bid_sub, uint64_t *bytes)
{
	const struct pst_tcdef *def = t->def;
	uint32_t hnid_rows = 0, hid_idx;
	uint64_t heap_bytes;
	uint8_t *info;
	struct pst_col *sorted;

	if (t->nrows && t->in_heap) {
		hnid_rows = pst_heap_alloc(&t->heap, t->rows, t->rows_len);
	} else if (t->nrows) {
		uint32_t nid = PST_NID(NT_LTP, t->next_sub++);
		if (t->rows_len) {
			pst_dtree_add(&t->matrix, pst_ndb_block(t->nb, t->rows, t->rows_len, 0),
				      t->rows_len);
			t->matrix_bytes += t->rows_len;
		}
		pst_sub_add(&t->subs, nid, pst_dtree_end(t->nb, &t->matrix), 0);
		hnid_rows = nid;
	}
	hid_idx = pst_bth_end(&t->idx);
	info = pst_heap_ptr(&t->heap, t->hid_info);
	info[0] = 0x7C;
	info[1] = (uint8_t)def->ncols;
	for (int k = 0; k < 4; k++)
		pst_w16(info + 2 + 2 * k, def->rgib[k]);
	pst_w32(info + 10, hid_idx);
	pst_w32(info + 14, hnid_rows);
	pst_w32(info + 18, 0);
	sorted = mf_xmemdup(def->cols, def->ncols * sizeof(*sorted));
	qsort(sorted, def->ncols, sizeof(*sorted), cmp_col);
	for (size_t i = 0; i < def->ncols; i++) {
		uint8_t *c = info + 22 + 8 * i;
		pst_w32(c, sorted[i].tag);
		pst_w16(c + 4, sorted[i].ib);
		c[6] = sorted[i].cb;
		c[7] = sorted[i].ibit;
	}
	free(sorted);
	*bid_data = pst_heap_end(&t->heap, t->hid_info, &heap_bytes);
	*bid_sub = pst_ndb_subtree(t->nb, &t->subs);
	*bytes = heap_bytes + t->matrix_bytes + t->big_bytes;
	pst_heap_release(&t->heap);
	free(t->rows);
	t->rows = NULL;
	free(t->matrix.bids);
	free(t->matrix.sizes);
	memset(&t->matrix, 0, sizeof(t->matrix));
	return t->nb->err ? MF_EIO : MF_OK;
}
