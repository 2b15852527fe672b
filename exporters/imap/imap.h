/* SPDX-License-Identifier: MIT */
/*
 * imap.h: what the IMAP exporter (exporters/imap/imap.c) offers besides the
 * exporter itself: `mailferry verify imap` and the folder naming that the
 * export and the verification share.
 */
#ifndef MF_EXPORTERS_IMAP_H
#define MF_EXPORTERS_IMAP_H

#include <stdio.h>
#include "core/buf.h"
#include "core/store.h"
#include "engine/exporter.h"

/*
 * One level of a staged folder path made into a server name level:
 * characters the server cannot hold in a level (its hierarchy delimiter,
 * controls, the LIST wildcards '*' and '%') become '_', an empty level
 * "_", at most 200 bytes of UTF-8, then IMAP modified UTF-7.  Appended to
 * out.
 */
void mf_imap_level(struct mf_buf *out, const char *level, size_t len, char delim);

/* Figures of one verification. */
struct mf_imap_verify_sum {
	int64_t mailboxes, folders, messages;  /* checked */
	int64_t mismatches;                    /* every line printed */
};

/*
 * `mailferry verify imap`: for every mailbox the options select, log in as
 * the export does, check that the mailbox and each of its folders exist,
 * read every message the ledger records as delivered to this server back
 * by UID (BODY.PEEK[], INTERNALDATE, FLAGS) and compare it with the
 * staged message built again the same way: sha256 of the bytes, the
 * INTERNALDATE with the source date, the flags; and the number of
 * messages in each folder with the number the plan selects for it.
 * Every mismatch is one line on out.  MF_OK when the check ran (see
 * sum->mismatches), or a negative code with diag set when it could not
 * (server unreachable, login refused, database).
 */
int mf_imap_verify(struct mf_store *st, const struct mf_export_opts *opts, FILE *out,
		   struct mf_imap_verify_sum *sum, struct mf_diag *diag);

/* The exporter's verify callback (engine/exporter.h): mf_imap_verify over
 * the verify driver's store, options and output (exporters/imap/verify.c). */
struct mf_verify;
int mf_imap_verify_run(struct mf_verify *v, struct mf_diag *diag);

#endif
