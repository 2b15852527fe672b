/* SPDX-License-Identifier: MIT */
/*
 * files.h: what the file exporters (Maildir, mbox, EML, iCalendar) share.
 *
 * Layout of an output folder DIR:
 *
 *   DIR/<alias>/...           a personal mailbox
 *   DIR/public/...            public folders (bulletin boards): a Maildir++
 *                             root for maildir, DIR/public/<alias>/... for
 *                             the others
 *
 * so the alias "public" is refused for a personal mailbox (the plan's
 * --alias-map renames it).  Every name taken from source data (folder
 * levels, subjects) goes through mf_safe_filename (core/safename.h) or the
 * Maildir++ folder encoding, so nothing is ever written outside DIR.
 *
 * Durability.  Files are written under a temporary name and renamed into
 * place (a reader never sees half a file; a re-delivery replaces, never
 * duplicates).  They are not fsynced one by one: deliveries are reported
 * to the driver as MF_PUT_PENDING and confirmed in batches after one
 * syncfs() of the output file system (mf_files_flush), so the ledger never
 * records a message the disk might still lose.  An exporter with the
 * driver's sync barrier (mbox, eml, ics: engine/exporter.h, sync, with
 * f->barrier set) confirms once its data is written and leaves the
 * syncfs() to mf_files_sync, which the driver calls right before it
 * commits rows, about every two seconds: not one syncfs() and one ledger
 * transaction per mailbox (issue 15).
 */
#ifndef MF_EXPORTERS_FILES_H
#define MF_EXPORTERS_FILES_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/mime.h"
#include "engine/exporter.h"

/* Bytes of one folder level in a file name (UTF-8, after sanitising). */
#define MF_FILES_LEVEL_MAX 100

struct mf_files_pending {
	const char *kind;            /* "message", "calendar" (static) */
	int64_t item_id, mailbox_id;
	char *remote_id;
	char sha256[65];
	int64_t bytes;
};

struct mf_files {
	struct mf_export *ex;
	struct mf_store *st;
	const struct mf_export_opts *opts;
	char *root;                  /* canonical output folder */
	char *target;                /* "<format>:<root>" (ledger and leases) */
	int root_fd;                 /* open on root: syncfs, and the *at calls */
	struct mf_mime_opts mime;
	struct mf_buf msg;           /* reused per message */
	struct mf_files_pending *pend;
	size_t n_pend, cap_pend;
	int64_t last_flush_ms;
	int barrier;                 /* the driver syncs (mf_files_sync) before it commits */
};

/*
 * Create opts->out (mkdir -p), resolve it and fill f.  format names the
 * exporter (part of the target identity: two formats never share a ledger).
 * crlf: line ends of built messages.  MF_EUSAGE without --out, MF_EIO when
 * the folder cannot be made or written.
 */
int mf_files_open(struct mf_files *f, const char *format, int crlf,
		  struct mf_export *ex, struct mf_store *st,
		  const struct mf_export_opts *opts, struct mf_diag *diag);
void mf_files_release(struct mf_files *f);

/* The folder name of a mailbox below DIR (or below DIR/public for public
 * ones): its alias, or, without one, its safe name and id.  MF_EUSAGE for
 * the alias "public" on a personal mailbox. */
int mf_files_mailbox_name(char *out, size_t cap, const struct mf_mailbox *mb,
			  struct mf_diag *diag);
/* 1 for a public mailbox (kind "public"). */
int mf_files_is_public(const struct mf_mailbox *mb);

/* Append the safe relative path of a staged folder path ("Projects\Q2" ->
 * "Projects/Q2"): every level through mf_safe_filename, at most
 * MF_FILES_LEVEL_MAX bytes each, '/' between levels. */
int mf_files_folder_path(struct mf_buf *out, const char *staged_path);

/* Is the top level of a staged folder path the inbox ("Inbox", any case)? */
int mf_files_is_inbox(const char *staged_path, size_t len);

/*
 * Write data to path under a temporary name in tmp_dir (NULL: path's own
 * folder, as ".<name>.tmp.<pid>") and rename it into place, setting the
 * file's modification time to mtime first when mtime >= 0.  No fsync:
 * see mf_files_flush.  MF_EIO with diag naming path.
 */
int mf_files_write(const char *path, const char *tmp_dir, const void *data,
		   size_t len, int64_t mtime, struct mf_diag *diag);
/* The same for rel, a path relative to the output folder, opened and
 * renamed through f->root_fd (no look-up of the folders above it); diag
 * names the full path. */
int mf_files_write_rel(struct mf_files *f, const char *rel, const void *data, size_t len,
		       int64_t mtime, struct mf_diag *diag);

/* Remember a written item; mf_files_flush confirms it.  Fills res as
 * MF_PUT_PENDING. */
void mf_files_pending(struct mf_files *f, struct mf_put_result *res, const char *kind,
		      int64_t item_id, int64_t mailbox_id, const char *remote_id,
		      const void *data, size_t len);
/* The same with the SHA-256 of the item's len bytes already computed (hex,
 * as mf_sha256_final writes it). */
void mf_files_pending_sum(struct mf_files *f, struct mf_put_result *res, const char *kind,
			  int64_t item_id, int64_t mailbox_id, const char *remote_id,
			  const char sha256[65], size_t len);
/*
 * Make every pending item durable (syncfs) and confirm it to the driver.
 * Without force only when 500 items are waiting or 2 seconds have passed.
 * With f->barrier: confirmed at once, without a syncfs() (the driver's
 * barrier, mf_files_sync, comes before their rows are committed).
 */
int mf_files_flush(struct mf_files *f, int force, struct mf_diag *diag);
/* The sync barrier (engine/exporter.h, sync): one syncfs() of the output
 * file system.  MF_EIO with diag naming the folder. */
int mf_files_sync(struct mf_files *f, struct mf_diag *diag);
/* Forget pending items unconfirmed (a mailbox that failed: a re-run
 * writes them again, harmlessly). */
void mf_files_drop(struct mf_files *f);

/*
 * Build m into f->msg.  MF_OK; MF_SKIP when this message cannot be built
 * (res is then filled as MF_PUT_REFUSED and a problem recorded); or a
 * negative code.
 */
int mf_files_build(struct mf_files *f, const struct mf_message *m,
		   const struct mf_mailbox *mb, struct mf_put_result *res,
		   struct mf_diag *diag);

/* Fill res as refused with a problem of the given code. */
void mf_files_refuse(struct mf_files *f, struct mf_put_result *res, const char *code,
		     const struct mf_mailbox *mb, const struct mf_message *m,
		     const char *fmt, ...) MF_ATTR_PRINTF(6, 7);

/* The time a message file should carry: received, else sent; -1 unknown. */
int64_t mf_files_message_time(const struct mf_message *m);

/* Hex digits identifying a staged message in file names (from
 * mf_mime_staged_id), n <= 64, into out[n + 1]. */
void mf_files_message_hex(char *out, size_t n, const struct mf_message *m);

/*
 * For verify (exporters/files/verify_files.c): the Maildir++ folder
 * directory of a staged folder path, relative to DIR ("<alias>",
 * "<alias>/.Sent Items", "public/.<alias>.X"), appended to out, as the
 * maildir exporter names it.  MF_ETOOBIG when the name is too long (the
 * exporter refuses such a folder's messages).
 */
int mf_maildir_folder_rel(struct mf_buf *out, const struct mf_mailbox *mb, const char *path,
			  struct mf_diag *diag);

/* The verify callbacks of the file exporters (verify_files.c, verify_ics.c). */
struct mf_verify;
int mf_files_verify_maildir(struct mf_verify *v, struct mf_diag *diag);
int mf_files_verify_mbox(struct mf_verify *v, struct mf_diag *diag);
int mf_files_verify_eml(struct mf_verify *v, struct mf_diag *diag);
int mf_files_verify_ics(struct mf_verify *v, struct mf_diag *diag);

#endif
