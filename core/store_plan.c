/* SPDX-License-Identifier: MIT */
/* store_plan.c: the plan's tables and the target's directory snapshot (see store.h). */
#include "core/store_priv.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_SKIPPED[] =
	"SELECT count(*), min(e.name) FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id "
	"WHERE p.action = 'skip'";

int mf_store_plan_skipped(struct mf_store *st, struct mf_store_unresolved *out,
			  struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_SKIPPED, diag);
	int step;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		out->n = sqlite3_column_int64(s, 0);
		out->example = mf_store_col_text(s, 1, arena);
	}
	sqlite3_reset(s);
	return step == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot count plan");
}

/* Prepare a statement of its own (not cached) for a walk during which the
 * caller may run other queries. */
static int prep_own(struct mf_store *st, sqlite3_stmt **s, const char *sql, struct mf_diag *diag)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return mf_store_fail(st, diag, "cannot prepare plan query");
	}
	return MF_OK;
}

/* ---- the fingerprint: everything the plan is made from ---- */

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

int mf_store_plan_fingerprint(struct mf_store *st, char hex[MF_SHA256_HEX], const char *version,
			      struct mf_diag *diag)
{
	struct mf_sha256 h;
	int rc = MF_OK;

	mf_sha256_init(&h);
	mf_sha256_update(&h, version, strlen(version));
	for (size_t q = 0; FP_QUERIES[q] && rc == MF_OK; q++) {
		sqlite3_stmt *s;
		int step;
		if ((rc = prep_own(st, &s, FP_QUERIES[q], diag)) < 0)
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
static const char SQL_STATE_PUT[] =
	"INSERT INTO plan_state(id, run_id, fingerprint, made_at, mailboxes, conflicts) "
	"VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id, "
	"fingerprint = excluded.fingerprint, made_at = excluded.made_at, "
	"mailboxes = excluded.mailboxes, conflicts = excluded.conflicts";

int mf_store_plan_state_get(struct mf_store *st, char hex[MF_SHA256_HEX], struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_STATE_FP, diag);
	int rc;
	hex[0] = '\0';
	if (!s)
		return MF_ESTORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *fp = (const char *)sqlite3_column_text(s, 0);
		snprintf(hex, MF_SHA256_HEX, "%s", fp ? fp : "");
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot read plan state");
	return 1;
}

int mf_store_plan_state_put(struct mf_store *st, int64_t run_id, const char *fingerprint,
			    int64_t mailboxes, int64_t conflicts, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_STATE_PUT, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_id(s, 1, run_id);
	mf_store_bind_text(s, 2, fingerprint);
	sqlite3_bind_int64(s, 3, mf_now());
	sqlite3_bind_int64(s, 4, mailboxes);
	sqlite3_bind_int64(s, 5, conflicts);
	return mf_store_step_done(st, s, diag, "cannot store plan state");
}

static const char SQL_TOT_MB[] = "SELECT NULL, action, count(*) FROM plan_mailboxes GROUP BY action";
static const char SQL_TOT_PR[] = "SELECT kind, action, count(*) FROM plan_recipients GROUP BY kind, action";

int mf_store_plan_counts(struct mf_store *st, int recipients,
			 void (*visit)(void *arg, const char *kind, const char *action, int64_t n),
			 void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, recipients ? SQL_TOT_PR : SQL_TOT_MB, diag);
	int step;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		visit(arg, (const char *)sqlite3_column_text(s, 0),
		      (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2));
	sqlite3_reset(s);
	return step == SQLITE_DONE ? MF_OK : mf_store_fail(st, diag, "cannot count plan");
}

/* ---- the target's directory snapshot ---- */

static const char SQL_OBJ_ALIAS[] =
	"SELECT id FROM target_objects WHERE alias = ?1 COLLATE NOCASE AND id <> ?2 ORDER BY id LIMIT 1";
static const char SQL_OBJ_DESC[] =
	"SELECT o.class, o.alias, o.display_name, (SELECT proxy FROM target_proxies x "
	"WHERE x.object_id = o.id ORDER BY x.position LIMIT 1) FROM target_objects o WHERE o.id = ?1";
static const char SQL_MATCH[] =
	"SELECT DISTINCT o.id, o.class, o.alias, o.display_name FROM target_proxies x "
	"JOIN target_objects o ON o.id = x.object_id WHERE x.match_key = ?1 COLLATE NOCASE ORDER BY o.id";
static const char SQL_LOOSE[] =
	"SELECT DISTINCT o.id, x.proxy FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
	"WHERE x.loose_key = ?1 COLLATE NOCASE AND o.class <> 'dl' ORDER BY o.id LIMIT 1";
static const char SQL_MATCH_ANY[] =
	"SELECT o.id FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
	"WHERE x.match_key = ?1 COLLATE NOCASE ORDER BY (o.class = 'dl') DESC, o.id LIMIT 1";

/* One id from a statement binding (text, id?); 1 found, 0 not, <0 error. */
static int one_id(struct mf_store *st, const char *sql, const char *text, const int64_t *id,
		  int64_t *out, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	int rc;
	*out = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, text);
	if (id)
		sqlite3_bind_int64(s, 2, *id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read target objects");
}

int mf_store_target_alias_owner(struct mf_store *st, int64_t *id_out, const char *alias,
				int64_t except_id, struct mf_diag *diag)
{
	return one_id(st, SQL_OBJ_ALIAS, alias, &except_id, id_out, diag);
}

int mf_store_target_match_any(struct mf_store *st, int64_t *id_out, const char *key,
			      struct mf_diag *diag)
{
	return one_id(st, SQL_MATCH_ANY, key, NULL, id_out, diag);
}

int mf_store_target_describe(struct mf_store *st, struct mf_store_tobj *out, int64_t id,
			     struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_OBJ_DESC, diag);
	int rc;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = id;
		out->cls = mf_store_col_text(s, 0, arena);
		out->alias = mf_store_col_text(s, 1, arena);
		out->display_name = mf_store_col_text(s, 2, arena);
		out->proxy = mf_store_col_text(s, 3, arena);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read target objects");
}

static const char SQL_OBJ_SMTP[] =
	"SELECT address FROM target_proxies WHERE object_id = ?1 AND type = 'SMTP' "
	"ORDER BY is_primary DESC, position LIMIT 1";

int mf_store_target_smtp(struct mf_store *st, const char **out, int64_t id,
			 struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_OBJ_SMTP, diag);
	int rc;
	*out = NULL;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = mf_store_col_text(s, 0, arena);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return *out && **out ? 1 : 0;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read target proxies");
}

int mf_store_target_match(struct mf_store *st, struct mf_store_tobj *out, size_t max,
			  size_t *n_out, const char *key, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MATCH, diag);
	size_t n = 0;
	int step;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n < max) {
			out[n].id = sqlite3_column_int64(s, 0);
			out[n].cls = mf_store_col_text(s, 1, arena);
			out[n].alias = mf_store_col_text(s, 2, arena);
			out[n].display_name = mf_store_col_text(s, 3, arena);
			out[n].proxy = NULL;
		}
		n++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot match target objects");
	*n_out = n;
	return MF_OK;
}

int mf_store_target_loose(struct mf_store *st, struct mf_store_tobj *out, const char *loose_key,
			  struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LOOSE, diag);
	int rc;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, loose_key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->proxy = mf_store_col_text(s, 1, arena);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : 0;
}

static const char SQL_TARGET_KEYS[] = "SELECT match_key, loose_key FROM target_proxies";

/* Every row of sql (two text columns) to visit, on a statement of its own
 * (prep_own: visit may run other queries); fail names what on error. */
static int text_pairs_each(struct mf_store *st, const char *sql,
			   void (*visit)(void *arg, const char *a, const char *b), void *arg,
			   const char *what, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	if ((rc = prep_own(st, &s, sql, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		visit(arg, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
	if (step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, what);
	sqlite3_finalize(s);
	return rc;
}

int mf_store_target_keys_each(struct mf_store *st,
			      void (*visit)(void *arg, const char *match_key, const char *loose_key),
			      void *arg, struct mf_diag *diag)
{
	return text_pairs_each(st, SQL_TARGET_KEYS, visit, arg, "cannot read target proxies", diag);
}

/* ---- the alias map ---- */

static const char SQL_MAP_DEL[] = "DELETE FROM alias_map";
static const char SQL_MAP_INS[] = "INSERT INTO alias_map(key, alias, line, file) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_MAP_ALL[] = "SELECT key, alias FROM alias_map ORDER BY line, key";

int mf_store_alias_map_clear(struct mf_store *st, struct mf_diag *diag)
{
	return mf_store_exec(st, SQL_MAP_DEL, diag);
}

int mf_store_alias_map_put(struct mf_store *st, const char *key, const char *alias, int64_t line,
			   const char *file, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MAP_INS, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, key);
	mf_store_bind_text(s, 2, alias);
	sqlite3_bind_int64(s, 3, line);
	mf_store_bind_text(s, 4, file);
	return mf_store_step_done(st, s, diag, "cannot store alias map");
}

int mf_store_alias_map_walk(struct mf_store *st,
			    void (*visit)(void *arg, const char *key, const char *alias),
			    void *arg, struct mf_diag *diag)
{
	return text_pairs_each(st, SQL_MAP_ALL, visit, arg, "cannot read alias map", diag);
}

/* ---- the plan's rows ---- */

/* in id order: alias_origin is keyed by mailbox id, and a pass in the
 * order of the alias index (SQLite's choice, a covering index) inserted
 * at random places of it (53,000 page reads at 100,000 users, 350 at
 * 10,000) */
static const char SQL_ORIGIN[] =
	"INSERT OR IGNORE INTO alias_origin(mailbox_id, alias) SELECT id, alias FROM mailboxes "
	"ORDER BY id";
static const char SQL_MB_ALL[] =
	"SELECT m.id, m.kind, m.name, m.display_name, m.source_address, m.alias, o.alias "
	"FROM mailboxes m JOIN alias_origin o ON o.mailbox_id = m.id ORDER BY m.id";
static const char SQL_DE_ALL[] =
	"SELECT id, kind, name, display_name, given_name, surname, address_type, address "
	"FROM dir_entries WHERE kind IN ('custom', 'list') ORDER BY id";
static const char SQL_PM_DEL[] = "DELETE FROM plan_mailboxes";
static const char SQL_PM_INS[] =
	"INSERT INTO plan_mailboxes(mailbox_id, action, alias, alias_from, object_id, conflict, message) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_MB_ALIAS_SET[] = "UPDATE mailboxes SET alias = ?2 WHERE id = ?1";
static const char SQL_PR_DEL[] = "DELETE FROM plan_recipients";
static const char SQL_PR_INS[] =
	"INSERT INTO plan_recipients(entry_id, kind, action, alias, address, object_id, mailbox_id, "
	"same_as, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

int mf_store_alias_origin(struct mf_store *st, struct mf_diag *diag)
{
	return mf_store_exec(st, SQL_ORIGIN, diag);
}

int mf_store_plan_mailbox_walk(struct mf_store *st,
			       int (*visit)(void *arg, const struct mf_store_plan_row *r),
			       void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	if ((rc = prep_own(st, &s, SQL_MB_ALL, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_plan_row r;
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.kind = (const char *)sqlite3_column_text(s, 1);
		r.name = (const char *)sqlite3_column_text(s, 2);
		r.display_name = (const char *)sqlite3_column_text(s, 3);
		r.source_address = (const char *)sqlite3_column_text(s, 4);
		r.alias = (const char *)sqlite3_column_text(s, 5);
		r.alias_from = (const char *)sqlite3_column_text(s, 6);
		if ((rc = visit(arg, &r)) < 0)
			break;
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot read mailboxes");
	sqlite3_finalize(s);
	return rc;
}

int mf_store_plan_entry_walk(struct mf_store *st,
			     int (*visit)(void *arg, const struct mf_store_plan_row *r),
			     void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	if ((rc = prep_own(st, &s, SQL_DE_ALL, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_plan_row r;
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.kind = (const char *)sqlite3_column_text(s, 1);
		r.name = (const char *)sqlite3_column_text(s, 2);
		r.display_name = (const char *)sqlite3_column_text(s, 3);
		r.given_name = (const char *)sqlite3_column_text(s, 4);
		r.surname = (const char *)sqlite3_column_text(s, 5);
		r.address_type = (const char *)sqlite3_column_text(s, 6);
		r.address = (const char *)sqlite3_column_text(s, 7);
		if ((rc = visit(arg, &r)) < 0)
			break;
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot read directory");
	sqlite3_finalize(s);
	return rc;
}

int mf_store_plan_clear(struct mf_store *st, int recipients, struct mf_diag *diag)
{
	return mf_store_exec(st, recipients ? SQL_PR_DEL : SQL_PM_DEL, diag);
}

int mf_store_mailbox_set_alias(struct mf_store *st, int64_t mailbox_id, const char *alias,
			       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_ALIAS_SET, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, alias);
	return mf_store_step_done(st, s, diag, "cannot set alias");
}

int mf_store_plan_mailbox_put(struct mf_store *st, const struct mf_store_plan_row *r,
			      struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PM_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, r->id);
	mf_store_bind_text(s, 2, r->action);
	mf_store_bind_text(s, 3, r->alias);
	mf_store_bind_text(s, 4, r->alias_from);
	mf_store_bind_id(s, 5, r->object_id);
	mf_store_bind_text(s, 6, r->conflict);
	mf_store_bind_text(s, 7, r->message);
	return mf_store_step_done(st, s, diag, "cannot store plan");
}

int mf_store_plan_recipient_put(struct mf_store *st, const struct mf_store_plan_row *r,
				struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PR_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, r->id);
	mf_store_bind_text(s, 2, r->kind);
	mf_store_bind_text(s, 3, r->action);
	mf_store_bind_text(s, 4, r->alias);
	mf_store_bind_text(s, 5, r->plan_address);
	mf_store_bind_id(s, 6, r->object_id);
	mf_store_bind_id(s, 7, r->mailbox_id);
	mf_store_bind_id(s, 8, r->same_as);
	mf_store_bind_text(s, 9, r->message);
	return mf_store_step_done(st, s, diag, "cannot store plan");
}

/* ---- reading the plan ---- */

static const char SQL_PM_GET[] =
	"SELECT m.kind, m.alias, m.source_address, p.action, p.object_id, o.class, o.alias, "
	"o.display_name, p.conflict, p.message, p.mailbox_id IS NOT NULL "
	"FROM mailboxes m LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id WHERE m.id = ?1";
static const char SQL_PR_GET[] =
	"SELECT e.kind, e.address_type, e.address, p.action, p.alias, p.address, p.object_id, "
	"o.class, o.alias, o.display_name, p.message, p.entry_id IS NOT NULL "
	"FROM dir_entries e LEFT JOIN plan_recipients p ON p.entry_id = e.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id "
	"WHERE e.id = ?1 AND e.kind IN ('custom', 'list')";
static const char SQL_OBJECTS[] =
	"SELECT e.id, e.kind, e.name, e.display_name, e.given_name, e.surname, e.address_type, "
	"e.address, p.action, p.alias, p.address, p.message, p.entry_id IS NOT NULL "
	"FROM dir_entries e LEFT JOIN plan_recipients p ON p.entry_id = e.id "
	"WHERE e.kind IN ('custom', 'list') ORDER BY e.id";
static const char SQL_JSON_MB[] =
	"SELECT m.alias, m.display_name, m.source_address, m.kind, p.action, p.alias_from, "
	"o.class, o.alias, o.display_name, p.conflict, p.message, m.name "
	"FROM mailboxes m LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id ORDER BY m.alias COLLATE NOCASE, m.id";
static const char SQL_JSON_PR[] =
	"SELECT e.kind, e.name, p.address, p.action, p.alias, p.message "
	"FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id ORDER BY e.kind, e.id";

int mf_store_plan_mailbox_get(struct mf_store *st, struct mf_store_plan_row *r, int64_t mailbox_id,
			      struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PM_GET, diag);
	int rc;
	memset(r, 0, sizeof(*r));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->id = mailbox_id;
		r->kind = mf_store_col_text(s, 0, arena);
		r->alias = mf_store_col_text(s, 1, arena);
		r->source_address = mf_store_col_text(s, 2, arena);
		r->action = mf_store_col_text(s, 3, arena);
		r->object_id = sqlite3_column_int64(s, 4);
		r->object_class = mf_store_col_text(s, 5, arena);
		r->object_alias = mf_store_col_text(s, 6, arena);
		r->object_display_name = mf_store_col_text(s, 7, arena);
		r->conflict = mf_store_col_text(s, 8, arena);
		r->message = mf_store_col_text(s, 9, arena);
		r->planned = sqlite3_column_int(s, 10);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan");
}

int mf_store_plan_recipient_get(struct mf_store *st, struct mf_store_plan_row *r, int64_t entry_id,
				struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PR_GET, diag);
	int rc;
	memset(r, 0, sizeof(*r));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, entry_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->id = entry_id;
		r->kind = mf_store_col_text(s, 0, arena);
		r->address_type = mf_store_col_text(s, 1, arena);
		r->address = mf_store_col_text(s, 2, arena);
		r->action = mf_store_col_text(s, 3, arena);
		r->alias = mf_store_col_text(s, 4, arena);
		r->plan_address = mf_store_col_text(s, 5, arena);
		r->object_id = sqlite3_column_int64(s, 6);
		r->object_class = mf_store_col_text(s, 7, arena);
		r->object_alias = mf_store_col_text(s, 8, arena);
		r->object_display_name = mf_store_col_text(s, 9, arena);
		r->message = mf_store_col_text(s, 10, arena);
		r->planned = sqlite3_column_int(s, 11);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read plan");
}

int mf_store_plan_object_walk(struct mf_store *st,
			      int (*visit)(void *arg, const struct mf_store_plan_row *r),
			      void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	if ((rc = prep_own(st, &s, SQL_OBJECTS, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_plan_row r;
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.kind = (const char *)sqlite3_column_text(s, 1);
		r.name = (const char *)sqlite3_column_text(s, 2);
		r.display_name = (const char *)sqlite3_column_text(s, 3);
		r.given_name = (const char *)sqlite3_column_text(s, 4);
		r.surname = (const char *)sqlite3_column_text(s, 5);
		r.address_type = (const char *)sqlite3_column_text(s, 6);
		r.address = (const char *)sqlite3_column_text(s, 7);
		r.action = (const char *)sqlite3_column_text(s, 8);
		r.alias = (const char *)sqlite3_column_text(s, 9);
		r.plan_address = (const char *)sqlite3_column_text(s, 10);
		r.message = (const char *)sqlite3_column_text(s, 11);
		r.planned = sqlite3_column_int(s, 12);
		if ((rc = visit(arg, &r)) < 0)
			break;
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot read plan");
	sqlite3_finalize(s);
	return rc;
}

int mf_store_plan_listing_walk(struct mf_store *st, int recipients,
			       int (*visit)(void *arg, const struct mf_store_plan_row *r),
			       void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	if ((rc = prep_own(st, &s, recipients ? SQL_JSON_PR : SQL_JSON_MB, diag)) < 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_plan_row r;
		memset(&r, 0, sizeof(r));
		if (recipients) {
			r.kind = (const char *)sqlite3_column_text(s, 0);
			r.name = (const char *)sqlite3_column_text(s, 1);
			r.plan_address = (const char *)sqlite3_column_text(s, 2);
			r.action = (const char *)sqlite3_column_text(s, 3);
			r.alias = (const char *)sqlite3_column_text(s, 4);
			r.message = (const char *)sqlite3_column_text(s, 5);
		} else {
			r.alias = (const char *)sqlite3_column_text(s, 0);
			r.display_name = (const char *)sqlite3_column_text(s, 1);
			r.source_address = (const char *)sqlite3_column_text(s, 2);
			r.kind = (const char *)sqlite3_column_text(s, 3);
			r.action = (const char *)sqlite3_column_text(s, 4);
			r.alias_from = (const char *)sqlite3_column_text(s, 5);
			r.has_object = sqlite3_column_type(s, 6) != SQLITE_NULL;
			r.object_class = (const char *)sqlite3_column_text(s, 6);
			r.object_alias = (const char *)sqlite3_column_text(s, 7);
			r.object_display_name = (const char *)sqlite3_column_text(s, 8);
			r.conflict = (const char *)sqlite3_column_text(s, 9);
			r.message = (const char *)sqlite3_column_text(s, 10);
			r.name = (const char *)sqlite3_column_text(s, 11);
		}
		if ((rc = visit(arg, &r)) < 0)
			break;
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = mf_store_fail(st, diag, "cannot read plan");
	sqlite3_finalize(s);
	return rc;
}
