/* SPDX-License-Identifier: MIT */
/*
 * options.h: options that plugins declare.
 *
 * Every importer and exporter carries a table of its options, terminated
 * by a row whose name is NULL, in its registry entry:
 *
 *     const struct mf_exporter mf_exporter_pst = {
 *         .name = "pst",
 *         .summary = "...",
 *         .options = (const struct mf_option[]){
 *             MF_OPTION_OUT,
 *             { .name = "pst-version", .kind = MF_OPT_ENUM,
 *               .choices = (const char *const[]){ "ansi", "unicode", NULL },
 *               .dflt = "unicode", .help = "pst: the file version to write",
 *               .prompt = "PST file version", .prompt_help = "..." },
 *             { .name = NULL }
 *         },
 *         ...
 *     };
 *
 * From that row alone mailferry makes the command-line option
 * (`--pst-version VALUE` of `mailferry export`, also accepted by the
 * wizard), the job-file key (`pst_version = ...`, docs/batch.md), the
 * wizard's question (when the row has a prompt), the line in `--help` and
 * the manual page, and the check of the value.  The plugin reads the value
 * by name from opts->values (mf_opt_str, mf_opt_num, mf_opt_given); no other
 * file changes.
 *
 * The same name may be declared by several plugins (`out` by every file
 * exporter); the rows must then agree on the kind, and the first row (in
 * registry order) gives the help line.  The drivers' own options (the
 * export selection and run control, the import's --strict) are tables of
 * the same kind in engine/options.c.
 *
 * Older plugins also receive some values in the fixed fields of struct
 * mf_export_opts / mf_import_opts: a row's `field` (MF_OPT_FIELD) names
 * the field the value is copied to.  New options need no field.
 */
#ifndef MF_ENGINE_OPTIONS_H
#define MF_ENGINE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/mf.h"

enum mf_opt_kind {
	MF_OPT_FLAG = 1,    /* --name, no value; job file and wizard: yes or no */
	MF_OPT_BOOL,        /* --name yes|no (the default says which applies without it) */
	MF_OPT_STRING,      /* any text */
	MF_OPT_INT,         /* a whole number in [min, max] */
	MF_OPT_SIZE,        /* bytes, with an optional K, M or G (1024s), in [min, max] */
	MF_OPT_ENUM,        /* one of choices */
	MF_OPT_PATH,        /* a file or folder; in a job file relative to its folder */
	MF_OPT_SECRET_FILE, /* a file holding a secret (a password, a token): the secret
			     * itself is never on the command line, stored or printed */
	MF_OPT_DATE,        /* YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss], UTC; num holds the time */
	MF_OPT_LIST,        /* several values: the option repeated on the command line
			     * (comma-separated with MF_OPTF_COMMAS), a comma-separated
			     * job-file value */
};

enum mf_opt_flags {
	MF_OPTF_SECRET = 1 << 0,   /* the value itself is secret: never accepted on the command
				    * line (use a job file), never printed or echoed */
	MF_OPTF_CLI_ONLY = 1 << 1, /* command line only: no job-file key, no wizard flag */
	MF_OPTF_COMMAS = 1 << 2,   /* LIST: a command-line value is a comma-separated list */
	MF_OPTF_NO_HELP = 1 << 3,  /* not listed by itself in --help (a row's usage names it) */
};

struct mf_optvals;

struct mf_option {
	const char *name;           /* --name; NULL ends a table */
	enum mf_opt_kind kind;
	const char *arg;            /* --help's placeholder for the value (DIR, URL, N);
				     * NULL: the choices joined by '|' or VALUE */
	const char *help;           /* --help's text (later lines after '\n') */
	const char *dflt;           /* the value without the option, as text; NULL: unset */
	const char *const *choices; /* ENUM: NULL-terminated */
	int64_t min, max;           /* INT and SIZE: bounds (max 0: none) */
	unsigned flags;             /* enum mf_opt_flags */
	const char *key;            /* job-file key when it is not the name with '-' as '_' */
	const char *usage;          /* --help's left column when not "--name ARG" */
	/* a further check of a well-formed value: 0, or -1 with why set to
	 * what it wants ("wants a URL imap://... or imaps://...") */
	int (*check)(const char *value, char *why, size_t why_size);
	/* the wizard's question; NULL prompt: not asked */
	const char *prompt;
	const char *prompt_dflt;    /* the answer Enter takes ("%s": the plugin's name);
				     * NULL: dflt.  An empty answer with an empty default
				     * leaves the option unset. */
	const char *prompt_help;    /* what '?' prints */
	const char *ask_when_opt;   /* asked only when this option's value ... */
	const char *ask_when_prefix;/* ... starts with this (NULL: always asked) */
	size_t field;               /* MF_OPT_FIELD(type, member), or 0 */
};

/* The offset of a fixed field, for mf_option.field: string kinds are
 * `const char *`, FLAG, BOOL and INT `int`, SIZE `int64_t`. */
#define MF_OPT_FIELD(type, member) (offsetof(type, member) + 1)

/* One option's value. */
struct mf_optval {
	const struct mf_option *opt;
	const char *owner;          /* the plugin whose row it is ("" for a driver's) */
	const char *key;            /* its job-file key (NULL: none) */
	int given;                  /* set by the user (not the default) */
	const char *str;            /* the text as given or defaulted; NULL: unset */
	int64_t num;                /* FLAG, BOOL (0/1), INT, SIZE, DATE */
	const char **list;          /* LIST */
	size_t n_list;
	const char *from;           /* where it came from: "--name" or the job-file key */
};

/* The values of a set of tables. */
struct mf_optvals {
	struct mf_optval *v;
	size_t n;
	struct mf_arena arena;
};

void mf_optvals_init(struct mf_optvals *vals);
void mf_optvals_release(struct mf_optvals *vals);

/*
 * Add the rows of table (owner: the plugin's name, "" for a driver's) that
 * are not there yet, with their defaults.  A row whose name is there
 * already must have the same kind: MF_EUSAGE (diag names both) if not.
 */
int mf_optvals_add(struct mf_optvals *vals, const struct mf_option *table, const char *owner,
		   struct mf_diag *diag);

/* By name, or by job-file key; NULL if not there. */
struct mf_optval *mf_optvals_find(const struct mf_optvals *vals, const char *name);
struct mf_optval *mf_optvals_find_key(const struct mf_optvals *vals, const char *key);

/*
 * Parse and check text for v (from: "--name" or the key, kept for
 * messages).  A FLAG from the command line has text NULL; job files give
 * FLAG and BOOL as yes/no, true/false, on/off or 1/0.  LIST values add to
 * the list.  MF_OK, or MF_EUSAGE with why set to what the option wants
 * ("wants a number from 1 to 256, not 'x'").
 */
int mf_optval_set(struct mf_optvals *vals, struct mf_optval *v, const char *text,
		  int from_job, const char *from, char *why, size_t why_size);
/* Back to unset (not the default): an empty wizard answer. */
void mf_optval_clear(struct mf_optval *v);

/* Copy every value with a field into the fixed struct at base. */
void mf_optvals_fill(const struct mf_optvals *vals, void *base);

/* For plugins: a value by name.  mf_opt_str: the text (NULL: unset);
 * mf_opt_num: the number (FLAG/BOOL 0 or 1); mf_opt_given: set by the
 * user; mf_opt_list: a LIST's values. */
const char *mf_opt_str(const struct mf_optvals *vals, const char *name);
int64_t mf_opt_num(const struct mf_optvals *vals, const char *name);
int mf_opt_given(const struct mf_optvals *vals, const char *name);
const char *const *mf_opt_list(const struct mf_optvals *vals, const char *name, size_t *n);

/* The row's job-file key (in buf when derived); NULL for MF_OPTF_CLI_ONLY. */
const char *mf_option_key(const struct mf_option *o, char *buf, size_t size);
/* --help's left column: "--name ARG", "--name a|b", "--name". */
void mf_option_usage(struct mf_buf *b, const struct mf_option *o);
/* "  USAGE<pad to col>HELP\n" and its continuation lines, indented to col. */
void mf_option_help_line(struct mf_buf *b, const char *left, const char *help, int col);

/* Parse "YYYY-MM-DD" (UTC midnight) or "YYYY-MM-DDThh:mm[:ss]". */
int mf_opt_parse_date(int64_t *t, const char *s);

/* Rows several exporters share (used inside their tables). */
#define MF_OPTION_OUT                                                                  \
	{ .name = "out", .kind = MF_OPT_PATH, .arg = "DIR",                            \
	  .help = "output folder (maildir, mbox, eml, ics, exchange)",                 \
	  .prompt = "Output folder", .prompt_dflt = "mailferry-out/%s",                \
	  .prompt_help = "The folder the files are written to; it is created if missing.  Writing\n" \
			 "into the same folder again sends only what is missing there.", \
	  .field = MF_OPT_FIELD(struct mf_export_opts, out) }
#define MF_OPTION_KEEP_RAW_HEADERS                                                     \
	{ .name = "keep-raw-headers", .kind = MF_OPT_FLAG,                             \
	  .help = "MIME: attach the source header block",                              \
	  .field = MF_OPT_FIELD(struct mf_export_opts, keep_raw_headers) }

/* The drivers' own options (engine/options.c): the export's selection and
 * run control, the import's run control. */
extern const struct mf_option mf_export_selection_options[];
extern const struct mf_option mf_export_run_options[];
extern const struct mf_option mf_import_run_options[];

struct mf_export_opts;
/*
 * Fill o from vals (the export's options: the plugins' tables and the
 * driver's): the fixed fields, the selection (reading --mailboxes-from;
 * lists in arena) and o->values.  vals must outlive o.  MF_OK, or the
 * error reading the mailbox list (diag set).
 */
int mf_export_opts_from_values(struct mf_export_opts *o, const struct mf_optvals *vals,
			       struct mf_arena *arena, struct mf_diag *diag);

#endif
