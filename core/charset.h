/* SPDX-License-Identifier: MIT */
/*
 * charset.h: code page conversion through iconv.
 *
 * The staging store holds UTF-8.  Legacy text arrives in a DOS or Windows
 * code page (CP437, CP850, CP852, CP866, CP932, CP1252, ...) and leaves again
 * in one for the Exchange migration files.  Conversion never gives up:
 *
 *  - to UTF-8: a byte (or DBCS pair) with no mapping becomes U+FFFD and is
 *    counted in *replacements; the caller keeps the raw bytes when the count
 *    is not zero (the staging store has a column for them).
 *  - from UTF-8: a character the code page cannot hold becomes the
 *    replacement byte (usually '?') and is counted; invalid UTF-8 input is
 *    treated the same way.
 *
 * glibc's //TRANSLIT is not used: it changes text silently.
 */
#ifndef MF_CORE_CHARSET_H
#define MF_CORE_CHARSET_H

#include <stddef.h>
#include "core/buf.h"
#include "core/mf.h"

struct mf_charset;

/*
 * Canonical name for a code page given as "850", "cp850", "IBM850",
 * "windows-1252", "1252", "Shift_JIS", "UTF-8"...: "CP850", "CP1252",
 * "CP932", "UTF-8".  NULL for a name mailferry does not know (static storage).
 */
const char *mf_codepage_canonical(const char *name);

/*
 * Open a converter between the named code page and UTF-8.
 * Returns MF_OK with *out set (free with mf_charset_free) or MF_ECHARSET
 * (diag says which name) for an unknown code page.
 */
int mf_charset_open(struct mf_charset **out, const char *codepage,
		    struct mf_diag *diag);
void mf_charset_free(struct mf_charset **cs);
/* Canonical name of an open converter (owned by it). */
const char *mf_charset_name(const struct mf_charset *cs);

/*
 * Append the UTF-8 form of in[0..len) to out.  *replacements (may be NULL)
 * is increased by the number of U+FFFD written for bytes with no mapping.
 * Returns MF_OK, or MF_ETOOBIG when out's bound is reached (out then holds a
 * prefix).  An incomplete multibyte sequence at the end counts as invalid.
 */
int mf_charset_to_utf8(struct mf_charset *cs, const void *in, size_t len,
		       struct mf_buf *out, size_t *replacements);

/*
 * Append the code page form of the UTF-8 text in[0..len) to out; characters
 * the code page cannot hold (and invalid UTF-8) become `repl` and are counted
 * in *replacements (may be NULL).  Returns MF_OK or MF_ETOOBIG.
 */
int mf_charset_from_utf8(struct mf_charset *cs, const char *in, size_t len,
			 struct mf_buf *out, size_t *replacements, char repl);

/* Is p[0..len) well-formed UTF-8 (no overlongs, no surrogates)? */
int mf_utf8_valid(const void *p, size_t len);

/* Append p[0..len) to out as UTF-8, replacing ill-formed sequences with
 * U+FFFD and counting them; for input that claims to be UTF-8. */
int mf_utf8_sanitize(const void *p, size_t len, struct mf_buf *out,
		     size_t *replacements);

/*
 * A heuristic for text that was exported in another code page than the one
 * declared.  Looks at the bytes >= 0x80 of p[0..len) and returns NULL when
 * they fit `declared`, or a short reason ("box-drawing bytes in prose
 * suggest a Windows code page", ...) when they look like another code page.
 * Only meaningful for a few hundred bytes or more of prose.
 */
const char *mf_charset_suspect(const char *declared, const void *p, size_t len);

#endif
