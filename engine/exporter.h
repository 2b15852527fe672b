/* SPDX-License-Identifier: MIT */
/*
 * exporter.h: the contract between the export driver (engine/export.c) and an
 * exporter.
 *
 * An exporter writes staged mailboxes to one kind of target: Exchange
 * migration files, an IMAP server, Maildir, mbox, EML, iCalendar.  It is a
 * `const struct mf_exporter` listed in mf_exporters[] (exporters/registry.c).
 *
 * The driver owns everything that must be the same for every target:
 * selecting mailboxes and messages, the plan, leases (one run per mailbox
 * and target), the delivery ledger (what reached the target, so a re-run
 * sends only the rest), transactions, progress, problems and the run
 * summary.  The exporter only writes.  For one run the driver calls:
 *
 *     open
 *     for each selected mailbox it could lease, in alias order:
 *         mailbox_begin          (always: the mailbox must exist afterwards,
 *                                 even with no mail, and its folders too)
 *         put_message ...        (each selected message not yet delivered,
 *                                 in folder then date order; nested
 *                                 forwarded messages travel inside their
 *                                 parent, never on their own)
 *         put_calendar ...       (each calendar item not yet delivered)
 *         put_pab ...            (the personal address book, if any)
 *         mailbox_end            (flush; confirm pending deliveries)
 *     finish
 *     close
 *
 * Delivery states.  Each put_* fills a struct mf_put_result:
 *   MF_PUT_DELIVERED  the item is on the target (remote_id says where); the
 *                     driver records it in the ledger before the next item's
 *                     record commits.
 *   MF_PUT_PENDING    written but not yet final (a pipelined APPEND, a file
 *                     set finished at mailbox_end).  The exporter later calls
 *                     mf_export_confirm() (or mf_export_refuse()) for it,
 *                     at the latest from mailbox_end.
 *   MF_PUT_REFUSED    the target refused this item only (IMAP NO, a name it
 *                     cannot take): the driver records it as failed with a
 *                     problem naming the message, and goes on.
 * A negative return from put_* means the mailbox or the connection failed:
 * the driver records an error problem, calls mailbox_end with failed set,
 * releases the lease and goes on with the next mailbox.  A re-run resumes it.
 *
 * Idempotency.  The ledger commits after the target has the item, so a
 * crash between the two leaves an item on the target that the ledger does
 * not know.  Every exporter must make the re-delivery of such an item
 * harmless: file exporters by deterministic names and atomic renames (the
 * second write replaces the first), mbox by truncating to the last recorded
 * end offset, IMAP by looking for the message's Message-ID before
 * appending again into a mailbox that an earlier run left unfinished
 * (mf_export_mailbox_resumed).
 *
 * Adding a new exporter
 * ---------------------
 *  1. exporters/<name>.c with the callbacks below and
 *         const struct mf_exporter mf_exporter_<name> = { .name = ..., ... };
 *  2. add &mf_exporter_<name> to mf_exporters[] in exporters/registry.c;
 *  3. tests in tests/ that read the output back, and a line in the README's
 *     format table.
 * Output built from source data (file names, folder names, CSV fields,
 * protocol strings) is sanitised or quoted in the exporter: see
 * core/safename.h.
 */
#ifndef MF_EXPORTERS_EXPORTER_H
#define MF_EXPORTERS_EXPORTER_H

#include <stdint.h>
#include "core/mf.h"
#include "core/model.h"
#include "core/store.h"

struct mf_export;          /* the driver's state for one run (engine/export.c) */
struct mf_export_mbox_sum; /* one mailbox's figures (engine/export.h) */
struct mf_export_ctx;      /* an exporter's own state, opaque to the driver */

/* Options of `mailferry export <name>`.  One struct for every exporter:
 * each reads the fields it understands.  Strings are borrowed. */
struct mf_export_opts {
	/* target */
	const char *out;            /* output folder (file exporters, exchange) */
	const char *url;            /* imap[s]://host[:port] */
	const char *admin;          /* IMAP admin / master user */
	const char *password_file;  /* file holding the admin password */
	const char *oauth2_token_file;
	const char *login_format;   /* "%u*%a": how the admin acts for a user */
	int starttls;
	int tls_verify;             /* default 1 */
	const char *public_folder;  /* IMAP: where public folders go without a shared namespace */
	int flag_urgent;            /* IMAP: \Flagged for high priority */
	/* format */
	const char *codepage;       /* exchange: Windows code page of the files (default 1252) */
	const char *directory_mode; /* exchange: "create" or "skip" */
	int keep_raw_headers;       /* MIME: keep the source header block */
	const char *vcard_version;  /* vcard, carddav: "4.0" (default) or "3.0" */
	const char *dav_layout;     /* carddav, caldav: collection path below --url,
	                             * %a alias, %t contacts|calendar (default "%a/%t/") */
	/* selection (honoured by the driver) */
	const char *const *mailboxes;  /* aliases; NULL/0: all */
	size_t n_mailboxes;
	int has_since, has_until;
	int64_t since, until;       /* UTC seconds; messages with unknown dates are kept */
	int no_mail;                /* mailboxes and mail sections only */
	const char *const *folders;      /* glob patterns of folder paths to keep */
	size_t n_folders;
	const char *const *skip_folders; /* glob patterns of folder paths to leave out */
	size_t n_skip_folders;
	/* run control */
	int jobs;                   /* parallel mailboxes (IMAP); 0: number of cores */
	int wait;                   /* wait for leased mailboxes instead of skipping them */
	int force;                  /* run even when the preflight check fails */
	int quiet, json;
	int lease_timeout;          /* seconds without heartbeat before a lease is stale */
	/* events (added with `mailferry batch --json`): called by the driver
	 * each time it is through with a mailbox (exported, failed, skipped
	 * because another run holds it, or interrupted), under the run's lock
	 * so never twice at once, from the thread that exported it; m is
	 * valid during the call only.  NULL: not called. */
	void (*mailbox_done)(void *arg, const struct mf_export_mbox_sum *m);
	void *mailbox_done_arg;
};

/* Result of one put_* call. */
enum mf_put_state { MF_PUT_DELIVERED = 0, MF_PUT_PENDING = 1, MF_PUT_REFUSED = 2 };

struct mf_put_result {
	enum mf_put_state state;
	char remote_id[256];        /* the target's id for the item: file name, "uidvalidity:uid" */
	char sha256[65];            /* of the bytes written, when known ("" otherwise) */
	int64_t bytes;              /* bytes written */
	char detail[256];           /* MF_PUT_REFUSED: the target's words */
};

/* Capabilities. */
enum mf_exporter_caps {
	MF_EXP_NEEDS_OUT = (1 << 0),     /* --out DIR required */
	MF_EXP_NEEDS_URL = (1 << 1),     /* --url required */
	MF_EXP_CALENDAR = (1 << 2),      /* takes calendar items */
	MF_EXP_PAB = (1 << 3),           /* takes address books */
	MF_EXP_MESSAGES = (1 << 4),      /* takes messages */
	MF_EXP_DIRECTORY = (1 << 5),     /* writes directory objects */
	/* Several mailboxes at once (--jobs N): the driver opens the exporter
	 * once per worker thread, each with its own database connection and
	 * driver handle; a ctx is only ever used by one thread.  Exporters
	 * with this bit keep no state outside their ctx. */
	MF_EXP_PARALLEL = (1 << 6),
};

struct mf_exporter {
	const char *name;           /* `mailferry export <name>` */
	const char *summary;        /* one line for `mailferry formats` */
	unsigned caps;

	/*
	 * Prepare a run.  Checks the options and the target (folder writable,
	 * server reachable).  ex is the driver's handle, valid until close,
	 * for mf_export_confirm/_refuse/_problem.  On MF_OK *out is the
	 * exporter's state.  NULL: known but not built.
	 */
	int (*open)(struct mf_export_ctx **out, struct mf_export *ex,
		    struct mf_store *st, const struct mf_export_opts *opts,
		    struct mf_diag *diag);

	/*
	 * The target's identity for leases and the ledger: the same target
	 * must give the same string in every run (a canonical output path, an
	 * imap://host:port URL).  Owned by ctx.
	 */
	const char *(*target)(struct mf_export_ctx *ctx);

	/*
	 * Preflight for a live target: can the admin act for this mailbox and
	 * create its folders?  MF_OK, or a negative code with diag naming the
	 * mailbox and the fix.  NULL: nothing to check beyond open.
	 */
	int (*check_mailbox)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
			     struct mf_diag *diag);

	/*
	 * Create the mailbox and every folder it will hold (folder paths use
	 * '\' between levels, as staged).  Called for every selected mailbox,
	 * also when it has no message or its mail is skipped (mail_skipped
	 * says so): this is what makes the mailbox exist on the target.
	 */
	int (*mailbox_begin)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
			     const char *const *folders, size_t n_folders,
			     struct mf_diag *diag);

	/* Write one message (loaded with its data, nested messages included).
	 * NULL: the exporter takes no messages. */
	int (*put_message)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
			   const struct mf_message *m, struct mf_put_result *res,
			   struct mf_diag *diag);

	/* Write one calendar item.  NULL: none taken. */
	int (*put_calendar)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
			    const struct mf_calendar_item *c, struct mf_put_result *res,
			    struct mf_diag *diag);

	/* Write a mailbox's whole address book (entries in position order).
	 * NULL: none taken. */
	int (*put_pab)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
		       const struct mf_pab_entry *entries, size_t n,
		       struct mf_put_result *res, struct mf_diag *diag);

	/* Finish the mailbox: flush, confirm every pending item.  failed is
	 * set when the driver stops the mailbox early after an error; pending
	 * items must then be refused or left unconfirmed. */
	int (*mailbox_end)(struct mf_export_ctx *ctx, const struct mf_mailbox *mb,
			   int failed, struct mf_diag *diag);

	/* After the last mailbox (write set-wide files such as a packing
	 * list).  May be NULL. */
	int (*finish)(struct mf_export_ctx *ctx, struct mf_diag *diag);

	/* Release everything; sets *ctx to NULL; accepts NULL. */
	void (*close)(struct mf_export_ctx **ctx);
};

/* NULL-terminated. */
extern const struct mf_exporter *const mf_exporters[];
const struct mf_exporter *mf_exporter_find(const char *name);

/*
 * Calls from an exporter back into the driver (engine/export.c):
 * confirm or refuse an item it reported as MF_PUT_PENDING, or record a
 * problem against the current run.  item_kind is "message", "calendar",
 * "pab" or "mailbox".
 */
int mf_export_confirm(struct mf_export *ex, const char *item_kind, int64_t item_id,
		      int64_t mailbox_id, const char *remote_id, const char *sha256,
		      int64_t bytes);
int mf_export_refuse(struct mf_export *ex, const char *item_kind, int64_t item_id,
		     int64_t mailbox_id, const char *detail);
void mf_export_problem(struct mf_export *ex, enum mf_severity sev, const char *code,
		       int64_t mailbox_id, int64_t message_id, const char *fmt, ...)
	MF_ATTR_PRINTF(6, 7);
/* 1 when an earlier run on this target worked on the mailbox and did not
 * finish it (its lease was taken over, or items were delivered but the
 * mailbox was never completed): items not in the ledger may be on the
 * target already. */
int mf_export_mailbox_resumed(struct mf_export *ex, int64_t mailbox_id);
/* Delivered-before lookup for exporters that must reconcile (mbox offsets,
 * IMAP resume): the ledger's remote_id for an item, or NULL (string in
 * arena). */
const char *mf_export_ledger_remote_id(struct mf_export *ex, const char *item_kind,
				       int64_t item_id, struct mf_arena *arena);

#endif
