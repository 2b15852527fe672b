/* SPDX-License-Identifier: MIT */
/*
 * pst_mapping.h: DIR/PstImportMapping.csv, the mapping file of Microsoft's
 * PST import service, in memory that does not grow with the number of
 * files.
 *
 * One row per .pst file in DIR: the files this run wrote or found in place
 * (pst_mapping_add, in any order), and the rows of an earlier CSV in DIR
 * for files that are still there and that this run did not name.  Of two
 * rows for one file name the later wins (this run's over the earlier
 * CSV's).  Rows are written sorted by file name (bytewise).
 *
 * The rows go through an external sort (core/extsort): at most `run` of
 * them are held in memory, the rest are in an unlinked spill file, and
 * each row's Mailbox value is in an unlinked strings file; the earlier
 * CSV is read a line at a time.  A run over 100,000 mailboxes holds what
 * a run over 1,000 holds.
 *
 *     struct pst_mapping *m = pst_mapping_new(dir, 0);
 *     pst_mapping_add(m, "BergA.pst", "BergA@example.com", d);   ...
 *     pst_mapping_prepare(m, &names_directory, d);   the new CSV, as a
 *                                                    temporary file
 *     pst_mapping_commit(m, d);                      renamed into place
 *     pst_mapping_free(m);    (a prepared CSV not committed is removed)
 */
#ifndef MF_EXPORTERS_PST_PST_MAPPING_H
#define MF_EXPORTERS_PST_PST_MAPPING_H

#include <stddef.h>
#include "core/mf.h"

#define PST_MAPPING_NAME "PstImportMapping.csv"
#define PST_MAPPING_NAME_MAX 255   /* bytes of a file name in a row */
#define PST_MAPPING_LINE_MAX (64u << 10)  /* longer lines of an earlier CSV are not rows */

struct pst_mapping;

/* dir: the output folder (DIR); run: rows held in memory before they are
 * spilled (0: the default). */
struct pst_mapping *pst_mapping_new(const char *dir, size_t run);

/* A file of this run (a name in dir) and the Mailbox it is imported into.
 * MF_EUSAGE for a name longer than PST_MAPPING_NAME_MAX, MF_EIO when the
 * spill or strings file fails. */
int pst_mapping_add(struct pst_mapping *m, const char *name, const char *mailbox,
		    struct mf_diag *d);

/* Read the earlier CSV (if any), and write the new one to a temporary
 * file in dir (.PstImportMapping.csv.tmp.<pid>), fsynced.
 * *names_directory: a row's file name is "directory.pst" (any case).
 * Once only. */
int pst_mapping_prepare(struct pst_mapping *m, int *names_directory, struct mf_diag *d);

/* Rename the prepared CSV into place. */
int pst_mapping_commit(struct pst_mapping *m, struct mf_diag *d);

/* Rows added (this run's and the earlier CSV's kept, before duplicates
 * are resolved), and the sort's runs written to its spill file. */
size_t pst_mapping_count(const struct pst_mapping *m);
size_t pst_mapping_spilled_runs(const struct pst_mapping *m);

void pst_mapping_free(struct pst_mapping *m);

#endif
