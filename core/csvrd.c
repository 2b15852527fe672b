/* SPDX-License-Identifier: MIT */
/* csvrd.c: RFC 4180 records with bounded memory (see csvrd.h). */
#include "core/csvrd.h"

#include <stdlib.h>
#include <string.h>

void mf_csv_rec_init(struct mf_csv_rec *rec, size_t max_bytes, size_t max_fields)
{
	memset(rec, 0, sizeof(*rec));
	/* every field carries its NUL */
	mf_buf_init(&rec->data, max_bytes + max_fields);
	rec->max_fields = max_fields ? max_fields : 1;
}

void mf_csv_rec_release(struct mf_csv_rec *rec)
{
	mf_buf_release(&rec->data);
	free(rec->start);
	memset(rec, 0, sizeof(*rec));
}

const char *mf_csv_field(const struct mf_csv_rec *rec, size_t i)
{
	if (i >= rec->nfields)
		return "";
	return rec->data.data + rec->start[i];
}

/* The next byte without consuming it; -1 at the end. */
static int peek(struct mf_rd *r)
{
	uint64_t off;
	int c;
	if (mf_rd_eof(r))
		return -1;
	off = mf_rd_offset(r);
	c = mf_rd_u8(r);
	mf_rd_seek(r, off);
	return c;
}

static int next(struct mf_rd *r)
{
	if (mf_rd_eof(r))
		return -1;
	return mf_rd_u8(r);
}

/* After a damaged record: go to the line after the one it started on. */
static void resync(struct mf_rd *r, uint64_t start)
{
	int c;
	mf_rd_seek(r, start);
	while ((c = next(r)) >= 0) {
		if (c == '\n')
			return;
		if (c == '\r') {
			if (peek(r) == '\n')
				next(r);
			return;
		}
	}
}

static int field_begin(struct mf_csv_rec *rec)
{
	if (rec->nfields >= rec->max_fields)
		return MF_ETOOBIG;
	if (rec->nfields == rec->cap) {
		rec->cap = rec->cap ? rec->cap * 2 : 16;
		rec->start = mf_xreallocarray(rec->start, rec->cap, sizeof(*rec->start));
	}
	rec->start[rec->nfields++] = rec->data.len;
	return MF_OK;
}

/* Is c a record end?  Consumes an LF after a CR. */
static int at_eol(struct mf_rd *r, int c)
{
	if (c == '\n')
		return 1;
	if (c == '\r') {
		if (peek(r) == '\n')
			next(r);
		return 1;
	}
	return 0;
}

int mf_csv_next(struct mf_rd *r, struct mf_csv_rec *rec, const char *file,
		struct mf_diag *diag)
{
	uint64_t start;
	int c, rc;

	/* skip empty lines */
	for (;;) {
		c = peek(r);
		if (c < 0)
			return MF_DONE;
		if (c != '\n' && c != '\r')
			break;
		next(r);
	}
	start = mf_rd_offset(r);
	rec->offset = start;
	rec->number++;
	rec->nfields = 0;
	mf_buf_reset(&rec->data);

	for (;;) {
		/* one field */
		if ((rc = field_begin(rec)) < 0) {
			resync(r, start);
			return mf_diag_set(diag, rc, file, start,
					   "record %llu has more than %zu fields",
					   (unsigned long long)rec->number, rec->max_fields);
		}
		c = next(r);
		if (c == '"') {
			for (;;) {
				c = next(r);
				if (c < 0) {
					resync(r, start);
					return mf_diag_set(diag, MF_EFORMAT, file, start,
							   "record %llu: a quoted field is never closed",
							   (unsigned long long)rec->number);
				}
				if (c == '"') {
					if (peek(r) != '"')
						break;
					next(r);
				}
				if (mf_buf_addch(&rec->data, c) < 0) {
					resync(r, start);
					return mf_diag_set(diag, MF_ETOOBIG, file, start,
							   "record %llu is longer than %zu bytes",
							   (unsigned long long)rec->number,
							   rec->data.max - rec->max_fields);
				}
			}
			c = next(r);
			if (c >= 0 && c != ',' && c != '\n' && c != '\r') {
				resync(r, start);
				return mf_diag_set(diag, MF_EFORMAT, file, start,
						   "record %llu: text after the closing quote of field %zu",
						   (unsigned long long)rec->number, rec->nfields);
			}
		} else {
			while (c >= 0 && c != ',' && c != '\n' && c != '\r') {
				if (mf_buf_addch(&rec->data, c) < 0) {
					resync(r, start);
					return mf_diag_set(diag, MF_ETOOBIG, file, start,
							   "record %llu is longer than %zu bytes",
							   (unsigned long long)rec->number,
							   rec->data.max - rec->max_fields);
				}
				c = next(r);
			}
		}
		if (mf_buf_addch(&rec->data, '\0') < 0) {
			resync(r, start);
			return mf_diag_set(diag, MF_ETOOBIG, file, start,
					   "record %llu is longer than %zu bytes",
					   (unsigned long long)rec->number, rec->data.max - rec->max_fields);
		}
		if (c < 0 || at_eol(r, c))
			return MF_OK;
		/* c == ',': another field follows */
	}
}
