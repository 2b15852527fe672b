/* SPDX-License-Identifier: MIT */
/* store_views.c: read-only queries for the commands (see store_views.h). */
#include "core/store_views.h"

#include <string.h>

static const char SQL_RUN_PROBLEMS[] =
	"SELECT severity, count(*) FROM problems WHERE run_id = ?1 GROUP BY severity";

int mf_store_run_problem_counts(struct mf_store *st, int64_t run_id, int64_t counts[3])
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_PROBLEMS, NULL);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (sev && !strcmp(sev, "info"))
			counts[MF_INFO] = n;
		else if (sev && !strcmp(sev, "warning"))
			counts[MF_WARNING] = n;
		else
			counts[MF_ERROR] = n;
	}
	sqlite3_reset(s);
	return MF_OK;
}
