/* SPDX-License-Identifier: MIT */
/*
 * store_msdir.h: the MS Mail importer's look-up keys of the staged
 * directory, held in the store instead of in memory.
 *
 * The importer resolves group members, senders and recipients by a key it
 * makes from an address or a name ("MS:ACMENET/HQPO/ERAMIREZ",
 * "N:ELLEN RAMIREZ": its own normalisation, which SQLite's collations do
 * not have).  The keys live in a temporary table of the connection (the
 * temporary database, on disk behind its own small page cache: nothing
 * of it is staged), so a site of 100,000 users costs the importer no more
 * memory than one of 10,000.  The first entry put under a key wins.
 */
#ifndef MF_CORE_STORE_MSDIR_H
#define MF_CORE_STORE_MSDIR_H

#include <stdint.h>
#include "core/store.h"

/* An empty key table (created when missing). */
int mf_store_msdir_reset(struct mf_store *st, struct mf_diag *diag);
/* key -> (id, display) unless key is present (display may be NULL). */
int mf_store_msdir_put(struct mf_store *st, const char *key, int64_t id, const char *display,
		       struct mf_diag *diag);
/*
 * The entry of key: 1 with *id and *display (owned, NULL when none), 0 when
 * the key is absent (or no table was made), negative MF_E* on failure.
 */
int mf_store_msdir_get(struct mf_store *st, int64_t *id, char **display, const char *key,
		       struct mf_diag *diag);
/* Drop the table (the end of an import); never fails. */
void mf_store_msdir_drop(struct mf_store *st);

#endif
