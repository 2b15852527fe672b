/* SPDX-License-Identifier: MIT */
/* store_plan.c: the plan's tables (plan_mailboxes, plan_recipients, plan_state, alias_map, alias_origin) (see store.h). */
#include "core/store_priv.h"

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
