/* SPDX-License-Identifier: MIT */
/*
 * importer.h: the contract between mailferry and an importer.
 *
 * An importer turns one legacy export (a cc:Mail export set, an MS Mail
 * export bundle, a target directory snapshot, ...) into rows of the staging
 * store.  It is a `const struct mf_importer` listed in mf_importers[]
 * (importers/registry.c).
 *
 * Adding a new importer
 * ---------------------
 *  1. Write the format's parsers as pure functions over bytes (struct mf_rd
 *     in, records out, problems reported through a callback): no SQLite, no
 *     printing, no globals.  They get a libFuzzer target in tests/fuzz/ and
 *     golden tests in tests/.
 *  2. Write importers/<name>.c: the driver that finds the files, maps them
 *     (core/fsutil.h), runs the parsers and stages what they return through
 *     core/store.h.  It ends with
 *         const struct mf_importer mf_importer_<name> = { .name = ..., ... };
 *  3. Add &mf_importer_<name> to mf_importers[] in importers/registry.c and
 *     a line to `mailferry formats`' expectations in tests/cli/.
 *  4. Document the problem codes it records in docs/problems.md.
 *
 * Rules every importer follows
 * ----------------------------
 *  - Every byte of input is read through struct mf_rd; every length from the
 *    input is checked against what is left and against a sanity bound
 *    before it is used.
 *  - Nothing is lost silently: whatever is guessed, repaired or skipped is a
 *    problem row (core/store.h mf_store_problem) with the file and byte
 *    offset.  A damaged message is skipped whole (never half-staged) and
 *    counted; the import goes on with the next one.
 *  - Every mailbox to migrate gets its mail section, with or without mail:
 *    mf_store_mailbox creates it; mf_store_mail_file records the mail file.
 *  - Re-importing the same input changes nothing: files are registered with
 *    mf_store_file_begin (by sha256) and done files are skipped; a message
 *    already staged from (file, offset) is not staged again.
 *  - Memory stays bounded: one message is parsed, staged and released at a
 *    time; mapped input behind the reader is released
 *    (mf_map_release_before); transactions cover batches of messages
 *    (MF_IMPORT_BATCH).
 *  - Text is converted to UTF-8 with core/charset.h; the raw bytes are kept
 *    where the conversion is not exact.
 */
#ifndef MF_IMPORTERS_IMPORTER_H
#define MF_IMPORTERS_IMPORTER_H

#include <stdint.h>
#include "core/mf.h"
#include "core/store.h"
#include "engine/options.h"

/* Messages per transaction during an import. */
#define MF_IMPORT_BATCH 500

/* Options of `mailferry import <name>`.  An importer declares its options in
 * its table (mf_importer.options) and reads them by name from `values`;
 * the fixed fields are filled from the rows' MF_OPT_FIELD (importers that
 * predate the tables) and by the import driver.  Strings are borrowed for
 * the duration of the call. */

struct mf_import_opts {
	const struct mf_optvals *values; /* every declared option's value; NULL: defaults */
	const char *mailbox;        /* single-file import: owner ("Last, First") */
	const char *postoffice;     /* single-file import: its post office */
	const char *codepage;       /* override the manifest's code page */
	const char *timezone;       /* override the manifest's time zone */
	const char *date_order;     /* override the manifest's date order */
	int keep_system_folders;    /* cc:Mail: migrate Clipboard & co. */
	int strict;                 /* any error problem fails the import */
	int quiet;                  /* no progress output */
	int json;                   /* progress events as JSON lines on stdout */
};

/* Capabilities. */
enum mf_importer_caps {
	/* Reads a legacy export with mailboxes to migrate: offered by the
	 * wizard and as a job's `source` (the target directory snapshot is
	 * not). */
	MF_IMP_SOURCE = (1 << 0),
	/* Reads a snapshot of the target's directory: what a job's
	 * `directory_snapshot` is imported with. */
	MF_IMP_TARGET_DIRECTORY = (1 << 1),
};

/* What an import did, for the summary line and the run row. */
struct mf_import_stats {
	int64_t files;              /* files read */
	int64_t files_skipped;      /* files already imported (same sha256) */
	int64_t mailboxes;          /* mailboxes staged or found */
	int64_t messages;           /* messages staged by this run */
	int64_t messages_skipped;   /* damaged messages skipped */
	int64_t bytes;              /* input bytes read */
	int64_t calendar_items;
	int64_t dir_entries;
	int64_t problems[3];        /* recorded by this run: info, warning, error */
};

struct mf_importer {
	const char *name;           /* `mailferry import <name>` */
	const char *summary;        /* one line for `mailferry formats` */
	unsigned caps;              /* enum mf_importer_caps */
	/* The options it takes (engine/options.h), ending with a NULL name.
	 * NULL: none. */
	const struct mf_option *options;

	/*
	 * How sure (0..100) the importer is that path (a folder or a file) is
	 * its format; used by the wizard and `import auto`.  Must not fail,
	 * print or write.  NULL: never detected automatically.
	 */
	int (*probe)(const char *path);

	/*
	 * Import path into st.  The caller has opened the store, started an
	 * import run (mf_store_set_context has its id) and prints the summary.
	 * Returns MF_OK when the input was read (problems may have been
	 * recorded: stats->problems says how many), or a negative code with
	 * diag set when it could not be read at all (missing manifest, a
	 * required file unreadable, the store failing).  With opts->strict an
	 * error problem also makes it return MF_EFORMAT.
	 */
	int (*import)(struct mf_store *st, const char *path,
		      const struct mf_import_opts *opts,
		      struct mf_import_stats *stats, struct mf_diag *diag);
};

/* NULL-terminated, in probe order. */
extern const struct mf_importer *const mf_importers[];

/* Lookup by name; NULL if unknown. */
const struct mf_importer *mf_importer_find(const char *name);
/* The importer with the best probe score (>= 50) for path, or NULL. */
const struct mf_importer *mf_importer_probe(const char *path);

/* Rows the legacy-source importers share (inside their option tables). */
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
	  .choices = (const char *const[]){ "mdy", "dmy", "ymd", NULL },              \
	  .help = "override the manifest's date order (mdy, dmy, ymd)",                \
	  .field = MF_OPT_FIELD(struct mf_import_opts, date_order) }

#endif
