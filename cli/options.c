/* SPDX-License-Identifier: MIT */
/*
 * options.c: the command line, job-file keys and help lines made from the
 * option tables of the plugins and the drivers (engine/options.h).
 *
 * The export's options are every exporter's rows (registry order, a name
 * declared twice once) followed by the driver's selection and run control;
 * the import's are every importer's rows and the import's run control.
 * Every command that takes them accepts all of them, whatever the format.
 */
#include "cli/cli.h"
#include "core/jobfile.h"
#include "engine/importer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void build_or_die(int rc, const struct mf_diag *d)
{
	if (rc < 0) {
		/* two plugins disagree about an option: a programming error */
		cli_fatal(d);
		abort();
	}
}

void cli_export_values(struct mf_optvals *v)
{
	struct mf_diag d;
	mf_diag_clear(&d);
	mf_optvals_init(v);
	for (size_t i = 0; mf_exporters[i]; i++)
		build_or_die(mf_optvals_add(v, mf_exporters[i]->options, mf_exporters[i]->name, &d), &d);
	build_or_die(mf_optvals_add(v, mf_export_selection_options, "", &d), &d);
	build_or_die(mf_optvals_add(v, mf_export_run_options, "", &d), &d);
}

void cli_import_values(struct mf_optvals *v)
{
	struct mf_diag d;
	mf_diag_clear(&d);
	mf_optvals_init(v);
	for (size_t i = 0; mf_importers[i]; i++)
		build_or_die(mf_optvals_add(v, mf_importers[i]->options, mf_importers[i]->name, &d), &d);
	build_or_die(mf_optvals_add(v, mf_import_run_options, "", &d), &d);
}

/* getopt tables, built once: option value CLI_OPT_BASE + the row's index. */
static struct option *long_table(const struct mf_optvals *v, int wizard_names,
				 struct mf_arena *names)
{
	struct option *lo = mf_xcalloc(v->n + 1, sizeof(*lo));
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct mf_option *o = v->v[i].opt;
		const char *name = o->name;
		if (wizard_names) {
			char *n;
			if (!v->v[i].key)
				continue;
			n = mf_arena_strdup(names, v->v[i].key);
			for (char *c = n; *c; c++)
				if (*c == '_')
					*c = '-';
			name = n;
		}
		lo[k].name = name;
		lo[k].has_arg = o->kind == MF_OPT_FLAG ? no_argument : required_argument;
		lo[k].flag = NULL;
		lo[k].val = CLI_OPT_BASE + (int)i;
		k++;
	}
	return lo;
}

static struct mf_optvals exp_template, imp_template;
static struct option *exp_long, *imp_long, *imp_wiz_long;
static struct mf_arena names_arena = MF_ARENA_INIT;

static void ensure_tables(void)
{
	if (exp_long)
		return;
	cli_export_values(&exp_template);
	cli_import_values(&imp_template);
	exp_long = long_table(&exp_template, 0, &names_arena);
	imp_long = long_table(&imp_template, 0, &names_arena);
	imp_wiz_long = long_table(&imp_template, 1, &names_arena);
}

const struct option *cli_export_long_options(void)
{
	ensure_tables();
	return exp_long;
}

const struct option *cli_import_long_options(int wizard_names)
{
	ensure_tables();
	return wizard_names ? imp_wiz_long : imp_long;
}

int cli_opt_set(struct mf_optvals *v, int opt, const char *arg, const char *cmd,
		const char *shown)
{
	struct mf_optval *ov;
	char why[300], flag[80];
	if (opt < CLI_OPT_BASE || (size_t)(opt - CLI_OPT_BASE) >= v->n)
		return 0;
	ov = &v->v[opt - CLI_OPT_BASE];
	snprintf(flag, sizeof(flag), "--%s", shown ? shown : ov->opt->name);
	if (ov->opt->flags & MF_OPTF_SECRET) {
		cli_usage(cmd, "%s is a secret: give it in a job file, never on the command line",
			  flag);
		return -1;
	}
	if (mf_optval_set(v, ov, arg, 0, flag, why, sizeof(why)) < 0) {
		cli_usage(cmd, "%s %s", flag, why);
		return -1;
	}
	return 1;
}

void cli_export_opts_init(struct cli_export_opts *c)
{
	memset(c, 0, sizeof(*c));
	cli_export_values(&c->vals);
	mf_export_opts_from_values(&c->o, &c->vals, &c->vals.arena, NULL);
}

void cli_export_opts_release(struct cli_export_opts *c)
{
	mf_optvals_release(&c->vals);
	memset(c, 0, sizeof(*c));
}

int cli_export_opts_update(struct cli_export_opts *c)
{
	struct mf_diag d;
	void (*done)(void *, const struct mf_export_mbox_sum *) = c->o.mailbox_done;
	void *arg = c->o.mailbox_done_arg;
	mf_diag_clear(&d);
	if (mf_export_opts_from_values(&c->o, &c->vals, &c->vals.arena, &d) < 0) {
		cli_fatal(&d);
		return -1;
	}
	c->o.mailbox_done = done;
	c->o.mailbox_done_arg = arg;
	return 0;
}

int cli_export_opt(struct cli_export_opts *c, int opt, const char *arg, const char *cmd)
{
	int rc = cli_opt_set(&c->vals, opt, arg, cmd, NULL);
	if (rc <= 0)
		return rc;
	return cli_export_opts_update(c) < 0 ? -1 : 1;
}

int cli_parse_date(int64_t *t, const char *s)
{
	return mf_opt_parse_date(t, s);
}

/* ---- job-file keys ---- */

const char *const *cli_job_keys(void)
{
	static const char **keys;
	size_t n = 0;
	if (keys)
		return keys;
	ensure_tables();
	keys = mf_xcalloc(imp_template.n + exp_template.n + 64, sizeof(*keys));
	for (size_t i = 0; mf_jobfile_keys[i]; i++)
		keys[n++] = mf_jobfile_keys[i];
	for (size_t i = 0; i < imp_template.n; i++)
		if (imp_template.v[i].key)
			keys[n++] = imp_template.v[i].key;
	for (size_t i = 0; i < exp_template.n; i++)
		if (exp_template.v[i].key && !mf_optvals_find_key(&imp_template, exp_template.v[i].key))
			keys[n++] = exp_template.v[i].key;
	keys[n] = NULL;
	return keys;
}

/* ---- help ---- */

/* "a, b, c or d" of the plugins' names. */
static void names_list(struct mf_buf *b, int exporters, const char *last)
{
	size_t n = 0, k = 0;
	if (exporters) {
		while (mf_exporters[n])
			n++;
		for (size_t i = 0; i < n; i++)
			mf_buf_addf(b, "%s%s", i == 0 ? "" : i + 1 == n ? last : ", ",
				    mf_exporters[i]->name);
		return;
	}
	for (size_t i = 0; mf_importers[i]; i++)
		n += (mf_importers[i]->caps & MF_IMP_SOURCE) != 0;
	for (size_t i = 0; mf_importers[i]; i++) {
		if (!(mf_importers[i]->caps & MF_IMP_SOURCE))
			continue;
		mf_buf_addf(b, "%s%s", k == 0 ? "" : ", ", mf_importers[i]->name);
		k++;
	}
	mf_buf_addf(b, "%s", last);
}

/* Option lines of the rows owned by plugins (plugins 1) or a driver's table. */
static void option_lines(struct mf_buf *b, const struct mf_optvals *v, int plugins,
			 const struct mf_option *table, int col)
{
	struct mf_buf left;
	mf_buf_init(&left, MF_BUF_UNBOUNDED);
	for (size_t i = 0; i < v->n; i++) {
		const struct mf_option *o = v->v[i].opt;
		int mine = plugins ? *v->v[i].owner != '\0' : 0;
		if (!plugins)
			for (const struct mf_option *t = table; t->name && !mine; t++)
				mine = t == o;
		if (!mine || (o->flags & MF_OPTF_NO_HELP))
			continue;
		mf_buf_reset(&left);
		mf_option_usage(&left, o);
		mf_option_help_line(b, left.data, o->help, col);
	}
	mf_buf_release(&left);
}

/* Job-file key lines of the plugins' rows. */
static void key_lines(struct mf_buf *b, const struct mf_optvals *v, int col)
{
	struct mf_buf h;
	mf_buf_init(&h, MF_BUF_UNBOUNDED);
	for (size_t i = 0; i < v->n; i++) {
		const struct mf_option *o = v->v[i].opt;
		if (!*v->v[i].owner || !v->v[i].key)
			continue;
		mf_buf_reset(&h);
		mf_buf_addstr(&h, o->help ? o->help : "");
		mf_option_help_line(b, v->v[i].key, h.data, col);
	}
	mf_buf_release(&h);
}

static void expand(struct mf_buf *b, const char *what)
{
	ensure_tables();
	if (!strcmp(what, "export-target"))
		option_lines(b, &exp_template, 1, NULL, 29);
	else if (!strcmp(what, "export-selection"))
		option_lines(b, &exp_template, 0, mf_export_selection_options, 29);
	else if (!strcmp(what, "export-run"))
		option_lines(b, &exp_template, 0, mf_export_run_options, 29);
	else if (!strcmp(what, "import-options")) {
		option_lines(b, &imp_template, 1, NULL, 26);
		option_lines(b, &imp_template, 0, mf_import_run_options, 26);
	} else if (!strcmp(what, "batch-source-keys"))
		key_lines(b, &imp_template, 22);
	else if (!strcmp(what, "batch-target-keys"))
		key_lines(b, &exp_template, 22);
	else if (!strcmp(what, "sources"))
		names_list(b, 0, " or auto");
	else if (!strcmp(what, "targets"))
		names_list(b, 1, " or ");
	else
		mf_buf_addf(b, "@%s@", what);
}

/* Help text with each @NAME@ replaced (see expand()). */
void cli_help_text(struct mf_buf *b, const char *text)
{
	const char *p = text;
	for (;;) {
		const char *a = strchr(p, '@'), *z;
		if (!a || !(z = strchr(a + 1, '@'))) {
			mf_buf_addstr(b, p);
			return;
		}
		mf_buf_add(b, p, (size_t)(a - p));
		{
			char what[64];
			size_t n = (size_t)(z - a - 1);
			int plain = n > 0 && n < sizeof(what);
			for (const char *c = a + 1; c < z && plain; c++)
				plain = (*c >= 'a' && *c <= 'z') || *c == '-';
			if (!plain) {
				mf_buf_addch(b, '@');
				p = a + 1;
				continue;
			}
			memcpy(what, a + 1, n);
			what[n] = '\0';
			/* a line of its own: the generated lines replace it */
			if (a > text && a[-1] == '\n' && z[1] == '\n') {
				expand(b, what);
				p = z + 2;
				continue;
			}
			{
				struct mf_buf t;
				mf_buf_init(&t, MF_BUF_UNBOUNDED);
				expand(&t, what);
				mf_buf_addstr(b, t.data);
				mf_buf_release(&t);
			}
			p = z + 1;
		}
	}
}
