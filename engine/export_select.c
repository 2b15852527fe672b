/* SPDX-License-Identifier: MIT */
/*
 * export_select.c: what an export takes (see export_priv.h): the
 * mailboxes by alias, the messages by date and folder glob.  `mailferry
 * check`, `verify` and the export itself select through these functions,
 * so they always agree.
 */
#include "engine/export_priv.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/extsort.h"
#include "core/jobfile.h"
#include "core/strmap.h"

int mf_folder_match(const char *pattern, const char *path)
{
	char p[1024], q[1024];
	size_t i;

	snprintf(p, sizeof(p), "%s", pattern);
	snprintf(q, sizeof(q), "%s", path);
	for (i = 0; p[i]; i++)
		if (p[i] == '/')
			p[i] = '\\';
	for (i = 0; q[i]; i++)
		if (q[i] == '/')
			q[i] = '\\';
	/* "**" crosses levels: fnmatch without FNM_PATHNAME treats '*' so;
	 * a pattern without "**" must not cross '\'. */
	if (strstr(p, "**")) {
		char r[1024];
		size_t k = 0;
		for (i = 0; p[i] && k + 1 < sizeof(r); i++) {
			if (p[i] == '*' && p[i + 1] == '*')
				i++;
			r[k++] = p[i];
		}
		r[k] = '\0';
		return fnmatch(r, q, FNM_CASEFOLD | FNM_NOESCAPE) == 0;
	}
	/* emulate FNM_PATHNAME with '\' as the separator: compare level by level */
	{
		char *ps = NULL, *qs = NULL;
		char *pt = strtok_r(p, "\\", &ps), *qt = strtok_r(q, "\\", &qs);
		while (pt && qt) {
			if (fnmatch(pt, qt, FNM_CASEFOLD | FNM_NOESCAPE) != 0)
				return 0;
			pt = strtok_r(NULL, "\\", &ps);
			qt = strtok_r(NULL, "\\", &qs);
		}
		return pt == NULL && qt == NULL;
	}
}

int mf_export_folder_selected(const struct mf_export_opts *o, const char *path)
{
	if (o->n_folders) {
		int any = 0;
		for (size_t i = 0; i < o->n_folders && !any; i++)
			any = mf_folder_match(o->folders[i], path);
		if (!any)
			return 0;
	}
	for (size_t i = 0; i < o->n_skip_folders; i++)
		if (mf_folder_match(o->skip_folders[i], path))
			return 0;
	return 1;
}

struct sel {
	const struct mf_export_opts *opts;
	struct mf_export_msg *m;
	size_t n, cap;
	struct mf_arena *arena;
};

static int sel_visit(void *arg, const struct mf_store_msg_row *r)
{
	struct sel *s = arg;
	struct mf_export_msg *m;
	if (!mf_export_folder_selected(s->opts, r->folder ? r->folder : ""))
		return MF_OK;
	if (s->n == s->cap) {
		struct mf_export_msg *nm;
		s->cap = s->cap ? s->cap * 2 : 256;
		nm = mf_arena_alloc(s->arena, s->cap * sizeof(*nm));
		if (s->n)
			memcpy(nm, s->m, s->n * sizeof(*nm));
		s->m = nm;
	}
	m = &s->m[s->n++];
	m->id = r->id;
	m->folder = r->folder ? mf_arena_strdup(s->arena, r->folder) : NULL;
	m->status = r->status ? mf_arena_strdup(s->arena, r->status) : NULL;
	m->remote_id = r->remote_id ? mf_arena_strdup(s->arena, r->remote_id) : NULL;
	m->delivered = r->status && !strcmp(r->status, "delivered");
	return MF_OK;
}

int mf_export_select_messages(struct mf_store *st, const struct mf_export_opts *opts,
			      const char *target, int64_t mailbox_id, struct mf_export_msg **out,
			      size_t *n_out, struct mf_arena *arena, struct mf_diag *diag)
{
	struct sel s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.opts = opts;
	s.arena = arena;
	*out = NULL;
	*n_out = 0;
	rc = mf_store_message_select(st, mailbox_id, target, opts->has_since ? &opts->since : NULL,
				     opts->has_until ? &opts->until : NULL, sel_visit, &s, diag);
	if (rc < 0)
		return rc;
	*out = s.m;
	*n_out = s.n;
	return MF_OK;
}

/* The export's own copy of the selection, in export order (folder path,
 * date, id) without SQLite's sorter, which would hold every row in memory
 * (temp_store is MEMORY): one 24-byte record a message goes to an external
 * sort (core/extsort.h) that keeps REFS_RUN of them in memory and spills
 * the rest to a temporary file, so memory does not grow with the mailbox.
 * The order is exactly the ORDER BY of mf_store_message_select: paths
 * compare as bytes with NULL first, dates with NULL first, then the id. */
#define REFS_RUN 8192

struct ref_rec {
	uint32_t ord;            /* the folder path's index in refs.paths */
	uint8_t path_null, date_class, delivered, pad;
	int64_t date, id;
};

struct refs {
	const struct mf_export_opts *opts;
	struct mf_exp_refs *out;
	struct mf_diag *diag;
};

static int cmp_ref(const void *a, const void *b, void *arg)
{
	const struct ref_rec *x = a, *y = b;
	const struct mf_exp_refs *r = arg;
	if (x->path_null != y->path_null)
		return x->path_null ? -1 : 1;
	if (x->ord != y->ord) {
		int c = strcmp(r->paths[x->ord], r->paths[y->ord]);
		if (c)
			return c;
	}
	if (x->date_class != y->date_class)
		return x->date_class < y->date_class ? -1 : 1;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int refs_visit(void *arg, const struct mf_store_msg_row *r)
{
	struct refs *s = arg;
	struct mf_exp_refs *o = s->out;
	struct ref_rec rec;
	if (!mf_export_folder_selected(s->opts, r->folder ? r->folder : ""))
		return MF_OK;
	memset(&rec, 0, sizeof(rec));
	rec.path_null = !r->folder;
	if (r->folder) {
		int created;
		uint64_t *v = mf_strmap_ref(&o->ord, r->folder, &created);
		if (created) {
			*v = o->npaths;
			o->paths = mf_xreallocarray(o->paths, o->npaths + 1, sizeof(*o->paths));
			o->paths[o->npaths++] = mf_xstrdup(r->folder);
		}
		rec.ord = (uint32_t)*v;
	}
	rec.date_class = (uint8_t)r->date_class;
	rec.date = r->date;
	rec.id = r->id;
	rec.delivered = r->status && !strcmp(r->status, "delivered");
	o->n++;
	o->already += rec.delivered;
	return mf_extsort_add(o->sort, &rec, s->diag);
}

int mf_exp_refs_open(struct mf_export *ex, int64_t mailbox_id, struct mf_exp_refs *out,
		     struct mf_diag *diag)
{
	const struct mf_export_opts *opts = ex->opts;
	struct refs s;
	int rc;

	memset(out, 0, sizeof(*out));
	mf_strmap_init(&out->ord, MF_STRMAP_COPY);
	out->sort = mf_extsort_new(sizeof(struct ref_rec), REFS_RUN, cmp_ref, out, NULL);
	memset(&s, 0, sizeof(s));
	s.opts = opts;
	s.out = out;
	s.diag = diag;
	rc = mf_store_message_scan(ex->st, mailbox_id, ex->target,
				   opts->has_since ? &opts->since : NULL,
				   opts->has_until ? &opts->until : NULL, refs_visit, &s, diag);
	if (rc == MF_OK)
		rc = mf_extsort_finish(out->sort, diag);
	if (rc < 0)
		mf_exp_refs_close(out);
	return rc;
}

int mf_exp_refs_next(struct mf_exp_refs *r, struct mf_exp_msg_ref *out, struct mf_diag *diag)
{
	struct ref_rec rec;
	int rc;
	if (!r->sort)
		return 0;
	if ((rc = mf_extsort_next(r->sort, &rec, diag)) <= 0)
		return rc;
	out->id = rec.id;
	out->delivered = rec.delivered;
	return 1;
}

void mf_exp_refs_close(struct mf_exp_refs *r)
{
	mf_extsort_free(r->sort);
	mf_strmap_release(&r->ord);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	memset(r, 0, sizeof(*r));
}

/* The selection's alias order without reading the mailboxes table
 * through the alias index (a page read a mailbox once the table outgrows
 * the page cache, issue 15): one pass in id order (the table's own order)
 * puts a fixed-size record a selected mailbox into an external sort by
 * the key ORDER BY coalesce(alias, name) COLLATE NOCASE, id would give:
 * NULL first, then the bytes with ASCII letters folded (NOCASE), a
 * shorter key before a longer one it begins; then the id.  A key of
 * SEL_KEY bytes or more does not fit a record: the selection is then
 * made again through the index (mf_store_mailbox_order). */
#define SEL_KEY 112
#define SEL_RUN 4096

struct sel_rec {
	uint8_t null, pad[7];
	int64_t id;
	char key[SEL_KEY];       /* folded, NUL-padded */
};

static int cmp_sel(const void *a, const void *b, void *arg)
{
	const struct sel_rec *x = a, *y = b;
	int c;
	(void)arg;
	if (x->null != y->null)
		return x->null ? -1 : 1;
	if ((c = memcmp(x->key, y->key, SEL_KEY)) != 0)
		return c;
	return (x->id > y->id) - (x->id < y->id);
}

struct order {
	const struct mf_export_opts *opts;
	struct mf_strmap want;      /* opts->mailboxes, case-insensitive -> found */
	int64_t *ids;            /* the index path: the ids in alias order */
	size_t n, cap;
	int count_only;
	struct mf_extsort *sort; /* the id-order path */
	int too_long;            /* a key did not fit: the index path */
	struct mf_diag *diag;
};

static int order_visit(void *arg, int64_t id, const char *alias, const char *name,
		       const char *source_address)
{
	struct order *o = arg;
	if (o->opts->n_mailboxes) {
		uint64_t *f;
		if (!alias || !mf_strmap_get(&o->want, alias, NULL))
			return MF_OK;
		f = mf_strmap_ref(&o->want, alias, NULL);
		*f = 1;
	}
	if (o->opts->shard_n) {
		const char *key = source_address ? source_address : name ? name : "";
		if (mf_shard_hash(key) % o->opts->shard_n != o->opts->shard_i)
			return MF_OK;
	}
	if (o->count_only) {
		o->n++;
		return MF_OK;
	}
	if (o->sort) {
		struct sel_rec r;
		const char *k = alias ? alias : name;
		size_t l = k ? strlen(k) : 0;
		if (o->too_long)
			return MF_OK;
		if (l >= SEL_KEY) {
			o->too_long = 1;
			return MF_OK;
		}
		memset(&r, 0, sizeof(r));
		r.null = !k;
		r.id = id;
		for (size_t i = 0; i < l; i++)
			r.key[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
		o->n++;
		return mf_extsort_add(o->sort, &r, o->diag);
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 256;
		o->ids = mf_xreallocarray(o->ids, o->cap, sizeof(*o->ids));
	}
	o->ids[o->n++] = id;
	return MF_OK;
}

/* The sorted records of the id-order pass as ids in alias order. */
static int order_ids(struct order *o, struct mf_diag *diag)
{
	struct sel_rec r;
	size_t n = 0;
	int rc;

	if ((rc = mf_extsort_finish(o->sort, diag)) < 0)
		return rc;
	o->ids = mf_xreallocarray(NULL, o->n ? o->n : 1, sizeof(*o->ids));
	while (n < o->n && (rc = mf_extsort_next(o->sort, &r, diag)) == 1)
		o->ids[n++] = r.id;
	if (rc < 0)
		return rc;
	o->n = n;
	return MF_OK;
}

/* The selection in export order (count_only: in id order, counted). */
static int select_pass(struct mf_store *st, const struct mf_export_opts *opts, int count_only,
		       int64_t **out, size_t *n_out, struct mf_diag *diag)
{
	struct order o;
	int rc;

	if (out)
		*out = NULL;
	*n_out = 0;
	memset(&o, 0, sizeof(o));
	o.opts = opts;
	o.count_only = count_only;
	o.diag = diag;
	mf_strmap_init(&o.want, MF_STRMAP_NOCASE);
	for (size_t j = 0; j < opts->n_mailboxes; j++)
		mf_strmap_add(&o.want, opts->mailboxes[j], 0);
	if (!count_only)
		o.sort = mf_extsort_new(sizeof(struct sel_rec), SEL_RUN, cmp_sel, NULL, NULL);
	rc = mf_store_mailbox_each(st, order_visit, &o, diag);
	if (rc == MF_OK && o.sort && !o.too_long)
		rc = order_ids(&o, diag);
	mf_extsort_free(o.sort);
	o.sort = NULL;
	if (rc == MF_OK && o.too_long) {
		o.n = 0;
		rc = mf_store_mailbox_order(st, order_visit, &o, diag);
	}
	for (size_t j = 0; rc == MF_OK && j < opts->n_mailboxes; j++) {
		uint64_t f = 0;
		mf_strmap_get(&o.want, opts->mailboxes[j], &f);
		if (!f)
			rc = mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					 "no mailbox with alias '%s' (see 'mailferry status')",
					 opts->mailboxes[j]);
	}
	mf_strmap_release(&o.want);
	if (rc < 0) {
		free(o.ids);
		return rc;
	}
	if (out)
		*out = o.ids;
	else
		free(o.ids);
	*n_out = o.n;
	return MF_OK;
}

int mf_export_select(struct mf_store *st, const struct mf_export_opts *opts, int64_t **out,
		     size_t *n_out, struct mf_diag *diag)
{
	return select_pass(st, opts, 0, out, n_out, diag);
}

int mf_export_select_count(struct mf_store *st, const struct mf_export_opts *opts,
			   size_t *n_out, struct mf_diag *diag)
{
	return select_pass(st, opts, 1, NULL, n_out, diag);
}

static int cmp_walk(const void *a, const void *b, void *arg)
{
	const int64_t *ids = arg;
	int64_t x = ids[*(const uint32_t *)a], y = ids[*(const uint32_t *)b];
	return (x > y) - (x < y);
}

uint32_t *mf_export_walk(const struct mf_exporter *exp, const int64_t *ids, size_t n)
{
	if (!exp || !(exp->caps & MF_EXP_ID_ORDER))
		return NULL;
	return mf_export_walk_ids(ids, n);
}

uint32_t *mf_export_walk_ids(const int64_t *ids, size_t n)
{
	uint32_t *walk;

	if (n < 2 || n > UINT32_MAX)
		return NULL;
	walk = mf_xreallocarray(NULL, n, sizeof(*walk));
	for (size_t k = 0; k < n; k++)
		walk[k] = (uint32_t)k;
	qsort_r(walk, n, sizeof(*walk), cmp_walk, (void *)ids);
	return walk;
}
