/* SPDX-License-Identifier: MIT */
/* exchange_plan.c: what the plan says about DIRECTORY lines (see
 * exchange.h).  Without a stored plan everything is created. */
#include "exporters/exchange.h"

int mf_plan_mailbox_creates(struct mf_store *st, int64_t mailbox_id)
{
	(void)st;
	(void)mailbox_id;
	return 1;
}

int mf_plan_recipient_creates(struct mf_store *st, int64_t entry_id)
{
	(void)st;
	(void)entry_id;
	return 1;
}
