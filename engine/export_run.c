/* SPDX-License-Identifier: MIT */
/*
 * export_run.c: one export run (the order in engine/export.h, the
 * protocol in engine/exporter.h, the parts in export_priv.h): each
 * mailbox leased, its items handed to the exporter, the summary.
 */
#include "engine/export_priv.h"
#include "core/json.h"
#include "engine/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mf_export *mf_exp_run_of(struct mf_export *ex)
{
	return ex->root ? ex->root : ex;
}

void mf_exp_lock(struct mf_export *ex)
{
	struct mf_export *r = mf_exp_run_of(ex);
	if (r->parallel)
		pthread_mutex_lock(&r->mu);
}

void mf_exp_unlock(struct mf_export *ex)
{
	struct mf_export *r = mf_exp_run_of(ex);
	if (r->parallel)
		pthread_mutex_unlock(&r->mu);
}

int mf_exp_stopping(const struct mf_export *ex)
{
	return ex->opts && ex->opts->stop && *ex->opts->stop != 0;
}

void mf_export_summary_release(struct mf_export_summary *s)
{
	mf_check_report_release(&s->preflight);
	memset(s, 0, sizeof(*s));
}

int mf_exp_stop_diag(struct mf_diag *diag)
{
	return mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
			   "interrupted; run the same command again to resume");
}

static int handle_put(struct mf_export *ex, int rc, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const struct mf_put_result *res)
{
	if (rc < 0)
		return rc;
	switch (res->state) {
	case MF_PUT_DELIVERED:
		return mf_export_confirm(ex, kind, item_id, mailbox_id, res->remote_id,
					 res->sha256, res->bytes);
	case MF_PUT_REFUSED:
		return mf_export_refuse(ex, kind, item_id, mailbox_id, res->detail);
	case MF_PUT_PENDING:
		return MF_OK;
	}
	return MF_OK;
}

static int export_calendar(struct mf_export *ex, const struct mf_mailbox *mb,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	int rc;
	int64_t *ids = NULL;
	size_t n = 0;

	/* collect ids first: the ledger is written while we go */
	if ((rc = mf_store_calendar_ids(ex->st, &ids, &n, mb->id, ex->target, 0, diag)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct mf_calendar_item c;
		struct mf_put_result res;

		if (mf_exp_stopping(ex)) {
			free(ids);
			return mf_exp_stop_diag(diag);
		}
		mf_arena_reset(arena);
		rc = mf_store_calendar_load(ex->st, &c, ids[i], arena, diag);
		if (rc == MF_ENOTFOUND)
			continue;
		if (rc < 0) {
			free(ids);
			return rc;
		}
		if (ex->n_cal_passed == ex->cap_cal_passed) {
			ex->cap_cal_passed = ex->cap_cal_passed ? ex->cap_cal_passed * 2 : 64;
			ex->cal_passed = mf_xreallocarray(ex->cal_passed, ex->cap_cal_passed,
							  sizeof(*ex->cal_passed));
		}
		ex->cal_passed[ex->n_cal_passed++] = c.id;
		memset(&res, 0, sizeof(res));
		rc = ex->exp->put_calendar(ex->ctx, mb, &c, &res, diag);
		if ((rc = handle_put(ex, rc, "calendar", c.id, mb->id, &res)) < 0) {
			free(ids);
			return rc;
		}
		if ((rc = mf_exp_ledger_maybe(ex, 0, diag)) < 0) {
			free(ids);
			return rc;
		}
	}
	free(ids);
	return MF_OK;
}

static int export_pab(struct mf_export *ex, const struct mf_mailbox *mb,
		      struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_pab_entry *e = NULL;
	size_t n = 0;
	int rc;
	struct mf_put_result res;

	if (mf_export_ledger_remote_id(ex, "pab", mb->id, arena))
		return MF_OK;
	mf_arena_reset(arena);
	if ((rc = mf_store_pab_load(ex->st, &e, &n, mb->id, arena, diag)) < 0)
		return rc;
	if (n == 0)
		return MF_OK;
	memset(&res, 0, sizeof(res));
	rc = ex->exp->put_pab(ex->ctx, mb, e, n, &res, diag);
	return handle_put(ex, rc, "pab", mb->id, mb->id, &res);
}

static int export_mailbox(struct mf_export *ex, struct mf_mailbox *mb,
			  struct mf_export_mbox_sum *sum, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	struct mf_exp_refs refs;
	struct mf_exp_msg_ref ref;
	const char **folders = NULL;
	size_t nf = 0, fcap = 0;
	int rc = MF_OK;
	struct mf_arena farena = MF_ARENA_INIT;

	memset(&refs, 0, sizeof(refs));
	ex->n_cal_passed = 0;
	if (ex->opts->no_mail)
		mb->mail_skipped = 1;
	/* folders */
	{
		struct mf_store_folder *fl;
		size_t nfl;
		if ((rc = mf_store_folder_list(ex->st, &fl, &nfl, mb->id, 1, &farena, diag)) < 0)
			goto out;
		for (size_t i = 0; i < nfl; i++) {
			if (!fl[i].path || !mf_export_folder_selected(ex->opts, fl[i].path))
				continue;
			if (nf == fcap) {
				fcap = fcap ? fcap * 2 : 16;
				folders = mf_xreallocarray(folders, fcap, sizeof(*folders));
			}
			folders[nf++] = fl[i].path;
		}
	}
	/* an exporter of calendars only (ics) reads no message: the selection
	 * would walk the whole messages table for nothing */
	if (!mb->mail_skipped && ex->exp->put_message &&
	    (rc = mf_exp_refs_open(ex, mb->id, &refs, diag)) < 0)
		goto out;
	sum->planned += (int64_t)refs.n;
	sum->already += (int64_t)refs.already;
	rc = ex->exp->mailbox_begin(ex->ctx, mb, folders, nf, diag);
	if (rc < 0)
		goto end;
	while (ex->exp->put_message && (rc = mf_exp_refs_next(&refs, &ref, diag)) != 0) {
		struct mf_message *m;
		struct mf_put_result res;
		if (rc < 0)
			goto end;
		rc = MF_OK;
		if (ref.delivered)
			continue;
		if (mf_exp_stopping(ex)) {
			rc = mf_exp_stop_diag(diag);
			goto end;
		}
		mf_arena_reset(arena);
		if ((rc = mf_store_message_load(ex->st, &m, ref.id, 1, arena, diag)) < 0)
			goto end;
		memset(&res, 0, sizeof(res));
		res.bytes = -1;
		rc = ex->exp->put_message(ex->ctx, mb, m, &res, diag);
		if ((rc = handle_put(ex, rc, "message", m->id, mb->id, &res)) < 0)
			goto end;
		sum->attachments += (int64_t)m->n_attachments;
		mf_exp_lock(ex);
		mf_exp_run_of(ex)->items_done++;
		mf_exp_run_of(ex)->bytes_done += m->size;
		mf_progress_update(&mf_exp_run_of(ex)->prog, mf_exp_run_of(ex)->items_done, mf_exp_run_of(ex)->bytes_done);
		mf_exp_unlock(ex);
		if ((rc = mf_exp_ledger_maybe(ex, 0, diag)) < 0)
			goto end;
	}
	/* --no-mail: accounts and mailboxes only, so no calendar or address
	 * book either; the mail section stays empty (docs/decisions.md) */
	if (ex->exp->put_calendar && !ex->opts->no_mail &&
	    (rc = export_calendar(ex, mb, arena, diag)) < 0)
		goto end;
	if (ex->exp->put_pab && !ex->opts->no_mail && (rc = export_pab(ex, mb, arena, diag)) < 0)
		goto end;
end:
	{
		struct mf_diag d2;
		int failed = rc < 0;
		int erc;
		mf_diag_clear(&d2);
		erc = ex->exp->mailbox_end(ex->ctx, mb, failed, failed ? &d2 : diag);
		if (!failed && erc < 0)
			rc = erc;
		if (rc == MF_OK)
			rc = mf_exp_ledger_put(ex, "mailbox", mb->id, mb->id, "delivered", mb->alias,
					NULL, -1, mb->mail_skipped ? "mail skipped" : NULL);
		if (rc < 0) {
			/* keep what was confirmed: ledger rows are true facts */
			struct mf_diag d3;
			if (mf_exp_ledger_flush(ex, &d3) == MF_ESTORE)
				mf_exp_ledger_clear(ex);
		} else if (ex->exp->sync) {
			/* rows of several mailboxes behind one sync (exporter.h) */
			rc = mf_exp_ledger_maybe(ex, 0, diag);
		} else {
			rc = mf_exp_ledger_flush(ex, diag);
		}
	}
out:
	mf_exp_refs_close(&refs);
	free(folders);
	mf_arena_release(&farena);
	return rc;
}

/* The messages the run will deliver (selected, not yet on the target), so
 * the progress line can show a bar and the time left.  Only when a
 * terminal shows it. */
static void progress_totals(struct mf_export *ex, const int64_t *ids, size_t nmb)
{
	int64_t items = 0;

	if (ex->prog.quiet || !ex->prog.tty || ex->opts->no_mail || !ex->exp->put_message)
		return;
	for (size_t i = 0; i < nmb; i++) {
		struct mf_exp_refs refs;
		struct mf_diag d;
		if (mf_exp_refs_open(ex, ids[i], &refs, &d) < 0)
			continue;
		items += (int64_t)(refs.n - refs.already);
		mf_exp_refs_close(&refs);
	}
	mf_progress_set_totals(&ex->prog, items, 0);
}

/*
 * Export mailbox i of the selection (lease, export, release) and count it
 * in the summary.  Returns MF_OK to go on, 1 when the run was interrupted,
 * MF_ESTORE when the database failed (the run stops); *final takes a
 * mailbox's failure.
 */
/* Tell opts->mailbox_done (under the run's lock) that the driver is
 * through with a mailbox. */
static void mailbox_event(struct mf_export *ex, const struct mf_export_mbox_sum *sum)
{
	if (ex->opts->mailbox_done)
		ex->opts->mailbox_done(ex->opts->mailbox_done_arg, sum);
}

static int run_one(struct mf_export *ex, struct mf_mailbox *mb, struct mf_export_mbox_sum *sum,
		   struct mf_export_summary *summary, int *final, struct mf_arena *arena,
		   struct mf_diag *diag)
{
	struct mf_export *run = mf_exp_run_of(ex);
	const struct mf_export_opts *opts = ex->opts;
	enum mf_exp_lease lr;
	int64_t owner = 0;
	int waited = 0, rc;

	sum->visited = 1;
	for (;;) {
		if ((rc = mf_exp_lease_acquire(ex, mb->id, &lr, &owner, diag)) < 0)
			return rc;
		if (lr != MF_LEASE_BUSY || !opts->wait || mf_exp_stopping(ex))
			break;
		if (!waited++) {
			mf_exp_lock(ex);
			mf_progress_note(&run->prog, "%s: waiting for run %lld, which is exporting it",
					 sum->alias, (long long)owner);
			mf_exp_unlock(ex);
		}
		usleep(200 * 1000);
	}
	if (lr == MF_LEASE_BUSY) {
		mf_exp_lock(ex);
		sum->skipped_leased = 1;
		summary->mailboxes_leased++;
		mf_progress_note(&run->prog, "%s: skipped, run %lld is exporting it",
				 sum->alias, (long long)owner);
		mailbox_event(ex, sum);
		mf_exp_unlock(ex);
		return MF_OK;
	}
	if (lr == MF_LEASE_TAKEN_OVER) {
		mf_exp_lock(ex);
		mf_progress_note(&run->prog, "%s: taken over from run %lld, which is gone",
				 sum->alias, (long long)owner);
		mf_exp_unlock(ex);
	}
	ex->cur = sum;
	ex->cur_mailbox = mb->id;
	rc = export_mailbox(ex, mb, sum, arena, diag);
	if (ex->exp->sync)
		mf_exp_lease_hold(ex, mb->id);
	else
		mf_exp_lease_release(ex, mb->id);
	ex->cur = NULL;
	ex->cur_mailbox = 0;
	if (rc == MF_ESTORE)
		return rc;
	if (rc < 0 && mf_exp_stopping(ex)) {
		sum->interrupted = 1;
		mf_diag_clear(diag);
		mf_exp_lock(ex);
		mailbox_event(ex, sum);
		mf_exp_unlock(ex);
		return 1;
	}
	if (rc < 0) {
		char line[1200];
		sum->failed_mailbox = 1;
		mf_export_problem(ex, MF_ERROR, "export.mailbox-failed", mb->id, 0,
				  "%s", mf_diag_format(diag, line, sizeof(line)));
		mf_exp_lock(ex);
		summary->mailboxes_failed++;
		*final = rc;
		mailbox_event(ex, sum);
		mf_exp_unlock(ex);
		mf_diag_clear(diag);
		return MF_OK;
	}
	mf_exp_lock(ex);
	summary->mailboxes++;
	mf_progress_note(&run->prog, "%s: %lld delivered, %lld already there, %lld failed",
			 sum->alias, (long long)sum->delivered, (long long)sum->already,
			 (long long)sum->failed);
	mailbox_event(ex, sum);
	mf_exp_unlock(ex);
	return MF_OK;
}
static const char *mbox_state(const struct mf_export_mbox_sum *m)
{
	if (m->skipped_leased)
		return "leased";
	if (m->interrupted)
		return "interrupted";
	if (m->failed_mailbox)
		return "failed";
	return m->visited ? "done" : "not-reached";
}

static void row_of(struct mf_store_run_mailbox *r, size_t seq,
		   const struct mf_export_mbox_sum *m)
{
	r->seq = (int64_t)seq;
	r->mailbox_id = m->mailbox_id;
	r->alias = m->alias;
	r->action = m->action[0] ? m->action : NULL;
	r->planned = m->planned;
	r->delivered = m->delivered;
	r->already = m->already;
	r->failed = m->failed;
	r->bytes = m->bytes;
	r->attachments = m->attachments;
	r->calendar_items = m->calendar_items;
	r->problems = m->problems;
	r->state = mbox_state(m);
}

int mf_exp_done_flush(struct mf_export *ex, struct mf_diag *diag)
{
	int rc;

	if (!ex->ndone)
		return MF_OK;
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	for (size_t i = 0; i < ex->ndone; i++) {
		struct mf_store_run_mailbox r;
		row_of(&r, ex->done[i].seq, &ex->done[i].s);
		if ((rc = mf_store_run_mailbox_put(ex->st, ex->run_id, &r, diag)) < 0) {
			mf_store_rollback(ex->st);
			return rc;
		}
	}
	ex->ndone = 0;
	return mf_store_commit(ex->st, diag);
}

/* Keep mailbox seq's figures for run_mailboxes and count them in the run's
 * totals. */
static int record_done(struct mf_export *ex, size_t seq, const struct mf_export_mbox_sum *m,
		       struct mf_export_summary *summary, struct mf_diag *diag)
{
	struct mf_export *run = mf_exp_run_of(ex);

	mf_exp_lock(ex);
	run->seen[seq / 8] |= (unsigned char)(1u << (seq % 8));
	summary->planned += m->planned;
	summary->delivered += m->delivered;
	summary->already += m->already;
	summary->failed += m->failed;
	summary->bytes += m->bytes;
	summary->attachments += m->attachments;
	summary->calendar_items += m->calendar_items;
	mf_exp_unlock(ex);
	ex->done[ex->ndone].seq = seq;
	ex->done[ex->ndone].s = *m;
	if (++ex->ndone == RUNMB_BATCH)
		return mf_exp_done_flush(ex, diag);
	return MF_OK;
}

/* A mailbox's figures before the run reaches it: id, alias, plan action. */
static void sum_init(struct mf_export *ex, struct mf_export_mbox_sum *sum,
		     const struct mf_mailbox *mb, struct mf_arena *arena)
{
	struct mf_plan_entry pe;

	memset(sum, 0, sizeof(*sum));
	sum->mailbox_id = mb->id;
	snprintf(sum->alias, sizeof(sum->alias), "%s", mb->alias ? mb->alias : mb->name);
	if (mf_plan_mailbox_action(ex->st, &pe, mb->id, arena, NULL) == MF_OK)
		snprintf(sum->action, sizeof(sum->action), "%s", mf_plan_action_name(pe.action));
}

int mf_exp_run_seq(struct mf_export *ex, size_t seq, int64_t mailbox_id,
		   struct mf_export_summary *summary, int *final, struct mf_arena *arena,
		   struct mf_diag *diag)
{
	struct mf_arena ma = MF_ARENA_INIT;
	struct mf_mailbox mb;
	struct mf_export_mbox_sum sum;
	int rc, rrc;

	rc = mf_store_mailbox_load(ex->st, &mb, mailbox_id, &ma, diag);
	if (rc == MF_ENOTFOUND) {
		/* gone since the selection: left for the end (not reached) */
		mf_diag_clear(diag);
		mf_arena_release(&ma);
		return MF_OK;
	}
	if (rc < 0) {
		mf_arena_release(&ma);
		return rc;
	}
	sum_init(ex, &sum, &mb, &ma);
	rc = run_one(ex, &mb, &sum, summary, final, arena, diag);
	{
		struct mf_diag d2;
		mf_diag_clear(&d2);
		rrc = record_done(ex, seq, &sum, summary, &d2);
		if (rrc < 0 && rc >= 0) {
			*diag = d2;
			rc = rrc;
		}
	}
	mf_arena_release(&ma);
	return rc;
}

/* Record every selected mailbox the run did not reach. */
static int record_unreached(struct mf_export *ex, const int64_t *ids, size_t nmb,
			    struct mf_export_summary *summary, struct mf_diag *diag)
{
	struct mf_arena ma = MF_ARENA_INIT;
	int rc = MF_OK;

	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		struct mf_mailbox mb;
		struct mf_export_mbox_sum sum;
		if (ex->seen[i / 8] & (1u << (i % 8)))
			continue;
		mf_arena_reset(&ma);
		if (mf_store_mailbox_load(ex->st, &mb, ids[i], &ma, NULL) < 0)
			continue;
		sum_init(ex, &sum, &mb, &ma);
		rc = record_done(ex, i, &sum, summary, diag);
	}
	if (rc == MF_OK)
		rc = mf_exp_done_flush(ex, diag);
	mf_arena_release(&ma);
	return rc;
}

static void summary_head(struct mf_buf *b, const struct mf_export_summary *s, const char *format,
			 const char *target)
{
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "run_id", s->run_id, 1);
	mf_json_kv_str(b, "format", format, 0);
	mf_json_kv_str(b, "target", target, 0);
	mf_json_kv_str(b, "status", s->status[0] ? s->status : "failed", 0);
}

static void summary_tail(struct mf_buf *b, const struct mf_export_summary *s)
{
	mf_json_key(b, "totals", 0);
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "mailboxes", s->mailboxes, 1);
	mf_json_kv_int(b, "mailboxes_failed", s->mailboxes_failed, 0);
	mf_json_kv_int(b, "mailboxes_leased", s->mailboxes_leased, 0);
	mf_json_kv_int(b, "planned", s->planned, 0);
	mf_json_kv_int(b, "delivered", s->delivered, 0);
	mf_json_kv_int(b, "already", s->already, 0);
	mf_json_kv_int(b, "failed", s->failed, 0);
	mf_json_kv_int(b, "bytes", s->bytes, 0);
	mf_json_kv_int(b, "attachments", s->attachments, 0);
	mf_json_kv_int(b, "calendar_items", s->calendar_items, 0);
	mf_json_kv_int(b, "problems", s->problems, 0);
	mf_buf_addch(b, '}');
	mf_json_key(b, "preflight", 0);
	if (!s->preflight_ran) {
		mf_buf_addstr(b, "null");
	} else {
		mf_check_report_json(b, &s->preflight);
		mf_buf_truncate(b, b->len - 1);   /* reopen the object */
		mf_json_key(b, "forced", 0);
		mf_buf_addstr(b, s->forced ? "true" : "false");
		mf_buf_addch(b, '}');
	}
	mf_buf_addch(b, '}');
}

int mf_export_summary_json(struct mf_buf *b, const struct mf_export_summary *s,
			   const char *format, const char *target)
{
	summary_head(b, s, format, target);
	summary_tail(b, s);
	return MF_OK;
}

int mf_export_summary_mailboxes(struct mf_store *st, const struct mf_export_summary *s,
				int (*visit)(void *arg, const struct mf_store_run_mailbox *r),
				void *arg, struct mf_diag *diag)
{
	if (!s->run_id)
		return MF_OK;
	return mf_store_run_mailboxes(st, s->run_id, visit, arg, diag);
}

struct json_out {
	FILE *f;
	struct mf_buf b;
	size_t n;
};

static int mailbox_json(void *arg, const struct mf_store_run_mailbox *m)
{
	struct json_out *o = arg;
	struct mf_buf *b = &o->b;

	mf_buf_reset(b);
	if (o->n++)
		mf_buf_addch(b, ',');
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "alias", m->alias, 1);
	mf_json_kv_int(b, "mailbox_id", m->mailbox_id, 0);
	mf_json_kv_str(b, "action", m->action, 0);
	mf_json_kv_int(b, "planned", m->planned, 0);
	mf_json_kv_int(b, "delivered", m->delivered, 0);
	mf_json_kv_int(b, "already", m->already, 0);
	mf_json_kv_int(b, "failed", m->failed, 0);
	mf_json_kv_int(b, "bytes", m->bytes, 0);
	mf_json_kv_int(b, "attachments", m->attachments, 0);
	mf_json_kv_int(b, "calendar_items", m->calendar_items, 0);
	mf_json_kv_int(b, "problems", m->problems, 0);
	mf_json_kv_str(b, "state", m->state, 0);
	mf_buf_addch(b, '}');
	fwrite(b->data, 1, b->len, o->f);
	return MF_OK;
}

int mf_export_summary_json_print(FILE *f, struct mf_store *st, const struct mf_export_summary *s,
				 const char *format, const char *target, struct mf_diag *diag)
{
	struct json_out o;
	int rc;

	o.f = f;
	o.n = 0;
	mf_buf_init(&o.b, MF_BUF_UNBOUNDED);
	summary_head(&o.b, s, format, target);
	mf_json_key(&o.b, "mailboxes", 0);
	mf_buf_addch(&o.b, '[');
	fwrite(o.b.data, 1, o.b.len, f);
	rc = mf_export_summary_mailboxes(st, s, mailbox_json, &o, diag);
	mf_buf_reset(&o.b);
	mf_buf_addch(&o.b, ']');
	summary_tail(&o.b, s);
	/* summary_tail writes the key with a leading comma: fine after ']' */
	fwrite(o.b.data, 1, o.b.len, f);
	mf_buf_release(&o.b);
	return rc;
}

/* Record the preflight's errors as problems of the run. */
static void preflight_problems(struct mf_export *ex, const struct mf_check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].severity == MF_ERROR)
			mf_export_problem(ex, MF_ERROR, r->items[i].code, r->items[i].mailbox_id, 0,
					  "%s", r->items[i].text);
}

static void options_json(struct mf_buf *b, const struct mf_export_opts *o)
{
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "out", o->out, 1);
	mf_json_kv_str(b, "url", o->url, 0);
	mf_json_kv_int(b, "no_mail", o->no_mail, 0);
	mf_json_kv_int(b, "mailboxes", (int64_t)o->n_mailboxes, 0);
	if (o->has_since)
		mf_json_kv_int(b, "since", o->since, 0);
	if (o->has_until)
		mf_json_kv_int(b, "until", o->until, 0);
	mf_json_kv_int(b, "folders", (int64_t)o->n_folders, 0);
	mf_json_kv_int(b, "skip_folders", (int64_t)o->n_skip_folders, 0);
	mf_json_kv_int(b, "wait", o->wait, 0);
	mf_json_kv_int(b, "force", o->force, 0);
	mf_json_kv_int(b, "lease_timeout", o->lease_timeout, 0);
	mf_buf_addch(b, '}');
}

int mf_export_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, struct mf_export_summary *summary,
		  struct mf_diag *diag)
{
	struct mf_export ex;
	struct mf_arena arena = MF_ARENA_INIT;
	int64_t *ids = NULL;
	uint32_t *walk = NULL;
	size_t nmb = 0;
	int rc, final = MF_OK, opened = 0;
	struct mf_buf opts_json, sum_json;
	struct mf_plan_totals pt;

	memset(summary, 0, sizeof(*summary));
	mf_check_report_init(&summary->preflight);
	snprintf(summary->status, sizeof(summary->status), "failed");
	memset(&ex, 0, sizeof(ex));
	ex.st = st;
	ex.exp = exp;
	ex.opts = opts;
	if (gethostname(ex.host, sizeof(ex.host)) != 0)
		snprintf(ex.host, sizeof(ex.host), "localhost");
	ex.host[sizeof(ex.host) - 1] = '\0';
	if (!exp->open)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "exporter '%s' is not built", exp->name);

	/* a fixed page cache: an exporter walked in mailbox-id order reads
	 * each table where it lies, and 2 MiB (which a small store fills as a
	 * large one does) costs it no more CPU than 8 MiB did, while a larger
	 * cache left a one-folder PST of 2,000 messages 4.5 MiB below one of
	 * 20,000 (issue 16: flat memory).  An exporter walked in alias order
	 * (exchange, imap, dav) reads each mailbox's rows in several tables
	 * (preflight, ledger, leases) at random places: with 2 MiB a store of
	 * 100,000 mailboxes was read again page by page (issue 15). */
	mf_store_cache_kib(st, (exp->caps & MF_EXP_ID_ORDER) ? MF_STORE_WALK_CACHE_KIB
							     : MF_STORE_LOOKUP_CACHE_KIB);
	/* 1. the plan; 2. the selection (by the plan's final aliases) */
	if ((rc = mf_plan_ensure(st, &pt, diag)) < 0)
		goto out_arena;
	if ((rc = mf_export_select(st, opts, &ids, &nmb, diag)) < 0)
		goto out_arena;
	ex.seen = mf_xcalloc(nmb / 8 + 1, 1);

	mf_buf_init(&opts_json, 1 << 20);
	options_json(&opts_json, opts);
	rc = mf_store_run_begin(st, &ex.run_id, "export", exp->name, NULL, opts_json.data, diag);
	mf_buf_release(&opts_json);
	if (rc < 0)
		goto out_arena;
	summary->run_id = ex.run_id;
	mf_store_set_context(st, ex.run_id, 0);
	ex.last_flush_ms = ex.last_beat_ms = mf_now_ms();
	mf_exp_beat_start(&ex);

	summary->n_mbox = nmb;

	/* 3. the target */
	if ((rc = exp->open(&ex.ctx, &ex, st, opts, diag)) < 0) {
		final = rc;
		goto stop;
	}
	opened = 1;
	summary->started = 1;
	ex.target = exp->target(ex.ctx);
	mf_store_run_target(st, ex.run_id, ex.target, NULL);

	/* 4. preflight: nothing moves while it finds an error */
	/* the walk: mf_export_walk; preflight and export visit the mailboxes so */
	walk = mf_export_walk(exp, ids, nmb);
	if ((rc = mf_check_run(st, ids, walk, nmb, exp, ex.ctx, ex.target, opts,
			       &summary->preflight, diag)) < 0) {
		final = rc;
		goto stop;
	}
	summary->preflight_ran = 1;
	if (summary->preflight.errors) {
		preflight_problems(&ex, &summary->preflight);
		if (!opts->force) {
			const struct mf_check_item *first = NULL;
			for (size_t i = 0; i < summary->preflight.n && !first; i++)
				if (summary->preflight.items[i].severity == MF_ERROR)
					first = &summary->preflight.items[i];
			summary->preflight_failed = 1;
			final = mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
					    "the preflight check found %lld errors, so nothing was exported "
					    "(first: %s); fix them (see 'mailferry check'), or use --force",
					    (long long)summary->preflight.errors,
					    first ? first->text : "?");
			goto stop;
		}
		summary->forced = 1;
		mf_progress_begin(&ex.prog, exp->name, 0, 0, opts->quiet || opts->json);
		mf_progress_note(&ex.prog, "mailferry: the preflight check found %lld errors; "
				 "exporting anyway (--force)", (long long)summary->preflight.errors);
		mf_progress_end(&ex.prog);
	}

	/* 5. the mailboxes */
	mf_progress_begin(&ex.prog, exp->name, 0, 0, opts->quiet || opts->json);
	progress_totals(&ex, ids, nmb);
	if ((rc = mf_exp_run_mailboxes(&ex, ids, walk, nmb, summary, &final, &arena, diag)) < 0)
		goto stop_progress;
	rc = MF_OK;
	if (exp->finish && !mf_exp_stopping(&ex))
		rc = exp->finish(ex.ctx, diag);
stop_progress:
	mf_progress_end(&ex.prog);
	if (rc < 0)
		final = rc;
stop:
	{
		struct mf_diag d4;
		int frc = mf_exp_ledger_flush(&ex, &d4);
		/* MF_EIO: the exporter's sync barrier failed, the rows kept are
		 * not committed (their mailboxes go again next run) */
		if ((frc == MF_ESTORE || frc == MF_EIO) && final == MF_OK)
			final = mf_diag_set(diag, frc, d4.file, d4.offset, "%s", d4.msg);
		mf_exp_ledger_clear(&ex);
		if (record_unreached(&ex, ids, nmb, summary, &d4) < 0 && final == MF_OK)
			final = mf_diag_set(diag, MF_ESTORE, d4.file, d4.offset, "%s", d4.msg);
	}
	mf_exp_beat_stop(&ex);
	summary->interrupted = mf_exp_stopping(&ex);
	mf_store_run_problems(st, &summary->problems, ex.run_id, NULL);
	snprintf(summary->status, sizeof(summary->status), "%s",
		 summary->interrupted ? "interrupted" : final < 0 ? "failed" :
		 (summary->failed || summary->mailboxes_leased) ? "problems" : "ok");
	mf_buf_init(&sum_json, MF_BUF_UNBOUNDED);
	mf_export_summary_json(&sum_json, summary, exp->name, ex.target);
	mf_store_run_end(st, ex.run_id, summary->status, sum_json.data, NULL);
	mf_buf_release(&sum_json);
	if (opened)
		exp->close(&ex.ctx);
	free(ex.rows);
	free(ex.held);
	free(ex.cal_passed);
	if (summary->interrupted && final == MF_OK)
		final = mf_exp_stop_diag(diag);
	if (final == MF_OK && summary->mailboxes_leased)
		final = MF_EBUSY;
	rc = final;
out_arena:
	free(walk);
	free(ids);
	free(ex.seen);
	mf_arena_release(&arena);
	return rc;
}

int mf_export_check(struct mf_store *st, const struct mf_exporter *exp,
		    const struct mf_export_opts *opts, struct mf_check_report *rep,
		    struct mf_diag *diag)
{
	struct mf_export ex;
	int64_t *ids = NULL;
	uint32_t *walk;
	size_t nmb = 0;
	struct mf_buf js;
	struct mf_plan_totals pt;
	int rc, opened = 0;

	memset(&ex, 0, sizeof(ex));
	ex.st = st;
	ex.exp = exp;
	ex.opts = opts;
	if (gethostname(ex.host, sizeof(ex.host)) != 0)
		snprintf(ex.host, sizeof(ex.host), "localhost");
	ex.host[sizeof(ex.host) - 1] = '\0';
	if ((rc = mf_plan_ensure(st, &pt, diag)) < 0)
		goto out;
	/* a plan found current: these are the totals mf_check_run's own
	 * mf_plan_ensure would read, after a second pass over everything the
	 * fingerprint covers (at 100,000 mailboxes more than the page cache
	 * holds: read again from the file).  A plan made just now: it looks
	 * again, as before (its totals then say it was current). */
	if (!pt.built) {
		rep->plan = pt;
		rep->plan_current = 1;
	}
	if ((rc = mf_export_select(st, opts, &ids, &nmb, diag)) < 0)
		goto out;
	mf_buf_init(&js, 1 << 20);
	options_json(&js, opts);
	rc = mf_store_run_begin(st, &ex.run_id, "check", exp ? exp->name : NULL, NULL, js.data, diag);
	mf_buf_release(&js);
	if (rc < 0)
		goto out;
	mf_store_set_context(st, ex.run_id, 0);
	mf_progress_begin(&ex.prog, "check", 0, 0, 1);
	if (exp && exp->open) {
		struct mf_diag d;
		mf_diag_clear(&d);
		if (exp->open(&ex.ctx, &ex, st, opts, &d) < 0) {
			char line[1200];
			mf_check_report_add(rep, MF_ERROR, "check.target-unreachable", NULL,
					    "the %s target cannot be used: %s; fix it before exporting",
					    exp->name, mf_diag_format(&d, line, sizeof(line)));
		} else {
			opened = 1;
			ex.target = exp->target(ex.ctx);
		}
	} else if (exp) {
		mf_check_report_add(rep, MF_ERROR, "check.target-unreachable", NULL,
				    "exporter '%s' is not built in this mailferry", exp->name);
	}
	/* in mailbox-id order when no target is asked (the report keeps the
	 * selection's order: mf_check_run sorts its items back); an opened
	 * target sees the mailboxes in the order its export would */
	walk = opened ? mf_export_walk(exp, ids, nmb) : mf_export_walk_ids(ids, nmb);
	rc = mf_check_run(st, ids, walk, nmb, opened ? exp : NULL, opened ? ex.ctx : NULL,
			  ex.target, opts, rep, diag);
	free(walk);
	if (opened)
		exp->close(&ex.ctx);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	mf_check_report_json(&js, rep);
	mf_store_run_end(st, ex.run_id, rc < 0 ? "failed" : rep->errors ? "problems" : "ok",
			 js.data, NULL);
	mf_buf_release(&js);
out:
	free(ids);
	return rc;
}