/* SPDX-License-Identifier: MIT */
/*
 * store_views.h: what the commands show from the staging store: problem
 * counts of a run, the staged mailboxes with their figures, the plan per
 * mailbox, problems by code.  Read-only queries over the views of
 * schema/ (mailbox_summary, problem_summary); the SQL lives here only.
 */
#ifndef MF_CORE_STORE_VIEWS_H
#define MF_CORE_STORE_VIEWS_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/store.h"

/* Problems recorded by run_id, by severity: counts[MF_INFO..MF_ERROR] of
 * the severities that occur are set (others left as they are). */
int mf_store_run_problem_counts(struct mf_store *st, int64_t run_id, int64_t counts[3]);

/* The number of staged mailboxes and their messages. */
int mf_store_view_staged(struct mf_store *st, int64_t *mailboxes, int64_t *messages,
			 struct mf_diag *diag);

/* A staged mailbox with its figures (the mailbox_summary view).  Strings
 * (NULL when absent) and arrays below are in the caller's arena. */
struct mf_view_mailbox {
	int64_t id;
	const char *alias, *display_name, *source_address, *kind;
	int64_t messages, attachments, calendar_items, bytes;
	int has_mail_section, mail_skipped;
};
/* by_kind: ordered by kind then alias (status); MF_VIEW_BY_ID: by mailbox
 * id, the order the store's per-mailbox rows lie in; else by alias (the
 * wizard).  The ties of kind and alias are ordered by mailbox id. */
#define MF_VIEW_BY_ID 2
int mf_store_view_mailboxes(struct mf_store *st, int by_kind, struct mf_view_mailbox **out,
			    size_t *n, struct mf_arena *arena, struct mf_diag *diag);

/* The same rows one at a time, in the same order: fn is called for each
 * (its strings live until it returns); a negative return stops the pass
 * and is returned.  Memory does not grow with the number of mailboxes. */
int mf_store_view_mailboxes_each(struct mf_store *st, int by_kind,
				 int (*fn)(void *ctx, const struct mf_view_mailbox *m), void *ctx,
				 struct mf_diag *diag);

/* A mailbox's folders with their message counts, by path. */
struct mf_view_folder {
	const char *path;
	int64_t messages;
};
int mf_store_view_folders(struct mf_store *st, int64_t mailbox_id, struct mf_view_folder **out,
			  size_t *n, struct mf_arena *arena, struct mf_diag *diag);

/* A mailbox's plan row; *found 0 when it has none. */
struct mf_view_mailbox_plan {
	const char *action, *alias_from, *conflict, *message;
};
int mf_store_view_mailbox_plan(struct mf_store *st, int64_t mailbox_id, int *found,
			       struct mf_view_mailbox_plan *out, struct mf_arena *arena,
			       struct mf_diag *diag);

/* What the delivery ledger holds for a mailbox, per target. */
struct mf_view_target {
	const char *target;
	int64_t delivered, failed, skipped, calendar_items;
	int completed;              /* the mailbox itself was delivered */
};
int mf_store_view_targets(struct mf_store *st, int64_t mailbox_id, struct mf_view_target **out,
			  size_t *n, struct mf_arena *arena, struct mf_diag *diag);

/* The plan of every mailbox, in alias order (`mailferry plan`): action
 * "unplanned" when there is none, the target object it meets. */
struct mf_view_plan_row {
	const char *alias, *name, *source_address, *action, *object_class, *object_alias, *message;
};
/* One row at a time (strings live until fn returns; a negative return
 * stops the pass and is returned). */
int mf_store_view_plan_each(struct mf_store *st,
			    int (*fn)(void *ctx, const struct mf_view_plan_row *r), void *ctx,
			    struct mf_diag *diag);

/* The plan of the directory's custom recipients and lists. */
struct mf_view_plan_recipient {
	const char *kind, *name, *address, *action, *alias, *message;
};
int mf_store_view_plan_recipients_each(struct mf_store *st,
				       int (*fn)(void *ctx, const struct mf_view_plan_recipient *r),
				       void *ctx, struct mf_diag *diag);

/* The plan as the wizard shows it: every staged mailbox in alias order,
 * its action ("create" when not planned yet), messages and plan message. */
struct mf_view_plan_mailbox {
	const char *alias, *action, *message;
	int64_t messages;
	int mail_skipped;
};
int mf_store_view_plan_mailboxes(struct mf_store *st, struct mf_view_plan_mailbox **out,
				 size_t *n, struct mf_arena *arena, struct mf_diag *diag);

/* Problems by code, most frequent first (the problem_summary view), at
 * most limit rows. */
struct mf_view_problem_code {
	const char *severity, *code, *example;
	int64_t count;
};
int mf_store_view_problem_codes(struct mf_store *st, size_t limit,
				struct mf_view_problem_code **out, size_t *n,
				struct mf_arena *arena, struct mf_diag *diag);

/* The problems a run recorded, in order. */
struct mf_view_problem {
	int64_t run_id;
	const char *severity, *code, *alias, *file, *text;
	int has_offset;
	int64_t offset;
};
int mf_store_view_run_problems(struct mf_store *st, int64_t run_id, struct mf_view_problem **out,
			       size_t *n, struct mf_arena *arena, struct mf_diag *diag);

#endif
