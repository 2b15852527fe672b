/* SPDX-License-Identifier: MIT */
/*
 * store_ccdir.h: one name at a time from a source's staged directory, by
 * the indexes on dir_entries (name, address): what the cc:Mail importer
 * resolves recipients, list members and private addresses with, instead
 * of a copy of the whole directory in memory (issue 15).
 *
 * Each function calls fn for the matching rows of source_id in id order
 * (the order the directory was staged in); the row's strings are valid
 * during the call only.  fn returns 0 for the next row, > 0 to stop (the
 * function then returns MF_OK), < 0 to stop with that code.
 */
#ifndef MF_CORE_STORE_CCDIR_H
#define MF_CORE_STORE_CCDIR_H

#include "core/store_import.h"

typedef int (*mf_store_dir_row_fn)(void *ctx, const struct mf_store_dir_row *row);

/* The entries named name (ASCII case-insensitively), every kind. */
int mf_store_dir_each_named(struct mf_store *st, int64_t source_id, const char *name,
			    mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag);
/* The entries of address type SMTP whose address is address (ASCII
 * case-insensitively). */
int mf_store_dir_each_smtp(struct mf_store *st, int64_t source_id, const char *address,
			   mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag);
/* The entry id, when it belongs to source_id (fn is not called when not). */
int mf_store_dir_by_id(struct mf_store *st, int64_t source_id, int64_t id,
		       mf_store_dir_row_fn fn, void *ctx, struct mf_diag *diag);
/* The entries named name (ASCII case-insensitively) in every source, from
 * the name index alone: *n is 0, 1 or 2 (two or more), *id the first's. */
int mf_store_dir_ids_named(struct mf_store *st, const char *name, int64_t *id, int *n,
			   struct mf_diag *diag);

#endif
