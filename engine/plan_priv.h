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

/* A set of strings compared case-insensitively (ASCII); zeroed = empty. */
struct sset {
	struct mf_strmap m;
};

/* A string -> index map (case-insensitive keys), for matching addresses;
 * zeroed = empty.  Keys are borrowed: they live in the plan's arena. */
struct smap {
	struct mf_strmap m;
};
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
	size_t n, cap_mb;
	struct sset aliases;        /* final aliases of mailboxes and created recipients */
	struct smap by_key;         /* mailbox source key -> index */
	int failed;                 /* a query failed inside a callback */
};

enum mf_plan_action mf_pl_action_parse(const char *s);
int mf_pl_is_blank(int c);
char *mf_pl_key_of(struct mf_arena *a, const char *addr, int loose);
int mf_pl_load_totals(struct mf_store *st, struct mf_plan_totals *t, struct mf_diag *diag);
int mf_pl_smap_get(const struct smap *m, const char *k, size_t *v);
void mf_pl_smap_put(struct smap *m, const char *k, size_t v);
void mf_pl_smap_release(struct smap *m);
void mf_pl_sset_add(struct sset *set, struct mf_arena *a, const char *s);
int mf_pl_sset_has(const struct sset *set, const char *s);
void mf_pl_alias_conflicts_and_messages(struct planner *p);
int mf_pl_alias_taken_any(const char *alias, void *payload);
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
