/* SPDX-License-Identifier: MIT */
/*
 * rd.h: a bounded reader over bytes that are already in memory (a mapped
 * file, a test buffer, a fuzz input).  Every importer touches file bytes only
 * through it: no pointer arithmetic on input outside rd.c.
 *
 * The reader never reads past `end`.  Operations that cannot be satisfied
 * return an error code and leave the cursor where it was; the binary getters
 * (mf_rd_u8 .. mf_rd_be32) instead return 0 and set the sticky `err` to
 * MF_EFORMAT, so a fixed header can be read as a straight line of calls with
 * one check of `err` at the end.
 *
 * Offsets are counted from `base`, the start of the whole input, so a sub
 * reader reports positions in the original file.
 */
#ifndef MF_CORE_RD_H
#define MF_CORE_RD_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

/* A borrowed byte range: valid as long as the underlying input. */
struct mf_span {
	const unsigned char *p;
	size_t len;
};

struct mf_rd {
	const unsigned char *base;  /* start of the whole input (for offsets) */
	const unsigned char *p;     /* cursor */
	const unsigned char *end;   /* one past the last readable byte */
	int err;                    /* sticky error of the binary getters */
	/* Optional (NULL after mf_rd_init): told about the bytes a long scan
	 * (mf_rd_find_line_with) has passed over, at least every
	 * MF_RD_PASS_CHUNK bytes, so the owner of a mapped file can give their
	 * pages back and a scan over gigabytes keeps memory flat
	 * (mf_map_watch in core/fsutil.h).  Copied into sub readers. */
	void (*passed)(void *ctx, const unsigned char *from, const unsigned char *to);
	void *passed_ctx;
};

#define MF_RD_PASS_CHUNK ((size_t)32 << 20)

/* Line-end kinds reported by mf_rd_line. */
enum mf_eol { MF_EOL_NONE = 0, MF_EOL_LF = 1, MF_EOL_CRLF = 2, MF_EOL_CR = 3 };

/* Which line ends mf_rd_line accepts. */
enum mf_eol_mode {
	MF_EOLS_LF_CRLF = 0,   /* LF or CR LF; a lone CR is data */
	MF_EOLS_ANY = 1,       /* LF, CR LF or a lone CR */
};

void mf_rd_init(struct mf_rd *r, const void *data, size_t len);
/* A reader over the next n bytes (n <= left), offsets kept relative to base. */
int mf_rd_sub(struct mf_rd *r, size_t n, struct mf_rd *sub);

static inline size_t mf_rd_left(const struct mf_rd *r) { return (size_t)(r->end - r->p); }
static inline uint64_t mf_rd_offset(const struct mf_rd *r) { return (uint64_t)(r->p - r->base); }
static inline int mf_rd_eof(const struct mf_rd *r) { return r->p >= r->end; }
/* Move the cursor to absolute offset off (<= total length). */
int mf_rd_seek(struct mf_rd *r, uint64_t off);

/*
 * Read one line.  *line receives the bytes without the line end; *eol (may be
 * NULL) the kind of line end found (MF_EOL_NONE at end of input).
 * Returns MF_OK, MF_DONE at end of input (nothing left), or MF_ETOOBIG when
 * no line end occurs within max bytes (the cursor does not move).
 */
int mf_rd_line(struct mf_rd *r, struct mf_span *line, enum mf_eol *eol,
	       enum mf_eol_mode mode, size_t max);

/* Peek at the next line without consuming it (same rules as mf_rd_line). */
int mf_rd_peek_line(const struct mf_rd *r, struct mf_span *line,
		    enum mf_eol_mode mode, size_t max);

/* Take exactly n bytes without copying; MF_EFORMAT if fewer are left. */
int mf_rd_bytes(struct mf_rd *r, size_t n, struct mf_span *out);

/* Skip one line end (CR LF, LF, or with MF_EOLS_ANY a lone CR) if the cursor
 * is on one; returns 1 if one was skipped, else 0. */
int mf_rd_skip_eol(struct mf_rd *r, enum mf_eol_mode mode);

/* Does the input at the cursor start with w (ASCII, case-insensitive)? */
int mf_rd_at_ci(const struct mf_rd *r, const char *w);

/*
 * Find the next line start at or after the cursor (the cursor itself counts
 * as a line start only if at_line_start is true) whose bytes begin with one
 * of the NULL-terminated words (ASCII, case-insensitive).  On success *off
 * is the absolute offset of that line and the return is the index of the
 * word; MF_ENOTFOUND when no such line exists.  The cursor does not move.
 */
int mf_rd_find_line_with(const struct mf_rd *r, int at_line_start,
			 const char *const *words, uint64_t *off);

/* Binary getters: sticky error, 0 on failure. */
uint8_t mf_rd_u8(struct mf_rd *r);
uint16_t mf_rd_be16(struct mf_rd *r);
uint32_t mf_rd_be32(struct mf_rd *r);
uint16_t mf_rd_le16(struct mf_rd *r);
uint32_t mf_rd_le32(struct mf_rd *r);

/* Helpers on spans. */
struct mf_span mf_span_trim(struct mf_span s);          /* spaces and TABs */
int mf_span_eq_ci(struct mf_span s, const char *w);      /* whole span equals w */
int mf_span_starts_ci(struct mf_span s, const char *w);
/* Copy a span into a new NUL-terminated string (bytes as they are). */
char *mf_span_dup(struct mf_span s);

#endif
