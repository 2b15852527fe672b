/* SPDX-License-Identifier: MIT */
/*
 * plan_read.c: reading the plan, and the plan as JSON
 * (see plan.c and plan_priv.h).
 */
#include "engine/plan_priv.h"

/* ---- reading the plan ---- */

static const char SQL_PM_GET[] =
	"SELECT m.kind, m.alias, m.source_address, p.action, p.object_id, o.class, o.alias, "
	"o.display_name, p.conflict, p.message, p.mailbox_id IS NOT NULL "
	"FROM mailboxes m LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id WHERE m.id = ?1";

int mf_plan_mailbox_action(struct mf_store *st, struct mf_plan_entry *out,
			   int64_t mailbox_id, struct mf_arena *arena,
			   struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PM_GET, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *kind = mf_pl_col(s, 0);
		out->planned = sqlite3_column_int(s, 10);
		out->alias = mf_store_col_text(s, 1, arena);
		out->address = mf_store_col_text(s, 2, arena);
		if (out->planned) {
			out->action = mf_pl_action_parse(mf_pl_col(s, 3));
			out->object_id = sqlite3_column_int64(s, 4);
			out->object_class = mf_store_col_text(s, 5, arena);
			out->object_alias = mf_store_col_text(s, 6, arena);
			out->object_display_name = mf_store_col_text(s, 7, arena);
			out->conflict = mf_store_col_text(s, 8, arena);
			out->message = mf_store_col_text(s, 9, arena);
		} else {
			out->action = kind && !strcmp(kind, "public") ? MF_PLAN_PUBLIC : MF_PLAN_CREATE;
			out->message = "not planned yet: the default applies";
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox %lld", (long long)mailbox_id);
	if (rc != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot read plan");
	return MF_OK;
}

static const char SQL_PR_GET[] =
	"SELECT e.kind, e.address_type, e.address, p.action, p.alias, p.address, p.object_id, "
	"o.class, o.alias, o.display_name, p.message, p.entry_id IS NOT NULL "
	"FROM dir_entries e LEFT JOIN plan_recipients p ON p.entry_id = e.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id "
	"WHERE e.id = ?1 AND e.kind IN ('custom', 'list')";

static const char *entry_address(struct mf_arena *a, const char *type, const char *addr)
{
	char *t, *r;
	if (!addr || !*addr)
		return NULL;
	t = type && *type ? mf_xasprintf("%s:%s", type, addr) : mf_xstrdup(addr);
	r = mf_arena_strdup(a, t);
	free(t);
	return r;
}

int mf_plan_recipient_action(struct mf_store *st, struct mf_plan_entry *out,
			     int64_t entry_id, struct mf_arena *arena,
			     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PR_GET, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, entry_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int list = mf_pl_col(s, 0) && !strcmp(mf_pl_col(s, 0), "list");
		out->planned = sqlite3_column_int(s, 11);
		if (out->planned) {
			out->action = mf_pl_action_parse(mf_pl_col(s, 3));
			out->alias = mf_store_col_text(s, 4, arena);
			out->address = mf_store_col_text(s, 5, arena);
			out->object_id = sqlite3_column_int64(s, 6);
			out->object_class = mf_store_col_text(s, 7, arena);
			out->object_alias = mf_store_col_text(s, 8, arena);
			out->object_display_name = mf_store_col_text(s, 9, arena);
			out->message = mf_store_col_text(s, 10, arena);
		} else {
			out->address = entry_address(arena, mf_pl_col(s, 1), mf_pl_col(s, 2));
			out->action = (list || out->address) ? MF_PLAN_CREATE : MF_PLAN_SKIP;
			out->message = "not planned yet: the default applies";
		}
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no custom recipient or list %lld", (long long)entry_id);
	if (rc != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot read plan");
	return MF_OK;
}

static const char SQL_OBJECTS[] =
	"SELECT e.id, e.kind, e.name, e.display_name, e.given_name, e.surname, e.address_type, "
	"e.address, p.action, p.alias, p.address, p.message, p.entry_id IS NOT NULL "
	"FROM dir_entries e LEFT JOIN plan_recipients p ON p.entry_id = e.id "
	"WHERE e.kind IN ('custom', 'list') ORDER BY e.id";

int mf_plan_objects(struct mf_store *st, struct mf_plan_object **out, size_t *n_out,
		    struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct mf_plan_object *v = NULL;
	size_t n = 0, cap = 0;
	int rc, step;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_pl_prep(st, &s, SQL_OBJECTS, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_plan_object *o;
		if (n == cap) {
			struct mf_plan_object *nv;
			cap = cap ? cap * 2 : 64;
			nv = mf_arena_alloc(arena, cap * sizeof(*nv));
			if (n)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		o = &v[n++];
		memset(o, 0, sizeof(*o));
		o->entry_id = sqlite3_column_int64(s, 0);
		o->kind = mf_store_col_text(s, 1, arena);
		o->name = mf_store_col_text(s, 2, arena);
		o->display_name = mf_store_col_text(s, 3, arena);
		if (!o->display_name)
			o->display_name = o->name;
		o->given_name = mf_store_col_text(s, 4, arena);
		o->surname = mf_store_col_text(s, 5, arena);
		if (sqlite3_column_int(s, 12)) {
			o->action = mf_pl_action_parse(mf_pl_col(s, 8));
			o->alias = mf_store_col_text(s, 9, arena);
			o->address = mf_store_col_text(s, 10, arena);
			o->message = mf_store_col_text(s, 11, arena);
		} else {
			o->address = entry_address(arena, mf_pl_col(s, 6), mf_pl_col(s, 7));
			o->action = (!strcmp(o->kind, "list") || o->address) ? MF_PLAN_CREATE : MF_PLAN_SKIP;
			o->message = "not planned yet: the default applies";
		}
	}
	if (step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot read plan");
	sqlite3_finalize(s);
	if (rc == MF_OK) {
		*out = v;
		*n_out = n;
	}
	return rc;
}

/* ---- JSON ---- */

static const char SQL_JSON_MB[] =
	"SELECT m.alias, m.display_name, m.source_address, m.kind, p.action, p.alias_from, "
	"o.class, o.alias, o.display_name, p.conflict, p.message, m.name "
	"FROM mailboxes m LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id ORDER BY m.alias COLLATE NOCASE, m.id";
static const char SQL_JSON_PR[] =
	"SELECT e.kind, e.name, p.address, p.action, p.alias, p.message "
	"FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id ORDER BY e.kind, e.id";

int mf_plan_json(struct mf_store *st, struct mf_buf *b,
		 const struct mf_plan_totals *totals, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step, first = 1;
	struct mf_plan_totals t;

	if (totals) {
		t = *totals;
	} else {
		memset(&t, 0, sizeof(t));
		if ((rc = mf_pl_load_totals(st, &t, diag)) < 0)
			return rc;
	}
	if ((rc = mf_pl_prep(st, &s, SQL_JSON_MB, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "{\"mailboxes\":[");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (!first)
			mf_buf_addch(b, ',');
		first = 0;
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "alias", mf_pl_col(s, 0), 1);
		mf_json_kv_str(b, "name", mf_pl_col(s, 11), 0);
		mf_json_kv_str(b, "display_name", mf_pl_col(s, 1), 0);
		mf_json_kv_str(b, "source_address", mf_pl_col(s, 2), 0);
		mf_json_kv_str(b, "kind", mf_pl_col(s, 3), 0);
		mf_json_kv_str(b, "action", mf_pl_col(s, 4) ? mf_pl_col(s, 4) : "unplanned", 0);
		mf_json_kv_str(b, "alias_from", mf_pl_col(s, 5), 0);
		mf_json_key(b, "object", 0);
		if (sqlite3_column_type(s, 6) == SQLITE_NULL) {
			mf_buf_addstr(b, "null");
		} else {
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "class", mf_pl_col(s, 6), 1);
			mf_json_kv_str(b, "alias", mf_pl_col(s, 7), 0);
			mf_json_kv_str(b, "display_name", mf_pl_col(s, 8), 0);
			mf_buf_addch(b, '}');
		}
		mf_json_kv_str(b, "conflict", mf_pl_col(s, 9), 0);
		mf_json_kv_str(b, "message", mf_pl_col(s, 10), 0);
		mf_buf_addch(b, '}');
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read plan");
	if ((rc = mf_pl_prep(st, &s, SQL_JSON_PR, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "],\"recipients\":[");
	first = 1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (!first)
			mf_buf_addch(b, ',');
		first = 0;
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "kind", mf_pl_col(s, 0), 1);
		mf_json_kv_str(b, "name", mf_pl_col(s, 1), 0);
		mf_json_kv_str(b, "address", mf_pl_col(s, 2), 0);
		mf_json_kv_str(b, "action", mf_pl_col(s, 3), 0);
		mf_json_kv_str(b, "alias", mf_pl_col(s, 4), 0);
		mf_json_kv_str(b, "message", mf_pl_col(s, 5), 0);
		mf_buf_addch(b, '}');
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read plan");
	mf_buf_addstr(b, "],\"totals\":{");
	mf_json_kv_int(b, "mailboxes", t.mailboxes, 1);
	mf_json_kv_int(b, "create", t.create, 0);
	mf_json_kv_int(b, "convert", t.convert, 0);
	mf_json_kv_int(b, "exists", t.exists, 0);
	mf_json_kv_int(b, "public", t.public_folders, 0);
	mf_json_kv_int(b, "conflicts", t.conflicts, 0);
	mf_json_kv_int(b, "custom_recipients", t.customs, 0);
	mf_json_kv_int(b, "custom_create", t.custom_create, 0);
	mf_json_kv_int(b, "custom_exists", t.custom_exists, 0);
	mf_json_kv_int(b, "custom_migrated", t.custom_migrated, 0);
	mf_json_kv_int(b, "custom_duplicate", t.custom_duplicate, 0);
	mf_json_kv_int(b, "custom_skip", t.custom_skip, 0);
	mf_json_kv_int(b, "lists", t.lists, 0);
	mf_json_kv_int(b, "list_create", t.list_create, 0);
	mf_json_kv_int(b, "list_exists", t.list_exists, 0);
	mf_json_kv_int(b, "list_duplicate", t.list_duplicate, 0);
	mf_json_kv_int(b, "list_skip", t.list_skip, 0);
	mf_json_kv_int(b, "aliases_changed", t.aliases_changed, 0);
	mf_json_kv_int(b, "alias_map_unused", t.map_unused, 0);
	return mf_buf_addstr(b, "}}");
}
