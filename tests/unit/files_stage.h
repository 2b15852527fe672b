/* SPDX-License-Identifier: MIT */
/*
 * files_stage.h: a staging store for the file exporters' tests, built in
 * code: hostile folder and attachment names, non-ASCII subjects and names,
 * "From " lines in bodies, a draft, a public folder, an empty mailbox and
 * Schedule+-style calendar items (recurrence, exceptions, a task, an
 * all-day event, two zones, one damaged item).
 *
 * Used by tests/unit/test_files.c and by the tool tests/tools/files-stage.c
 * (which the shell test tests/cli/files.sh runs).
 */
#ifndef MF_TESTS_UNIT_FILES_STAGE_H
#define MF_TESTS_UNIT_FILES_STAGE_H

#include <stdint.h>
#include "core/store.h"

#define FS_LONG_NAME_LEN 300

struct files_stage {
	int64_t anna, paul, chidi, board;   /* mailboxes; chidi has no mail */
	int64_t msg_hostile;                 /* the message with hostile names */
	int64_t msg_from;                    /* the message with "From " lines */
	int64_t msg_draft;
	int64_t cal_bad;                     /* a damaged calendar item */
	int n_messages;                      /* top-level messages staged */
	int n_anna, n_paul, n_board;
	int n_calendar_ok;                   /* valid calendar items */
};

/* Stage everything into st (inside its own transaction). */
int files_stage_build(struct mf_store *st, struct files_stage *out, struct mf_diag *diag);

/* The subject and attachment name with non-ASCII text. */
extern const char FS_SUBJECT[];
extern const char FS_ATT_NAME[];

#endif
