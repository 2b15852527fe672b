/* SPDX-License-Identifier: MIT */
/* verify.c: the verify driver (see verify.h). */
#include "engine/verify.h"
#include "engine/export.h"

#include "core/extsort.h"
#include "core/fsutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mf_verify {
	struct mf_store *st;
	const struct mf_export_opts *opts;
	FILE *out;
	struct mf_verify_sum *sum;
	int64_t *ids;
	size_t nmb;
	/* the walk (mf_export_walk; NULL: alias order, lines written at once)
	 * and, with one, the report's lines kept for alias order: their text
	 * in lines_f, a record each in lines */
	uint32_t *walk;
	uint64_t key;               /* the current line's place: see line_rec */
	uint64_t nlines;
	FILE *lines_f;
	uint64_t lines_off;
	struct mf_extsort *lines;
	int lines_failed;
	struct mf_mailbox cur;
	struct mf_arena cur_arena;
};

/* A kept line: key 0 before the first mailbox, 1 + the mailbox's place in
 * alias order during the walk, UINT64_MAX after it; then the order it
 * came in. */
struct line_rec {
	uint64_t key, n, off, len;
};

static int cmp_line(const void *a, const void *b, void *arg)
{
	const struct line_rec *x = a, *y = b;
	(void)arg;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->n > y->n) - (x->n < y->n);
}

/* Write the kept lines to v->out in alias order. */
static int lines_write(struct mf_verify *v, struct mf_diag *diag)
{
	struct line_rec r;
	char buf[4096];
	int rc;

	if (!v->lines)
		return MF_OK;
	if (v->lines_failed)
		return mf_diag_errno(diag, MF_EIO, NULL, "cannot keep verify's report lines");
	if ((rc = mf_extsort_finish(v->lines, diag)) < 0)
		return rc;
	while ((rc = mf_extsort_next(v->lines, &r, diag)) == 1) {
		uint64_t left = r.len;
		if (fseeko(v->lines_f, (off_t)r.off, SEEK_SET) != 0)
			return mf_diag_errno(diag, MF_EIO, NULL, "cannot read verify's report lines");
		while (left) {
			size_t k = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			if (fread(buf, 1, k, v->lines_f) != k)
				return mf_diag_errno(diag, MF_EIO, NULL,
						     "cannot read verify's report lines");
			fwrite(buf, 1, k, v->out);
			left -= k;
		}
	}
	return rc;
}

int mf_verify_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, FILE *out, struct mf_verify_sum *sum,
		  struct mf_diag *diag)
{
	struct mf_verify v;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (!exp->verify)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "'verify' is not offered for %s", exp->name);
	memset(&v, 0, sizeof(v));
	v.st = st;
	v.opts = opts;
	v.out = out;
	v.sum = sum;
	v.cur_arena = (struct mf_arena)MF_ARENA_INIT;
	/* a fixed cache that a small store fills as a large one does
	 * (core/store.h; issue 15) */
	mf_store_cache_kib(st, MF_STORE_WALK_CACHE_KIB);
	if ((rc = mf_export_select(st, opts, &v.ids, &v.nmb, diag)) == MF_OK) {
		/* the store's rows in the order they lie in (see mf_export_walk) */
		if ((v.walk = mf_export_walk(exp, v.ids, v.nmb)))
			v.lines = mf_extsort_new(sizeof(struct line_rec), 4096, cmp_line, NULL,
						 NULL);
		rc = exp->verify(&v, diag);
		if (rc == MF_OK)
			rc = lines_write(&v, diag);
		else
			lines_write(&v, &(struct mf_diag){ 0 });
	}
	mf_store_read_end(st);
	mf_extsort_free(v.lines);
	if (v.lines_f)
		fclose(v.lines_f);
	free(v.walk);
	free(v.ids);
	mf_arena_release(&v.cur_arena);
	return rc;
}

const struct mf_export_opts *mf_verify_opts(const struct mf_verify *v)
{
	return v->opts;
}

struct mf_verify_sum *mf_verify_sum(struct mf_verify *v)
{
	return v->sum;
}

struct mf_store *mf_verify_store(struct mf_verify *v)
{
	return v->st;
}

FILE *mf_verify_out(struct mf_verify *v)
{
	return v->out;
}

size_t mf_verify_count(const struct mf_verify *v)
{
	return v->nmb;
}

const struct mf_mailbox *mf_verify_mailbox_at(struct mf_verify *v, size_t i)
{
	struct mf_diag d;
	if (i >= v->nmb)
		return NULL;
	/* one read transaction per mailbox: its statements share one
	 * snapshot and one lock instead of taking and giving back a lock
	 * each; the previous mailbox's ends here (verify writes nothing) */
	mf_store_read_end(v->st);
	if (mf_store_read_begin(v->st, &d) < 0) {
		v->key = 1 + (uint64_t)(v->walk ? v->walk[i] : i);
		mf_verify_mismatch(v, "mailbox %lld: cannot be read back from the staging database "
				   "(%s)", (long long)v->ids[v->walk ? v->walk[i] : i], d.msg);
		return NULL;
	}
	if (v->walk)
		i = v->walk[i];
	v->key = 1 + (uint64_t)i;
	mf_arena_reset(&v->cur_arena);
	if (mf_store_mailbox_load(v->st, &v->cur, v->ids[i], &v->cur_arena, &d) < 0) {
		mf_verify_mismatch(v, "mailbox %lld: cannot be read back from the staging database "
				   "(%s)", (long long)v->ids[i], d.msg);
		return NULL;
	}
	return &v->cur;
}

void mf_verify_walk_done(struct mf_verify *v)
{
	v->key = UINT64_MAX;
}

const char *mf_verify_name(const struct mf_mailbox *mb)
{
	return mb->alias && *mb->alias ? mb->alias : mb->name ? mb->name : "?";
}

void mf_verify_mismatch(struct mf_verify *v, const char *fmt, ...)
{
	va_list ap;
	v->sum->mismatches++;
	if (v->lines) {
		/* kept for alias order (see mf_verify_run) */
		struct line_rec r;
		int n;
		struct mf_diag d;
		if (v->lines_failed)
			return;
		if (!v->lines_f && !(v->lines_f = tmpfile())) {
			v->lines_failed = 1;
			return;
		}
		va_start(ap, fmt);
		n = vfprintf(v->lines_f, fmt, ap);
		va_end(ap);
		if (n < 0 || fputc('\n', v->lines_f) == EOF) {
			v->lines_failed = 1;
			return;
		}
		r.key = v->key;
		r.n = v->nlines++;
		r.off = v->lines_off;
		r.len = (uint64_t)n + 1;
		v->lines_off += r.len;
		if (mf_extsort_add(v->lines, &r, &d) < 0)
			v->lines_failed = 1;
		return;
	}
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
}

const struct mf_ledger_row *mf_verify_find(const struct mf_verify_mailbox *vm, int64_t id)
{
	size_t lo = 0, hi = vm->n_all;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (vm->all[mid].item_id == id)
			return &vm->all[mid];
		if (vm->all[mid].item_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int mf_verify_mailbox_load(struct mf_verify *v, const char *target, const struct mf_mailbox *mb,
			   struct mf_verify_mailbox *out, struct mf_arena *arena,
			   struct mf_diag *diag)
{
	struct mf_export_msg *refs = NULL;
	const char **folders = NULL;
	size_t nrefs = 0, nf = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mf_store_verify_messages(v->st, target, mb->id, &out->all, &out->n_all, arena,
					   diag)) < 0)
		goto fail;
	if ((rc = mf_store_verify_ledger(v->st, target, "mailbox", mb->id, &out->mbox_rows,
					 &out->n_mbox_rows, arena, diag)) < 0)
		goto fail;
	for (size_t i = 0; i < out->n_mbox_rows; i++)
		if (out->mbox_rows[i].item_id == mb->id)
			out->mailbox_row = &out->mbox_rows[i];
	/* the folders handed to mailbox_begin: the ones the selection keeps */
	if ((rc = mf_store_verify_folders(v->st, mb->id, &folders, &nf, arena, diag)) < 0)
		goto fail;
	out->folders = mf_xreallocarray(NULL, nf ? nf : 1, sizeof(*out->folders));
	for (size_t i = 0; i < nf; i++)
		if (mf_export_folder_selected(v->opts, folders[i]))
			out->folders[out->n_folders++] = folders[i];
	free(folders);
	/* the messages, as the export selects them */
	if (mb->mail_skipped || v->opts->no_mail)
		return MF_OK;
	if ((rc = mf_export_select_messages(v->st, v->opts, target, mb->id, &refs, &nrefs, arena,
					    diag)) < 0)
		goto fail;
	out->selected = mf_xreallocarray(NULL, nrefs ? nrefs : 1, sizeof(*out->selected));
	for (size_t i = 0; i < nrefs; i++) {
		const struct mf_ledger_row *r = mf_verify_find(out, refs[i].id);
		if (r)
			out->selected[out->n_selected++] = *r;
	}
	return MF_OK;
fail:
	mf_verify_mailbox_release(out);
	return rc;
}

void mf_verify_mailbox_release(struct mf_verify_mailbox *m)
{
	free(m->selected);
	free(m->all);
	free(m->folders);
	free(m->mbox_rows);
	memset(m, 0, sizeof(*m));
}

int mf_verify_mailbox_delivered(struct mf_verify *v, const struct mf_mailbox *mb,
				const struct mf_verify_mailbox *vm)
{
	mf_verify_sum(v)->mailboxes++;
	if (vm->mailbox_row && vm->mailbox_row->status &&
	    !strcmp(vm->mailbox_row->status, "delivered"))
		return 1;
	mf_verify_mismatch(v, "%s: the mailbox was never exported to this target",
			   mf_verify_name(mb));
	return 0;
}

size_t mf_verify_undelivered(struct mf_verify *v, const struct mf_mailbox *mb,
			     const struct mf_verify_mailbox *vm)
{
	size_t n = 0;
	for (size_t i = 0; i < vm->n_selected; i++) {
		const struct mf_ledger_row *r = &vm->selected[i];
		if (r->status && !strcmp(r->status, "delivered"))
			continue;
		mf_verify_mismatch(v, "%s: message %lld in '%s' was not delivered (%s)",
				   mf_verify_name(mb), (long long)r->item_id,
				   r->folder ? r->folder : "", r->status ? r->status : "not exported");
		n++;
	}
	return n;
}

int mf_verify_ledger(struct mf_verify *v, const char *target, const char *item_kind,
		     const struct mf_mailbox *mb, struct mf_ledger_row **out, size_t *n,
		     struct mf_arena *arena, struct mf_diag *diag)
{
	return mf_store_verify_ledger(v->st, target, item_kind, mb->id, out, n, arena, diag);
}

int mf_verify_calendar(struct mf_verify *v, const struct mf_mailbox *mb,
		       struct mf_calendar_item **out, size_t *n, struct mf_arena *arena,
		       struct mf_diag *diag)
{
	return mf_store_verify_calendar(v->st, mb->id, out, n, arena, diag);
}

int mf_verify_out_target(struct mf_verify *v, const char *format, char **root, char **target,
			 struct mf_diag *diag)
{
	char real[PATH_MAX], inst[33], *marker;
	struct stat sb;
	int rc;

	*root = *target = NULL;
	if (!v->opts->out || !*v->opts->out)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "%s needs --out DIR", format);
	if (!realpath(v->opts->out, real) || stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return mf_diag_set(diag, MF_ENOTFOUND, v->opts->out, MF_NO_OFFSET,
				   "no such output folder");
	marker = mf_xasprintf("%s/.mailferry-target", real);
	rc = access(marker, R_OK);
	free(marker);
	if (rc != 0)
		return mf_diag_set(diag, MF_ENOTFOUND, real, MF_NO_OFFSET,
				   "no export wrote into this folder (it has no .mailferry-target)");
	if ((rc = mf_target_instance(inst, real, diag)) < 0)
		return rc;
	*root = mf_xstrdup(real);
	*target = mf_xasprintf("%s:%s#%s", format, real, inst);
	return MF_OK;
}

static const struct mf_verify_piece *sort_base;

static int cmp_sha(const void *a, const void *b)
{
	const struct mf_verify_piece *x = &sort_base[*(const size_t *)a];
	const struct mf_verify_piece *y = &sort_base[*(const size_t *)b];
	int c = strcmp(x->sha256, y->sha256);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void mf_verify_pair(struct mf_verify_piece *want, size_t n_want, struct mf_verify_piece *got,
		    size_t n_got)
{
	size_t *ix = mf_xreallocarray(NULL, n_got ? n_got : 1, sizeof(*ix));

	for (size_t i = 0; i < n_want; i++)
		want[i].match = -1;
	for (size_t i = 0; i < n_got; i++) {
		got[i].match = -1;
		ix[i] = i;
	}
	sort_base = got;
	qsort(ix, n_got, sizeof(*ix), cmp_sha);
	sort_base = NULL;
	/* 1: equal digests, the same position first */
	for (size_t i = 0; i < n_want; i++) {
		size_t lo = 0, hi = n_got, pick = SIZE_MAX;
		if (!want[i].sha256[0])
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(got[ix[mid]].sha256, want[i].sha256) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < n_got && !strcmp(got[ix[k]].sha256, want[i].sha256); k++) {
			if (got[ix[k]].match >= 0)
				continue;
			if (pick == SIZE_MAX || got[ix[k]].pos == want[i].pos)
				pick = ix[k];
			if (got[ix[k]].pos == want[i].pos)
				break;
		}
		if (pick != SIZE_MAX) {
			want[i].match = (long)pick;
			got[pick].match = (long)i;
		}
	}
	/* 2: the rest by position */
	for (size_t i = 0; i < n_want; i++) {
		size_t lo = 0, hi = n_got;
		if (want[i].match >= 0)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (got[mid].pos < want[i].pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n_got && got[lo].pos == want[i].pos && got[lo].match < 0) {
			want[i].match = (long)lo;
			got[lo].match = (long)i;
		}
	}
	free(ix);
}
