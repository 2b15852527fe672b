/* SPDX-License-Identifier: MIT */
/*
 * job.h: one migration from a source folder to a target, as the wizard
 * asks for it and as a section of a batch job file describes it, and the
 * steps both run through the library (never the mailferry binary):
 * import, plan (with an alias map), shard selection, export, report.
 */
#ifndef MF_CLI_JOB_H
#define MF_CLI_JOB_H

#include "cli/cli.h"
#include "core/buf.h"
#include "engine/export.h"
#include "engine/import.h"

struct cli_job {
	const char *name;               /* batch: the section's name */
	const char *source;             /* importer name, or "auto" */
	const char *path;               /* the source folder (or file) */
	const char *db;                 /* the staging database */
	struct mf_optvals ivals;        /* the import's options (cli_import_values) */
	struct mf_import_opts iopts;    /* filled from ivals (cli_job_finish) */
	const char *directory_snapshot; /* target directory CSV (import directory) */
	const char *alias_map;          /* plan --alias-map */
	const char *target;             /* exporter name */
	struct cli_export_opts eo;      /* target options, selection, run control */
	const char *since, *until;      /* as given (eo.o has them parsed) */
	const char *report_html;
	const char *report_json;
	unsigned shard_i, shard_n;      /* shard_n 0: every mailbox */
};

/* Start j empty: every option at its default. */
void cli_job_init(struct cli_job *j);
void cli_job_release(struct cli_job *j);
/* Fill j->iopts and j->eo.o from the values; -1 (message printed) when the
 * mailbox list file cannot be read. */
int cli_job_finish(struct cli_job *j);

/*
 * The plugins' options given in v, as command-line arguments
 * (" --name value", flags " --name"; wizard_names: named after their
 * job-file keys) or job-file lines ("key = value\n").  Secrets never.
 */
void cli_opts_args(struct mf_buf *b, const struct mf_optvals *v, int wizard_names);
void cli_opts_keys(struct mf_buf *b, const struct mf_optvals *v);

/* `mailferry plan --alias-map map` (map may be NULL: the stored plan is
 * made current). */
int cli_job_plan(struct mf_store *st, const char *alias_map, struct mf_diag *diag);

/*
 * How many of the mailboxes o selects fall in shard i of n (core/jobfile.h
 * mf_shard_hash); the export takes them with opts.shard_i/shard_n set, so
 * no list of them is held.
 */
int cli_job_shard(struct mf_store *st, const struct mf_export_opts *o, unsigned i, unsigned n,
		  size_t *n_out, struct mf_diag *diag);

/* Append s to b quoted for a POSIX shell when it needs quoting. */
void cli_shell_quote(struct mf_buf *b, const char *s);

/* The equivalent commands of job j, one per line (import, export, report). */
void cli_job_commands(struct mf_buf *b, const struct cli_job *j, const char *importer);

/* Job j as a section of a batch job file (docs/batch.md). */
void cli_job_section(struct mf_buf *b, const struct cli_job *j, const char *importer);

#endif
