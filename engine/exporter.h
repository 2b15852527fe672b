/* SPDX-License-Identifier: MIT */
/*
 * exporter.h: the contract between the export driver (engine/export_*.c)
 * and an exporter.
 *
 * An exporter writes staged mailboxes to one kind of target: Exchange
 * migration files, an IMAP server, Maildir, mbox, EML, iCalendar.  It is a
 * `const struct mf_exporter` listed in mf_exporters[] (exporters/registry.c).
 *
 * The driver owns everything that must be the same for every target:
 * selecting mailboxes and messages, the plan, leases (one run per mailbox
 * and target), the delivery ledger (what reached the target, so a re-run
 * sends only the rest), transactions, progress, problems and the run
 * summary.  The exporter writes, and reads nothing from the staging
 * database itself: what it needs besides the items it is handed (the
 * ledger's remote ids, a folder's highest delivered position, the staged
 * folders, calendar items delivered earlier, the source, directory
 * entries and lists) it asks the driver for with the calls at the end of
 * this file.  No exporter runs SQL.  For one run the driver calls:
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
 * The run stops early, between items, when the caller sets *opts->stop
 * (the command line does so on SIGINT/SIGTERM; the library installs no
 * signal handler).
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
 * second write replaces the first), mbox by truncating each file to the
 * last end offset the ledger records (mf_export_ledger_remote_ids), IMAP
 * by scanning, in every folder that holds messages above the highest UID
 * the ledger records for it (mf_export_ledger_highest), the X-Mailferry-Id
 * header of those messages once, and confirming a message found there
 * instead of appending it again.
 *
 * Adding a new exporter
 * ---------------------
 *  1. a folder exporters/<name>/ with <name>.c holding the callbacks below
 *     and
 *         const struct mf_exporter mf_exporter_<name> = { .name = ..., ... };
 *     (a private header there for state shared by several files).  Read
 *     only through the driver calls at the end of this file and the store's
 *     loaders for what put_* is handed; include no SQLite;
 *  2. add &mf_exporter_<name> to mf_exporters[] in exporters/registry.c
 *     (the Makefile builds every exporters/<name>/<file>.c);
 *  3. tests in tests/ that read the output back, and a line in the README's
 *     format table.
 * Output built from source data (file names, folder names, CSV fields,
 * protocol strings) is sanitised or quoted in the exporter: see
 * core/safename.h.
 */
#ifndef MF_EXPORTERS_EXPORTER_H
#define MF_EXPORTERS_EXPORTER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "core/mf.h"
#include "core/model.h"
#include "core/store.h"
#include "engine/options.h"

struct mf_export;          /* the driver's state for one run (engine/export_priv.h) */
struct mf_export_mbox_sum; /* one mailbox's figures (engine/export.h) */
struct mf_export_ctx;      /* an exporter's own state, opaque to the driver */
struct mf_verify;          /* the verify driver's state for one run (engine/verify.c) */

/* What `mailferry inspect <name> PATH` found (the inspect callback). */
struct mf_inspect_sum {
	int64_t checked;            /* units read (Exchange: file sets) */
	int64_t invalid;            /* of which with problems */
	int64_t unreadable;         /* of which could not be read at all */
};

/* Flags of the inspect callback. */
enum mf_inspect_flags {
	MF_INSPECT_JSON = (1 << 0), /* --json: one JSON document on out */
};

/* Options of `mailferry export <name>`.  An exporter declares its own
 * options in its table (mf_exporter.options, engine/options.h) and reads
 * them by name from `values` (mf_opt_str(opts->values, "url")); the fixed
 * fields below are the driver's and those of the exporters that predate
 * the tables (filled from the rows' MF_OPT_FIELD).  Strings are borrowed. */
struct mf_export_opts {
	const struct mf_optvals *values; /* every declared option's value; NULL: defaults */
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
	/* selection (honoured by the driver) */
	const char *const *mailboxes;  /* aliases; NULL/0: all */
	size_t n_mailboxes;
	/* only the mailboxes of shard shard_i of shard_n (mf_shard_hash of the
	 * source address, or of the name, modulo shard_n); shard_n 0: all */
	unsigned shard_i, shard_n;
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
	/* Set (by the caller's signal handler, say) to stop the run: the
	 * driver polls it before each mailbox and item, finishes the item in
	 * hand, writes the ledger and returns with the run interrupted (a
	 * re-run resumes).  The library installs no signal handler.  NULL:
	 * never stops. */
	volatile sig_atomic_t *stop;
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
	/* Each mailbox's output is its own (a file or folder named by the
	 * mailbox alone), so no output depends on which mailbox went first:
	 * the export and verify drivers walk the selection in mailbox-id
	 * (staging) order, the order the store's per-mailbox rows lie in,
	 * instead of alias order (what users read as a listing, the run's
	 * summary table and verify's report, stays in alias order; see
	 * docs/decisions.md). */
	MF_EXP_ID_ORDER = (1 << 7),
};

struct mf_exporter {
	const char *name;           /* `mailferry export <name>` */
	const char *summary;        /* one line for `mailferry formats` */
	unsigned caps;
	/* The options it takes (engine/options.h), ending with a NULL name:
	 * the command line, job-file keys, wizard questions and --help are
	 * made from them.  NULL: none. */
	const struct mf_option *options;

	/*
	 * Prepare a run.  Checks the options and the target (folder writable,
	 * server reachable).  ex is the driver's handle, valid until close,
	 * for mf_export_confirm/_refuse/_problem.  On MF_OK *out is the
	 * exporter's state.
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

	/*
	 * `mailferry verify <name>`: read the target back and compare it with
	 * what the delivery ledger says was delivered and with the staged data.
	 * The verify driver (engine/verify.h) has already selected the
	 * mailboxes exactly as an export with the same options would
	 * (mf_verify_mailboxes); the exporter reads its target (without
	 * writing to it), gets the staged and ledger side through the driver's
	 * calls (mf_verify_messages, mf_verify_ledger, ...; no SQL of its
	 * own) and reports every difference as one line with
	 * mf_verify_mismatch, naming the mailbox, the folder and the item.  It
	 * counts what it checked in mf_verify_sum(v).  MF_OK when the
	 * comparison ran, whatever it found; a negative code with diag set when
	 * it could not (target missing or unreachable, database).  NULL:
	 * `verify` is not offered for this target.
	 */
	int (*verify)(struct mf_verify *v, struct mf_diag *diag);

	/*
	 * `mailferry inspect <name> PATH`: read output of this kind at path
	 * (written by mailferry or by another tool; no staging store) and check
	 * it against the format.  The report goes to out (JSON with
	 * MF_INSPECT_JSON in flags), each problem as it is found to err; a
	 * unit that cannot be read at all is reported on err as
	 * "mailferry: <diag>" and counted in sum->unreadable.  MF_OK when
	 * something was inspected (sum says how it went); a negative code with
	 * diag set when path holds nothing of this kind.  NULL: `inspect` is
	 * not offered.
	 */
	int (*inspect)(struct mf_inspect_sum *sum, const char *path, unsigned flags,
		       FILE *out, FILE *err, struct mf_diag *diag);

	/*
	 * Durability barrier, for an exporter that does not sync its files
	 * one by one (pst: one syncfs() instead of two fsyncs per mailbox).
	 * When set, the driver commits ledger rows only right after a sync
	 * that returned MF_OK, and keeps the ledger rows and the leases of
	 * finished mailboxes for up to two seconds (not one transaction per
	 * mailbox): no row ever says delivered for data a power cut could
	 * still take away, and a mailbox stays leased until its rows are
	 * committed.  MF_OK when everything written so far is on disk.  NULL:
	 * the exporter syncs before it confirms, rows go at each mailbox end.
	 */
	int (*sync)(struct mf_export_ctx *ctx, struct mf_diag *diag);
};

/* NULL-terminated. */
extern const struct mf_exporter *const mf_exporters[];
const struct mf_exporter *mf_exporter_find(const char *name);

/*
 * Calls from an exporter back into the driver (engine/export_ledger.c):
 * confirm or refuse an item it reported as MF_PUT_PENDING, or record a
 * problem against the current run.  item_kind is "message", "calendar",
 * "pab" (a whole address book, item_id the mailbox's), "card" (one entry
 * of it, item_id the pab_entries.id) or "mailbox".  A refused item of any
 * kind counts as failed in the summary and makes the run end with exit 1.
 * Confirmations are written at the next flush; an exporter may confirm a
 * whole mailbox at its end (the rows past a few thousand wait in a
 * temporary file, so memory does not grow with them).
 */
int mf_export_confirm(struct mf_export *ex, const char *item_kind, int64_t item_id,
		      int64_t mailbox_id, const char *remote_id, const char *sha256,
		      int64_t bytes);
int mf_export_refuse(struct mf_export *ex, const char *item_kind, int64_t item_id,
		     int64_t mailbox_id, const char *detail);
void mf_export_problem(struct mf_export *ex, enum mf_severity sev, const char *code,
		       int64_t mailbox_id, int64_t message_id, const char *fmt, ...)
	MF_ATTR_PRINTF(6, 7);
/*
 * What an exporter reads, it asks the driver for (an exporter runs no SQL
 * and does not know the staging schema).  Strings and arrays are in the
 * arena the caller gives; MF_OK or a negative code with diag set.
 */

/* The ledger's remote_id for an item delivered to this target, or NULL
 * (rows not yet written included; string in arena). */
const char *mf_export_ledger_remote_id(struct mf_export *ex, const char *item_kind,
				       int64_t item_id, struct mf_arena *arena);

/* The remote ids of every message of the mailbox the ledger records as
 * delivered to this target (written rows only); folder non-NULL: of the
 * messages staged in that folder only.  Used by mbox to cut a file back to
 * the last recorded end. */
int mf_export_ledger_remote_ids(struct mf_export *ex, int64_t mailbox_id, const char *folder,
				const char ***out, size_t *n_out, struct mf_arena *arena,
				struct mf_diag *diag);

/* The highest delivered position in a folder: pos(arg, remote_id, &p)
 * turns each remote id of the folder's delivered messages into a position
 * (returning 1 when it counts, 0 when it does not, e.g. another
 * UIDVALIDITY); *max_out is the highest, *any_out whether any counted.
 * IMAP asks it for the highest UID before scanning a folder's tail. */
int mf_export_ledger_highest(struct mf_export *ex, int64_t mailbox_id, const char *folder,
			     int (*pos)(void *arg, const char *remote_id, uint64_t *p), void *arg,
			     uint64_t *max_out, int *any_out, struct mf_diag *diag);

/* Every staged folder of the mailbox, selected or not, with its special
 * use ("inbox", "sent", ... or NULL), in the database's order. */
struct mf_export_folder {
	const char *path;
	const char *special;
};
int mf_export_folders(struct mf_export *ex, int64_t mailbox_id, struct mf_export_folder **out,
		      size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/* The mailbox's calendar items the driver has not handed to put_calendar
 * in this run (those delivered by earlier runs; all of them with
 * opts->no_mail), in id order: visit is called for each (the item valid
 * during the call; a negative return stops and is returned).  A
 * whole-mailbox file (ics) adds them to what put_calendar gave it. */
int mf_export_calendar_rest(struct mf_export *ex, int64_t mailbox_id,
			    int (*visit)(void *arg, const struct mf_calendar_item *c),
			    void *arg, struct mf_diag *diag);

/* The source a mailbox came from: post office ("" when none), format,
 * time zone ("UTC" when none), calendar code page (the source's code page
 * when none, else "CP1252").  MF_ENOTFOUND if none. */
int mf_export_source(struct mf_export *ex, int64_t source_id, struct mf_source_info *out,
		     struct mf_arena *arena, struct mf_diag *diag);

/* A directory entry as a recipient or list member refers to it: its kind,
 * name, display name (its name when it has none), address, source and
 * the mailbox it stands for (mailbox_display_name, mailbox_alias: NULL
 * when none).  MF_ENOTFOUND if none. */
struct mf_export_entry {
	int64_t id, source_id, mailbox_id;
	const char *kind, *name, *display_name, *address_type, *address;
	const char *mailbox_display_name, *mailbox_alias;
};
int mf_export_entry(struct mf_export *ex, int64_t entry_id, struct mf_export_entry *out,
		    struct mf_arena *arena, struct mf_diag *diag);

/* The members of a directory list in their order: the address as
 * written, the entry it resolved to (0: none) and that entry's mailbox
 * alias (NULL: none). */
struct mf_export_member {
	const char *address;
	int64_t entry_id;
	const char *mailbox_alias;
};
int mf_export_list_members(struct mf_export *ex, int64_t list_id, struct mf_export_member **out,
			   size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/* A mailbox by its exact alias (id, kind, alias, display_name, given_name,
 * surname, source_address filled).  MF_ENOTFOUND if none. */
int mf_export_mailbox_by_alias(struct mf_export *ex, const char *alias, struct mf_mailbox *out,
			       struct mf_arena *arena, struct mf_diag *diag);

/* The messages of the mailbox the run's options select (dates, folder
 * globs), in export order (folder path, date, id), each with its ledger
 * row for this target: the same selection the export makes, for an
 * exporter that reads its target back (verify). */
struct mf_export_msg {
	int64_t id;
	const char *folder;         /* staged path */
	const char *status;         /* ledger status, NULL: no row */
	const char *remote_id;      /* NULL: none recorded */
	int delivered;              /* status is "delivered" */
};
int mf_export_messages(struct mf_export *ex, int64_t mailbox_id, struct mf_export_msg **out,
		       size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/*
 * A handle for reading without a run (verify): the read calls above work
 * on it, for target; confirm/refuse/problem must not be called.  Freed
 * with mf_export_reader_close.
 */
struct mf_export *mf_export_reader_open(struct mf_store *st, const struct mf_export_opts *opts,
					const char *target);
void mf_export_reader_close(struct mf_export **ex);

#endif
