/* SPDX-License-Identifier: MIT */
/*
 * pstr_appt.c: the verifier's checks of an appointment's recurrence
 * ([MS-OXOCAL] 2.2.1.44): PidLidAppointmentRecur (found through the
 * store's name-to-ID map) must be a well-formed AppointmentRecurrencePattern
 * (versions, a pattern type its frequency allows, a period, an end type,
 * dates in order, one ExceptionInfo per modified date, every changed
 * occurrence also among the deleted dates, extended exceptions agreeing
 * with their exceptions, no byte left over), and the message's exception
 * attachments (PidTagAttachmentFlags afException) must be one per
 * ExceptionInfo, with the same local start and end.
 *
 * Reads only through the reader's own LTP layer (pstr_ltp.c).
 */
#include "exporters/pst/reader/pstr.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define BLOB_MAX (4u << 20)
#define EXC_MAX 100000

static const unsigned char psetid_appointment[16] = { 0x02, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0,
						     0, 0, 0, 0, 0x46 };

/* The NPID of PSETID_Appointment's LID lid; 0 when the map has none. */
static uint16_t npid_of(struct pstr *f, uint32_t lid)
{
	const struct pstr_nent *e = pstr_nbt_find(f, 0x61);
	struct pstr_node *n;
	struct pstr_pc pc;
	struct pstr_val g, ent;
	uint16_t r = 0;
	if (!e || !(n = pstr_node_open(f, 0x61, e->bid_data, e->bid_sub)))
		return 0;
	if (pstr_pc_load(&pc, n) != MF_OK) {
		pstr_node_free(&n);
		return 0;
	}
	memset(&g, 0, sizeof(g));
	memset(&ent, 0, sizeof(ent));
	if (pstr_pc_get(&pc, 0x0002, &g, 1u << 20) == MF_OK && g.exists &&
	    pstr_pc_get(&pc, 0x0003, &ent, 1u << 20) == MF_OK && ent.exists) {
		for (size_t i = 0; i + 8 <= ent.len; i += 8) {
			const unsigned char *p = ent.p + i;
			uint32_t id = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				      (uint32_t)p[3] << 24;
			uint16_t w = (uint16_t)(p[4] | p[5] << 8), idx = (uint16_t)(p[6] | p[7] << 8);
			size_t gi = (size_t)(w >> 1);
			if ((w & 1) || id != lid || gi < 3 || 16 * (gi - 2) > g.len)
				continue;
			if (!memcmp(g.p + 16 * (gi - 3), psetid_appointment, 16)) {
				r = (uint16_t)(0x8000 + idx);
				break;
			}
		}
	}
	pstr_val_release(&g);
	pstr_val_release(&ent);
	pstr_pc_release(&pc);
	pstr_node_free(&n);
	return r;
}

struct rd {
	const unsigned char *p;
	size_t len, at;
	int bad;
};

static uint32_t rd16(struct rd *r)
{
	uint32_t v;
	if (r->at + 2 > r->len) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[r->at] | (uint32_t)r->p[r->at + 1] << 8;
	r->at += 2;
	return v;
}

static uint32_t rd32(struct rd *r)
{
	uint32_t lo = rd16(r);
	return lo | rd16(r) << 16;
}

static void skip(struct rd *r, uint64_t n)
{
	if (n > r->len - r->at) {
		r->bad = 1;
		r->at = r->len;
		return;
	}
	r->at += (size_t)n;
}

struct exc {
	uint32_t start, end, orig;
	uint16_t flags;
};

/* "1996-01-08 07:45" of minutes since 1601. */
static void when(char out[48], uint32_t m)
{
	/* days since 1601-01-01 to a civil date */
	int64_t z = (int64_t)(m / 1440) - 134774 + 719468; /* 134774: 1601-01-01 .. 1970-01-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1), mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	int y = (int)(yoe + era * 400 + (mo <= 2));
	snprintf(out, 48, "%04d-%02d-%02d %02u:%02u", y, mo, d, (m % 1440) / 60, m % 60);
}

static int cmp_exc(const void *a, const void *b)
{
	const struct exc *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* The exception attachments of msg: their local start and end (minutes). */
static size_t exception_attachments(struct pstr *f, struct pstr_node *msg, struct exc **out)
{
	struct pstr_node *tn = pstr_node_sub(msg, 0x671);
	struct pstr_tc tc;
	size_t n = 0;
	*out = NULL;
	if (!tn)
		return 0;
	if (pstr_tc_load(&tc, tn) != MF_OK) {
		pstr_node_free(&tn);
		return 0;
	}
	for (size_t r = 0; r < tc.nrows && r < EXC_MAX; r++) {
		struct pstr_node *an = pstr_node_sub(msg, tc.row_ids[r]);
		struct pstr_pc apc;
		uint32_t aflags = 0;
		uint64_t s = 0, e = 0;
		if (!an)
			continue;
		if (pstr_pc_load(&apc, an) == MF_OK) {
			if (pstr_pc_u32(&apc, 0x7FFD, &aflags) && (aflags & 2)) {
				if (!pstr_pc_u64(&apc, 0x7FFB, &s) || !pstr_pc_u64(&apc, 0x7FFC, &e))
					pstr_report(f, MF_NO_OFFSET, msg->nid, "exception attachment 0x%X "
						    "has no PidTagExceptionStartTime/EndTime",
						    tc.row_ids[r]);
				*out = mf_xreallocarray(*out, n + 1, sizeof(**out));
				(*out)[n].start = (uint32_t)(s / 600000000ull);
				(*out)[n].end = (uint32_t)(e / 600000000ull);
				(*out)[n].orig = 0;
				(*out)[n++].flags = 0;
			}
			pstr_pc_release(&apc);
		}
		pstr_node_free(&an);
	}
	pstr_tc_release(&tc);
	pstr_node_free(&tn);
	return n;
}

static void check_blob(struct pstr *f, struct pstr_node *msg, const unsigned char *p, size_t len,
		       struct mf_buf *jb)
{
	struct rd r = { p, len, 0, 0 };
	uint32_t freq, pat, period, endtype, ndel, nmod, sdate, edate, wv2, rv, wv;
	uint32_t *del = NULL, *mod = NULL;
	struct exc *x = NULL, *att = NULL;
	size_t nx = 0, natt;
	const char *why = NULL;

	rv = rd16(&r);
	wv = rd16(&r);
	if (rv != 0x3004 || wv != 0x3004) {
		why = "ReaderVersion/WriterVersion is not 0x3004";
		goto out;
	}
	freq = rd16(&r);
	pat = rd16(&r);
	rd16(&r);                      /* calendar type */
	rd32(&r);                      /* FirstDateTime */
	period = rd32(&r);
	rd32(&r);                      /* sliding flag */
	if (freq < 0x200A || freq > 0x200D) {
		why = "RecurFrequency is not daily, weekly, monthly or yearly";
		goto out;
	}
	if ((freq == 0x200A && pat > 1) || (freq == 0x200B && pat != 1) ||
	    (freq >= 0x200C && (pat < 2 || pat > 4))) {
		why = "PatternType does not fit RecurFrequency";
		goto out;
	}
	if (!period || (freq == 0x200A && pat == 0 && period % 1440) ||
	    (freq == 0x200D && period % 12)) {
		why = "Period does not fit RecurFrequency";
		goto out;
	}
	if (pat == 1)
		rd32(&r);
	else if (pat == 2 || pat == 4)
		rd32(&r);
	else if (pat == 3) {
		uint32_t mask = rd32(&r), nth = rd32(&r);
		if (!mask || mask > 0x7F || nth < 1 || nth > 5) {
			why = "PatternTypeSpecific of a by-position pattern out of range";
			goto out;
		}
	}
	endtype = rd32(&r);
	rd32(&r);                      /* OccurrenceCount */
	if (rd32(&r) > 6) {
		why = "FirstDOW out of range";
		goto out;
	}
	if (endtype != 0x2021 && endtype != 0x2022 && endtype != 0x2023 && endtype != 0xFFFFFFFFu) {
		why = "EndType unknown";
		goto out;
	}
	ndel = rd32(&r);
	if (r.bad || ndel > EXC_MAX || (uint64_t)ndel * 4 > len - r.at) {
		why = "DeletedInstanceCount past the end";
		goto out;
	}
	del = mf_xcalloc(ndel + 1, sizeof(*del));
	for (uint32_t i = 0; i < ndel; i++) {
		del[i] = rd32(&r);
		if (del[i] % 1440 || (i && del[i] <= del[i - 1])) {
			why = "DeletedInstanceDates not midnights in ascending order";
			goto out;
		}
	}
	nmod = rd32(&r);
	if (r.bad || nmod > ndel || (uint64_t)nmod * 4 > len - r.at) {
		why = "ModifiedInstanceCount larger than DeletedInstanceCount or past the end";
		goto out;
	}
	mod = mf_xcalloc(nmod + 1, sizeof(*mod));
	for (uint32_t i = 0; i < nmod; i++) {
		mod[i] = rd32(&r);
		if (mod[i] % 1440 || (i && mod[i] < mod[i - 1])) {
			why = "ModifiedInstanceDates not midnights in ascending order";
			goto out;
		}
	}
	sdate = rd32(&r);
	edate = rd32(&r);
	if (sdate % 1440 || (endtype != 0x2023 && endtype != 0xFFFFFFFFu && edate < sdate)) {
		why = "StartDate/EndDate out of order";
		goto out;
	}
	if (rd32(&r) != 0x3006 || (wv2 = rd32(&r)) < 0x3008) {
		why = "ReaderVersion2/WriterVersion2 wrong";
		goto out;
	}
	{
		uint32_t so = rd32(&r), eo = rd32(&r);
		if (so >= 1440 || eo < so) {
			why = "StartTimeOffset/EndTimeOffset out of range";
			goto out;
		}
	}
	nx = rd16(&r);
	if (nx != nmod) {
		why = "ExceptionCount differs from ModifiedInstanceCount";
		goto out;
	}
	x = mf_xcalloc(nx + 1, sizeof(*x));
	for (size_t i = 0; i < nx && !r.bad; i++) {
		uint32_t fl, n1, n2;
		x[i].start = rd32(&r);
		x[i].end = rd32(&r);
		x[i].orig = rd32(&r);
		x[i].flags = (uint16_t)(fl = rd16(&r));
		if (fl & 0x0001) {
			n1 = rd16(&r);
			n2 = rd16(&r);
			if (n1 != n2 + 1) {
				why = "an exception's SubjectLength and SubjectLength2 disagree";
				goto out;
			}
			skip(&r, n2);
		}
		for (uint32_t bit = 0x0002; bit <= 0x0100; bit <<= 1) {
			if (!(fl & bit))
				continue;
			if (bit == 0x0010) {
				n1 = rd16(&r);
				n2 = rd16(&r);
				if (n1 != n2 + 1) {
					why = "an exception's LocationLength and LocationLength2 disagree";
					goto out;
				}
				skip(&r, n2);
			} else {
				rd32(&r);
			}
		}
		if (x[i].end < x[i].start) {
			why = "an exception ends before it starts";
			goto out;
		}
		/* the changed occurrence's original date is a deleted date, its
		 * new date a modified date */
		{
			uint32_t od = x[i].orig - x[i].orig % 1440, sd = x[i].start - x[i].start % 1440;
			int found_d = 0, found_m = 0;
			for (uint32_t k = 0; k < ndel; k++)
				found_d |= del[k] == od;
			for (uint32_t k = 0; k < nmod; k++)
				found_m |= mod[k] == sd;
			if (!found_d || !found_m) {
				why = "an exception's original date is not deleted or its date not modified";
				goto out;
			}
		}
	}
	skip(&r, rd32(&r));             /* ReservedBlock1 */
	for (size_t i = 0; i < nx && !r.bad; i++) {
		if (wv2 >= 0x3009)
			skip(&r, rd32(&r));     /* ChangeHighlight */
		skip(&r, rd32(&r));             /* ReservedBlockEE1 */
		if (x[i].flags & 0x0011) {
			uint32_t s = rd32(&r), e = rd32(&r), o = rd32(&r);
			if (s != x[i].start || e != x[i].end || o != x[i].orig) {
				why = "an extended exception's times differ from its exception's";
				goto out;
			}
			if (x[i].flags & 0x0001)
				skip(&r, 2ull * rd16(&r));
			if (x[i].flags & 0x0010)
				skip(&r, 2ull * rd16(&r));
			skip(&r, rd32(&r));     /* ReservedBlockEE2 */
		}
	}
	skip(&r, rd32(&r));             /* ReservedBlock2 */
	if (r.bad) {
		why = "cut short";
		goto out;
	}
	if (r.at != len) {
		why = "bytes after its end";
		goto out;
	}
	/* the exception attachments agree with the exceptions */
	natt = exception_attachments(f, msg, &att);
	if (natt != nx) {
		pstr_report(f, MF_NO_OFFSET, msg->nid, "recurrence blob has %zu changed occurrences, "
			    "the message %zu exception attachments", nx, natt);
	} else {
		if (nx) {
			qsort(att, natt, sizeof(*att), cmp_exc);
			qsort(x, nx, sizeof(*x), cmp_exc);
		}
		for (size_t i = 0; i < nx; i++)
			if (att[i].start != x[i].start || att[i].end != x[i].end) {
				char a[48], b[48];
				when(a, x[i].start);
				when(b, att[i].start);
				pstr_report(f, MF_NO_OFFSET, msg->nid, "recurrence blob: changed occurrence "
					    "at %s, its exception attachment at %s", a, b);
			}
	}
	if (jb) {
		char a[48], b[48];
		mf_buf_addf(jb, ",\"recurrence\":{\"frequency\":%u,\"pattern\":%u,\"period\":%u,"
			    "\"end_type\":%u,\"deleted\":[", freq, pat, period, endtype);
		for (uint32_t i = 0; i < ndel; i++) {
			when(a, del[i]);
			a[10] = '\0';
			mf_buf_addf(jb, "%s\"%s\"", i ? "," : "", a);
		}
		mf_buf_addstr(jb, "],\"changed\":[");
		for (size_t i = 0; i < nx; i++) {
			when(a, x[i].orig);
			when(b, x[i].start);
			mf_buf_addf(jb, "%s{\"original\":\"%s\",\"start\":\"%s\"}", i ? "," : "", a, b);
		}
		mf_buf_addstr(jb, "]}");
	}
out:
	if (why)
		pstr_report(f, MF_NO_OFFSET, msg->nid, "recurrence blob (PidLidAppointmentRecur) "
			    "malformed: %s (byte %zu of %zu)", why, r.at, len);
	free(del);
	free(mod);
	free(x);
	free(att);
}

void pstr_check_appt(struct pstr *f, struct pstr_node *msg, struct pstr_pc *pc, struct mf_buf *jb)
{
	struct pstr_val v;
	uint16_t id;
	if (!f->appt_ids_known) {
		f->appt_recur_id = npid_of(f, 0x8216);
		f->appt_ids_known = 1;
	}
	id = f->appt_recur_id;
	if (!id || !pstr_pc_find(pc, id))
		return;
	memset(&v, 0, sizeof(v));
	if (pstr_pc_get(pc, id, &v, BLOB_MAX) == MF_OK && v.exists) {
		if (v.type != PSTR_T_BIN || v.full_len > BLOB_MAX)
			pstr_report(f, MF_NO_OFFSET, msg->nid, "recurrence blob of type 0x%X, %llu bytes",
				    v.type, (unsigned long long)v.full_len);
		else
			check_blob(f, msg, v.p, v.len, jb);
	}
	pstr_val_release(&v);
}
