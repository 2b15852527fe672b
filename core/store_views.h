/* SPDX-License-Identifier: MIT */
/*
 * store_views.h: what the commands show from the staging store: problem
 * counts of a run, the staged mailboxes with their figures, the plan per
 * mailbox, problems by code.  Read-only queries over the views of
 * schema/ (mailbox_summary, problem_summary); the SQL lives here only.
 */
#ifndef MF_CORE_STORE_VIEWS_H
#define MF_CORE_STORE_VIEWS_H

#include <stdint.h>
#include "core/store.h"

/* Problems recorded by run_id, by severity: counts[MF_INFO..MF_ERROR] of
 * the severities that occur are set (others left as they are). */
int mf_store_run_problem_counts(struct mf_store *st, int64_t run_id, int64_t counts[3]);

#endif
