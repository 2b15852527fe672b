/* SPDX-License-Identifier: MIT */
/*
 * extsort.c: sorted runs in a spill file, merged on reading (extsort.h).
 */
#include "core/extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MERGE_BYTES 4096u    /* read buffer of one run while merging */

struct run {
	uint64_t off, left;      /* next unread record in the file, records left there */
	uint8_t *buf;
	size_t have, at;         /* records in buf, next one */
};

struct mf_extsort {
	size_t rec, run;
	mf_extsort_cmp cmp;
	void *arg;
	char *dir;
	char *path;              /* the spill file (unlinked) */
	int fd;
	uint8_t *held;           /* records in memory */
	size_t nheld, capheld;
	uint8_t *tmp;            /* one record (swaps) */
	uint64_t count, spilled; /* records added, records in the file */
	struct run *runs;
	size_t nruns, capruns;
	size_t *heap;            /* merge: runs by their current record */
	size_t nheap;
	size_t next;             /* in-memory reading: next held record */
	int finished, failed;
};

struct mf_extsort *mf_extsort_new(size_t rec_size, size_t run, mf_extsort_cmp cmp, void *arg,
				  const char *dir)
{
	struct mf_extsort *s = mf_xcalloc(1, sizeof(*s));
	s->rec = rec_size;
	s->run = run < 2 ? 2 : run;
	s->cmp = cmp;
	s->arg = arg;
	s->fd = -1;
	if (dir)
		s->dir = mf_xstrdup(dir);
	s->tmp = mf_xmalloc(rec_size);
	return s;
}

static uint8_t *at(const struct mf_extsort *s, uint8_t *base, size_t i)
{
	return base + i * s->rec;
}

/* heapsort of n records at base: in place, no memory beyond one record */
static void sift(struct mf_extsort *s, uint8_t *base, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && s->cmp(at(s, base, c + 1), at(s, base, c), s->arg) > 0)
			c++;
		if (s->cmp(at(s, base, c), at(s, base, i), s->arg) <= 0)
			return;
		memcpy(s->tmp, at(s, base, i), s->rec);
		memcpy(at(s, base, i), at(s, base, c), s->rec);
		memcpy(at(s, base, c), s->tmp, s->rec);
		i = c;
	}
}

static void sort_held(struct mf_extsort *s)
{
	size_t n = s->nheld;
	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift(s, s->held, i, n);
	for (size_t e = n - 1; e > 0; e--) {
		memcpy(s->tmp, s->held, s->rec);
		memcpy(s->held, at(s, s->held, e), s->rec);
		memcpy(at(s, s->held, e), s->tmp, s->rec);
		sift(s, s->held, 0, e);
	}
}

static int fail_errno(struct mf_extsort *s, struct mf_diag *d, const char *what)
{
	s->failed = 1;
	return mf_diag_errno(d, MF_EIO, s->path, "%s", what);
}

static int open_spill(struct mf_extsort *s, struct mf_diag *d)
{
	const char *dir = s->dir;
	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	s->path = mf_xasprintf("%s/mailferry-sort.XXXXXX", dir);
	s->fd = mkostemp(s->path, O_CLOEXEC);
	if (s->fd < 0)
		return fail_errno(s, d, "cannot create the sort's spill file");
	/* nothing to clean up on any path from here on */
	unlink(s->path);
	return MF_OK;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Sort the held records and append them to the spill file as one run. */
static int spill(struct mf_extsort *s, struct mf_diag *d)
{
	int rc;
	if (s->fd < 0 && (rc = open_spill(s, d)) < 0)
		return rc;
	sort_held(s);
	if (pwrite_all(s->fd, s->held, s->nheld * s->rec, s->spilled * s->rec) != 0)
		return fail_errno(s, d, "cannot write the sort's spill file");
	if (s->nruns == s->capruns) {
		s->capruns = s->capruns ? s->capruns * 2 : 16;
		s->runs = mf_xreallocarray(s->runs, s->capruns, sizeof(*s->runs));
	}
	memset(&s->runs[s->nruns], 0, sizeof(s->runs[0]));
	s->runs[s->nruns].off = s->spilled;
	s->runs[s->nruns].left = s->nheld;
	s->nruns++;
	s->spilled += s->nheld;
	s->nheld = 0;
	return MF_OK;
}

int mf_extsort_add(struct mf_extsort *s, const void *rec, struct mf_diag *d)
{
	int rc;
	if (s->failed || s->finished)
		return mf_diag_set(d, MF_EUSAGE, s->path, MF_NO_OFFSET, "sorter not accepting records");
	if (s->nheld == s->run && (rc = spill(s, d)) < 0)
		return rc;
	if (s->nheld == s->capheld) {
		s->capheld = s->capheld ? s->capheld * 2 : 64;
		if (s->capheld > s->run)
			s->capheld = s->run;
		s->held = mf_xreallocarray(s->held, s->capheld, s->rec);
	}
	memcpy(at(s, s->held, s->nheld++), rec, s->rec);
	s->count++;
	return MF_OK;
}

/* Refill run r's buffer; 0 when it is exhausted. */
static int refill(struct mf_extsort *s, struct run *r, struct mf_diag *d)
{
	size_t per = MERGE_BYTES / s->rec ? MERGE_BYTES / s->rec : 1;
	size_t k = r->left < per ? (size_t)r->left : per, got = 0;
	if (!k)
		return 0;
	while (got < k * s->rec) {
		ssize_t n = pread(s->fd, r->buf + got, k * s->rec - got,
				  (off_t)(r->off * s->rec + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return fail_errno(s, d, "cannot read the sort's spill file back");
		}
		got += (size_t)n;
	}
	r->off += k;
	r->left -= k;
	r->have = k;
	r->at = 0;
	return 1;
}

static const uint8_t *cur(const struct mf_extsort *s, size_t r)
{
	return s->runs[r].buf + s->runs[r].at * s->rec;
}

static int heap_less(struct mf_extsort *s, size_t a, size_t b)
{
	return s->cmp(cur(s, s->heap[a]), cur(s, s->heap[b]), s->arg) < 0;
}

static void heap_down(struct mf_extsort *s, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, t;
		if (c >= s->nheap)
			return;
		if (c + 1 < s->nheap && heap_less(s, c + 1, c))
			c++;
		if (!heap_less(s, c, i))
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[c];
		s->heap[c] = t;
		i = c;
	}
}

int mf_extsort_finish(struct mf_extsort *s, struct mf_diag *d)
{
	int rc;
	if (s->failed)
		return mf_diag_set(d, MF_EIO, s->path, MF_NO_OFFSET, "sorter failed before");
	if (s->finished)
		return MF_OK;
	s->finished = 1;
	if (!s->nruns) {
		sort_held(s);
		return MF_OK;
	}
	if (s->nheld && (rc = spill(s, d)) < 0)
		return rc;
	free(s->held);
	s->held = NULL;
	s->capheld = 0;
	s->heap = mf_xcalloc(s->nruns, sizeof(*s->heap));
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = &s->runs[i];
		size_t per = MERGE_BYTES / s->rec ? MERGE_BYTES / s->rec : 1;
		r->buf = mf_xmalloc(per * s->rec);
		if ((rc = refill(s, r, d)) < 0)
			return rc;
		if (rc)
			s->heap[s->nheap++] = i;
	}
	for (size_t i = s->nheap / 2; i-- > 0;)
		heap_down(s, i);
	return MF_OK;
}

int mf_extsort_next(struct mf_extsort *s, void *rec, struct mf_diag *d)
{
	struct run *r;
	int rc;
	if (s->failed)
		return mf_diag_set(d, MF_EIO, s->path, MF_NO_OFFSET, "sorter failed before");
	if (!s->finished && (rc = mf_extsort_finish(s, d)) < 0)
		return rc;
	if (!s->nruns) {
		if (s->next >= s->nheld)
			return 0;
		memcpy(rec, at(s, s->held, s->next++), s->rec);
		return 1;
	}
	if (!s->nheap)
		return 0;
	r = &s->runs[s->heap[0]];
	memcpy(rec, r->buf + r->at * s->rec, s->rec);
	if (++r->at == r->have) {
		if ((rc = refill(s, r, d)) < 0)
			return rc;
		if (!rc) {
			free(r->buf);
			r->buf = NULL;
			s->heap[0] = s->heap[--s->nheap];
		}
	}
	heap_down(s, 0);
	return 1;
}

uint64_t mf_extsort_count(const struct mf_extsort *s)
{
	return s->count;
}

size_t mf_extsort_runs(const struct mf_extsort *s)
{
	return s->nruns;
}

void mf_extsort_free(struct mf_extsort *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->nruns; i++)
		free(s->runs[i].buf);
	free(s->runs);
	free(s->heap);
	free(s->held);
	free(s->tmp);
	free(s->path);
	free(s->dir);
	free(s);
}
