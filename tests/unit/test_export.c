/* SPDX-License-Identifier: MIT */
/* test_export.c: the export driver with a recording exporter. */
#include "tests/harness.h"
#include "tests/unit/fixture.h"
#include "tests/unit/tests.h"
#include "engine/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct rec {
	int opened, mailboxes_begun, messages, ended, refuse_id;
	int64_t begun[16];
	int skipped_flag[16];
	char target[64];
	int fail_mailbox;   /* mailbox id whose put fails */
	int pending;        /* deliver as pending, confirm at mailbox_end */
	int64_t pend_ids[16];
	int n_pend;
	struct mf_export *ex;
};

static struct rec R;

static int r_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		  const struct mf_export_opts *o, struct mf_diag *d)
{
	(void)st;
	(void)d;
	R.opened++;
	R.ex = ex;
	snprintf(R.target, sizeof(R.target), "test:%s", o->out ? o->out : "");
	*out = (struct mf_export_ctx *)&R;
	return MF_OK;
}

static const char *r_target(struct mf_export_ctx *c)
{
	(void)c;
	return R.target;
}

static int r_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb, const char *const *f,
		   size_t nf, struct mf_diag *d)
{
	(void)c;
	(void)f;
	(void)nf;
	(void)d;
	if (R.mailboxes_begun < 16) {
		R.skipped_flag[R.mailboxes_begun] = mb->mail_skipped;
		R.begun[R.mailboxes_begun] = mb->id;
	}
	R.mailboxes_begun++;
	R.n_pend = 0;
	return MF_OK;
}

static int r_put(struct mf_export_ctx *c, const struct mf_mailbox *mb, const struct mf_message *m,
		 struct mf_put_result *res, struct mf_diag *d)
{
	(void)c;
	if (R.fail_mailbox == mb->id)
		return mf_diag_set(d, MF_EIO, NULL, MF_NO_OFFSET, "disk on fire");
	R.messages++;
	if (m->id == R.refuse_id) {
		res->state = MF_PUT_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "NO too big");
		return MF_OK;
	}
	if (R.pending) {
		res->state = MF_PUT_PENDING;
		R.pend_ids[R.n_pend++] = m->id;
		return MF_OK;
	}
	res->state = MF_PUT_DELIVERED;
	snprintf(res->remote_id, sizeof(res->remote_id), "msg-%lld", (long long)m->id);
	res->bytes = m->size;
	return MF_OK;
}

static int r_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed, struct mf_diag *d)
{
	(void)c;
	(void)d;
	R.ended++;
	if (!failed)
		for (int i = 0; i < R.n_pend; i++)
			mf_export_confirm(R.ex, "message", R.pend_ids[i], mb->id, "pend", NULL, 1);
	return MF_OK;
}

static void r_close(struct mf_export_ctx **c)
{
	*c = NULL;
}

static const struct mf_exporter rec_exporter = {
	.name = "rec", .summary = "test", .caps = MF_EXP_MESSAGES,
	.open = r_open, .target = r_target, .mailbox_begin = r_begin,
	.put_message = r_put, .mailbox_end = r_end, .close = r_close,
};

static int64_t q_int(struct mf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void setup(struct t_fixture *f, struct mf_export_opts *o)
{
	memset(&R, 0, sizeof(R));
	memset(o, 0, sizeof(*o));
	o->out = "/x";
	o->quiet = 1;
	o->lease_timeout = 120;
	t_fixture_build(f);
}

static void every_mailbox_begun_and_rerun(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;

	setup(&f, &o);
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	/* all three mailboxes, the empty one too */
	T_EQ_INT(R.mailboxes_begun, 3);
	T_EQ_INT(R.ended, 3);
	T_EQ_INT(R.messages, 4);
	T_EQ_INT(s.delivered, 4);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'message' AND status = 'delivered'"), 4);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'mailbox'"), 3);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM leases"), 0);
	T_EQ_INT(q_int(f.st, "SELECT status = 'ok' FROM runs WHERE kind = 'export'"), 1);
	mf_export_summary_release(&s);
	/* a re-run sends nothing again, but still visits every mailbox */
	memset(&R, 0, sizeof(R));
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.messages, 0);
	T_EQ_INT(R.mailboxes_begun, 3);
	T_EQ_INT(s.already, 4);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

static void no_mail_and_selection(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	const char *sel[] = { "LindqvistA" };

	setup(&f, &o);
	o.no_mail = 1;
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.mailboxes_begun, 3);
	T_EQ_INT(R.messages, 0);
	T_EQ_INT(R.skipped_flag[0] && R.skipped_flag[1] && R.skipped_flag[2], 1);
	mf_export_summary_release(&s);

	memset(&R, 0, sizeof(R));
	o.no_mail = 0;
	o.mailboxes = sel;
	o.n_mailboxes = 1;
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.mailboxes_begun, 1);
	T_EQ_INT(R.messages, 3);
	mf_export_summary_release(&s);

	/* folder patterns */
	memset(&R, 0, sizeof(R));
	{
		const char *skip[] = { "Sent*" };
		o.mailboxes = NULL;
		o.n_mailboxes = 0;
		o.out = "/y";
		o.skip_folders = skip;
		o.n_skip_folders = 1;
		T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
		T_EQ_INT(R.messages, 3);
		mf_export_summary_release(&s);
	}
	/* an unknown alias is a usage error */
	{
		const char *bad[] = { "Nobody" };
		o.mailboxes = bad;
		o.n_mailboxes = 1;
		T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "Nobody") != NULL);
		mf_export_summary_release(&s);
	}
	t_fixture_release(&f);
}

static void refusals_and_failures(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;

	setup(&f, &o);
	R.refuse_id = (int)f.msg[1];
	R.fail_mailbox = (int)f.paul;
	T_ASSERT(mf_export_run(f.st, &rec_exporter, &o, &s, &d) < 0);
	T_EQ_INT(s.failed, 1);
	T_EQ_INT(s.mailboxes_failed, 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE status = 'failed'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'export.refused' AND message_id IS NOT NULL"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'export.mailbox-failed'"), 1);
	mf_export_summary_release(&s);
	/* the next run retries the refused message and the failed mailbox */
	memset(&R, 0, sizeof(R));
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.messages, 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'message' AND status = 'delivered'"), 4);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

static void pending_confirmed(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;

	setup(&f, &o);
	R.pending = 1;
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(s.delivered, 4);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE remote_id = 'pend'"), 4);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

static void leases(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	int64_t other;
	char sql[256];
	pid_t child;

	setup(&f, &o);
	/* a live run of this host (our parent shell's pid is alive) holds Anna */
	mf_store_run_begin(f.st, &other, "export", "rec", "test:/x", NULL, &d);
	snprintf(sql, sizeof(sql), "UPDATE runs SET pid = %d WHERE id = %lld", (int)getppid(), (long long)other);
	sqlite3_exec(mf_store_db(f.st), sql, NULL, NULL, NULL);
	snprintf(sql, sizeof(sql), "INSERT INTO leases VALUES (%lld, 'test:/x', %lld, 0)",
		 (long long)f.anna, (long long)other);
	sqlite3_exec(mf_store_db(f.st), sql, NULL, NULL, NULL);
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_EBUSY);
	T_EQ_INT(s.mailboxes_leased, 1);
	T_EQ_INT(R.messages, 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM leases"), 1);
	mf_export_summary_release(&s);

	/* its pid dies: the lease is taken over */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	snprintf(sql, sizeof(sql), "UPDATE runs SET pid = %d WHERE id = %lld", (int)child, (long long)other);
	sqlite3_exec(mf_store_db(f.st), sql, NULL, NULL, NULL);
	memset(&R, 0, sizeof(R));
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.messages, 3);
	{
		char q[128];
		snprintf(q, sizeof(q), "SELECT status = 'interrupted' FROM runs WHERE id = %lld", (long long)other);
		T_EQ_INT(q_int(f.st, q), 1);
	}
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

static void folder_patterns(void)
{
	T_ASSERT(mf_folder_match("Inbox", "inbox"));
	T_ASSERT(mf_folder_match("Projects/*", "Projects\\Q2"));
	T_ASSERT(!mf_folder_match("Projects/*", "Projects\\Q2\\Old"));
	T_ASSERT(mf_folder_match("Projects/**", "Projects\\Q2\\Old"));
	T_ASSERT(!mf_folder_match("Sent*", "Inbox"));
	T_ASSERT(mf_folder_match("*", "Inbox"));
	T_ASSERT(!mf_folder_match("*", "A\\B"));
}

const struct t_case t_export[] = {
	{ "export/every mailbox begun, re-run sends nothing twice", every_mailbox_begun_and_rerun },
	{ "export/--no-mail and selection", no_mail_and_selection },
	{ "export/refused items and failed mailboxes are retried", refusals_and_failures },
	{ "export/pending items confirmed at mailbox end", pending_confirmed },
	{ "export/leases held by live runs, taken over from dead ones", leases },
	{ "export/folder patterns", folder_patterns },
	{ NULL, NULL }
};
