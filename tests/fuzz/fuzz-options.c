/* SPDX-License-Identifier: MIT */
/* fuzz-options.c: the option values of engine/options.c.  The first byte
 * picks a row (one of every kind, and every row of the real registries),
 * the second whether the text comes from a job file; the rest is the
 * value.  A refusal must say what the option wants; an accepted value must
 * read back; help lines of every row are made too. */
#include "engine/exporter.h"
#include "engine/importer.h"
#include "engine/options.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mf_option kinds[] = {
	{ .name = "flag", .kind = MF_OPT_FLAG, .help = "f" },
	{ .name = "bool", .kind = MF_OPT_BOOL, .dflt = "yes", .help = "b" },
	{ .name = "text", .kind = MF_OPT_STRING, .help = "t" },
	{ .name = "int", .kind = MF_OPT_INT, .min = 1, .max = 1000, .help = "i" },
	{ .name = "size", .kind = MF_OPT_SIZE, .min = 1, .max = (int64_t)1 << 40, .help = "s" },
	{ .name = "enum", .kind = MF_OPT_ENUM, .choices = (const char *const[]){ "a", "bb", NULL },
	  .help = "e" },
	{ .name = "date", .kind = MF_OPT_DATE, .help = "d" },
	{ .name = "list", .kind = MF_OPT_LIST, .flags = MF_OPTF_COMMAS, .help = "l" },
	{ .name = NULL }
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_optvals v;
	struct mf_optval *ov;
	struct mf_diag d;
	struct mf_buf b;
	char why[300], *text;
	int rc;

	if (size < 2)
		return 0;
	mf_optvals_init(&v);
	mf_diag_clear(&d);
	if (mf_optvals_add(&v, kinds, "fuzz", &d) != MF_OK)
		__builtin_trap();
	for (size_t i = 0; mf_exporters[i]; i++)
		if (mf_optvals_add(&v, mf_exporters[i]->options, mf_exporters[i]->name, &d) != MF_OK)
			__builtin_trap();
	if (mf_optvals_add(&v, mf_export_selection_options, "", &d) != MF_OK ||
	    mf_optvals_add(&v, mf_export_run_options, "", &d) != MF_OK)
		__builtin_trap();
	ov = &v.v[data[0] % v.n];
	text = malloc(size - 1);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	rc = mf_optval_set(&v, ov, text, data[1] & 1, ov->opt->name, why, sizeof(why));
	if (rc != MF_OK && rc != MF_EUSAGE)
		__builtin_trap();
	if (rc == MF_EUSAGE && strncmp(why, "wants ", 6) != 0)
		__builtin_trap();   /* a refusal says what the option wants */
	if (rc == MF_OK && !ov->given)
		__builtin_trap();
	if (rc == MF_OK && ov->opt->kind == MF_OPT_STRING && strcmp(ov->str, text) != 0)
		__builtin_trap();
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	for (size_t i = 0; i < v.n; i++) {
		mf_buf_reset(&b);
		mf_option_usage(&b, v.v[i].opt);
		mf_option_help_line(&b, "x", v.v[i].opt->help, 29);
	}
	mf_buf_release(&b);
	free(text);
	mf_optvals_release(&v);
	return 0;
}
