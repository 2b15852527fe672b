/* SPDX-License-Identifier: MIT */
/*
 * ccmail_dir.h: the text files of a cc:Mail export set (CCMX v1 contract,
 * sections 2, 3 and 5), as pure functions over bytes:
 *
 *   CCMX.TXT      the manifest: key=value lines, '#' comments
 *   USERS.CSV     RFC 4180 CSV: kind,name,file,pab
 *   DIRECTRY.TXT  records of "Label: value" lines separated by blank
 *   LISTS.TXT     lines (also the private directory files)
 *   PAB/...
 *
 * The parsers return spans into the input (CSV fields with quotes are
 * unescaped into the caller's arena) and report repairs through a problem
 * callback with the byte offset.  No SQLite, no globals; the fuzz target
 * tests/fuzz/fuzz-ccmail-dir.c runs all of them on any bytes.
 */
#ifndef MF_IMPORTERS_CCMAIL_DIR_H
#define MF_IMPORTERS_CCMAIL_DIR_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/rd.h"
#include "importers/ccmail/ccmail_msg.h"

#define CCX_LINE_MAX    (64u << 10)
#define CCX_MAX_FIELDS  4096      /* lines per record, members per list */
#define CCX_VALUE_MAX   128       /* manifest values */

/* ---- CCMX.TXT ---- */

struct ccx_manifest {
	char version[CCX_VALUE_MAX];
	char postoffice[CCX_VALUE_MAX];
	char codepage[CCX_VALUE_MAX];
	char date_order[CCX_VALUE_MAX];
	char timezone[CCX_VALUE_MAX];
	char db_version[CCX_VALUE_MAX];
	char exported_at[CCX_VALUE_MAX];
	/* which keys were given (the strings stay empty otherwise) */
	unsigned have_version : 1, have_postoffice : 1, have_codepage : 1,
		 have_date_order : 1, have_timezone : 1, have_db_version : 1,
		 have_exported_at : 1;
};

/*
 * Parse a manifest.  Unknown keys, lines without '=', repeated keys (the
 * first wins), non-ASCII bytes and over-long values are warnings through
 * problem; the caller checks the required keys.  Never fails.
 */
void ccx_manifest_parse(struct ccx_manifest *out, const void *data, size_t len,
			mf_problem_fn *problem, void *payload);

/* ---- CSV (USERS.CSV) ---- */

struct ccx_csv {
	struct mf_rd rd;
	mf_problem_fn *problem;
	void *payload;
};

struct ccx_csv_row {
	uint64_t offset;             /* of the row's first byte */
	char **fields;               /* NUL-terminated, in the arena */
	size_t n_fields;
	int has_nul;                 /* a field held a NUL byte: its C string is cut short */
	uint64_t nul_offset;         /* of the first such byte */
};

void ccx_csv_init(struct ccx_csv *c, const void *data, size_t len,
		  mf_problem_fn *problem, void *payload);
/* Next row: MF_OK, or MF_DONE at the end.  Blank lines are skipped.  A
 * quote inside an unquoted field, text after a closing quote or a quoted
 * field left open at the end are repaired with a warning. */
int ccx_csv_next(struct ccx_csv *c, struct ccx_csv_row *row, struct mf_arena *arena);

/* ---- "Label: value" records ---- */

struct ccx_field {
	struct mf_span label;        /* trimmed, without the colon */
	struct mf_span value;        /* trimmed */
	uint64_t offset;
};

struct ccx_record {
	uint64_t offset;             /* of its first line */
	struct mf_span raw;          /* its lines as written */
	struct ccx_field *fields;
	size_t n_fields;
};

struct ccx_recs {
	struct mf_rd rd;
	mf_problem_fn *problem;
	void *payload;
	const char *what;            /* "directory", ... for problem texts */
};

void ccx_recs_init(struct ccx_recs *p, const void *data, size_t len, const char *what,
		   mf_problem_fn *problem, void *payload);
/* Next record: MF_OK or MF_DONE.  A line that is not "Label: value" is a
 * warning (kept in raw); a line over CCX_LINE_MAX ends the file with an
 * error problem. */
int ccx_recs_next(struct ccx_recs *p, struct ccx_record *out, struct mf_arena *arena);

/* The first field with this label (case-insensitive), or NULL. */
const struct ccx_field *ccx_record_get(const struct ccx_record *r, const char *label);

#endif
