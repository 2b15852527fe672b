/* SPDX-License-Identifier: MIT */
/*
 * pst_contact.c: personal address books as contacts and distribution
 * lists ([MS-OXOCNTC]) in the store's Contacts folder, and the post
 * office directory (custom recipients and public lists) the same way for
 * DIR/directory.pst.
 *
 * Contacts.  IPM.Contact with the display name, given name, surname,
 * file-as, company, title, department, office, assistant, the work
 * address, the eight phone numbers and the note as body.  E-mail 1 is the
 * address as the mail exporters render it (core/mime.h mf_mime_address:
 * SMTP as staged, a cc:Mail or MS Mail address as its stable Internet
 * form) with address type SMTP and a one-off entry ID; a legacy address is
 * kept as written in e-mail 2 with its own type (CCMAIL, MS, ...), so the
 * original is never lost.
 *
 * Lists.  IPM.DistList with PidLidDistributionListMembers and
 * PidLidDistributionListOneOffMembers (one entry per member, in order):
 * a member that is another entry of the same book is linked to that
 * object with a wrapped entry ID ([MS-OXOCNTC] 2.2.2.2.4.1.1: type 0x83 a
 * contact's e-mail 1, 0x84 a list), every other member is a one-off entry
 * ID; the one-off list has a one-off entry ID for every member.
 *
 * Contacts are written before lists, so a list can name the NID of every
 * entry it links to.
 */
#include "exporters/pst/pst.h"

#include <stdlib.h>
#include <string.h>

#include "core/alias.h"
#include "core/buf.h"
#include "core/mime.h"
#include "core/model.h"
#include "core/store_dav.h"

#define MAX_DL_BYTES 15000 /* [MS-OXOCNTC] 2.2.2.2.1: members under 15,000 bytes */

/* PSETID_Address LIDs */
enum {
	LID_FILE_UNDER = 0x8005, LID_FILE_UNDER_ID = 0x8006, LID_AB_EMAIL_LIST = 0x8028,
	LID_AB_ARRAY_TYPE = 0x8029, LID_DL_CHECKSUM = 0x804C, LID_DL_NAME = 0x8053,
	LID_DL_ONEOFF = 0x8054, LID_DL_MEMBERS = 0x8055,
	LID_EMAIL1_DISPLAY = 0x8080, LID_EMAIL1_TYPE = 0x8082, LID_EMAIL1_ADDR = 0x8083,
	LID_EMAIL1_ORIG_DISPLAY = 0x8084, LID_EMAIL1_ORIG_EID = 0x8085,
	LID_EMAIL2_DISPLAY = 0x8090, LID_EMAIL2_TYPE = 0x8092, LID_EMAIL2_ADDR = 0x8093,
	LID_EMAIL2_ORIG_DISPLAY = 0x8094, LID_EMAIL2_ORIG_EID = 0x8095,
};

static const uint8_t wrapped_uid[16] = { 0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
					 0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4 };

/* An address as a contact holds it. */
struct addr {
	char *smtp;              /* rendered Internet address (NULL: none) */
	const char *legacy_type; /* the staged legacy type and address (NULL: none) */
	const char *legacy;
};

static int is_smtp(const char *type, const char *addr)
{
	if (!addr || !*addr)
		return 0;
	if (type && *type)
		return mf_strcaseeq(type, "SMTP") || mf_strcaseeq(type, "INTERNET");
	return strchr(addr, '@') && !strstr(addr, " at ") && !strchr(addr, ' ');
}

static void addr_of(struct addr *a, const char *display, const char *type, const char *address,
		    const struct mf_mailbox *mb)
{
	struct mf_buf n, s;
	memset(a, 0, sizeof(*a));
	if (!address || !*address)
		return;
	mf_buf_init(&n, 1u << 16);
	mf_buf_init(&s, 1u << 16);
	if (mf_mime_address(&n, &s, display, type, address, address, mb, NULL) == MF_OK && s.len)
		a->smtp = mf_xstrdup(s.data);
	mf_buf_release(&n);
	mf_buf_release(&s);
	if (!is_smtp(type, address)) {
		a->legacy_type = type && *type ? type : "X-UNKNOWN";
		a->legacy = address;
	}
}

static void set_tag_type(struct pst_pc *pc, uint16_t id, uint16_t type)
{
	for (size_t i = 0; i < pc->n; i++)
		if ((pc->v[i].tag >> 16) == id)
			pc->v[i].tag = PST_TAG(id, type);
}

/* A multi-valued binary ([MS-PST] 2.3.3.4.2): count, offsets, values. */
static void pc_mv_bin(struct pst_pc *pc, uint16_t id, uint8_t *const *v, const size_t *len,
		      size_t n)
{
	struct mf_buf b;
	uint8_t w[4];
	size_t off = 4 + 4 * n;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	pst_w32(w, (uint32_t)n);
	mf_buf_add(&b, w, 4);
	for (size_t i = 0; i < n; i++) {
		pst_w32(w, (uint32_t)off);
		mf_buf_add(&b, w, 4);
		off += len[i];
	}
	for (size_t i = 0; i < n; i++)
		mf_buf_add(&b, v[i], len[i]);
	pst_pc_bin(pc, id, b.data, b.len);
	set_tag_type(pc, id, PT_MV_BINARY);
	mf_buf_release(&b);
}

/* CRC-32 of ISO/IEC 8802-3 (the list checksum, [MS-OXOCNTC] 2.2.2.2.3). */
static uint32_t crc32_iso(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static struct pst_folder *contacts_folder(struct pst_store *s)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].nid == s->contacts)
			return &s->f[i];
	return &s->f[0];
}

/* The common part: class, subject, display name, read flag, times. */
static void common(struct pst_store *s, struct pst_pc *pc, struct pst_rowinfo *ri,
		   const char *klass, const char *name, int64_t when)
{
	char *subj = mf_xasprintf("\x01\x01%s", name);
	pst_pc_str(pc, 0x001A, klass);
	pst_pc_str(pc, 0x0037, subj);
	pst_pc_str(pc, 0x0070, name);
	pst_pc_str(pc, 0x0E1D, name);
	pst_pc_str(pc, 0x3001, name);
	pst_pc_i4(pc, 0x0E07, 0x01);
	pst_pc_i4(pc, 0x0E17, 0);
	pst_pc_i4(pc, 0x0017, 1);
	pst_pc_i4(pc, 0x0036, 0);
	pst_pc_i4(pc, 0x1080, !strcmp(klass, "IPM.DistList") ? 0x0202 : 0x0200);
	memset(ri, 0, sizeof(*ri));
	ri->flags = 0x01;
	ri->importance = 1;
	ri->klass = mf_xstrdup(klass);
	ri->subject = subj;
	ri->topic = mf_xstrdup(name);
	ri->to = mf_xstrdup("");
	ri->cc = mf_xstrdup("");
	ri->modified = pst_filetime(when > 0 ? when : 0);
	(void)s;
}

static void str_nonempty(struct pst_pc *pc, uint16_t id, const char *v)
{
	if (v && *v)
		pst_pc_str(pc, id, v);
}

/* Everything a contact says, from either kind of source. */
struct contact {
	const char *display, *given, *surname, *note, *type, *address;
	const char *const *field; /* MF_PAB_* fields, NULL: none */
	const char *key;          /* search key seed */
	int64_t when;             /* creation time (UTC seconds, 0: unknown) */
};

static int write_contact(struct pst_store *s, const struct contact *c, uint32_t *nid,
			 uint64_t *bytes, struct mf_diag *d)
{
	static const struct { int f; uint16_t id; } fields[] = {
		{ MF_PAB_COMPANY, 0x3A16 }, { MF_PAB_TITLE, 0x3A17 }, { MF_PAB_DEPARTMENT, 0x3A18 },
		{ MF_PAB_OFFICE, 0x3A19 }, { MF_PAB_ASSISTANT, 0x3A30 },
		{ MF_PAB_BUS_NUM, 0x3A08 }, { MF_PAB_BUS2_NUM, 0x3A1B },
		{ MF_PAB_ASSIST_NUM, 0x3A2E }, { MF_PAB_FAX_NUM, 0x3A24 },
		{ MF_PAB_HOME_NUM, 0x3A09 }, { MF_PAB_HOME2_NUM, 0x3A2F },
		{ MF_PAB_MOBILE_NUM, 0x3A1C }, { MF_PAB_PAGER_NUM, 0x3A21 },
		{ MF_PAB_STREET, 0x3A29 }, { MF_PAB_CITY, 0x3A27 }, { MF_PAB_STATE, 0x3A28 },
		{ MF_PAB_ZIP, 0x3A2A }, { MF_PAB_COUNTRY, 0x3A26 },
	};
	struct pst_pc pc;
	struct pst_rowinfo ri;
	struct addr a;
	const char *name = c->display && *c->display ? c->display : c->address ? c->address : "";
	const char *given = c->given, *sur = c->surname;
	char *gbuf = NULL, *sbuf = NULL, *file_as;
	uint8_t key[16];
	uint32_t list[2];
	size_t nlist = 0;
	int rc;

	pst_pc_init(&pc);
	common(s, &pc, &ri, "IPM.Contact", name, c->when);
	if (!(given && *given) && !(sur && *sur) && *name) {
		const char *g, *sn;
		size_t gl, sl;
		mf_name_split(name, &g, &gl, &sn, &sl);
		given = gbuf = gl ? mf_xstrndup(g, gl) : NULL;
		sur = sbuf = sl ? mf_xstrndup(sn, sl) : NULL;
	}
	str_nonempty(&pc, 0x3A06, given);
	str_nonempty(&pc, 0x3A11, sur);
	file_as = sur && *sur && given && *given ? mf_xasprintf("%s, %s", sur, given) :
		  mf_xstrdup(name);
	pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_FILE_UNDER), file_as);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_address, LID_FILE_UNDER_ID),
		  sur && *sur && given && *given ? 0x8017 : 0x3001);
	free(file_as);
	for (size_t i = 0; c->field && i < MF_ARRAY_LEN(fields); i++)
		str_nonempty(&pc, fields[i].id, c->field[fields[i].f]);
	if (c->note && *c->note)
		pst_pc_str(&pc, 0x1000, c->note);
	pst_hash16(key, "contact", c->key);
	pst_pc_bin(&pc, 0x300B, key, 16);
	addr_of(&a, name, c->type, c->address, s->mb);
	if (a.smtp) {
		size_t el;
		uint8_t *eid = pst_one_off(*name ? name : a.smtp, "SMTP", a.smtp, &el);
		char *disp = mf_xasprintf("%s (%s)", name, a.smtp);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL1_DISPLAY), disp);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL1_TYPE), "SMTP");
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL1_ADDR), a.smtp);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL1_ORIG_DISPLAY), a.smtp);
		pst_pc_bin(&pc, pst_named(s, pst_psetid_address, LID_EMAIL1_ORIG_EID), eid, el);
		list[nlist++] = 0;
		free(eid);
		free(disp);
	}
	if (a.legacy) {
		size_t el;
		uint8_t *eid = pst_one_off(*name ? name : a.legacy, a.legacy_type, a.legacy, &el);
		char *disp = mf_xasprintf("%s (%s)", name, a.legacy);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL2_DISPLAY), disp);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL2_TYPE), a.legacy_type);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL2_ADDR), a.legacy);
		pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_EMAIL2_ORIG_DISPLAY), a.legacy);
		pst_pc_bin(&pc, pst_named(s, pst_psetid_address, LID_EMAIL2_ORIG_EID), eid, el);
		list[nlist++] = 1;
		free(eid);
		free(disp);
	}
	if (nlist) {
		uint8_t mv[4 + 2 * 4];
		uint32_t mask = 0;
		pst_w32(mv, (uint32_t)nlist);
		for (size_t i = 0; i < nlist; i++) {
			pst_w32(mv + 4 + 4 * i, list[i]);
			mask |= 1u << list[i];
		}
		pst_pc_bin(&pc, pst_named(s, pst_psetid_address, LID_AB_EMAIL_LIST), mv, 4 + 4 * nlist);
		set_tag_type(&pc, pst_named(s, pst_psetid_address, LID_AB_EMAIL_LIST), PT_MV_I4);
		pst_pc_i4(&pc, pst_named(s, pst_psetid_address, LID_AB_ARRAY_TYPE), mask);
	}
	free(a.smtp);
	free(gbuf);
	free(sbuf);
	rc = pst_store_item(s, contacts_folder(s), &pc, &ri, nid, bytes, d);
	pst_rowinfo_release(&ri);
	return rc;
}

/* One member of a list. */
struct member {
	const char *name, *type, *addr; /* for the one-off entry */
	uint32_t link_nid;               /* an object of this file (0: none) */
	int link_dl;
};

static int write_list(struct pst_store *s, const char *name, const char *note, const char *key,
		      int64_t when, const struct member *m, size_t n, uint32_t *nid,
		      uint64_t *bytes, struct mf_diag *d)
{
	struct pst_pc pc;
	struct pst_rowinfo ri;
	uint8_t **eids = mf_xcalloc(n ? n : 1, sizeof(*eids)), **oos = mf_xcalloc(n ? n : 1, sizeof(*oos));
	size_t *el = mf_xcalloc(n ? n : 1, sizeof(*el)), *ol = mf_xcalloc(n ? n : 1, sizeof(*ol));
	size_t total = 0, k = 0;
	uint32_t crc = 0;
	uint8_t skey[16];
	int rc;

	pst_pc_init(&pc);
	common(s, &pc, &ri, "IPM.DistList", name, when);
	pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_DL_NAME), name);
	pst_pc_str(&pc, pst_named(s, pst_psetid_address, LID_FILE_UNDER), name);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_address, LID_FILE_UNDER_ID), 0x3001);
	if (note && *note)
		pst_pc_str(&pc, 0x1000, note);
	pst_hash16(skey, "distlist", key);
	pst_pc_bin(&pc, 0x300B, skey, 16);
	for (size_t i = 0; i < n; i++) {
		oos[k] = pst_one_off(m[i].name && *m[i].name ? m[i].name : m[i].addr, m[i].type,
				     m[i].addr, &ol[k]);
		if (m[i].link_nid) {
			uint8_t *w = mf_xmalloc(21 + 24);
			memset(w, 0, 4);
			memcpy(w + 4, wrapped_uid, 16);
			w[20] = m[i].link_dl ? 0x84 : 0x83;
			memset(w + 21, 0, 4);
			memcpy(w + 25, s->uid, 16);
			pst_w32(w + 41, m[i].link_nid);
			eids[k] = w;
			el[k] = 45;
		} else {
			eids[k] = mf_xmemdup(oos[k], ol[k]);
			el[k] = ol[k];
		}
		/* the members must stay under 15,000 bytes: the rest are left out */
		if (total + el[k] + 4 > MAX_DL_BYTES) {
			free(oos[k]);
			free(eids[k]);
			break;
		}
		total += el[k] + 4;
		crc = crc32_iso(crc, eids[k], el[k]);
		k++;
	}
	pc_mv_bin(&pc, pst_named(s, pst_psetid_address, LID_DL_MEMBERS), eids, el, k);
	pc_mv_bin(&pc, pst_named(s, pst_psetid_address, LID_DL_ONEOFF), oos, ol, k);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_address, LID_DL_CHECKSUM), crc);
	for (size_t i = 0; i < k; i++) {
		free(eids[i]);
		free(oos[i]);
	}
	free(eids);
	free(oos);
	free(el);
	free(ol);
	rc = pst_store_item(s, contacts_folder(s), &pc, &ri, nid, bytes, d);
	pst_rowinfo_release(&ri);
	return rc;
}

int pst_store_pab(struct pst_store *s, struct mf_store *st, const struct mf_pab_entry *e,
		  size_t n, uint64_t *bytes, struct mf_diag *d)
{
	uint32_t *nids = mf_xcalloc(n ? n : 1, sizeof(*nids));
	struct mf_arena a = MF_ARENA_INIT;
	uint64_t b;
	int rc = MF_OK;

	*bytes = 0;
	for (int pass = 0; pass < 2 && rc == MF_OK; pass++)
		for (size_t i = 0; i < n && rc == MF_OK; i++) {
			int dl = e[i].kind && !strcmp(e[i].kind, "dl");
			char key[64];
			int64_t when = mf_store_dav_file_time(st, e[i].src_file_id,
							      s->mb ? s->mb->source_id : 0);
			snprintf(key, sizeof(key), "pab\n%d", e[i].position);
			if (dl != pass)
				continue;
			if (!dl) {
				struct contact c = { e[i].display_name, e[i].field[MF_PAB_FIRST],
						     e[i].field[MF_PAB_LAST], e[i].field[MF_PAB_NOTE],
						     e[i].address_type, e[i].address, e[i].field, key,
						     when };
				rc = write_contact(s, &c, &nids[i], &b, d);
			} else {
				struct member *m = mf_xcalloc(e[i].n_members ? e[i].n_members : 1,
							      sizeof(*m));
				char **own = mf_xcalloc(e[i].n_members ? e[i].n_members : 1, sizeof(*own));
				for (size_t k = 0; k < e[i].n_members && rc == MF_OK; k++) {
					const struct mf_pab_member *pm = &e[i].members[k];
					const char *type = NULL, *addr = NULL;
					struct addr ad;
					m[k].name = pm->address;
					m[k].addr = pm->address;
					m[k].type = "SMTP";
					for (size_t j = 0; j < n && pm->member_pab_id; j++)
						if (e[j].id == pm->member_pab_id) {
							m[k].link_nid = nids[j];
							m[k].link_dl = e[j].kind && !strcmp(e[j].kind, "dl");
							m[k].name = e[j].display_name;
							type = e[j].address_type;
							addr = e[j].address;
						}
					if (!addr && pm->entry_id &&
					    mf_store_dav_entry_address(&type, &addr, st, pm->entry_id, &a,
								       d) < 0)
						rc = MF_ESTORE;
					if (!addr)
						addr = pm->address;
					addr_of(&ad, m[k].name, type, addr, s->mb);
					if (ad.smtp) {
						m[k].addr = own[k] = ad.smtp;
					} else {
						m[k].type = type && *type ? type : "X-UNKNOWN";
						m[k].addr = addr;
					}
				}
				if (rc == MF_OK)
					rc = write_list(s, e[i].display_name, e[i].field[MF_PAB_NOTE], key,
							when, m, e[i].n_members, &nids[i], &b, d);
				for (size_t k = 0; k < e[i].n_members; k++)
					free(own[k]);
				free(own);
				free(m);
			}
			*bytes += b;
		}
	free(nids);
	mf_arena_release(&a);
	return rc;
}

int pst_store_directory(struct pst_store *s, struct mf_store *st, size_t *count, struct mf_diag *d)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_store_dav_dir_row *r;
	uint32_t *nids;
	size_t n;
	uint64_t b;
	int rc;

	*count = 0;
	if ((rc = mf_store_dav_directory(&r, &n, st, &a, d)) < 0) {
		mf_arena_release(&a);
		return rc;
	}
	nids = mf_xcalloc(n ? n : 1, sizeof(*nids));
	for (int pass = 0; pass < 2 && rc == MF_OK; pass++)
		for (size_t i = 0; i < n && rc == MF_OK; i++) {
			int dl = r[i].kind && !strcmp(r[i].kind, "list");
			const char *name = r[i].display_name && *r[i].display_name ? r[i].display_name :
					   r[i].name ? r[i].name : "";
			char *key = mf_xasprintf("dir\n%s\n%s\n%s\n%s", r[i].network ? r[i].network : "",
						 r[i].postoffice ? r[i].postoffice : "",
						 r[i].kind ? r[i].kind : "", r[i].name ? r[i].name : "");
			if (dl != pass) {
				free(key);
				continue;
			}
			if (!dl) {
				struct contact c = { name, r[i].given_name, r[i].surname, r[i].comments,
						     r[i].address_type, r[i].address, NULL, key,
						     r[i].rev };
				rc = write_contact(s, &c, &nids[i], &b, d);
			} else {
				struct mf_store_dav_member_row *mr;
				size_t nm;
				rc = mf_store_dav_list_members(&mr, &nm, st, r[i].id, &a, d);
				if (rc == MF_OK) {
					struct member *m = mf_xcalloc(nm ? nm : 1, sizeof(*m));
					char **own = mf_xcalloc(nm ? nm : 1, sizeof(*own));
					for (size_t k = 0; k < nm; k++) {
						const char *type = mr[k].entry_type;
						const char *addr = mr[k].entry_address ? mr[k].entry_address :
								   mr[k].address;
						struct addr ad;
						m[k].name = mr[k].address;
						for (size_t j = 0; j < n && mr[k].entry_id; j++)
							if (r[j].id == mr[k].entry_id && nids[j]) {
								m[k].link_nid = nids[j];
								m[k].link_dl = r[j].kind &&
									       !strcmp(r[j].kind, "list");
								m[k].name = r[j].display_name &&
									    *r[j].display_name ?
									    r[j].display_name : r[j].name;
							}
						addr_of(&ad, m[k].name, type, addr, NULL);
						m[k].type = "SMTP";
						if (ad.smtp) {
							m[k].addr = own[k] = ad.smtp;
						} else {
							m[k].type = type && *type ? type : "X-UNKNOWN";
							m[k].addr = addr;
						}
					}
					rc = write_list(s, name, r[i].comments, key, r[i].rev, m, nm,
							&nids[i], &b, d);
					for (size_t k = 0; k < nm; k++)
						free(own[k]);
					free(own);
					free(m);
				}
			}
			free(key);
			if (rc == MF_OK)
				(*count)++;
		}
	free(nids);
	mf_arena_release(&a);
	return rc;
}
