/* SPDX-License-Identifier: MIT */
/*
 * pstr_ndb.c: the node database layer of a Unicode PST, read and checked:
 * header and its two CRCs, the allocation-map pages at their fixed offsets,
 * both B-trees (page CRC, signature, trailer BID, levels, key order and
 * ranges, loops), every block in the BBT (bounds, trailer, signature, CRC),
 * block reference counts recounted from the nodes, and the AMap rebuilt from
 * what the B-trees allocate and compared bit for bit with the file's.
 */
#include "exporters/pst/reader/pstr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t crc_table[256];
static int crc_ready;

/* The PST CRC: reflected polynomial 0xEDB88320, start 0, no final inversion. */
uint32_t pstr_crc(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;
	if (!crc_ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
			crc_table[i] = c;
		}
		crc_ready = 1;
	}
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ b[i]) & 0xFF] ^ (crc >> 8);
	return crc;
}

uint16_t pstr_sig(uint64_t ib, uint64_t bid)
{
	uint32_t w = (uint32_t)ib ^ (uint32_t)bid;
	return (uint16_t)((w >> 16) ^ (w & 0xFFFF));
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

#define PSTR_MAX_REPORTS 2000

void pstr_report(struct pstr *f, uint64_t off, uint32_t nid, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	f->nproblems++;
	if (!f->problem || f->nproblems > PSTR_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	f->problem(f->problem_ctx, off, nid, text);
	if (f->nproblems == PSTR_MAX_REPORTS)
		f->problem(f->problem_ctx, MF_NO_OFFSET, PSTR_NO_NID,
			   "too many problems: the rest are counted, not shown");
}

/* Read len bytes at off when they lie inside the file. */
static int rd(struct pstr *f, uint64_t off, void *buf, size_t len)
{
	if (off > f->size || len > f->size - off)
		return MF_EFORMAT;
	return f->read(f->read_ctx, off, buf, len) == 0 ? MF_OK : MF_EIO;
}

int pstr_open(struct pstr *f, struct mf_diag *diag)
{
	unsigned char h[564];
	uint16_t ver;

	if (f->size < sizeof(h) || rd(f, 0, h, sizeof(h)) != MF_OK)
		return mf_diag_set(diag, MF_EFORMAT, f->name, f->size,
				   "not a PST file: %llu bytes, shorter than the 564-byte header",
				   (unsigned long long)f->size);
	if (memcmp(h, "!BDN", 4) != 0)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 0, "not a PST file (no !BDN magic)");
	if (memcmp(h + 8, "SM", 2) != 0)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 8,
				   "not a PST data file (client magic is not SM)");
	ver = le16(h + 10);
	if (ver < 23)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 10,
				   "an ANSI PST (version %u): only Unicode PST files are read", ver);
	if (ver >= 36)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 10,
				   "PST version %u (4 KiB pages, an OST layout) is not read", ver);
	f->bid_next_p = le64(h + 32);
	f->file_eof = le64(h + 184);
	f->amap_last = le64(h + 192);
	f->amap_free = le64(h + 200);
	f->nbt_bid = le64(h + 216);
	f->nbt_ib = le64(h + 224);
	f->bbt_bid = le64(h + 232);
	f->bbt_ib = le64(h + 240);
	f->amap_valid = h[248];
	f->crypt = h[513];
	f->bid_next_b = le64(h + 516);
	if (f->file_eof > f->size)
		return mf_diag_set(diag, MF_EFORMAT, f->name, f->size,
				   "file is cut: the header (ibFileEof at offset 184) says %llu bytes, "
				   "the file has %llu",
				   (unsigned long long)f->file_eof, (unsigned long long)f->size);
	if (f->nbt_ib > f->size || f->size - f->nbt_ib < PSTR_PAGE)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 224,
				   "the NBT root page offset %llu lies outside the file",
				   (unsigned long long)f->nbt_ib);
	if (f->bbt_ib > f->size || f->size - f->bbt_ib < PSTR_PAGE)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 240,
				   "the BBT root page offset %llu lies outside the file",
				   (unsigned long long)f->bbt_ib);
	if (f->crypt != 0)
		return mf_diag_set(diag, MF_EFORMAT, f->name, 513,
				   "data encoded with bCryptMethod %u: only unencoded files are "
				   "checked", f->crypt);

	/* what does not stop the walk */
	if (pstr_crc(0, h + 8, 471) != le32(h + 4))
		pstr_report(f, 4, PSTR_NO_NID, "header dwCRCPartial 0x%08X, computed 0x%08X",
			    le32(h + 4), pstr_crc(0, h + 8, 471));
	if (pstr_crc(0, h + 8, 516) != le32(h + 524))
		pstr_report(f, 524, PSTR_NO_NID, "header dwCRCFull 0x%08X, computed 0x%08X",
			    le32(h + 524), pstr_crc(0, h + 8, 516));
	if (ver != 23)
		pstr_report(f, 10, PSTR_NO_NID, "wVer %u (Outlook writes 23)", ver);
	if (le16(h + 12) != 19)
		pstr_report(f, 12, PSTR_NO_NID, "wVerClient %u, not 19", le16(h + 12));
	if (h[14] != 1 || h[15] != 1)
		pstr_report(f, 14, PSTR_NO_NID, "bPlatformCreate/Access %u/%u, not 1/1", h[14], h[15]);
	if (h[512] != 0x80)
		pstr_report(f, 512, PSTR_NO_NID, "bSentinel 0x%02X, not 0x80", h[512]);
	if (f->amap_valid != 2)
		pstr_report(f, 248, PSTR_NO_NID, "fAMapValid %u: the AMap is not marked valid (2)",
			    f->amap_valid);
	if (f->file_eof != f->size)
		pstr_report(f, 184, PSTR_NO_NID, "ibFileEof %llu but the file has %llu bytes",
			    (unsigned long long)f->file_eof, (unsigned long long)f->size);
	if (le64(h + 208) != 0)
		pstr_report(f, 208, PSTR_NO_NID, "cbPMapFree %llu, not 0",
			    (unsigned long long)le64(h + 208));
	for (int i = 0; i < 128; i++)
		if (h[256 + i] != 0xFF || h[384 + i] != 0xFF) {
			pstr_report(f, 256, PSTR_NO_NID, "rgbFM/rgbFP not all 0xFF");
			break;
		}
	return MF_OK;
}

void pstr_close(struct pstr *f)
{
	if (f->fd_plus1 > 0)
		close(f->fd_plus1 - 1);
	f->fd_plus1 = 0;
	mf_free(&f->whole);
	f->whole_len = 0;
	mf_free(&f->bbt);
	mf_free(&f->nbt);
	mf_free(&f->pages);
	mf_free(&f->pset);
	f->cap_pset = 0;
	f->nbbt = f->nnbt = f->npages = 0;
	f->cap_bbt = f->cap_nbt = f->cap_pages = 0;
}

/* ---- B-trees ---- */

/* Add page offset ib to the set of pages seen (an open-addressing hash set
 * beside the list); 0 when it was there already. */
static int page_seen(struct pstr *f, uint64_t ib)
{
	size_t h;
	if ((f->npages + 1) * 2 > f->cap_pset) {
		size_t cap = f->cap_pset ? f->cap_pset * 2 : 256;
		uint64_t *t = mf_xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < f->npages; i++) {
			h = (size_t)(f->pages[i] / 64 * 0x9E3779B97F4A7C15ULL) & (cap - 1);
			while (t[h])
				h = (h + 1) & (cap - 1);
			t[h] = f->pages[i];
		}
		free(f->pset);
		f->pset = t;
		f->cap_pset = cap;
	}
	h = (size_t)(ib / 64 * 0x9E3779B97F4A7C15ULL) & (f->cap_pset - 1);
	while (f->pset[h]) {
		if (f->pset[h] == ib)
			return 0;
		h = (h + 1) & (f->cap_pset - 1);
	}
	f->pset[h] = ib;
	if (f->npages == f->cap_pages) {
		f->cap_pages = f->cap_pages ? f->cap_pages * 2 : 64;
		f->pages = mf_xreallocarray(f->pages, f->cap_pages, sizeof(*f->pages));
	}
	f->pages[f->npages++] = ib;
	return 1;
}

/* A page's trailer: ptype, signature, CRC and BID.  exp_bid ~0 = any. */
static int check_trailer(struct pstr *f, const unsigned char *pg, uint64_t ib, uint8_t ptype,
			 uint64_t exp_bid, const char *what)
{
	const unsigned char *t = pg + 496;
	int bad = 0;
	uint16_t want_sig = (ptype == 0x80 || ptype == 0x81 || ptype == 0x86)
		? pstr_sig(ib, le64(t + 8)) : 0;
	if (t[0] != ptype || t[1] != ptype) {
		pstr_report(f, ib + 496, PSTR_NO_NID, "%s page: ptype 0x%02X/0x%02X, expected 0x%02X",
			    what, t[0], t[1], ptype);
		return MF_EFORMAT;
	}
	if (pstr_crc(0, pg, 496) != le32(t + 4)) {
		pstr_report(f, ib + 500, PSTR_NO_NID, "%s page: CRC 0x%08X, computed 0x%08X", what,
			    le32(t + 4), pstr_crc(0, pg, 496));
		bad = 1;
	}
	if (le16(t + 2) != want_sig) {
		pstr_report(f, ib + 498, PSTR_NO_NID, "%s page: signature 0x%04X, expected 0x%04X",
			    what, le16(t + 2), want_sig);
		bad = 1;
	}
	if (exp_bid != ~0ULL && le64(t + 8) != exp_bid) {
		pstr_report(f, ib + 504, PSTR_NO_NID,
			    "%s page: trailer BID 0x%llX, but its parent names 0x%llX", what,
			    (unsigned long long)le64(t + 8), (unsigned long long)exp_bid);
		bad = 1;
	}
	return bad ? MF_EFORMAT : MF_OK;
}

struct bt_walk {
	int nbt;            /* 1 NBT, 0 BBT */
	int root_level;
};

static void bt_page(struct pstr *f, struct bt_walk *w, uint64_t bid, uint64_t ib, int level,
		    uint64_t key_lo, int has_lo, uint64_t key_hi, int has_hi, int depth)
{
	unsigned char pg[PSTR_PAGE];
	const char *what = w->nbt ? "NBT" : "BBT";
	unsigned cent, cmax, cbent, clevel, want_cb;
	uint64_t prev = 0;

	if (depth > PSTR_BTREE_DEPTH + 1) {
		pstr_report(f, ib, PSTR_NO_NID, "%s deeper than %d levels", what,
			    PSTR_BTREE_DEPTH + 1);
		return;
	}
	if (ib % 64 != 0 || ib < PSTR_AMAP_FIRST || ib > f->size || f->size - ib < PSTR_PAGE) {
		pstr_report(f, ib, PSTR_NO_NID, "%s page 0x%llX at offset %llu lies outside the "
			    "file or off the 64-byte grid", what, (unsigned long long)bid,
			    (unsigned long long)ib);
		return;
	}
	if (!page_seen(f, ib)) {
		pstr_report(f, ib, PSTR_NO_NID, "%s page at offset %llu is reached twice (a loop "
			    "or a shared page)", what, (unsigned long long)ib);
		return;
	}
	if (rd(f, ib, pg, sizeof(pg)) != MF_OK) {
		pstr_report(f, ib, PSTR_NO_NID, "%s page cannot be read", what);
		return;
	}
	f->tot.pages++;
	if (ib % PSTR_PAGE != 0)
		pstr_report(f, ib, PSTR_NO_NID, "%s page not on a 512-byte boundary", what);
	if (bid >= f->bid_next_p)
		pstr_report(f, ib + 504, PSTR_NO_NID, "%s page BID 0x%llX not below bidNextP 0x%llX",
			    what, (unsigned long long)bid, (unsigned long long)f->bid_next_p);
	if (check_trailer(f, pg, ib, w->nbt ? 0x81 : 0x80, bid, what) == MF_EFORMAT &&
	    (pg[496] != (w->nbt ? 0x81 : 0x80)))
		return;
	cent = pg[488];
	cmax = pg[489];
	cbent = pg[490];
	clevel = pg[491];
	if (level >= 0 && (int)clevel != level) {
		pstr_report(f, ib + 491, PSTR_NO_NID, "%s page cLevel %u, expected %d", what,
			    clevel, level);
		return;
	}
	if (clevel > PSTR_BTREE_DEPTH) {
		pstr_report(f, ib + 491, PSTR_NO_NID, "%s page cLevel %u over %d", what, clevel,
			    PSTR_BTREE_DEPTH);
		return;
	}
	want_cb = clevel > 0 ? 24 : (w->nbt ? 32 : 24);
	if (cbent != want_cb || cmax != 488 / want_cb || cent > cmax) {
		pstr_report(f, ib + 488, PSTR_NO_NID,
			    "%s page: cEnt %u, cEntMax %u, cbEnt %u (expected cbEnt %u, cEntMax %u)",
			    what, cent, cmax, cbent, want_cb, 488 / want_cb);
		return;
	}
	if (cent == 0)
		pstr_report(f, ib + 488, PSTR_NO_NID, "%s page holds no entry", what);
	for (unsigned i = 0; i < cent; i++) {
		const unsigned char *e = pg + (size_t)i * cbent;
		uint64_t key = le64(e);
		uint64_t eoff = ib + (uint64_t)i * cbent;
		if (i > 0 && key <= prev)
			pstr_report(f, eoff, PSTR_NO_NID, "%s keys out of order: 0x%llX after 0x%llX",
				    what, (unsigned long long)key, (unsigned long long)prev);
		if (i == 0 && has_lo && key != key_lo)
			pstr_report(f, eoff, PSTR_NO_NID,
				    "%s page's first key 0x%llX differs from its parent's key 0x%llX",
				    what, (unsigned long long)key, (unsigned long long)key_lo);
		if ((has_lo && key < key_lo) || (has_hi && key >= key_hi))
			pstr_report(f, eoff, PSTR_NO_NID,
				    "%s key 0x%llX outside its parent's range", what,
				    (unsigned long long)key);
		prev = key;
		if (clevel > 0) {
			uint64_t next = i + 1 < cent ? le64(e + cbent) : key_hi;
			int has_next = i + 1 < cent ? 1 : has_hi;
			bt_page(f, w, le64(e + 8), le64(e + 16), (int)clevel - 1, key, 1, next,
				has_next, depth + 1);
		} else if (w->nbt) {
			struct pstr_nent *n;
			if (key >> 32)
				pstr_report(f, eoff, PSTR_NO_NID, "NBT key 0x%llX has high bits set",
					    (unsigned long long)key);
			if (f->nnbt == f->cap_nbt) {
				f->cap_nbt = f->cap_nbt ? f->cap_nbt * 2 : 256;
				f->nbt = mf_xreallocarray(f->nbt, f->cap_nbt, sizeof(*f->nbt));
			}
			n = &f->nbt[f->nnbt++];
			n->nid = (uint32_t)key;
			n->bid_data = le64(e + 8);
			n->bid_sub = le64(e + 16);
			n->parent = le32(e + 24);
			n->page = ib;
		} else {
			struct pstr_bent *b;
			if (f->nbbt == f->cap_bbt) {
				f->cap_bbt = f->cap_bbt ? f->cap_bbt * 2 : 256;
				f->bbt = mf_xreallocarray(f->bbt, f->cap_bbt, sizeof(*f->bbt));
			}
			b = &f->bbt[f->nbbt++];
			memset(b, 0, sizeof(*b));
			b->bid = key;
			b->ib = le64(e + 8);
			b->cb = le16(e + 16);
			b->cref = le16(e + 18);
			if (key & 1)
				pstr_report(f, eoff, PSTR_NO_NID, "BBT key 0x%llX has bit 0 set",
					    (unsigned long long)key);
		}
	}
}

static int cmp_bent(const void *a, const void *b)
{
	uint64_t x = ((const struct pstr_bent *)a)->bid & ~1ULL;
	uint64_t y = ((const struct pstr_bent *)b)->bid & ~1ULL;
	return x < y ? -1 : x > y;
}

static int cmp_nent(const void *a, const void *b)
{
	uint32_t x = ((const struct pstr_nent *)a)->nid, y = ((const struct pstr_nent *)b)->nid;
	return x < y ? -1 : x > y;
}

const struct pstr_bent *pstr_bbt_find(const struct pstr *f, uint64_t bid)
{
	size_t lo = 0, hi = f->nbbt;
	bid &= ~1ULL;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		uint64_t k = f->bbt[m].bid & ~1ULL;
		if (k == bid)
			return &f->bbt[m];
		if (k < bid)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

const struct pstr_nent *pstr_nbt_find(const struct pstr *f, uint32_t nid)
{
	size_t lo = 0, hi = f->nnbt;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (f->nbt[m].nid == nid)
			return &f->nbt[m];
		if (f->nbt[m].nid < nid)
			lo = m + 1;
		else
			hi = m;
	}
	return NULL;
}

static uint64_t block_span(uint16_t cb) { return ((uint64_t)cb + 16 + 63) / 64 * 64; }

/* Read and check one block's bytes and trailer. */
static int block_read(struct pstr *f, const struct pstr_bent *b, unsigned char *buf, int report)
{
	uint64_t span = block_span(b->cb);
	const unsigned char *t;
	int bad = 0;
	if (b->cb > PSTR_BLOCK_DATA_MAX || b->ib % 64 != 0 || b->ib > f->size ||
	    f->size - b->ib < span) {
		if (report)
			pstr_report(f, b->ib, PSTR_NO_NID,
				    "block 0x%llX (%u bytes at offset %llu) lies outside the file, "
				    "over 8176 bytes or off the 64-byte grid",
				    (unsigned long long)b->bid, b->cb, (unsigned long long)b->ib);
		return MF_EFORMAT;
	}
	if (rd(f, b->ib, buf, (size_t)span) != MF_OK)
		return MF_EIO;
	if (!report)
		return b->ok ? MF_OK : MF_EFORMAT;
	t = buf + span - 16;
	if (le16(t) != b->cb) {
		pstr_report(f, b->ib + span - 16, PSTR_NO_NID,
			    "block 0x%llX: trailer cb %u, the BBT says %u", (unsigned long long)b->bid,
			    le16(t), b->cb);
		return MF_EFORMAT;
	}
	if (le64(t + 8) != b->bid) {
		pstr_report(f, b->ib + span - 8, PSTR_NO_NID,
			    "block 0x%llX: trailer BID 0x%llX", (unsigned long long)b->bid,
			    (unsigned long long)le64(t + 8));
		bad = 1;
	}
	if (le16(t + 2) != pstr_sig(b->ib, b->bid)) {
		pstr_report(f, b->ib + span - 14, PSTR_NO_NID,
			    "block 0x%llX: signature 0x%04X, expected 0x%04X",
			    (unsigned long long)b->bid, le16(t + 2), pstr_sig(b->ib, b->bid));
		bad = 1;
	}
	if (pstr_crc(0, buf, b->cb) != le32(t + 4)) {
		pstr_report(f, b->ib + span - 12, PSTR_NO_NID,
			    "block 0x%llX: CRC 0x%08X, computed 0x%08X", (unsigned long long)b->bid,
			    le32(t + 4), pstr_crc(0, buf, b->cb));
		bad = 1;
	}
	return bad ? MF_EFORMAT : MF_OK;
}

int pstr_block(struct pstr *f, uint64_t bid, unsigned char *buf, size_t *cb)
{
	const struct pstr_bent *b = pstr_bbt_find(f, bid);
	*cb = 0;
	if (!b || !b->ok)
		return MF_EFORMAT;
	if (f->budget-- <= 0) {
		if (!f->budget_told++)
			pstr_report(f, MF_NO_OFFSET, PSTR_NO_NID, "the walk read every block more "
				    "than 64 times (blocks shared in a loop?): stopped");
		return MF_ETOOBIG;
	}
	if (block_read(f, b, buf, 0) != MF_OK)
		return MF_EFORMAT;
	*cb = b->cb;
	return MF_OK;
}

/* ---- references ---- */

static void ref_block(struct pstr *f, uint64_t bid, uint32_t nid, int depth, int want_internal);

/* Count the children of internal block b (once per block). */
static void ref_children(struct pstr *f, struct pstr_bent *b, uint32_t nid, int depth)
{
	unsigned char buf[PSTR_BLOCK_MAX];
	unsigned btype, clevel, cent;
	if (b->walked || !b->ok)
		return;
	b->walked = 1;
	if (block_read(f, b, buf, 0) != MF_OK || b->cb < 8) {
		pstr_report(f, b->ib, nid, "internal block 0x%llX too short",
			    (unsigned long long)b->bid);
		return;
	}
	btype = buf[0];
	clevel = buf[1];
	cent = le16(buf + 2);
	if (btype == 1 && (clevel == 1 || clevel == 2)) {
		if (8 + (size_t)cent * 8 > b->cb || cent == 0) {
			pstr_report(f, b->ib, nid, "XBLOCK 0x%llX: %u entries do not fit %u bytes",
				    (unsigned long long)b->bid, cent, b->cb);
			return;
		}
		for (unsigned i = 0; i < cent; i++)
			ref_block(f, le64(buf + 8 + i * 8), nid, depth + 1, clevel == 2);
	} else if (btype == 2 && (clevel == 0 || clevel == 1)) {
		size_t esz = clevel == 0 ? 24 : 16;
		if (8 + (size_t)cent * esz > b->cb || cent == 0) {
			pstr_report(f, b->ib, nid, "subnode block 0x%llX: %u entries do not fit %u "
				    "bytes", (unsigned long long)b->bid, cent, b->cb);
			return;
		}
		for (unsigned i = 0; i < cent; i++) {
			const unsigned char *e = buf + 8 + i * esz;
			if (clevel == 0) {
				ref_block(f, le64(e + 8), nid, depth + 1, -1);
				if (le64(e + 16))
					ref_block(f, le64(e + 16), nid, depth + 1, 1);
			} else {
				ref_block(f, le64(e + 8), nid, depth + 1, 1);
			}
		}
	} else {
		pstr_report(f, b->ib, nid, "internal block 0x%llX: unknown btype %u cLevel %u",
			    (unsigned long long)b->bid, btype, clevel);
	}
}

/* want_internal: 1 must be internal, 0 must be external, -1 either. */
static void ref_block(struct pstr *f, uint64_t bid, uint32_t nid, int depth, int want_internal)
{
	struct pstr_bent *b;
	if (bid == 0) {
		pstr_report(f, MF_NO_OFFSET, nid, "a block reference is 0");
		return;
	}
	b = (struct pstr_bent *)pstr_bbt_find(f, bid);
	if (!b) {
		pstr_report(f, MF_NO_OFFSET, nid, "block 0x%llX is not in the BBT",
			    (unsigned long long)bid);
		return;
	}
	b->refs++;
	if (want_internal == 1 && !(bid & 2))
		pstr_report(f, b->ib, nid, "block 0x%llX should be an internal block",
			    (unsigned long long)bid);
	if (want_internal == 0 && (bid & 2))
		pstr_report(f, b->ib, nid, "block 0x%llX should be a data block",
			    (unsigned long long)bid);
	if ((bid & 2) && depth < 16)
		ref_children(f, b, nid, depth);
}

/* ---- allocation maps ---- */

struct amap {
	unsigned char *bits;   /* one bit per 64 bytes from PSTR_AMAP_FIRST */
	uint64_t nslots;
};

static void amap_mark(struct pstr *f, struct amap *m, uint64_t ib, uint64_t len, const char *what)
{
	uint64_t s, e;
	int overlap = 0;
	if (ib < PSTR_AMAP_FIRST || len == 0)
		return;
	s = (ib - PSTR_AMAP_FIRST) / 64;
	e = (ib - PSTR_AMAP_FIRST + len + 63) / 64;
	if (e > m->nslots)
		e = m->nslots;
	for (uint64_t i = s; i < e; i++) {
		if (m->bits[i / 8] & (0x80 >> (i % 8)))
			overlap = 1;
		m->bits[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	}
	if (overlap)
		pstr_report(f, ib, PSTR_NO_NID, "%s at offset %llu overlaps another allocation",
			    what, (unsigned long long)ib);
}

static int section_has(uint64_t i, int kind)
{
	switch (kind) {
	case 1: return i % 8 == 0;                              /* PMap */
	case 2: return i >= 128 && (i - 128) % 496 == 0;        /* FMap */
	case 3: return i >= 8192 && (i - 8192) % 31744 == 0;    /* FPMap */
	}
	return 1;
}

static void check_maps(struct pstr *f)
{
	static const uint8_t ptypes[4] = { 0x84, 0x83, 0x82, 0x85 };
	static const char *const names[4] = { "AMap", "PMap", "FMap", "FPMap" };
	unsigned char pg[PSTR_PAGE], buf[PSTR_BLOCK_MAX];
	uint64_t eof = f->size, nsec, free_slots = 0, last_amap = 0;
	struct amap m;

	if (eof <= PSTR_AMAP_FIRST) {
		pstr_report(f, eof, PSTR_NO_NID, "file ends before the first AMap page at 0x4400");
		return;
	}
	m.nslots = (eof - PSTR_AMAP_FIRST) / 64;
	m.bits = mf_xcalloc((size_t)(m.nslots / 8 + 1), 1);
	nsec = (eof - PSTR_AMAP_FIRST + PSTR_AMAP_SPAN - 1) / PSTR_AMAP_SPAN;

	/* the DList page is optional; checked when present */
	if (rd(f, 0x4200, pg, sizeof(pg)) == MF_OK && (pg[496] || pg[497]))
		check_trailer(f, pg, 0x4200, 0x86, ~0ULL, "DList");

	for (uint64_t s = 0; s < nsec; s++) {
		uint64_t base = PSTR_AMAP_FIRST + s * PSTR_AMAP_SPAN;
		for (int k = 0; k < 4; k++) {
			uint64_t ib = base + (uint64_t)k * PSTR_PAGE;
			if (!section_has(s, k))
				continue;
			if (ib + PSTR_PAGE > eof) {
				pstr_report(f, ib, PSTR_NO_NID, "%s page missing: the file ends first",
					    names[k]);
				continue;
			}
			amap_mark(f, &m, ib, PSTR_PAGE, names[k]);
			if (rd(f, ib, pg, sizeof(pg)) != MF_OK)
				continue;
			check_trailer(f, pg, ib, ptypes[k], ib, names[k]);
			if (k == 0)
				last_amap = ib;
		}
	}
	for (size_t i = 0; i < f->npages; i++)
		amap_mark(f, &m, f->pages[i], PSTR_PAGE, "B-tree page");
	for (size_t i = 0; i < f->nbbt; i++)
		if (f->bbt[i].cb <= PSTR_BLOCK_DATA_MAX && f->bbt[i].ib <= eof &&
		    eof - f->bbt[i].ib >= block_span(f->bbt[i].cb))
			amap_mark(f, &m, f->bbt[i].ib, block_span(f->bbt[i].cb), "block");

	/* compare with the file's AMap pages */
	for (uint64_t s = 0; s < nsec; s++) {
		uint64_t base = PSTR_AMAP_FIRST + s * PSTR_AMAP_SPAN;
		uint64_t first = s * (PSTR_AMAP_SPAN / 64), n = PSTR_AMAP_SPAN / 64;
		int shown = 0;
		if (base + PSTR_PAGE > eof || rd(f, base, pg, sizeof(pg)) != MF_OK)
			continue;
		if (first + n > m.nslots)
			n = m.nslots - first;
		for (uint64_t i = 0; i < n; i++) {
			int infile = !!(pg[i / 8] & (0x80 >> (i % 8)));
			uint64_t g = first + i;
			int rebuilt = !!(m.bits[g / 8] & (0x80 >> (g % 8)));
			if (!infile)
				free_slots++;
			if (infile != rebuilt) {
				if (shown++ < 8)
					pstr_report(f, base + i / 8, PSTR_NO_NID,
						    "AMap bit for offset %llu is %s, but that space is %s",
						    (unsigned long long)base + (unsigned long long)i * 64,
						    infile ? "allocated" : "free",
						    rebuilt ? "in use" : "not used by any page or block");
				else
					f->nproblems++;
			}
		}
	}
	if (free_slots * 64 != f->amap_free)
		pstr_report(f, 200, PSTR_NO_NID, "cbAMapFree %llu, but the AMaps hold %llu free bytes",
			    (unsigned long long)f->amap_free, (unsigned long long)free_slots * 64);
	if (last_amap && f->amap_last != last_amap)
		pstr_report(f, 192, PSTR_NO_NID, "ibAMapLast 0x%llX, the last AMap page is at 0x%llX",
			    (unsigned long long)f->amap_last, (unsigned long long)last_amap);
	(void)buf;
	free(m.bits);
}

void pstr_check_ndb(struct pstr *f)
{
	struct bt_walk w;
	unsigned char buf[PSTR_BLOCK_MAX];

	w.nbt = 0;
	w.root_level = -1;
	bt_page(f, &w, f->bbt_bid, f->bbt_ib, -1, 0, 0, 0, 0, 0);
	w.nbt = 1;
	bt_page(f, &w, f->nbt_bid, f->nbt_ib, -1, 0, 0, 0, 0, 0);
	if (f->nbbt > 1)
		qsort(f->bbt, f->nbbt, sizeof(*f->bbt), cmp_bent);
	if (f->nnbt > 1)
		qsort(f->nbt, f->nnbt, sizeof(*f->nbt), cmp_nent);
	for (size_t i = 1; i < f->nbbt; i++)
		if ((f->bbt[i].bid & ~1ULL) == (f->bbt[i - 1].bid & ~1ULL))
			pstr_report(f, f->bbt[i].ib, PSTR_NO_NID, "block 0x%llX is in the BBT twice",
				    (unsigned long long)f->bbt[i].bid);
	for (size_t i = 1; i < f->nnbt; i++)
		if (f->nbt[i].nid == f->nbt[i - 1].nid)
			pstr_report(f, f->nbt[i].page, f->nbt[i].nid, "node is in the NBT twice");
	f->tot.nodes = (long)f->nnbt;
	f->budget = 64 * ((int64_t)f->nbbt + 1024);
	f->tot.blocks = (long)f->nbbt;

	/* every block */
	for (size_t i = 0; i < f->nbbt; i++) {
		struct pstr_bent *b = &f->bbt[i];
		if (b->bid >= f->bid_next_b)
			pstr_report(f, b->ib, PSTR_NO_NID, "block BID 0x%llX not below bidNextB 0x%llX",
				    (unsigned long long)b->bid, (unsigned long long)f->bid_next_b);
		if (block_read(f, b, buf, 1) == MF_OK)
			b->ok = 1;
		else if (b->cb <= PSTR_BLOCK_DATA_MAX && b->ib % 64 == 0 && b->ib <= f->size &&
			 f->size - b->ib >= block_span(b->cb))
			b->ok = 1;   /* damaged content: reported, still read */
	}

	/* references from the nodes */
	for (size_t i = 0; i < f->nnbt; i++) {
		const struct pstr_nent *n = &f->nbt[i];
		if (n->bid_data)
			ref_block(f, n->bid_data, n->nid, 0, -1);
		if (n->bid_sub)
			ref_block(f, n->bid_sub, n->nid, 0, 1);
	}
	for (size_t i = 0; i < f->nbbt; i++) {
		const struct pstr_bent *b = &f->bbt[i];
		if (b->refs == 0)
			pstr_report(f, b->ib, PSTR_NO_NID,
				    "block 0x%llX is referenced by no node (cRef %u)",
				    (unsigned long long)b->bid, b->cref);
		else if (b->cref != b->refs + 1)
			pstr_report(f, b->ib, PSTR_NO_NID,
				    "block 0x%llX: cRef %u, but %u reference%s (expected cRef %u)",
				    (unsigned long long)b->bid, b->cref, b->refs,
				    b->refs == 1 ? "" : "s", b->refs + 1);
	}
	check_maps(f);
}
