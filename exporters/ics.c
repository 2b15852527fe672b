/* SPDX-License-Identifier: MIT */
/* ics.c: iCalendar file per mailbox.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_ics = {
	.name = "ics",
	.summary = "iCalendar file per mailbox",
	.open = NULL,
};
