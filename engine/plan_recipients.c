/* SPDX-License-Identifier: MIT */
/*
 * plan_recipients.c: custom recipients and lists
 * (see plan.c and plan_priv.h).
 */
#include "engine/plan_priv.h"

/* ---- custom recipients and lists ---- */

static const char SQL_DE_ALL[] =
	"SELECT id, kind, name, display_name, given_name, surname, address_type, address "
	"FROM dir_entries WHERE kind IN ('custom', 'list') ORDER BY id";
static const char SQL_PR_DEL[] = "DELETE FROM plan_recipients";
static const char SQL_PR_INS[] =
	"INSERT INTO plan_recipients(entry_id, kind, action, alias, address, object_id, mailbox_id, "
	"same_as, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_MATCH_ANY[] =
	"SELECT o.id FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
	"WHERE x.match_key = ?1 COLLATE NOCASE ORDER BY (o.class = 'dl') DESC, o.id LIMIT 1";

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

int mf_pl_plan_recipients(struct planner *p, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct prec *r = NULL;
	size_t n = 0, cap = 0;
	struct smap seen = { 0 };
	int rc, step;

	if ((rc = mf_pl_prep(p->st, &s, SQL_DE_ALL, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct prec *e;
		const char *at = mf_pl_col(s, 6), *ad = mf_pl_col(s, 7);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			r = mf_xreallocarray(r, cap, sizeof(*r));
		}
		e = &r[n++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(s, 0);
		e->kind = mf_arena_strdup(&p->a, mf_pl_col(s, 1));
		e->name = mf_arena_strdup(&p->a, mf_pl_col(s, 2));
		e->dn = mf_arena_strdup(&p->a, mf_pl_col(s, 3));
		e->given = mf_arena_strdup(&p->a, mf_pl_col(s, 4));
		e->sur = mf_arena_strdup(&p->a, mf_pl_col(s, 5));
		if (ad && *ad) {
			char *t = at && *at ? mf_xasprintf("%s:%s", at, ad) : mf_xstrdup(ad);
			e->address = mf_arena_strdup(&p->a, t);
			free(t);
			e->key = mf_pl_key_of(&p->a, e->address, 0);
		}
		if (!e->name)
			e->name = "";
	}
	if (step != SQLITE_DONE)
		rc = mf_store_fail(p->st, diag, "cannot read directory entries");
	sqlite3_finalize(s);
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
				mf_pl_smap_put(&seen, e->key, i);
				if (!(s = mf_store_stmt(p->st, SQL_MATCH_ANY, diag))) {
					rc = MF_ESTORE;
					goto out;
				}
				mf_store_bind_text(s, 1, e->key);
				step = sqlite3_step(s);
				if (step == SQLITE_ROW)
					oid = sqlite3_column_int64(s, 0);
				sqlite3_reset(s);
				if (step != SQLITE_ROW && step != SQLITE_DONE) {
					rc = mf_store_fail(p->st, diag, "cannot match directory entry");
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
	if ((rc = mf_store_exec(p->st, SQL_PR_DEL, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct prec *e = &r[i];
		if (!(s = mf_store_stmt(p->st, SQL_PR_INS, diag))) {
			rc = MF_ESTORE;
			goto out;
		}
		sqlite3_bind_int64(s, 1, e->id);
		mf_store_bind_text(s, 2, e->kind);
		mf_store_bind_text(s, 3, mf_plan_action_name(e->action));
		mf_store_bind_text(s, 4, e->has_alias ? e->alias : NULL);
		mf_store_bind_text(s, 5, e->address);
		mf_store_bind_id(s, 6, e->object_id);
		mf_store_bind_id(s, 7, e->mailbox_id);
		mf_store_bind_id(s, 8, e->same_as);
		mf_store_bind_text(s, 9, e->message ? e->message : "");
		step = sqlite3_step(s);
		sqlite3_reset(s);
		if (step != SQLITE_DONE) {
			rc = mf_store_fail(p->st, diag, "cannot store plan");
			goto out;
		}
	}
out:
	mf_pl_smap_release(&seen);
	free(r);
	return rc;
}
