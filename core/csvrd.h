/* SPDX-License-Identifier: MIT */
/*
 * csvrd.h: reading CSV files that people made (RFC 4180): the target
 * directory snapshot, the plan's alias map.
 *
 * A record is a line of fields separated by ',', ending in CR LF, LF or a
 * lone CR (or the end of the file).  A field may be quoted with '"'; inside
 * quotes ',' and line ends are data and '""' is one '"'.  A '"' inside an
 * unquoted field is kept as data (hand-written files do that).  Empty lines
 * are skipped.
 *
 * Memory is bounded: a record holds at most max_bytes bytes of field data
 * and max_fields fields.  A damaged record (an unterminated quote, text
 * after a closing quote, a bound passed) is reported with its byte offset,
 * and the reader moves on to the line after the one the record started
 * on, so the caller can record a problem, skip the record whole and go on.
 */
#ifndef MF_CORE_CSVRD_H
#define MF_CORE_CSVRD_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/mf.h"
#include "core/rd.h"

struct mf_csv_rec {
	struct mf_buf data;     /* the fields, each NUL-terminated, back to back */
	size_t *start;          /* start of field i in data (owned) */
	size_t nfields, cap;
	size_t max_fields;
	uint64_t offset;        /* byte offset of the record in the input */
	uint64_t number;        /* 1 for the first record, counting damaged ones */
};

/* Prepare rec for records of at most max_bytes bytes and max_fields fields. */
void mf_csv_rec_init(struct mf_csv_rec *rec, size_t max_bytes, size_t max_fields);
void mf_csv_rec_release(struct mf_csv_rec *rec);

/* Field i as a NUL-terminated string (borrowed, valid until the next
 * read); "" when the record has fewer fields. */
const char *mf_csv_field(const struct mf_csv_rec *rec, size_t i);

/*
 * Read the next record from r into rec.  Returns MF_OK, MF_DONE at the end
 * of the input, or for a damaged record MF_EFORMAT / MF_ETOOBIG with diag
 * naming file and the record's byte offset (the reader has then moved past
 * the damaged line; call again for the next record).
 */
int mf_csv_next(struct mf_rd *r, struct mf_csv_rec *rec, const char *file,
		struct mf_diag *diag);

#endif
