/* SPDX-License-Identifier: MIT */
/*
 * check.h: the preflight check.  `mailferry check` runs it on its own;
 * every export runs it after opening its target and before the first
 * mailbox, and moves nothing while it finds an error (unless --force).
 *
 * For every selected mailbox:
 *   - it has its mail section (check.no-mail-section), and the import of
 *     its files finished (check.import-unfinished; a file the importer
 *     could not read is a warning, check.import-failed);
 *   - the plan has no conflict for it (check.plan-conflict: the plan's
 *     message names both objects and the fix);
 *   - its messages' recipients were resolved in the directory, or are
 *     reported (check.unresolved-recipients, a warning: they keep their
 *     address as written);
 *   - with a live target (an exporter with check_mailbox): the target
 *     accepts it, tried before anything moves (check.target-refused).
 * Once: unresolved list members (check.unresolved-list-members), custom
 * recipients that cannot be created (check.recipients-skipped), alias map
 * lines that name no mailbox (check.alias-map-unused), mailboxes another
 * live run is exporting to the same target right now (check.leased, info).
 *
 * Errors fail the check; warnings and info are reported only.  Every item
 * names the object it is about and what to do.
 */
#ifndef MF_CORE_CHECK_H
#define MF_CORE_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"
#include "core/model.h"
#include "engine/plan.h"
#include "core/store.h"
#include "engine/exporter.h"

struct mf_check_item {
	enum mf_severity severity;
	const char *code;           /* static: "check.plan-conflict" */
	int64_t mailbox_id;         /* 0: not about one mailbox */
	char *alias;                /* owned; NULL when not about a mailbox */
	char *text;                 /* owned: the object, the finding and the fix */
	uint64_t ord, seq;          /* the report's order (mf_check_run) */
};

struct mf_check_report {
	struct mf_check_item *items;   /* owned */
	size_t n, cap;
	int64_t errors, warnings, infos;
	int64_t mailboxes;             /* mailboxes checked */
	int64_t target_checked;        /* mailboxes the target was asked about */
	struct mf_plan_totals plan;    /* the plan the check looked at */
	int plan_current;              /* set by the caller: plan holds the totals of the
					* current plan, mf_check_run need not look again */
	uint64_t cur_ord;              /* mf_check_run: the place of the items added now */
};

void mf_check_report_init(struct mf_check_report *r);
void mf_check_report_release(struct mf_check_report *r);

/*
 * Check the selected mailboxes ids[0..n) (see mf_export_select; each is
 * loaded in its turn, none held; walk: NULL, or the order to visit them
 * in, see mf_export_walk: the items stay in the selection's order), after
 * making the plan current (mf_plan_ensure; rep->plan has its totals;
 * not again when rep->plan_current, see mf_export_check).  exp
 * and ctx (both may be NULL) are an
 * opened exporter whose check_mailbox is called for every mailbox, and
 * target its identity (for leases).  Findings go into rep; the return is
 * MF_OK whether or not they include errors (rep->errors says), or a
 * negative code when the check itself could not run (the store failed).
 */
int mf_check_run(struct mf_store *st, const int64_t *ids, const uint32_t *walk, size_t n,
		 const struct mf_exporter *exp, struct mf_export_ctx *ctx,
		 const char *target, const struct mf_export_opts *opts,
		 struct mf_check_report *rep, struct mf_diag *diag);

/*
 * Is the run that owns a lease provably gone?  Its row says it finished
 * (status not 'running'); or it ran on this host and its pid does not
 * exist, or is a zombie (it has exited; only its parent has not reaped it);
 * or its heartbeat is more than timeout seconds old.  A pid that exists is
 * never taken for dead on its own (it may have been recycled: the
 * heartbeat covers that).  Used by the export driver and the check.
 */
int mf_run_owner_gone(const char *host, int64_t pid, int64_t heartbeat,
		      const char *status, int timeout);

/* Add an item (text printf-style); mb may be NULL. */
void mf_check_report_add(struct mf_check_report *r, enum mf_severity sev, const char *code,
			 const struct mf_mailbox *mb, const char *fmt, ...) MF_ATTR_PRINTF(5, 6);

/*
 * The report as JSON (appended to b):
 *   {"ok":true|false,"errors":N,"warnings":N,"infos":N,"mailboxes":N,
 *    "target_checked":N,"items":[{"severity","code","alias","text"}]}
 */
int mf_check_report_json(struct mf_buf *b, const struct mf_check_report *r);

/* One line per item ("error   check.plan-conflict  text"), errors first. */
void mf_check_report_print(FILE *f, const struct mf_check_report *r);

#endif
