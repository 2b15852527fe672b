/* SPDX-License-Identifier: MIT */
/* cmd_batch.c: `mailferry batch JOBFILE`: migration jobs from a job file, unattended. */
#include "cli/cli.h"
#include "cli/stop.h"
#include "cli/job.h"
#include "cli/report.h"
#include "core/fsutil.h"
#include "core/jobfile.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/store_views.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_batch_help[] =
	"usage: mailferry batch JOBFILE [--json] [--shard I/N] [--job NAME]... [--quiet]\n"
	"\n"
	"Run the migration jobs of a job file one after the other, unattended.\n"
	"Each job imports a source into its staging database, makes the plan,\n"
	"exports the selected mailboxes to its target and, when asked, writes its\n"
	"report.  Everything is resumable: files already imported are not read\n"
	"again and the delivery ledger sends only what the target does not have,\n"
	"so running the same job file again after a failure or an interruption\n"
	"completes what is missing and repeats nothing.  A job that fails does\n"
	"not stop the others.\n"
	"\n"
	"The job file (docs/batch.md) is INI-style text: '[name]' starts a job\n"
	"(letters, digits, '.', '_', '-'), 'key = value' lines set its keys,\n"
	"lines starting with '#' or ';' are comments, and a '[defaults]' section\n"
	"gives keys to every job that does not set them.  Relative paths are\n"
	"relative to the job file's folder.  In values, {job} is the job's name,\n"
	"{shard} the shard number I (or 'all') and {shards} N.  Keys:\n"
	"  source              @sources@ (default auto: detected)\n"
	"  path                the export set or bundle folder (required)\n"
	"  db                  the staging database (required; created if missing)\n"
	"@batch-source-keys@\n"
	"  directory_snapshot  CSV of the target's recipients (import directory)\n"
	"  alias_map           CSV 'source_address_or_name,alias' (plan --alias-map)\n"
	"  target              @targets@ (required)\n"
	"@batch-target-keys@\n"
	"  mailboxes           aliases to migrate, separated by commas (default all)\n"
	"  mailboxes_from      a file of aliases, one per line\n"
	"  since, until        only messages dated in [since, until) (YYYY-MM-DD)\n"
	"  no_mail             yes: accounts and mailboxes only, no mail\n"
	"  folders, skip_folders  folder patterns, separated by commas\n"
	"  jobs                mailboxes at once (IMAP)\n"
	"  lease_timeout       seconds (default 120)\n"
	"  force, wait         yes or no (as 'mailferry export')\n"
	"  report_html         write the job's HTML report there ('mailferry report')\n"
	"  report_json         write the job's JSON report there\n"
	"Booleans are yes/no, true/false, on/off or 1/0.\n"
	"\n"
	"options:\n"
	"  --json        one JSON object per line on standard output for each event:\n"
	"                {\"event\":\"job_start\",\"job\",\"source\",\"path\",\"db\",\"target\",\n"
	"                  \"destination\",\"shard\"}\n"
	"                {\"event\":\"import\",\"job\",\"run_id\",\"status\",\"files\",\n"
	"                  \"files_skipped\",\"mailboxes\",\"messages\",\"messages_skipped\",\n"
	"                  \"calendar_items\",\"problems\":{\"info\",\"warning\",\"error\"},\"error\"}\n"
	"                {\"event\":\"mailbox_done\",\"job\",\"alias\",\"action\",\"state\",\n"
	"                  \"planned\",\"delivered\",\"already\",\"failed\",\"bytes\",\n"
	"                  \"calendar_items\",\"problems\"}\n"
	"                {\"event\":\"problem\",\"job\",\"run_id\",\"severity\",\"code\",\"alias\",\n"
	"                  \"file\",\"offset\",\"text\"}\n"
	"                {\"event\":\"job_end\",\"job\",\"status\",\"error\",\"mailboxes\",\n"
	"                  \"delivered\",\"already\",\"failed\",\"seconds\",\"export_run_id\"}\n"
	"                {\"event\":\"batch_end\",\"jobs\",\"ok\",\"problems\",\"failed\",\"exit\"}\n"
	"                A job's status is ok, problems (it ran; some items or\n"
	"                mailboxes failed) or failed (it could not run: source\n"
	"                unreadable, target unreachable, preflight check failed).\n"
	"  --shard I/N   only the mailboxes whose stable hash falls in shard I of N\n"
	"                (0 <= I < N): the first 8 bytes of the SHA-256 of the\n"
	"                source address in lower case, modulo N.  Each shard\n"
	"                imports the whole source into its own staging database and\n"
	"                exports its share; 'mailferry report --merge' joins them.\n"
	"  --job NAME    run only this job (repeatable)\n"
	"  --quiet       no progress output\n"
	"\n"
	"Exit codes: 0 every job ok, 1 some job failed or had failed items (the\n"
	"others completed), 2 usage or a wrong job file (nothing ran), 3 every\n"
	"job failed.\n";

struct bctx {
	const char *file;
	char *dir;               /* the job file's folder */
	int json, quiet;
	unsigned shard_i, shard_n;
	struct mf_arena arena;
};

static void ev_begin(struct mf_buf *b, const char *event, const char *job)
{
	mf_buf_reset(b);
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "event", event, 1);
	mf_json_kv_str(b, "job", job, 0);
}

static void ev_end(struct mf_buf *b)
{
	mf_buf_addstr(b, "}\n");
	fwrite(b->data, 1, b->len, stdout);
	fflush(stdout);
}

/* ---- reading a job ---- */

static int bad(const struct bctx *c, const struct mf_job_kv *kv, const char *job,
	       const char *fmt, ...) MF_ATTR_PRINTF(4, 5);
static int bad(const struct bctx *c, const struct mf_job_kv *kv, const char *job,
	       const char *fmt, ...)
{
	va_list ap;
	if (kv)
		fprintf(stderr, "mailferry batch: %s: offset %llu: line %u: [%s] %s: ", c->file,
			(unsigned long long)kv->offset, kv->line, job, kv->key);
	else
		fprintf(stderr, "mailferry batch: %s: [%s]: ", c->file, job);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* The value of key with {job}, {shard} and {shards} replaced; NULL when
 * unset or empty. */
static const char *val(struct bctx *c, const struct mf_jobfile *jf, const struct mf_job_section *s,
		       const char *key, const struct mf_job_kv **kv_out)
{
	const struct mf_job_kv *kv = mf_jobfile_get(jf, s, key);
	struct mf_buf b;
	const char *p, *r;

	if (kv_out)
		*kv_out = kv;
	if (!kv || !*kv->value)
		return NULL;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	for (p = kv->value; *p; p++) {
		if (!strncmp(p, "{job}", 5)) {
			mf_buf_addstr(&b, s->name);
			p += 4;
		} else if (!strncmp(p, "{shards}", 8)) {
			if (c->shard_n)
				mf_buf_addf(&b, "%u", c->shard_n);
			else
				mf_buf_addstr(&b, "1");
			p += 7;
		} else if (!strncmp(p, "{shard}", 7)) {
			if (c->shard_n)
				mf_buf_addf(&b, "%u", c->shard_i);
			else
				mf_buf_addstr(&b, "all");
			p += 6;
		} else {
			mf_buf_addch(&b, *p);
		}
	}
	r = mf_arena_strdup(&c->arena, b.data);
	mf_buf_release(&b);
	return r;
}

/* A path value, relative to the job file's folder. */
static const char *pathval(struct bctx *c, const struct mf_jobfile *jf,
			   const struct mf_job_section *s, const char *key)
{
	const char *v = val(c, jf, s, key, NULL);
	struct mf_buf b;
	const char *r;

	if (!v || v[0] == '/' || !strcmp(c->dir, "."))
		return v;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_buf_addf(&b, "%s/%s", c->dir, v);
	r = mf_arena_strdup(&c->arena, b.data);
	mf_buf_release(&b);
	return r;
}

/* Set every option of vals that the job (or the defaults) gives; -1
 * (message printed) when a value is wrong. */
static int option_keys(struct bctx *c, const struct mf_jobfile *jf, const struct mf_job_section *s,
		       struct mf_optvals *vals)
{
	for (size_t i = 0; i < vals->n; i++) {
		struct mf_optval *ov = &vals->v[i];
		const struct mf_job_kv *kv;
		const char *v;
		char why[300];
		if (!ov->key)
			continue;
		v = val(c, jf, s, ov->key, &kv);
		if (!v)
			continue;
		if (ov->opt->kind == MF_OPT_PATH || ov->opt->kind == MF_OPT_SECRET_FILE)
			v = pathval(c, jf, s, ov->key);
		if (mf_optval_set(vals, ov, v, 1, ov->key, why, sizeof(why)) < 0)
			return bad(c, kv, s->name, "%s", why);
	}
	return 0;
}

/* Fill j from section s; -1 (message printed) when a value is wrong. */
static int load_job(struct bctx *c, const struct mf_jobfile *jf, const struct mf_job_section *s,
		    struct cli_job *j)
{
	const struct mf_job_kv *kv;
	struct mf_export_opts *o = &j->eo.o;
	const struct mf_exporter *exp;
	struct mf_buf names;
	struct mf_diag d;

	cli_job_init(j);
	j->name = s->name;
	j->shard_i = c->shard_i;
	j->shard_n = c->shard_n;
	mf_buf_init(&names, MF_BUF_UNBOUNDED);
	j->source = val(c, jf, s, "source", &kv);
	if (!j->source)
		j->source = "auto";
	if (strcmp(j->source, "auto")) {
		const struct mf_importer *imp = mf_importer_find(j->source);
		if (!imp || !(imp->caps & MF_IMP_SOURCE)) {
			cli_help_text(&names, "@sources@");
			bad(c, kv, s->name, "unknown source '%s' (%s)", j->source, names.data);
			goto fail;
		}
	}
	if (!(j->path = pathval(c, jf, s, "path"))) {
		bad(c, NULL, s->name, "'path' (the source folder) is required");
		goto fail;
	}
	if (!(j->db = pathval(c, jf, s, "db"))) {
		bad(c, NULL, s->name, "'db' (the staging database) is required");
		goto fail;
	}
	if (option_keys(c, jf, s, &j->ivals) < 0)
		goto fail;
	j->iopts.quiet = c->quiet;
	j->directory_snapshot = pathval(c, jf, s, "directory_snapshot");
	j->alias_map = pathval(c, jf, s, "alias_map");
	j->target = val(c, jf, s, "target", &kv);
	cli_help_text(&names, "@targets@");
	if (!j->target) {
		bad(c, NULL, s->name, "'target' is required (%s)", names.data);
		goto fail;
	}
	if (!(exp = mf_exporter_find(j->target))) {
		bad(c, kv, s->name, "unknown target '%s' (%s)", j->target, names.data);
		goto fail;
	}
	if (option_keys(c, jf, s, &j->eo.vals) < 0)
		goto fail;
	mf_diag_clear(&d);
	if (mf_export_opts_from_values(o, &j->eo.vals, &j->eo.vals.arena, &d) < 0) {
		char line[1200];
		fprintf(stderr, "mailferry batch: [%s] mailboxes_from: %s\n", s->name,
			mf_diag_format(&d, line, sizeof(line)));
		goto fail;
	}
	if ((exp->caps & MF_EXP_NEEDS_URL) && !o->url) {
		bad(c, NULL, s->name, "target %s needs 'url'", exp->name);
		goto fail;
	}
	if ((exp->caps & MF_EXP_NEEDS_OUT) && !o->out) {
		bad(c, NULL, s->name, "target %s needs 'out' (the output folder)", exp->name);
		goto fail;
	}
	if (cli_job_finish(j) < 0)
		goto fail;
	o->quiet = c->quiet;
	j->report_html = pathval(c, jf, s, "report_html");
	j->report_json = pathval(c, jf, s, "report_json");
	mf_buf_release(&names);
	return 0;
fail:
	mf_buf_release(&names);
	return -1;
}

/* ---- running a job ---- */

enum job_status { JOB_OK = 0, JOB_PROBLEMS = 1, JOB_FAILED = 2 };
static const char *const status_name[] = { "ok", "problems", "failed" };

static void emit_problems(struct mf_store *st, const char *job, int64_t run_id, struct mf_buf *b)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_view_problem *p;
	struct mf_diag d;
	size_t n;

	mf_diag_clear(&d);
	if (!run_id || mf_store_view_run_problems(st, run_id, &p, &n, &a, &d) < 0) {
		mf_arena_release(&a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		ev_begin(b, "problem", job);
		mf_json_kv_int(b, "run_id", p[i].run_id, 0);
		mf_json_kv_str(b, "severity", p[i].severity, 0);
		mf_json_kv_str(b, "code", p[i].code, 0);
		mf_json_kv_str(b, "alias", p[i].alias, 0);
		mf_json_kv_str(b, "file", p[i].file, 0);
		mf_json_key(b, "offset", 0);
		if (!p[i].has_offset)
			mf_buf_addstr(b, "null");
		else
			mf_buf_addf(b, "%lld", (long long)p[i].offset);
		mf_json_kv_str(b, "text", p[i].text, 0);
		ev_end(b);
	}
	mf_arena_release(&a);
}

/* opts.mailbox_done for --json (arg: the job's name). */
static void mailbox_done_event(void *arg, const struct mf_export_mbox_sum *m)
{
	struct mf_buf ev;

	mf_buf_init(&ev, MF_BUF_UNBOUNDED);
	ev_begin(&ev, "mailbox_done", (const char *)arg);
	mf_json_kv_str(&ev, "alias", m->alias, 0);
	mf_json_kv_str(&ev, "action", m->action[0] ? m->action : NULL, 0);
	mf_json_kv_str(&ev, "state", m->skipped_leased ? "leased" : m->interrupted ? "interrupted" :
		       m->failed_mailbox ? "failed" : "done", 0);
	mf_json_kv_int(&ev, "planned", m->planned, 0);
	mf_json_kv_int(&ev, "delivered", m->delivered, 0);
	mf_json_kv_int(&ev, "already", m->already, 0);
	mf_json_kv_int(&ev, "failed", m->failed, 0);
	mf_json_kv_int(&ev, "bytes", m->bytes, 0);
	mf_json_kv_int(&ev, "calendar_items", m->calendar_items, 0);
	mf_json_kv_int(&ev, "problems", m->problems, 0);
	ev_end(&ev);
	mf_buf_release(&ev);
}

struct job_result {
	enum job_status status;
	char error[1200];
	int64_t mailboxes, delivered, already, failed, export_run;
	int interrupted;
};

/* Make the folder a file will be written in. */
static int ensure_parent(const char *path, struct mf_diag *d)
{
	const char *sl = strrchr(path, '/');
	char *dir;
	int rc;
	if (!sl || sl == path)
		return MF_OK;
	dir = mf_xstrndup(path, (size_t)(sl - path));
	rc = mf_mkdirs(dir, 0755, d);
	free(dir);
	return rc;
}

static void fail_with(struct job_result *r, const struct mf_diag *d)
{
	r->status = JOB_FAILED;
	mf_diag_format(d, r->error, sizeof(r->error));
}

static void run_job(struct bctx *c, struct cli_job *j, struct job_result *r)
{
	const struct mf_importer *imp;
	const struct mf_exporter *exp = mf_exporter_find(j->target);
	struct mf_import_stats is;
	struct mf_export_summary sum;
	struct mf_store *st = NULL;
	struct mf_arena sa = MF_ARENA_INIT;
	struct mf_diag d;
	struct mf_buf ev;
	int64_t import_run = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&sum, 0, sizeof(sum));
	mf_diag_clear(&d);
	mf_buf_init(&ev, MF_BUF_UNBOUNDED);
	if (c->json) {
		ev_begin(&ev, "job_start", j->name);
		mf_json_kv_str(&ev, "source", j->source, 0);
		mf_json_kv_str(&ev, "path", j->path, 0);
		mf_json_kv_str(&ev, "db", j->db, 0);
		mf_json_kv_str(&ev, "target", j->target, 0);
		mf_json_kv_str(&ev, "destination", j->eo.o.out ? j->eo.o.out : j->eo.o.url, 0);
		mf_json_key(&ev, "shard", 0);
		if (c->shard_n)
			mf_buf_addf(&ev, "\"%u/%u\"", c->shard_i, c->shard_n);
		else
			mf_buf_addstr(&ev, "null");
		ev_end(&ev);
	} else {
		printf("job %s: %s %s -> %s %s\n", j->name, j->source, j->path, j->target,
		       j->eo.o.out ? j->eo.o.out : j->eo.o.url);
		fflush(stdout);
	}
	if (ensure_parent(j->db, &d) < 0 || mf_store_open(&st, j->db, MF_STORE_CREATE, &d) < 0) {
		fail_with(r, &d);
		goto out;
	}
	if (j->directory_snapshot) {
		const struct mf_importer *dir = NULL;
		for (size_t i = 0; mf_importers[i] && !dir; i++)
			if (mf_importers[i]->caps & MF_IMP_TARGET_DIRECTORY)
				dir = mf_importers[i];
		rc = dir ? mf_import_run(st, dir, j->directory_snapshot, &j->iopts, &is, &import_run, NULL, &d)
			 : mf_diag_set(&d, MF_EUSAGE, NULL, MF_NO_OFFSET, "no directory importer");
		if (c->json)
			emit_problems(st, j->name, import_run, &ev);
		if (rc < 0) {
			fail_with(r, &d);
			goto out;
		}
	}
	imp = strcmp(j->source, "auto") ? mf_importer_find(j->source) : mf_importer_probe(j->path);
	if (!imp) {
		mf_diag_set(&d, MF_EFORMAT, j->path, MF_NO_OFFSET,
			    "not a source mailferry recognises (set 'source')");
		fail_with(r, &d);
		goto out;
	}
	rc = mf_import_run(st, imp, j->path, &j->iopts, &is, &import_run, NULL, &d);
	if (c->json) {
		ev_begin(&ev, "import", j->name);
		mf_json_kv_int(&ev, "run_id", import_run, 0);
		mf_json_kv_str(&ev, "format", imp->name, 0);
		mf_json_kv_str(&ev, "status", rc < 0 ? "failed" : "ok", 0);
		mf_json_kv_int(&ev, "files", is.files, 0);
		mf_json_kv_int(&ev, "files_skipped", is.files_skipped, 0);
		mf_json_kv_int(&ev, "mailboxes", is.mailboxes, 0);
		mf_json_kv_int(&ev, "messages", is.messages, 0);
		mf_json_kv_int(&ev, "messages_skipped", is.messages_skipped, 0);
		mf_json_kv_int(&ev, "calendar_items", is.calendar_items, 0);
		mf_json_key(&ev, "problems", 0);
		mf_buf_addch(&ev, '{');
		mf_json_kv_int(&ev, "info", is.problems[MF_INFO], 1);
		mf_json_kv_int(&ev, "warning", is.problems[MF_WARNING], 0);
		mf_json_kv_int(&ev, "error", is.problems[MF_ERROR], 0);
		mf_buf_addch(&ev, '}');
		if (rc < 0) {
			char line[1200];
			mf_json_kv_str(&ev, "error", mf_diag_format(&d, line, sizeof(line)), 0);
		}
		ev_end(&ev);
		emit_problems(st, j->name, import_run, &ev);
	} else if (rc >= 0) {
		printf("  import %s: %lld mailboxes, %lld new messages (%lld damaged and skipped), "
		       "%lld files (%lld already imported); problems: %lld errors, %lld warnings, "
		       "%lld info\n", imp->name, (long long)is.mailboxes, (long long)is.messages,
		       (long long)is.messages_skipped, (long long)is.files, (long long)is.files_skipped,
		       (long long)is.problems[MF_ERROR], (long long)is.problems[MF_WARNING],
		       (long long)is.problems[MF_INFO]);
	}
	if (rc < 0) {
		fail_with(r, &d);
		goto out;
	}
	if (cli_job_plan(st, j->alias_map, &d) < 0) {
		fail_with(r, &d);
		goto out;
	}
	if (j->shard_n) {
		size_t n;
		if (cli_job_shard(st, &j->eo.o, j->shard_i, j->shard_n, &n, &d) < 0) {
			fail_with(r, &d);
			goto out;
		}
		if (!n) {
			if (!c->json)
				printf("  shard %u/%u holds none of the selected mailboxes: nothing to export\n",
				       j->shard_i, j->shard_n);
			goto report;
		}
		j->eo.o.shard_i = j->shard_i;
		j->eo.o.shard_n = j->shard_n;
	}
	if (c->json) {
		/* mailbox_done events as the driver finishes each mailbox */
		j->eo.o.mailbox_done = mailbox_done_event;
		j->eo.o.mailbox_done_arg = (void *)j->name;
	}
	{
		struct cli_stop stop;
		j->eo.o.stop = &cli_stop_flag;
		cli_stop_begin(&stop);
		rc = mf_export_run(st, exp, &j->eo.o, &sum, &d);
		cli_stop_end(&stop);
	}
	r->export_run = sum.run_id;
	r->mailboxes = sum.mailboxes;
	r->delivered = sum.delivered;
	r->already = sum.already;
	r->failed = sum.failed;
	r->interrupted = sum.interrupted;
	if (c->json) {
		emit_problems(st, j->name, sum.run_id, &ev);
	} else if (sum.started && !sum.preflight_failed) {
		printf("  export %s: %lld mailboxes, %lld messages delivered (%lld already there), "
		       "%lld failed, %lld mailboxes failed; run %lld: %s\n", exp->name,
		       (long long)sum.mailboxes, (long long)sum.delivered, (long long)sum.already,
		       (long long)sum.failed, (long long)sum.mailboxes_failed, (long long)sum.run_id,
		       sum.status);
	}
	if (sum.preflight_failed && !c->json)
		for (size_t i = 0; i < sum.preflight.n; i++)
			if (sum.preflight.items[i].severity == MF_ERROR)
				printf("  preflight: %s: %s\n", sum.preflight.items[i].code,
				       sum.preflight.items[i].text);
	if (rc < 0 && rc != MF_EBUSY && (!sum.started || sum.preflight_failed || rc == MF_ESTORE)) {
		fail_with(r, &d);
		goto out;
	}
	if (rc < 0 || sum.failed || sum.mailboxes_failed || sum.mailboxes_leased || sum.interrupted) {
		r->status = JOB_PROBLEMS;
		if (rc < 0 && d.code != MF_OK)
			mf_diag_format(&d, r->error, sizeof(r->error));
		else if (sum.interrupted)
			snprintf(r->error, sizeof(r->error), "interrupted; run the job file again to resume");
	}
report:
	if (j->report_html || j->report_json) {
		const char *dbs[1] = { j->db };
		struct mf_diag d2;
		mf_diag_clear(&d2);
		if ((j->report_html && ensure_parent(j->report_html, &d2) < 0) ||
		    (j->report_json && ensure_parent(j->report_json, &d2) < 0) ||
		    cli_report_write(dbs, 1, j->report_html, j->report_json, NULL, &d2) < 0) {
			if (r->status == JOB_OK)
				r->status = JOB_PROBLEMS;
			mf_diag_format(&d2, r->error, sizeof(r->error));
		} else if (!c->json && j->report_html) {
			printf("  report: %s\n", j->report_html);
		}
	}
out:
	if (c->json) {
		ev_begin(&ev, "job_end", j->name);
		mf_json_kv_str(&ev, "status", status_name[r->status], 0);
		mf_json_kv_str(&ev, "error", r->error[0] ? r->error : NULL, 0);
		mf_json_kv_int(&ev, "mailboxes", r->mailboxes, 0);
		mf_json_kv_int(&ev, "delivered", r->delivered, 0);
		mf_json_kv_int(&ev, "already", r->already, 0);
		mf_json_kv_int(&ev, "failed", r->failed, 0);
		mf_json_kv_int(&ev, "export_run_id", r->export_run, 0);
		ev_end(&ev);
	} else {
		printf("job %s: %s%s%s\n", j->name, status_name[r->status], r->error[0] ? ": " : "",
		       r->error);
		fflush(stdout);
	}
	mf_export_summary_release(&sum);
	mf_arena_release(&sa);
	mf_buf_release(&ev);
	mf_store_close(&st);
}

static int parse_shard(struct bctx *c, const char *s)
{
	const char *slash = strchr(s, '/');
	uint64_t i, n;
	if (!slash || mf_parse_u64(&i, s, (size_t)(slash - s), 1000000) < 0 ||
	    mf_parse_u64(&n, slash + 1, strlen(slash + 1), 1000000) < 0 || n == 0 || i >= n)
		return -1;
	c->shard_i = (unsigned)i;
	c->shard_n = (unsigned)n;
	return 0;
}

int cmd_batch(int argc, char **argv)
{
	enum { O_JSON = 1, O_SHARD, O_JOB, O_QUIET };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "job", required_argument, NULL, O_JOB },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ 0, 0, 0, 0 }
	};
	struct bctx c;
	struct mf_jobfile jf;
	struct cli_job *jobs = NULL;
	const char **only = NULL;
	size_t n_only = 0, n_run = 0;
	char *text = NULL;
	size_t len = 0;
	struct mf_diag d;
	int opt, exitc = MF_EXIT_OK, counts[3] = { 0, 0, 0 }, stop = 0;

	memset(&c, 0, sizeof(c));
	memset(&jf, 0, sizeof(jf));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case O_JSON: c.json = 1; break;
		case O_QUIET: c.quiet = 1; break;
		case O_SHARD:
			if (parse_shard(&c, optarg) < 0) {
				free(only);
				return cli_usage("batch", "--shard wants I/N with 0 <= I < N, not '%s'", optarg);
			}
			break;
		case O_JOB:
			only = mf_xreallocarray(only, n_only + 1, sizeof(*only));
			only[n_only++] = optarg;
			break;
		default:
			free(only);
			return cli_usage("batch", "unknown option");
		}
	}
	if (optind + 1 != argc) {
		free(only);
		return cli_usage("batch", "wants one JOBFILE");
	}
	c.file = argv[optind];
	mf_diag_clear(&d);
	if (mf_read_file(&text, &len, c.file, MF_JOBFILE_MAX, &d) < 0 ||
	    mf_jobfile_parse_keys(&jf, c.file, (const unsigned char *)text, len, cli_job_keys(),
				  &d) < 0) {
		char line[1200];
		fprintf(stderr, "mailferry batch: %s\n", mf_diag_format(&d, line, sizeof(line)));
		free(text);
		free(only);
		return d.code == MF_EIO ? MF_EXIT_FATAL : MF_EXIT_USAGE;
	}
	free(text);
	{
		const char *sl = strrchr(c.file, '/');
		c.dir = sl ? mf_xstrndup(c.file, sl == c.file ? 1 : (size_t)(sl - c.file)) : mf_xstrdup(".");
	}
	for (size_t k = 0; k < n_only; k++) {
		int found = 0;
		for (size_t i = 0; i < jf.n_jobs && !found; i++)
			found = !strcmp(jf.jobs[i].name, only[k]);
		if (!found) {
			exitc = cli_usage("batch", "%s has no job [%s]", c.file, only[k]);
			goto out;
		}
	}
	if (!jf.n_jobs) {
		exitc = cli_usage("batch", "%s holds no job", c.file);
		goto out;
	}
	/* every job is checked before any runs */
	jobs = mf_xcalloc(jf.n_jobs, sizeof(*jobs));
	for (size_t i = 0; i < jf.n_jobs; i++)
		if (load_job(&c, &jf, &jf.jobs[i], &jobs[i]) < 0) {
			exitc = MF_EXIT_USAGE;
			goto out;
		}
	for (size_t i = 0; i < jf.n_jobs && !stop; i++) {
		struct job_result r;
		int selected = !n_only;
		for (size_t k = 0; k < n_only && !selected; k++)
			selected = !strcmp(jf.jobs[i].name, only[k]);
		if (!selected)
			continue;
		run_job(&c, &jobs[i], &r);
		counts[r.status]++;
		n_run++;
		stop = r.interrupted;
	}
	if (counts[JOB_FAILED] == (int)n_run && n_run > 0)
		exitc = MF_EXIT_FATAL;
	else if (counts[JOB_FAILED] || counts[JOB_PROBLEMS] || stop)
		exitc = MF_EXIT_PROBLEMS;
	if (c.json) {
		struct mf_buf ev;
		mf_buf_init(&ev, MF_BUF_UNBOUNDED);
		mf_buf_addch(&ev, '{');
		mf_json_kv_str(&ev, "event", "batch_end", 1);
		mf_json_kv_int(&ev, "jobs", (int64_t)n_run, 0);
		mf_json_kv_int(&ev, "ok", counts[JOB_OK], 0);
		mf_json_kv_int(&ev, "problems", counts[JOB_PROBLEMS], 0);
		mf_json_kv_int(&ev, "failed", counts[JOB_FAILED], 0);
		mf_json_kv_int(&ev, "exit", exitc, 0);
		if (stop)
			mf_json_kv_str(&ev, "stopped", "interrupted", 0);
		ev_end(&ev);
		mf_buf_release(&ev);
	} else {
		printf("batch %s: %zu jobs: %d ok, %d with problems, %d failed%s\n", c.file, n_run,
		       counts[JOB_OK], counts[JOB_PROBLEMS], counts[JOB_FAILED],
		       stop ? "; interrupted: run it again to resume" : "");
	}
out:
	if (jobs)
		for (size_t i = 0; i < jf.n_jobs; i++)
			cli_job_release(&jobs[i]);
	free(jobs);
	free(only);
	free(c.dir);
	mf_arena_release(&c.arena);
	mf_jobfile_release(&jf);
	return exitc;
}
