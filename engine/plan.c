/* SPDX-License-Identifier: MIT */
/*
 * plan.c: making, storing and reading the plan (see plan.h; the rules are
 * in docs/decisions.md, "Plan").
 *
 * The plan is made in one transaction: the alias map (when a new one is
 * given) is validated and stored, every mailbox is matched with the
 * target's objects by proxy address, aliases are made final and written
 * into mailboxes.alias, and the plan rows are replaced.  Iterations use
 * their own prepared statements (never a cached one held across other
 * queries).
 *
 * The parts: plan.c proxy addresses, small helpers, the fingerprint, the
 * totals and the build; plan_mailboxes.c the mailboxes being planned, the
 * alias map and the matching of mailboxes; plan_recipients.c custom
 * recipients and lists; plan_read.c reading the plan and its JSON.
 */
#include "engine/plan_priv.h"

const char *mf_plan_action_name(enum mf_plan_action a)
{
	switch (a) {
	case MF_PLAN_CREATE: return "create";
	case MF_PLAN_CONVERT: return "convert";
	case MF_PLAN_EXISTS: return "exists";
	case MF_PLAN_PUBLIC: return "public";
	case MF_PLAN_MIGRATED: return "migrated";
	case MF_PLAN_DUPLICATE: return "duplicate";
	case MF_PLAN_SKIP: return "skip";
	case MF_PLAN_CONFLICT: return "conflict";
	}
	return "conflict";
}

enum mf_plan_action mf_pl_action_parse(const char *s)
{
	static const enum mf_plan_action all[] = {
		MF_PLAN_CREATE, MF_PLAN_CONVERT, MF_PLAN_EXISTS, MF_PLAN_PUBLIC,
		MF_PLAN_MIGRATED, MF_PLAN_DUPLICATE, MF_PLAN_SKIP, MF_PLAN_CONFLICT
	};
	for (size_t i = 0; s && i < MF_ARRAY_LEN(all); i++)
		if (!strcmp(s, mf_plan_action_name(all[i])))
			return all[i];
	return MF_PLAN_CONFLICT;
}

/* ---- proxy addresses ---- */

int mf_pl_is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Read "TYPE:" at s[0..len): the type's length, or 0. */
static size_t type_len(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && i <= 16 && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
		i++;
	if (i == 0 || i > 16 || i >= len || s[i] != ':')
		return 0;
	return i;
}

int mf_proxy_parse(struct mf_proxy *out, const char *s, size_t len)
{
	size_t tl, i;
	int upper = 1;

	memset(out, 0, sizeof(*out));
	while (len && mf_pl_is_blank(s[0])) {
		s++;
		len--;
	}
	while (len && mf_pl_is_blank(s[len - 1]))
		len--;
	tl = type_len(s, len);
	if (!tl)
		return MF_EFORMAT;
	if (tl == 7 && mf_strncaseeq(s, "MIGRATE", 7)) {
		size_t t2 = type_len(s + 8, len - 8);
		if (t2) {
			out->migrate = 1;
			s += 8;
			len -= 8;
			tl = t2;
		}
	}
	for (i = 0; i < tl; i++) {
		if (islower((unsigned char)s[i]))
			upper = 0;
		out->type[i] = (char)toupper((unsigned char)s[i]);
	}
	out->type[tl] = '\0';
	out->primary = upper;
	s += tl + 1;
	len -= tl + 1;
	while (len && mf_pl_is_blank(s[0])) {
		s++;
		len--;
	}
	if (len == 0)
		return MF_EFORMAT;
	out->address = s;
	out->address_len = len;
	return MF_OK;
}

int mf_proxy_key(struct mf_buf *b, const struct mf_proxy *p, int loose)
{
	int rc = mf_buf_addstr(b, p->type);
	if (rc == MF_OK)
		rc = mf_buf_addch(b, ':');
	for (size_t i = 0; i < p->address_len && rc == MF_OK; i++)
		if (!loose || !mf_pl_is_blank(p->address[i]))
			rc = mf_buf_addch(b, p->address[i]);
	return rc;
}

/* The match key of an address as staged ("CCMAIL:Name at PO"); when it
 * does not parse as TYPE:address the text itself.  In arena. */
char *mf_pl_key_of(struct mf_arena *a, const char *addr, int loose)
{
	struct mf_proxy p;
	struct mf_buf b;
	char *r;

	if (!addr)
		return NULL;
	if (mf_proxy_parse(&p, addr, strlen(addr)) < 0)
		return mf_arena_strdup(a, addr);
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	mf_proxy_key(&b, &p, loose);
	r = mf_arena_strdup(a, b.data);
	mf_buf_release(&b);
	return r;
}

/* ---- fingerprint: everything the plan is made from ---- */

int mf_plan_is_current(struct mf_store *st, struct mf_diag *diag)
{
	char hex[MF_SHA256_HEX], now[MF_SHA256_HEX];
	int rc = mf_store_plan_state_get(st, hex, diag);
	if (rc <= 0)
		return rc;
	if ((rc = mf_store_plan_fingerprint(st, now, PLAN_VERSION, diag)) < 0)
		return rc;
	return !strcmp(now, hex);
}

/* ---- totals ---- */

static void count_mailboxes(void *arg, const char *kind, const char *action, int64_t c)
{
	struct mf_plan_totals *t = arg;
	enum mf_plan_action a = mf_pl_action_parse(action);
	(void)kind;
	t->mailboxes += c;
	switch (a) {
	case MF_PLAN_CREATE: t->create += c; break;
	case MF_PLAN_CONVERT: t->convert += c; break;
	case MF_PLAN_EXISTS: t->exists += c; break;
	case MF_PLAN_PUBLIC: t->public_folders += c; break;
	default: t->conflicts += c; break;
	}
}

static void count_recipients(void *arg, const char *kind, const char *action, int64_t c)
{
	struct mf_plan_totals *t = arg;
	int list = kind && !strcmp(kind, "list");
	enum mf_plan_action a = mf_pl_action_parse(action);
	if (list) {
		t->lists += c;
		if (a == MF_PLAN_CREATE) t->list_create += c;
		else if (a == MF_PLAN_EXISTS) t->list_exists += c;
		else if (a == MF_PLAN_DUPLICATE) t->list_duplicate += c;
		else t->list_skip += c;
	} else {
		t->customs += c;
		if (a == MF_PLAN_CREATE) t->custom_create += c;
		else if (a == MF_PLAN_EXISTS) t->custom_exists += c;
		else if (a == MF_PLAN_MIGRATED) t->custom_migrated += c;
		else if (a == MF_PLAN_DUPLICATE) t->custom_duplicate += c;
		else t->custom_skip += c;
	}
}

int mf_pl_load_totals(struct mf_store *st, struct mf_plan_totals *t, struct mf_diag *diag)
{
	int rc = mf_store_plan_counts(st, 0, count_mailboxes, t, diag);
	if (rc == MF_OK)
		rc = mf_store_plan_counts(st, 1, count_recipients, t, diag);
	return rc;
}

/* ---- build ---- */

static int build(struct mf_store *st, const char *alias_map, int64_t run_id, int only_if_stale,
		 struct mf_plan_totals *totals, struct mf_diag *diag)
{
	struct planner p;
	char fp[MF_SHA256_HEX];
	int64_t changed_n = 0, unused = 0;
	int rc;

	memset(totals, 0, sizeof(*totals));
	memset(&p, 0, sizeof(p));
	p.st = st;
	if ((rc = mf_store_begin(st, diag)) < 0)
		return rc;
	if (only_if_stale) {
		if ((rc = mf_store_alias_origin(st, diag)) < 0)
			goto fail;
		rc = mf_plan_is_current(st, diag);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			if ((rc = mf_store_commit(st, diag)) < 0)
				return rc;
			return mf_pl_load_totals(st, totals, diag);
		}
	}
	if ((rc = mf_pl_load_mailboxes(&p, diag)) < 0)
		goto fail;
	if (alias_map && (rc = mf_pl_map_load(&p, alias_map, diag)) < 0)
		goto fail;
	if ((rc = mf_pl_map_apply(&p, &unused, diag)) < 0 ||
	    (rc = mf_pl_match_mailboxes(&p, diag)) < 0 ||
	    (rc = mf_pl_final_aliases(&p, diag)) < 0)
		goto fail;
	if ((rc = mf_pl_alias_conflicts_and_messages(&p, diag)) < 0)
		goto fail;
	if (p.failed) {
		rc = mf_store_fail(st, diag, "cannot describe plan");
		goto fail;
	}
	if ((rc = mf_pl_store_mailboxes(&p, &changed_n, diag)) < 0 ||
	    (rc = mf_pl_plan_recipients(&p, diag)) < 0 ||
	    (rc = mf_store_plan_fingerprint(st, fp, PLAN_VERSION, diag)) < 0)
		goto fail;
	if ((rc = mf_pl_load_totals(st, totals, diag)) < 0)
		goto fail;
	if ((rc = mf_store_plan_state_put(st, run_id, fp, totals->mailboxes, totals->conflicts,
					  diag)) < 0)
		goto fail;
	if ((rc = mf_store_commit(st, diag)) < 0)
		goto out;
	totals->built = 1;
	totals->aliases_changed = changed_n;
	totals->map_unused = unused;
	goto out;
fail:
	mf_store_rollback(st);
out:
	mf_arena_release(&p.a);
	return rc;
}

int mf_plan_build(struct mf_store *st, const char *alias_map, int64_t run_id,
		  struct mf_plan_totals *totals, struct mf_diag *diag)
{
	return build(st, alias_map, run_id, 0, totals, diag);
}

int mf_plan_ensure(struct mf_store *st, struct mf_plan_totals *totals, struct mf_diag *diag)
{
	int rc = mf_plan_is_current(st, diag);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		memset(totals, 0, sizeof(*totals));
		return mf_pl_load_totals(st, totals, diag);
	}
	return build(st, NULL, mf_store_run_id(st), 1, totals, diag);
}
