/* SPDX-License-Identifier: MIT */
/* fixture.h: a small staging store built in code, shared by unit tests. */
#ifndef MF_TESTS_UNIT_FIXTURE_H
#define MF_TESTS_UNIT_FIXTURE_H

#include "core/store.h"

struct t_fixture {
	struct mf_store *st;
	char path[512];
	int64_t source_id, file_id;
	int64_t anna, paul, empty;     /* mailboxes; empty has no mail */
	int64_t inbox_anna, sent_anna, inbox_paul;
	int64_t msg[4];                /* staged messages */
};

/* Build: 3 mailboxes (two with mail, one without), 4 messages, one with an
 * attachment and a nested forwarded message. */
void t_fixture_build(struct t_fixture *f);
void t_fixture_release(struct t_fixture *f);

#endif
