/* SPDX-License-Identifier: MIT */
/*
 * msmail_dir.h: the text files around the messages of an MS Mail export
 * bundle (contract sections 2-4): the manifest MSMX.TXT, users.csv, and the
 * directory extracts pol.txt, gw-<TYPE>.txt (IMPORT -X) and groups.txt
 * (GIMPORT -X).
 *
 * Pure functions over bytes; results point into the input or into buffers
 * the readers own (valid until their next call); problems go through the
 * callback of importers/problem.h.
 */
#ifndef MF_IMPORTERS_MSMAIL_DIR_H
#define MF_IMPORTERS_MSMAIL_DIR_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/rd.h"
#include "importers/problem.h"

/* ---- MSMX.TXT ---- */

#define MF_MSMX_VALUE_MAX 256

struct mf_msmx {
	char version[MF_MSMX_VALUE_MAX];          /* "" when absent */
	char network[MF_MSMX_VALUE_MAX];
	char postoffice[MF_MSMX_VALUE_MAX];
	char source_codepage[MF_MSMX_VALUE_MAX];  /* defaults filled: "850" */
	char windows_codepage[MF_MSMX_VALUE_MAX]; /* "1252" */
	char timezone[MF_MSMX_VALUE_MAX];         /* "UTC" */
	char newline[MF_MSMX_VALUE_MAX];          /* "CRLF" */
	char exported_at[MF_MSMX_VALUE_MAX];      /* "" when absent */
	char mail_version[MF_MSMX_VALUE_MAX];
};

/*
 * Read the manifest: `key=value` lines, `#` comments (whole lines, or after
 * a blank inside a line), keys case-insensitive.  Defaults are filled for
 * the optional keys.  Returns MF_OK, or MF_EFORMAT with a report when a
 * required key (msmx-version, network, postoffice) is missing or the
 * version is not 1; unknown keys and malformed lines are reported (info /
 * warning) and ignored.
 */
int mf_msmx_parse(struct mf_msmx *out, const void *data, size_t len,
		  mf_problem_fn *fn, void *ctx);

/* ---- CSV (RFC 4180) ---- */

#define MF_MSCSV_FIELDS_MAX 64
#define MF_MSCSV_RECORD_MAX (64u * 1024)

struct mf_mscsv {
	struct mf_rd rd;
	struct mf_buf buf;                 /* unquoted field bytes */
	size_t start[MF_MSCSV_FIELDS_MAX];
	size_t len[MF_MSCSV_FIELDS_MAX];
	mf_problem_fn *problem;
	void *pctx;
};

void mf_mscsv_init(struct mf_mscsv *c, const void *data, size_t len,
		 mf_problem_fn *fn, void *ctx);
void mf_mscsv_release(struct mf_mscsv *c);
/*
 * The next record: *n fields, field i is fields[i] (pointing into the
 * reader's buffer, NUL-terminated).  *offset is the record's byte offset.
 * A leading UTF-8 byte-order mark is skipped; CR LF or LF end records;
 * quoted fields may hold line ends, commas and "" for a quote.  Blank lines
 * are skipped.  Returns MF_OK, MF_DONE, or MF_SKIP for a record that is
 * damaged (unterminated quote, over MF_MSCSV_RECORD_MAX bytes or
 * MF_MSCSV_FIELDS_MAX fields), which is reported and passed over.
 */
int mf_mscsv_next(struct mf_mscsv *c, const char *fields[MF_MSCSV_FIELDS_MAX], size_t *n,
		uint64_t *offset);

/* ---- users.csv ---- */

struct mf_msuser {
	const char *mailbox;       /* "" when empty */
	const char *full_name;
	int deleted;
	const char *mail_dir;
	const char *calendar;
	const char *hexid;         /* optional column, "" when absent */
	uint64_t offset;
};

struct mf_msusers {
	struct mf_mscsv csv;
	int col[6];                /* index of mailbox, full_name, deleted, mail_dir, calendar, hexid; -1 absent */
	int have_header;
};

void mf_msusers_init(struct mf_msusers *u, const void *data, size_t len,
		     mf_problem_fn *fn, void *ctx);
void mf_msusers_release(struct mf_msusers *u);
/* The next user row (strings valid until the next call).  The header row is
 * read first: columns are found by name in any order; a missing `mailbox`
 * column makes every call return MF_EFORMAT (reported once).  Rows without a
 * mailbox are reported and skipped.  MF_OK, MF_DONE or MF_EFORMAT. */
int mf_msusers_next(struct mf_msusers *u, struct mf_msuser *out);

/* ---- IMPORT / GIMPORT lines (pol.txt, gw-*.txt, groups.txt) ---- */

enum mf_msdir_layout { MF_MSDIR_FIXED = 0, MF_MSDIR_TABS = 1, MF_MSDIR_GUESSED = 2 };

struct mf_msdir_line {
	char code;                 /* column 1: 'A', 'G', '#', '-', ... ; 0 for a blank line */
	struct mf_span name;       /* friendly name (alias), trimmed */
	struct mf_span address;    /* "TYPE:address", trimmed; len 0 when none */
	struct mf_span raw;        /* the line as written, without line end */
	struct mf_span templ;      /* '-' template lines following an entry, as written */
	uint64_t offset;
	enum mf_msdir_layout layout;
};

struct mf_msdir {
	struct mf_rd rd;
	mf_problem_fn *problem;
	void *pctx;
};

void mf_msdir_init(struct mf_msdir *d, const void *data, size_t len,
		   mf_problem_fn *fn, void *ctx);

/*
 * Split one line: code in column 1; the friendly name from column 3 (at
 * most 30 characters) and the address type from column 34, or the fields
 * separated by TABs.  When neither fits (a name longer than 30 characters
 * shifts the address), the address is taken from the first blank-preceded
 * `TYPE:` token (known types first) and layout is MF_MSDIR_GUESSED.
 */
void mf_msdir_split(struct mf_msdir_line *out, struct mf_span line);

/*
 * The next non-blank line, split.  For a line with code 'A' or 'G' the
 * template data lines ('-' in column 1) that follow are returned with it in
 * templ.  Lines longer than 4096 bytes are reported and skipped.  MF_OK or
 * MF_DONE.
 */
int mf_msdir_next(struct mf_msdir *d, struct mf_msdir_line *out);

#endif
