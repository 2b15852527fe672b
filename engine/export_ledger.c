/* SPDX-License-Identifier: MIT */
/*
 * export_ledger.c: the delivery ledger (see export_priv.h), and the calls
 * with which an exporter confirms, refuses or reports.
 *
 * deliveries(target, item_kind, item_id) records what the target holds.
 * Rows are kept in memory and written in one short transaction every 200
 * items, every two seconds and at the end of each mailbox, so no write
 * lock is held while the target works and a second run is never kept
 * waiting.  Rows past LEDGER_SPILL that cannot be written yet (an exporter
 * that confirms a whole mailbox at its end, in the mailbox's transaction)
 * wait in a temporary spill file, so memory stays flat however large the
 * mailbox.  A crash loses at most the rows not yet written; the items
 * behind them are on the target and their re-delivery is harmless
 * (engine/exporter.h, "Idempotency").
 */
#include "engine/export_priv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rows_free(struct mf_export *ex)
{
	for (size_t i = 0; i < ex->nrows; i++) {
		free(ex->rows[i].remote_id);
		if (!ex->rows[i].sha_shared)
			free(ex->rows[i].sha256);
		free(ex->rows[i].detail);
	}
	ex->nrows = 0;
}

/* The leases of finished mailboxes kept with their rows (an exporter with
 * a sync barrier): dropped once the rows are committed or given up. */
static void release_held(struct mf_export *ex)
{
	for (size_t i = 0; i < ex->nheld; i++)
		mf_exp_lease_release(ex, ex->held[i]);
	ex->nheld = 0;
}

void mf_exp_lease_hold(struct mf_export *ex, int64_t mailbox_id)
{
	if (ex->nheld == ex->capheld) {
		ex->capheld = ex->capheld ? ex->capheld * 2 : 64;
		ex->held = mf_xreallocarray(ex->held, ex->capheld, sizeof(*ex->held));
	}
	ex->held[ex->nheld++] = mailbox_id;
}

void mf_exp_ledger_clear(struct mf_export *ex)
{
	release_held(ex);
	rows_free(ex);
	if (ex->spill)
		fclose(ex->spill);
	ex->spill = NULL;
	ex->nspill = 0;
	ex->spill_end = 0;
}

/* ---- the spill file: rows past LEDGER_SPILL (a whole mailbox confirmed
 * at once) wait there, in order, so memory does not grow with them ---- */

static void spill_str(FILE *f, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
	fwrite(&n, sizeof(n), 1, f);
	if (s)
		fwrite(s, 1, n, f);
}

/* 0 ok (*out NULL or owned), -1 short or damaged */
static int unspill_str(FILE *f, char **out)
{
	uint32_t n;
	*out = NULL;
	if (fread(&n, sizeof(n), 1, f) != 1)
		return -1;
	if (n == UINT32_MAX)
		return 0;
	if (n > (1u << 24))
		return -1;
	*out = mf_xmalloc((size_t)n + 1);
	if (fread(*out, 1, n, f) != n) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[n] = '\0';
	return 0;
}

/* Move the rows held in memory to the end of the spill file; on any write
 * error they stay in memory (and the file as it was). */
static void spill_rows(struct mf_export *ex)
{
	if (!ex->spill && !(ex->spill = tmpfile()))
		return;
	if (fseek(ex->spill, ex->spill_end, SEEK_SET) != 0)
		return;
	for (size_t i = 0; i < ex->nrows; i++) {
		const struct ledger_row *r = &ex->rows[i];
		fwrite(r->kind, sizeof(r->kind), 1, ex->spill);
		fwrite(r->status, sizeof(r->status), 1, ex->spill);
		fwrite(&r->item_id, sizeof(r->item_id), 1, ex->spill);
		fwrite(&r->mailbox_id, sizeof(r->mailbox_id), 1, ex->spill);
		fwrite(&r->bytes, sizeof(r->bytes), 1, ex->spill);
		spill_str(ex->spill, r->remote_id);
		spill_str(ex->spill, r->sha256);
		spill_str(ex->spill, r->detail);
	}
	if (fflush(ex->spill) != 0 || ferror(ex->spill)) {
		clearerr(ex->spill);
		if (ftruncate(fileno(ex->spill), ex->spill_end) != 0) {
			fclose(ex->spill);
			ex->spill = NULL;
			ex->nspill = 0;
			ex->spill_end = 0;
			/* the spilled rows are gone: they were never flushed, so
			 * the items are delivered again by the next run */
		}
		return;
	}
	ex->spill_end = ftell(ex->spill);
	ex->nspill += ex->nrows;
	rows_free(ex);
}

/* Read spilled row i (in order; the file positioned by the caller). */
static int unspill_row(FILE *f, struct ledger_row *r)
{
	memset(r, 0, sizeof(*r));
	if (fread(r->kind, sizeof(r->kind), 1, f) != 1 ||
	    fread(r->status, sizeof(r->status), 1, f) != 1 ||
	    fread(&r->item_id, sizeof(r->item_id), 1, f) != 1 ||
	    fread(&r->mailbox_id, sizeof(r->mailbox_id), 1, f) != 1 ||
	    fread(&r->bytes, sizeof(r->bytes), 1, f) != 1)
		return -1;
	r->kind[sizeof(r->kind) - 1] = r->status[sizeof(r->status) - 1] = '\0';
	if (unspill_str(f, &r->remote_id) < 0 || unspill_str(f, &r->sha256) < 0 ||
	    unspill_str(f, &r->detail) < 0) {
		free(r->remote_id);
		free(r->sha256);
		return -1;
	}
	return 0;
}

static void unspill_free(struct ledger_row *r)
{
	free(r->remote_id);
	free(r->sha256);
	free(r->detail);
}

int mf_exp_ledger_put(struct mf_export *ex, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const char *status, const char *remote_id,
		      const char *sha256, int64_t bytes, const char *detail)
{
	struct ledger_row *r;
	if (ex->nrows >= LEDGER_SPILL)
		spill_rows(ex);
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
	if (ex->nrows == 0 && !ex->nspill && !ex->cur_mailbox) {
		release_held(ex);
		return MF_OK;
	}
	/* an exporter that syncs in batches: its data on disk first, so no
	 * row committed here can be taken away by a power cut */
	if ((ex->nrows || ex->nspill) && ex->exp && ex->exp->sync && ex->ctx &&
	    (rc = ex->exp->sync(ex->ctx, diag)) < 0)
		return rc;
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
	/* the spilled rows first: they are the older ones */
	if (ex->nspill && fseek(ex->spill, 0, SEEK_SET) != 0) {
		mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "cannot read the ledger's spill file");
		goto fail;
	}
	for (size_t i = 0; i < ex->nspill; i++) {
		struct ledger_row r;
		struct mf_store_delivery d;
		if (unspill_row(ex->spill, &r) < 0) {
			mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				    "cannot read the ledger's spill file back (row %zu)", i);
			goto fail;
		}
		d.kind = r.kind;
		d.item_id = r.item_id;
		d.mailbox_id = r.mailbox_id;
		d.status = r.status;
		d.remote_id = r.remote_id;
		d.sha256 = r.sha256;
		d.detail = r.detail;
		d.bytes = r.bytes;
		rc = mf_store_delivery_put(ex->st, ex->target, ex->run_id, &d, diag);
		unspill_free(&r);
		if (rc < 0)
			goto fail;
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
	/* the held leases go in the same transaction as their rows */
	for (size_t i = 0; i < ex->nheld; i++)
		mf_store_lease_release(ex->st, ex->held[i], ex->target, ex->run_id);
	if ((rc = mf_store_commit(ex->st, diag)) < 0)
		return rc;
	ex->nheld = 0;
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
	/* with a sync barrier: about every two seconds, not every 200 rows */
	size_t batch = ex->exp && ex->exp->sync ? LEDGER_SPILL : LEDGER_BATCH;
	if (!force && ex->nrows + ex->nspill < batch && mf_now_ms() - ex->last_flush_ms < LEDGER_MS)
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
	/* every kind: a refused card or calendar item is as failed as a
	 * refused message (summary FAILED, exit 1) */
	if (ex->cur && ex->cur_mailbox == mailbox_id)
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
	/* then the spilled ones (the last match is the newest) */
	if (ex->nspill && fseek(ex->spill, 0, SEEK_SET) == 0) {
		int found = 0;
		for (size_t i = 0; i < ex->nspill; i++) {
			struct ledger_row w;
			if (unspill_row(ex->spill, &w) < 0)
				break;
			if (w.item_id == item_id && !strcmp(w.kind, item_kind)) {
				found = 1;
				r = !strcmp(w.status, "delivered") ?
					    mf_arena_strdup(arena, w.remote_id ? w.remote_id : "") : NULL;
			}
			unspill_free(&w);
		}
		if (found)
			return r;
	}
	if (mf_store_delivery_remote_id(ex->st, &r, ex->target, item_kind, item_id, arena, NULL) < 0)
		return NULL;
	return r;
}
