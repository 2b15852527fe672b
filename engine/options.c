/* SPDX-License-Identifier: MIT */
/* options.c: declared options, their values and checks (see options.h). */
#include "engine/options.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "engine/exporter.h"
#include "engine/importer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_optvals_init(struct mf_optvals *vals)
{
	memset(vals, 0, sizeof(*vals));
}

void mf_optvals_release(struct mf_optvals *vals)
{
	free(vals->v);
	mf_arena_release(&vals->arena);
	memset(vals, 0, sizeof(*vals));
}

const char *mf_option_key(const struct mf_option *o, char *buf, size_t size)
{
	size_t i;
	if (o->flags & MF_OPTF_CLI_ONLY)
		return NULL;
	if (o->key)
		return o->key;
	for (i = 0; o->name[i] && i + 1 < size; i++)
		buf[i] = o->name[i] == '-' ? '_' : o->name[i];
	buf[i] = '\0';
	return buf;
}

static int is_string_kind(enum mf_opt_kind k)
{
	return k == MF_OPT_STRING || k == MF_OPT_ENUM || k == MF_OPT_PATH ||
	       k == MF_OPT_SECRET_FILE;
}

/* Parse a default (trusted text from a table): no message. */
static void set_default(struct mf_optvals *vals, struct mf_optval *v)
{
	char why[160];
	if (!v->opt->dflt)
		return;
	if (mf_optval_set(vals, v, v->opt->dflt, 1, NULL, why, sizeof(why)) == MF_OK)
		v->given = 0;
}

int mf_optvals_add(struct mf_optvals *vals, const struct mf_option *table, const char *owner,
		   struct mf_diag *diag)
{
	for (const struct mf_option *o = table; o && o->name; o++) {
		struct mf_optval *have = mf_optvals_find(vals, o->name), *v;
		char kb[64];
		const char *key;
		if (have) {
			if (have->opt->kind != o->kind)
				return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
						   "option --%s of %s is declared with another kind by %s",
						   o->name, owner && *owner ? owner : "the driver",
						   *have->owner ? have->owner : "the driver");
			continue;
		}
		key = mf_option_key(o, kb, sizeof(kb));
		if (key && mf_optvals_find_key(vals, key))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					   "job-file key '%s' of %s is declared twice", key,
					   owner && *owner ? owner : "the driver");
		vals->v = mf_xreallocarray(vals->v, vals->n + 1, sizeof(*vals->v));
		v = &vals->v[vals->n++];
		memset(v, 0, sizeof(*v));
		v->opt = o;
		v->owner = mf_arena_strdup(&vals->arena, owner ? owner : "");
		v->key = key ? mf_arena_strdup(&vals->arena, key) : NULL;
		set_default(vals, v);
	}
	return MF_OK;
}

struct mf_optval *mf_optvals_find(const struct mf_optvals *vals, const char *name)
{
	for (size_t i = 0; i < vals->n; i++)
		if (!strcmp(vals->v[i].opt->name, name))
			return &vals->v[i];
	return NULL;
}

struct mf_optval *mf_optvals_find_key(const struct mf_optvals *vals, const char *key)
{
	for (size_t i = 0; i < vals->n; i++)
		if (vals->v[i].key && !strcmp(vals->v[i].key, key))
			return &vals->v[i];
	return NULL;
}

int mf_opt_parse_date(int64_t *t, const char *s)
{
	struct mf_civil c;
	size_t n = strlen(s);
	memset(&c, 0, sizeof(c));
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return MF_EFORMAT;
	{
		uint64_t y, m, d;
		if (mf_parse_u64(&y, s, 4, 9999) < 0 || mf_parse_u64(&m, s + 5, 2, 12) < 0 ||
		    mf_parse_u64(&d, s + 8, 2, 31) < 0)
			return MF_EFORMAT;
		c.year = (int)y;
		c.month = (int)m;
		c.day = (int)d;
	}
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || mf_time_parse(&c, s + 11, n - 11) < 0)
			return MF_EFORMAT;
	}
	if (!mf_civil_valid(&c))
		return MF_EFORMAT;
	*t = mf_civil_to_utc_naive(&c);
	return MF_OK;
}

static int parse_bool(const char *s, int job, int64_t *out)
{
	if (!strcmp(s, "yes") || (job && (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "1")))) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "no") || (job && (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "0")))) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int parse_size(const char *s, int64_t max, int64_t *out)
{
	size_t n = strlen(s);
	uint64_t v, mul = 1;
	if (n && (s[n - 1] == 'K' || s[n - 1] == 'k'))
		mul = 1024;
	else if (n && (s[n - 1] == 'M' || s[n - 1] == 'm'))
		mul = 1024 * 1024;
	else if (n && (s[n - 1] == 'G' || s[n - 1] == 'g'))
		mul = 1024 * 1024 * 1024;
	if (mul > 1)
		n--;
	if (n == 0 || mf_parse_u64(&v, s, n, (uint64_t)INT64_MAX) < 0 ||
	    v > (uint64_t)(max > 0 ? max : INT64_MAX) / mul)
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

static void list_add(struct mf_optvals *vals, struct mf_optval *v, const char *item)
{
	const char **arr = mf_arena_alloc(&vals->arena, (v->n_list + 1) * sizeof(*arr));
	if (v->n_list)
		memcpy(arr, v->list, v->n_list * sizeof(*arr));
	arr[v->n_list++] = mf_arena_strdup(&vals->arena, item);
	v->list = arr;
}

static void choices_text(char *out, size_t size, const char *const *c, const char *last_sep)
{
	size_t n = 0, len = 0;
	out[0] = '\0';
	if (!c)
		return;
	while (c[n])
		n++;
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? last_sep : ", ";
		int w = snprintf(out + len, size - len, "%s%s", sep, c[i]);
		if (w < 0 || (size_t)w >= size - len)
			return;
		len += (size_t)w;
	}
}

int mf_optval_set(struct mf_optvals *vals, struct mf_optval *v, const char *text,
		  int from_job, const char *from, char *why, size_t why_size)
{
	const struct mf_option *o = v->opt;
	int64_t n = 0;

	why[0] = '\0';
	switch (o->kind) {
	case MF_OPT_FLAG:
		if (!text && !from_job) {
			n = 1;
			break;
		}
		/* fall through */
	case MF_OPT_BOOL:
		if (!text || parse_bool(text, from_job, &n) < 0) {
			snprintf(why, why_size, "wants yes or no, not '%s'", text ? text : "");
			return MF_EUSAGE;
		}
		break;
	case MF_OPT_INT:
	case MF_OPT_SIZE: {
		uint64_t u;
		int64_t max = o->max > 0 ? o->max : INT64_MAX;
		int bad = o->kind == MF_OPT_INT ? mf_parse_u64(&u, text, strlen(text), (uint64_t)max) < 0
						: parse_size(text, max, &n) < 0;
		if (o->kind == MF_OPT_INT)
			n = bad ? 0 : (int64_t)u;
		if (bad || n < o->min) {
			if (o->kind == MF_OPT_SIZE)
				snprintf(why, why_size, "wants a size from %lld to %lld bytes (K, M, G: "
					 "1024s), not '%s'", (long long)o->min, (long long)max, text);
			else
				snprintf(why, why_size, "wants a number from %lld to %lld, not '%s'",
					 (long long)o->min, (long long)max, text);
			return MF_EUSAGE;
		}
		break;
	}
	case MF_OPT_ENUM: {
		int ok = 0;
		for (size_t i = 0; o->choices && o->choices[i] && !ok; i++)
			ok = !strcmp(o->choices[i], text);
		if (!ok) {
			char c[256];
			choices_text(c, sizeof(c), o->choices, " or ");
			snprintf(why, why_size, "wants %s", c);
			return MF_EUSAGE;
		}
		break;
	}
	case MF_OPT_DATE:
		if (mf_opt_parse_date(&n, text) < 0) {
			snprintf(why, why_size, "wants YYYY-MM-DD, not '%s'", text);
			return MF_EUSAGE;
		}
		break;
	case MF_OPT_LIST: {
		const char *seps = from_job ? ", \t" : (o->flags & MF_OPTF_COMMAS) ? "," : NULL;
		if (!seps) {
			list_add(vals, v, text);
		} else {
			char *copy = mf_xstrdup(text), *save = NULL;
			for (char *t = strtok_r(copy, seps, &save); t; t = strtok_r(NULL, seps, &save))
				list_add(vals, v, t);
			free(copy);
		}
		break;
	}
	case MF_OPT_STRING:
	case MF_OPT_PATH:
	case MF_OPT_SECRET_FILE:
		break;
	}
	if (text && is_string_kind(o->kind) && o->check && o->check(text, why, why_size) < 0)
		return MF_EUSAGE;
	v->num = n;
	v->str = text ? mf_arena_strdup(&vals->arena, text) : o->kind == MF_OPT_FLAG ? "yes" : NULL;
	v->given = 1;
	v->from = from ? mf_arena_strdup(&vals->arena, from) : NULL;
	return MF_OK;
}

void mf_optval_clear(struct mf_optval *v)
{
	v->str = NULL;
	v->num = 0;
	v->list = NULL;
	v->n_list = 0;
	v->given = 0;
	v->from = NULL;
}

void mf_optvals_fill(const struct mf_optvals *vals, void *base)
{
	for (size_t i = 0; i < vals->n; i++) {
		const struct mf_optval *v = &vals->v[i];
		char *p;
		if (!v->opt->field)
			continue;
		p = (char *)base + v->opt->field - 1;
		switch (v->opt->kind) {
		case MF_OPT_FLAG:
		case MF_OPT_BOOL:
		case MF_OPT_INT: {
			int x = (int)v->num;
			memcpy(p, &x, sizeof(x));
			break;
		}
		case MF_OPT_SIZE:
		case MF_OPT_DATE:
			memcpy(p, &v->num, sizeof(v->num));
			break;
		case MF_OPT_STRING:
		case MF_OPT_ENUM:
		case MF_OPT_PATH:
		case MF_OPT_SECRET_FILE:
			memcpy(p, &v->str, sizeof(v->str));
			break;
		case MF_OPT_LIST:
			break;
		}
	}
}

const char *mf_opt_str(const struct mf_optvals *vals, const char *name)
{
	const struct mf_optval *v = vals ? mf_optvals_find(vals, name) : NULL;
	return v ? v->str : NULL;
}

int64_t mf_opt_num(const struct mf_optvals *vals, const char *name)
{
	const struct mf_optval *v = vals ? mf_optvals_find(vals, name) : NULL;
	return v ? v->num : 0;
}

int mf_opt_given(const struct mf_optvals *vals, const char *name)
{
	const struct mf_optval *v = vals ? mf_optvals_find(vals, name) : NULL;
	return v ? v->given : 0;
}

const char *const *mf_opt_list(const struct mf_optvals *vals, const char *name, size_t *n)
{
	const struct mf_optval *v = vals ? mf_optvals_find(vals, name) : NULL;
	*n = v ? v->n_list : 0;
	return v ? v->list : NULL;
}

void mf_option_usage(struct mf_buf *b, const struct mf_option *o)
{
	if (o->usage) {
		mf_buf_addstr(b, o->usage);
		return;
	}
	mf_buf_addf(b, "--%s", o->name);
	if (o->kind == MF_OPT_FLAG)
		return;
	mf_buf_addch(b, ' ');
	if (o->arg) {
		mf_buf_addstr(b, o->arg);
	} else if (o->kind == MF_OPT_ENUM && o->choices) {
		for (size_t i = 0; o->choices[i]; i++)
			mf_buf_addf(b, "%s%s", i ? "|" : "", o->choices[i]);
	} else if (o->kind == MF_OPT_BOOL) {
		mf_buf_addstr(b, "yes|no");
	} else {
		mf_buf_addstr(b, "VALUE");
	}
}

void mf_option_help_line(struct mf_buf *b, const char *left, const char *help, int col)
{
	const char *p = help ? help : "";
	size_t start = b->len;
	mf_buf_addf(b, "  %s", left);
	if ((int)(b->len - start) >= col)
		mf_buf_addch(b, ' ');
	while ((int)(b->len - start) < col)
		mf_buf_addch(b, ' ');
	for (;;) {
		const char *nl = strchr(p, '\n');
		if (!nl) {
			mf_buf_addf(b, "%s\n", p);
			break;
		}
		mf_buf_addf(b, "%.*s\n%*s", (int)(nl - p), p, col, "");
		p = nl + 1;
	}
}

/* ---- the drivers' own options ---- */

#define EXP_FIELD(m) MF_OPT_FIELD(struct mf_export_opts, m)
#define IMP_FIELD(m) MF_OPT_FIELD(struct mf_import_opts, m)

const struct mf_option mf_export_selection_options[] = {
	{ .name = "mailbox", .kind = MF_OPT_LIST, .arg = "ALIAS", .key = "mailboxes",
	  .help = "only this mailbox (repeatable)" },
	{ .name = "mailboxes-from", .kind = MF_OPT_PATH, .arg = "FILE",
	  .help = "aliases, one per line" },
	{ .name = "since", .kind = MF_OPT_DATE, .usage = "--since DATE, --until DATE",
	  .help = "only messages dated in [since, until) (YYYY-MM-DD, UTC);\n"
		  "messages with an unknown date are always kept" },
	{ .name = "until", .kind = MF_OPT_DATE, .arg = "DATE", .flags = MF_OPTF_NO_HELP },
	{ .name = "no-mail", .field = EXP_FIELD(no_mail), .kind = MF_OPT_FLAG,
	  .help = "mailboxes only: mail sections are written empty, marked skipped" },
	{ .name = "folders", .kind = MF_OPT_LIST, .arg = "PATTERNS", .flags = MF_OPTF_COMMAS,
	  .help = "only folders matching (comma-separated globs, '\\' or '/' between levels)" },
	{ .name = "skip-folders", .kind = MF_OPT_LIST, .arg = "PATTERNS", .flags = MF_OPTF_COMMAS,
	  .help = "leave out folders matching" },
	{ .name = NULL }
};

const struct mf_option mf_export_run_options[] = {
	{ .name = "jobs", .field = EXP_FIELD(jobs), .kind = MF_OPT_INT, .arg = "N", .min = 1, .max = 256,
	  .help = "mailboxes at once (IMAP; default: number of cores)" },
	{ .name = "wait", .field = EXP_FIELD(wait), .kind = MF_OPT_FLAG,
	  .help = "wait for mailboxes another run is exporting" },
	{ .name = "lease-timeout", .field = EXP_FIELD(lease_timeout), .kind = MF_OPT_INT, .arg = "SECONDS", .min = 1, .max = 86400 * 7,
	  .dflt = "120", .help = "a run silent this long is presumed dead (default 120)" },
	{ .name = "force", .field = EXP_FIELD(force), .kind = MF_OPT_FLAG,
	  .help = "export even when the preflight check fails\n"
		  "(see 'mailferry check'; its errors are still recorded)" },
	{ .name = "quiet", .field = EXP_FIELD(quiet), .kind = MF_OPT_FLAG, .flags = MF_OPTF_CLI_ONLY,
	  .help = "no progress output" },
	{ .name = "json", .field = EXP_FIELD(json), .kind = MF_OPT_FLAG, .flags = MF_OPTF_CLI_ONLY,
	  .help = "print the summary as JSON" },
	{ .name = NULL }
};

const struct mf_option mf_import_run_options[] = {
	{ .name = "strict", .field = IMP_FIELD(strict), .kind = MF_OPT_FLAG, .flags = MF_OPTF_CLI_ONLY,
	  .help = "exit 1 when any error problem was recorded" },
	{ .name = "quiet", .field = IMP_FIELD(quiet), .kind = MF_OPT_FLAG, .flags = MF_OPTF_CLI_ONLY,
	  .help = "no progress output" },
	{ .name = "json", .field = IMP_FIELD(json), .kind = MF_OPT_FLAG, .flags = MF_OPTF_CLI_ONLY,
	  .help = "print the summary as JSON" },
	{ .name = NULL }
};

int mf_export_opts_from_values(struct mf_export_opts *o, const struct mf_optvals *vals,
			       struct mf_arena *arena, struct mf_diag *diag)
{
	const struct mf_optval *v;
	size_t n;
	const char *const *l;

	mf_optvals_fill(vals, o);
	o->values = vals;
	l = mf_opt_list(vals, "mailbox", &n);
	o->mailboxes = l;
	o->n_mailboxes = n;
	if ((v = mf_optvals_find(vals, "mailboxes-from")) && v->str) {
		char *text = NULL, *save = NULL;
		const char **arr;
		size_t cap = n + 1, k = 0;
		if (mf_read_file(&text, NULL, v->str, 16u << 20, diag) < 0)
			return diag->code;
		for (const char *p = text; *p; p++)
			cap += *p == '\n';
		arr = mf_arena_alloc(arena, cap * sizeof(*arr));
		for (size_t i = 0; i < n; i++)
			arr[k++] = l[i];
		for (char *t = strtok_r(text, "\r\n", &save); t; t = strtok_r(NULL, "\r\n", &save)) {
			while (*t == ' ' || *t == '\t')
				t++;
			if (*t && *t != '#' && k < cap)
				arr[k++] = mf_arena_strdup(arena, t);
		}
		free(text);
		o->mailboxes = arr;
		o->n_mailboxes = k;
	}
	o->has_since = mf_opt_given(vals, "since");
	o->since = mf_opt_num(vals, "since");
	o->has_until = mf_opt_given(vals, "until");
	o->until = mf_opt_num(vals, "until");
	o->folders = mf_opt_list(vals, "folders", &o->n_folders);
	o->skip_folders = mf_opt_list(vals, "skip-folders", &o->n_skip_folders);
	return MF_OK;
}
