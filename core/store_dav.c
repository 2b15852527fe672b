/* SPDX-License-Identifier: MIT */
/* store_dav.c: the queries of the vCard, CardDAV and CalDAV exporters (see store_dav.h). */
#include "core/store_dav.h"
#include "core/store_priv.h"

#include <string.h>

/* Grow *arr (elements of size sz, capacity *cap) for one more row. */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz, struct mf_arena *a)
{
	void *bigger;
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	bigger = mf_arena_zalloc(a, *cap * sz);
	if (n)
		memcpy(bigger, arr, n * sz);
	return bigger;
}

int64_t mf_store_dav_file_time(struct mf_store *st, int64_t file_id, int64_t source_id)
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

int mf_store_dav_entry_address(const char **type, const char **address, struct mf_store *st,
			       int64_t entry_id, struct mf_arena *arena, struct mf_diag *diag)
{
	static const char q[] = "SELECT address_type, address FROM dir_entries WHERE id = ?1";
	sqlite3_stmt *s = mf_store_stmt(st, q, diag);
	int step;

	*type = NULL;
	*address = NULL;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, entry_id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*type = mf_store_col_text(s, 0, arena);
		*address = mf_store_col_text(s, 1, arena);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read a directory entry");
	return MF_OK;
}

static const char SQL_DIR[] =
	"SELECT e.id, e.kind, e.name, e.display_name, e.given_name, e.surname, e.address_type, "
	"e.address, e.comments, ifnull(s.postoffice, ''), ifnull(s.network, ''), "
	"coalesce(f.imported_at, s.created_at, 0) FROM dir_entries e "
	"JOIN sources s ON s.id = e.source_id LEFT JOIN source_files f ON f.id = e.src_file_id "
	"WHERE e.kind = 'custom' OR e.kind = 'list' ORDER BY e.id";

int mf_store_dav_directory(struct mf_store_dav_dir_row **out, size_t *n_out, struct mf_store *st,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_store_dav_dir_row *r = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, SQL_DIR, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_dav_dir_row *d;
		r = grow(r, n, &cap, sizeof(*r), arena);
		d = &r[n++];
		d->id = sqlite3_column_int64(s, 0);
		d->kind = mf_store_col_text(s, 1, arena);
		d->name = mf_store_col_text(s, 2, arena);
		d->display_name = mf_store_col_text(s, 3, arena);
		d->given_name = mf_store_col_text(s, 4, arena);
		d->surname = mf_store_col_text(s, 5, arena);
		d->address_type = mf_store_col_text(s, 6, arena);
		d->address = mf_store_col_text(s, 7, arena);
		d->comments = mf_store_col_text(s, 8, arena);
		d->postoffice = mf_store_col_text(s, 9, arena);
		d->network = mf_store_col_text(s, 10, arena);
		d->rev = sqlite3_column_int64(s, 11);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the directory");
	*out = r;
	*n_out = n;
	return MF_OK;
}

int mf_store_dav_list_members(struct mf_store_dav_member_row **out, size_t *n_out,
			      struct mf_store *st, int64_t list_id, struct mf_arena *arena,
			      struct mf_diag *diag)
{
	static const char q[] =
		"SELECT m.address, ifnull(m.entry_id, 0), d.address_type, d.address FROM list_members m "
		"LEFT JOIN dir_entries d ON d.id = m.entry_id WHERE m.list_id = ?1 ORDER BY m.position";
	struct mf_store_dav_member_row *r = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, q, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, list_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		r = grow(r, n, &cap, sizeof(*r), arena);
		r[n].address = mf_store_col_text(s, 0, arena);
		r[n].entry_id = sqlite3_column_int64(s, 1);
		r[n].entry_type = mf_store_col_text(s, 2, arena);
		r[n].entry_address = mf_store_col_text(s, 3, arena);
		n++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read list members");
	*out = r;
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

int mf_store_dav_pab(struct mf_pab_entry **out, size_t *n_out, struct mf_store *st,
		     int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag)
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
		e = grow(e, n, &cap, sizeof(*e), arena);
		p = &e[n++];
		p->id = sqlite3_column_int64(s, 0);
		p->mailbox_id = mailbox_id;
		p->position = sqlite3_column_int(s, 1);
		p->kind = mf_store_col_text(s, 2, arena);
		p->display_name = mf_store_col_text(s, 3, arena);
		p->address_type = mf_store_col_text(s, 4, arena);
		p->address = mf_store_col_text(s, 5, arena);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			p->field[f] = mf_store_col_text(s, 6 + f, arena);
		p->src_file_id = sqlite3_column_int64(s, 27);
		p->src_offset = sqlite3_column_int64(s, 28);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load address book");
	for (size_t i = 0; i < n; i++) {
		size_t m = 0, mcap = 0;
		struct mf_pab_member *mem = NULL;
		if (!(s = mf_store_stmt(st, SQL_PABM, diag)))
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, e[i].id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			mem = grow(mem, m, &mcap, sizeof(*mem), arena);
			mem[m].address = mf_store_col_text(s, 0, arena);
			mem[m].member_pab_id = sqlite3_column_int64(s, 1);
			mem[m].entry_id = sqlite3_column_int64(s, 2);
			m++;
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			return mf_store_fail(st, diag, "cannot load address book members");
		e[i].members = mem;
		e[i].n_members = m;
	}
	*out = e;
	*n_out = n;
	return MF_OK;
}

int mf_store_dav_calendar(struct mf_store_cal_row **out, size_t *n_out, struct mf_store *st,
			  int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag)
{
	static const char q[] =
		"SELECT id, uid, ical, ifnull(dtstart_utc, 0) FROM calendar_items "
		"WHERE mailbox_id = ?1 ORDER BY id";
	struct mf_store_cal_row *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = mf_store_stmt(st, q, diag);
	int step;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		v = grow(v, n, &cap, sizeof(*v), arena);
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].uid = mf_store_col_text(s, 1, arena);
		v[n].ical = mf_store_col_text(s, 2, arena);
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
