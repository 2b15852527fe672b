/* SPDX-License-Identifier: MIT */
/* job.c: the steps of one migration, shared by the wizard and batch (see job.h). */
#include "cli/job.h"
#include "core/jobfile.h"
#include "engine/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_job_init(struct cli_job *j)
{
	memset(j, 0, sizeof(*j));
	cli_import_values(&j->ivals);
	cli_export_opts_init(&j->eo);
}

void cli_job_release(struct cli_job *j)
{
	mf_optvals_release(&j->ivals);
	cli_export_opts_release(&j->eo);
}

int cli_job_finish(struct cli_job *j)
{
	int quiet = j->iopts.quiet;
	memset(&j->iopts, 0, sizeof(j->iopts));
	mf_optvals_fill(&j->ivals, &j->iopts);
	j->iopts.values = &j->ivals;
	j->iopts.quiet = quiet;
	j->since = mf_opt_given(&j->eo.vals, "since") ? mf_opt_str(&j->eo.vals, "since") : NULL;
	j->until = mf_opt_given(&j->eo.vals, "until") ? mf_opt_str(&j->eo.vals, "until") : NULL;
	return cli_export_opts_update(&j->eo);
}

/* The value as it would be typed, or NULL when it is not to be repeated. */
static const char *shown_value(const struct mf_optval *v)
{
	const struct mf_option *o = v->opt;
	if (!*v->owner || !v->key || (o->flags & MF_OPTF_SECRET))
		return NULL;
	switch (o->kind) {
	case MF_OPT_FLAG:
		return v->num ? "yes" : NULL;
	case MF_OPT_BOOL: {
		int64_t dflt = o->dflt && !strcmp(o->dflt, "yes");
		return v->num == dflt ? NULL : v->num ? "yes" : "no";
	}
	case MF_OPT_LIST:
		return NULL;
	default:
		return v->given ? v->str : NULL;
	}
}

void cli_opts_args(struct mf_buf *b, const struct mf_optvals *v, int wizard_names)
{
	for (size_t i = 0; i < v->n; i++) {
		const char *val = shown_value(&v->v[i]);
		if (!val)
			continue;
		mf_buf_addstr(b, " --");
		if (wizard_names) {
			for (const char *c = v->v[i].key; *c; c++)
				mf_buf_addch(b, *c == '_' ? '-' : *c);
		} else {
			mf_buf_addstr(b, v->v[i].opt->name);
		}
		if (v->v[i].opt->kind != MF_OPT_FLAG) {
			mf_buf_addch(b, ' ');
			cli_shell_quote(b, val);
		}
	}
}

void cli_opts_keys(struct mf_buf *b, const struct mf_optvals *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const char *val = shown_value(&v->v[i]);
		if (val)
			mf_buf_addf(b, "%s = %s\n", v->v[i].key, val);
	}
}

int cli_job_plan(struct mf_store *st, const char *alias_map, struct mf_diag *diag)
{
	struct mf_plan_totals t;
	struct mf_buf js;
	int64_t run_id = 0;
	int rc;

	if (!alias_map)
		return mf_plan_ensure(st, &t, diag);
	if ((rc = mf_store_run_begin(st, &run_id, "plan", NULL, NULL, NULL, diag)) < 0)
		return rc;
	mf_store_set_context(st, run_id, 0);
	rc = mf_plan_build(st, alias_map, run_id, &t, diag);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	if (rc == MF_OK)
		mf_plan_summary_json(&js, &t);
	mf_store_run_end(st, run_id, rc < 0 ? "failed" : t.conflicts ? "problems" : "ok",
			 rc == MF_OK ? js.data : NULL, NULL);
	mf_buf_release(&js);
	return rc;
}

int cli_job_shard(struct mf_store *st, const struct mf_export_opts *o, unsigned i, unsigned n,
		  size_t *n_out, struct mf_diag *diag)
{
	struct mf_export_opts so = *o;

	so.shard_i = i;
	so.shard_n = n;
	return mf_export_select_count(st, &so, n_out, diag);
}

void cli_shell_quote(struct mf_buf *b, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("@%+=:,./_-", *p);
	if (plain) {
		mf_buf_addstr(b, s);
		return;
	}
	mf_buf_addch(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			mf_buf_addstr(b, "'\\''");
		else
			mf_buf_addch(b, *p);
	}
	mf_buf_addch(b, '\'');
}

static void opt(struct mf_buf *b, const char *name, const char *v)
{
	if (!v)
		return;
	mf_buf_addf(b, " %s ", name);
	cli_shell_quote(b, v);
}

static void flag(struct mf_buf *b, const char *name, int on)
{
	if (on)
		mf_buf_addf(b, " %s", name);
}

static void join(struct mf_buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			mf_buf_addch(b, ',');
		mf_buf_addstr(b, v[i]);
	}
}

static void list_opt(struct mf_buf *b, const char *name, const char *const *v, size_t n)
{
	struct mf_buf t;
	if (!n)
		return;
	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	join(&t, v, n);
	opt(b, name, t.data);
	mf_buf_release(&t);
}

void cli_job_commands(struct mf_buf *b, const struct cli_job *j, const char *importer)
{
	const struct mf_export_opts *o = &j->eo.o;

	if (j->directory_snapshot) {
		mf_buf_addstr(b, "mailferry import directory");
		opt(b, "--db", j->db);
		mf_buf_addch(b, ' ');
		cli_shell_quote(b, j->directory_snapshot);
		mf_buf_addch(b, '\n');
	}
	mf_buf_addf(b, "mailferry import %s", importer);
	opt(b, "--db", j->db);
	cli_opts_args(b, &j->ivals, 0);
	mf_buf_addch(b, ' ');
	cli_shell_quote(b, j->path);
	mf_buf_addch(b, '\n');
	if (j->alias_map) {
		mf_buf_addstr(b, "mailferry plan");
		opt(b, "--db", j->db);
		opt(b, "--alias-map", j->alias_map);
		mf_buf_addch(b, '\n');
	}
	mf_buf_addf(b, "mailferry export %s", j->target);
	opt(b, "--db", j->db);
	cli_opts_args(b, &j->eo.vals, 0);
	for (size_t i = 0; i < o->n_mailboxes; i++)
		opt(b, "--mailbox", o->mailboxes[i]);
	opt(b, "--since", j->since);
	opt(b, "--until", j->until);
	flag(b, "--no-mail", o->no_mail);
	list_opt(b, "--folders", o->folders, o->n_folders);
	list_opt(b, "--skip-folders", o->skip_folders, o->n_skip_folders);
	flag(b, "--force", o->force);
	mf_buf_addch(b, '\n');
	if (j->report_html || j->report_json) {
		mf_buf_addstr(b, "mailferry report");
		opt(b, "--db", j->db);
		opt(b, "--html", j->report_html);
		if (j->report_json) {
			mf_buf_addstr(b, " --json=");
			cli_shell_quote(b, j->report_json);
		}
		mf_buf_addch(b, '\n');
	}
}

static void kv(struct mf_buf *b, const char *k, const char *v)
{
	if (v)
		mf_buf_addf(b, "%s = %s\n", k, v);
}

void cli_job_section(struct mf_buf *b, const struct cli_job *j, const char *importer)
{
	const struct mf_export_opts *o = &j->eo.o;
	char num[32];

	mf_buf_addf(b, "[%s]\n", j->name ? j->name : "migration");
	kv(b, "source", importer);
	kv(b, "path", j->path);
	kv(b, "db", j->db);
	cli_opts_keys(b, &j->ivals);
	kv(b, "directory_snapshot", j->directory_snapshot);
	kv(b, "alias_map", j->alias_map);
	kv(b, "target", j->target);
	cli_opts_keys(b, &j->eo.vals);
	if (o->n_mailboxes) {
		mf_buf_addstr(b, "mailboxes = ");
		join(b, o->mailboxes, o->n_mailboxes);
		mf_buf_addch(b, '\n');
	}
	kv(b, "since", j->since);
	kv(b, "until", j->until);
	if (o->no_mail)
		kv(b, "no_mail", "yes");
	if (o->n_folders) {
		mf_buf_addstr(b, "folders = ");
		join(b, o->folders, o->n_folders);
		mf_buf_addch(b, '\n');
	}
	if (o->n_skip_folders) {
		mf_buf_addstr(b, "skip_folders = ");
		join(b, o->skip_folders, o->n_skip_folders);
		mf_buf_addch(b, '\n');
	}
	if (o->force)
		kv(b, "force", "yes");
	if (o->jobs) {
		snprintf(num, sizeof(num), "%d", o->jobs);
		kv(b, "jobs", num);
	}
	kv(b, "report_html", j->report_html);
	kv(b, "report_json", j->report_json);
}
