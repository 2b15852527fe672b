/* SPDX-License-Identifier: MIT */
/*
 * dav_staged.c: the staged data the vCard, CardDAV and CalDAV exporters
 * need beyond what the export driver hands them (see dav.h), built into
 * cards from the rows of core/store_dav.c (the queries live there).
 */
#include "exporters/dav/dav.h"
#include "core/store_dav.h"
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

int mf_dav_pab_cards(struct mf_store *st, const struct mf_mailbox *mb,
		     const struct mf_pab_entry *e, size_t n, struct mf_dav_card **out,
		     struct mf_arena *a, struct mf_diag *diag)
{
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
		c->rev = mf_store_dav_file_time(st, e[i].src_file_id, mb->source_id);
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
				if (pm->entry_id &&
				    mf_store_dav_entry_address(&type, &addr, st, pm->entry_id, a, diag) < 0)
					return MF_ESTORE;
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

int mf_dav_directory_cards(struct mf_store *st, struct mf_dav_card **out, size_t *n_out,
			   struct mf_arena *a, struct mf_diag *diag)
{
	struct mf_store_dav_dir_row *r;
	struct mf_dav_card *cards;
	size_t n;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_store_dav_directory(&r, &n, st, a, diag)) < 0)
		return rc;
	cards = mf_arena_zalloc(a, (n ? n : 1) * sizeof(*cards));
	for (size_t i = 0; i < n; i++) {
		struct mf_dav_card *d = &cards[i];
		struct mf_vcard_card *c = &d->c;
		const char *kind = r[i].kind ? r[i].kind : "";
		const char *name = r[i].name ? r[i].name : "";
		char *key;
		d->item_id = r[i].id;
		key = mf_xasprintf("dir\n%s\n%s\n%s\n%s", r[i].network ? r[i].network : "",
				   r[i].postoffice ? r[i].postoffice : "", kind, name);
		mf_uuid5(d->uuid, key, strlen(key));
		free(key);
		c->group = !strcmp(kind, "list");
		c->fn = r[i].display_name && *r[i].display_name ? r[i].display_name : r[i].name;
		c->note = r[i].comments;
		c->rev = r[i].rev;
		if (!c->group)
			names(c, a, r[i].given_name, r[i].surname, c->fn);
		if (is_internet(r[i].address_type, r[i].address)) {
			c->email = r[i].address;
		} else if (r[i].address && *r[i].address) {
			c->legacy_type = r[i].address_type;
			c->legacy = r[i].address;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct mf_store_dav_member_row *mr;
		struct mf_vcard_member *m;
		size_t nm;
		cards[i].c.uuid = cards[i].uuid;
		if (!cards[i].c.group)
			continue;
		if ((rc = mf_store_dav_list_members(&mr, &nm, st, cards[i].item_id, a, diag)) < 0)
			return rc;
		m = mf_arena_zalloc(a, (nm ? nm : 1) * sizeof(*m));
		for (size_t k = 0; k < nm; k++) {
			for (size_t j = 0; j < n && mr[k].entry_id && !m[k].uuid; j++)
				if (cards[j].item_id == mr[k].entry_id)
					m[k].uuid = cards[j].uuid;
			if (m[k].uuid)
				continue;
			if (is_internet(mr[k].entry_type, mr[k].entry_address))
				m[k].email = mr[k].entry_address;
			else if (!mr[k].entry_type && is_internet(NULL, mr[k].address))
				m[k].email = mr[k].address;
			else
				m[k].legacy = mr[k].address;
		}
		cards[i].c.members = m;
		cards[i].c.n_members = nm;
	}
	*out = cards;
	*n_out = n;
	return MF_OK;
}

int mf_dav_pab_load(struct mf_store *st, int64_t mailbox_id, struct mf_pab_entry **out,
		    size_t *n_out, struct mf_arena *a, struct mf_diag *diag)
{
	return mf_store_dav_pab(out, n_out, st, mailbox_id, a, diag);
}

int mf_dav_cal_load(struct mf_store *st, int64_t mailbox_id, struct mf_store_cal_row **out,
		    size_t *n_out, struct mf_arena *a, struct mf_diag *diag)
{
	return mf_store_dav_calendar(out, n_out, st, mailbox_id, a, diag);
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
