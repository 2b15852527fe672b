/* SPDX-License-Identifier: MIT */
/*
 * cli.h: the `mailferry` command: its subcommand table, exit codes and the
 * helpers the commands share.
 *
 * Adding a command: write cli/cmd_<name>.c with
 *     int cmd_<name>(int argc, char **argv);
 *     extern const char cmd_<name>_help[];
 * declare both below, and add a row to mf_cmds[] in cli/main.c.  The help
 * text is what `mailferry help <name>` and `mailferry <name> --help` print
 * and what docs/mailferry.1 says for the command.
 */
#ifndef MF_CLI_CLI_H
#define MF_CLI_CLI_H

#include <getopt.h>
#include "core/mf.h"
#include "core/store.h"
#include "engine/exporter.h"

/* Exit codes (README "Exit codes", docs/mailferry.1). */
enum mf_exit {
	MF_EXIT_OK = 0,        /* everything done */
	MF_EXIT_PROBLEMS = 1,  /* finished, but with error problems (or failed items) */
	MF_EXIT_USAGE = 2,     /* the command line is wrong */
	MF_EXIT_FATAL = 3,     /* could not run: store unusable, input unreadable, target unreachable */
};

struct mf_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *help;          /* full text for `mailferry help <name>` */
};

extern const struct mf_cmd mf_cmds[];
const struct mf_cmd *mf_cmd_find(const char *name);

/* Print "mailferry: <diag>" and return MF_EXIT_FATAL. */
int cli_fatal(const struct mf_diag *d);
/* Print "mailferry <cmd>: <msg>" and a hint to --help; return MF_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);
/* Print the help of a command on stdout; MF_EXIT_OK. */
int cli_help(const char *cmd);

/* Open the store named by --db (creating it when create is set). */
int cli_open_store(struct mf_store **out, const char *db, int create, int readonly);

/* Parse the options every exporter, plan, check and batch share; returns 1
 * if opt was one of them (consuming optarg), 0 if not, -1 on a bad value
 * (message printed).  Lists are grown in the struct's arrays (owned:
 * cli_export_opts_release). */
struct cli_export_opts {
	struct mf_export_opts o;
	const char **mailboxes;
	size_t n_mailboxes;
	const char **folders;
	size_t n_folders;
	const char **skip_folders;
	size_t n_skip_folders;
	char **owned;               /* text the lists point into (freed on release) */
	size_t n_owned;
};
void cli_export_opts_init(struct cli_export_opts *c);
void cli_export_opts_release(struct cli_export_opts *c);
/* Long options understood by cli_export_opt (to splice into getopt tables);
 * terminated by a zero entry.  Option values are 1000 + index. */
extern const struct option cli_export_long[];
int cli_export_opt(struct cli_export_opts *c, int opt, const char *arg, const char *cmd);

/* Parse "YYYY-MM-DD" (UTC midnight) or "YYYY-MM-DDThh:mm[:ss]" into *t. */
int cli_parse_date(int64_t *t, const char *s);

/* Commands. */
int cmd_help(int argc, char **argv);
int cmd_formats(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_wizard(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_report(int argc, char **argv);
extern const char cmd_help_help[], cmd_formats_help[], cmd_init_help[],
	cmd_status_help[], cmd_import_help[], cmd_export_help[], cmd_plan_help[],
	cmd_check_help[], cmd_verify_help[], cmd_inspect_help[], cmd_wizard_help[],
	cmd_batch_help[], cmd_report_help[];

#endif
