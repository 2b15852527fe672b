/* SPDX-License-Identifier: MIT */
/*
 * plan_mailboxes.c: the mailboxes being planned, the alias map, matching mailboxes
 * with the target's objects and making their aliases final
 * (see plan.c and plan_priv.h).
 *
 * The mailboxes live in the store's working table (plan_work): each pass
 * reads them a page at a time, in id order, decides and writes each one
 * back before the next is looked at, so a later mailbox sees the
 * decisions of every earlier one (which mailbox claimed a target object
 * first, which aliases are taken), as when all of them were in memory.
 */
#include "engine/plan_priv.h"

/* The target object (other than except_id) using alias; 0 when none. */
static int64_t target_alias_owner(struct planner *p, const char *alias, int64_t except_id)
{
	int64_t id = 0;
	if (mf_store_target_alias_owner(p->st, &id, alias, except_id, NULL) < 0)
		p->failed = 1;
	return id;
}

/* Has the plan given alias already? */
static int alias_given(struct planner *p, const char *alias)
{
	int rc = mf_store_planw_alias_has(p->st, alias, NULL);
	if (rc < 0)
		p->failed = 1;
	return rc == 1;
}

int mf_pl_alias_take(struct planner *p, const char *alias)
{
	int rc = mf_store_planw_alias_add(p->st, alias, NULL);
	if (rc < 0)
		p->failed = 1;
	return rc;
}

int mf_pl_alias_taken_any(const char *alias, void *payload)
{
	struct planner *p = payload;
	return alias_given(p, alias) || target_alias_owner(p, alias, 0) != 0;
}

/* base made unique among the aliases given and the target's (as
 * mf_alias_unique), starting past the number this base was given last;
 * the caller takes the alias it gets. */
int mf_pl_alias_unique(struct planner *p, char out[MF_ALIAS_MAX + 1], const char *base)
{
	int64_t next = 0;
	unsigned k;
	int rc;
	if (mf_store_planw_base_get(p->st, &next, base, NULL) < 0)
		p->failed = 1;
	k = next > 1 && next < 100000 ? (unsigned)next : 0;
	rc = mf_alias_unique_from(out, &k, base, mf_pl_alias_taken_any, p);
	if (rc == MF_OK && mf_store_planw_base_put(p->st, base, (int64_t)k + 1, NULL) < 0)
		p->failed = 1;
	return rc;
}

/* ---- a mailbox to and from its plan_work row ---- */

static void pmb_from_row(struct pmb *m, const struct mf_store_planw *w)
{
	memset(m, 0, sizeof(*m));
	m->id = w->id;
	m->kind = w->kind ? w->kind : "mailbox";
	m->name = w->name ? w->name : "";
	m->display_name = w->display_name;
	m->source_address = w->source_address;
	m->current = w->current_alias;
	m->origin = w->origin_alias;
	m->key = w->match_key;
	m->loose = w->loose_key;
	m->map_alias = w->map_alias;
	m->action = w->action ? mf_pl_action_parse(w->action) : MF_PLAN_CREATE;
	m->object_id = w->object_id;
	m->obj_class = w->obj_class;
	m->obj_alias = w->obj_alias;
	m->obj_dn = w->obj_dn;
	m->conflict = w->conflict;
	m->message = (char *)w->message;
	if (w->alias) {
		snprintf(m->alias, sizeof(m->alias), "%s", w->alias);
		m->has_alias = 1;
		m->alias_from = w->alias_from;
	}
}

static int pmb_store(struct planner *p, const struct pmb *m, struct mf_diag *diag)
{
	struct mf_store_planw w;
	memset(&w, 0, sizeof(w));
	w.id = m->id;
	w.action = mf_plan_action_name(m->action);
	w.object_id = m->object_id;
	w.obj_class = m->obj_class;
	w.obj_alias = m->obj_alias;
	w.obj_dn = m->obj_dn;
	w.alias = m->has_alias ? m->alias : NULL;
	w.alias_from = m->has_alias ? m->alias_from : NULL;
	w.conflict = m->conflict;
	w.message = m->message;
	return mf_store_planw_update(p->st, &w, diag);
}

static int str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Did a pass change nothing that pmb_store writes? */
static int pmb_same(const struct pmb *a, const struct pmb *b)
{
	return a->action == b->action && a->object_id == b->object_id &&
	       str_same(a->obj_class, b->obj_class) && str_same(a->obj_alias, b->obj_alias) &&
	       str_same(a->obj_dn, b->obj_dn) && a->has_alias == b->has_alias &&
	       (!a->has_alias || (!strcmp(a->alias, b->alias) && str_same(a->alias_from, b->alias_from))) &&
	       str_same(a->conflict, b->conflict) && str_same(a->message, b->message);
}

/* One mailbox by id (1, or 0 none; strings in the arena). */
static int mailbox_get(struct planner *p, struct pmb *out, int64_t id)
{
	struct mf_store_planw w;
	int rc = mf_store_planw_get(p->st, &w, id, &p->a, NULL);
	if (rc < 0)
		p->failed = 1;
	if (rc == 1)
		pmb_from_row(out, &w);
	return rc == 1;
}

/* The first mailbox with match key key before before_id (0: any). */
int mf_pl_mailbox_by_key(struct planner *p, struct pmb *out, const char *key, int64_t before_id)
{
	int64_t id = 0;
	int rc = mf_store_planw_first_by_key(p->st, &id, key, before_id, NULL);
	if (rc < 0)
		p->failed = 1;
	return rc == 1 && mailbox_get(p, out, id);
}

#define PAGE 256

/* Call fn on every mailbox in id order, a page at a time; with write, each
 * one is stored back right after fn. */
static int each_mailbox(struct planner *p, int write,
			int (*fn)(struct planner *p, struct pmb *m, struct mf_diag *diag),
			struct mf_diag *diag)
{
	struct mf_store_planw *w = mf_xreallocarray(NULL, PAGE, sizeof(*w));
	int64_t after = 0;
	int rc = MF_OK;
	for (;;) {
		size_t n = 0;
		mf_arena_reset(&p->a);
		if ((rc = mf_store_planw_page(p->st, w, PAGE, &n, after, &p->a, diag)) < 0)
			break;
		for (size_t i = 0; i < n && rc == MF_OK; i++) {
			struct pmb m, was;
			pmb_from_row(&m, &w[i]);
			was = m;
			rc = fn(p, &m, diag);
			if (rc == MF_OK && write && (!w[i].action || !pmb_same(&was, &m)))
				rc = pmb_store(p, &m, diag);
		}
		if (rc < 0 || n < PAGE)
			break;
		after = w[n - 1].id;
	}
	free(w);
	mf_arena_reset(&p->a);
	return rc;
}

static const char *class_words(const char *cls)
{
	if (!cls)
		return "object";
	if (!strcmp(cls, "custom"))
		return "custom recipient";
	if (!strcmp(cls, "dl"))
		return "distribution list";
	return "mailbox";
}

/* "custom recipient 'AnnaL' (Lindqvist, Anna <SMTP:anna@x>)" in arena. */
const char *mf_pl_describe_object(struct planner *p, int64_t id)
{
	struct mf_store_tobj o;
	struct mf_arena a = MF_ARENA_INIT;
	const char *r = "an object of the target";
	int found = mf_store_target_describe(p->st, &o, id, &a, NULL);
	if (found < 0)
		p->failed = 1;
	if (found == 1) {
		const char *cls = o.cls, *al = o.alias, *dn = o.display_name, *px = o.proxy;
		char *t = mf_xasprintf("%s '%s' (%s%s%s%s)", class_words(cls), al ? al : "(no alias)",
				       dn ? dn : "no display name", px ? " <" : "", px ? px : "",
				       px ? ">" : "");
		r = mf_arena_strdup(&p->a, t);
		free(t);
	}
	mf_arena_release(&a);
	return r;
}

/* "mailbox 'Lindqvist, Anna' <CCMAIL:Lindqvist, Anna at SALES01>" */
static char *describe_mailbox(struct planner *p, const struct pmb *m)
{
	char *t = mf_xasprintf("%s '%s' <%s>", !strcmp(m->kind, "public") ? "public mailbox" : "mailbox",
			       m->name, m->source_address ? m->source_address : "no source address");
	char *r = mf_arena_strdup(&p->a, t);
	free(t);
	return r;
}

static void set_message(struct planner *p, struct pmb *m, const char *fmt, ...) MF_ATTR_PRINTF(3, 4);
static void set_message(struct planner *p, struct pmb *m, const char *fmt, ...)
{
	va_list ap;
	struct mf_buf b;
	mf_buf_init(&b, 8192);
	va_start(ap, fmt);
	mf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	m->message = mf_arena_strdup(&p->a, b.data);
	mf_buf_release(&b);
}

void mf_pl_conflict(struct planner *p, struct pmb *m, const char *code, int64_t other,
		    const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
void mf_pl_conflict(struct planner *p, struct pmb *m, const char *code, int64_t other,
		    const char *fmt, ...)
{
	va_list ap;
	struct mf_buf b;
	if (m->action == MF_PLAN_CONFLICT)
		return; /* the first conflict found is the one reported */
	m->action = MF_PLAN_CONFLICT;
	m->conflict = code;
	m->object_id = other;
	mf_buf_init(&b, 8192);
	va_start(ap, fmt);
	mf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	m->message = mf_arena_strdup(&p->a, b.data);
	mf_buf_release(&b);
}

/* The line an operator puts in the alias map for m. */
static const char *map_line(struct planner *p, const struct pmb *m)
{
	struct mf_buf b;
	const char *k = m->source_address ? m->source_address : m->name;
	char *r;
	mf_buf_init(&b, 4096);
	mf_buf_addch(&b, '"');
	for (const char *c = k; *c; c++) {
		if (*c == '"')
			mf_buf_addch(&b, '"');
		mf_buf_addch(&b, *c);
	}
	mf_buf_addstr(&b, "\",NEWALIAS");
	r = mf_arena_strdup(&p->a, b.data);
	mf_buf_release(&b);
	return r;
}

/* ---- the alias map ---- */

struct map_line {
	char *key, *alias;
	int64_t line;
	uint64_t offset;
	int64_t mb;                  /* id of the mailbox it names */
};

/* Which mailboxes does key name?  Count and the first one (in the arena). */
static int64_t map_resolve(struct planner *p, const char *key, struct pmb *first)
{
	int64_t n = 0, id = 0;
	if (mf_store_planw_resolve(p->st, &n, &id, key, NULL) < 0) {
		p->failed = 1;
		return 0;
	}
	if (n > 0 && !mailbox_get(p, first, id))
		return 0;
	return n;
}

static char *trim_dup(struct mf_arena *a, const char *s)
{
	size_t len = strlen(s);
	while (len && mf_pl_is_blank(*s)) {
		s++;
		len--;
	}
	while (len && mf_pl_is_blank(s[len - 1]))
		len--;
	return mf_arena_strndup(a, s, len);
}


/* Read, validate and store a new alias map (replacing the stored one). */
int mf_pl_map_load(struct planner *p, const char *path, struct mf_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	struct mf_rd r;
	struct mf_csv_rec rec;
	struct map_line *lines = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if ((rc = mf_read_file(&text, &len, path, ALIAS_MAP_MAX, diag)) < 0)
		return rc;
	mf_rd_init(&r, text, len);
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		mf_rd_seek(&r, 3);
	mf_csv_rec_init(&rec, 4096, 8);
	for (;;) {
		const char *k, *al;
		struct pmb first = { 0 };
		int64_t hits;
		rc = mf_csv_next(&r, &rec, path, diag);
		if (rc == MF_DONE)
			break;
		if (rc < 0) {
			rc = MF_EUSAGE;
			if (diag)
				diag->code = MF_EUSAGE;
			goto out;
		}
		k = mf_csv_field(&rec, 0);
		if (rec.nfields == 1 && (!*k || *k == '#'))
			continue;
		if (*k == '#')
			continue;
		if (rec.number == 1 && rec.nfields == 2 && mf_strcaseeq(mf_csv_field(&rec, 1), "alias"))
			continue; /* header */
		if (rec.nfields != 2) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: wants two fields, source_address_or_name,alias (has %zu)",
					 (unsigned long long)rec.number, rec.nfields);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			lines = mf_xreallocarray(lines, cap, sizeof(*lines));
		}
		lines[n].key = trim_dup(&p->a, k);
		lines[n].alias = trim_dup(&p->a, mf_csv_field(&rec, 1));
		lines[n].line = (int64_t)rec.number;
		lines[n].offset = rec.offset;
		al = lines[n].alias;
		if (!mf_alias_valid(al)) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: '%s' is not a valid alias (1-20 ASCII letters, digits, "
					 "'.', '_' or '-', not starting with '.' or '-')",
					 (unsigned long long)rec.number, al);
			goto out;
		}
		hits = map_resolve(p, lines[n].key, &first);
		if (p->failed) {
			rc = mf_store_fail(p->st, diag, "cannot resolve alias map");
			goto out;
		}
		if (hits == 0) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: no staged mailbox has the source address or name '%s' "
					 "(see 'mailferry status')", (unsigned long long)rec.number, lines[n].key);
			goto out;
		}
		if (hits > 1) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: '%s' names %lld mailboxes; use the full source address "
					 "(for example '%s')", (unsigned long long)rec.number, lines[n].key,
					 (long long)hits, first.source_address);
			goto out;
		}
		lines[n].mb = first.id;
		for (size_t j = 0; j < n; j++) {
			if (lines[j].mb == first.id) {
				rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
						 "line %llu: mailbox '%s' already got an alias on line %lld",
						 (unsigned long long)rec.number, first.name,
						 (long long)lines[j].line);
				goto out;
			}
			if (mf_strcaseeq(lines[j].alias, al)) {
				rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
						 "line %llu: alias '%s' is already given on line %lld",
						 (unsigned long long)rec.number, al, (long long)lines[j].line);
				goto out;
			}
		}
		n++;
	}
	if ((rc = mf_store_alias_map_clear(p->st, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = mf_store_alias_map_put(p->st, lines[i].key, lines[i].alias, lines[i].line,
						 path, diag)) < 0)
			goto out;
out:
	mf_csv_rec_release(&rec);
	free(lines);
	free(text);
	return rc;
}

struct apply_ctx {
	struct planner *p;
	int64_t *unused;
};

static void apply_line(void *arg, const char *k, const char *al)
{
	struct apply_ctx *ac = arg;
	struct planner *p = ac->p;
	struct pmb first;
	if (!k || !al || !mf_alias_valid(al) || map_resolve(p, k, &first) != 1 || first.map_alias) {
		(*ac->unused)++;
		return;
	}
	if (mf_store_planw_set_map_alias(p->st, first.id, al, NULL) < 0)
		p->failed = 1;
	p->n_mapped++;
}

/* Apply the stored map to the mailboxes; counts lines naming none. */
int mf_pl_map_apply(struct planner *p, int64_t *unused, struct mf_diag *diag)
{
	struct apply_ctx ac = { p, unused };
	int rc;
	*unused = 0;
	rc = mf_store_alias_map_walk(p->st, apply_line, &ac, diag);
	mf_arena_reset(&p->a);
	if (rc == MF_OK && p->failed)
		rc = mf_store_fail(p->st, diag, "cannot apply alias map");
	return rc;
}

/* ---- mailboxes ---- */

/* Copy a mailbox into plan_work, with the match keys of its address. */
static int load_one(void *arg, const struct mf_store_plan_row *r)
{
	struct planner *p = arg;
	struct mf_store_planw w;
	int rc;
	memset(&w, 0, sizeof(w));
	w.id = r->id;
	w.kind = r->kind;
	w.name = r->name;
	w.display_name = r->display_name;
	w.source_address = r->source_address;
	w.current_alias = r->alias;
	w.origin_alias = r->alias_from;
	w.match_key = mf_pl_key_of(&p->a, r->source_address, 0);
	w.loose_key = mf_pl_key_of(&p->a, r->source_address, 1);
	rc = mf_store_planw_add(p->st, &w, NULL);
	mf_arena_reset(&p->a);
	if (rc < 0)
		p->failed = 1;
	return rc;
}

int mf_pl_load_mailboxes(struct planner *p, struct mf_diag *diag)
{
	int rc;
	if ((rc = mf_store_alias_origin(p->st, diag)) < 0 ||
	    (rc = mf_store_planw_reset(p->st, diag)) < 0)
		return rc;
	rc = mf_store_plan_mailbox_walk(p->st, load_one, p, diag);
	if (rc < 0 && p->failed)
		rc = mf_store_fail(p->st, diag, "cannot store plan work");
	return rc;
}

/*
 * Key filters for the matching pass.  Most mailboxes have no earlier
 * mailbox with their match key and no target proxy with their match or
 * loose key, and each of those look-ups is an index probe at a random
 * place of a table that outgrows the page cache at 100,000 users.  Three
 * fixed-size Bloom filters (ASCII case folded, as COLLATE NOCASE compares)
 * answer "certainly not" in memory: the keys of the mailboxes matched so
 * far (the walk is in id order, so these are the ones before), and the
 * target proxies' match and loose keys (one pass over target_proxies).  A
 * "maybe" runs the look-up as before, so the decisions are the same.
 */
#define KF_BITS (1u << 21)           /* 256 KiB per filter */

struct pl_bloom {
	uint64_t w[KF_BITS / 64];
};

struct pl_keyfilters {
	struct pl_bloom seen, match, loose;
};

static uint64_t key_hash(const char *k)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *c = (const unsigned char *)k; *c; c++) {
		unsigned char ch = *c;
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		h = (h ^ ch) * 0x100000001b3u;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

static void bloom_add(struct pl_bloom *b, uint64_t h)
{
	uint32_t i = (uint32_t)h % KF_BITS, j = (uint32_t)(h >> 32) % KF_BITS;
	b->w[i / 64] |= (uint64_t)1 << (i % 64);
	b->w[j / 64] |= (uint64_t)1 << (j % 64);
}

static int bloom_has(const struct pl_bloom *b, uint64_t h)
{
	uint32_t i = (uint32_t)h % KF_BITS, j = (uint32_t)(h >> 32) % KF_BITS;
	return (b->w[i / 64] >> (i % 64) & 1) && (b->w[j / 64] >> (j % 64) & 1);
}

static void target_key(void *arg, const char *match_key, const char *loose_key)
{
	struct pl_keyfilters *kf = arg;
	if (match_key)
		bloom_add(&kf->match, key_hash(match_key));
	if (loose_key)
		bloom_add(&kf->loose, key_hash(loose_key));
}

/* Target objects carrying key (at most max), in id order. */
static int match_objects(struct planner *p, const char *key, struct mf_store_tobj *out, size_t max,
			 size_t *n_out, struct mf_diag *diag)
{
	return mf_store_target_match(p->st, out, max, n_out, key, &p->a, diag);
}

/* Decide a mailbox's action from the target's objects. */
static int match_one(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	struct mf_store_tobj o[8];
	size_t n = 0, nc = 0, nm = 0, nd = 0, ic = 0, im = 0, idl = 0;
	const char *me = describe_mailbox(p, m);
	struct pmb prev;
	uint64_t hk = m->key ? key_hash(m->key) : 0;
	int earlier = 1, rc;

	m->action = !strcmp(m->kind, "public") ? MF_PLAN_PUBLIC : MF_PLAN_CREATE;
	if (m->key && p->kf) {
		earlier = bloom_has(&p->kf->seen, hk);
		bloom_add(&p->kf->seen, hk);
	}
	if (m->key && earlier && mf_pl_mailbox_by_key(p, &prev, m->key, m->id)) {
		mf_pl_conflict(p, m, "plan.duplicate-address", 0,
			 "%s has the same source address as %s (the same user staged twice?); "
			 "on the target both would land in one mailbox; fix: export them to "
			 "separate targets with --mailbox, or remove one source from the staging "
			 "database", me, describe_mailbox(p, &prev));
		return MF_OK;
	}
	if (p->failed)
		return mf_store_fail(p->st, diag, "cannot read plan work");
	if (m->action == MF_PLAN_PUBLIC || !m->key)
		return MF_OK;
	if ((!p->kf || bloom_has(&p->kf->match, hk)) &&
	    (rc = match_objects(p, m->key, o, MF_ARRAY_LEN(o), &n, diag)) < 0)
		return rc;
	if (n > MF_ARRAY_LEN(o))
		n = MF_ARRAY_LEN(o);
	for (size_t k = 0; k < n; k++) {
		if (!strcmp(o[k].cls, "custom")) {
			if (nc++ == 0)
				ic = k;
		} else if (!strcmp(o[k].cls, "mailbox")) {
			if (nm++ == 0)
				im = k;
		} else {
			if (nd++ == 0)
				idl = k;
		}
	}
	if (n == 0) {
		/* a near miss: the Wizard compares exactly and would not find it */
		struct mf_store_tobj lo;
		int found = 0;
		if (m->loose && (!p->kf || bloom_has(&p->kf->loose, key_hash(m->loose))))
			found = mf_store_target_loose(p->st, &lo, m->loose, &p->a, diag);
		if (found < 0)
			return found;
		if (found == 1) {
			int64_t oid = lo.id;
			const char *px = lo.proxy;
			mf_pl_conflict(p, m, "plan.near-match", oid,
				 "%s: %s has the proxy address '%s', which differs from the source "
				 "address only in blanks; the Migration Wizard compares addresses exactly "
				 "and would create a second object beside it; fix: correct that proxy "
				 "on the target to '%s' and import a new directory snapshot",
				 me, mf_pl_describe_object(p, oid), px, m->source_address);
		}
		return MF_OK;
	}
	if (nd) {
		mf_pl_conflict(p, m, "plan.matches-list", o[idl].id,
			 "%s: its source address is a proxy address of %s; fix: remove that "
			 "address from the list on the target and import a new directory snapshot",
			 me, mf_pl_describe_object(p, o[idl].id));
		return MF_OK;
	}
	if (nc > 1) {
		size_t k2 = ic + 1;
		while (k2 < n && strcmp(o[k2].cls, "custom"))
			k2++;
		mf_pl_conflict(p, m, "plan.ambiguous", o[ic].id,
			 "%s: two custom recipients on the target carry its address, %s and %s; "
			 "the Migration Wizard cannot tell which one to convert; fix: delete one of "
			 "them (or remove the address from it) on the target and import a new "
			 "directory snapshot", me, mf_pl_describe_object(p, o[ic].id),
			 mf_pl_describe_object(p, o[k2 < n ? k2 : ic].id));
		return MF_OK;
	}
	if (nc && nm) {
		mf_pl_conflict(p, m, "plan.ambiguous", o[ic].id,
			 "%s: both %s and %s on the target carry its address; fix: remove the "
			 "address from the one that is not this user and import a new directory "
			 "snapshot", me, mf_pl_describe_object(p, o[im].id), mf_pl_describe_object(p, o[ic].id));
		return MF_OK;
	}
	if (nm > 1) {
		mf_pl_conflict(p, m, "plan.ambiguous", o[im].id,
			 "%s: several mailboxes on the target carry its address, first %s; fix: "
			 "keep the address on one of them and import a new directory snapshot",
			 me, mf_pl_describe_object(p, o[im].id));
		return MF_OK;
	}
	{
		const struct mf_store_tobj *t = nc ? &o[ic] : &o[im];
		int64_t other = 0;
		struct pmb om;
		int found = mf_store_planw_claimed(p->st, &other, t->id, m->id, diag);
		if (found < 0)
			return found;
		if (found == 1 && mailbox_get(p, &om, other)) {
			mf_pl_conflict(p, m, "plan.ambiguous", t->id,
				 "%s: %s on the target is also claimed by %s; fix: give one of the two "
				 "mailboxes another source address or migrate them separately",
				 me, mf_pl_describe_object(p, t->id), describe_mailbox(p, &om));
			return MF_OK;
		}
		m->action = nc ? MF_PLAN_CONVERT : MF_PLAN_EXISTS;
		m->object_id = t->id;
		m->obj_class = t->cls;
		m->obj_alias = t->alias;
		m->obj_dn = t->display_name;
	}
	return MF_OK;
}

/* Decide each mailbox's action from the target's objects. */
int mf_pl_match_mailboxes(struct planner *p, struct mf_diag *diag)
{
	struct pl_keyfilters *kf = mf_xcalloc(1, sizeof(*kf));
	int rc = mf_store_target_keys_each(p->st, target_key, kf, diag);
	if (rc == MF_OK) {
		p->kf = kf;
		rc = each_mailbox(p, 1, match_one, diag);
		p->kf = NULL;
	}
	free(kf);
	if (rc == MF_OK && p->failed)
		rc = mf_store_fail(p->st, diag, "cannot describe target objects");
	return rc;
}

/* pass 1: the map */
static int alias_from_map(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	(void)diag;
	if (m->map_alias && !alias_given(p, m->map_alias)) {
		snprintf(m->alias, sizeof(m->alias), "%s", m->map_alias);
		m->has_alias = 1;
		m->alias_from = "map";
		mf_pl_alias_take(p, m->alias);
	}
	return MF_OK;
}

/* pass 2: the alias of the object the mailbox becomes */
static int alias_from_target(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	(void)diag;
	if (m->has_alias || (m->action != MF_PLAN_CONVERT && m->action != MF_PLAN_EXISTS))
		return MF_OK;
	if (m->obj_alias && mf_alias_valid(m->obj_alias) && !alias_given(p, m->obj_alias)) {
		snprintf(m->alias, sizeof(m->alias), "%s", m->obj_alias);
		m->has_alias = 1;
		m->alias_from = "target";
		mf_pl_alias_take(p, m->alias);
	}
	return MF_OK;
}

/* pass 3: as staged, numbered when another mailbox took it above */
static int alias_as_staged(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	(void)diag;
	if (m->has_alias || !m->origin || !*m->origin)
		return MF_OK;
	if (!alias_given(p, m->origin)) {
		snprintf(m->alias, sizeof(m->alias), "%s", m->origin);
	} else {
		char base[MF_ALIAS_MAX + 1];
		snprintf(base, sizeof(base), "%s", m->origin);
		if (mf_pl_alias_unique(p, m->alias, base) < 0)
			return MF_OK;
	}
	m->has_alias = 1;
	m->alias_from = "staged";
	mf_pl_alias_take(p, m->alias);
	return MF_OK;
}

/* Make every mailbox's alias final: map, then target, then staged. */
int mf_pl_final_aliases(struct planner *p, struct mf_diag *diag)
{
	int rc;
	/* pass 1 only when a map line names a mailbox (it changes no other) */
	if ((p->n_mapped && (rc = each_mailbox(p, 1, alias_from_map, diag)) < 0) ||
	    (rc = each_mailbox(p, 1, alias_from_target, diag)) < 0 ||
	    (rc = each_mailbox(p, 1, alias_as_staged, diag)) < 0)
		return rc;
	if (p->failed)
		return mf_store_fail(p->st, diag, "cannot check aliases");
	return MF_OK;
}

/* Conflicts that depend on the final alias, and the messages. */
static int conflicts_and_message(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	(void)diag;
	{
		const char *me;
		int64_t owner;

		if (m->action == MF_PLAN_CONFLICT)
			return MF_OK;
		me = describe_mailbox(p, m);
		if (!m->has_alias) {
			mf_pl_conflict(p, m, "plan.no-alias", 0,
				 "%s: no ASCII alias could be formed from its name; fix: give it one in "
				 "an alias map (a line %s) and run 'mailferry plan --alias-map FILE'",
				 me, map_line(p, m));
			return MF_OK;
		}
		if (m->action != MF_PLAN_PUBLIC) {
			owner = target_alias_owner(p, m->alias, m->object_id);
			if (owner) {
				mf_pl_conflict(p, m, "plan.alias-taken", owner,
					 "%s: its alias '%s' is already taken on the target by %s; fix: give "
					 "the mailbox another alias in an alias map (a line %s) and run "
					 "'mailferry plan --alias-map FILE'",
					 me, m->alias, mf_pl_describe_object(p, owner), map_line(p, m));
				return MF_OK;
			}
		}
		switch (m->action) {
		case MF_PLAN_CREATE:
			set_message(p, m, "create mailbox '%s'", m->alias);
			break;
		case MF_PLAN_CONVERT:
			set_message(p, m, "convert %s into this mailbox (no directory object is "
				    "written; its mail section converts it)%s",
				    mf_pl_describe_object(p, m->object_id),
				    strcmp(m->alias_from, "target") ? "; it keeps the alias from the map" : "");
			break;
		case MF_PLAN_EXISTS:
			set_message(p, m, "%s already exists on the target; the mail goes into it",
				    mf_pl_describe_object(p, m->object_id));
			break;
		case MF_PLAN_PUBLIC:
			set_message(p, m, "public folder '%s' (no directory object)", m->alias);
			break;
		default:
			break;
		}
	}
	return MF_OK;
}

int mf_pl_alias_conflicts_and_messages(struct planner *p, struct mf_diag *diag)
{
	return each_mailbox(p, 1, conflicts_and_message, diag);
}

static int changed(const struct pmb *m)
{
	const char *want = m->has_alias ? m->alias : NULL;
	if (!want || !m->current)
		return want != m->current;
	return strcmp(want, m->current) != 0;
}

static int unset_alias(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	int rc = MF_OK;
	if (changed(m) && (rc = mf_store_mailbox_set_alias(p->st, m->id, NULL, diag)) == MF_OK)
		p->n_changed++;
	return rc;
}

static int set_alias(struct planner *p, struct pmb *m, struct mf_diag *diag)
{
	if (!changed(m) || !m->has_alias)
		return MF_OK;
	return mf_store_mailbox_set_alias(p->st, m->id, m->alias, diag);
}

int mf_pl_store_mailboxes(struct planner *p, int64_t *n_changed, struct mf_diag *diag)
{
	int rc;

	/* two steps, so that two mailboxes can swap aliases */
	p->n_changed = 0;
	if ((rc = each_mailbox(p, 0, unset_alias, diag)) < 0 ||
	    (rc = each_mailbox(p, 0, set_alias, diag)) < 0)
		return rc;
	*n_changed = p->n_changed;
	return mf_store_planw_write_plan(p->st, diag);
}
