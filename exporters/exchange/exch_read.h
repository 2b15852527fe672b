/* SPDX-License-Identifier: MIT */
/*
 * exch_read.h: reading and validating Exchange migration file sets (the
 * reading model of contract section 2.4).  Used by `mailferry inspect
 * exchange` and by the exporter's tests; it also validates sets written by
 * other tools.
 *
 * The reader walks a set (a .pkl and the files it lists, all in the .pkl's
 * folder) and reports through a visitor: every problem (file, byte offset,
 * text), every section, and every data line with the secondary sections
 * its pointer leads to.  Checks: every line of .pkl and .pri files ends in
 * CR LF; sections have the right number of header and data fields; dates
 * are valid 14-digit dates or blank; booleans and priorities are in range;
 * every pointer names a listed secondary file and lands on a section
 * header; every chain of sections ends (Islast TRUE) inside the file;
 * every Length fits; attachments have names with extensions and positions
 * within the body.
 *
 * All input is bounded: files are mapped, lines are limited to 1 MiB,
 * chains to 100000 sections, and nothing read from the files is trusted.
 */
#ifndef MF_EXPORTERS_EXCH_READ_H
#define MF_EXPORTERS_EXCH_READ_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

/* One secondary section reached from a pointer. */
struct exr_item {
	const char *type;             /* Body, Attachment, Document, Schedule, Other */
	const unsigned char *data;    /* Length bytes (borrowed from the mapping) */
	size_t len;
	const char *name;             /* may be "" */
	int64_t position;             /* INT64_MIN when blank */
	const char *format;           /* "" or Macbinary */
	uint64_t offset;              /* of the section header */
};

/* One data line of a section, with its fields decoded (level 1). */
struct exr_line {
	const char *file;             /* the .pri file */
	uint64_t offset;              /* of the line's first byte */
	const char *section;          /* DIRECTORY, MAILMESSAGE, PAB */
	const char *argument;         /* the section's argument ("" when none) */
	char **field;                 /* n_fields NUL-terminated values */
	size_t n_fields;
	const char *const *header;    /* the section's column names */
	size_t n_header;
	struct exr_item *items;       /* MAILMESSAGE: the chain of sections */
	size_t n_items;
	const char *sec_file;         /* MAILMESSAGE: the secondary file */
};

struct exr_visitor {
	void *payload;
	/* a problem: the set is not valid (may be NULL) */
	void (*problem)(void *payload, const char *file, uint64_t offset, const char *text);
	/* a section began (may be NULL) */
	void (*section)(void *payload, const char *file, const char *kind, const char *argument);
	/* a data line (may be NULL); pointers valid during the call only */
	void (*line)(void *payload, const struct exr_line *l);
};

/* Totals of a walk. */
struct exr_stats {
	int64_t files, sections, directory_lines, messages, pab_lines;
	int64_t attachments, documents, schedules, bytes, problems;
	char codepage[16];
};

/*
 * Walk the set whose packing list is `pkl` (a .pkl file, or a folder holding
 * exactly one .pkl).  Returns MF_OK when the walk ran (stats->problems says
 * whether the set is valid), or MF_EIO / MF_EFORMAT with diag set when the
 * packing list cannot be read at all.
 */
int exr_walk(const char *pkl, const struct exr_visitor *v, struct exr_stats *stats,
	     struct mf_diag *diag);

/*
 * Level 1 of the reading model on one logical line: split at commas outside
 * quotes; a '"' toggles quoting and is not copied; "" inside quotes is one
 * literal quote.  Fields are written into out[] (each malloc'd; free with
 * exr_fields_free); *n receives their number (at most max).  Returns MF_OK
 * or MF_ETOOBIG for more than max fields.
 */
int exr_split_fields(char **out, size_t max, size_t *n, const char *line, size_t len);
void exr_fields_free(char **f, size_t n);
/*
 * Level 2 on a multi-valued field: split at ';' outside literal quotes,
 * then drop one pair of surrounding quotes from each value.  Same ownership
 * rules as exr_split_fields.
 */
int exr_split_values(char **out, size_t max, size_t *n, const char *field);

/* Fuzzing entry: walk a set held in memory: one .pri (pri, pri_len) whose
 * pointers all resolve to the one .sec (sec, sec_len) named "F.SEC". */
int exr_walk_memory(const unsigned char *pri, size_t pri_len, const unsigned char *sec,
		    size_t sec_len, const struct exr_visitor *v, struct exr_stats *stats);

#endif
