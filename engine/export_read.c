/* SPDX-License-Identifier: MIT */
/*
 * export_read.c: what an exporter reads through the driver (the calls are
 * described in engine/exporter.h): the ledger's remote ids, folders,
 * calendar items, sources, directory entries and lists, the message
 * selection; and the reader handle verify uses without a run.
 */
#include "engine/export_priv.h"

#include <stdlib.h>
#include <string.h>

int mf_export_ledger_remote_ids(struct mf_export *ex, int64_t mailbox_id, const char *folder,
				const char ***out, size_t *n_out, struct mf_arena *arena,
				struct mf_diag *diag)
{
	return mf_store_delivered_remote_ids(ex->st, out, n_out, ex->target, mailbox_id, folder,
					     arena, diag);
}

int mf_export_ledger_highest(struct mf_export *ex, int64_t mailbox_id, const char *folder,
			     int (*pos)(void *arg, const char *remote_id, uint64_t *p), void *arg,
			     uint64_t *max_out, int *any_out, struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	const char **ids;
	size_t n;
	int rc;

	*max_out = 0;
	*any_out = 0;
	rc = mf_store_delivered_remote_ids(ex->st, &ids, &n, ex->target, mailbox_id, folder, &a, diag);
	for (size_t i = 0; rc == MF_OK && i < n; i++) {
		uint64_t p;
		if (pos(arg, ids[i], &p) == 1) {
			*any_out = 1;
			if (p > *max_out)
				*max_out = p;
		}
	}
	mf_arena_release(&a);
	return rc;
}

int mf_export_folders(struct mf_export *ex, int64_t mailbox_id, struct mf_export_folder **out,
		      size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_store_folder *f;
	size_t n;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_store_folder_list(ex->st, &f, &n, mailbox_id, 0, arena, diag)) < 0)
		return rc;
	if (n) {
		struct mf_export_folder *o = mf_arena_alloc(arena, n * sizeof(*o));
		for (size_t i = 0; i < n; i++) {
			o[i].path = f[i].path;
			o[i].special = f[i].special;
		}
		*out = o;
		*n_out = n;
	}
	return MF_OK;
}

int mf_export_calendar_rest(struct mf_export *ex, int64_t mailbox_id,
			    int (*visit)(void *arg, const struct mf_calendar_item *c),
			    void *arg, struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;

	if ((rc = mf_store_calendar_ids(ex->st, &ids, &n, mailbox_id, ex->target, -1, diag)) < 0)
		return rc;
	/* both in id order: walk them together */
	for (size_t i = 0, k = 0; i < n && rc == MF_OK; i++) {
		struct mf_calendar_item c;
		if (ex->cur_mailbox == mailbox_id) {
			while (k < ex->n_cal_passed && ex->cal_passed[k] < ids[i])
				k++;
			if (k < ex->n_cal_passed && ex->cal_passed[k] == ids[i])
				continue;
		}
		mf_arena_reset(&a);
		rc = mf_store_calendar_load(ex->st, &c, ids[i], &a, diag);
		if (rc == MF_ENOTFOUND) {
			rc = MF_OK;
			continue;
		}
		if (rc == MF_OK)
			rc = visit(arg, &c);
	}
	free(ids);
	mf_arena_release(&a);
	return rc;
}

int mf_export_source(struct mf_export *ex, int64_t source_id, struct mf_source_info *out,
		     struct mf_arena *arena, struct mf_diag *diag)
{
	return mf_store_source_load(ex->st, out, source_id, arena, diag);
}

int mf_export_entry(struct mf_export *ex, int64_t entry_id, struct mf_export_entry *out,
		    struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_store_entry_ref r;
	int rc = mf_store_entry_ref(ex->st, &r, entry_id, arena, diag);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->id = r.id;
	out->source_id = r.source_id;
	out->mailbox_id = r.mailbox_id;
	out->kind = r.kind;
	out->name = r.name;
	out->display_name = r.display_name;
	out->address_type = r.address_type;
	out->address = r.address;
	out->mailbox_display_name = r.mailbox_display_name;
	out->mailbox_alias = r.mailbox_alias;
	return MF_OK;
}

int mf_export_list_members(struct mf_export *ex, int64_t list_id, struct mf_export_member **out,
			   size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_store_member *m;
	size_t n;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_store_list_members(ex->st, &m, &n, list_id, arena, diag)) < 0)
		return rc;
	if (n) {
		struct mf_export_member *o = mf_arena_alloc(arena, n * sizeof(*o));
		for (size_t i = 0; i < n; i++) {
			o[i].address = m[i].address;
			o[i].entry_id = m[i].entry_id;
			o[i].mailbox_alias = m[i].mailbox_alias;
		}
		*out = o;
		*n_out = n;
	}
	return MF_OK;
}

int mf_export_mailbox_by_alias(struct mf_export *ex, const char *alias, struct mf_mailbox *out,
			       struct mf_arena *arena, struct mf_diag *diag)
{
	return mf_store_mailbox_by_alias_exact(ex->st, out, alias, arena, diag);
}

int mf_export_messages(struct mf_export *ex, int64_t mailbox_id, struct mf_export_msg **out,
		       size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	return mf_export_select_messages(ex->st, ex->opts, ex->target, mailbox_id, out, n_out,
					 arena, diag);
}

struct mf_export *mf_export_reader_open(struct mf_store *st, const struct mf_export_opts *opts,
					const char *target)
{
	struct mf_export *ex = mf_xcalloc(1, sizeof(*ex));
	ex->st = st;
	ex->opts = opts;
	ex->reader = 1;
	ex->reader_target = mf_xstrdup(target ? target : "");
	ex->target = ex->reader_target;
	return ex;
}

void mf_export_reader_close(struct mf_export **pex)
{
	struct mf_export *ex = pex ? *pex : NULL;
	if (!ex)
		return;
	free(ex->reader_target);
	free(ex);
	*pex = NULL;
}
