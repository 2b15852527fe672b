/* SPDX-License-Identifier: MIT */
/* inspect.c: `mailferry inspect exchange PATH`: read a set of migration
 * files back and validate it (the exporter's inspect callback). */
#include "exporters/exchange/exch_verify.h"
#include "exporters/exchange/exch_read.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/hash.h"
#include "core/json.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct icx {
	int json;
	struct mf_buf *out;
	int nprob, nsec, nmsg;
	/* text mode: the current section's counts */
	char cur[600];
	long lines, atts;
};

/* The code page of the set being walked: exr_walk reads the packing list
 * before it visits anything, so stats->codepage is known by then. */
static const struct exr_stats *cur_stats;
static struct mf_charset *cur_cs;
static char cur_cp[16];
/* Where problems and unreadable sets are reported. */
static FILE *cur_err;

/* Text from the files (in the set's code page) as UTF-8 into t. */
static const char *to_utf8(struct mf_buf *t, const char *s)
{
	mf_buf_reset(t);
	if (!s)
		return NULL;
	if (cur_stats && strcmp(cur_cp, cur_stats->codepage) != 0) {
		mf_charset_free(&cur_cs);
		snprintf(cur_cp, sizeof(cur_cp), "%s", cur_stats->codepage);
		if (mf_charset_open(&cur_cs, cur_cp, NULL) < 0)
			cur_cs = NULL;
	}
	if (cur_cs)
		mf_charset_to_utf8(cur_cs, s, strlen(s), t, NULL);
	else
		mf_utf8_sanitize(s, strlen(s), t, NULL);
	return t->data;
}

/* Append text from the files as a JSON string. */
static void jstr_bytes(struct mf_buf *b, const char *s)
{
	struct mf_buf t;
	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	mf_json_str(b, to_utf8(&t, s));
	mf_buf_release(&t);
}

static void flush_section(struct icx *x)
{
	if (!x->json && x->cur[0])
		mf_buf_addf(x->out, "  %s: %ld data lines\n", x->cur, x->lines);
	x->cur[0] = '\0';
}

static void on_problem(void *p, const char *file, uint64_t off, const char *text)
{
	struct icx *x = p;
	if (x->json) {
		if (x->nprob)
			mf_buf_addch(x->out, ',');
		mf_buf_addch(x->out, '{');
		mf_json_kv_str(x->out, "file", file, 1);
		mf_json_kv_int(x->out, "offset", (int64_t)off, 0);
		mf_json_key(x->out, "text", 0);
		jstr_bytes(x->out, text);
		mf_buf_addch(x->out, '}');
	} else {
		struct mf_buf t;
		mf_buf_init(&t, MF_BUF_UNBOUNDED);
		fprintf(cur_err, "problem: %s: offset %llu: %s\n", file, (unsigned long long)off,
			to_utf8(&t, text));
		mf_buf_release(&t);
	}
	x->nprob++;
}

/* JSON arrays are assembled in separate buffers per set. */
struct jset {
	struct mf_buf problems, sections, messages;
	struct icx x;
};

static void on_problem_j(void *p, const char *file, uint64_t off, const char *text)
{
	struct jset *j = p;
	j->x.out = &j->problems;
	on_problem(&j->x, file, off, text);
}

static void on_section_j(void *p, const char *file, const char *kind, const char *arg)
{
	struct jset *j = p;
	if (j->x.nsec++)
		mf_buf_addch(&j->sections, ',');
	mf_buf_addch(&j->sections, '{');
	mf_json_kv_str(&j->sections, "file", file, 1);
	mf_json_kv_str(&j->sections, "kind", kind, 0);
	mf_json_key(&j->sections, "argument", 0);
	jstr_bytes(&j->sections, arg);
	mf_buf_addch(&j->sections, '}');
}

static void on_line_j(void *p, const struct exr_line *l)
{
	static const char *const keys[] = { "folder", "sender", "to", "cc", "bcc", "subject",
		"send_date", "received_date", "priority", "unread", "unsent", "body" };
	struct jset *j = p;
	struct mf_buf *b = &j->messages;
	if (strcmp(l->section, "MAILMESSAGE") || l->n_fields != 12)
		return;
	if (j->x.nmsg++)
		mf_buf_addch(b, ',');
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "file", l->file, 1);
	mf_json_key(b, "section", 0);
	jstr_bytes(b, l->argument);
	mf_json_kv_int(b, "offset", (int64_t)l->offset, 0);
	for (int i = 0; i < 12; i++) {
		mf_json_key(b, keys[i], 0);
		jstr_bytes(b, l->field[i]);
	}
	mf_json_key(b, "items", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < l->n_items; i++) {
		char hex[MF_SHA256_HEX];
		const struct exr_item *it = &l->items[i];
		if (i)
			mf_buf_addch(b, ',');
		mf_sha256_hex(hex, it->data, it->len);
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "type", it->type, 1);
		mf_json_key(b, "name", 0);
		jstr_bytes(b, it->name);
		mf_json_kv_int(b, "length", (int64_t)it->len, 0);
		mf_json_kv_str(b, "sha256", hex, 0);
		if (it->position != INT64_MIN)
			mf_json_kv_int(b, "position", it->position, 0);
		mf_json_kv_str(b, "format", it->format, 0);
		mf_buf_addch(b, '}');
	}
	mf_buf_addstr(b, "]}");
}

static void on_section_t(void *p, const char *file, const char *kind, const char *arg)
{
	struct icx *x = p;
	struct mf_buf t;
	flush_section(x);
	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	snprintf(x->cur, sizeof(x->cur), "%s: %s%s%.500s", file, kind, arg[0] ? "," : "",
		 to_utf8(&t, arg));
	mf_buf_release(&t);
	x->lines = 0;
	x->nsec++;
}

static void on_line_t(void *p, const struct exr_line *l)
{
	struct icx *x = p;
	(void)l;
	x->lines++;
}

static int inspect_one(const char *pkl, int json, struct mf_buf *out, int *first_set,
		       struct mf_inspect_sum *sum)
{
	struct exr_stats st;
	struct mf_diag d;
	int rc;

	mf_diag_clear(&d);
	cur_stats = &st;
	if (json) {
		struct jset j;
		struct exr_visitor v = { &j, on_problem_j, on_section_j, on_line_j };
		memset(&j, 0, sizeof(j));
		mf_buf_init(&j.problems, MF_BUF_UNBOUNDED);
		mf_buf_init(&j.sections, MF_BUF_UNBOUNDED);
		mf_buf_init(&j.messages, MF_BUF_UNBOUNDED);
		j.x.json = 1;
		rc = exr_walk(pkl, &v, &st, &d);
		if (rc == MF_OK) {
			if (!*first_set)
				mf_buf_addch(out, ',');
			*first_set = 0;
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "pkl", pkl, 1);
			mf_json_key(out, "valid", 0);
			mf_buf_addstr(out, st.problems ? "false" : "true");
			mf_json_kv_str(out, "codepage", st.codepage, 0);
			mf_buf_addf(out, ",\"problems\":[%s],\"sections\":[%s],\"messages\":[%s]",
				    j.problems.data, j.sections.data, j.messages.data);
			mf_buf_addstr(out, ",\"totals\":{");
			mf_json_kv_int(out, "files", st.files, 1);
			mf_json_kv_int(out, "sections", st.sections, 0);
			mf_json_kv_int(out, "directory_lines", st.directory_lines, 0);
			mf_json_kv_int(out, "messages", st.messages, 0);
			mf_json_kv_int(out, "pab_lines", st.pab_lines, 0);
			mf_json_kv_int(out, "attachments", st.attachments, 0);
			mf_json_kv_int(out, "documents", st.documents, 0);
			mf_json_kv_int(out, "schedules", st.schedules, 0);
			mf_json_kv_int(out, "bytes", st.bytes, 0);
			mf_json_kv_int(out, "problems", st.problems, 0);
			mf_buf_addstr(out, "}}");
		}
		mf_buf_release(&j.problems);
		mf_buf_release(&j.sections);
		mf_buf_release(&j.messages);
	} else {
		struct icx x;
		struct exr_visitor v = { &x, on_problem, on_section_t, on_line_t };
		memset(&x, 0, sizeof(x));
		x.out = out;
		mf_buf_addf(out, "set %s\n", pkl);
		rc = exr_walk(pkl, &v, &st, &d);
		flush_section(&x);
		if (rc == MF_OK)
			mf_buf_addf(out, "  code page %s; %lld files, %lld sections: %lld directory "
				    "lines, %lld messages, %lld PAB lines, %lld attachments, "
				    "%lld documents, %lld schedules, %lld bytes of section data; %s\n",
				    st.codepage, (long long)st.files, (long long)st.sections,
				    (long long)st.directory_lines, (long long)st.messages,
				    (long long)st.pab_lines, (long long)st.attachments,
				    (long long)st.documents, (long long)st.schedules,
				    (long long)st.bytes,
				    st.problems ? "PROBLEMS FOUND" : "valid");
	}
	cur_stats = NULL;
	mf_charset_free(&cur_cs);
	cur_cp[0] = '\0';
	sum->checked++;
	if (rc < 0) {
		char line[1200];
		fprintf(cur_err, "mailferry: %s\n", mf_diag_format(&d, line, sizeof(line)));
		sum->unreadable++;
		return rc;
	}
	if (st.problems)
		sum->invalid++;
	return MF_OK;
}


void mf_exch_list_sets(const char *path, char ***out, size_t *n_out, int *has_pkl)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **sets = NULL;
	size_t ns = 0;

	*has_pkl = 0;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char sub[4096];
		struct stat ss;
		if (l > 4 && mf_strcaseeq(de->d_name + l - 4, ".pkl"))
			*has_pkl = 1;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (de->d_name[0] != '.' && stat(sub, &ss) == 0 && S_ISDIR(ss.st_mode)) {
			sets = mf_xreallocarray(sets, ns + 1, sizeof(*sets));
			sets[ns++] = mf_xstrdup(sub);
		}
	}
	if (d)
		closedir(d);
	/* sorted, so the output is stable */
	for (size_t i = 0; i < ns; i++)
		for (size_t k = i + 1; k < ns; k++)
			if (strcmp(sets[k], sets[i]) < 0) {
				char *t = sets[i];
				sets[i] = sets[k];
				sets[k] = t;
			}
	*out = sets;
	*n_out = ns;
}

int mf_exch_inspect(struct mf_inspect_sum *sum, const char *path, unsigned flags, FILE *outf,
		    FILE *err, struct mf_diag *diag)
{
	int json = (flags & MF_INSPECT_JSON) != 0, first = 1;
	struct mf_buf out;
	struct stat sb;

	memset(sum, 0, sizeof(*sum));
	if (stat(path, &sb) != 0)
		return mf_diag_set(diag, MF_ENOTFOUND, path, MF_NO_OFFSET, "no such file or folder");
	cur_err = err;
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	if (json)
		mf_buf_addstr(&out, "{\"sets\":[");
	if (S_ISDIR(sb.st_mode)) {
		/* a set folder, or an export folder of set folders */
		char **sets = NULL;
		size_t ns = 0;
		int has_pkl = 0;
		mf_exch_list_sets(path, &sets, &ns, &has_pkl);
		if (has_pkl) {
			inspect_one(path, json, &out, &first, sum);
		} else {
			for (size_t i = 0; i < ns; i++)
				inspect_one(sets[i], json, &out, &first, sum);
		}
		for (size_t i = 0; i < ns; i++)
			free(sets[i]);
		free(sets);
	} else {
		inspect_one(path, json, &out, &first, sum);
	}
	if (json)
		mf_buf_addstr(&out, "]}\n");
	fwrite(out.data, 1, out.len, outf);
	mf_buf_release(&out);
	cur_err = NULL;
	if (!sum->checked)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "%s holds no migration file set", path);
	return MF_OK;
}
