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

/* Decide one custom recipient or list and store its plan row. */
static int plan_entry(void *arg, const struct mf_store_plan_row *row)
{
	struct planner *p = arg;
	struct prec en, *e = &en;
	const char *at = row->address_type, *ad = row->address;
	struct mf_store_plan_row out;
	struct pmb mb;
	int64_t same = 0;
	const char *same_name = NULL;
	int is_list, rc;
	char *t = NULL;

	mf_arena_reset(&p->a);
	memset(e, 0, sizeof(*e));
	e->id = row->id;
	e->kind = mf_arena_strdup(&p->a, row->kind);
	e->name = mf_arena_strdup(&p->a, row->name);
	e->dn = mf_arena_strdup(&p->a, row->display_name);
	e->given = mf_arena_strdup(&p->a, row->given_name);
	e->sur = mf_arena_strdup(&p->a, row->surname);
	if (ad && *ad) {
		char *x = at && *at ? mf_xasprintf("%s:%s", at, ad) : mf_xstrdup(ad);
		e->address = mf_arena_strdup(&p->a, x);
		free(x);
		e->key = mf_pl_key_of(&p->a, e->address, 0);
	}
	if (!e->name)
		e->name = "";
	if (!e->kind)
		e->kind = "";
	is_list = !strcmp(e->kind, "list");

	if (!is_list && !e->address) {
		e->action = MF_PLAN_SKIP;
		e->message = "no address is known for it, so it cannot be created; messages to it "
			     "keep the name as written";
	} else if (!is_list && mf_pl_mailbox_by_key(p, &mb, e->key, 0)) {
		e->action = MF_PLAN_MIGRATED;
		e->mailbox_id = mb.id;
		t = mf_xasprintf("it is mailbox '%s', migrated in this plan",
				 mb.has_alias ? mb.alias : mb.name);
	} else if (p->failed) {
		return MF_ESTORE;
	} else if (e->key && (rc = mf_store_planw_seen_get(p->st, &same, &same_name, e->key, &p->a,
							     NULL)) != 0) {
		if (rc < 0) {
			p->failed = 1;
			return rc;
		}
		e->action = MF_PLAN_DUPLICATE;
		e->same_as = same;
		t = mf_xasprintf("same address as '%s' (entry %lld), which the plan handles",
				 same_name ? same_name : "", (long long)same);
	} else {
		int64_t oid = 0;
		if (e->key) {
			int found;
			if ((rc = mf_store_planw_seen_put(p->st, e->key, e->id, e->name, NULL)) < 0) {
				p->failed = 1;
				return rc;
			}
			found = mf_store_target_match_any(p->st, &oid, e->key, NULL);
			if (found < 0) {
				p->failed = 1;
				return found;
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
			if (!bl || mf_pl_alias_unique(p, e->alias, base) < 0) {
				e->action = MF_PLAN_SKIP;
				t = mf_xasprintf("no ASCII alias could be formed from '%s', so it "
						 "cannot be created", e->name);
			} else {
				e->action = MF_PLAN_CREATE;
				e->has_alias = 1;
				mf_pl_alias_take(p, e->alias);
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
	if (p->failed)
		return MF_ESTORE;
	memset(&out, 0, sizeof(out));
	out.id = e->id;
	out.kind = e->kind;
	out.action = mf_plan_action_name(e->action);
	out.alias = e->has_alias ? e->alias : NULL;
	out.plan_address = e->address;
	out.object_id = e->object_id;
	out.mailbox_id = e->mailbox_id;
	out.same_as = e->same_as;
	out.message = e->message ? e->message : "";
	if ((rc = mf_store_plan_recipient_put(p->st, &out, NULL)) < 0)
		p->failed = 1;
	return rc;
}

/* Every custom recipient and list, in id order, one at a time: what was
 * seen before (addresses, aliases given) is in the store's working tables. */
int mf_pl_plan_recipients(struct planner *p, struct mf_diag *diag)
{
	int rc;
	if ((rc = mf_store_plan_clear(p->st, 1, diag)) < 0)
		return rc;
	rc = mf_store_plan_entry_walk(p->st, plan_entry, p, diag);
	mf_arena_reset(&p->a);
	if (p->failed)
		return mf_store_fail(p->st, diag, "cannot check aliases");
	return rc;
}
