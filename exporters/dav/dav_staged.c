/* SPDX-License-Identifier: MIT */
/*
 * dav_staged.c: the staged data the vCard, CardDAV and CalDAV exporters
 * need beyond what the export driver hands them (see dav.h).  Every query
 * of exporters/dav/ is in this file; each function is one driver call to
 * be (the post office directory with list members, a time for REV, a
 * mailbox's address book and calendar outside an export run).
 */
#include "exporters/dav/dav.h"
#include "exporters/files/ical.h"
#include "core/alias.h"

#include <stdlib.h>
#include <string.h>

/* Internet address: '@' inside and not the cc:Mail "name at PO" form. */
static int is_internet(const char *type, const char *addr)
{
	if (!addr || !*addr)
		return 0;
	if (type && *type)
		return mf_strcaseeq(type, "SMTP") || mf_strcaseeq(type, "INTERNET");
	return strchr(addr, '@') && !strstr(addr, " at ") && !strchr(addr, ' ');
}

/* given/surname: the staged ones, else the display name split. */
static void names(struct mf_vcard_card *c, struct mf_arena *a, const char *given,
		  const char *sur, const char *display)
{
	const char *g = NULL, *s = NULL;
	size_t gl = 0, sl = 0;
	if ((given && *given) || (sur && *sur)) {
		c->given = given;
		c->surname = sur;
		return;
	}
	if (!display || !*display)
		return;
	mf_name_split(display, &g, &gl, &s, &sl);
	c->given = gl ? mf_arena_strndup(a, g, gl) : NULL;
	c->surname = sl ? mf_arena_strndup(a, s, sl) : NULL;
}

static int64_t file_time(struct mf_store *st, int64_t file_id, int64_t source_id)
{
	static const char q[] =
		"SELECT coalesce((SELECT imported_at FROM source_files WHERE id = ?1), "
		"(SELECT created_at FROM sources WHERE id = ?2), 0)";
	sqlite3_stmt *s = mf_store_stmt(st, q, NULL);
	int64_t t = 0;
	if (!s)
		return 0;
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, source_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		t = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return t;
}

int mf_dav_pab_cards(struct mf_store *st, const struct mf_mailbox *mb,
		     const struct mf_pab_entry *e, size_t n, struct mf_dav_card **out,
		     struct mf_arena *a, struct mf_diag *diag)
{
	static const char q_entry[] = "SELECT address_type, address FROM dir_entries WHERE id = ?1";
	struct mf_dav_card *cards = mf_arena_zalloc(a, (n ? n : 1) * sizeof(*cards));

	for (size_t i = 0; i < n; i++) {
		char *name = mf_xasprintf("pab\n%s\n%d", mb->source_address ? mb->source_address : "",
					  e[i].position);
		mf_uuid5(cards[i].uuid, name, strlen(name));
		free(name);
		cards[i].item_id = e[i].id;
	}
	for (size_t i = 0; i < n; i++) {
		struct mf_vcard_card *c = &cards[i].c;
		const char *const *f = e[i].field;
		c->uuid = cards[i].uuid;
		c->group = e[i].kind && !strcmp(e[i].kind, "dl");
		c->fn = e[i].display_name;
		c->note = f[MF_PAB_NOTE];
		c->rev = file_time(st, e[i].src_file_id, mb->source_id);
		if (!c->group) {
			names(c, a, f[MF_PAB_FIRST], f[MF_PAB_LAST], e[i].display_name);
			if (is_internet(e[i].address_type, e[i].address)) {
				c->email = e[i].address;
			} else if (e[i].address && *e[i].address) {
				c->legacy_type = e[i].address_type;
				c->legacy = e[i].address;
			}
			c->title = f[MF_PAB_TITLE];
			c->org = f[MF_PAB_COMPANY];
			c->department = f[MF_PAB_DEPARTMENT];
			c->office = f[MF_PAB_OFFICE];
			c->assistant = f[MF_PAB_ASSISTANT];
			c->street = f[MF_PAB_STREET];
			c->city = f[MF_PAB_CITY];
			c->region = f[MF_PAB_STATE];
			c->zip = f[MF_PAB_ZIP];
			c->country = f[MF_PAB_COUNTRY];
			c->tel_work = f[MF_PAB_BUS_NUM];
			c->tel_work2 = f[MF_PAB_BUS2_NUM];
			c->tel_assistant = f[MF_PAB_ASSIST_NUM];
			c->tel_fax = f[MF_PAB_FAX_NUM];
			c->tel_home = f[MF_PAB_HOME_NUM];
			c->tel_home2 = f[MF_PAB_HOME2_NUM];
			c->tel_cell = f[MF_PAB_MOBILE_NUM];
			c->tel_pager = f[MF_PAB_PAGER_NUM];
			continue;
		}
		{
			struct mf_vcard_member *m =
				mf_arena_zalloc(a, (e[i].n_members ? e[i].n_members : 1) * sizeof(*m));
			for (size_t k = 0; k < e[i].n_members; k++) {
				const struct mf_pab_member *pm = &e[i].members[k];
				const char *type = NULL, *addr = NULL;
				for (size_t j = 0; j < n && pm->member_pab_id && !m[k].uuid; j++)
					if (e[j].id == pm->member_pab_id)
						m[k].uuid = cards[j].uuid;
				if (m[k].uuid)
					continue;
				if (pm->entry_id) {
					sqlite3_stmt *s = mf_store_stmt(st, q_entry, diag);
					if (!s)
						return MF_ESTORE;
					sqlite3_bind_int64(s, 1, pm->entry_id);
					if (sqlite3_step(s) == SQLITE_ROW) {
						type = mf_store_col_text(s, 0, a);
						addr = mf_store_col_text(s, 1, a);
					}
					sqlite3_reset(s);
				}
				if (is_internet(type, addr))
					m[k].email = addr;
				else if (!type && is_internet(NULL, pm->address))
					m[k].email = pm->address;
				else
					m[k].legacy = pm->address;
			}
			c->members = m;
			c->n_members = e[i].n_members;
		}
	}
	*out = cards;
	return MF_OK;
}

static const char SQL_DIR[] =
	"SELECT e.id, e.kind, e.name, e.display_name, e.given_name, e.surname, e.address_type, "
	"e.address, e.comments, ifnull(s.postoffice, ''), ifnull(s.network, ''), "
	"coalesce(f.imported_at, s.created_at, 0) FROM dir_entries e "
	"JOIN sources s ON s.id = e.source_id LEFT JOIN source_files f ON f.id = e.src_file_id "
	"WHERE e.kind = 'custom' OR e.kind = 'list' ORDER BY e.id";
static const char SQL_DIR_MEMBERS[] =
	"SELECT m.address, ifnull(m.entry_id, 0), d.address_type, d.address FROM list_members m "
	"LEFT JOIN dir_entries d ON d.id = m.entry_id WHERE m.list_id = ?1 ORDER BY m.position";

int mf_dav_directory_cards(struct mf_store *st, struct mf_dav_card **out, size_t *n_out,
			   struct mf_arena *a, struct mf_diag *diag)
{
	struct mf_dav_card *cards = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, SQL_DIR, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_dav_card *d;
		struct mf_vcard_card *c;
		const char *kind, *name, *type, *addr, *disp;
		char *key;
		if (n == cap) {
			struct mf_dav_card *nc;
			cap = cap ? cap * 2 : 32;
			nc = mf_arena_zalloc(a, cap * sizeof(*nc));
			if (n)
				memcpy(nc, cards, n * sizeof(*nc));
			cards = nc;
		}
		d = &cards[n++];
		c = &d->c;
		d->item_id = sqlite3_column_int64(s, 0);
		kind = mf_store_col_text(s, 1, a);
		name = mf_store_col_text(s, 2, a);
		disp = mf_store_col_text(s, 3, a);
		type = mf_store_col_text(s, 6, a);
		addr = mf_store_col_text(s, 7, a);
		key = mf_xasprintf("dir\n%s\n%s\n%s\n%s", (const char *)sqlite3_column_text(s, 10),
				   (const char *)sqlite3_column_text(s, 9), kind, name);
		mf_uuid5(d->uuid, key, strlen(key));
		free(key);
		c->group = !strcmp(kind, "list");
		c->fn = disp && *disp ? disp : name;
		c->note = mf_store_col_text(s, 8, a);
		c->rev = sqlite3_column_int64(s, 11);
		if (!c->group)
			names(c, a, mf_store_col_text(s, 4, a), mf_store_col_text(s, 5, a), c->fn);
		if (is_internet(type, addr)) {
			c->email = addr;
		} else if (addr && *addr) {
			c->legacy_type = type;
			c->legacy = addr;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the directory");
	for (size_t i = 0; i < n; i++) {
		struct mf_vcard_member *m = NULL;
		size_t nm = 0;
		cards[i].c.uuid = cards[i].uuid;
		if (!cards[i].c.group)
			continue;
		if (!(s = mf_store_stmt(st, SQL_DIR_MEMBERS, diag)))
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, cards[i].item_id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t eid = sqlite3_column_int64(s, 1);
			const char *wr = mf_store_col_text(s, 0, a);
			const char *type = mf_store_col_text(s, 2, a);
			const char *addr = mf_store_col_text(s, 3, a);
			struct mf_vcard_member *nmv = mf_arena_zalloc(a, (nm + 1) * sizeof(*nmv));
			if (nm)
				memcpy(nmv, m, nm * sizeof(*nmv));
			m = nmv;
			for (size_t j = 0; j < n && eid && !m[nm].uuid; j++)
				if (cards[j].item_id == eid)
					m[nm].uuid = cards[j].uuid;
			if (!m[nm].uuid) {
				if (is_internet(type, addr))
					m[nm].email = addr;
				else if (!type && is_internet(NULL, wr))
					m[nm].email = wr;
				else
					m[nm].legacy = wr;
			}
			nm++;
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			return mf_store_fail(st, diag, "cannot read list members");
		cards[i].c.members = m;
		cards[i].c.n_members = nm;
	}
	*out = cards;
	*n_out = n;
	return MF_OK;
}

static const char SQL_PAB[] =
	"SELECT id, position, kind, display_name, address_type, address, first_name, last_name, "
	"street, city, state, zip, country, title, company, department, office, assistant, bus_num, "
	"bus2_num, assist_num, fax_num, home_num, home2_num, mobile_num, pager_num, note, "
	"ifnull(src_file_id, 0), ifnull(src_offset, -1) FROM pab_entries WHERE mailbox_id = ?1 "
	"ORDER BY position";
static const char SQL_PABM[] =
	"SELECT address, ifnull(member_pab_id, 0), ifnull(entry_id, 0) FROM pab_members "
	"WHERE pab_id = ?1 ORDER BY position";

int mf_dav_pab_load(struct mf_store *st, int64_t mailbox_id, struct mf_pab_entry **out,
		    size_t *n_out, struct mf_arena *a, struct mf_diag *diag)
{
	struct mf_pab_entry *e = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PAB, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_pab_entry *p;
		if (n == cap) {
			struct mf_pab_entry *ne;
			cap = cap ? cap * 2 : 16;
			ne = mf_arena_zalloc(a, cap * sizeof(*ne));
			if (n)
				memcpy(ne, e, n * sizeof(*ne));
			e = ne;
		}
		p = &e[n++];
		p->id = sqlite3_column_int64(s, 0);
		p->mailbox_id = mailbox_id;
		p->position = sqlite3_column_int(s, 1);
		p->kind = mf_store_col_text(s, 2, a);
		p->display_name = mf_store_col_text(s, 3, a);
		p->address_type = mf_store_col_text(s, 4, a);
		p->address = mf_store_col_text(s, 5, a);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			p->field[f] = mf_store_col_text(s, 6 + f, a);
		p->src_file_id = sqlite3_column_int64(s, 27);
		p->src_offset = sqlite3_column_int64(s, 28);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load address book");
	for (size_t i = 0; i < n; i++) {
		size_t m = 0;
		if (!(s = mf_store_stmt(st, SQL_PABM, diag)))
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, e[i].id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			struct mf_pab_member *nm = mf_arena_zalloc(a, (m + 1) * sizeof(*nm));
			if (m)
				memcpy(nm, e[i].members, m * sizeof(*nm));
			e[i].members = nm;
			nm[m].address = mf_store_col_text(s, 0, a);
			nm[m].member_pab_id = sqlite3_column_int64(s, 1);
			nm[m].entry_id = sqlite3_column_int64(s, 2);
			m++;
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			return mf_store_fail(st, diag, "cannot load address book members");
		e[i].n_members = m;
	}
	*out = e;
	*n_out = n;
	return MF_OK;
}

int mf_dav_cal_load(struct mf_store *st, int64_t mailbox_id, struct mf_dav_cal **out,
		    size_t *n_out, struct mf_arena *a, struct mf_diag *diag)
{
	static const char q[] =
		"SELECT id, uid, ical, ifnull(dtstart_utc, 0) FROM calendar_items "
		"WHERE mailbox_id = ?1 ORDER BY id";
	struct mf_dav_cal *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, q, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct mf_dav_cal *nv;
			cap = cap ? cap * 2 : 16;
			nv = mf_arena_zalloc(a, cap * sizeof(*nv));
			if (n)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].uid = mf_store_col_text(s, 1, a);
		v[n].ical = mf_store_col_text(s, 2, a);
		v[n].dtstart = sqlite3_column_int64(s, 3);
		n++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load calendar items");
	*out = v;
	*n_out = n;
	return MF_OK;
}

int mf_dav_cal_resource(struct mf_buf *out, const char *name, const char *ical,
			int64_t dtstart, struct mf_diag *diag)
{
	struct mf_ical_cal *cal = mf_ical_cal_new(name);
	int rc = mf_ical_cal_add(cal, ical, dtstart, diag);
	if (rc == MF_OK)
		rc = mf_ical_cal_write(cal, out, diag);
	mf_ical_cal_free(&cal);
	return rc;
}
