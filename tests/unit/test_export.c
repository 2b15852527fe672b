/* SPDX-License-Identifier: MIT */
/* test_export.c: the export driver with a recording exporter. */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/fixture.h"
#include "tests/unit/tests.h"
#include "engine/export.h"
#include "engine/importer.h"
#include "engine/options.h"

#include <signal.h>
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
	int many;           /* at the first mailbox's end: this many more rows */
	int lookup_ok;      /* a spilled row was found by mf_export_ledger_remote_id */
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
	if (!failed && R.many && R.ended == 1) {
		struct mf_arena a = MF_ARENA_INIT;
		const char *rid;
		for (int i = 0; i < R.many; i++) {
			char id[32];
			snprintf(id, sizeof(id), "many-%d", i);
			mf_export_confirm(R.ex, "calendar", 1000000 + i, mb->id, id,
					  i < R.many / 2 ? "aaaa" : "bbbb", 1);
		}
		/* the first rows went to the spill file; they are still found */
		rid = mf_export_ledger_remote_id(R.ex, "calendar", 1000000, &a);
		R.lookup_ok = rid && !strcmp(rid, "many-0");
		mf_arena_release(&a);
	}
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

/* A mailbox confirmed at its end with far more rows than the driver keeps
 * in memory: the older ones wait in the spill file and reach the ledger
 * with the others, in one flush, each once and intact. */
static void pending_spilled(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;

	setup(&f, &o);
	R.pending = 1;
	R.many = 10000;
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'calendar' AND "
			     "remote_id LIKE 'many-%' AND status = 'delivered'"), 10000);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'calendar' AND "
			     "remote_id = 'many-' || (item_id - 1000000) AND bytes = 1 AND "
			     "sha256 = CASE WHEN item_id < 1005000 THEN 'aaaa' ELSE 'bbbb' END"), 10000);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE remote_id = 'pend'"), 4);
	T_EQ_INT(R.lookup_ok, 1);
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

/* The library installs no signal handler: a run stops when the caller's
 * flag (opts->stop) is set, and the caller's SIGTERM handler is the same
 * before and after. */
static volatile sig_atomic_t stop_now;
static void on_term_test(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void stop_flag_not_signals(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	struct sigaction sa, old, after;

	setup(&f, &o);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_test;
	sigaction(SIGTERM, &sa, &old);
	stop_now = 1;
	o.stop = &stop_now;
	T_ASSERT(mf_export_run(f.st, &rec_exporter, &o, &s, &d) < 0);
	T_EQ_INT(s.interrupted, 1);
	T_EQ_STR(s.status, "interrupted");
	T_EQ_INT(R.messages, 0);
	sigaction(SIGTERM, NULL, &after);
	T_ASSERT(after.sa_handler == on_term_test);
	sigaction(SIGTERM, &old, NULL);
	mf_export_summary_release(&s);
	/* the flag cleared, the same run resumes and delivers everything */
	stop_now = 0;
	memset(&R, 0, sizeof(R));
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.messages, 4);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

/* ---- declared options (engine/options.c): every kind parsed and refused
 * with what it wants, defaults, the fixed-field copy, the help column,
 * and the registries' tables agreeing with each other ---- */

struct fixed {
	const char *s;
	int flag, n;
	int64_t size;
};

static const struct mf_option table[] = {
	{ .name = "text", .kind = MF_OPT_STRING, .arg = "T", .dflt = "hello", .help = "a text",
	  .field = MF_OPT_FIELD(struct fixed, s) },
	{ .name = "on", .kind = MF_OPT_FLAG, .help = "a flag", .field = MF_OPT_FIELD(struct fixed, flag) },
	{ .name = "verify", .kind = MF_OPT_BOOL, .dflt = "yes", .help = "a bool" },
	{ .name = "count", .kind = MF_OPT_INT, .min = 1, .max = 10, .arg = "N", .help = "a number",
	  .field = MF_OPT_FIELD(struct fixed, n) },
	{ .name = "limit", .kind = MF_OPT_SIZE, .min = 1, .max = 1 << 30, .dflt = "2K",
	  .help = "a size", .field = MF_OPT_FIELD(struct fixed, size) },
	{ .name = "mode", .kind = MF_OPT_ENUM, .choices = (const char *const[]){ "a", "b", "c", NULL },
	  .help = "one of three" },
	{ .name = "when", .kind = MF_OPT_DATE, .arg = "DATE", .help = "a day" },
	{ .name = "items", .kind = MF_OPT_LIST, .flags = MF_OPTF_COMMAS, .key = "item_list",
	  .help = "some items" },
	{ .name = "cli-only", .kind = MF_OPT_STRING, .flags = MF_OPTF_CLI_ONLY, .help = "x" },
	{ .name = NULL }
};

static int set(struct mf_optvals *v, const char *name, const char *text, int job, char *why)
{
	struct mf_optval *ov = mf_optvals_find(v, name);
	T_ASSERT(ov != NULL);
	return ov ? mf_optval_set(v, ov, text, job, name, why, 300) : -1;
}

static void opt_kinds(void)
{
	struct mf_optvals v;
	struct mf_diag d;
	struct fixed f;
	char why[300];
	size_t n;

	mf_optvals_init(&v);
	T_EQ_INT(mf_optvals_add(&v, table, "t", &d), MF_OK);
	/* defaults */
	T_EQ_STR(mf_opt_str(&v, "text"), "hello");
	T_EQ_INT(mf_opt_given(&v, "text"), 0);
	T_EQ_INT(mf_opt_num(&v, "verify"), 1);
	T_EQ_INT(mf_opt_num(&v, "limit"), 2048);
	T_ASSERT(mf_opt_str(&v, "mode") == NULL);
	/* keys */
	T_ASSERT(mf_optvals_find_key(&v, "item_list") != NULL);
	T_ASSERT(mf_optvals_find_key(&v, "items") == NULL);
	T_ASSERT(mf_optvals_find_key(&v, "cli_only") == NULL);
	T_EQ_STR(mf_optvals_find(&v, "on")->key, "on");
	/* good values */
	T_EQ_INT(set(&v, "on", NULL, 0, why), MF_OK);
	T_EQ_INT(mf_opt_num(&v, "on"), 1);
	T_EQ_INT(set(&v, "on", "off", 1, why), MF_OK);
	T_EQ_INT(mf_opt_num(&v, "on"), 0);
	T_EQ_INT(set(&v, "verify", "no", 0, why), MF_OK);
	T_EQ_INT(mf_opt_num(&v, "verify"), 0);
	T_EQ_INT(set(&v, "count", "10", 0, why), MF_OK);
	T_EQ_INT(set(&v, "limit", "3M", 0, why), MF_OK);
	T_EQ_INT(mf_opt_num(&v, "limit"), 3 << 20);
	T_EQ_INT(set(&v, "mode", "b", 0, why), MF_OK);
	T_EQ_INT(set(&v, "when", "1997-03-14", 0, why), MF_OK);
	T_EQ_INT(mf_opt_num(&v, "when"), 858297600);
	T_EQ_INT(set(&v, "items", "x,y", 0, why), MF_OK);
	T_EQ_INT(set(&v, "items", "z", 0, why), MF_OK);
	T_EQ_INT(set(&v, "items", "p q, r", 1, why), MF_OK);
	{
		const char *const *l = mf_opt_list(&v, "items", &n);
		T_EQ_INT(n, 6);
		T_EQ_STR(l[0], "x");
		T_EQ_STR(l[2], "z");
		T_EQ_STR(l[5], "r");
	}
	/* refused, saying what is wanted */
	T_EQ_INT(set(&v, "verify", "maybe", 0, why), MF_EUSAGE);
	T_EQ_STR(why, "wants yes or no, not 'maybe'");
	T_EQ_INT(set(&v, "verify", "true", 0, why), MF_EUSAGE); /* true only in job files */
	T_EQ_INT(set(&v, "count", "11", 0, why), MF_EUSAGE);
	T_EQ_STR(why, "wants a number from 1 to 10, not '11'");
	T_EQ_INT(set(&v, "count", "0", 0, why), MF_EUSAGE);
	T_EQ_INT(set(&v, "count", "-1", 0, why), MF_EUSAGE);
	T_EQ_INT(set(&v, "limit", "2G", 0, why), MF_EUSAGE);
	T_EQ_INT(set(&v, "limit", "1073741825", 0, why), MF_EUSAGE);
	T_EQ_INT(set(&v, "limit", "1G", 0, why), MF_OK);
	T_EQ_INT(set(&v, "limit", "3M", 0, why), MF_OK);
	T_EQ_INT(set(&v, "limit", "K", 0, why), MF_EUSAGE);
	T_EQ_INT(set(&v, "mode", "d", 0, why), MF_EUSAGE);
	T_EQ_STR(why, "wants a, b or c");
	T_EQ_INT(set(&v, "when", "yesterday", 0, why), MF_EUSAGE);
	T_EQ_STR(why, "wants YYYY-MM-DD, not 'yesterday'");
	/* a refused value leaves the last good one */
	T_EQ_INT(mf_opt_num(&v, "count"), 10);
	T_EQ_STR(mf_opt_str(&v, "mode"), "b");
	/* the fixed fields */
	memset(&f, 0, sizeof(f));
	T_EQ_INT(set(&v, "text", "x y", 0, why), MF_OK);
	mf_optvals_fill(&v, &f);
	T_EQ_STR(f.s, "x y");
	T_EQ_INT(f.flag, 0);
	T_EQ_INT(f.n, 10);
	T_EQ_INT(f.size, 3 << 20);
	mf_optval_clear(mf_optvals_find(&v, "text"));
	T_ASSERT(mf_opt_str(&v, "text") == NULL);
	mf_optvals_release(&v);
}

static void opt_conflict(void)
{
	static const struct mf_option other[] = {
		{ .name = "count", .kind = MF_OPT_STRING, .help = "the same name, another kind" },
		{ .name = NULL }
	};
	static const struct mf_option same[] = {
		{ .name = "count", .kind = MF_OPT_INT, .min = 1, .max = 5, .help = "shared" },
		{ .name = "fresh", .kind = MF_OPT_FLAG, .help = "new" },
		{ .name = NULL }
	};
	struct mf_optvals v;
	struct mf_diag d;

	mf_optvals_init(&v);
	T_EQ_INT(mf_optvals_add(&v, table, "t", &d), MF_OK);
	T_EQ_INT(mf_optvals_add(&v, same, "u", &d), MF_OK);
	T_EQ_STR(mf_optvals_find(&v, "count")->owner, "t");   /* the first row stays */
	T_EQ_STR(mf_optvals_find(&v, "fresh")->owner, "u");
	T_EQ_INT(mf_optvals_add(&v, other, "w", &d), MF_EUSAGE);
	mf_optvals_release(&v);
}

static void opt_help(void)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_option_usage(&b, &table[5]);
	T_EQ_STR(b.data, "--mode a|b|c");
	mf_buf_reset(&b);
	mf_option_usage(&b, &table[1]);
	T_EQ_STR(b.data, "--on");
	mf_buf_reset(&b);
	mf_option_help_line(&b, "--x N", "one\ntwo", 12);
	T_EQ_STR(b.data, "  --x N     one\n            two\n");
	mf_buf_reset(&b);
	mf_option_help_line(&b, "--a-very-long-one", "text", 12);
	T_EQ_STR(b.data, "  --a-very-long-one text\n");
	mf_buf_release(&b);
}

/* Every plugin's table: rows agree across plugins, every row has help and
 * a known kind, enums have choices, defaults parse. */
static void opt_registries(void)
{
	struct mf_optvals v;
	struct mf_diag d;

	mf_optvals_init(&v);
	for (size_t i = 0; mf_exporters[i]; i++)
		T_EQ_INT(mf_optvals_add(&v, mf_exporters[i]->options, mf_exporters[i]->name, &d), MF_OK);
	T_EQ_INT(mf_optvals_add(&v, mf_export_selection_options, "", &d), MF_OK);
	T_EQ_INT(mf_optvals_add(&v, mf_export_run_options, "", &d), MF_OK);
	for (size_t i = 0; i < v.n; i++) {
		const struct mf_option *o = v.v[i].opt;
		if (!(o->flags & MF_OPTF_NO_HELP))
			T_ASSERT(o->help && *o->help);
		T_ASSERT(o->kind >= MF_OPT_FLAG && o->kind <= MF_OPT_LIST);
		if (o->kind == MF_OPT_ENUM)
			T_ASSERT(o->choices && o->choices[0]);
		if (o->dflt)
			T_ASSERT(v.v[i].str != NULL || o->kind == MF_OPT_LIST);
	}
	T_ASSERT(mf_optvals_find(&v, "out") && mf_optvals_find(&v, "url"));
	mf_optvals_release(&v);
	mf_optvals_init(&v);
	for (size_t i = 0; mf_importers[i]; i++)
		T_EQ_INT(mf_optvals_add(&v, mf_importers[i]->options, mf_importers[i]->name, &d), MF_OK);
	T_EQ_INT(mf_optvals_add(&v, mf_import_run_options, "", &d), MF_OK);
	T_EQ_STR(mf_optvals_find(&v, "codepage")->key, "source_codepage");
	mf_optvals_release(&v);
}

const struct t_case t_export[] = {
	{ "export/every mailbox begun, re-run sends nothing twice", every_mailbox_begun_and_rerun },
	{ "export/--no-mail and selection", no_mail_and_selection },
	{ "export/refused items and failed mailboxes are retried", refusals_and_failures },
	{ "export/pending items confirmed at mailbox end", pending_confirmed },
	{ "export/rows past the spill threshold reach the ledger intact", pending_spilled },
	{ "export/leases held by live runs, taken over from dead ones", leases },
	{ "export/folder patterns", folder_patterns },
	{ "export/stops on the caller's flag, installs no signal handler", stop_flag_not_signals },
	{ "options/every kind, defaults, refusals, fixed fields", opt_kinds },
	{ "options/a name declared twice", opt_conflict },
	{ "options/help lines", opt_help },
	{ "options/the registries' tables", opt_registries },
	{ NULL, NULL }
};
