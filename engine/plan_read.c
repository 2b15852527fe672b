/* SPDX-License-Identifier: MIT */
/*
 * plan_read.c: reading the plan, and the plan as JSON
 * (see plan.c and plan_priv.h).
 */
#include "engine/plan_priv.h"

/* ---- reading the plan ---- */

int mf_plan_mailbox_action(struct mf_store *st, struct mf_plan_entry *out,
			   int64_t mailbox_id, struct mf_arena *arena,
			   struct mf_diag *diag)
{
	struct mf_store_plan_row r;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mf_store_plan_mailbox_get(st, &r, mailbox_id, arena, diag);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox %lld", (long long)mailbox_id);
	out->planned = r.planned;
	out->alias = r.alias;
	out->address = r.source_address;
	if (out->planned) {
		out->action = mf_pl_action_parse(r.action);
		out->object_id = r.object_id;
		out->object_class = r.object_class;
		out->object_alias = r.object_alias;
		out->object_display_name = r.object_display_name;
		out->conflict = r.conflict;
		out->message = r.message;
	} else {
		out->action = r.kind && !strcmp(r.kind, "public") ? MF_PLAN_PUBLIC : MF_PLAN_CREATE;
		out->message = "not planned yet: the default applies";
	}
	return MF_OK;
}

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
	struct mf_store_plan_row r;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mf_store_plan_recipient_get(st, &r, entry_id, arena, diag);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no custom recipient or list %lld", (long long)entry_id);
	out->planned = r.planned;
	if (out->planned) {
		out->action = mf_pl_action_parse(r.action);
		out->alias = r.alias;
		out->address = r.plan_address;
		out->object_id = r.object_id;
		out->object_class = r.object_class;
		out->object_alias = r.object_alias;
		out->object_display_name = r.object_display_name;
		out->message = r.message;
	} else {
		int list = r.kind && !strcmp(r.kind, "list");
		out->address = entry_address(arena, r.address_type, r.address);
		out->action = (list || out->address) ? MF_PLAN_CREATE : MF_PLAN_SKIP;
		out->message = "not planned yet: the default applies";
	}
	return MF_OK;
}

struct objects {
	struct mf_plan_object *v;
	size_t n, cap;
	struct mf_arena *arena;
};

static const char *dup(struct mf_arena *a, const char *s)
{
	return s ? mf_arena_strdup(a, s) : NULL;
}

static void object_of(struct mf_plan_object *o, const struct mf_store_plan_row *r,
		      struct mf_arena *arena)
{
	memset(o, 0, sizeof(*o));
	o->entry_id = r->id;
	o->kind = dup(arena, r->kind);
	o->name = dup(arena, r->name);
	o->display_name = dup(arena, r->display_name);
	if (!o->display_name)
		o->display_name = o->name;
	o->given_name = dup(arena, r->given_name);
	o->surname = dup(arena, r->surname);
	if (r->planned) {
		o->action = mf_pl_action_parse(r->action);
		o->alias = dup(arena, r->alias);
		o->address = dup(arena, r->plan_address);
		o->message = dup(arena, r->message);
	} else {
		o->address = entry_address(arena, r->address_type, r->address);
		o->action = (!strcmp(o->kind, "list") || o->address) ? MF_PLAN_CREATE : MF_PLAN_SKIP;
		o->message = "not planned yet: the default applies";
	}
}

static int add_object(void *arg, const struct mf_store_plan_row *r)
{
	struct objects *ob = arg;
	struct mf_arena *arena = ob->arena;
	if (ob->n == ob->cap) {
		struct mf_plan_object *nv;
		ob->cap = ob->cap ? ob->cap * 2 : 64;
		nv = mf_arena_alloc(arena, ob->cap * sizeof(*nv));
		if (ob->n)
			memcpy(nv, ob->v, ob->n * sizeof(*nv));
		ob->v = nv;
	}
	object_of(&ob->v[ob->n++], r, arena);
	return MF_OK;
}

struct each {
	int (*visit)(void *arg, const struct mf_plan_object *o);
	void *arg;
	struct mf_arena a;
};

static int each_object(void *arg, const struct mf_store_plan_row *r)
{
	struct each *e = arg;
	struct mf_plan_object o;
	mf_arena_reset(&e->a);
	object_of(&o, r, &e->a);
	return e->visit(e->arg, &o);
}

int mf_plan_objects_each(struct mf_store *st,
			 int (*visit)(void *arg, const struct mf_plan_object *o), void *arg,
			 struct mf_diag *diag)
{
	struct each e = { visit, arg, MF_ARENA_INIT };
	int rc = mf_store_plan_object_walk(st, each_object, &e, diag);
	mf_arena_release(&e.a);
	return rc;
}

int mf_plan_objects(struct mf_store *st, struct mf_plan_object **out, size_t *n_out,
		    struct mf_arena *arena, struct mf_diag *diag)
{
	struct objects ob = { NULL, 0, 0, arena };
	int rc;

	*out = NULL;
	*n_out = 0;
	rc = mf_store_plan_object_walk(st, add_object, &ob, diag);
	if (rc == MF_OK) {
		*out = ob.v;
		*n_out = ob.n;
	}
	return rc;
}

/* ---- JSON ---- */

struct listing {
	struct mf_buf *b;
	int first;
	FILE *out;                  /* mf_plan_json_write: written out as it fills */
};

static void listing_flush(struct listing *l, size_t at_least)
{
	if (!l->out || l->b->len < at_least)
		return;
	fwrite(l->b->data, 1, l->b->len, l->out);
	mf_buf_reset(l->b);
}

static int json_mailbox(void *arg, const struct mf_store_plan_row *r)
{
	struct listing *l = arg;
	struct mf_buf *b = l->b;
	if (!l->first)
		mf_buf_addch(b, ',');
	l->first = 0;
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "alias", r->alias, 1);
	mf_json_kv_str(b, "name", r->name, 0);
	mf_json_kv_str(b, "display_name", r->display_name, 0);
	mf_json_kv_str(b, "source_address", r->source_address, 0);
	mf_json_kv_str(b, "kind", r->kind, 0);
	mf_json_kv_str(b, "action", r->action ? r->action : "unplanned", 0);
	mf_json_kv_str(b, "alias_from", r->alias_from, 0);
	mf_json_key(b, "object", 0);
	if (!r->has_object) {
		mf_buf_addstr(b, "null");
	} else {
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "class", r->object_class, 1);
		mf_json_kv_str(b, "alias", r->object_alias, 0);
		mf_json_kv_str(b, "display_name", r->object_display_name, 0);
		mf_buf_addch(b, '}');
	}
	mf_json_kv_str(b, "conflict", r->conflict, 0);
	mf_json_kv_str(b, "message", r->message, 0);
	mf_buf_addch(b, '}');
	listing_flush(l, 1 << 16);
	return MF_OK;
}

static int json_recipient(void *arg, const struct mf_store_plan_row *r)
{
	struct listing *l = arg;
	struct mf_buf *b = l->b;
	if (!l->first)
		mf_buf_addch(b, ',');
	l->first = 0;
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "kind", r->kind, 1);
	mf_json_kv_str(b, "name", r->name, 0);
	mf_json_kv_str(b, "address", r->plan_address, 0);
	mf_json_kv_str(b, "action", r->action, 0);
	mf_json_kv_str(b, "alias", r->alias, 0);
	mf_json_kv_str(b, "message", r->message, 0);
	mf_buf_addch(b, '}');
	listing_flush(l, 1 << 16);
	return MF_OK;
}

static void totals_json(struct mf_buf *b, const struct mf_plan_totals *t)
{
	mf_buf_addstr(b, "\"totals\":{");
	mf_json_kv_int(b, "mailboxes", t->mailboxes, 1);
	mf_json_kv_int(b, "create", t->create, 0);
	mf_json_kv_int(b, "convert", t->convert, 0);
	mf_json_kv_int(b, "exists", t->exists, 0);
	mf_json_kv_int(b, "public", t->public_folders, 0);
	mf_json_kv_int(b, "conflicts", t->conflicts, 0);
	mf_json_kv_int(b, "custom_recipients", t->customs, 0);
	mf_json_kv_int(b, "custom_create", t->custom_create, 0);
	mf_json_kv_int(b, "custom_exists", t->custom_exists, 0);
	mf_json_kv_int(b, "custom_migrated", t->custom_migrated, 0);
	mf_json_kv_int(b, "custom_duplicate", t->custom_duplicate, 0);
	mf_json_kv_int(b, "custom_skip", t->custom_skip, 0);
	mf_json_kv_int(b, "lists", t->lists, 0);
	mf_json_kv_int(b, "list_create", t->list_create, 0);
	mf_json_kv_int(b, "list_exists", t->list_exists, 0);
	mf_json_kv_int(b, "list_duplicate", t->list_duplicate, 0);
	mf_json_kv_int(b, "list_skip", t->list_skip, 0);
	mf_json_kv_int(b, "aliases_changed", t->aliases_changed, 0);
	mf_json_kv_int(b, "alias_map_unused", t->map_unused, 0);
	mf_buf_addch(b, '}');
}

void mf_plan_summary_json(struct mf_buf *b, const struct mf_plan_totals *t)
{
	mf_buf_addch(b, '{');
	totals_json(b, t);
	mf_buf_addch(b, '}');
}

static int plan_json(struct mf_store *st, struct mf_buf *b, FILE *out,
		     const struct mf_plan_totals *totals, struct mf_diag *diag)
{
	struct listing l = { b, 1, out };
	int rc;
	struct mf_plan_totals t;

	if (totals) {
		t = *totals;
	} else {
		memset(&t, 0, sizeof(t));
		if ((rc = mf_pl_load_totals(st, &t, diag)) < 0)
			return rc;
	}
	mf_buf_addstr(b, "{\"mailboxes\":[");
	if ((rc = mf_store_plan_listing_walk(st, 0, json_mailbox, &l, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "],\"recipients\":[");
	l.first = 1;
	if ((rc = mf_store_plan_listing_walk(st, 1, json_recipient, &l, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "],");
	totals_json(b, &t);
	rc = mf_buf_addch(b, '}');
	listing_flush(&l, 0);
	return rc;
}

int mf_plan_json(struct mf_store *st, struct mf_buf *b,
		 const struct mf_plan_totals *totals, struct mf_diag *diag)
{
	return plan_json(st, b, NULL, totals, diag);
}

int mf_plan_json_write(struct mf_store *st, FILE *out, const struct mf_plan_totals *totals,
		       struct mf_diag *diag)
{
	struct mf_buf b;
	int rc;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	rc = plan_json(st, &b, out, totals, diag);
	mf_buf_release(&b);
	return rc;
}
