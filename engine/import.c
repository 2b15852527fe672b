/* SPDX-License-Identifier: MIT */
/* import.c: the import driver (see import.h). */
#include "engine/import.h"
#include "core/json.h"
#include "core/store_views.h"

#include <string.h>

static void summary_json(struct mf_buf *js, const struct mf_importer *imp, const char *path,
			 const struct mf_import_stats *stats)
{
	mf_buf_addch(js, '{');
	mf_json_kv_str(js, "format", imp->name, 1);
	mf_json_kv_str(js, "path", path, 0);
	mf_json_kv_int(js, "files", stats->files, 0);
	mf_json_kv_int(js, "files_skipped", stats->files_skipped, 0);
	mf_json_kv_int(js, "mailboxes", stats->mailboxes, 0);
	mf_json_kv_int(js, "messages", stats->messages, 0);
	mf_json_kv_int(js, "messages_skipped", stats->messages_skipped, 0);
	mf_json_kv_int(js, "calendar_items", stats->calendar_items, 0);
	mf_json_kv_int(js, "directory_entries", stats->dir_entries, 0);
	mf_json_kv_int(js, "bytes", stats->bytes, 0);
	mf_json_key(js, "problems", 0);
	mf_buf_addch(js, '{');
	mf_json_kv_int(js, "info", stats->problems[MF_INFO], 1);
	mf_json_kv_int(js, "warning", stats->problems[MF_WARNING], 0);
	mf_json_kv_int(js, "error", stats->problems[MF_ERROR], 0);
	mf_buf_addstr(js, "}}");
}

int mf_import_run(struct mf_store *st, const struct mf_importer *imp, const char *path,
		  const struct mf_import_opts *o, struct mf_import_stats *stats, int64_t *run_id,
		  struct mf_buf *json, struct mf_diag *diag)
{
	struct mf_buf js;
	int rc;

	memset(stats, 0, sizeof(*stats));
	*run_id = 0;
	if ((rc = mf_store_run_begin(st, run_id, "import", imp->name, path, NULL, diag)) < 0)
		return rc;
	mf_store_set_context(st, *run_id, 0);
	rc = imp->import(st, path, o, stats, diag);
	mf_store_rollback(st); /* nothing is left open on failure */
	mf_store_run_problem_counts(st, *run_id, stats->problems);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	summary_json(&js, imp, path, stats);
	mf_store_run_end(st, *run_id, rc < 0 ? "failed" : stats->problems[MF_ERROR] ? "problems" : "ok",
			 js.data, NULL);
	if (json)
		mf_buf_addstr(json, js.data);
	mf_buf_release(&js);
	return rc;
}
