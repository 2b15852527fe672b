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
 */
#include "engine/plan.h"
#include "core/alias.h"
#include "core/csvrd.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLAN_VERSION "mailferry-plan-1"
#define ALIAS_MAP_MAX (16u << 20)

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

static enum mf_plan_action action_parse(const char *s)
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

static int is_blank(int c)
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
	while (len && is_blank(s[0])) {
		s++;
		len--;
	}
	while (len && is_blank(s[len - 1]))
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
	while (len && is_blank(s[0])) {
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
		if (!loose || !is_blank(p->address[i]))
			rc = mf_buf_addch(b, p->address[i]);
	return rc;
}

/* The match key of an address as staged ("CCMAIL:Name at PO"); when it
 * does not parse as TYPE:address the text itself.  In arena. */
static char *key_of(struct mf_arena *a, const char *addr, int loose)
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

/* ---- small helpers ---- */

static int prep(struct mf_store *st, sqlite3_stmt **s, const char *sql, struct mf_diag *diag)
{
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return mf_store_fail(st, diag, "cannot prepare plan query");
	}
	return MF_OK;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* A set of strings compared case-insensitively (ASCII), open addressing. */
struct sset {
	char **slot;
	size_t cap, n;
};

static uint64_t ci_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211ull;
	}
	return h;
}

static int sset_has(const struct sset *set, const char *s)
{
	if (!set->cap)
		return 0;
	for (size_t i = ci_hash(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (!set->slot[i])
			return 0;
		if (!strcasecmp(set->slot[i], s))
			return 1;
	}
}

static void sset_add(struct sset *set, struct mf_arena *a, const char *s)
{
	if (sset_has(set, s))
		return;
	if ((set->n + 1) * 2 > set->cap) {
		struct sset big;
		big.cap = set->cap ? set->cap * 2 : 64;
		big.n = 0;
		big.slot = mf_xcalloc(big.cap, sizeof(*big.slot));
		for (size_t i = 0; i < set->cap; i++)
			if (set->slot[i]) {
				size_t j = ci_hash(set->slot[i]) & (big.cap - 1);
				while (big.slot[j])
					j = (j + 1) & (big.cap - 1);
				big.slot[j] = set->slot[i];
				big.n++;
			}
		free(set->slot);
		*set = big;
	}
	{
		size_t j = ci_hash(s) & (set->cap - 1);
		while (set->slot[j])
			j = (j + 1) & (set->cap - 1);
		set->slot[j] = mf_arena_strdup(a, s);
		set->n++;
	}
}

static void sset_release(struct sset *set)
{
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* A string -> index map (case-insensitive keys), for matching addresses. */
struct smap {
	char **key;
	size_t *val;
	size_t cap, n;
};

static int smap_get(const struct smap *m, const char *k, size_t *v)
{
	if (!m->cap || !k)
		return 0;
	for (size_t i = ci_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->key[i])
			return 0;
		if (!strcasecmp(m->key[i], k)) {
			*v = m->val[i];
			return 1;
		}
	}
}

static void smap_put(struct smap *m, const char *k, size_t v)
{
	size_t dummy;
	if (!k || smap_get(m, k, &dummy))
		return;
	if ((m->n + 1) * 2 > m->cap) {
		struct smap big;
		big.cap = m->cap ? m->cap * 2 : 64;
		big.n = 0;
		big.key = mf_xcalloc(big.cap, sizeof(*big.key));
		big.val = mf_xcalloc(big.cap, sizeof(*big.val));
		for (size_t i = 0; i < m->cap; i++)
			if (m->key[i]) {
				size_t j = ci_hash(m->key[i]) & (big.cap - 1);
				while (big.key[j])
					j = (j + 1) & (big.cap - 1);
				big.key[j] = m->key[i];
				big.val[j] = m->val[i];
				big.n++;
			}
		free(m->key);
		free(m->val);
		*m = big;
	}
	{
		size_t j = ci_hash(k) & (m->cap - 1);
		while (m->key[j])
			j = (j + 1) & (m->cap - 1);
		m->key[j] = (char *)k;   /* borrowed: keys live in the plan's arena */
		m->val[j] = v;
		m->n++;
	}
}

static void smap_release(struct smap *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

/* ---- fingerprint: everything the plan is made from ---- */

static const char *const FP_QUERIES[] = {
	"SELECT m.id, m.kind, m.name, m.display_name, m.source_address, "
	"CASE WHEN o.mailbox_id IS NOT NULL THEN o.alias ELSE m.alias END "
	"FROM mailboxes m LEFT JOIN alias_origin o ON o.mailbox_id = m.id ORDER BY m.id",
	"SELECT id, kind, name, display_name, given_name, surname, address_type, address "
	"FROM dir_entries WHERE kind IN ('custom', 'list') ORDER BY id",
	"SELECT id, class, alias, display_name FROM target_objects ORDER BY id",
	"SELECT object_id, position, match_key, loose_key FROM target_proxies ORDER BY object_id, position",
	"SELECT key, alias, line FROM alias_map ORDER BY key COLLATE NOCASE",
	NULL
};

static int fingerprint(struct mf_store *st, char hex[MF_SHA256_HEX], struct mf_diag *diag)
{
	struct mf_sha256 h;
	int rc = MF_OK;

	mf_sha256_init(&h);
	mf_sha256_update(&h, PLAN_VERSION, strlen(PLAN_VERSION));
	for (size_t q = 0; FP_QUERIES[q] && rc == MF_OK; q++) {
		sqlite3_stmt *s;
		int step;
		if ((rc = prep(st, &s, FP_QUERIES[q], diag)) < 0)
			break;
		mf_sha256_update(&h, "\x1d", 1);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			int n = sqlite3_column_count(s);
			for (int i = 0; i < n; i++) {
				if (sqlite3_column_type(s, i) == SQLITE_NULL) {
					mf_sha256_update(&h, "\x1e", 1);
				} else {
					const unsigned char *t = sqlite3_column_text(s, i);
					mf_sha256_update(&h, t, (size_t)sqlite3_column_bytes(s, i));
					mf_sha256_update(&h, "\x1f", 1);
				}
			}
			mf_sha256_update(&h, "\n", 1);
		}
		if (step != SQLITE_DONE)
			rc = mf_store_fail(st, diag, "cannot read plan inputs");
		sqlite3_finalize(s);
	}
	mf_sha256_final(&h, hex);
	return rc;
}

static const char SQL_STATE_FP[] = "SELECT fingerprint FROM plan_state WHERE id = 1";

int mf_plan_is_current(struct mf_store *st, struct mf_diag *diag)
{
	char hex[MF_SHA256_HEX];
	sqlite3_stmt *s = mf_store_stmt(st, SQL_STATE_FP, diag);
	int rc, cur = 0;
	if (!s)
		return MF_ESTORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *fp = col(s, 0);
		snprintf(hex, sizeof(hex), "%s", fp ? fp : "");
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot read plan state");
	{
		char now[MF_SHA256_HEX];
		if ((rc = fingerprint(st, now, diag)) < 0)
			return rc;
		cur = !strcmp(now, hex);
	}
	return cur;
}

/* ---- the mailboxes being planned ---- */

struct pmb {
	int64_t id;
	const char *kind, *name, *display_name, *source_address;
	const char *current;        /* mailboxes.alias now */
	const char *origin;         /* alias it was staged with */
	const char *key, *loose;    /* match keys of its source address */
	const char *map_alias;      /* from the alias map */
	enum mf_plan_action action;
	int64_t object_id;
	const char *obj_class, *obj_alias, *obj_dn;
	const char *conflict;
	char *message;
	char alias[MF_ALIAS_MAX + 1];
	int has_alias;
	const char *alias_from;
};

struct planner {
	struct mf_store *st;
	struct mf_arena a;
	struct pmb *mb;
	size_t n;
	struct sset aliases;        /* final aliases of mailboxes and created recipients */
	struct smap by_key;         /* mailbox source key -> index */
	int failed;                 /* a query failed inside a callback */
};

static const char SQL_OBJ_ALIAS[] =
	"SELECT id FROM target_objects WHERE alias = ?1 COLLATE NOCASE AND id <> ?2 ORDER BY id LIMIT 1";

/* The target object (other than except_id) using alias; 0 when none. */
static int64_t target_alias_owner(struct planner *p, const char *alias, int64_t except_id)
{
	sqlite3_stmt *s = mf_store_stmt(p->st, SQL_OBJ_ALIAS, NULL);
	int64_t id = 0;
	int rc;
	if (!s) {
		p->failed = 1;
		return 0;
	}
	mf_store_bind_text(s, 1, alias);
	sqlite3_bind_int64(s, 2, except_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		p->failed = 1;
	sqlite3_reset(s);
	return id;
}

static int alias_taken_any(const char *alias, void *payload)
{
	struct planner *p = payload;
	return sset_has(&p->aliases, alias) || target_alias_owner(p, alias, 0) != 0;
}

static const char SQL_OBJ_DESC[] =
	"SELECT o.class, o.alias, o.display_name, (SELECT proxy FROM target_proxies x "
	"WHERE x.object_id = o.id ORDER BY x.position LIMIT 1) FROM target_objects o WHERE o.id = ?1";

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
static const char *describe_object(struct planner *p, int64_t id)
{
	sqlite3_stmt *s = mf_store_stmt(p->st, SQL_OBJ_DESC, NULL);
	const char *r = "an object of the target";
	if (!s) {
		p->failed = 1;
		return r;
	}
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *cls = col(s, 0), *al = col(s, 1), *dn = col(s, 2), *px = col(s, 3);
		char *t = mf_xasprintf("%s '%s' (%s%s%s%s)", class_words(cls), al ? al : "(no alias)",
				       dn ? dn : "no display name", px ? " <" : "", px ? px : "",
				       px ? ">" : "");
		r = mf_arena_strdup(&p->a, t);
		free(t);
	}
	sqlite3_reset(s);
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

static void conflict(struct planner *p, struct pmb *m, const char *code, int64_t other,
		     const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
static void conflict(struct planner *p, struct pmb *m, const char *code, int64_t other,
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
	size_t mb;                   /* index of the mailbox it names */
};

/* Which mailboxes does key name?  Count and the first index. */
static size_t map_resolve(const struct planner *p, const char *key, size_t *first)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct pmb *m = &p->mb[i];
		int hit = 0;
		if (m->source_address) {
			hit = mf_strcaseeq(key, m->source_address);
			if (!hit && mf_strncaseeq(key, "MIGRATE:", 8))
				hit = mf_strcaseeq(key + 8, m->source_address);
		}
		if (!hit)
			hit = mf_strcaseeq(key, m->name);
		if (hit) {
			if (n++ == 0)
				*first = i;
		}
	}
	return n;
}

static char *trim_dup(struct mf_arena *a, const char *s)
{
	size_t len = strlen(s);
	while (len && is_blank(*s)) {
		s++;
		len--;
	}
	while (len && is_blank(s[len - 1]))
		len--;
	return mf_arena_strndup(a, s, len);
}

static const char SQL_MAP_DEL[] = "DELETE FROM alias_map";
static const char SQL_MAP_INS[] = "INSERT INTO alias_map(key, alias, line, file) VALUES (?1, ?2, ?3, ?4)";

/* Read, validate and store a new alias map (replacing the stored one). */
static int map_load(struct planner *p, const char *path, struct mf_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	struct mf_rd r;
	struct mf_csv_rec rec;
	struct map_line *lines = NULL;
	size_t n = 0, cap = 0;
	int rc;
	sqlite3_stmt *s;

	if ((rc = mf_read_file(&text, &len, path, ALIAS_MAP_MAX, diag)) < 0)
		return rc;
	mf_rd_init(&r, text, len);
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		mf_rd_seek(&r, 3);
	mf_csv_rec_init(&rec, 4096, 8);
	for (;;) {
		const char *k, *al;
		size_t first = 0, hits;
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
		if (hits == 0) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: no staged mailbox has the source address or name '%s' "
					 "(see 'mailferry status')", (unsigned long long)rec.number, lines[n].key);
			goto out;
		}
		if (hits > 1) {
			rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
					 "line %llu: '%s' names %zu mailboxes; use the full source address "
					 "(for example '%s')", (unsigned long long)rec.number, lines[n].key,
					 hits, p->mb[first].source_address);
			goto out;
		}
		lines[n].mb = first;
		for (size_t j = 0; j < n; j++) {
			if (lines[j].mb == first) {
				rc = mf_diag_set(diag, MF_EUSAGE, path, rec.offset,
						 "line %llu: mailbox '%s' already got an alias on line %lld",
						 (unsigned long long)rec.number, p->mb[first].name,
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
	if ((rc = mf_store_exec(p->st, SQL_MAP_DEL, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!(s = mf_store_stmt(p->st, SQL_MAP_INS, diag))) {
			rc = MF_ESTORE;
			goto out;
		}
		mf_store_bind_text(s, 1, lines[i].key);
		mf_store_bind_text(s, 2, lines[i].alias);
		sqlite3_bind_int64(s, 3, lines[i].line);
		mf_store_bind_text(s, 4, path);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_reset(s);
			rc = mf_store_fail(p->st, diag, "cannot store alias map");
			goto out;
		}
		sqlite3_reset(s);
	}
out:
	mf_csv_rec_release(&rec);
	free(lines);
	free(text);
	return rc;
}

/* Apply the stored map to the mailboxes; counts lines naming none. */
static int map_apply(struct planner *p, int64_t *unused, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;

	*unused = 0;
	if ((rc = prep(p->st, &s, "SELECT key, alias FROM alias_map ORDER BY line, key", diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = col(s, 0), *al = col(s, 1);
		size_t first = 0;
		if (!p->mb || !k || !al || !mf_alias_valid(al) || map_resolve(p, k, &first) != 1 ||
		    first >= p->n || p->mb[first].map_alias) {
			(*unused)++;
			continue;
		}
		p->mb[first].map_alias = mf_arena_strdup(&p->a, al);
	}
	if (step != SQLITE_DONE)
		rc = mf_store_fail(p->st, diag, "cannot read alias map");
	sqlite3_finalize(s);
	return rc;
}

/* ---- mailboxes ---- */

static const char SQL_ORIGIN[] =
	"INSERT OR IGNORE INTO alias_origin(mailbox_id, alias) SELECT id, alias FROM mailboxes";
static const char SQL_MB_ALL[] =
	"SELECT m.id, m.kind, m.name, m.display_name, m.source_address, m.alias, o.alias "
	"FROM mailboxes m JOIN alias_origin o ON o.mailbox_id = m.id ORDER BY m.id";

static int load_mailboxes(struct planner *p, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	if ((rc = mf_store_exec(p->st, SQL_ORIGIN, diag)) < 0)
		return rc;
	if ((rc = prep(p->st, &s, SQL_MB_ALL, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct pmb *m;
		if (p->n == cap) {
			cap = cap ? cap * 2 : 64;
			p->mb = mf_xreallocarray(p->mb, cap, sizeof(*p->mb));
		}
		m = &p->mb[p->n++];
		memset(m, 0, sizeof(*m));
		m->id = sqlite3_column_int64(s, 0);
		m->kind = mf_arena_strdup(&p->a, col(s, 1));
		m->name = mf_arena_strdup(&p->a, col(s, 2));
		m->display_name = mf_arena_strdup(&p->a, col(s, 3));
		m->source_address = mf_arena_strdup(&p->a, col(s, 4));
		m->current = mf_arena_strdup(&p->a, col(s, 5));
		m->origin = mf_arena_strdup(&p->a, col(s, 6));
		m->key = key_of(&p->a, m->source_address, 0);
		m->loose = key_of(&p->a, m->source_address, 1);
		if (!m->kind)
			m->kind = "mailbox";
		if (!m->name)
			m->name = "";
	}
	if (step != SQLITE_DONE)
		rc = mf_store_fail(p->st, diag, "cannot read mailboxes");
	sqlite3_finalize(s);
	return rc;
}

struct tobj {
	int64_t id;
	const char *cls, *alias, *dn;
};

static const char SQL_MATCH[] =
	"SELECT DISTINCT o.id, o.class, o.alias, o.display_name FROM target_proxies x "
	"JOIN target_objects o ON o.id = x.object_id WHERE x.match_key = ?1 COLLATE NOCASE ORDER BY o.id";
static const char SQL_LOOSE[] =
	"SELECT DISTINCT o.id, x.proxy FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
	"WHERE x.loose_key = ?1 COLLATE NOCASE AND o.class <> 'dl' ORDER BY o.id LIMIT 1";

/* Target objects carrying key (at most max), in id order. */
static int match_objects(struct planner *p, const char *key, struct tobj *out, size_t max,
			 size_t *n_out, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(p->st, SQL_MATCH, diag);
	size_t n = 0;
	int step;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n < max) {
			out[n].id = sqlite3_column_int64(s, 0);
			out[n].cls = mf_arena_strdup(&p->a, col(s, 1));
			out[n].alias = mf_arena_strdup(&p->a, col(s, 2));
			out[n].dn = mf_arena_strdup(&p->a, col(s, 3));
		}
		n++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(p->st, diag, "cannot match target objects");
	*n_out = n;
	return MF_OK;
}

/* Decide each mailbox's action from the target's objects. */
static int match_mailboxes(struct planner *p, struct mf_diag *diag)
{
	struct smap claimed = { 0 };  /* object id (as text) -> mailbox index */
	int rc = MF_OK;

	for (size_t i = 0; i < p->n && rc == MF_OK; i++) {
		struct pmb *m = &p->mb[i];
		struct tobj o[8];
		size_t n = 0, nc = 0, nm = 0, nd = 0, ic = 0, im = 0, idl = 0, prev;
		const char *me = describe_mailbox(p, m);

		m->action = !strcmp(m->kind, "public") ? MF_PLAN_PUBLIC : MF_PLAN_CREATE;
		if (m->key && smap_get(&p->by_key, m->key, &prev)) {
			conflict(p, m, "plan.duplicate-address", 0,
				 "%s has the same source address as %s (the same user staged twice?); "
				 "on the target both would land in one mailbox; fix: export them to "
				 "separate targets with --mailbox, or remove one source from the staging "
				 "database", me, describe_mailbox(p, &p->mb[prev]));
			continue;
		}
		smap_put(&p->by_key, m->key, i);
		if (m->action == MF_PLAN_PUBLIC || !m->key)
			continue;
		if ((rc = match_objects(p, m->key, o, MF_ARRAY_LEN(o), &n, diag)) < 0)
			break;
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
			sqlite3_stmt *s = mf_store_stmt(p->st, SQL_LOOSE, diag);
			if (!s) {
				rc = MF_ESTORE;
				break;
			}
			mf_store_bind_text(s, 1, m->loose);
			if (sqlite3_step(s) == SQLITE_ROW) {
				int64_t oid = sqlite3_column_int64(s, 0);
				char *px = mf_arena_strdup(&p->a, col(s, 1));
				sqlite3_reset(s);
				conflict(p, m, "plan.near-match", oid,
					 "%s: %s has the proxy address '%s', which differs from the source "
					 "address only in blanks; the Migration Wizard compares addresses exactly "
					 "and would create a second object beside it; fix: correct that proxy "
					 "on the target to '%s' and import a new directory snapshot",
					 me, describe_object(p, oid), px, m->source_address);
				continue;
			}
			sqlite3_reset(s);
			continue;
		}
		if (nd) {
			conflict(p, m, "plan.matches-list", o[idl].id,
				 "%s: its source address is a proxy address of %s; fix: remove that "
				 "address from the list on the target and import a new directory snapshot",
				 me, describe_object(p, o[idl].id));
			continue;
		}
		if (nc > 1) {
			size_t k2 = ic + 1;
			while (k2 < n && strcmp(o[k2].cls, "custom"))
				k2++;
			conflict(p, m, "plan.ambiguous", o[ic].id,
				 "%s: two custom recipients on the target carry its address, %s and %s; "
				 "the Migration Wizard cannot tell which one to convert; fix: delete one of "
				 "them (or remove the address from it) on the target and import a new "
				 "directory snapshot", me, describe_object(p, o[ic].id),
				 describe_object(p, o[k2 < n ? k2 : ic].id));
			continue;
		}
		if (nc && nm) {
			conflict(p, m, "plan.ambiguous", o[ic].id,
				 "%s: both %s and %s on the target carry its address; fix: remove the "
				 "address from the one that is not this user and import a new directory "
				 "snapshot", me, describe_object(p, o[im].id), describe_object(p, o[ic].id));
			continue;
		}
		if (nm > 1) {
			conflict(p, m, "plan.ambiguous", o[im].id,
				 "%s: several mailboxes on the target carry its address, first %s; fix: "
				 "keep the address on one of them and import a new directory snapshot",
				 me, describe_object(p, o[im].id));
			continue;
		}
		{
			const struct tobj *t = nc ? &o[ic] : &o[im];
			char idk[32];
			size_t other;
			snprintf(idk, sizeof(idk), "%lld", (long long)t->id);
			if (smap_get(&claimed, idk, &other)) {
				conflict(p, m, "plan.ambiguous", t->id,
					 "%s: %s on the target is also claimed by %s; fix: give one of the two "
					 "mailboxes another source address or migrate them separately",
					 me, describe_object(p, t->id), describe_mailbox(p, &p->mb[other]));
				continue;
			}
			smap_put(&claimed, mf_arena_strdup(&p->a, idk), i);
			m->action = nc ? MF_PLAN_CONVERT : MF_PLAN_EXISTS;
			m->object_id = t->id;
			m->obj_class = t->cls;
			m->obj_alias = t->alias;
			m->obj_dn = t->dn;
		}
	}
	smap_release(&claimed);
	if (rc == MF_OK && p->failed)
		rc = mf_store_fail(p->st, diag, "cannot describe target objects");
	return rc;
}

/* Make every mailbox's alias final: map, then target, then staged. */
static int final_aliases(struct planner *p, struct mf_diag *diag)
{
	/* pass 1: the map */
	for (size_t i = 0; i < p->n; i++) {
		struct pmb *m = &p->mb[i];
		if (m->map_alias && !sset_has(&p->aliases, m->map_alias)) {
			snprintf(m->alias, sizeof(m->alias), "%s", m->map_alias);
			m->has_alias = 1;
			m->alias_from = "map";
			sset_add(&p->aliases, &p->a, m->alias);
		}
	}
	/* pass 2: the alias of the object the mailbox becomes */
	for (size_t i = 0; i < p->n; i++) {
		struct pmb *m = &p->mb[i];
		if (m->has_alias || (m->action != MF_PLAN_CONVERT && m->action != MF_PLAN_EXISTS))
			continue;
		if (m->obj_alias && mf_alias_valid(m->obj_alias) && !sset_has(&p->aliases, m->obj_alias)) {
			snprintf(m->alias, sizeof(m->alias), "%s", m->obj_alias);
			m->has_alias = 1;
			m->alias_from = "target";
			sset_add(&p->aliases, &p->a, m->alias);
		}
	}
	/* pass 3: as staged, numbered when another mailbox took it above */
	for (size_t i = 0; i < p->n; i++) {
		struct pmb *m = &p->mb[i];
		if (m->has_alias || !m->origin || !*m->origin)
			continue;
		if (!sset_has(&p->aliases, m->origin)) {
			snprintf(m->alias, sizeof(m->alias), "%s", m->origin);
		} else {
			char base[MF_ALIAS_MAX + 1];
			snprintf(base, sizeof(base), "%s", m->origin);
			if (mf_alias_unique(m->alias, base, alias_taken_any, p) < 0)
				continue;
		}
		m->has_alias = 1;
		m->alias_from = "staged";
		sset_add(&p->aliases, &p->a, m->alias);
	}
	if (p->failed)
		return mf_store_fail(p->st, diag, "cannot check aliases");
	return MF_OK;
}

/* Conflicts that depend on the final alias, and the messages. */
static void alias_conflicts_and_messages(struct planner *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct pmb *m = &p->mb[i];
		const char *me;
		int64_t owner;

		if (m->action == MF_PLAN_CONFLICT)
			continue;
		me = describe_mailbox(p, m);
		if (!m->has_alias) {
			conflict(p, m, "plan.no-alias", 0,
				 "%s: no ASCII alias could be formed from its name; fix: give it one in "
				 "an alias map (a line %s) and run 'mailferry plan --alias-map FILE'",
				 me, map_line(p, m));
			continue;
		}
		if (m->action != MF_PLAN_PUBLIC) {
			owner = target_alias_owner(p, m->alias, m->object_id);
			if (owner) {
				conflict(p, m, "plan.alias-taken", owner,
					 "%s: its alias '%s' is already taken on the target by %s; fix: give "
					 "the mailbox another alias in an alias map (a line %s) and run "
					 "'mailferry plan --alias-map FILE'",
					 me, m->alias, describe_object(p, owner), map_line(p, m));
				continue;
			}
		}
		switch (m->action) {
		case MF_PLAN_CREATE:
			set_message(p, m, "create mailbox '%s'", m->alias);
			break;
		case MF_PLAN_CONVERT:
			set_message(p, m, "convert %s into this mailbox (no directory object is "
				    "written; its mail section converts it)%s",
				    describe_object(p, m->object_id),
				    strcmp(m->alias_from, "target") ? "; it keeps the alias from the map" : "");
			break;
		case MF_PLAN_EXISTS:
			set_message(p, m, "%s already exists on the target; the mail goes into it",
				    describe_object(p, m->object_id));
			break;
		case MF_PLAN_PUBLIC:
			set_message(p, m, "public folder '%s' (no directory object)", m->alias);
			break;
		default:
			break;
		}
	}
}

static const char SQL_PM_DEL[] = "DELETE FROM plan_mailboxes";
static const char SQL_PM_INS[] =
	"INSERT INTO plan_mailboxes(mailbox_id, action, alias, alias_from, object_id, conflict, message) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_MB_ALIAS_SET[] = "UPDATE mailboxes SET alias = ?2 WHERE id = ?1";

static int changed(const struct pmb *m)
{
	const char *want = m->has_alias ? m->alias : NULL;
	if (!want || !m->current)
		return want != m->current;
	return strcmp(want, m->current) != 0;
}

static int store_mailboxes(struct planner *p, int64_t *n_changed, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc;

	*n_changed = 0;
	/* two steps, so that two mailboxes can swap aliases */
	for (int phase = 0; phase < 2; phase++) {
		for (size_t i = 0; i < p->n; i++) {
			struct pmb *m = &p->mb[i];
			if (!changed(m))
				continue;
			if (phase == 1 && !m->has_alias)
				continue;
			if (!(s = mf_store_stmt(p->st, SQL_MB_ALIAS_SET, diag)))
				return MF_ESTORE;
			sqlite3_bind_int64(s, 1, m->id);
			if (phase == 1)
				mf_store_bind_text(s, 2, m->alias);
			rc = sqlite3_step(s);
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				return mf_store_fail(p->st, diag, "cannot set alias");
			if (phase == 0)
				(*n_changed)++;
		}
	}
	if ((rc = mf_store_exec(p->st, SQL_PM_DEL, diag)) < 0)
		return rc;
	for (size_t i = 0; i < p->n; i++) {
		struct pmb *m = &p->mb[i];
		if (!(s = mf_store_stmt(p->st, SQL_PM_INS, diag)))
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, m->id);
		mf_store_bind_text(s, 2, mf_plan_action_name(m->action));
		mf_store_bind_text(s, 3, m->has_alias ? m->alias : NULL);
		mf_store_bind_text(s, 4, m->has_alias ? m->alias_from : NULL);
		mf_store_bind_id(s, 5, m->object_id);
		mf_store_bind_text(s, 6, m->conflict);
		mf_store_bind_text(s, 7, m->message ? m->message : "");
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return mf_store_fail(p->st, diag, "cannot store plan");
	}
	return MF_OK;
}

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

static int plan_recipients(struct planner *p, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct prec *r = NULL;
	size_t n = 0, cap = 0;
	struct smap seen = { 0 };
	int rc, step;

	if ((rc = prep(p->st, &s, SQL_DE_ALL, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct prec *e;
		const char *at = col(s, 6), *ad = col(s, 7);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			r = mf_xreallocarray(r, cap, sizeof(*r));
		}
		e = &r[n++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(s, 0);
		e->kind = mf_arena_strdup(&p->a, col(s, 1));
		e->name = mf_arena_strdup(&p->a, col(s, 2));
		e->dn = mf_arena_strdup(&p->a, col(s, 3));
		e->given = mf_arena_strdup(&p->a, col(s, 4));
		e->sur = mf_arena_strdup(&p->a, col(s, 5));
		if (ad && *ad) {
			char *t = at && *at ? mf_xasprintf("%s:%s", at, ad) : mf_xstrdup(ad);
			e->address = mf_arena_strdup(&p->a, t);
			free(t);
			e->key = key_of(&p->a, e->address, 0);
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
		if (!is_list && smap_get(&p->by_key, e->key, &k)) {
			e->action = MF_PLAN_MIGRATED;
			e->mailbox_id = p->mb[k].id;
			t = mf_xasprintf("it is mailbox '%s', migrated in this plan",
					 p->mb[k].has_alias ? p->mb[k].alias : p->mb[k].name);
		} else if (e->key && smap_get(&seen, e->key, &k)) {
			e->action = MF_PLAN_DUPLICATE;
			e->same_as = r[k].id;
			t = mf_xasprintf("same address as '%s' (entry %lld), which the plan handles",
					 r[k].name, (long long)r[k].id);
		} else {
			int64_t oid = 0;
			if (e->key) {
				smap_put(&seen, e->key, i);
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
				t = mf_xasprintf("already on the target: %s", describe_object(p, oid));
			} else {
				char base[MF_ALIAS_MAX + 1];
				size_t bl = is_list ? mf_alias_base(base, NULL, NULL, e->name)
						    : person_alias_base(base, e);
				if (!bl && e->dn && is_list)
					bl = mf_alias_base(base, NULL, NULL, e->dn);
				if (!bl || mf_alias_unique(e->alias, base, alias_taken_any, p) < 0) {
					e->action = MF_PLAN_SKIP;
					t = mf_xasprintf("no ASCII alias could be formed from '%s', so it "
							 "cannot be created", e->name);
				} else {
					e->action = MF_PLAN_CREATE;
					e->has_alias = 1;
					sset_add(&p->aliases, &p->a, e->alias);
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
	smap_release(&seen);
	free(r);
	return rc;
}

/* ---- totals ---- */

static const char SQL_TOT_MB[] = "SELECT action, count(*) FROM plan_mailboxes GROUP BY action";
static const char SQL_TOT_PR[] = "SELECT kind, action, count(*) FROM plan_recipients GROUP BY kind, action";

static int load_totals(struct mf_store *st, struct mf_plan_totals *t, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int step;

	if (!(s = mf_store_stmt(st, SQL_TOT_MB, diag)))
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		enum mf_plan_action a = action_parse(col(s, 0));
		int64_t c = sqlite3_column_int64(s, 1);
		t->mailboxes += c;
		switch (a) {
		case MF_PLAN_CREATE: t->create += c; break;
		case MF_PLAN_CONVERT: t->convert += c; break;
		case MF_PLAN_EXISTS: t->exists += c; break;
		case MF_PLAN_PUBLIC: t->public_folders += c; break;
		default: t->conflicts += c; break;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot count plan");
	if (!(s = mf_store_stmt(st, SQL_TOT_PR, diag)))
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int list = col(s, 0) && !strcmp(col(s, 0), "list");
		enum mf_plan_action a = action_parse(col(s, 1));
		int64_t c = sqlite3_column_int64(s, 2);
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
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot count plan");
	return MF_OK;
}

/* ---- build ---- */

static const char SQL_STATE_PUT[] =
	"INSERT INTO plan_state(id, run_id, fingerprint, made_at, mailboxes, conflicts) "
	"VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, "
	"fingerprint = excluded.fingerprint, made_at = excluded.made_at, "
	"mailboxes = excluded.mailboxes, conflicts = excluded.conflicts";

static int build(struct mf_store *st, const char *alias_map, int64_t run_id, int only_if_stale,
		 struct mf_plan_totals *totals, struct mf_diag *diag)
{
	struct planner p;
	char fp[MF_SHA256_HEX];
	int64_t changed_n = 0, unused = 0;
	int rc;
	sqlite3_stmt *s;

	memset(totals, 0, sizeof(*totals));
	memset(&p, 0, sizeof(p));
	p.st = st;
	if ((rc = mf_store_begin(st, diag)) < 0)
		return rc;
	if (only_if_stale) {
		if ((rc = mf_store_exec(st, SQL_ORIGIN, diag)) < 0)
			goto fail;
		rc = mf_plan_is_current(st, diag);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			if ((rc = mf_store_commit(st, diag)) < 0)
				return rc;
			return load_totals(st, totals, diag);
		}
	}
	if ((rc = load_mailboxes(&p, diag)) < 0)
		goto fail;
	if (alias_map && (rc = map_load(&p, alias_map, diag)) < 0)
		goto fail;
	if ((rc = map_apply(&p, &unused, diag)) < 0 ||
	    (rc = match_mailboxes(&p, diag)) < 0 ||
	    (rc = final_aliases(&p, diag)) < 0)
		goto fail;
	alias_conflicts_and_messages(&p);
	if (p.failed) {
		rc = mf_store_fail(st, diag, "cannot describe plan");
		goto fail;
	}
	if ((rc = store_mailboxes(&p, &changed_n, diag)) < 0 ||
	    (rc = plan_recipients(&p, diag)) < 0 ||
	    (rc = fingerprint(st, fp, diag)) < 0)
		goto fail;
	if ((rc = load_totals(st, totals, diag)) < 0)
		goto fail;
	if (!(s = mf_store_stmt(st, SQL_STATE_PUT, diag))) {
		rc = MF_ESTORE;
		goto fail;
	}
	mf_store_bind_id(s, 1, run_id);
	mf_store_bind_text(s, 2, fp);
	sqlite3_bind_int64(s, 3, mf_now());
	sqlite3_bind_int64(s, 4, totals->mailboxes);
	sqlite3_bind_int64(s, 5, totals->conflicts);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = mf_store_fail(st, diag, "cannot store plan state");
		goto fail;
	}
	if ((rc = mf_store_commit(st, diag)) < 0)
		goto out;
	totals->built = 1;
	totals->aliases_changed = changed_n;
	totals->map_unused = unused;
	goto out;
fail:
	mf_store_rollback(st);
out:
	sset_release(&p.aliases);
	smap_release(&p.by_key);
	free(p.mb);
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
		return load_totals(st, totals, diag);
	}
	return build(st, NULL, mf_store_run_id(st), 1, totals, diag);
}

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
		const char *kind = col(s, 0);
		out->planned = sqlite3_column_int(s, 10);
		out->alias = mf_store_col_text(s, 1, arena);
		out->address = mf_store_col_text(s, 2, arena);
		if (out->planned) {
			out->action = action_parse(col(s, 3));
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
		int list = col(s, 0) && !strcmp(col(s, 0), "list");
		out->planned = sqlite3_column_int(s, 11);
		if (out->planned) {
			out->action = action_parse(col(s, 3));
			out->alias = mf_store_col_text(s, 4, arena);
			out->address = mf_store_col_text(s, 5, arena);
			out->object_id = sqlite3_column_int64(s, 6);
			out->object_class = mf_store_col_text(s, 7, arena);
			out->object_alias = mf_store_col_text(s, 8, arena);
			out->object_display_name = mf_store_col_text(s, 9, arena);
			out->message = mf_store_col_text(s, 10, arena);
		} else {
			out->address = entry_address(arena, col(s, 1), col(s, 2));
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
	if ((rc = prep(st, &s, SQL_OBJECTS, diag)) < 0)
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
			o->action = action_parse(col(s, 8));
			o->alias = mf_store_col_text(s, 9, arena);
			o->address = mf_store_col_text(s, 10, arena);
			o->message = mf_store_col_text(s, 11, arena);
		} else {
			o->address = entry_address(arena, col(s, 6), col(s, 7));
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
		if ((rc = load_totals(st, &t, diag)) < 0)
			return rc;
	}
	if ((rc = prep(st, &s, SQL_JSON_MB, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "{\"mailboxes\":[");
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (!first)
			mf_buf_addch(b, ',');
		first = 0;
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "alias", col(s, 0), 1);
		mf_json_kv_str(b, "name", col(s, 11), 0);
		mf_json_kv_str(b, "display_name", col(s, 1), 0);
		mf_json_kv_str(b, "source_address", col(s, 2), 0);
		mf_json_kv_str(b, "kind", col(s, 3), 0);
		mf_json_kv_str(b, "action", col(s, 4) ? col(s, 4) : "unplanned", 0);
		mf_json_kv_str(b, "alias_from", col(s, 5), 0);
		mf_json_key(b, "object", 0);
		if (sqlite3_column_type(s, 6) == SQLITE_NULL) {
			mf_buf_addstr(b, "null");
		} else {
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "class", col(s, 6), 1);
			mf_json_kv_str(b, "alias", col(s, 7), 0);
			mf_json_kv_str(b, "display_name", col(s, 8), 0);
			mf_buf_addch(b, '}');
		}
		mf_json_kv_str(b, "conflict", col(s, 9), 0);
		mf_json_kv_str(b, "message", col(s, 10), 0);
		mf_buf_addch(b, '}');
	}
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read plan");
	if ((rc = prep(st, &s, SQL_JSON_PR, diag)) < 0)
		return rc;
	mf_buf_addstr(b, "],\"recipients\":[");
	first = 1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (!first)
			mf_buf_addch(b, ',');
		first = 0;
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "kind", col(s, 0), 1);
		mf_json_kv_str(b, "name", col(s, 1), 0);
		mf_json_kv_str(b, "address", col(s, 2), 0);
		mf_json_kv_str(b, "action", col(s, 3), 0);
		mf_json_kv_str(b, "alias", col(s, 4), 0);
		mf_json_kv_str(b, "message", col(s, 5), 0);
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
