/* SPDX-License-Identifier: MIT */
/* test_options.c: declared options (engine/options.c): every kind parsed
 * and refused with what it wants, defaults, the fixed-field copy, the
 * help column, and the registries' tables agreeing with each other. */
#include "tests/harness.h"
#include "tests/unit/tests.h"
#include "engine/exporter.h"
#include "engine/importer.h"
#include "engine/options.h"

#include <stdio.h>

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

const struct t_case t_options[] = {
	{ "options/every kind, defaults, refusals, fixed fields", opt_kinds },
	{ "options/a name declared twice", opt_conflict },
	{ "options/help lines", opt_help },
	{ "options/the registries' tables", opt_registries },
	{ NULL, NULL }
};
