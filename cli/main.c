/* SPDX-License-Identifier: MIT */
/* main.c: `mailferry`, its command table and dispatch. */
#include "cli/cli.h"
#include "core/version.h"

#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct mf_cmd mf_cmds[] = {
	{ "import",  cmd_import,  "read a legacy export into the staging database", cmd_import_help },
	{ "status",  cmd_status,  "show what the staging database holds", cmd_status_help },
	{ "plan",    cmd_plan,    "decide what happens to each mailbox on the target", cmd_plan_help },
	{ "check",   cmd_check,   "preflight: check the staging data, the plan and the target", cmd_check_help },
	{ "export",  cmd_export,  "write staged mailboxes to a target", cmd_export_help },
	{ "verify",  cmd_verify,  "read the target back and compare with the staged data", cmd_verify_help },
	{ "inspect", cmd_inspect, "read and validate files written by an exporter", cmd_inspect_help },
	{ "wizard",  cmd_wizard,  "interactive, step-by-step migration", cmd_wizard_help },
	{ "batch",   cmd_batch,   "run migration jobs from a job file, unattended", cmd_batch_help },
	{ "report",  cmd_report,  "write the migration report (HTML or JSON)", cmd_report_help },
	{ "init",    cmd_init,    "create an empty staging database", cmd_init_help },
	{ "formats", cmd_formats, "list importers and exporters", cmd_formats_help },
	{ "help",    cmd_help,    "show help for a command", cmd_help_help },
	{ NULL, NULL, NULL, NULL }
};

const struct mf_cmd *mf_cmd_find(const char *name)
{
	for (const struct mf_cmd *c = mf_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cli_fatal(const struct mf_diag *d)
{
	char line[1200];
	fprintf(stderr, "mailferry: %s\n", mf_diag_format(d, line, sizeof(line)));
	return MF_EXIT_FATAL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mailferry %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'mailferry help %s')\n", cmd);
	return MF_EXIT_USAGE;
}

static void general_usage(FILE *f)
{
	fprintf(f, "usage: mailferry <command> [options]\n\ncommands:\n");
	for (const struct mf_cmd *c = mf_cmds; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n'mailferry help <command>' or 'mailferry <command> --help' tells more.\n"
		   "Exit codes: 0 ok, 1 finished with error problems, 2 usage, 3 fatal.\n");
}

int cli_help(const char *cmd)
{
	const struct mf_cmd *c = mf_cmd_find(cmd);
	if (!c)
		return cli_usage("help", "unknown command '%s'", cmd);
	{
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		cli_help_text(&b, c->help);
		fputs(b.data, stdout);
		mf_buf_release(&b);
	}
	return MF_EXIT_OK;
}

const char cmd_help_help[] =
	"usage: mailferry help [COMMAND]\n"
	"\n"
	"Without a command, list the commands.  With one, print its full help\n"
	"(the same text as 'mailferry COMMAND --help' and the manual page).\n";

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		general_usage(stdout);
		return MF_EXIT_OK;
	}
	return cli_help(argv[1]);
}

int main(int argc, char **argv)
{
	const struct mf_cmd *c;

	/* Every exported message is loaded and built in buffers of its own
	 * size (up to tens of MB with its attachments) and freed after it.
	 * glibc serves such buffers with mmap and trims the heap behind them,
	 * so each message paid fresh pages again: a quarter to a half of the
	 * mbox and Exchange exporters' time went to page faults and zeroing
	 * (docs/BENCHMARKS.md, "mbox and Exchange").  Buffers below 64 MiB
	 * come from the heap, which keeps up to 256 MiB of freed memory: the
	 * peak is the same, the pages are reused. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);

	if (argc < 2) {
		general_usage(stderr);
		return MF_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		general_usage(stdout);
		return MF_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("mailferry %s\n", MF_VERSION);
		return MF_EXIT_OK;
	}
	c = mf_cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, "mailferry: unknown command '%s'\n", argv[1]);
		general_usage(stderr);
		return MF_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cli_help(c->name);
	}
	return c->fn(argc - 1, argv + 1);
}
