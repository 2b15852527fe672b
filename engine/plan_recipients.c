/* SPDX-License-Identifier: MIT */
/*
 * plan_recipients.c: custom recipients and lists
 * (see plan.c and plan_priv.h).
 */
#include "engine/plan_priv.h"

/* ---- custom recipients and lists ---- */

struct prec {
	int64_t id;
	const char *kind, *name, *dn, *given, *sur;
	const char *address;         /* TYPE:address or NULL */
	const char *key;
	enum mf_plan_action action;
	char alias[MF_ALIAS_MAX + 1];
	int has_alias;
	int64_t object_id, mailbox_id, same_as;
	const char *message;
};

/* Alias base of a custom recipient: its given name and surname, or those
 * split from its display name ("Doe, Jane" -> DoeJ). */
static size_t person_alias_base(char base[MF_ALIAS_MAX + 1], const struct prec *e)
{
	const char *name = e->dn && *e->dn ? e->dn : e->name;
	const char *g = NULL, *su = NULL;
	size_t gl = 0, sl = 0, n;
	char *gs, *ss;

	if ((e->sur && *e->sur) || !name)
		return mf_alias_base(base, e->given, e->sur, name);
	mf_name_split(name, &g, &gl, &su, &sl);
	gs = g ? mf_xstrndup(g, gl) : NULL;
	ss = su ? mf_xstrndup(su, sl) : NULL;
	n = mf_alias_base(base, gs, ss, name);
	free(gs);
	free(ss);
	return n;
}

struct entries {
	struct planner *p;
	struct prec *r;
	size_t n, cap;
};

static int load_entry(void *arg, const struct mf_store_plan_row *row)
{
	struct entries *en = arg;
	struct planner *p = en->p;
	struct prec *e;
	const char *at = row->address_type, *ad = row->address;
	if (en->n == en->cap) {
		en->cap = en->cap ? en->cap * 2 : 64;
		en->r = mf_xreallocarray(en->r, en->cap, sizeof(*en->r));
	}
	e = &en->r[en->n++];
	memset(e, 0, sizeof(*e));
	e->id = row->id;
	e->kind = mf_arena_strdup(&p->a, row->kind);
	e->name = mf_arena_strdup(&p->a, row->name);
	e->dn = mf_arena_strdup(&p->a, row->display_name);
	e->given = mf_arena_strdup(&p->a, row->given_name);
	e->sur = mf_arena_strdup(&p->a, row->surname);
	if (ad && *ad) {
		char *t = at && *at ? mf_xasprintf("%s:%s", at, ad) : mf_xstrdup(ad);
		e->address = mf_arena_strdup(&p->a, t);
		free(t);
		e->key = mf_pl_key_of(&p->a, e->address, 0);
	}
	if (!e->name)
		e->name = "";
	return MF_OK;
}

int mf_pl_plan_recipients(struct planner *p, struct mf_diag *diag)
{
	struct entries en = { p, NULL, 0, 0 };
	struct prec *r;
	size_t n;
	struct smap seen = { 0 };
	int rc;

	rc = mf_store_plan_entry_walk(p->st, load_entry, &en, diag);
	r = en.r;
	n = en.n;
	if (rc < 0)
		goto out;

	for (size_t i = 0; i < n; i++) {
		struct prec *e = &r[i];
		int is_list = !strcmp(e->kind, "list");
		size_t k;
		char *t = NULL;

		if (!is_list && !e->address) {
			e->action = MF_PLAN_SKIP;
			e->message = "no address is known for it, so it cannot be created; messages to it "
				     "keep the name as written";
			continue;
		}
		if (!is_list && mf_pl_smap_get(&p->by_key, e->key, &k)) {
			e->action = MF_PLAN_MIGRATED;
			e->mailbox_id = p->mb[k].id;
			t = mf_xasprintf("it is mailbox '%s', migrated in this plan",
					 p->mb[k].has_alias ? p->mb[k].alias : p->mb[k].name);
		} else if (e->key && mf_pl_smap_get(&seen, e->key, &k)) {
			e->action = MF_PLAN_DUPLICATE;
			e->same_as = r[k].id;
			t = mf_xasprintf("same address as '%s' (entry %lld), which the plan handles",
					 r[k].name, (long long)r[k].id);
		} else {
			int64_t oid = 0;
			if (e->key) {
				int found;
				mf_pl_smap_put(&seen, e->key, i);
				found = mf_store_target_match_any(p->st, &oid, e->key, diag);
				if (found < 0) {
					rc = found;
					goto out;
				}
			}
			if (oid) {
				e->action = MF_PLAN_EXISTS;
				e->object_id = oid;
				t = mf_xasprintf("already on the target: %s", mf_pl_describe_object(p, oid));
			} else {
				char base[MF_ALIAS_MAX + 1];
				size_t bl = is_list ? mf_alias_base(base, NULL, NULL, e->name)
						    : person_alias_base(base, e);
				if (!bl && e->dn && is_list)
					bl = mf_alias_base(base, NULL, NULL, e->dn);
				if (!bl || mf_alias_unique(e->alias, base, mf_pl_alias_taken_any, p) < 0) {
					e->action = MF_PLAN_SKIP;
					t = mf_xasprintf("no ASCII alias could be formed from '%s', so it "
							 "cannot be created", e->name);
				} else {
					e->action = MF_PLAN_CREATE;
					e->has_alias = 1;
					mf_pl_sset_add(&p->aliases, &p->a, e->alias);
					t = mf_xasprintf("create %s '%s'",
							 is_list ? "distribution list" : "custom recipient",
							 e->alias);
				}
			}
		}
		if (t) {
			e->message = mf_arena_strdup(&p->a, t);
			free(t);
		}
	}
	if (p->failed) {
		rc = mf_store_fail(p->st, diag, "cannot check aliases");
		goto out;
	}
	if ((rc = mf_store_plan_clear(p->st, 1, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct prec *e = &r[i];
		struct mf_store_plan_row row;
		memset(&row, 0, sizeof(row));
		row.id = e->id;
		row.kind = e->kind;
		row.action = mf_plan_action_name(e->action);
		row.alias = e->has_alias ? e->alias : NULL;
		row.plan_address = e->address;
		row.object_id = e->object_id;
		row.mailbox_id = e->mailbox_id;
		row.same_as = e->same_as;
		row.message = e->message ? e->message : "";
		if ((rc = mf_store_plan_recipient_put(p->st, &row, diag)) < 0)
			goto out;
	}
out:
	mf_pl_smap_release(&seen);
	free(r);
	return rc;
}
