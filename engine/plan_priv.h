/* SPDX-License-Identifier: MIT */
/*
 * plan_priv.h: what the parts of the planner share (plan.c,
 * plan_mailboxes.c, plan_recipients.c, plan_read.c).
 */
#ifndef MF_ENGINE_PLAN_PRIV_H
#define MF_ENGINE_PLAN_PRIV_H

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
#include "core/strmap.h"

#define PLAN_VERSION "mailferry-plan-1"
#define ALIAS_MAP_MAX (16u << 20)

/* ---- the mailboxes being planned ---- */

/* One mailbox while the plan decides it; it lives in the store's working
 * table (plan_work) and is read a page at a time (plan_mailboxes.c). */
struct pmb {
	int64_t id;
	const char *kind, *name, *display_name, *source_address;
	const char *current;        /* mailboxes.alias when the plan started */
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

/* The planner holds no list of mailboxes, aliases or keys: those are in
 * the store's working tables (core/store_plan_work.c), so its memory does
 * not grow with the post office.  The arena holds one page of mailboxes
 * (or one recipient) at a time. */
struct planner {
	struct mf_store *st;
	struct mf_arena a;
	int failed;                 /* a query failed inside a callback */
	int64_t n_changed;          /* aliases changed (mf_pl_store_mailboxes) */
	int64_t n_mapped;           /* mailboxes the alias map names (mf_pl_map_apply) */
	struct pl_keyfilters *kf;   /* while matching (plan_mailboxes.c); NULL otherwise */
};

enum mf_plan_action mf_pl_action_parse(const char *s);
int mf_pl_is_blank(int c);
char *mf_pl_key_of(struct mf_arena *a, const char *addr, int loose);
int mf_pl_load_totals(struct mf_store *st, struct mf_plan_totals *t, struct mf_diag *diag);
int mf_pl_alias_conflicts_and_messages(struct planner *p, struct mf_diag *diag);
int mf_pl_alias_taken_any(const char *alias, void *payload);
int mf_pl_alias_take(struct planner *p, const char *alias);
int mf_pl_alias_unique(struct planner *p, char out[MF_ALIAS_MAX + 1], const char *base);
int mf_pl_mailbox_by_key(struct planner *p, struct pmb *out, const char *key, int64_t before_id);
void mf_pl_conflict(struct planner *p, struct pmb *m, const char *code, int64_t other,
		    const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
const char *mf_pl_describe_object(struct planner *p, int64_t id);
int mf_pl_final_aliases(struct planner *p, struct mf_diag *diag);
int mf_pl_load_mailboxes(struct planner *p, struct mf_diag *diag);
int mf_pl_map_apply(struct planner *p, int64_t *unused, struct mf_diag *diag);
int mf_pl_map_load(struct planner *p, const char *path, struct mf_diag *diag);
int mf_pl_match_mailboxes(struct planner *p, struct mf_diag *diag);
int mf_pl_store_mailboxes(struct planner *p, int64_t *n_changed, struct mf_diag *diag);
int mf_pl_plan_recipients(struct planner *p, struct mf_diag *diag);

#endif
