/* SPDX-License-Identifier: MIT */
/*
 * ndb.c: the PST node database layer ([MS-PST] 2.2): header, 512-byte
 * pages, allocation maps, blocks with trailers, data and subnode trees,
 * and the two B-trees built bottom-up from journals at the end.
 *
 * Allocation is forward only.  The file is cut in AMap sections of
 * 0x3E000 bytes from 0x4400; each section starts with its AMap page and,
 * where [MS-PST] puts them, a PMap, FMap or FPMap page.  Nothing ever
 * straddles two sections, so a section's AMap is final once the cursor
 * leaves it: only one 496-byte bitmap is kept.
 */
#include "exporters/pst/pst.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WB_CAP (1u << 20)
#define PAGE 512u

/* ---- CRC ([MS-PST] 5.3: reflected 0xEDB88320, no final inversion) ----
 *
 * Slicing by 8: eight tables, eight bytes per step (every byte written
 * goes through this once, so it was a quarter of an export's CPU when it
 * went a byte at a time).  Same value as the bytewise loop. */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = crc_table[0][crc_table[t - 1][i] & 0xFF] ^
					  (crc_table[t - 1][i] >> 8);
}

static uint32_t crc_slices(uint32_t crc, const uint8_t *b, size_t n)
{
	while (n && ((uintptr_t)b & 7)) {
		crc = crc_table[0][(crc ^ *b++) & 0xFF] ^ (crc >> 8);
		n--;
	}
	while (n >= 8) {
		uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
				     (uint32_t)b[3] << 24);
		crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
		      crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][b[4]] ^ crc_table[2][b[5]] ^ crc_table[1][b[6]] ^
		      crc_table[0][b[7]];
		b += 8;
		n -= 8;
	}
	while (n--)
		crc = crc_table[0][(crc ^ *b++) & 0xFF] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CRC_CLMUL 1
static int crc_clmul_ok;

/*
 * Carry-less multiplication (PCLMULQDQ), on x86-64 processors that have
 * it: 64 bytes are folded per step into four 128-bit lanes, the lanes into
 * one, and the 16 bytes left (with the same remainder modulo the CRC
 * polynomial as everything folded into them) go through the tables with
 * the tail.  The constants are x^(k) mod P, bit-reflected, for the folding
 * distances 512+32 / 512-32 (four lanes) and 128+32 / 128-32 (one).
 */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_clmul(uint32_t crc, const uint8_t *b, size_t n)
{
	const __m128i k4 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
	const __m128i k1 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
	__m128i x0, x1, x2, x3;
	uint8_t rest[16];

	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)b), _mm_cvtsi32_si128((int)crc));
	x1 = _mm_loadu_si128((const __m128i *)(b + 16));
	x2 = _mm_loadu_si128((const __m128i *)(b + 32));
	x3 = _mm_loadu_si128((const __m128i *)(b + 48));
	b += 64;
	n -= 64;
#define FOLD(x, k, d) _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128((x), (k), 0x00), \
					       _mm_clmulepi64_si128((x), (k), 0x11)), (d))
	while (n >= 64) {
		x0 = FOLD(x0, k4, _mm_loadu_si128((const __m128i *)b));
		x1 = FOLD(x1, k4, _mm_loadu_si128((const __m128i *)(b + 16)));
		x2 = FOLD(x2, k4, _mm_loadu_si128((const __m128i *)(b + 32)));
		x3 = FOLD(x3, k4, _mm_loadu_si128((const __m128i *)(b + 48)));
		b += 64;
		n -= 64;
	}
	x1 = FOLD(x0, k1, x1);
	x2 = FOLD(x1, k1, x2);
	x0 = FOLD(x2, k1, x3);
	while (n >= 16) {
		x0 = FOLD(x0, k1, _mm_loadu_si128((const __m128i *)b));
		b += 16;
		n -= 16;
	}
#undef FOLD
	_mm_storeu_si128((__m128i *)rest, x0);
	return crc_slices(crc_slices(0, rest, 16), b, n);
}
#endif

static void crc_setup(void)
{
	crc_init();
#ifdef CRC_CLMUL
	__builtin_cpu_init();
	crc_clmul_ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
}

uint32_t pst_crc(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&crc_once, crc_setup);
#ifdef CRC_CLMUL
	if (n >= 128 && crc_clmul_ok)
		return crc_clmul(crc, p, n);
#endif
	return crc_slices(crc, p, n);
}

static uint16_t block_sig(uint64_t ib, uint64_t bid)
{
	uint32_t w = (uint32_t)(ib ^ bid);
	return (uint16_t)((w >> 16) ^ (w & 0xFFFF));
}

/* ---- writing ---- */

static void raw_write(struct pst_ndb *nb, uint64_t off, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n && !nb->err) {
		ssize_t w = pwrite(nb->fd, b, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			nb->err = errno ? errno : EIO;
			return;
		}
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
}

static void wb_flush(struct pst_ndb *nb)
{
	if (nb->wb_len) {
		raw_write(nb, nb->wb_off, nb->wb, nb->wb_len);
		/* nosync: start writing it to disk now, while the rest is
		 * built, so the caller's sync barrier finds little left */
		if (nb->nosync && !nb->err)
			(void)sync_file_range(nb->fd, (off_t)nb->wb_off, (off_t)nb->wb_len,
					      SYNC_FILE_RANGE_WRITE);
	}
	nb->wb_len = 0;
}

static void wr(struct pst_ndb *nb, uint64_t off, const void *p, size_t n)
{
	if (nb->wb_len && (off < nb->wb_off || off + n > nb->wb_off + nb->wb_cap))
		wb_flush(nb);
	if (!nb->wb_len)
		nb->wb_off = off;
	if (off + n > nb->wb_off + nb->wb_cap) {
		raw_write(nb, off, p, n);
		return;
	}
	{
		size_t at = (size_t)(off - nb->wb_off);
		if (at > nb->wb_len)
			memset(nb->wb + nb->wb_len, 0, at - nb->wb_len);
		memcpy(nb->wb + at, p, n);
		if (at + n > nb->wb_len)
			nb->wb_len = at + n;
	}
}

/* n bytes at off in the write buffer, to be filled in place (a block is
 * built where it will be written: no copy through the stack). */
static uint8_t *wr_place(struct pst_ndb *nb, uint64_t off, size_t n)
{
	size_t at;
	if (nb->wb_len && (off < nb->wb_off || off + n > nb->wb_off + nb->wb_cap))
		wb_flush(nb);
	if (!nb->wb_len)
		nb->wb_off = off;
	at = (size_t)(off - nb->wb_off);
	if (at > nb->wb_len)
		memset(nb->wb + nb->wb_len, 0, at - nb->wb_len);
	if (at + n > nb->wb_len)
		nb->wb_len = at + n;
	return nb->wb + at;
}

static void page_trailer(uint8_t pg[PAGE], uint8_t ptype, uint64_t ib, uint64_t bid, int sig)
{
	pg[496] = ptype;
	pg[497] = ptype;
	pst_w16(pg + 498, sig ? block_sig(ib, bid) : 0);
	pst_w32(pg + 500, pst_crc(0, pg, 496));
	pst_w64(pg + 504, bid);
}

/* ---- sections and maps ---- */

static int has_pmap(uint64_t s) { return s % 8 == 0; }
static int has_fmap(uint64_t s) { return s >= 128 && (s - 128) % 496 == 0; }
static int has_fpmap(uint64_t s) { return s >= 8192 && (s - 8192) % 31744 == 0; }

static uint64_t sec_base(uint64_t s) { return PST_AMAP_FIRST + s * PST_AMAP_SPAN; }

static void map_page(struct pst_ndb *nb, uint64_t ib, uint8_t ptype, uint8_t fill)
{
	uint8_t pg[PAGE];
	memset(pg, fill, 496);
	page_trailer(pg, ptype, ib, ib, 0);
	wr(nb, ib, pg, PAGE);
}

static void sec_enter(struct pst_ndb *nb, uint64_t s)
{
	uint64_t base = sec_base(s);
	unsigned np = 1;
	nb->sec = s;
	memset(nb->amap, 0, sizeof(nb->amap));
	/* the AMap page's place in the write buffer, filled by sec_leave */
	memset(wr_place(nb, base, PAGE), 0, PAGE);
	if (has_pmap(s))
		map_page(nb, base + PAGE * np++, 0x83, 0xFF);
	/* FMap/FPMap bytes: deprecated, never read since Outlook 2007 SP2 */
	if (has_fmap(s))
		map_page(nb, base + PAGE * np++, 0x82, 0x00);
	if (has_fpmap(s))
		map_page(nb, base + PAGE * np++, 0x85, 0x00);
	memset(nb->amap, 0xFF, np);
	nb->cur = base + PAGE * np;
}

static void sec_leave(struct pst_ndb *nb)
{
	uint8_t pg[PAGE];
	uint64_t base = sec_base(nb->sec), nfree = 0;
	for (size_t i = 0; i < 496; i++)
		nfree += 8 - (unsigned)__builtin_popcount(nb->amap[i]);
	nb->amap_free += nfree * 64;
	memcpy(pg, nb->amap, 496);
	page_trailer(pg, 0x84, base, base, 0);
	if (nb->wb_len && base >= nb->wb_off && base + PAGE <= nb->wb_off + nb->wb_len) {
		/* the section's start is still in the write buffer (it holds
		 * 1 MiB, a section 248 KiB): the map goes there, and the
		 * sections leave in writes of a whole buffer */
		memcpy(nb->wb + (base - nb->wb_off), pg, PAGE);
	} else {
		wb_flush(nb);
		raw_write(nb, base, pg, PAGE);
	}
	nb->amap_last = base;
}

static uint64_t nb_alloc(struct pst_ndb *nb, uint64_t size, uint64_t align)
{
	uint64_t off, base;
	for (;;) {
		off = (nb->cur + align - 1) / align * align;
		base = sec_base(nb->sec);
		if (off + size <= base + PST_AMAP_SPAN)
			break;
		sec_leave(nb);
		sec_enter(nb, nb->sec + 1);
	}
	for (uint64_t k = (off - base) / 64; k < (off + size - base) / 64; k++)
		nb->amap[k / 8] |= (uint8_t)(0x80 >> (k % 8));
	nb->cur = off + size;
	return off;
}

/* ---- open / abort ---- */

FILE *pst_journal_get(struct pst_journals *p)
{
	if (p && p->n)
		return p->f[--p->n];
	return tmpfile();
}

void pst_journal_put(struct pst_journals *p, FILE *f)
{
	if (!f)
		return;
	clearerr(f);
	if (p && p->n < sizeof(p->f) / sizeof(p->f[0]) && fseeko(f, 0, SEEK_SET) == 0 &&
	    ftruncate(fileno(f), 0) == 0 && !ferror(f)) {
		p->f[p->n++] = f;
		return;
	}
	fclose(f);
}

void pst_journals_free(struct pst_journals *p)
{
	while (p->n)
		fclose(p->f[--p->n]);
}

int pst_ndb_open(struct pst_ndb *nb, const char *path, struct pst_journals *jp,
		 struct mf_diag *d)
{
	static const uint32_t rgnid0[32] = { 0x400, 0x400, 0x400, 0x4000, 0x10000, 0x400, 0x400,
		0x400, 0x8000, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400,
		0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400, 0x400,
		0x400, 0x400, 0x400 };
	memset(nb, 0, sizeof(*nb));
	nb->fd = -1;
	nb->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (nb->fd < 0)
		return mf_diag_errno(d, MF_EIO, path, "cannot create");
	nb->path = mf_xstrdup(path);
	nb->jp = jp;
	nb->bbt_j = pst_journal_get(jp);
	nb->nbt_j = pst_journal_get(jp);
	if (!nb->bbt_j || !nb->nbt_j) {
		pst_ndb_abort(nb);
		return mf_diag_errno(d, MF_EIO, NULL, "cannot create a journal file");
	}
	nb->wb = mf_xmalloc(WB_CAP);
	nb->wb_cap = WB_CAP;
	nb->next_bid = 4;
	memcpy(nb->rgnid, rgnid0, sizeof(rgnid0));
	sec_enter(nb, 0);
	return MF_OK;
}

void pst_ndb_abort(struct pst_ndb *nb)
{
	if (nb->fd >= 0) {
		close(nb->fd);
		if (nb->path)
			unlink(nb->path);
	}
	nb->fd = -1;
	pst_journal_put(nb->jp, nb->bbt_j);
	pst_journal_put(nb->jp, nb->nbt_j);
	nb->bbt_j = nb->nbt_j = NULL;
	free(nb->small);
	nb->small = NULL;
	free(nb->wb);
	nb->wb = NULL;
	free(nb->path);
	nb->path = NULL;
}

uint64_t pst_ndb_size(const struct pst_ndb *nb)
{
	uint64_t pages = nb->nnodes / 14 + nb->nblocks / 19 + 16;
	return nb->cur + pages * PAGE * 2 + PST_AMAP_SPAN;
}

/* ---- blocks ---- */

uint64_t pst_ndb_block(struct pst_ndb *nb, const void *data, size_t n, int internal)
{
	uint8_t *buf, rec[24];
	uint64_t bid, sz, off;

	if (n > PST_BLOCK_DATA) {
		nb->err = EFBIG;
		return 0;
	}
	if (nb->cap && nb->cap_n++ == 0 && !internal && n <= nb->cap_max) {
		memcpy(nb->cap, data, n);
		nb->cap_len = n;
	}
	bid = nb->next_bid | (internal ? 2u : 0u);
	nb->next_bid += 4;
	sz = (n + 16 + 63) / 64 * 64;
	off = nb_alloc(nb, sz, 64);
	buf = wr_place(nb, off, (size_t)sz);
	memcpy(buf, data, n);
	memset(buf + n, 0, (size_t)sz - n);
	pst_w16(buf + sz - 16, (uint32_t)n);
	pst_w16(buf + sz - 14, block_sig(off, bid));
	pst_w32(buf + sz - 12, pst_crc(0, buf, n));
	pst_w64(buf + sz - 8, bid);
	pst_w64(rec, bid);
	pst_w64(rec + 8, off);
	pst_w16(rec + 16, (uint32_t)n);
	pst_w16(rec + 18, 2);
	pst_w32(rec + 20, 0);
	if (fwrite(rec, 1, 24, nb->bbt_j) != 24 && !nb->err)
		nb->err = errno ? errno : EIO;
	nb->nblocks++;
	nb->payload += n;
	return bid;
}

void pst_dtree_init(struct pst_dtree *t)
{
	memset(t, 0, sizeof(*t));
}

void pst_dtree_add(struct pst_dtree *t, uint64_t bid, size_t cb)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->bids = mf_xreallocarray(t->bids, t->cap, sizeof(*t->bids));
		t->sizes = mf_xreallocarray(t->sizes, t->cap, sizeof(*t->sizes));
	}
	t->bids[t->n] = bid;
	t->sizes[t->n++] = (uint32_t)cb;
	t->total += cb;
}

#define XFAN 1021

static uint64_t xblock(struct pst_ndb *nb, int level, const uint64_t *bids, size_t n,
		       uint64_t total)
{
	uint8_t buf[PST_BLOCK_DATA];
	buf[0] = 1;
	buf[1] = (uint8_t)level;
	pst_w16(buf + 2, (uint32_t)n);
	pst_w32(buf + 4, (uint32_t)total);
	for (size_t i = 0; i < n; i++)
		pst_w64(buf + 8 + 8 * i, bids[i]);
	return pst_ndb_block(nb, buf, 8 + 8 * n, 1);
}

uint64_t pst_dtree_end(struct pst_ndb *nb, struct pst_dtree *t)
{
	uint64_t r = 0;
	if (t->n == 1) {
		r = t->bids[0];
	} else if (t->n > 1 && t->n <= XFAN) {
		r = xblock(nb, 1, t->bids, t->n, t->total);
	} else if (t->n > XFAN) {
		size_t nx = (t->n + XFAN - 1) / XFAN;
		uint64_t xb[XFAN];
		if (nx > XFAN || t->total > UINT32_MAX) {
			nb->err = EFBIG;
		} else {
			for (size_t i = 0; i < nx; i++) {
				size_t a = i * XFAN, b = a + XFAN < t->n ? a + XFAN : t->n;
				uint64_t sum = 0;
				for (size_t k = a; k < b; k++)
					sum += t->sizes[k];
				xb[i] = xblock(nb, 1, t->bids + a, b - a, sum);
			}
			r = xblock(nb, 2, xb, nx, t->total);
		}
	}
	free(t->bids);
	free(t->sizes);
	memset(t, 0, sizeof(*t));
	return r;
}

uint64_t pst_ndb_data(struct pst_ndb *nb, const void *data, size_t n)
{
	struct pst_dtree t;
	const uint8_t *p = data;
	if (n == 0)
		return 0;
	if (n <= PST_BLOCK_DATA)
		return pst_ndb_block(nb, data, n, 0);
	if (n > UINT32_MAX) {
		nb->err = EFBIG;
		return 0;
	}
	pst_dtree_init(&t);
	for (size_t off = 0; off < n; off += PST_BLOCK_DATA) {
		size_t k = n - off < PST_BLOCK_DATA ? n - off : PST_BLOCK_DATA;
		pst_dtree_add(&t, pst_ndb_block(nb, p + off, k, 0), k);
	}
	return pst_dtree_end(nb, &t);
}

/* ---- subnode trees ---- */

void pst_sub_add(struct pst_sublist *l, uint32_t nid, uint64_t bid_data, uint64_t bid_sub)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = mf_xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].nid = nid;
	l->v[l->n].bid_data = bid_data;
	l->v[l->n++].bid_sub = bid_sub;
}

static int cmp_sub(const void *a, const void *b)
{
	const struct pst_sub *x = a, *y = b;
	return (x->nid > y->nid) - (x->nid < y->nid);
}

#define SL_MAX 340
#define SI_MAX 510

uint64_t pst_ndb_subtree(struct pst_ndb *nb, struct pst_sublist *l)
{
	uint8_t buf[PST_BLOCK_DATA];
	uint64_t r = 0;
	if (l->n) {
		size_t nsl = (l->n + SL_MAX - 1) / SL_MAX;
		uint64_t slb[SI_MAX];
		qsort(l->v, l->n, sizeof(*l->v), cmp_sub);
		if (nsl > SI_MAX) {
			nb->err = EFBIG;
			goto out;
		}
		for (size_t s = 0; s < nsl; s++) {
			size_t a = s * SL_MAX, b = a + SL_MAX < l->n ? a + SL_MAX : l->n;
			buf[0] = 2;
			buf[1] = 0;
			pst_w16(buf + 2, (uint32_t)(b - a));
			pst_w32(buf + 4, 0);
			for (size_t k = a; k < b; k++) {
				uint8_t *e = buf + 8 + 24 * (k - a);
				pst_w64(e, l->v[k].nid);
				pst_w64(e + 8, l->v[k].bid_data);
				pst_w64(e + 16, l->v[k].bid_sub);
			}
			slb[s] = pst_ndb_block(nb, buf, 8 + 24 * (b - a), 1);
		}
		if (nsl == 1) {
			r = slb[0];
		} else {
			buf[0] = 2;
			buf[1] = 1;
			pst_w16(buf + 2, (uint32_t)nsl);
			pst_w32(buf + 4, 0);
			for (size_t s = 0; s < nsl; s++) {
				pst_w64(buf + 8 + 16 * s, l->v[s * SL_MAX].nid);
				pst_w64(buf + 16 + 16 * s, slb[s]);
			}
			r = pst_ndb_block(nb, buf, 8 + 16 * nsl, 1);
		}
	}
out:
	free(l->v);
	memset(l, 0, sizeof(*l));
	return r;
}

/* ---- nodes ---- */

void pst_ndb_nid_used(struct pst_ndb *nb, uint32_t nid)
{
	uint32_t t = nid & 0x1F, idx = nid >> 5;
	if (idx + 1 > nb->rgnid[t])
		nb->rgnid[t] = idx + 1;
}

void pst_ndb_node(struct pst_ndb *nb, uint32_t nid, uint64_t bid_data, uint64_t bid_sub,
		  uint32_t parent)
{
	struct pst_nbt_rec r;
	memset(&r, 0, sizeof(r));
	r.nid = nid;
	r.bid_data = bid_data;
	r.bid_sub = bid_sub;
	r.parent = parent;
	pst_ndb_nid_used(nb, nid);
	nb->nnodes++;
	if ((nid & 0x1F) == NT_MESSAGE) {
		if (fwrite(&r, sizeof(r), 1, nb->nbt_j) != 1 && !nb->err)
			nb->err = errno ? errno : EIO;
		return;
	}
	if (nb->nsmall == nb->capsmall) {
		nb->capsmall = nb->capsmall ? nb->capsmall * 2 : 64;
		nb->small = mf_xreallocarray(nb->small, nb->capsmall, sizeof(*nb->small));
	}
	nb->small[nb->nsmall++] = r;
}

static int cmp_nbt(const void *a, const void *b)
{
	const struct pst_nbt_rec *x = a, *y = b;
	return (x->nid > y->nid) - (x->nid < y->nid);
}

/* ---- B-trees, bottom-up ---- */

/* The entries (first key, BID, IB) of one B-tree level: in memory up to
 * LVL_MEM, then in a journal file (temporary, unlinked), so a file of any
 * size builds its B-trees in the same memory. */
#define LVL_MEM 512

struct bt_level {
	uint8_t mem[LVL_MEM * 24];
	FILE *f;
	size_t n;
	uint64_t key0, bid0, ib0;    /* the first entry (the root when n == 1) */
};

static void lvl_add(struct pst_ndb *nb, struct bt_level *l, uint64_t key, uint64_t bid,
		    uint64_t ib)
{
	uint8_t e[24];
	pst_w64(e, key);
	pst_w64(e + 8, bid);
	pst_w64(e + 16, ib);
	if (!l->n) {
		l->key0 = key;
		l->bid0 = bid;
		l->ib0 = ib;
	}
	if (l->n < LVL_MEM) {
		memcpy(l->mem + 24 * l->n++, e, 24);
		return;
	}
	if (!l->f && !(l->f = tmpfile())) {
		if (!nb->err)
			nb->err = errno ? errno : EIO;
		return;
	}
	if (fwrite(e, 1, 24, l->f) != 24 && !nb->err)
		nb->err = errno ? errno : EIO;
	l->n++;
}

/* Entry i of l, read in order from 0. */
static int lvl_get(struct pst_ndb *nb, struct bt_level *l, size_t i, uint8_t e[24])
{
	if (i < LVL_MEM) {
		memcpy(e, l->mem + 24 * i, 24);
		return 0;
	}
	if (i == LVL_MEM && (!l->f || fflush(l->f) != 0 || fseeko(l->f, 0, SEEK_SET) != 0)) {
		if (!nb->err)
			nb->err = errno ? errno : EIO;
		return -1;
	}
	if (fread(e, 1, 24, l->f) != 24) {
		if (!nb->err)
			nb->err = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

static void lvl_release(struct bt_level *l)
{
	if (l->f)
		fclose(l->f);
	l->f = NULL;
	l->n = 0;
}

static void bt_page(struct pst_ndb *nb, uint64_t *pid, uint8_t pg[PAGE], uint8_t ptype,
		    unsigned cent, unsigned centmax, unsigned cbent, unsigned level,
		    uint64_t *bid_out, uint64_t *ib_out)
{
	uint64_t ib = nb_alloc(nb, PAGE, PAGE), bid = (*pid)++;
	pg[488] = (uint8_t)cent;
	pg[489] = (uint8_t)centmax;
	pg[490] = (uint8_t)cbent;
	pg[491] = (uint8_t)level;
	pst_w32(pg + 492, 0);
	page_trailer(pg, ptype, ib, bid, 1);
	wr(nb, ib, pg, PAGE);
	*bid_out = bid;
	*ib_out = ib;
}

/* Index levels over the leaves in l until one root is left. */
static void bt_index(struct pst_ndb *nb, uint64_t *pid, uint8_t ptype, struct bt_level *l,
		     uint64_t *root_bid, uint64_t *root_ib)
{
	unsigned level = 1;
	while (l->n > 1 && !nb->err) {
		struct bt_level upl, *up = &upl;
		memset(up, 0, sizeof(*up));
		for (size_t a = 0; a < l->n && !nb->err; a += 20) {
			uint8_t pg[PAGE];
			size_t b = a + 20 < l->n ? a + 20 : l->n;
			uint64_t bid, ib, first = 0;
			memset(pg, 0, sizeof(pg));
			for (size_t k = a; k < b; k++) {
				if (lvl_get(nb, l, k, pg + 24 * (k - a)) < 0)
					break;
				if (k == a)
					for (int q = 7; q >= 0; q--)
						first = first << 8 | pg[q];
			}
			bt_page(nb, pid, pg, ptype, (unsigned)(b - a), 20, 24, level, &bid, &ib);
			lvl_add(nb, up, first, bid, ib);
		}
		lvl_release(l);
		memcpy(l, up, sizeof(*l));
		level++;
	}
	*root_bid = l->n ? l->bid0 : 0;
	*root_ib = l->n ? l->ib0 : 0;
	lvl_release(l);
}

static int nbt_next(struct pst_ndb *nb, size_t *si, struct pst_nbt_rec *j, int *jhave,
		    struct pst_nbt_rec *out)
{
	if (!*jhave && nb->nbt_j)
		*jhave = fread(j, sizeof(*j), 1, nb->nbt_j) == 1;
	if (*si < nb->nsmall && (!*jhave || nb->small[*si].nid < j->nid)) {
		*out = nb->small[(*si)++];
		return 1;
	}
	if (*jhave) {
		*out = *j;
		*jhave = 0;
		return 1;
	}
	return 0;
}

int pst_ndb_finish(struct pst_ndb *nb, struct mf_diag *d)
{
	uint8_t pg[PAGE], hdr[564];
	struct bt_level lv;
	uint64_t pid = nb->next_bid, nbt_bid, nbt_ib, bbt_bid, bbt_ib, eof;
	struct pst_nbt_rec j, r;
	int jhave = 0;
	size_t si = 0;

	memset(&lv, 0, sizeof(lv));
	qsort(nb->small, nb->nsmall, sizeof(*nb->small), cmp_nbt);
	/* NBT leaves: 15 entries of 32 bytes */
	if (fflush(nb->nbt_j) != 0 || fseeko(nb->nbt_j, 0, SEEK_SET) != 0)
		nb->err = errno ? errno : EIO;
	for (;;) {
		unsigned n = 0;
		uint64_t first = 0, bid, ib;
		memset(pg, 0, sizeof(pg));
		while (n < 15 && nbt_next(nb, &si, &j, &jhave, &r)) {
			uint8_t *e = pg + 32 * n;
			if (!n)
				first = r.nid;
			pst_w64(e, r.nid);
			pst_w64(e + 8, r.bid_data);
			pst_w64(e + 16, r.bid_sub);
			pst_w32(e + 24, r.parent);
			n++;
		}
		if (!n)
			break;
		bt_page(nb, &pid, pg, 0x81, n, 15, 32, 0, &bid, &ib);
		lvl_add(nb, &lv, first, bid, ib);
	}
	bt_index(nb, &pid, 0x81, &lv, &nbt_bid, &nbt_ib);
	/* BBT leaves: 20 entries of 24 bytes, already in BID order */
	if (fflush(nb->bbt_j) != 0 || fseeko(nb->bbt_j, 0, SEEK_SET) != 0)
		nb->err = errno ? errno : EIO;
	for (;;) {
		unsigned n = 0;
		uint64_t bid, ib;
		uint8_t rec[24];
		memset(pg, 0, sizeof(pg));
		while (n < 20 && fread(rec, 1, 24, nb->bbt_j) == 24)
			memcpy(pg + 24 * n++, rec, 24);
		if (!n)
			break;
		bt_page(nb, &pid, pg, 0x80, n, 20, 24, 0, &bid, &ib);
		{
			uint64_t key = 0;
			for (int k = 7; k >= 0; k--)
				key = key << 8 | pg[k];
			lvl_add(nb, &lv, key, bid, ib);
		}
	}
	bt_index(nb, &pid, 0x80, &lv, &bbt_bid, &bbt_ib);
	/* the last section ends the file */
	sec_leave(nb);
	wb_flush(nb);
	eof = sec_base(nb->sec) + PST_AMAP_SPAN;
	/* DList: empty, as Outlook writes it */
	memset(pg, 0, sizeof(pg));
	page_trailer(pg, 0x86, 0x4200, pid, 1);
	raw_write(nb, 0x4200, pg, PAGE);
	/* header */
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "!BDN", 4);
	memcpy(hdr + 8, "SM", 2);
	pst_w16(hdr + 10, 23);
	pst_w16(hdr + 12, 19);
	hdr[14] = 1;
	hdr[15] = 1;
	pst_w64(hdr + 32, pid);
	pst_w32(hdr + 40, 1);
	for (int t = 0; t < 32; t++)
		pst_w32(hdr + 44 + 4 * t, nb->rgnid[t]);
	pst_w64(hdr + 184, eof);
	pst_w64(hdr + 192, nb->amap_last);
	pst_w64(hdr + 200, nb->amap_free);
	pst_w64(hdr + 208, 0);
	pst_w64(hdr + 216, nbt_bid);
	pst_w64(hdr + 224, nbt_ib);
	pst_w64(hdr + 232, bbt_bid);
	pst_w64(hdr + 240, bbt_ib);
	hdr[248] = 2;
	memset(hdr + 256, 0xFF, 256);
	hdr[512] = 0x80;
	hdr[513] = 0;
	pst_w64(hdr + 516, nb->next_bid);
	pst_w32(hdr + 4, pst_crc(0, hdr + 8, 471));
	pst_w32(hdr + 524, pst_crc(0, hdr + 8, 516));
	raw_write(nb, 0, hdr, sizeof(hdr));
	if (!nb->err && ftruncate(nb->fd, (off_t)eof) != 0)
		nb->err = errno;
	if (!nb->err && !nb->nosync && fsync(nb->fd) != 0)
		nb->err = errno;
	/* nosync: the export driver's sync barrier makes the file durable
	 * before the ledger names it; the kernel may start writing it now */
	if (!nb->err && nb->nosync)
		(void)sync_file_range(nb->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (nb->err) {
		errno = nb->err;
		mf_diag_errno(d, MF_EIO, nb->path, "cannot write");
		pst_ndb_abort(nb);
		return MF_EIO;
	}
	close(nb->fd);
	nb->fd = -1;
	pst_ndb_abort(nb);
	return MF_OK;
}
