/* SPDX-License-Identifier: MIT */
/*
 * messaging.c: the PST messaging layer ([MS-PST] 2.4): the store's fixed
 * nodes, the name-to-ID map, folders with their hierarchy, contents and
 * FAI tables, and the contents-row journal the tables are built from.
 *
 * The fixed node set is Outlook's own empty Unicode store (47 nodes:
 * docs/formats/pst.md), not only the 27 nodes [MS-PST] 2.7.1 lists:
 * Outlook repairs a file that lacks the others.
 */
#include "exporters/pst/pst.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/charset.h"
#include "core/hash.h"

/* ---- Outlook's template column sets (tag, ibData, cbData, iBit) ---- */

static const struct pst_col c_hier[] = {
	{ 0x0E300102, 20, 4, 6 }, { 0x0E330014, 24, 8, 7 }, { 0x0E340102, 32, 4, 8 },
	{ 0x0E380003, 36, 4, 9 }, { 0x3001001F, 8, 4, 2 }, { 0x36020003, 12, 4, 3 },
	{ 0x36030003, 16, 4, 4 }, { 0x360A000B, 52, 1, 5 }, { 0x3613001F, 40, 4, 10 },
	{ 0x66350003, 44, 4, 11 }, { 0x66360003, 48, 4, 12 }, { 0x67F20003, 0, 4, 0 },
	{ 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_contents[] = {
	{ 0x00170003, 20, 4, 5 }, { 0x001A001F, 12, 4, 3 }, { 0x00360003, 60, 4, 15 },
	{ 0x0037001F, 28, 4, 7 }, { 0x00390040, 40, 8, 9 }, { 0x0042001F, 24, 4, 6 },
	{ 0x0057000B, 120, 1, 13 }, { 0x0058000B, 121, 1, 14 }, { 0x0070001F, 68, 4, 17 },
	{ 0x00710102, 72, 4, 18 }, { 0x0E03001F, 56, 4, 12 }, { 0x0E04001F, 52, 4, 11 },
	{ 0x0E060040, 32, 8, 8 }, { 0x0E070003, 16, 4, 4 }, { 0x0E080003, 48, 4, 10 },
	{ 0x0E170003, 8, 4, 2 }, { 0x0E300102, 92, 4, 22 }, { 0x0E330014, 96, 8, 23 },
	{ 0x0E340102, 104, 4, 24 }, { 0x0E380003, 116, 4, 27 }, { 0x0E3C0102, 112, 4, 26 },
	{ 0x0E3D0102, 108, 4, 25 }, { 0x10970003, 64, 4, 16 }, { 0x30080040, 84, 8, 21 },
	{ 0x30130102, 76, 4, 19 }, { 0x65C60003, 80, 4, 20 }, { 0x67F20003, 0, 4, 0 },
	{ 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_fai[] = {
	{ 0x001A001F, 12, 4, 3 }, { 0x0E070003, 16, 4, 4 }, { 0x0E170003, 8, 4, 2 },
	{ 0x3001001F, 20, 4, 5 }, { 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
	{ 0x6800001F, 44, 4, 11 }, { 0x6803000B, 56, 1, 12 }, { 0x68051003, 48, 4, 13 },
	{ 0x682F001F, 52, 4, 14 }, { 0x70030003, 24, 4, 6 }, { 0x70040102, 28, 4, 7 },
	{ 0x70050102, 32, 4, 8 }, { 0x7006001F, 36, 4, 9 }, { 0x70070003, 40, 4, 10 },
};
static const struct pst_col c_search[] = {
	{ 0x00170003, 28, 4, 7 }, { 0x001A001F, 20, 4, 5 }, { 0x00360003, 60, 4, 16 },
	{ 0x0037001F, 36, 4, 9 }, { 0x0042001F, 32, 4, 8 }, { 0x0057000B, 72, 1, 14 },
	{ 0x0058000B, 73, 1, 15 }, { 0x0E03001F, 56, 4, 13 }, { 0x0E04001F, 52, 4, 12 },
	{ 0x0E05001F, 12, 4, 3 }, { 0x0E060040, 40, 8, 10 }, { 0x0E070003, 24, 4, 6 },
	{ 0x0E080003, 48, 4, 11 }, { 0x0E170003, 16, 4, 4 }, { 0x0E2A000B, 74, 1, 17 },
	{ 0x30080040, 64, 8, 18 }, { 0x67F10003, 8, 4, 2 }, { 0x67F20003, 0, 4, 0 },
	{ 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_attach[] = {
	{ 0x0E200003, 12, 4, 3 }, { 0x3704001F, 20, 4, 5 }, { 0x37050003, 16, 4, 4 },
	{ 0x370B0003, 8, 4, 2 }, { 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_recip[] = {
	{ 0x0C150003, 24, 4, 7 }, { 0x0E0F000B, 48, 1, 2 }, { 0x0FF90102, 32, 4, 9 },
	{ 0x0FFE0003, 36, 4, 10 }, { 0x0FFF0102, 16, 4, 5 }, { 0x3001001F, 20, 4, 6 },
	{ 0x3002001F, 8, 4, 3 }, { 0x3003001F, 12, 4, 4 }, { 0x300B0102, 28, 4, 8 },
	{ 0x39000003, 40, 4, 11 }, { 0x39FF001F, 44, 4, 13 }, { 0x3A40000B, 49, 1, 12 },
	{ 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_6b6[] = {
	{ 0x0E330014, 8, 8, 2 }, { 0x0E370102, 16, 4, 3 }, { 0x0E380003, 20, 4, 4 },
	{ 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_6d7[] = {
	{ 0x001A001F, 36, 4, 8 }, { 0x0E300102, 16, 4, 4 }, { 0x0E310102, 12, 4, 3 },
	{ 0x0E330014, 28, 8, 7 }, { 0x0E340102, 24, 4, 6 }, { 0x0E380003, 20, 4, 5 },
	{ 0x0E3E0102, 8, 4, 2 }, { 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_6f8[] = {
	{ 0x0E330014, 16, 8, 3 }, { 0x30070040, 8, 8, 2 }, { 0x67F20003, 0, 4, 0 },
	{ 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_recv[] = {
	{ 0x001A001F, 12, 4, 3 }, { 0x66050003, 8, 4, 2 }, { 0x67F20003, 0, 4, 0 },
	{ 0x67F30003, 4, 4, 1 },
};
static const struct pst_col c_outq[] = {
	{ 0x00390040, 16, 8, 4 }, { 0x0E100003, 12, 4, 3 }, { 0x0E140003, 8, 4, 2 },
	{ 0x67F20003, 0, 4, 0 }, { 0x67F30003, 4, 4, 1 },
};

#define TCDEF(c, a, b, x, y) { c, MF_ARRAY_LEN(c), { a, b, x, y } }
const struct pst_tcdef pst_tc_hier = TCDEF(c_hier, 52, 52, 53, 55);
const struct pst_tcdef pst_tc_contents = TCDEF(c_contents, 120, 120, 122, 126);
const struct pst_tcdef pst_tc_fai = TCDEF(c_fai, 56, 56, 57, 59);
const struct pst_tcdef pst_tc_search = TCDEF(c_search, 72, 72, 75, 78);
const struct pst_tcdef pst_tc_attach = TCDEF(c_attach, 24, 24, 24, 25);
const struct pst_tcdef pst_tc_recip = TCDEF(c_recip, 48, 48, 50, 52);
static const struct pst_tcdef tc_6b6 = TCDEF(c_6b6, 24, 24, 24, 25);
static const struct pst_tcdef tc_6d7 = TCDEF(c_6d7, 40, 40, 40, 42);
static const struct pst_tcdef tc_6f8 = TCDEF(c_6f8, 24, 24, 24, 25);
static const struct pst_tcdef tc_recv = TCDEF(c_recv, 16, 16, 16, 17);
static const struct pst_tcdef tc_outq = TCDEF(c_outq, 24, 24, 24, 25);

/* ---- small helpers ---- */

static void entry_id(uint8_t out[24], const uint8_t uid[16], uint32_t nid)
{
	memset(out, 0, 4);
	memcpy(out + 4, uid, 16);
	pst_w32(out + 20, nid);
}

/* Write an empty (or given) table node. */
/* An empty table (no row): its node's data is one block whose bytes depend
 * on the columns alone (a heap holding the TCINFO and an empty row index),
 * the same in every file.  A store has about 25 of them (the templates, the
 * FAI tables, the hierarchy and contents tables of empty folders); their
 * bytes are built once per thread (export workers are threads) and each
 * file gets a copy, as the same one block at the same point of the file. */
#define EMPTY_TABLE_MAX 1024
#define EMPTY_TABLES 16
static _Thread_local struct {
	const struct pst_tcdef *def;
	int streaming;
	size_t len;
	uint8_t b[EMPTY_TABLE_MAX];
} empty_memo[EMPTY_TABLES];
static _Thread_local unsigned n_empty_memo;

static void empty_table(struct pst_store *s, const struct pst_tcdef *def, int streaming,
			uint64_t *bd, uint64_t *bs)
{
	struct pst_tc t;
	uint64_t bytes;
	uint8_t buf[EMPTY_TABLE_MAX];
	for (unsigned i = 0; i < n_empty_memo; i++)
		if (empty_memo[i].def == def && empty_memo[i].streaming == streaming) {
			*bd = pst_ndb_block(&s->nb, empty_memo[i].b, empty_memo[i].len, 0);
			*bs = 0;
			return;
		}
	s->nb.cap = buf;
	s->nb.cap_max = sizeof(buf);
	s->nb.cap_len = 0;
	s->nb.cap_n = 0;
	pst_tc_begin(&t, &s->nb, def, 0, streaming);
	pst_tc_end(&t, bd, bs, &bytes);
	s->nb.cap = NULL;
	/* kept only when it was one data block and nothing else */
	if (!s->nb.err && *bs == 0 && s->nb.cap_n == 1 && s->nb.cap_len &&
	    n_empty_memo < EMPTY_TABLES) {
		empty_memo[n_empty_memo].def = def;
		empty_memo[n_empty_memo].streaming = streaming;
		empty_memo[n_empty_memo].len = s->nb.cap_len;
		memcpy(empty_memo[n_empty_memo].b, buf, s->nb.cap_len);
		n_empty_memo++;
	}
}

static void table_node(struct pst_store *s, uint32_t nid, const struct pst_tcdef *def)
{
	uint64_t bd, bs;
	empty_table(s, def, 0, &bd, &bs);
	pst_ndb_node(&s->nb, nid, bd, bs, 0);
}

static void pc_node(struct pst_store *s, uint32_t nid, struct pst_pc *pc, uint32_t parent)
{
	struct pst_sublist subs = { 0 };
	struct pst_pc_out o;
	uint32_t next = 1;
	pst_pc_write(&s->nb, pc, &subs, &next, 0, 0, &o);
	pst_ndb_node(&s->nb, nid, o.bid_data, pst_ndb_subtree(&s->nb, &subs), parent);
	pst_pc_release(pc);
}

static void raw_node(struct pst_store *s, uint32_t nid, const void *data, size_t n)
{
	pst_ndb_node(&s->nb, nid, n ? pst_ndb_data(&s->nb, data, n) : 0, 0, 0);
}

/* A heap holding only a root allocation and an empty BTH (0xC01, 0xE01). */
static void heap_node(struct pst_store *s, uint32_t nid, uint8_t sig, const uint8_t *root,
		      size_t root_len, uint8_t cb_key)
{
	struct pst_heap h;
	uint8_t bth[8] = { 0xB5, cb_key, 4, 0, 0, 0, 0, 0 };
	uint8_t first[64];
	uint64_t bytes, bid;
	memcpy(first, root, root_len);
	pst_w32(first, 0x40);
	pst_heap_init(&h, &s->nb, sig, 0);
	pst_heap_alloc(&h, first, root_len);
	pst_heap_alloc(&h, bth, sizeof(bth));
	bid = pst_heap_end(&h, 0x20, &bytes);
	pst_heap_release(&h);
	pst_ndb_node(&s->nb, nid, bid, 0, 0);
}

/* ---- name-to-ID map ---- */

static const uint8_t g_appointment[16] = { 0x02, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const uint8_t g_inet_headers[16] = { 0x86, 0x03, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const uint8_t g_common[16] = { 0x08, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const uint8_t g_messaging[16] = { 0x13, 0x8F, 0xF2, 0x41, 0xF4, 0x83, 0x14, 0x41, 0xA5, 0x84,
	0xEE, 0xDB, 0x5A, 0x6B, 0x0B, 0xFF };
static const uint8_t g_remote[16] = { 0x14, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const uint8_t g_task[16] = { 0x03, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const uint8_t pst_psetid_appointment[16] = { 0x02, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const uint8_t pst_psetid_address[16] = { 0x04, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const uint8_t pst_psetid_task[16] = { 0x03, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const uint8_t pst_psetid_common[16] = { 0x08, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };

/* The named properties Outlook registers in a new store, in its order:
 * wGuid (1 PS_MAPI, 2 PS_PUBLIC_STRINGS, 3.. the GUID stream) and a LID
 * or a name. */
static const struct named {
	uint16_t guid;
	uint32_t lid;
	const char *name;
} named[] = {
	{ 3, 0x8205, NULL }, { 3, 0x8223, NULL }, { 3, 0x8231, NULL }, { 3, 0x8216, NULL },
	{ 3, 0x820D, NULL }, { 3, 0x820E, NULL }, { 3, 0x8235, NULL }, { 3, 0x8236, NULL },
	{ 3, 0x8233, NULL }, { 4, 0, "content-class" }, { 2, 0, "DRMLicense" },
	{ 4, 0, "x-cr-hashedpuzzle" }, { 4, 0, "x-cr-puzzleid" }, { 5, 0x8580, NULL },
	{ 5, 0x8581, NULL },
	{ 2, 0, "urn:schemas-microsoft-com:office:outlook#storetypeprivate" },
	{ 5, 0x8510, NULL }, { 5, 0x8578, NULL }, { 6, 0, "IsMentioned" }, { 2, 0, "Keywords" },
	{ 7, 0x8F05, NULL }, { 5, 0x8514, NULL }, { 7, 0x8F07, NULL }, { 5, 0x8503, NULL },
	{ 5, 0x85A8, NULL }, { 5, 0x8502, NULL }, { 8, 0x8104, NULL }, { 8, 0x8105, NULL },
	{ 8, 0x811C, NULL }, { 4, 0, "x-ms-exchange-organization-authdomain" },
	{ 2, 0, "DoNotForward" }, { 5, 0x8570, NULL }, { 8, 0x8101, NULL }, { 5, 0x85E0, NULL },
	{ 5, 0x8552, NULL },
};

static const uint8_t *const g_outlook[6] = { g_appointment, g_inet_headers, g_common,
					    g_messaging, g_remote, g_task };

uint16_t pst_named(struct pst_store *s, const uint8_t guid[16], uint32_t lid)
{
	uint16_t w = 0;
	for (int i = 0; i < 6 && !w; i++)
		if (!memcmp(guid, g_outlook[i], 16))
			w = (uint16_t)(3 + i);
	for (size_t i = 0; i < s->nxguid && !w; i++)
		if (!memcmp(guid, s->xguid[i], 16))
			w = (uint16_t)(9 + i);
	if (!w) {
		s->xguid = mf_xreallocarray(s->xguid, s->nxguid + 1, sizeof(*s->xguid));
		memcpy(s->xguid[s->nxguid], guid, 16);
		w = (uint16_t)(9 + s->nxguid++);
	}
	for (size_t i = 0; i < MF_ARRAY_LEN(named); i++)
		if (!named[i].name && named[i].guid == w && named[i].lid == lid)
			return (uint16_t)(0x8000 + i);
	for (size_t i = 0; i < s->nxn; i++)
		if (s->xn[i].wguid == w && s->xn[i].lid == lid)
			return (uint16_t)(0x8000 + MF_ARRAY_LEN(named) + i);
	s->xn = mf_xreallocarray(s->xn, s->nxn + 1, sizeof(*s->xn));
	s->xn[s->nxn].wguid = w;
	s->xn[s->nxn].lid = lid;
	return (uint16_t)(0x8000 + MF_ARRAY_LEN(named) + s->nxn++);
}

static void name_map(struct pst_store *s)
{
	enum { NB = 251 };
	struct pst_pc pc;
	size_t ng, ne;
	uint8_t *guids, *entries, strings[1024];
	uint8_t *bucket[NB];
	size_t blen[NB], slen = 0;

	/* pst-extractor (1.x) reads the entry stream but its last entry: the
	 * map ends with one no object uses (PidLidDistributionListStream) */
	if (s->nxn)
		pst_named(s, pst_psetid_address, 0x8064);
	ng = 6 + s->nxguid;
	ne = MF_ARRAY_LEN(named) + s->nxn;
	guids = mf_xmalloc(ng * 16);
	entries = mf_xmalloc(ne * 8);

	memset(bucket, 0, sizeof(bucket));
	memset(blen, 0, sizeof(blen));
	for (size_t i = 0; i < 6; i++)
		memcpy(guids + 16 * i, g_outlook[i], 16);
	for (size_t i = 0; i < s->nxguid; i++)
		memcpy(guids + 16 * (6 + i), s->xguid[i], 16);
	for (size_t i = 0; i < ne; i++) {
		const char *nm = i < MF_ARRAY_LEN(named) ? named[i].name : NULL;
		uint32_t id = i < MF_ARRAY_LEN(named) ? named[i].lid :
			      s->xn[i - MF_ARRAY_LEN(named)].lid, key;
		uint16_t w = (uint16_t)((i < MF_ARRAY_LEN(named) ? named[i].guid :
					 s->xn[i - MF_ARRAY_LEN(named)].wguid) << 1);
		uint8_t *e = entries + 8 * i;
		if (nm) {
			size_t n;
			uint8_t *u = pst_utf16(nm, strlen(nm), &n);
			id = (uint32_t)slen;
			pst_w32(strings + slen, (uint32_t)n);
			memcpy(strings + slen + 4, u, n);
			key = pst_crc(0, u, n);
			slen += 4 + n;
			while (slen % 4)
				strings[slen++] = 0;
			free(u);
			w |= 1;
		} else {
			key = id;
		}
		pst_w32(e, id);
		pst_w16(e + 4, w);
		pst_w16(e + 6, (uint32_t)i);
		{
			size_t b = (key ^ w) % NB;
			bucket[b] = mf_xrealloc(bucket[b], blen[b] + 8);
			pst_w32(bucket[b] + blen[b], key);
			pst_w16(bucket[b] + blen[b] + 4, w);
			pst_w16(bucket[b] + blen[b] + 6, (uint32_t)i);
			blen[b] += 8;
		}
	}
	pst_pc_init(&pc);
	pst_pc_i4(&pc, 0x0001, NB);
	pst_pc_bin(&pc, 0x0002, guids, ng * 16);
	pst_pc_bin(&pc, 0x0003, entries, ne * 8);
	pst_pc_bin(&pc, 0x0004, strings, slen);
	for (size_t b = 0; b < NB; b++)
		if (blen[b]) {
			pst_pc_bin(&pc, (uint16_t)(0x1000 + b), bucket[b], blen[b]);
			free(bucket[b]);
		}
	free(guids);
	free(entries);
	pc_node(s, NID_NAMEMAP, &pc, 0);
}

/* ---- store ---- */

static int hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
}

void pst_hash16(uint8_t out[16], const char *a, const char *b)
{
	char hex[MF_SHA256_HEX];
	char *t = mf_xasprintf("%s\n%s", a, b ? b : "");
	mf_sha256_hex(hex, t, strlen(t));
	free(t);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
}

static void derive(uint8_t out[16], const char *seed, const char *what)
{
	char *t = mf_xasprintf("mailferry-pst\n%s", seed);
	pst_hash16(out, t, what);
	free(t);
}

static struct pst_folder *add_folder(struct pst_store *s, uint32_t nid, uint32_t parent,
				     const char *name, const char *key, const char *klass)
{
	struct pst_folder *f;
	if (s->nf == s->capf) {
		s->capf = s->capf ? s->capf * 2 : 16;
		s->f = mf_xreallocarray(s->f, s->capf, sizeof(*s->f));
	}
	f = &s->f[s->nf++];
	memset(f, 0, sizeof(*f));
	f->nid = nid;
	f->parent = parent;
	f->name = mf_xstrdup(name);
	f->key = mf_xstrdup(key ? key : "");
	f->klass = klass;
	return f;
}

static struct pst_folder *by_nid(struct pst_store *s, uint32_t nid)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].nid == nid)
			return &s->f[i];
	return NULL;
}

static uint32_t new_folder(struct pst_store *s, uint32_t parent, const char *name,
			   const char *key)
{
	uint32_t nid = PST_NID(NT_FOLDER, s->next_folder++);
	add_folder(s, nid, parent, name, key, "IPF.Note");
	return nid;
}

int pst_store_open(struct pst_store *s, const char *path, const char *uid_seed,
		   const char *display_name, const struct mf_mailbox *mb, struct pst_journals *jp,
		   struct mf_diag *d)
{
	int rc;
	memset(s, 0, sizeof(*s));
	if ((rc = pst_ndb_open(&s->nb, path, jp, d)) < 0)
		return rc;
	s->rows_j = pst_journal_get(jp);
	if (!s->rows_j) {
		pst_ndb_abort(&s->nb);
		return mf_diag_errno(d, MF_EIO, NULL, "cannot create a journal file");
	}
	derive(s->uid, uid_seed, "store");
	s->seed = mf_xstrdup(uid_seed);
	s->display_name = mf_xstrdup(display_name);
	s->mb = mb;
	s->next_folder = 0x405;
	s->next_msg = 0x10001;
	/* Outlook's folders, then the standard mail folders */
	add_folder(s, NID_ROOT, NID_ROOT, "", NULL, NULL);
	add_folder(s, NID_IPM, NID_ROOT, "Top of Outlook data file", NULL, NULL);
	add_folder(s, NID_SEARCH_ROOT, NID_ROOT, "Search Root", NULL, NULL);
	add_folder(s, NID_DELETED, NID_IPM, "Deleted Items", NULL, "IPF.Note")->comment =
		"Deleted Items folder";
	add_folder(s, NID_COMMON_VIEWS, NID_ROOT, "IPM_COMMON_VIEWS", NULL, NULL)->comment = "";
	s->deleted = NID_DELETED;
	s->inbox = new_folder(s, NID_IPM, "Inbox", NULL);
	s->outbox = new_folder(s, NID_IPM, "Outbox", NULL);
	s->sent = new_folder(s, NID_IPM, "Sent Items", NULL);
	s->drafts = new_folder(s, NID_IPM, "Drafts", NULL);
	/* contacts and tasks (pst_contact.c, pst_task.c) */
	s->contacts = new_folder(s, NID_IPM, "Contacts", NULL);
	by_nid(s, s->contacts)->klass = "IPF.Contact";
	s->tasks = new_folder(s, NID_IPM, "Tasks", NULL);
	by_nid(s, s->tasks)->klass = "IPF.Task";
	/* the calendar (pst_appt.c) */
	s->calendar = new_folder(s, NID_IPM, "Calendar", NULL);
	by_nid(s, s->calendar)->klass = "IPF.Appointment";
	return MF_OK;
}

void pst_store_abort(struct pst_store *s)
{
	struct pst_journals *jp = s->nb.jp;
	pst_ndb_abort(&s->nb);
	pst_journal_put(jp, s->rows_j);
	s->rows_j = NULL;
	for (size_t i = 0; i < s->nf; i++) {
		free(s->f[i].name);
		free(s->f[i].key);
		free(s->f[i].run_off);
		free(s->f[i].run_n);
	}
	free(s->f);
	s->f = NULL;
	s->nf = 0;
	free(s->display_name);
	s->display_name = NULL;
	free(s->seed);
	s->seed = NULL;
	free(s->xn);
	s->xn = NULL;
	s->nxn = 0;
	free(s->xguid);
	s->xguid = NULL;
	s->nxguid = 0;
	mf_charset_free(&s->cs);
	free(s->cs_name);
	s->cs_name = NULL;
}

static uint32_t standard_for(const struct pst_store *s, const char *name, const char *special)
{
	static const struct { const char *n; int which; } names[] = {
		{ "inbox", 0 }, { "in box", 0 }, { "sent", 1 }, { "sent items", 1 },
		{ "sent mail", 1 }, { "drafts", 2 }, { "draft", 2 }, { "trash", 3 },
		{ "deleted", 3 }, { "deleted items", 3 }, { "wastebasket", 3 }, { "outbox", 4 },
		{ "out box", 4 },
	};
	const uint32_t nids[] = { s->inbox, s->sent, s->drafts, s->deleted, s->outbox };
	if (special) {
		if (!strcmp(special, "inbox"))
			return s->inbox;
		if (!strcmp(special, "sent"))
			return s->sent;
		if (!strcmp(special, "drafts"))
			return s->drafts;
		if (!strcmp(special, "trash"))
			return s->deleted;
	}
	for (size_t i = 0; name && i < MF_ARRAY_LEN(names); i++)
		if (mf_strcaseeq(name, names[i].n))
			return nids[names[i].which];
	return 0;
}

struct pst_folder *pst_store_folder(struct pst_store *s, const char *path, const char *special)
{
	uint32_t parent = NID_IPM;
	const char *p = path && *path ? path : "Inbox";
	size_t start = 0;

	for (size_t i = 0; i < s->nf; i++)
		if (!strcmp(s->f[i].key, p) && s->f[i].key[0])
			return &s->f[i];
	/* walk the levels, creating what is missing */
	for (;;) {
		const char *bs = strchr(p + start, '\\');
		size_t end = bs ? (size_t)(bs - p) : strlen(p);
		char *key = mf_xstrndup(p, end), *name = mf_xstrndup(p + start, end - start);
		struct pst_folder *f = NULL;
		uint32_t std;
		for (size_t i = 0; i < s->nf; i++)
			if (!strcmp(s->f[i].key, key))
				f = &s->f[i];
		if (!f && start == 0 && (std = standard_for(s, name, bs ? NULL : special)) != 0) {
			f = by_nid(s, std);
			if (!f->key[0]) {
				free(f->key);
				f->key = mf_xstrdup(key);
			}
		}
		if (!f) {
			uint32_t nid = new_folder(s, parent, name[0] ? name : "(no name)", key);
			f = by_nid(s, nid);
		}
		free(key);
		free(name);
		if (!bs)
			return f;
		parent = f->nid;
		start = end + 1;
	}
}

/* ---- contents rows journal ---- */

static void put32(FILE *j, uint32_t v)
{
	uint8_t b[4];
	pst_w32(b, v);
	fwrite(b, 1, 4, j);
}

static void put64(FILE *j, uint64_t v)
{
	uint8_t b[8];
	pst_w64(b, v);
	fwrite(b, 1, 8, j);
}

/* Returns the bytes it wrote (the journal's offset is counted, not asked
 * of the stream: ftello on a stream being written is an lseek). */
static uint64_t putstr(FILE *j, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put32(j, s ? (uint32_t)n : 0xFFFFFFFFu);
	if (n)
		fwrite(s, 1, n, j);
	return 4 + (uint64_t)n;
}

static uint32_t get32(FILE *j)
{
	uint8_t b[4] = { 0 };
	if (fread(b, 1, 4, j) != 4)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get64(FILE *j)
{
	uint64_t lo = get32(j);
	return lo | (uint64_t)get32(j) << 32;
}

static char *getstr(FILE *j)
{
	uint32_t n = get32(j);
	char *s;
	if (n == 0xFFFFFFFFu)
		return NULL;
	s = mf_xmalloc((size_t)n + 1);
	if (n && fread(s, 1, n, j) != n)
		n = 0;
	s[n] = '\0';
	return s;
}

static void journal_row(struct pst_store *s, struct pst_folder *f, uint32_t nid,
			const struct pst_rowinfo *ri)
{
	/* its contents row, for the end: rows of one folder come in runs */
	{
		uint64_t at = s->rows_off;
		if (f->nruns && s->last_row_folder == f->nid) {
			f->run_n[f->nruns - 1]++;
		} else {
			if (f->nruns == f->capruns) {
				f->capruns = f->capruns ? f->capruns * 2 : 4;
				f->run_off = mf_xreallocarray(f->run_off, f->capruns, sizeof(*f->run_off));
				f->run_n = mf_xreallocarray(f->run_n, f->capruns, sizeof(*f->run_n));
			}
			f->run_off[f->nruns] = at;
			f->run_n[f->nruns++] = 1;
		}
		s->last_row_folder = f->nid;
	}
	put32(s->rows_j, nid);
	put32(s->rows_j, ri->flags);
	put32(s->rows_j, ri->importance);
	put32(s->rows_j, ri->sensitivity);
	put32(s->rows_j, ri->size);
	put32(s->rows_j, (uint32_t)(ri->has_submit | ri->has_delivery << 1));
	put64(s->rows_j, ri->submit);
	put64(s->rows_j, ri->delivery);
	put64(s->rows_j, ri->modified);
	s->rows_off += 6 * 4 + 3 * 8;
	s->rows_off += putstr(s->rows_j, ri->klass);
	s->rows_off += putstr(s->rows_j, ri->subject);
	s->rows_off += putstr(s->rows_j, ri->sender);
	s->rows_off += putstr(s->rows_j, ri->to);
	s->rows_off += putstr(s->rows_j, ri->cc);
	s->rows_off += putstr(s->rows_j, ri->topic);
	f->count++;
	if (!(ri->flags & 0x01))
		f->unread++;
	s->messages++;
}

int pst_store_message(struct pst_store *s, struct pst_folder *f, const struct mf_message *m,
		      uint64_t *bytes, struct mf_diag *d)
{
	struct pst_rowinfo ri;
	uint64_t bd, bs, sz;
	uint32_t nid = PST_NID(NT_MESSAGE, s->next_msg++);
	int rc;

	memset(&ri, 0, sizeof(ri));
	rc = pst_message_node(s, m, 0, &bd, &bs, &sz, &ri);
	if (rc < 0 || s->nb.err) {
		pst_rowinfo_release(&ri);
		errno = s->nb.err ? s->nb.err : EIO;
		return mf_diag_errno(d, MF_EIO, s->nb.path, "cannot write message");
	}
	pst_ndb_node(&s->nb, nid, bd, bs, f->nid);
	journal_row(s, f, nid, &ri);
	*bytes = sz;
	pst_rowinfo_release(&ri);
	return MF_OK;
}

void pst_store_row(struct pst_store *s, struct pst_folder *f, uint32_t nid, uint64_t bd,
		   uint64_t bs, const struct pst_rowinfo *ri)
{
	pst_ndb_node(&s->nb, nid, bd, bs, f->nid);
	journal_row(s, f, nid, ri);
}

struct pst_folder *pst_store_folder_nid(struct pst_store *s, uint32_t nid)
{
	return by_nid(s, nid);
}

int pst_store_item(struct pst_store *s, struct pst_folder *f, struct pst_pc *pc,
		   struct pst_rowinfo *ri, uint32_t *nid_out, uint64_t *bytes, struct mf_diag *d)
{
	struct pst_sublist subs = { 0 };
	struct pst_pc_out o;
	struct pst_tc t;
	uint64_t bd, bs, tb;
	uint32_t nid = PST_NID(NT_MESSAGE, s->next_msg++), next = 1;

	/* an empty recipient table, as Outlook's own contacts and tasks have */
	pst_tc_begin(&t, &s->nb, &pst_tc_recip, 0, 0);
	pst_tc_end(&t, &bd, &bs, &tb);
	pst_sub_add(&subs, 0x692, bd, bs);
	/* what the contents row shows, the node has */
	pst_pc_str(pc, 0x0E04, ri->to ? ri->to : "");
	pst_pc_str(pc, 0x0E03, ri->cc ? ri->cc : "");
	pst_pc_i8(pc, 0x3007, PT_TIME, ri->modified);
	pst_pc_i8(pc, 0x3008, PT_TIME, ri->modified);
	pst_pc_i4(pc, 0x0E08, 0);
	pst_pc_write(&s->nb, pc, &subs, &next, 0x0E08, tb, &o);
	ri->size = pst_pc_get(pc, 0x0E08)->inl;
	pst_pc_release(pc);
	if (s->nb.err) {
		errno = s->nb.err;
		return mf_diag_errno(d, MF_EIO, s->nb.path, "cannot write item");
	}
	pst_ndb_node(&s->nb, nid, o.bid_data, pst_ndb_subtree(&s->nb, &subs), f->nid);
	journal_row(s, f, nid, ri);
	*nid_out = nid;
	*bytes = o.bytes + tb;
	return MF_OK;
}

/* ---- the end: folders, tables, fixed nodes ---- */

static void contents_table(struct pst_store *s, const struct pst_folder *f)
{
	struct pst_tc t;
	uint64_t bd, bs, bytes;
	if (!f->count && !f->nruns) {
		empty_table(s, &pst_tc_contents, 1, &bd, &bs);
		pst_ndb_node(&s->nb, f->nid - NT_FOLDER + NT_CONTENTS, bd, bs, 0);
		return;
	}
	pst_tc_begin(&t, &s->nb, &pst_tc_contents, f->count, 1);
	fflush(s->rows_j);
	for (size_t r = 0; r < f->nruns; r++) {
		if (fseeko(s->rows_j, (off_t)f->run_off[r], SEEK_SET) != 0) {
			s->nb.err = errno ? errno : EIO;
			break;
		}
		for (uint64_t k = 0; k < f->run_n[r]; k++) {
			struct pst_cell c[16];
			size_t n = 0, len[6];
			uint8_t *u[6];
			char *str[6];
			uint32_t nid = get32(s->rows_j), flags = get32(s->rows_j),
				 imp = get32(s->rows_j), sens = get32(s->rows_j), size = get32(s->rows_j),
				 has = get32(s->rows_j);
			uint64_t submit = get64(s->rows_j), delivery = get64(s->rows_j),
				 modified = get64(s->rows_j);
			static const uint32_t stag[6] = { 0x001A001F, 0x0037001F, 0x0042001F,
							  0x0E04001F, 0x0E03001F, 0x0070001F };
			memset(c, 0, sizeof(c));
			for (int i = 0; i < 6; i++) {
				str[i] = getstr(s->rows_j);
				u[i] = NULL;
				if (str[i]) {
					u[i] = pst_utf16(str[i], strlen(str[i]), &len[i]);
					c[n].tag = stag[i];
					c[n].data = u[i];
					c[n++].len = len[i];
				}
			}
			c[n].tag = 0x00170003, c[n++].v = imp;
			c[n].tag = 0x00360003, c[n++].v = sens;
			if (has & 1)
				c[n].tag = 0x00390040, c[n++].v = submit;
			c[n].tag = 0x0057000B, c[n++].v = 0;
			c[n].tag = 0x0058000B, c[n++].v = 0;
			if (has & 2)
				c[n].tag = 0x0E060040, c[n++].v = delivery;
			c[n].tag = 0x0E070003, c[n++].v = flags;
			c[n].tag = 0x0E080003, c[n++].v = size;
			c[n].tag = 0x0E170003, c[n++].v = 0;
			c[n].tag = 0x30080040, c[n++].v = modified;
			pst_tc_row(&t, nid, 1, c, n);
			for (int i = 0; i < 6; i++) {
				free(str[i]);
				free(u[i]);
			}
		}
	}
	pst_tc_end(&t, &bd, &bs, &bytes);
	pst_ndb_node(&s->nb, f->nid - NT_FOLDER + NT_CONTENTS, bd, bs, 0);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int has_children(const struct pst_store *s, uint32_t nid)
{
	if (nid == NID_ROOT)
		return 1;
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].parent == nid && s->f[i].nid != nid)
			return 1;
	return 0;
}

static void hier_row(struct pst_tc *t, uint32_t nid, const char *name, uint64_t count,
		     uint64_t unread, int sub, const char *klass)
{
	struct pst_cell c[5];
	size_t n = 0, l1 = 0, l2 = 0;
	uint8_t *u1 = pst_utf16(name, strlen(name), &l1), *u2 = NULL;
	memset(c, 0, sizeof(c));
	c[n].tag = 0x3001001F, c[n].data = u1, c[n++].len = l1;
	c[n].tag = 0x36020003, c[n++].v = count;
	c[n].tag = 0x36030003, c[n++].v = unread;
	c[n].tag = 0x360A000B, c[n++].v = sub ? 1 : 0;
	if (klass) {
		u2 = pst_utf16(klass, strlen(klass), &l2);
		c[n].tag = 0x3613001F, c[n].data = u2, c[n++].len = l2;
	}
	pst_tc_row(t, nid, 1, c, n);
	free(u1);
	free(u2);
}

static void folder_nodes(struct pst_store *s, const struct pst_folder *f)
{
	struct pst_tc t;
	struct pst_pc pc;
	uint64_t bd, bs, bytes;
	uint32_t *kids = NULL;
	size_t nk = 0;
	int is_root = f->nid == NID_ROOT;

	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].parent == f->nid && s->f[i].nid != f->nid) {
			kids = mf_xreallocarray(kids, nk + 1, sizeof(*kids));
			kids[nk++] = s->f[i].nid;
		}
	if (is_root) {
		kids = mf_xreallocarray(kids, nk + 1, sizeof(*kids));
		kids[nk++] = NID_SPAM;
	}
	if (nk)
		qsort(kids, nk, sizeof(*kids), cmp_u32);
	/* hierarchy */
	if (!nk) {
		empty_table(s, &pst_tc_hier, 0, &bd, &bs);
	} else {
		pst_tc_begin(&t, &s->nb, &pst_tc_hier, nk, 0);
		for (size_t i = 0; i < nk; i++) {
			const struct pst_folder *k = by_nid(s, kids[i]);
			if (!k)
				hier_row(&t, NID_SPAM, "SPAM Search Folder 2", 0, 0, 0, NULL);
			else
				hier_row(&t, k->nid, k->name, k->count, k->unread,
					 has_children(s, k->nid), k->klass);
		}
		pst_tc_end(&t, &bd, &bs, &bytes);
	}
	pst_ndb_node(&s->nb, f->nid - NT_FOLDER + NT_HIER, bd, bs, 0);
	free(kids);
	contents_table(s, f);
	table_node(s, f->nid - NT_FOLDER + NT_FAI, &pst_tc_fai);
	/* the folder's own properties */
	pst_pc_init(&pc);
	pst_pc_str(&pc, 0x3001, f->name);
	if (f->comment)
		pst_pc_str(&pc, 0x3004, f->comment);
	pst_pc_i4(&pc, 0x3602, (uint32_t)f->count);
	pst_pc_i4(&pc, 0x3603, (uint32_t)f->unread);
	pst_pc_bool(&pc, 0x360A, nk > 0);
	if (f->klass)
		pst_pc_str(&pc, 0x3613, f->klass);
	if (is_root || f->nid == s->inbox) {
		uint8_t eid[24];
		entry_id(eid, s->uid, s->drafts);
		pst_pc_bin(&pc, 0x36D7, eid, sizeof(eid));
		/* the default Contacts and Tasks folders ([MS-OXOSFLD] 2.2.2) */
		entry_id(eid, s->uid, s->contacts);
		pst_pc_bin(&pc, 0x36D1, eid, sizeof(eid));
		entry_id(eid, s->uid, s->tasks);
		pst_pc_bin(&pc, 0x36D4, eid, sizeof(eid));
		/* and the Calendar: PidTagIpmAppointmentEntryId */
		entry_id(eid, s->uid, s->calendar);
		pst_pc_bin(&pc, 0x36D0, eid, sizeof(eid));
	}
	pc_node(s, f->nid, &pc, f->parent);
}

static void store_node(struct pst_store *s)
{
	struct pst_pc pc;
	uint8_t eid[24], hist[24];
	static const struct { uint16_t id; int which; } eids[] = {
		{ 0x35E0, 0 }, { 0x35E2, 1 }, { 0x35E3, 2 }, { 0x35E4, 3 }, { 0x35E6, 4 }, { 0x35E7, 5 },
	};
	const uint32_t nids[] = { NID_IPM, s->outbox, NID_DELETED, s->sent, NID_COMMON_VIEWS,
				  NID_SEARCH_ROOT };
	pst_pc_init(&pc);
	pst_w32(hist, 1);
	derive(hist + 4, s->seed, "replica");
	pst_w32(hist + 20, 1);
	pst_pc_bin(&pc, 0x0E34, hist, sizeof(hist));
	pst_pc_i4(&pc, 0x0E38, 0);
	pst_pc_bin(&pc, 0x0FF9, s->uid, 16);
	pst_pc_str(&pc, 0x3001, s->display_name);
	/* IPM subtree, inbox, outbox, wastebasket, sent mail, common views, finder */
	pst_pc_i4(&pc, 0x35DF, 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40 | 0x80);
	for (size_t i = 0; i < MF_ARRAY_LEN(eids); i++) {
		entry_id(eid, s->uid, nids[eids[i].which]);
		pst_pc_bin(&pc, eids[i].id, eid, sizeof(eid));
	}
	pst_pc_bool(&pc, 0x6633, 1);
	pst_pc_i4(&pc, 0x66FA, 0xE0011);
	pst_pc_i4(&pc, 0x67FF, 0);
	pc_node(s, NID_STORE, &pc, 0);
}

static void internal_nodes(struct pst_store *s)
{
	static const uint8_t e01[56] = { 0x40, 0, 0, 0, 0x01, 0, 0, 0, 0x04, 0, 0x20, 0, 0, 0, 0, 0,
		0x03, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xB3, 0x48, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xE2, 0x01, 0, 0 };
	static const uint32_t ee1_nids[5] = { NID_STORE, NID_IPM, NID_SEARCH_ROOT, NID_DELETED,
					      NID_COMMON_VIEWS };
	uint8_t c01[4] = { 0 }, ee1[5 * 28], f01[104], sal[4];
	struct pst_pc pc;

	pst_w32(sal, NID_SPAM);
	raw_node(s, 0x1E1, NULL, 0);
	raw_node(s, 0x201, sal, 4);
	raw_node(s, 0x261, NULL, 0);
	heap_node(s, 0xC01, 0x9C, c01, 4, 16);
	heap_node(s, 0xE01, 0xCC, e01, sizeof(e01), 4);
	raw_node(s, 0xE41, NULL, 0);
	raw_node(s, 0xEC1, NULL, 0);
	memset(ee1, 0, sizeof(ee1));
	for (int i = 0; i < 5; i++) {
		pst_w32(ee1 + 28 * i, ee1_nids[i]);
		pst_w32(ee1 + 28 * i + 16, 0x00040000);
		pst_w32(ee1 + 28 * i + 20, i == 4 ? 0x200 : 0x100);
	}
	raw_node(s, 0xEE1, ee1, sizeof(ee1));
	memset(f01, 0, sizeof(f01));
	f01[0] = 8;
	pst_w32(f01 + 28, 0x00010100);
	derive(f01 + 40, s->seed, "f01-a");
	derive(f01 + 56, s->seed, "f01-b");
	pst_w32(f01 + 72, 0x6A);
	pst_w32(f01 + 76, 2);
	pst_w32(f01 + 92, 5);
	pst_w32(f01 + 96, 5);
	raw_node(s, 0xF01, f01, sizeof(f01));
	raw_node(s, 0xF21, NULL, 0);
	/* the spam search folder */
	pst_pc_init(&pc);
	pst_pc_str(&pc, 0x3001, "SPAM Search Folder 2");
	pst_pc_i4(&pc, 0x3602, 0);
	pst_pc_i4(&pc, 0x3603, 0);
	pst_pc_bool(&pc, 0x360A, 0);
	pc_node(s, NID_SPAM, &pc, NID_ROOT);
	raw_node(s, 0x2226, NULL, 0);
	pst_pc_init(&pc);
	pst_pc_i4(&pc, 0x660B, 0);
	pc_node(s, 0x2227, &pc, 0);
	table_node(s, 0x2230, &pst_tc_search);
}

int pst_store_finish(struct pst_store *s, struct mf_diag *d)
{
	struct pst_tc t;
	struct pst_cell c[2];
	uint64_t bd, bs, bytes;
	int rc;

	for (size_t i = 0; i < s->nf; i++)
		folder_nodes(s, &s->f[i]);
	/* templates */
	table_node(s, 0x60D, &pst_tc_hier);
	table_node(s, 0x60E, &pst_tc_contents);
	table_node(s, 0x60F, &pst_tc_fai);
	table_node(s, 0x610, &pst_tc_search);
	table_node(s, 0x671, &pst_tc_attach);
	table_node(s, 0x692, &pst_tc_recip);
	table_node(s, 0x6B6, &tc_6b6);
	table_node(s, 0x6D7, &tc_6d7);
	table_node(s, 0x6F8, &tc_6f8);
	table_node(s, 0x64C, &tc_outq);
	/* receive folder table: every class goes to the Inbox */
	memset(c, 0, sizeof(c));
	c[0].tag = 0x66050003;
	c[0].v = s->inbox;
	c[1].tag = 0x001A001F;
	pst_tc_begin(&t, &s->nb, &tc_recv, 1, 0);
	pst_tc_row(&t, 1, 2, c, 2);
	pst_tc_end(&t, &bd, &bs, &bytes);
	pst_ndb_node(&s->nb, 0x62B, bd, bs, 0);
	store_node(s);
	name_map(s);
	internal_nodes(s);
	rc = pst_ndb_finish(&s->nb, d);
	pst_store_abort(s);
	return rc;
}
