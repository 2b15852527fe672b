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
#include "core/buf.h"
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

/*
 * The options of the export (every exporter's table and the driver's
 * selection and run control, cli/options.c) as parsed for one command:
 * vals holds every value by name, o is filled from them.  On the command
 * line each option's getopt value is CLI_OPT_BASE + its row's index.
 */
#define CLI_OPT_BASE 1000
struct cli_export_opts {
	struct mf_export_opts o;
	struct mf_optvals vals;
};
void cli_export_opts_init(struct cli_export_opts *c);
void cli_export_opts_release(struct cli_export_opts *c);
/* Fill c->o again after c->vals changed; -1 (message printed) when the
 * --mailboxes-from file cannot be read. */
int cli_export_opts_update(struct cli_export_opts *c);
/* The export's long options (to splice into getopt tables), ending with a
 * zero entry. */
const struct option *cli_export_long_options(void);
#define cli_export_long (cli_export_long_options())
/* Parse one option of the export: 1 if opt was one of them (consuming
 * arg), 0 if not, -1 on a bad value (message printed). */
int cli_export_opt(struct cli_export_opts *c, int opt, const char *arg, const char *cmd);

/* The union of the tables: exporters' and the export driver's, importers'
 * and the import driver's (in vals, freshly initialised). */
void cli_export_values(struct mf_optvals *v);
void cli_import_values(struct mf_optvals *v);
/* The import's long options; wizard_names: named after their job-file
 * keys (--source-codepage), job-file options only. */
const struct option *cli_import_long_options(int wizard_names);
/* Set the value of getopt result opt in v: 1 done, 0 not an option of v,
 * -1 bad value (usage message for cmd printed; shown: the flag's name as
 * typed when it is not the option's own). */
int cli_opt_set(struct mf_optvals *v, int opt, const char *arg, const char *cmd,
		const char *shown);
/* Every job-file key: the job's own (core/jobfile.h) and the options'. */
const char *const *cli_job_keys(void);
/* A help text with each line "@NAME@" replaced by what the tables say
 * (export-target, export-selection, export-run, import-options,
 * batch-source-keys, batch-target-keys) and "@sources@", "@targets@" by
 * the plugins' names. */
void cli_help_text(struct mf_buf *b, const char *text);

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
