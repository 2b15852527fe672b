/* SPDX-License-Identifier: MIT */
/* maildir.c: Maildir++ folders, one per mailbox.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_maildir = {
	.name = "maildir",
	.summary = "Maildir++ folders, one per mailbox",
	.open = NULL,
};
