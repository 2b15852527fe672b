/* SPDX-License-Identifier: MIT */
/*
 * verify.h: the verify driver.  `mailferry verify <target>` reads a target
 * back and compares it with what the delivery ledger says was delivered
 * there and with the staged data.
 *
 * The driver selects the mailboxes exactly as an export with the same
 * options does (mf_export_select) and hands them to the exporter's verify
 * callback (engine/exporter.h).  The exporter reads its target and asks
 * the driver for the other side: per mailbox the messages the export
 * selects (mf_export_select_messages) with their folders and ledger rows,
 * the folders it keeps, the ledger's rows of other kinds, the calendar
 * items.  Every difference is one line (mf_verify_mismatch) naming the
 * mailbox, the folder and the item; the run's figures are in
 * struct mf_verify_sum.
 */
#ifndef MF_ENGINE_VERIFY_H
#define MF_ENGINE_VERIFY_H

#include <stdint.h>
#include <stdio.h>
#include "core/arena.h"
#include "core/mf.h"
#include "core/store_verify.h"
#include "engine/exporter.h"

/* Figures of one verification. */
struct mf_verify_sum {
	int64_t mailboxes, folders;   /* checked */
	int64_t items;                /* items read back (messages, calendar items) */
	int64_t mismatches;           /* every line printed */
};

/*
 * Verify target exp with opts: select the mailboxes as an export would
 * and run exp->verify, printing every mismatch as one line on out.  MF_OK
 * when the comparison ran (sum->mismatches says how it went); MF_EUSAGE
 * when exp has no verify or the selection names an unknown alias; another
 * negative code with diag set when the target or the store could not be
 * read.
 */
int mf_verify_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, FILE *out, struct mf_verify_sum *sum,
		  struct mf_diag *diag);

/* ---- calls for an exporter's verify callback ---- */

const struct mf_export_opts *mf_verify_opts(const struct mf_verify *v);
struct mf_verify_sum *mf_verify_sum(struct mf_verify *v);
/* How many mailboxes are selected; mf_verify_mailbox_at(v, i) loads the
 * i-th of the walk (valid until the next call: none is held, so the
 * run's memory does not grow with the mailboxes; NULL when it is gone or
 * cannot be read, which a mismatch line then says).  The walk is alias
 * order, or for an exporter with MF_EXP_ID_ORDER mailbox-id order
 * (mf_export_walk); the report is in alias order either way: mismatch
 * lines are then kept (an external sort) and written at the end, each
 * after those of the mailboxes before its own in alias order.  A verify
 * callback calls mf_verify_walk_done after its last mailbox: the lines
 * that follow come after every mailbox's. */
size_t mf_verify_count(const struct mf_verify *v);
const struct mf_mailbox *mf_verify_mailbox_at(struct mf_verify *v, size_t i);
void mf_verify_walk_done(struct mf_verify *v);
/* The name mismatch lines give a mailbox: its alias, else its name. */
const char *mf_verify_name(const struct mf_mailbox *mb);

/*
 * The ledger identity of an output folder (--out) as the exporters that
 * write folders form it, "<format>:<real path>#<instance>" (the instance
 * from DIR/.mailferry-target, core/fsutil.h).  *root and *target are
 * malloc'd.  MF_EUSAGE without --out; MF_ENOTFOUND when DIR does not exist
 * or no export ever wrote into it (verify never creates anything).
 */
int mf_verify_out_target(struct mf_verify *v, const char *format, char **root, char **target,
			 struct mf_diag *diag);

/* Report one mismatch: one line on the run's output. */
void mf_verify_mismatch(struct mf_verify *v, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);

/* Escape hatch for a verify written before the driver existed (IMAP):
 * the store and the output. */
struct mf_store *mf_verify_store(struct mf_verify *v);
FILE *mf_verify_out(struct mf_verify *v);

/* The staged side of one mailbox for one target. */
struct mf_verify_mailbox {
	/* the messages the export selects, in delivery order, each with its
	 * folder and ledger row (status NULL: never exported) */
	struct mf_ledger_row *selected;
	size_t n_selected;
	/* every message of the mailbox with its ledger row, in id order:
	 * tells a delivered but unselected item from an extra one */
	struct mf_ledger_row *all;
	size_t n_all;
	/* the folders the selection keeps (staged paths, path order) */
	const char **folders;
	size_t n_folders;
	/* the ledger's row for the mailbox itself (NULL: never exported) */
	const struct mf_ledger_row *mailbox_row;
	struct mf_ledger_row *mbox_rows;
	size_t n_mbox_rows;
};

/*
 * Load the staged side of mb for target (the exporter's ledger identity).
 * A mailbox whose mail is skipped (or --no-mail) selects no message.
 * Release with mf_verify_mailbox_release; strings live in arena.
 */
int mf_verify_mailbox_load(struct mf_verify *v, const char *target, const struct mf_mailbox *mb,
			   struct mf_verify_mailbox *out, struct mf_arena *arena,
			   struct mf_diag *diag);
void mf_verify_mailbox_release(struct mf_verify_mailbox *m);

/*
 * Count mb among the mailboxes verified and tell whether vm (loaded by
 * mf_verify_mailbox_load) has it delivered to this target: 1, or 0 after
 * recording "<mailbox>: the mailbox was never exported to this target".
 */
int mf_verify_mailbox_delivered(struct mf_verify *v, const struct mf_mailbox *mb,
				const struct mf_verify_mailbox *vm);

/* The message with this id among all of vm's (NULL: not staged here). */
const struct mf_ledger_row *mf_verify_find(const struct mf_verify_mailbox *vm, int64_t id);

/*
 * Report every selected message the ledger does not have as delivered
 * ("<mailbox>: message N in '<folder>' was not delivered (<status>)").
 * Returns how many.
 */
size_t mf_verify_undelivered(struct mf_verify *v, const struct mf_mailbox *mb,
			     const struct mf_verify_mailbox *vm);

/* The ledger's rows of one kind for mb on target ("calendar", "pab").
 * *out malloc'd; strings in arena. */
int mf_verify_ledger(struct mf_verify *v, const char *target, const char *item_kind,
		     const struct mf_mailbox *mb, struct mf_ledger_row **out, size_t *n,
		     struct mf_arena *arena, struct mf_diag *diag);

/* The mailbox's calendar items in calendar-file order (see
 * core/store_verify.h).  *out malloc'd; strings in arena. */
int mf_verify_calendar(struct mf_verify *v, const struct mf_mailbox *mb,
		       struct mf_calendar_item **out, size_t *n, struct mf_arena *arena,
		       struct mf_diag *diag);

/*
 * Pairing what the ledger recorded with what a target holds, for targets
 * that keep several items in one file (mbox offsets, Exchange .PRI lines):
 * pos is where the item is (byte offset, line number), sha256 its bytes'
 * digest ("" when unknown).  mf_verify_pair first pairs equal digests
 * (the same position preferred, so a removed item does not make every
 * later one look changed), then the rest by position alone (an item whose
 * bytes changed).  Afterwards match is the index of the paired piece on
 * the other side, -1 for none: a ledger piece without a pair is missing,
 * one paired with a different digest was changed, a target piece without
 * a pair is extra.  got must be in position order.
 */
struct mf_verify_piece {
	int64_t pos;
	char sha256[65];
	int64_t bytes;
	int64_t id;               /* the caller's (item id) */
	long match;
};
void mf_verify_pair(struct mf_verify_piece *want, size_t n_want, struct mf_verify_piece *got,
		    size_t n_got);

#endif
