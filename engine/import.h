/* SPDX-License-Identifier: MIT */
/*
 * import.h: the import driver, used by `mailferry import`, `batch` and the
 * wizard: one run row per import (kind "import", the importer's name, the
 * path), the importer called inside it, the run's problem counts, and the
 * run's JSON summary (format, path, files, files_skipped, mailboxes,
 * messages, messages_skipped, calendar_items, directory_entries, bytes,
 * problems {info, warning, error}) stored with its status (ok, problems,
 * failed).
 */
#ifndef MF_ENGINE_IMPORT_H
#define MF_ENGINE_IMPORT_H

#include "core/buf.h"
#include "engine/importer.h"

/*
 * Import path into st with imp.  *run_id receives the run's id (0 when it
 * could not start), stats what the importer did, json (when not NULL) the
 * run's summary.  Returns the importer's result (diag set on failure).
 */
int mf_import_run(struct mf_store *st, const struct mf_importer *imp, const char *path,
		  const struct mf_import_opts *o, struct mf_import_stats *stats, int64_t *run_id,
		  struct mf_buf *json, struct mf_diag *diag);

#endif
