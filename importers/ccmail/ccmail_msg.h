/* SPDX-License-Identifier: MIT */
/*
 * ccmail_msg.h: the cc:Mail message export grammar (CCMX v1 contract,
 * section 4), as pure functions over bytes.
 *
 * A message export file is a stream of messages:
 *
 *   Message: [number]          the message line
 *   [size]                     with /ITEMSIZE: a decimal byte count
 *   Keyword: value             headers (From, To, Date, ...), any order
 *   Contents:
 *   [size]
 *   Text item: [title]         items: Text, File, Fax, Graphics, Sound,
 *   [size]                     Message (a forwarded message, nested)
 *   payload bytes
 *
 * The parser reads one message at a time from a struct mf_rd positioned at
 * a message line (or at the start of the file) and returns spans into the
 * input: nothing is copied except the small arrays of headers and items,
 * which live in the caller's arena.  Every repair (a size that lies, a
 * size line of spaces, bytes that are not a token) is reported through the
 * problem callback with the byte offset in the file; a damaged message
 * (no `Contents:`, a line over its bound) is skipped whole: the parser
 * returns MF_SKIP with the reader at the next message line.
 *
 * No SQLite, no allocation outside the arena, no globals: the fuzz target
 * (tests/fuzz/fuzz-ccmail-msg.c) runs it on any bytes.
 */
#ifndef MF_IMPORTERS_CCMAIL_MSG_H
#define MF_IMPORTERS_CCMAIL_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/model.h"
#include "core/rd.h"
#include "importers/problem.h"

/* Bounds.  A header line may hold a whole address block (163,840 bytes in
 * Export 8.3x); item counts are far above cc:Mail's own limit (about 20). */
#define CCM_LINE_MAX      (256u << 10)
#define CCM_MAX_HEADERS   4096
#define CCM_MAX_ITEMS     1024
#define CCM_MAX_DEPTH     8
#define CCM_MAX_ITEM_SIZE ((uint64_t)1 << 40)

/*
 * Problems (importers/problem.h): the parser reports through an
 * mf_problem_fn while it parses; the importer collects them and records
 * them once the message is staged (or skipped).
 */

enum ccm_item_kind {
	CCM_ITEM_TEXT = 0,
	CCM_ITEM_FILE,
	CCM_ITEM_FAX,
	CCM_ITEM_GRAPHICS,
	CCM_ITEM_SOUND,
	CCM_ITEM_MESSAGE,
};

/* "text", "file", "fax", "graphics", "sound", "message". */
const char *ccm_item_kind_name(enum ccm_item_kind k);

struct ccm_message;

struct ccm_item {
	enum ccm_item_kind kind;
	struct mf_span title;        /* after the token, trimmed (bytes as written) */
	struct mf_span payload;      /* the item's bytes */
	uint64_t offset;             /* of the item token line */
	uint64_t payload_offset;
	int sized;                   /* the payload came from a valid size line */
	int no_data;                 /* file-like item without any bytes in the export */
	int implicit;                /* bytes after Contents: with no token: a text item */
	int raw_too;                 /* nested parsed, but the payload holds more: keep it */
	struct ccm_message *nested;  /* CCM_ITEM_MESSAGE parsed; NULL: payload kept raw */
};

struct ccm_header {
	struct mf_span keyword;      /* without the colon */
	struct mf_span value;        /* trimmed */
	struct mf_span raw_value;    /* after "Keyword:" and one space, as written */
	uint64_t offset;
};

struct ccm_message {
	uint64_t offset;             /* of the "Message:" line */
	uint64_t end;                /* one past its last byte (next message line / end) */
	struct mf_span number;       /* message number after "Message:", may be empty */
	struct mf_span raw_header;   /* the header lines as written, up to "Contents:" */
	struct ccm_header *headers;
	size_t n_headers;
	struct ccm_item *items;
	size_t n_items;
	int sized;                   /* written with /ITEMSIZE */
};

struct ccm_parser {
	struct mf_rd rd;             /* the whole file; cursor = next message */
	mf_problem_fn *problem;     /* may be NULL */
	void *payload;
	int started;                 /* leading garbage checked */
};

/* Start parsing data[0..len) (offsets are file offsets). */
void ccm_parser_init(struct ccm_parser *p, const void *data, size_t len,
		     mf_problem_fn *problem, void *payload);

/*
 * Parse the next message into *out (arrays in arena, spans into the input).
 * Returns MF_OK, MF_DONE at the end of the input, or MF_SKIP when the
 * message starting at *skip_off_out (may be NULL) was damaged and skipped
 * (an error problem has been reported; out->offset and out->end give the
 * skipped range).  Never fails otherwise.
 */
int ccm_parser_next(struct ccm_parser *p, struct ccm_message *out,
		    struct mf_arena *arena);

/* Does the line at the reader's cursor hold a message line
 * ("Message:" [SP digits] EOL)? */
int ccm_at_message_line(const struct mf_rd *r);

/* Find a header by keyword (case-insensitive); NULL if absent.  `nth`
 * selects among repeated headers. */
const struct ccm_header *ccm_header_find(const struct ccm_message *m,
					 const char *keyword, size_t nth);

/*
 * A file item title: strip a trailing date and time ("ABC.WK4 5/6/97
 * 3:10PM" -> "ABC.WK4"); the rest may contain spaces.  Returns the name
 * part (a span into title), trimmed; the whole title when no date
 * follows or when nothing would be left.
 */
struct mf_span ccm_title_filename(struct mf_span title);

/* A decoded MacBinary II file: spans into the payload. */
struct ccm_macbin {
	struct mf_span name;         /* Mac file name (Mac Roman bytes) */
	char type[5], creator[5];    /* four bytes each, NUL-terminated */
	struct mf_span data;         /* data fork */
	struct mf_span rsrc;         /* resource fork */
};

/* Is p a MacBinary II file (header checks and CRC)?  1 and *out filled,
 * or 0. */
int ccm_macbin_decode(struct ccm_macbin *out, struct mf_span p);

/* CRC-16/XMODEM as MacBinary II uses it (exposed for the generator). */
uint16_t ccm_crc16(const unsigned char *p, size_t n);

#endif
