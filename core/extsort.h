/* SPDX-License-Identifier: MIT */
/*
 * extsort.h: sorting any number of fixed-size records in bounded memory.
 *
 * Records are added in any order and read back in the order of cmp.  Up to
 * `run` records are held in memory; past that, each full run is sorted and
 * written to a spill file, and reading merges the runs (one small buffer
 * per run).  The spill file is created in dir (NULL: $TMPDIR, else /tmp)
 * and unlinked at once, so no path (error, kill) leaves it behind.  A
 * selection that fits in one run never touches the disk.
 *
 *     struct mf_extsort *s = mf_extsort_new(sizeof(rec), 8192, cmp, arg, NULL);
 *     while (...) mf_extsort_add(s, &rec, d);
 *     mf_extsort_finish(s, d);
 *     while ((rc = mf_extsort_next(s, &rec, d)) == 1) ...
 *     mf_extsort_free(s);
 *
 * Errors (the spill file cannot be created, written or read) are MF_EIO
 * naming the file; the sorter is then unusable but may still be freed.
 */
#ifndef MF_CORE_EXTSORT_H
#define MF_CORE_EXTSORT_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

struct mf_extsort;

typedef int (*mf_extsort_cmp)(const void *a, const void *b, void *arg);

/* rec_size: bytes of a record (1..4096); run: records held in memory (at
 * least 2); cmp must be a total order for the output to be deterministic. */
struct mf_extsort *mf_extsort_new(size_t rec_size, size_t run, mf_extsort_cmp cmp, void *arg,
				  const char *dir);
int mf_extsort_add(struct mf_extsort *s, const void *rec, struct mf_diag *d);
/* No more records: sort what is held and prepare the merge. */
int mf_extsort_finish(struct mf_extsort *s, struct mf_diag *d);
/* The next record in order: 1, 0 at the end, < 0 on error. */
int mf_extsort_next(struct mf_extsort *s, void *rec, struct mf_diag *d);
uint64_t mf_extsort_count(const struct mf_extsort *s);
/* Runs written to the spill file so far (0: all in memory). */
size_t mf_extsort_runs(const struct mf_extsort *s);
void mf_extsort_free(struct mf_extsort *s);

#endif
