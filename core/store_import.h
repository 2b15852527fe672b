/* SPDX-License-Identifier: MIT */
/*
 * store_import.h: the statements only the importers need (core/store.h
 * has the staging calls every importer makes): SQLite's settings for a bulk
 * import, the staged directory read back for address resolution, alias
 * links, small counts, and the target directory snapshot's rows.
 */
#ifndef MF_CORE_STORE_IMPORT_H
#define MF_CORE_STORE_IMPORT_H

#include <stdint.h>
#include "core/store.h"

/* ---- bulk import ---- */

/* SQLite's settings while an import runs, and what they were before. */
struct mf_store_bulk {
	int64_t cache_size, wal_autocheckpoint;   /* as they were */
	int saved;
};

/*
 * Raise the page cache to cache_kib KiB (the indexes of the tables an
 * import fills stay in memory) and checkpoint the WAL every wal_pages
 * pages (fewer, larger checkpoints: each one syncs the database file).
 * mf_store_bulk_end puts back what was there.  Never fails: the settings
 * only change the speed.
 */
void mf_store_bulk_begin(struct mf_store *st, struct mf_store_bulk *b, int cache_kib,
			 int wal_pages);
void mf_store_bulk_end(struct mf_store *st, struct mf_store_bulk *b);

/* ---- the staged directory of one source ---- */

struct mf_store_dir_row {
	int64_t id;
	const char *kind, *name;
	const char *display_name;          /* NULL when none */
	const char *address_type, *address, *postoffice;
	int64_t alias_of;                  /* 0: none */
};

/* Call fn for every directory entry of source_id in id order; the row's
 * strings are valid during the call.  fn returning < 0 stops the scan
 * with that code. */
int mf_store_dir_scan(struct mf_store *st, int64_t source_id,
		      int (*fn)(void *ctx, const struct mf_store_dir_row *row), void *ctx,
		      struct mf_diag *diag);
/* 1 and *id_out (may be NULL) for the first entry of source_id named name
 * (ASCII case-insensitively) that is not an alias, 0 when none, < 0. */
int mf_store_dir_named(struct mf_store *st, int64_t *id_out, int64_t source_id,
		       const char *name, struct mf_diag *diag);
/* 1 when a user, custom recipient or post office of source_id is named
 * name (ASCII case-insensitively), 0 when not, < 0. */
int mf_store_dir_name_taken(struct mf_store *st, int64_t source_id, const char *name,
			    struct mf_diag *diag);
/* Entry id is an alias of entry target. */
int mf_store_dir_set_alias(struct mf_store *st, int64_t id, int64_t target,
			   struct mf_diag *diag);
/* List member (list_id, position), stored unresolved, is entry_id. */
int mf_store_list_member_entry(struct mf_store *st, int64_t list_id, int position,
			       int64_t entry_id, struct mf_diag *diag);

/* ---- counts ---- */

int mf_store_mailbox_count(struct mf_store *st, int64_t *n_out, int64_t source_id,
			   struct mf_diag *diag);
/* The position after the last private address book entry of a mailbox. */
int mf_store_pab_next_position(struct mf_store *st, int *pos_out, int64_t mailbox_id,
			       struct mf_diag *diag);

/* ---- the target directory snapshot (importers/directory) ---- */

struct mf_target_object {
	int64_t source_id;
	const char *cls, *alias, *display_name, *given_name, *surname, *target_address;
	int64_t line, offset;
	const char *raw;
};

struct mf_target_proxy {
	int64_t object_id;
	int position;
	const char *proxy, *type, *address;
	int is_primary, migrate;
	const char *match_key, *loose_key;
};

/* Forget every snapshot imported before (one snapshot at a time). */
int mf_store_snapshot_drop(struct mf_store *st, struct mf_diag *diag);
int mf_store_target_object(struct mf_store *st, int64_t *id_out,
			   const struct mf_target_object *o, struct mf_diag *diag);
int mf_store_target_proxy(struct mf_store *st, const struct mf_target_proxy *p,
			  struct mf_diag *diag);
/* 1 and *line_out for the first other object with that alias (ASCII
 * case-insensitively), else 0 (also when the look-up fails); < 0 when the
 * statement cannot be prepared. */
int mf_store_target_alias_dup(struct mf_store *st, int64_t *line_out, const char *alias,
			      int64_t object_id, struct mf_diag *diag);

#endif
