/* SPDX-License-Identifier: MIT */
/* job.c: the steps of one migration, shared by the wizard and batch (see job.h). */
#include "cli/job.h"
#include "core/jobfile.h"
#include "core/json.h"
#include "engine/plan.h"

#include <stdio.h>
#include <string.h>

static const char SQL_RUN_PROBLEMS[] =
	"SELECT severity, count(*) FROM problems WHERE run_id = ?1 GROUP BY severity";

int cli_job_import(struct mf_store *st, const struct mf_importer *imp, const char *path,
		   const struct mf_import_opts *o, struct mf_import_stats *stats,
		   int64_t *run_id, struct mf_diag *diag)
{
	struct mf_buf js;
	sqlite3_stmt *s;
	int rc;

	memset(stats, 0, sizeof(*stats));
	*run_id = 0;
	if (!imp->import)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "importer '%s' is not built", imp->name);
	if ((rc = mf_store_run_begin(st, run_id, "import", imp->name, path, NULL, diag)) < 0)
		return rc;
	mf_store_set_context(st, *run_id, 0);
	rc = imp->import(st, path, o, stats, diag);
	mf_store_rollback(st);
	s = mf_store_stmt(st, SQL_RUN_PROBLEMS, NULL);
	if (s) {
		sqlite3_bind_int64(s, 1, *run_id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *sev = (const char *)sqlite3_column_text(s, 0);
			int64_t n = sqlite3_column_int64(s, 1);
			if (sev && !strcmp(sev, "info"))
				stats->problems[MF_INFO] = n;
			else if (sev && !strcmp(sev, "warning"))
				stats->problems[MF_WARNING] = n;
			else
				stats->problems[MF_ERROR] = n;
		}
		sqlite3_reset(s);
	}
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	mf_buf_addch(&js, '{');
	mf_json_kv_str(&js, "format", imp->name, 1);
	mf_json_kv_str(&js, "path", path, 0);
	mf_json_kv_int(&js, "files", stats->files, 0);
	mf_json_kv_int(&js, "files_skipped", stats->files_skipped, 0);
	mf_json_kv_int(&js, "mailboxes", stats->mailboxes, 0);
	mf_json_kv_int(&js, "messages", stats->messages, 0);
	mf_json_kv_int(&js, "messages_skipped", stats->messages_skipped, 0);
	mf_json_kv_int(&js, "calendar_items", stats->calendar_items, 0);
	mf_json_kv_int(&js, "directory_entries", stats->dir_entries, 0);
	mf_json_kv_int(&js, "bytes", stats->bytes, 0);
	mf_json_key(&js, "problems", 0);
	mf_buf_addch(&js, '{');
	mf_json_kv_int(&js, "info", stats->problems[MF_INFO], 1);
	mf_json_kv_int(&js, "warning", stats->problems[MF_WARNING], 0);
	mf_json_kv_int(&js, "error", stats->problems[MF_ERROR], 0);
	mf_buf_addstr(&js, "}}");
	mf_store_run_end(st, *run_id, rc < 0 ? "failed" : stats->problems[MF_ERROR] ? "problems" : "ok",
			 js.data, NULL);
	mf_buf_release(&js);
	return rc;
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
		rc = mf_plan_json(st, &js, &t, diag);
	mf_store_run_end(st, run_id, rc < 0 ? "failed" : t.conflicts ? "problems" : "ok",
			 rc == MF_OK ? js.data : NULL, NULL);
	mf_buf_release(&js);
	return rc;
}

int cli_job_shard(struct mf_store *st, const struct mf_export_opts *o, unsigned i, unsigned n,
		  const char ***out, size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0, k = 0;
	const char **al;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_export_select(st, o, &mbs, &nmb, arena, diag)) < 0)
		return rc;
	al = mf_arena_alloc(arena, (nmb ? nmb : 1) * sizeof(*al));
	for (size_t j = 0; j < nmb; j++) {
		const char *key = mbs[j].source_address ? mbs[j].source_address : mbs[j].name;
		if (n && mf_shard_hash(key) % n != i)
			continue;
		if (!mbs[j].alias)
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					   "mailbox '%s' has no alias, so a shard cannot name it; give "
					   "it one with an alias map (see 'mailferry plan')",
					   mbs[j].name ? mbs[j].name : "?");
		al[k++] = mbs[j].alias;
	}
	*out = al;
	*n_out = k;
	return MF_OK;
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
	opt(b, "--codepage", j->iopts.codepage);
	opt(b, "--timezone", j->iopts.timezone);
	opt(b, "--date-order", j->iopts.date_order);
	flag(b, "--keep-system-folders", j->iopts.keep_system_folders);
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
	opt(b, "--out", o->out);
	opt(b, "--url", o->url);
	opt(b, "--admin", o->admin);
	opt(b, "--password-file", o->password_file);
	opt(b, "--oauth2-token-file", o->oauth2_token_file);
	opt(b, "--login-format", o->login_format);
	flag(b, "--starttls", o->starttls);
	if (!o->tls_verify)
		mf_buf_addstr(b, " --tls-verify no");
	opt(b, "--public-folder", o->public_folder);
	flag(b, "--flag-urgent", o->flag_urgent);
	opt(b, "--codepage", o->codepage);
	opt(b, "--directory", o->directory_mode);
	flag(b, "--keep-raw-headers", o->keep_raw_headers);
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
	kv(b, "source_codepage", j->iopts.codepage);
	kv(b, "source_timezone", j->iopts.timezone);
	kv(b, "date_order", j->iopts.date_order);
	if (j->iopts.keep_system_folders)
		kv(b, "keep_system_folders", "yes");
	kv(b, "directory_snapshot", j->directory_snapshot);
	kv(b, "alias_map", j->alias_map);
	kv(b, "target", j->target);
	kv(b, "out", o->out);
	kv(b, "url", o->url);
	kv(b, "admin", o->admin);
	kv(b, "password_file", o->password_file);
	kv(b, "oauth2_token_file", o->oauth2_token_file);
	kv(b, "login_format", o->login_format);
	if (o->starttls)
		kv(b, "starttls", "yes");
	if (!o->tls_verify)
		kv(b, "tls_verify", "no");
	kv(b, "public_folder", o->public_folder);
	if (o->flag_urgent)
		kv(b, "flag_urgent", "yes");
	kv(b, "codepage", o->codepage);
	kv(b, "directory", o->directory_mode);
	if (o->keep_raw_headers)
		kv(b, "keep_raw_headers", "yes");
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
