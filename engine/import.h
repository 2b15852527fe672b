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

/* Rows the legacy-source importers share (inside their option tables). */
extern const char *const mf_import_date_orders[];   /* mdy, dmy, ymd */
#define MF_IMPORT_OPTION_CODEPAGE                                                       \
	{ .name = "codepage", .key = "source_codepage", .kind = MF_OPT_STRING, .arg = "CP", \
	  .help = "override the manifest's code page (850, 437, 1252, ...)",           \
	  .prompt = "Code page of the source (empty: as its manifest says)", .prompt_dflt = "", \
	  .prompt_help = "The code page of the source's text files.  Leave it empty to use what the\n" \
			 "export's manifest says (the usual case).  Common values: 437 (US DOS), 850\n" \
			 "(Western Europe DOS), 852, 1252 (Windows Western), 932 (Japanese).", \
	  .field = MF_OPT_FIELD(struct mf_import_opts, codepage) }
#define MF_IMPORT_OPTION_TIMEZONE                                                       \
	{ .name = "timezone", .key = "source_timezone", .kind = MF_OPT_STRING, .arg = "ZONE", \
	  .help = "override the manifest's time zone (Europe/Paris, ...)",             \
	  .prompt = "Time zone of the source (empty: as its manifest says)", .prompt_dflt = "", \
	  .prompt_help = "The time zone of the dates in the source (an IANA name such as\n" \
			 "Europe/Stockholm or America/New_York).  Leave it empty to use what the\n" \
			 "export's manifest says.",                                     \
	  .field = MF_OPT_FIELD(struct mf_import_opts, timezone) }
#define MF_IMPORT_OPTION_DATE_ORDER                                                     \
	{ .name = "date-order", .kind = MF_OPT_ENUM, .arg = "ORDER",                    \
	  .choices = mf_import_date_orders,                                             \
	  .help = "override the manifest's date order (mdy, dmy, ymd)",                \
	  .field = MF_OPT_FIELD(struct mf_import_opts, date_order) }

#endif
