/* SPDX-License-Identifier: MIT */
/*
 * pstr_pim.c: the verifier's checks of contacts, distribution lists and
 * tasks ([MS-OXOCNTC], [MS-OXOTASK], [MS-OXOCAL] 2.2.1.44.1), read through
 * the file's own name-to-ID map.  Shares no code with the writer.
 *
 *   IPM.Contact   each e-mail address present has its type and a one-off
 *                 entry ID (well-formed, Unicode) naming the same address
 *   IPM.DistList  members and one-off members: well-formed multi-valued
 *                 binaries of the same count, each one-off well-formed,
 *                 each member a one-off or a wrapped entry ID of a contact
 *                 or list whose embedded entry ID names a message node of
 *                 this store; the checksum is the CRC-32 of the members
 *   IPM.Task      a recurrence blob is a well-formed RecurrencePattern
 *                 (versions, frequency and pattern type that go together,
 *                 the pattern's own fields, end type, instance lists, its
 *                 exact length, start before end) and the recurring flag
 *                 agrees with it
 */
#include "exporters/pst/reader/pstr.h"

#include <stdlib.h>
#include <string.h>

#define MAX_VALUE (1u << 20)

static const unsigned char psetid_address[16] = { 0x04, 0x20, 0x06, 0, 0, 0, 0, 0,
						  0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const unsigned char psetid_task[16] = { 0x03, 0x20, 0x06, 0, 0, 0, 0, 0,
					       0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const unsigned char one_off_uid[16] = { 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19,
					       0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02 };
static const unsigned char wrapped_uid[16] = { 0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
					       0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4 };

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void pstr_namemap_load(struct pstr_namemap *m, struct pstr_pc *pc)
{
	struct pstr_val g, e;
	memset(m, 0, sizeof(*m));
	if (pstr_pc_get(pc, 0x0002, &g, MAX_VALUE) == MF_OK && g.exists && g.len % 16 == 0) {
		m->guids = g.p;
		m->nguids = g.len / 16;
		g.p = NULL;
	}
	pstr_val_release(&g);
	if (pstr_pc_get(pc, 0x0003, &e, MAX_VALUE) == MF_OK && e.exists && e.len % 8 == 0) {
		m->entries = e.p;
		m->nentries = e.len / 8;
		e.p = NULL;
	}
	pstr_val_release(&e);
}

void pstr_namemap_release(struct pstr_namemap *m)
{
	free(m->guids);
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

/* The property ID of (guid, lid) in this file, 0 when not registered. */
static uint16_t named(const struct pstr_namemap *m, const unsigned char guid[16], uint32_t lid)
{
	for (size_t i = 0; i < m->nentries; i++) {
		const unsigned char *e = m->entries + 8 * i;
		uint16_t w = rd16(e + 4), g = (uint16_t)(w >> 1);
		if ((w & 1) || rd32(e) != lid || g < 3 || (size_t)(g - 3) >= m->nguids)
			continue;
		if (!memcmp(m->guids + 16 * (size_t)(g - 3), guid, 16))
			return (uint16_t)(0x8000 + rd16(e + 6));
	}
	return 0;
}

static int get(struct pstr_pc *pc, uint16_t id, struct pstr_val *v)
{
	memset(v, 0, sizeof(*v));
	if (!id)
		return 0;
	return pstr_pc_get(pc, id, v, MAX_VALUE) == MF_OK && v->exists;
}

/* A UTF-16LE string ending in a NUL unit at *at: its length in bytes. */
static int utf16z(const unsigned char *p, size_t len, size_t *at, size_t *slen)
{
	for (size_t k = *at; k + 1 < len; k += 2)
		if (!p[k] && !p[k + 1]) {
			*slen = k - *at;
			*at = k + 2;
			return 1;
		}
	return 0;
}

/* A Unicode one-off entry ID; the address's bytes in *addr, *alen. */
static int one_off_ok(const unsigned char *p, size_t len, const unsigned char **addr, size_t *alen)
{
	size_t at = 24, l[3];
	if (len < 24 || rd32(p) != 0 || memcmp(p + 4, one_off_uid, 16) != 0 || !(rd16(p + 22) & 0x8000))
		return 0;
	for (int i = 0; i < 3; i++) {
		size_t start = at;
		if (!utf16z(p, len, &at, &l[i]))
			return 0;
		if (i == 2) {
			*addr = p + start;
			*alen = l[i];
		}
	}
	return at == len && l[0] && l[2];
}

/* A multi-valued binary: count and offsets; 0 when malformed. */
static int mv_split(const unsigned char *p, size_t len, size_t *n, size_t **off)
{
	uint32_t c;
	if (len < 4)
		return 0;
	c = rd32(p);
	if (c > (len - 4) / 4)
		return 0;
	*off = mf_xcalloc((size_t)c + 1, sizeof(**off));
	for (uint32_t i = 0; i < c; i++) {
		(*off)[i] = rd32(p + 4 + 4 * i);
		if ((*off)[i] < 4 + 4 * (size_t)c || (*off)[i] > len || (i && (*off)[i] < (*off)[i - 1])) {
			free(*off);
			*off = NULL;
			return 0;
		}
	}
	(*off)[c] = len;
	*n = c;
	return 1;
}

static uint32_t crc32_802(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

static void check_contact(struct pstr *f, const struct pstr_namemap *m, uint32_t nid,
			  struct pstr_pc *pc)
{
	static const uint32_t lids[3][2] = { { 0x8083, 0x8085 }, { 0x8093, 0x8095 },
					     { 0x80A3, 0x80A5 } };
	if (!pstr_pc_find(pc, 0x3001))
		pstr_report(f, MF_NO_OFFSET, nid, "contact has no display name");
	for (int k = 0; k < 3; k++) {
		struct pstr_val a, t, e;
		const unsigned char *oa;
		size_t ol;
		if (!get(pc, named(m, psetid_address, lids[k][0]), &a)) {
			pstr_val_release(&a);
			continue;
		}
		if (!get(pc, named(m, psetid_address, lids[k][0] - 1), &t) || !t.len)
			pstr_report(f, MF_NO_OFFSET, nid, "contact e-mail %d has no address type", k + 1);
		if (!get(pc, named(m, psetid_address, lids[k][1]), &e) ||
		    !one_off_ok(e.p, e.len, &oa, &ol))
			pstr_report(f, MF_NO_OFFSET, nid,
				    "contact e-mail %d: no well-formed one-off entry ID", k + 1);
		else if (ol != a.len || memcmp(oa, a.p, ol) != 0)
			pstr_report(f, MF_NO_OFFSET, nid,
				    "contact e-mail %d: the one-off entry ID names another address", k + 1);
		pstr_val_release(&a);
		pstr_val_release(&t);
		pstr_val_release(&e);
	}
}

static void check_list(struct pstr *f, const struct pstr_namemap *m, uint32_t nid,
		       struct pstr_pc *pc, const unsigned char store_uid[16])
{
	struct pstr_val mem, oo, ck;
	size_t nm = 0, no = 0, *om = NULL, *oof = NULL;
	uint32_t crc = 0, sum = 0;

	/* all three empty first: a list without its members property leaves
	 * the second get() uncalled, and out: releases both */
	memset(&mem, 0, sizeof(mem));
	memset(&oo, 0, sizeof(oo));
	memset(&ck, 0, sizeof(ck));
	if (!get(pc, named(m, psetid_address, 0x8055), &mem) ||
	    !get(pc, named(m, psetid_address, 0x8054), &oo)) {
		pstr_report(f, MF_NO_OFFSET, nid, "distribution list without members properties");
		goto out;
	}
	if (!mv_split(mem.p, mem.len, &nm, &om) || !mv_split(oo.p, oo.len, &no, &oof)) {
		pstr_report(f, MF_NO_OFFSET, nid, "distribution list members are not a multi-valued binary");
		goto out;
	}
	if (nm != no)
		pstr_report(f, MF_NO_OFFSET, nid, "distribution list: %zu members, %zu one-off members",
			    nm, no);
	for (size_t i = 0; i < nm && i < no; i++) {
		const unsigned char *p = mem.p + om[i], *oa;
		size_t len = om[i + 1] - om[i], ol;
		crc = crc32_802(crc, p, len);
		if (!one_off_ok(oo.p + oof[i], oof[i + 1] - oof[i], &oa, &ol))
			pstr_report(f, MF_NO_OFFSET, nid, "distribution list: one-off member %zu is malformed",
				    i);
		if (len >= 20 && !memcmp(p + 4, one_off_uid, 16)) {
			if (!one_off_ok(p, len, &oa, &ol))
				pstr_report(f, MF_NO_OFFSET, nid,
					    "distribution list: member %zu is a malformed one-off", i);
		} else if (len == 45 && rd32(p) == 0 && !memcmp(p + 4, wrapped_uid, 16)) {
			uint32_t target = rd32(p + 41);
			const struct pstr_nent *e = pstr_nbt_find(f, target);
			if ((p[20] & 0x0F) != 3 && (p[20] & 0x0F) != 4)
				pstr_report(f, MF_NO_OFFSET, nid,
					    "distribution list: member %zu wraps an entry ID of type 0x%02X",
					    i, p[20]);
			else if (rd32(p + 21) != 0 || memcmp(p + 25, store_uid, 16) != 0 || !e ||
				 (target & 0x1F) != 0x04)
				pstr_report(f, MF_NO_OFFSET, nid,
					    "distribution list: member %zu names 0x%X, not a message of "
					    "this store", i, target);
		} else {
			pstr_report(f, MF_NO_OFFSET, nid,
				    "distribution list: member %zu is neither a one-off nor a wrapped "
				    "entry ID", i);
		}
	}
	if (!get(pc, named(m, psetid_address, 0x804C), &ck) || ck.len < 4 ||
	    (sum = rd32(ck.p)) != crc)
		pstr_report(f, MF_NO_OFFSET, nid,
			    "distribution list checksum 0x%08X, the members give 0x%08X", sum, crc);
	pstr_val_release(&ck);
out:
	free(om);
	free(oof);
	pstr_val_release(&mem);
	pstr_val_release(&oo);
}

/* A RecurrencePattern; NULL when well-formed, else what is wrong. */
static const char *pattern_problem(const unsigned char *p, size_t len)
{
	size_t at = 22, need;
	uint16_t freq, ptype;
	uint32_t end_type, ndel, nmod, start, end;
	if (len < 22)
		return "shorter than its fixed part";
	if (rd16(p) != 0x3004 || rd16(p + 2) != 0x3004)
		return "reader or writer version not 0x3004";
	freq = rd16(p + 4);
	ptype = rd16(p + 6);
	if (freq < 0x200A || freq > 0x200D)
		return "unknown frequency";
	if ((freq == 0x200A && ptype != 0) || (freq == 0x200B && ptype != 1) ||
	    (freq >= 0x200C && ptype != 2 && ptype != 3 && ptype != 4 && ptype != 0xA &&
	     ptype != 0xB && ptype != 0xC))
		return "pattern type does not go with the frequency";
	if (rd32(p + 14) == 0)
		return "period 0";
	need = ptype == 0 ? 0 : ptype == 3 || ptype == 0xB ? 8 : 4;
	if (len < at + need + 20)
		return "cut inside its pattern";
	if (ptype == 1 && (rd32(p + at) == 0 || rd32(p + at) > 0x7F))
		return "weekly day mask empty or out of range";
	if ((ptype == 2 || ptype == 4) && (rd32(p + at) < 1 || rd32(p + at) > 31))
		return "day of month out of range";
	if (ptype == 3 && (rd32(p + at) == 0 || rd32(p + at) > 0x7F || rd32(p + at + 4) < 1 ||
			   rd32(p + at + 4) > 5))
		return "month position out of range";
	at += need;
	end_type = rd32(p + at);
	if (end_type != 0x2021 && end_type != 0x2022 && end_type != 0x2023 && end_type != 0xFFFFFFFFu)
		return "unknown end type";
	if (rd32(p + at + 8) > 6)
		return "first day of week out of range";
	ndel = rd32(p + at + 12);
	at += 16;
	if (ndel > (len - at) / 4)
		return "deleted instance count past its end";
	at += 4 * (size_t)ndel;
	if (len < at + 4)
		return "cut before the modified instances";
	nmod = rd32(p + at);
	at += 4;
	if (nmod > (len - at) / 4 || nmod > ndel)
		return "modified instance count past its end or above the deleted ones";
	at += 4 * (size_t)nmod;
	if (len != at + 8)
		return "length is not that of its fields";
	start = rd32(p + at);
	end = rd32(p + at + 4);
	if (end < start)
		return "ends before it starts";
	return NULL;
}

static void check_task(struct pstr *f, const struct pstr_namemap *m, uint32_t nid,
		       struct pstr_pc *pc)
{
	struct pstr_val r, fl;
	int has = get(pc, named(m, psetid_task, 0x8116), &r);
	int recurring = get(pc, named(m, psetid_task, 0x8126), &fl) && fl.len && fl.p[0];
	if (has) {
		const char *why = pattern_problem(r.p, r.len);
		if (why)
			pstr_report(f, MF_NO_OFFSET, nid, "task recurrence pattern: %s", why);
	}
	if (recurring && !has)
		pstr_report(f, MF_NO_OFFSET, nid, "task marked recurring without a recurrence pattern");
	pstr_val_release(&r);
	pstr_val_release(&fl);
}

void pstr_check_pim(struct pstr *f, const struct pstr_namemap *m, uint32_t nid,
		    struct pstr_pc *pc, const unsigned char store_uid[16])
{
	char *klass = pstr_pc_str(pc, 0x001A);
	if (!strcmp(klass, "IPM.Contact"))
		check_contact(f, m, nid, pc);
	else if (!strcmp(klass, "IPM.DistList"))
		check_list(f, m, nid, pc, store_uid);
	else if (!strcmp(klass, "IPM.Task"))
		check_task(f, m, nid, pc);
	free(klass);
}
