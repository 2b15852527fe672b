/* SPDX-License-Identifier: MIT */
/*
 * exchange.h: the Exchange migration files exporter's hooks into the plan.
 *
 * Until the plan (core/plan.h) decides otherwise, every staged mailbox and
 * custom recipient is created through the DIRECTORY section.  These two
 * functions are the only place the exporter asks; they return 1 for
 * "create through DIRECTORY", 0 for "already on the target / converted from
 * an existing custom recipient by the MAILMESSAGE section".
 */
#ifndef MF_EXPORTERS_EXCHANGE_H
#define MF_EXPORTERS_EXCHANGE_H

#include <stdint.h>
#include "core/store.h"
#include "exporters/exporter.h"

int mf_plan_mailbox_creates(struct mf_store *st, int64_t mailbox_id);
int mf_plan_recipient_creates(struct mf_store *st, int64_t entry_id);

#endif
