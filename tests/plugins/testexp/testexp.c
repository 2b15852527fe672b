/* SPDX-License-Identifier: MIT */
/*
 * testexp.c: `mailferry export testexp`, an exporter that exists only in
 * the test build (build/mailferry-test, see the Makefile and
 * tests/cli/plugins.sh).  It shows what adding an exporter takes: this
 * folder and one registry line.  Its options are declared below and
 * nowhere else, yet `export testexp` takes them on the command line, a job
 * file takes them as keys, the wizard asks for them and --help lists them.
 *
 * It writes OUT/testexp.txt: a first line with the option values it was
 * given, then "mailbox ALIAS" for each mailbox and "ALIAS<TAB>SUBJECT"
 * for each message.
 */
#include "engine/exporter.h"
#include "core/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_export_ctx {
	FILE *f;
	char *target;
	int stamp;
	int64_t max_size, n;
};

static int greeting_ok(const char *value, char *why, size_t why_size)
{
	if (strchr(value, '\t')) {
		snprintf(why, why_size, "wants a line without tabs");
		return -1;
	}
	return 0;
}


static int testexp_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
			const struct mf_export_opts *opts, struct mf_diag *diag)
{
	const struct mf_optvals *v = opts->values;
	const char *dir = mf_opt_str(v, "out"), *tok = mf_opt_str(v, "token-file");
	struct mf_export_ctx *c;
	size_t toklen = 0;
	char *path;
	int rc;

	(void)ex;
	(void)st;
	if (tok) {
		char *text = NULL;
		if ((rc = mf_read_file(&text, &toklen, tok, 4096, diag)) < 0)
			return rc;
		free(text);
	}
	if ((rc = mf_mkdirs(dir, 0755, diag)) < 0)
		return rc;
	c = mf_xcalloc(1, sizeof(*c));
	path = mf_xasprintf("%s/testexp.txt", dir);
	c->f = fopen(path, "w");
	free(path);
	if (!c->f) {
		free(c);
		return mf_diag_set(diag, MF_EIO, dir, MF_NO_OFFSET, "cannot write testexp.txt");
	}
	c->target = mf_xasprintf("testexp:%s", dir);
	c->stamp = (int)mf_opt_num(v, "stamp");
	c->max_size = mf_opt_num(v, "max-size");
	fprintf(c->f, "greeting=%s mode=%s max_size=%lld stamp=%d token=%zu bytes\n",
		mf_opt_str(v, "greeting"), mf_opt_str(v, "mode"), (long long)c->max_size, c->stamp,
		toklen);
	*out = c;
	return MF_OK;
}

static const char *testexp_target(struct mf_export_ctx *c)
{
	return c->target;
}

static int testexp_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
				 const char *const *folders, size_t n, struct mf_diag *diag)
{
	(void)folders;
	(void)n;
	(void)diag;
	fprintf(c->f, "mailbox %s\n", mb->alias ? mb->alias : "?");
	return MF_OK;
}

static int testexp_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			       const struct mf_message *m, struct mf_put_result *res,
			       struct mf_diag *diag)
{
	(void)diag;
	c->n++;
	if (c->stamp)
		fprintf(c->f, "%lld ", (long long)c->n);
	fprintf(c->f, "%s\t%s\n", mb->alias ? mb->alias : "?", m->subject ? m->subject : "");
	res->state = MF_PUT_DELIVERED;
	snprintf(res->remote_id, sizeof(res->remote_id), "%lld", (long long)m->id);
	return MF_OK;
}

static int testexp_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			       struct mf_diag *diag)
{
	(void)mb;
	(void)failed;
	if (fflush(c->f) != 0)
		return mf_diag_set(diag, MF_EIO, c->target, MF_NO_OFFSET, "write failed");
	return MF_OK;
}

static void testexp_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = *pc;
	if (!c)
		return;
	if (c->f)
		fclose(c->f);
	free(c->target);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_testexp = {
	.name = "testexp",
	.summary = "test build only: one text line per message",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		{ .name = "greeting", .kind = MF_OPT_STRING, .arg = "TEXT", .dflt = "hello",
		  .help = "testexp: the first word of the file (default hello)", .check = greeting_ok,
		  .prompt = "Greeting line", .prompt_help = "The word testexp writes first." },
		{ .name = "mode", .kind = MF_OPT_ENUM, .choices = (const char *const[]){ "fast", "careful", NULL }, .dflt = "fast",
		  .help = "testexp: how to write",
		  .prompt = "Mode (fast or careful)", .prompt_help = "fast or careful: both write the same." },
		{ .name = "max-size", .kind = MF_OPT_SIZE, .arg = "SIZE", .min = 1, .max = 1 << 30,
		  .dflt = "1M", .help = "testexp: largest message written (K, M, G)" },
		{ .name = "stamp", .kind = MF_OPT_FLAG, .help = "testexp: number the lines",
		  .prompt = "Number the lines", .prompt_dflt = "no",
		  .prompt_help = "yes: each message line starts with its number." },
		{ .name = "token-file", .kind = MF_OPT_SECRET_FILE, .arg = "FILE",
		  .help = "testexp: a file holding a token (never printed)" },
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES,
	.open = testexp_open,
	.target = testexp_target,
	.mailbox_begin = testexp_mailbox_begin,
	.put_message = testexp_put_message,
	.mailbox_end = testexp_mailbox_end,
	.close = testexp_close,
};
