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

/*
 * The users the importer has met (users.csv, then pol.txt), in a second
 * temporary table: what it knows of each until its mail has been read.
 * Mailbox names compare ASCII case-insensitively.
 */
struct mf_store_msuser {
	int64_t seq;                /* order of arrival, from 1 */
	char *mailbox;              /* as written (UTF-8) */
	char *full_name;            /* users.csv */
	char *dir_name;             /* the friendly name in pol.txt */
	char *mail_dir, *calendar, *hexid;
	int deleted, in_csv, in_pol;
	uint64_t csv_offset;
	int64_t mailbox_id;         /* 0: not staged (yet) */
	int64_t inbox_messages;     /* -1: no inbox.mmff read */
};

/* Free the strings of u (and zero it). */
void mf_store_msuser_release(struct mf_store_msuser *u);
/* An empty user table (created when missing). */
int mf_store_msuser_reset(struct mf_store *st, struct mf_diag *diag);
/* A new user (u->seq and u->mailbox set; the mailbox not yet known). */
int mf_store_msuser_add(struct mf_store *st, const struct mf_store_msuser *u,
			struct mf_diag *diag);
/* Every field of the user u->seq but its mailbox name written back. */
int mf_store_msuser_update(struct mf_store *st, const struct mf_store_msuser *u,
			   struct mf_diag *diag);
/* The user named mailbox into *u (owned): 1, 0 when absent, negative MF_E*. */
int mf_store_msuser_find(struct mf_store *st, struct mf_store_msuser *u, const char *mailbox,
			 struct mf_diag *diag);
/* The first user after seq after into *u (owned): 1, 0 after the last. */
int mf_store_msuser_next(struct mf_store *st, struct mf_store_msuser *u, int64_t after,
			 struct mf_diag *diag);

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
/* Before the first table, outside a transaction: the temporary database
 * on disk from now on. */
int mf_store_msdir_begin(struct mf_store *st, struct mf_diag *diag);
/* Drop both tables and keep temporary tables in memory again (the end of
 * an import); never fails. */
void mf_store_msdir_drop(struct mf_store *st);

#endif
