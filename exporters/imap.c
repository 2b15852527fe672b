/* SPDX-License-Identifier: MIT */
/* imap.c: any IMAP server (APPEND with dates and flags, pipelined).  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_imap = {
	.name = "imap",
	.summary = "any IMAP server (APPEND with dates and flags, pipelined)",
	.open = NULL,
};
