/* SPDX-License-Identifier: MIT */
/*
 * export_ledger.c: the delivery ledger (see export_priv.h), and the calls
 * with which an exporter confirms, refuses or reports.
 *
 * deliveries(target, item_kind, item_id) records what the target holds.
 * Rows are kept in memory and written in one short transaction every 200
 * items, every two seconds and at the end of each mailbox, so no write
 * lock is held while the target works and a second run is never kept
 * waiting.  A crash loses at most the rows not yet written; the items
 * behind them are on the target and their re-delivery is harmless
 * (engine/exporter.h, "Idempotency").
 */
#include "engine/export_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_exp_ledger_clear(struct mf_export *ex)
{
	for (size_t i = 0; i < ex->nrows; i++) {
		free(ex->rows[i].remote_id);
		if (!ex->rows[i].sha_shared)
			free(ex->rows[i].sha256);
		free(ex->rows[i].detail);
	}
	ex->nrows = 0;
}

int mf_exp_ledger_put(struct mf_export *ex, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const char *status, const char *remote_id,
		      const char *sha256, int64_t bytes, const char *detail)
{
	struct ledger_row *r;
	if (ex->nrows == ex->caprows) {
		ex->caprows = ex->caprows ? ex->caprows * 2 : 256;
		ex->rows = mf_xreallocarray(ex->rows, ex->caprows, sizeof(*ex->rows));
	}
	r = &ex->rows[ex->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->status, sizeof(r->status), "%s", status);
	r->item_id = item_id;
	r->mailbox_id = mailbox_id;
	r->bytes = bytes;
	r->remote_id = remote_id && *remote_id ? mf_xstrdup(remote_id) : NULL;
	/* the items of one file (a PST part) share its digest: one copy, so a
	 * mailbox confirmed all at once costs less per item */
	if (sha256 && *sha256 && ex->nrows > 1 && r[-1].sha256 && !strcmp(r[-1].sha256, sha256)) {
		r->sha256 = r[-1].sha256;
		r->sha_shared = 1;
	} else {
		r->sha256 = sha256 && *sha256 ? mf_xstrdup(sha256) : NULL;
	}
	r->detail = detail ? mf_xstrdup(detail) : NULL;
	return MF_OK;
}

int mf_exp_ledger_flush(struct mf_export *ex, struct mf_diag *diag)
{
	int rc, lost = 0;

	ex->last_flush_ms = mf_now_ms();
	if (!mf_exp_run_of(ex)->beat.running && ex->last_flush_ms - ex->last_beat_ms >= 1000) {
		if ((rc = mf_store_run_heartbeat(ex->st, ex->run_id, diag)) < 0)
			return rc;
		ex->last_beat_ms = ex->last_flush_ms;
	}
	if (ex->nrows == 0 && !ex->cur_mailbox)
		return MF_OK;
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	if (ex->cur_mailbox) {
		int64_t owner;
		int found = mf_store_lease_owner(ex->st, &owner, ex->cur_mailbox, ex->target, diag);
		if (found < 0)
			goto fail;
		if (!found || owner != ex->run_id)
			lost = 1;
	}
	for (size_t i = 0; i < ex->nrows; i++) {
		const struct ledger_row *r = &ex->rows[i];
		struct mf_store_delivery d;
		d.kind = r->kind;
		d.item_id = r->item_id;
		d.mailbox_id = r->mailbox_id;
		d.status = r->status;
		d.remote_id = r->remote_id;
		d.sha256 = r->sha256;
		d.detail = r->detail;
		d.bytes = r->bytes;
		if (mf_store_delivery_put(ex->st, ex->target, ex->run_id, &d, diag) < 0)
			goto fail;
	}
	if ((rc = mf_store_commit(ex->st, diag)) < 0)
		return rc;
	mf_exp_ledger_clear(ex);
	if (lost || atomic_load(&mf_exp_run_of(ex)->beat.declared_gone))
		return mf_diag_set(diag, MF_EBUSY, NULL, MF_NO_OFFSET,
				   "another run took over mailbox %lld (this run was presumed gone: "
				   "raise --lease-timeout?); it stops here",
				   (long long)ex->cur_mailbox);
	return MF_OK;
fail:
	mf_store_rollback(ex->st);
	return MF_ESTORE;
}

int mf_exp_ledger_maybe(struct mf_export *ex, int force, struct mf_diag *diag)
{
	if (!force && ex->nrows < LEDGER_BATCH && mf_now_ms() - ex->last_flush_ms < LEDGER_MS)
		return MF_OK;
	return mf_exp_ledger_flush(ex, diag);
}

int mf_export_confirm(struct mf_export *ex, const char *item_kind, int64_t item_id,
		      int64_t mailbox_id, const char *remote_id, const char *sha256,
		      int64_t bytes)
{
	int rc = mf_exp_ledger_put(ex, item_kind, item_id, mailbox_id, "delivered", remote_id,
				   sha256, bytes, NULL);
	if (rc == MF_OK && ex->cur && ex->cur_mailbox == mailbox_id) {
		if (!strcmp(item_kind, "message")) {
			ex->cur->delivered++;
			ex->cur->bytes += bytes > 0 ? bytes : 0;
		} else if (!strcmp(item_kind, "calendar")) {
			ex->cur->calendar_items++;
		}
	}
	return rc;
}

int mf_export_refuse(struct mf_export *ex, const char *item_kind, int64_t item_id,
		     int64_t mailbox_id, const char *detail)
{
	int rc = mf_exp_ledger_put(ex, item_kind, item_id, mailbox_id, "failed", NULL, NULL, -1,
				   detail);
	mf_export_problem(ex, MF_ERROR, "export.refused", mailbox_id,
			  !strcmp(item_kind, "message") ? item_id : 0,
			  "%s %lld refused by the target: %s", item_kind, (long long)item_id,
			  detail ? detail : "no reason given");
	if (ex->cur && ex->cur_mailbox == mailbox_id && !strcmp(item_kind, "message"))
		ex->cur->failed++;
	return rc;
}

void mf_export_problem(struct mf_export *ex, enum mf_severity sev, const char *code,
		       int64_t mailbox_id, int64_t message_id, const char *fmt, ...)
{
	char text[1024];
	struct mf_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&p, 0, sizeof(p));
	p.severity = sev;
	p.code = code;
	p.offset = -1;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.text = text;
	mf_store_problem(ex->st, &p, NULL);
	if (ex->cur && ex->cur_mailbox == mailbox_id)
		ex->cur->problems++;
	if (sev == MF_ERROR && !ex->opts->quiet) {
		mf_exp_lock(ex);
		mf_progress_note(&mf_exp_run_of(ex)->prog, "mailferry: %s: %s", code, text);
		mf_exp_unlock(ex);
	}
}

const char *mf_export_ledger_remote_id(struct mf_export *ex, const char *item_kind,
				       int64_t item_id, struct mf_arena *arena)
{
	const char *r = NULL;

	/* rows kept in memory first (newest wins) */
	for (size_t i = ex->nrows; i-- > 0;) {
		const struct ledger_row *w = &ex->rows[i];
		if (w->item_id == item_id && !strcmp(w->kind, item_kind))
			return !strcmp(w->status, "delivered") ? mf_arena_strdup(arena, w->remote_id ? w->remote_id : "") : NULL;
	}
	if (mf_store_delivery_remote_id(ex->st, &r, ex->target, item_kind, item_id, arena, NULL) < 0)
		return NULL;
	return r;
}
