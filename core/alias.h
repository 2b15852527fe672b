/* SPDX-License-Identifier: MIT */
/*
 * alias.h: ASCII names for the target: mailbox aliases (Exchange
 * Common-Name and NT account: at most 20 characters of letters and digits) and the
 * folding of names to ASCII look-alikes (Å -> A, ß -> ss, £ -> L) that the
 * Exchange directory import requires.
 *
 * Alias rule (docs/decisions.md): surname followed by the first letter of
 * the given name ("Smith, John" -> SmithJ), letters and digits only after
 * folding; a name with no surname/given split uses the whole name.  The
 * result is cut to 20 characters; when it is taken, a number is appended
 * (cutting the base so the whole stays within 20): SmithJ, SmithJ2, ...
 */
#ifndef MF_CORE_ALIAS_H
#define MF_CORE_ALIAS_H

#include <stddef.h>
#include "core/buf.h"

#define MF_ALIAS_MAX 20

/*
 * Append the ASCII folding of UTF-8 text to out: letters with diacritics
 * lose them, ligatures expand (æ -> ae), a few symbols get look-alikes
 * (£ -> L); other non-ASCII characters become `other` (or are dropped when
 * other is 0).  Returns MF_OK or MF_ETOOBIG.
 */
int mf_ascii_fold(struct mf_buf *out, const char *utf8, size_t len, char other);

/*
 * Split a display name into given name and surname: "Last, First" or
 * "First [Middle] Last".  Writes borrowed spans (pointers into name) into
 * the given-name and surname outputs; either may come back empty.
 */
void mf_name_split(const char *name, const char **given, size_t *given_len,
		   const char **sur, size_t *sur_len);

/*
 * The alias base for a person: out[21] <- folded surname + first letter of
 * folded given name, or the folded whole name when there is no surname.
 * Returns the length (0 when no ASCII letter or digit survives).
 */
size_t mf_alias_base(char out[MF_ALIAS_MAX + 1], const char *given,
		     const char *surname, const char *name);

/*
 * Make base unique: calls taken(alias, payload) (non-zero when the alias is
 * already used, compared case-insensitively by the callee) for base, then
 * base2, base3, ... shortening base to keep within 20 characters.
 * out[21] receives the result.  Returns MF_OK, or MF_ENOTFOUND when base is
 * empty or no free alias was found within 100000 tries.
 */
int mf_alias_unique(char out[MF_ALIAS_MAX + 1], const char *base,
		    int (*taken)(const char *alias, void *payload), void *payload);
/*
 * The same, starting at number *k_io (0 or 1: base itself first, then 2,
 * 3, ...); *k_io receives the number used (1: base itself).  A caller that
 * never frees an alias it took can start the next search for the same base
 * one past the number used last and gets what mf_alias_unique would.
 */
int mf_alias_unique_from(char out[MF_ALIAS_MAX + 1], unsigned *k_io, const char *base,
			 int (*taken)(const char *alias, void *payload), void *payload);

/* Is s a well-formed alias (1-20 of [A-Za-z0-9._-], not starting with . or -)? */
int mf_alias_valid(const char *s);

#endif
