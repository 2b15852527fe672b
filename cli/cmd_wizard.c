/* SPDX-License-Identifier: MIT */
/*
 * cmd_wizard.c: `mailferry wizard`: an interactive, step-by-step migration
 * on a plain terminal, one question per line.  Every question has a
 * default (shown in brackets, taken with Enter), '?' explains it, and every
 * answer can also come from a flag; --yes takes the default for every
 * question no flag answered.  Answers are read line by line from standard
 * input, so they can be piped.  The work is done through the library (the
 * same calls as import, check, plan, export and report).
 */
#include "cli/cli.h"
#include "cli/stop.h"
#include "cli/job.h"
#include "cli/report.h"
#include "core/store_views.h"
#include "engine/check.h"
#include "engine/export.h"
#include "engine/plan.h"
#include "engine/importer.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_wizard_help[] =
	"usage: mailferry wizard [options] [SOURCE-FOLDER]\n"
	"\n"
	"An interactive migration, step by step, on a plain terminal:\n"
	"  1. the source: its folder and kind (detected: a cc:Mail export set or\n"
	"     an MS Mail export bundle);\n"
	"  2. the staging database, and the source's code page and time zone when\n"
	"     they differ from what its manifest says;\n"
	"  3. the import, with a progress bar, and what it found: mailboxes,\n"
	"     messages, problems;\n"
	"  4. the mailboxes to migrate: all, or some (numbers, ranges, aliases);\n"
	"  5. the target (exchange, imap, maildir, mbox, eml, ics, pst, vcard,\n"
	"     carddav, caldav) and its options;\n"
	"  6. what to migrate (mail, or accounts only), a date range, the report;\n"
	"  7. the preflight check ('mailferry check');\n"
	"  8. the plan ('mailferry plan'), which you confirm;\n"
	"  9. the migration, with progress per mailbox, then the summary, the\n"
	"     report's place and the equivalent commands (and job file section)\n"
	"     that repeat the run without questions.\n"
	"Every question shows its default in brackets: Enter takes it, '?'\n"
	"explains the question.  Answers are read line by line from standard\n"
	"input, so they can also be piped.  Ctrl-C stops at once and leaves the\n"
	"staging database consistent: what was imported or delivered is kept,\n"
	"and running the wizard again (or the printed commands) resumes.\n"
	"\n"
	"Every answer can come from a flag; --yes takes the default for every\n"
	"question no flag answers, so the wizard runs without questions:\n"
	"  --path DIR               the source folder (or give it as SOURCE-FOLDER)\n"
	"  --source KIND            @sources@ (default: detected)\n"
	"  --db STAGE               the staging database\n"
	"  --source-codepage CP     override the source's code page\n"
	"  --source-timezone ZONE   override the source's time zone\n"
	"  --date-order ORDER       override the source's date order (mdy, dmy, ymd)\n"
	"  --mailbox ALIAS          migrate this mailbox (repeatable; default all)\n"
	"  --target FORMAT          @targets@\n"
	"  --since DATE, --until DATE, --no-mail, --force, and the target options\n"
	"                           of 'mailferry export' (--out, --url, --admin,\n"
	"                           --password-file, --login-format, --starttls,\n"
	"                           --tls-verify, --codepage, --directory, ...)\n"
	"  --report FILE            where to write the HTML report\n"
	"  --yes                    defaults for every other question, and go\n"
	"\n"
	"Exit codes: 0 migrated, 1 some items or mailboxes failed, the check\n"
	"failed or the plan was not confirmed (nothing exported), 2 usage or no\n"
	"answer (end of input), 3 the source, the database or the target could\n"
	"not be used, 130 interrupted (resumable).\n";

#define NSTEPS 9

struct wiz {
	int yes;
	int tty_in;
	int step;
	struct cli_job job;
	const struct mf_importer *imp;
	const struct mf_exporter *exp;
	struct mf_store *st;
	struct mf_arena arena;
	/* presets from flags */
	const char *f_source, *f_target, *f_report;
	int f_mailboxes, f_no_mail, f_force;
	int64_t staged_messages;
};

static const char INTERRUPTED[] =
	"\nmailferry wizard: interrupted.  The staging database is consistent: what was "
	"imported or delivered is kept, and running the wizard again (or the commands it "
	"prints) resumes.\n";

static void step(struct wiz *w, const char *title)
{
	w->step++;
	printf("\n== Step %d of %d: %s ==\n", w->step, NSTEPS, title);
}

/* Ask; the answer (arena) or NULL at the end of input.  preset answers
 * without asking (from a flag), --yes takes the default. */
static const char *ask(struct wiz *w, const char *q, const char *dflt, const char *help,
		       const char *preset, const char *flag)
{
	char line[4096];

	if (preset) {
		printf("%s: %s (from %s)\n", q, preset, flag);
		return preset;
	}
	for (;;) {
		char *s, *e;
		if (dflt && *dflt)
			printf("%s [%s]: ", q, dflt);
		else
			printf("%s: ", q);
		if (w->yes) {
			printf("%s\n", dflt ? dflt : "");
			return mf_arena_strdup(&w->arena, dflt ? dflt : "");
		}
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			printf("\n");
			return NULL;
		}
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!w->tty_in)
			printf("%s\n", *s ? s : dflt && *dflt ? dflt : "");
		if (!strcmp(s, "?")) {
			printf("%s\n", help);
			continue;
		}
		if (!*s)
			return mf_arena_strdup(&w->arena, dflt ? dflt : "");
		return mf_arena_strdup(&w->arena, s);
	}
}

static int yesno(const char *a, int *out)
{
	if (!strcasecmp(a, "y") || !strcasecmp(a, "yes")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(a, "n") || !strcasecmp(a, "no")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* A yes/no question; 1 yes, 0 no, -1 end of input. */
static int ask_yn(struct wiz *w, const char *q, int dflt, const char *help, int preset_yes,
		  const char *flag)
{
	for (;;) {
		const char *a = ask(w, q, dflt ? "yes" : "no", help, preset_yes ? "yes" : NULL, flag);
		int v;
		if (!a)
			return -1;
		if (yesno(a, &v) == 0)
			return v;
		printf("  please answer yes or no ('?' explains)\n");
	}
}

/* A choice among names[0..n); the index, -1 at the end of input, -2 when
 * a flag's value is not a choice, -3 when there is nothing to choose. */
static int ask_choice(struct wiz *w, const char *q, const char *const *names,
		      const char *const *notes, size_t n, size_t dflt, const char *help,
		      const char *preset, const char *flag)
{
	if (n == 0 || dflt >= n)
		return -3;
	for (size_t i = 0; i < n; i++)
		printf("  %zu) %-9s %s\n", i + 1, names[i], notes[i] ? notes[i] : "");
	for (;;) {
		const char *a = ask(w, q, names[dflt], help, preset, flag);
		char *end;
		unsigned long k;
		if (!a)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (!strcasecmp(a, names[i]))
				return (int)i;
		k = strtoul(a, &end, 10);
		if (*a && !*end && k >= 1 && k <= n)
			return (int)(k - 1);
		printf("  '%s' is not one of the choices: answer a number from 1 to %zu or a name\n",
		       a, n);
		if (preset)
			return -2;
	}
}

static const char *base_name(struct mf_arena *a, const char *path)
{
	char *c = mf_arena_strdup(a, path), *e = c + strlen(c), *sl;
	while (e > c + 1 && e[-1] == '/')
		*--e = '\0';
	sl = strrchr(c, '/');
	c = sl ? sl + 1 : c;
	if (!*c || !strcmp(c, ".") || !strcmp(c, ".."))
		return "mailferry";
	for (char *p = c; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
	return c;
}

/* Does the plugin's table declare the option? */
static int declares(const struct mf_option *table, const char *name)
{
	for (const struct mf_option *o = table; o && o->name; o++)
		if (!strcmp(o->name, name))
			return 1;
	return 0;
}

/* Ask the questions of a plugin's option rows (in its table's order): a
 * flag's value is the preset, an empty answer with an empty default
 * leaves the option unset.  0, or -1 end of input, -2 a flag's value
 * is not an answer. */
static int ask_options(struct wiz *w, struct mf_optvals *vals, const struct mf_option *table,
		       const char *plugin)
{
	for (const struct mf_option *o = table; o && o->name; o++) {
		struct mf_optval *v = mf_optvals_find(vals, o->name);
		const char *dflt = o->prompt_dflt ? o->prompt_dflt : o->dflt ? o->dflt : "";
		char dbuf[512], why[300];
		if (!v || !o->prompt || !declares(table, o->name))
			continue;
		if (o->ask_when_opt) {
			const char *w_val = mf_opt_str(vals, o->ask_when_opt);
			if (!w_val || strncmp(w_val, o->ask_when_prefix ? o->ask_when_prefix : "",
					      strlen(o->ask_when_prefix ? o->ask_when_prefix : "")))
				continue;
		}
		if (strstr(dflt, "%s")) {
			const char *pc = strstr(dflt, "%s");
			snprintf(dbuf, sizeof(dbuf), "%.*s%s%s", (int)(pc - dflt), dflt, plugin, pc + 2);
			dflt = dbuf;
		}
		if (o->kind == MF_OPT_FLAG || o->kind == MF_OPT_BOOL) {
			int yes = ask_yn(w, o->prompt, !strcmp(dflt, "yes"), o->prompt_help,
					 v->given && v->num, v->from);
			if (yes < 0)
				return -1;
			mf_optval_set(vals, v, yes ? "yes" : "no", 1, v->from, why, sizeof(why));
			continue;
		}
		for (;;) {
			const char *preset = v->given ? v->str : NULL;
			const char *a = ask(w, o->prompt, dflt, o->prompt_help,
					    (o->flags & MF_OPTF_SECRET) ? NULL : preset, v->from);
			if (!a)
				return -1;
			if (!*a) {
				mf_optval_clear(v);
				break;
			}
			if (preset && a == preset)
				break;
			if (mf_optval_set(vals, v, a, 1, v->from, why, sizeof(why)) == MF_OK)
				break;
			if (o->kind == MF_OPT_ENUM)
				printf("  please answer %s\n", why + strlen("wants "));
			else
				printf("  %s\n", why);
			if (preset)
				return -2;
		}
	}
	return 0;
}

/* ---- steps ---- */

static const char H_PATH[] =
	"The folder of the legacy export: a cc:Mail export set (the folder with\n"
	"CCMX.TXT) or an MS Mail export bundle (the folder with MSMX.TXT).  A path\n"
	"relative to the current folder is fine.";
static const char H_SOURCE[] =
	"What kind of export the folder holds.  The default is what mailferry\n"
	"detected from the folder's manifest.";
static const char H_DB[] =
	"The staging database: one SQLite file that receives everything the import\n"
	"reads and records what reaches the target.  It is created (mode 0600) if\n"
	"missing; an existing one is reused, and files already imported are skipped,\n"
	"which is how an interrupted migration resumes.";
static int step_source(struct wiz *w, const char *f_path)
{
	const char *names[8], *notes[8];
	const struct mf_importer *det;
	size_t n = 0, dflt = 0;
	const char *path;
	int k;

	step(w, "the source");
	for (;;) {
		struct stat sb;
		path = ask(w, "Source folder (export set or bundle)", ".", H_PATH, f_path, "--path");
		if (!path)
			return -1;
		if (stat(path, &sb) == 0)
			break;
		printf("  %s: %s\n", path, strerror(errno));
		if (f_path)
			return -3;
	}
	w->job.path = path;
	det = mf_importer_probe(path);
	if (det)
		printf("  detected: %s (%s)\n", det->name, det->summary);
	else
		printf("  mailferry does not recognise %s as an export; choose its kind\n", path);
	for (size_t i = 0; mf_importers[i] && n < 8; i++) {
		if (!(mf_importers[i]->caps & MF_IMP_SOURCE))
			continue;
		if (det == mf_importers[i])
			dflt = n;
		notes[n] = mf_importers[i]->summary;
		names[n++] = mf_importers[i]->name;
	}
	if (w->f_source && !strcmp(w->f_source, "auto")) {
		if (!det) {
			fprintf(stderr, "mailferry wizard: %s: not a source mailferry recognises\n", path);
			return -3;
		}
		w->f_source = det->name;
	}
	k = ask_choice(w, "Source kind", names, notes, n, dflt, H_SOURCE, w->f_source, "--source");
	if (k < 0)
		return k;
	w->imp = mf_importer_find(names[k]);
	w->job.source = w->imp->name;
	return 0;
}

static int step_db(struct wiz *w, const char *f_db)
{
	char dflt[512];
	const char *db;
	struct mf_diag d;

	step(w, "the staging database");
	snprintf(dflt, sizeof(dflt), "%s.db", base_name(&w->arena, w->job.path));
	db = ask(w, "Staging database", dflt, H_DB, f_db, "--db");
	if (!db)
		return -1;
	w->job.db = db;
	mf_diag_clear(&d);
	if (mf_store_open(&w->st, db, MF_STORE_CREATE, &d) < 0) {
		cli_fatal(&d);
		return -3;
	}
	{
		int64_t nmb, nmsg;
		if (mf_store_view_staged(w->st, &nmb, &nmsg, &d) == MF_OK && nmb > 0)
			printf("  %s already holds %lld mailboxes and %lld messages; the import adds to "
			       "them and skips files it has read before\n", db, (long long)nmb,
			       (long long)nmsg);
	}
	return ask_options(w, &w->job.ivals, w->imp->options, w->imp->name);
}

static int step_import(struct wiz *w)
{
	struct mf_import_stats is;
	struct mf_diag d;
	int64_t run_id, counts[3] = { 0, 0, 0 }, nmb = 0, msgs = 0, cal = 0, pub = 0;
	struct mf_view_mailbox *mbs;
	struct mf_view_problem_code *pc;
	size_t n;
	int rc;

	step(w, "import");
	printf("importing %s (%s) into %s ...\n", w->job.path, w->imp->name, w->job.db);
	fflush(stdout);
	mf_diag_clear(&d);
	w->job.iopts.quiet = w->job.eo.o.quiet;
	if (cli_job_finish(&w->job) < 0)
		return -3;
	rc = mf_import_run(w->st, w->imp, w->job.path, &w->job.iopts, &is, &run_id, NULL, &d);
	if (rc < 0) {
		cli_fatal(&d);
		return -3;
	}
	printf("imported: %lld new messages (%lld damaged and skipped), %lld files read, %lld "
	       "already imported\n", (long long)is.messages, (long long)is.messages_skipped,
	       (long long)is.files, (long long)is.files_skipped);
	printf("\nWhat the staging database holds:\n");
	printf("  %3s  %-20s %-8s %8s %8s  %-7s %s\n", "#", "ALIAS", "KIND", "MESSAGES", "CALENDAR",
	       "MAIL", "NAME");
	if (mf_store_view_mailboxes(w->st, 0, &mbs, &n, &w->arena, &d) == MF_OK) {
		for (size_t i = 0; i < n; i++) {
			const struct mf_view_mailbox *m = &mbs[i];
			nmb++;
			msgs += m->messages;
			cal += m->calendar_items;
			pub += m->kind && !strcmp(m->kind, "public");
			printf("  %3lld  %-20s %-8s %8lld %8lld  %-7s %s\n", (long long)nmb,
			       m->alias ? m->alias : "(none)", m->kind ? m->kind : "",
			       (long long)m->messages, (long long)m->calendar_items,
			       m->mail_skipped ? "skipped" : "mail",
			       m->display_name ? m->display_name : "");
		}
	}
	w->staged_messages = msgs;
	mf_store_problem_counts(w->st, counts, NULL);
	printf("found: %lld mailboxes (%lld public folders), %lld messages, %lld calendar items; "
	       "problems: %lld errors, %lld warnings, %lld info\n", (long long)nmb, (long long)pub,
	       (long long)msgs, (long long)cal, (long long)counts[MF_ERROR],
	       (long long)counts[MF_WARNING], (long long)counts[MF_INFO]);
	if (counts[0] + counts[1] + counts[2] > 0 &&
	    mf_store_view_problem_codes(w->st, 6, &pc, &n, &w->arena, &d) == MF_OK) {
		printf("problems by code (all of them: the report, or 'mailferry status'):\n");
		for (size_t i = 0; i < n; i++)
			printf("  %-7s %-32s %5lld  e.g. %.90s\n", pc[i].severity ? pc[i].severity : "",
			       pc[i].code ? pc[i].code : "", (long long)pc[i].count,
			       pc[i].example ? pc[i].example : "");
	}
	if (!nmb) {
		fprintf(stderr, "mailferry wizard: the source holds no mailbox: nothing to migrate\n");
		return -3;
	}
	return 0;
}

static const char H_MAILBOXES[] =
	"Which mailboxes to migrate: 'all', or numbers from the table above, ranges\n"
	"(2-4) and aliases, separated by commas or blanks: '1,3-5 LindqvistA'.";

static int step_mailboxes(struct wiz *w)
{
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	struct mf_diag d;
	struct mf_export_opts *o = &w->job.eo.o;

	step(w, "the mailboxes");
	mf_diag_clear(&d);
	if (mf_store_mailbox_list(w->st, &mbs, &nmb, &w->arena, &d) < 0) {
		cli_fatal(&d);
		return -3;
	}
	/* the table's order */
	for (size_t i = 1; i < nmb; i++)
		for (size_t j = i; j > 0; j--) {
			const char *a = mbs[j - 1].alias ? mbs[j - 1].alias : "";
			const char *b = mbs[j].alias ? mbs[j].alias : "";
			int c = strcasecmp(a, b);
			if (c < 0 || (c == 0 && mbs[j - 1].id < mbs[j].id))
				break;
			struct mf_mailbox t = mbs[j - 1];
			mbs[j - 1] = mbs[j];
			mbs[j] = t;
		}
	if (w->f_mailboxes) {
		printf("Mailboxes to migrate: ");
		for (size_t i = 0; i < o->n_mailboxes; i++)
			printf("%s%s", i ? ", " : "", o->mailboxes[i]);
		printf(" (from --mailbox)\n");
		return 0;
	}
	for (;;) {
		const char *a = ask(w, "Mailboxes to migrate", "all", H_MAILBOXES, NULL, NULL);
		char *copy, *save = NULL;
		const char **sel;
		size_t n = 0;
		int ok = 1;
		if (!a)
			return -1;
		if (!strcasecmp(a, "all")) {
			o->mailboxes = NULL;
			o->n_mailboxes = 0;
			printf("  all %zu mailboxes\n", nmb);
			return 0;
		}
		sel = mf_arena_alloc(&w->arena, (nmb + 1) * sizeof(*sel));
		copy = mf_arena_strdup(&w->arena, a);
		for (char *t = strtok_r(copy, ", \t", &save); t && ok; t = strtok_r(NULL, ", \t", &save)) {
			char *dash = strchr(t, '-'), *end;
			unsigned long lo, hi;
			lo = strtoul(t, &end, 10);
			if (end != t && (*end == '\0' || (end == dash && dash[1]))) {
				hi = lo;
				if (*end == '-')
					hi = strtoul(dash + 1, &end, 10);
				if (*end || lo < 1 || hi < lo || hi > nmb) {
					printf("  '%s': numbers go from 1 to %zu\n", t, nmb);
					ok = 0;
					break;
				}
				for (unsigned long k = lo; k <= hi; k++) {
					int dup = 0;
					for (size_t q = 0; q < n && !dup; q++)
						dup = sel[q] == mbs[k - 1].alias;
					if (!mbs[k - 1].alias) {
						printf("  mailbox %lu has no alias (fix it with 'mailferry plan --alias-map')\n", k);
						ok = 0;
					} else if (!dup && n < nmb) {
						sel[n++] = mbs[k - 1].alias;
					}
				}
				continue;
			}
			{
				int found = 0;
				for (size_t k = 0; k < nmb && !found; k++)
					if (mbs[k].alias && !strcasecmp(mbs[k].alias, t)) {
						int dup = 0;
						found = 1;
						for (size_t q = 0; q < n && !dup; q++)
							dup = sel[q] == mbs[k].alias;
						if (!dup && n < nmb)
							sel[n++] = mbs[k].alias;
					}
				if (!found) {
					printf("  no mailbox '%s' (answer numbers, ranges or aliases; '?' explains)\n", t);
					ok = 0;
				}
			}
		}
		if (ok && n) {
			o->mailboxes = sel;
			o->n_mailboxes = n;
			printf("  %zu of %zu mailboxes:", n, nmb);
			for (size_t i = 0; i < n; i++)
				printf(" %s", sel[i]);
			printf("\n");
			return 0;
		}
		if (w->yes)
			return -2;
	}
}

static int step_target(struct wiz *w)
{
	const char *names[16], *notes[16];
	size_t n = 0;
	struct mf_buf help;
	int k, rc;

	step(w, "the target");
	mf_buf_init(&help, MF_BUF_UNBOUNDED);
	mf_buf_addstr(&help, "Where the mailboxes go:");
	for (size_t i = 0; mf_exporters[i] && n < 16; i++) {
		notes[n] = mf_exporters[i]->summary;
		names[n++] = mf_exporters[i]->name;
		mf_buf_addf(&help, "\n  %-9s %s", mf_exporters[i]->name, mf_exporters[i]->summary);
	}
	k = ask_choice(w, "Target", names, notes, n, 0, help.data, w->f_target, "--target");
	mf_buf_release(&help);
	if (k < 0)
		return k;
	w->exp = mf_exporter_find(names[k]);
	w->job.target = w->exp->name;
	if ((rc = ask_options(w, &w->job.eo.vals, w->exp->options, w->exp->name)) < 0)
		return rc;
	{
		/* the answers into the options; the selection stays as chosen */
		const char *const *mbs = w->job.eo.o.mailboxes;
		size_t nmbs = w->job.eo.o.n_mailboxes;
		if (cli_export_opts_update(&w->job.eo) < 0)
			return -3;
		w->job.eo.o.mailboxes = mbs;
		w->job.eo.o.n_mailboxes = nmbs;
	}
	return 0;
}

static const char H_CONTENT[] =
	"mail: every message, calendar and address book of the selected mailboxes.\n"
	"accounts: the mailboxes (and directory objects) only, with empty mail\n"
	"sections; a later run with 'mail' migrates the mail into them.";
static const char H_SINCE[] =
	"Only messages sent on or after this day (YYYY-MM-DD, UTC).  Empty: no\n"
	"limit.  Messages whose date is unknown are always migrated.";
static const char H_UNTIL[] =
	"Only messages sent before this day (YYYY-MM-DD, UTC).  Empty: no limit.";
static const char H_REPORT[] =
	"Where the HTML report of the migration is written: one self-contained page\n"
	"with totals, a bar per mailbox, the problems and the timings.";

static int ask_date(struct wiz *w, const char *q, const char *help, const char *preset,
		    const char *flag, const char **str, int *has, int64_t *t)
{
	for (;;) {
		const char *a = ask(w, q, "", help, preset, flag);
		if (!a)
			return -1;
		if (!*a) {
			*has = 0;
			*str = NULL;
			return 0;
		}
		if (cli_parse_date(t, a) == 0) {
			*has = 1;
			*str = a;
			return 0;
		}
		printf("  '%s' is not a date: answer YYYY-MM-DD, or nothing for no limit\n", a);
		if (preset)
			return -2;
	}
}

static int step_options(struct wiz *w, const char *f_since, const char *f_until)
{
	static const char *const names[] = { "mail", "accounts" };
	static const char *const notes[] = { "mailboxes with their mail, calendars and address books",
					     "mailboxes only, no mail (--no-mail)" };
	struct mf_export_opts *o = &w->job.eo.o;
	char dflt[600];
	const char *db = w->job.db;
	size_t len = strlen(db);
	int k;

	step(w, "options");
	k = ask_choice(w, "What to migrate", names, notes, 2, 0, H_CONTENT,
		       w->f_no_mail ? "accounts" : NULL, "--no-mail");
	if (k < 0)
		return k;
	o->no_mail = k == 1;
	if (!o->no_mail) {
		int rc;
		if ((rc = ask_date(w, "Only messages since (YYYY-MM-DD, empty: no limit)", H_SINCE,
				   f_since, "--since", &w->job.since, &o->has_since, &o->since)) < 0)
			return rc;
		if ((rc = ask_date(w, "Only messages before (YYYY-MM-DD, empty: no limit)", H_UNTIL,
				   f_until, "--until", &w->job.until, &o->has_until, &o->until)) < 0)
			return rc;
	}
	if (len > 3 && !strcmp(db + len - 3, ".db"))
		len -= 3;
	snprintf(dflt, sizeof(dflt), "%.*s-report.html", (int)len, db);
	if (!(w->job.report_html = ask(w, "Report file", dflt, H_REPORT, w->f_report, "--report")))
		return -1;
	return 0;
}

static const char H_FORCE[] =
	"The check found errors: migrating now may leave mailboxes out or put mail\n"
	"in the wrong place.  'no' stops here (the import is kept: fix the errors\n"
	"and run the wizard again); 'yes' migrates anyway, as 'export --force'.";

/* 0 go on, 1 stop (check failed, not forced), <0 error. */
static int step_check(struct wiz *w)
{
	struct mf_check_report rep;
	struct mf_diag d;
	int rc, v;

	step(w, "preflight check");
	mf_check_report_init(&rep);
	mf_diag_clear(&d);
	rc = mf_export_check(w->st, w->exp, &w->job.eo.o, &rep, &d);
	if (rc < 0) {
		mf_check_report_release(&rep);
		cli_fatal(&d);
		return -3;
	}
	mf_check_report_print(stdout, &rep);
	printf("check: %lld mailboxes: %lld errors, %lld warnings, %lld info\n",
	       (long long)rep.mailboxes, (long long)rep.errors, (long long)rep.warnings,
	       (long long)rep.infos);
	if (!rep.errors) {
		mf_check_report_release(&rep);
		return 0;
	}
	mf_check_report_release(&rep);
	v = ask_yn(w, "Migrate anyway", 0, H_FORCE, w->f_force, "--force");
	if (v < 0)
		return -1;
	w->job.eo.o.force = v;
	return v ? 0 : 1;
}

static const char H_CONFIRM[] =
	"yes: migrate the mailboxes above now.  no: stop here; nothing is exported\n"
	"and the staging database keeps the import for a later run.";

/* 0 go, 1 not confirmed, <0 error. */
static int step_plan(struct wiz *w)
{
	struct mf_plan_totals t;
	struct mf_diag d;
	struct mf_export_opts *o = &w->job.eo.o;
	struct mf_view_plan_mailbox *rows;
	size_t n;
	int64_t nsel = 0, msgs = 0;
	char q[512];
	int v;

	step(w, "the plan");
	mf_diag_clear(&d);
	if (mf_plan_ensure(w->st, &t, &d) < 0) {
		cli_fatal(&d);
		return -3;
	}
	printf("  %-20s %-9s %8s  %s\n", "ALIAS", "ACTION", "MESSAGES", "");
	if (mf_store_view_plan_mailboxes(w->st, &rows, &n, &w->arena, &d) == MF_OK) {
		for (size_t r = 0; r < n; r++) {
			const char *alias = rows[r].alias, *act = rows[r].action, *msg = rows[r].message;
			int sel = !o->n_mailboxes;
			for (size_t i = 0; i < o->n_mailboxes && !sel; i++)
				sel = alias && !strcasecmp(alias, o->mailboxes[i]);
			if (!sel)
				continue;
			nsel++;
			msgs += o->no_mail || rows[r].mail_skipped ? 0 : rows[r].messages;
			printf("  %-20s %-9s %8lld  %s\n", alias ? alias : "(none)", act ? act : "?",
			       (long long)(o->no_mail ? 0 : rows[r].messages),
			       act && strcmp(act, "create") && msg ? msg : "");
		}
	}
	printf("plan: %lld mailboxes (%lld create, %lld convert, %lld exist, %lld public), "
	       "%lld conflicts\n", (long long)t.mailboxes, (long long)t.create, (long long)t.convert,
	       (long long)t.exists, (long long)t.public_folders, (long long)t.conflicts);
	snprintf(q, sizeof(q), "Migrate %lld mailboxes with %lld messages%s to %s %s", (long long)nsel,
		 (long long)msgs, o->has_since || o->has_until ? " (before the date range)" : "",
		 w->exp->name, o->out ? o->out : o->url);
	v = ask_yn(w, q, 1, H_CONFIRM, 0, NULL);
	if (v < 0)
		return -1;
	return v ? 0 : 1;
}

/* One line of the summary table (read back from the store). */
static int print_mailbox(void *arg, const struct mf_store_run_mailbox *m)
{
	(void)arg;
	printf("%-20s %-8s %7lld %9lld %7lld %6lld %8lld %-11s\n", m->alias,
	       m->action ? m->action : "-", (long long)m->planned, (long long)m->delivered,
	       (long long)m->already, (long long)m->failed, (long long)m->calendar_items, m->state);
	return MF_OK;
}

/* 0 ok, 1 problems, 130 interrupted, <0 error. */
static int step_migrate(struct wiz *w)
{
	struct mf_export_summary sum;
	struct mf_diag d;
	const char *dbs[1];
	int rc, res;

	step(w, "migration");
	printf("migrating to %s %s (progress per mailbox below) ...\n", w->exp->name,
	       w->job.eo.o.out ? w->job.eo.o.out : w->job.eo.o.url);
	fflush(stdout);
	mf_diag_clear(&d);
	{
		struct cli_stop stop;
		w->job.eo.o.stop = &cli_stop_flag;
		cli_stop_begin(&stop);
		rc = mf_export_run(w->st, w->exp, &w->job.eo.o, &sum, &d);
		cli_stop_end(&stop);   /* back to ending at once on Ctrl-C */
	}
	if (sum.started && !sum.preflight_failed) {
		printf("\n%-20s %-8s %7s %9s %7s %6s %8s %-11s\n", "ALIAS", "ACTION", "PLANNED",
		       "DELIVERED", "ALREADY", "FAILED", "CALENDAR", "STATE");
		{
			struct mf_diag d2;
			mf_export_summary_mailboxes(w->st, &sum, print_mailbox, NULL, &d2);
		}
		printf("\nSummary: %lld mailboxes migrated to %s, %lld messages delivered (%lld "
		       "already there), %lld failed, %lld calendar items, %lld problems; run %lld: %s\n",
		       (long long)sum.mailboxes, w->exp->name, (long long)sum.delivered,
		       (long long)sum.already, (long long)sum.failed, (long long)sum.calendar_items,
		       (long long)sum.problems, (long long)sum.run_id, sum.status);
	}
	if (rc < 0 && d.code != MF_OK && !sum.interrupted) {
		char line[1200];
		fprintf(stderr, "mailferry: %s\n", mf_diag_format(&d, line, sizeof(line)));
	}
	if (sum.interrupted)
		res = 130;
	else if (rc < 0 && (!sum.started || rc == MF_ESTORE))
		res = -3;
	else
		res = (rc < 0 || sum.failed || sum.mailboxes_failed) ? 1 : 0;
	mf_export_summary_release(&sum);
	dbs[0] = w->job.db;
	mf_diag_clear(&d);
	if (cli_report_write(dbs, 1, w->job.report_html, NULL, NULL, &d) < 0) {
		char line[1200];
		fprintf(stderr, "mailferry: report: %s\n", mf_diag_format(&d, line, sizeof(line)));
	} else {
		printf("Report: %s\n", w->job.report_html);
	}
	if (res == 130)
		printf("The migration was interrupted; the staging database is consistent and "
		       "running the same again resumes it.\n");
	return res;
}

static void print_equivalent(struct wiz *w)
{
	struct mf_buf b;
	struct cli_job *j = &w->job;
	const struct mf_export_opts *o = &j->eo.o;

	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	printf("\nThe same without questions:\n");
	mf_buf_addstr(&b, "  mailferry wizard --yes --path ");
	cli_shell_quote(&b, j->path);
	mf_buf_addf(&b, " --source %s --db ", j->source);
	cli_shell_quote(&b, j->db);
	cli_opts_args(&b, &j->ivals, 1);
	for (size_t i = 0; i < o->n_mailboxes; i++) {
		mf_buf_addstr(&b, " --mailbox ");
		cli_shell_quote(&b, o->mailboxes[i]);
	}
	mf_buf_addf(&b, " --target %s", j->target);
	cli_opts_args(&b, &j->eo.vals, 0);
	if (o->no_mail)
		mf_buf_addstr(&b, " --no-mail");
	if (j->since) {
		mf_buf_addstr(&b, " --since ");
		cli_shell_quote(&b, j->since);
	}
	if (j->until) {
		mf_buf_addstr(&b, " --until ");
		cli_shell_quote(&b, j->until);
	}
	if (o->force)
		mf_buf_addstr(&b, " --force");
	mf_buf_addstr(&b, " --report ");
	cli_shell_quote(&b, j->report_html);
	printf("%s\n", b.data);
	mf_buf_reset(&b);
	printf("or step by step:\n");
	cli_job_commands(&b, j, j->source);
	for (char *l = b.data, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			break;
		printf("  %.*s\n", (int)(nl - l), l);
	}
	mf_buf_reset(&b);
	printf("or as a job for 'mailferry batch' (docs/batch.md):\n");
	j->name = "migration";
	cli_job_section(&b, j, j->source);
	for (char *l = b.data, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			break;
		printf("  %.*s\n", (int)(nl - l), l);
	}
	mf_buf_release(&b);
}

int cmd_wizard(int argc, char **argv)
{
	enum { O_PATH = 2000, O_SOURCE, O_DB, O_TARGET, O_REPORT, O_YES, O_IMPORT = 3000 };
	struct option lo[160];
	const struct option *ilo = cli_import_long_options(1);
	struct wiz w;
	const char *f_path = NULL, *f_db = NULL;
	const char *f_since = NULL, *f_until = NULL;
	size_t k = 0;
	int c, rc, li = 0, exitc = MF_EXIT_OK;

	lo[k++] = (struct option){ "path", required_argument, NULL, O_PATH };
	lo[k++] = (struct option){ "source", required_argument, NULL, O_SOURCE };
	lo[k++] = (struct option){ "db", required_argument, NULL, O_DB };
	lo[k++] = (struct option){ "target", required_argument, NULL, O_TARGET };
	lo[k++] = (struct option){ "report", required_argument, NULL, O_REPORT };
	lo[k++] = (struct option){ "yes", no_argument, NULL, O_YES };
	for (size_t i = 0; ilo[i].name && k < 79; i++) {
		lo[k] = ilo[i];
		lo[k++].val += O_IMPORT - CLI_OPT_BASE;
	}
	for (size_t i = 0; cli_export_long[i].name && k < 159; i++)
		lo[k++] = cli_export_long[i];
	lo[k] = (struct option){ NULL, 0, NULL, 0 };

	memset(&w, 0, sizeof(w));
	cli_job_init(&w.job);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, &li)) != -1) {
		switch (c) {
		case O_PATH: f_path = optarg; break;
		case O_SOURCE: w.f_source = optarg; break;
		case O_DB: f_db = optarg; break;
		case O_TARGET: w.f_target = optarg; break;
		case O_REPORT: w.f_report = optarg; break;
		case O_YES: w.yes = 1; break;
		default:
			if (c >= O_IMPORT)
				rc = cli_opt_set(&w.job.ivals, c - O_IMPORT + CLI_OPT_BASE, optarg, "wizard",
						 lo[li].name);
			else
				rc = cli_export_opt(&w.job.eo, c, optarg, "wizard");
			if (rc < 0) {
				exitc = MF_EXIT_USAGE;
				goto out;
			}
			if (rc == 0) {
				exitc = cli_usage("wizard", "unknown option");
				goto out;
			}
		}
	}
	if (optind + 1 == argc && !f_path)
		f_path = argv[optind];
	else if (optind != argc) {
		exitc = cli_usage("wizard", "takes at most one SOURCE-FOLDER");
		goto out;
	}
	{
		/* which export options came from flags */
		struct mf_export_opts *o = &w.job.eo.o;
		if (mf_opt_given(&w.job.eo.vals, "since"))
			f_since = mf_opt_str(&w.job.eo.vals, "since");
		if (mf_opt_given(&w.job.eo.vals, "until"))
			f_until = mf_opt_str(&w.job.eo.vals, "until");
		w.f_mailboxes = o->n_mailboxes > 0;
		w.f_no_mail = o->no_mail;
		w.f_force = o->force;
		o->json = 0;
	}
	if (w.f_source && strcmp(w.f_source, "auto")) {
		const struct mf_importer *imp = mf_importer_find(w.f_source);
		if (!imp || !(imp->caps & MF_IMP_SOURCE)) {
			struct mf_buf names;
			mf_buf_init(&names, MF_BUF_UNBOUNDED);
			cli_help_text(&names, "@sources@");
			exitc = cli_usage("wizard", "--source wants %s", names.data);
			mf_buf_release(&names);
			goto out;
		}
	}
	if (w.f_target && !mf_exporter_find(w.f_target)) {
		exitc = cli_usage("wizard", "unknown target '%s' (see 'mailferry formats')", w.f_target);
		goto out;
	}
	w.tty_in = isatty(0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cli_stop_exit_on_sigint(INTERRUPTED);

	printf("mailferry migration wizard\n"
	       "Every question shows its default in brackets: press Enter to take it, or\n"
	       "type '?' for help.  Ctrl-C stops at any time; running the wizard again resumes.\n");
	if ((rc = step_source(&w, f_path)) < 0 || (rc = step_db(&w, f_db)) < 0 ||
	    (rc = step_import(&w)) < 0 || (rc = step_mailboxes(&w)) < 0 ||
	    (rc = step_target(&w)) < 0 || (rc = step_options(&w, f_since, f_until)) < 0)
		goto stopped;
	if ((rc = step_check(&w)) != 0) {
		if (rc > 0) {
			printf("Stopped before migrating: the preflight check failed.  Fix what it "
			       "names and run the wizard again (the import is kept).\n");
			exitc = MF_EXIT_PROBLEMS;
			goto out;
		}
		goto stopped;
	}
	if ((rc = step_plan(&w)) != 0) {
		if (rc > 0) {
			printf("Not confirmed: nothing was exported.  The staging database %s keeps the "
			       "import.\n", w.job.db);
			exitc = MF_EXIT_PROBLEMS;
			goto out;
		}
		goto stopped;
	}
	rc = step_migrate(&w);
	print_equivalent(&w);
	if (rc == 130)
		exitc = 130;
	else if (rc < 0)
		exitc = MF_EXIT_FATAL;
	else
		exitc = rc ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
	goto out;
stopped:
	if (rc == -1) {
		fprintf(stderr, "mailferry wizard: no answer (end of input); stopped, nothing more was "
			"done\n");
		exitc = MF_EXIT_USAGE;
	} else if (rc == -2) {
		fprintf(stderr, "mailferry wizard: a flag's value is not one of the choices\n");
		exitc = MF_EXIT_USAGE;
	} else {
		exitc = MF_EXIT_FATAL;
	}
out:
	mf_store_close(&w.st);
	cli_job_release(&w.job);
	mf_arena_release(&w.arena);
	return exitc;
}
