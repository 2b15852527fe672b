/* SPDX-License-Identifier: MIT */
/* mbox.c: mboxrd files, one per folder.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_mbox = {
	.name = "mbox",
	.summary = "mboxrd files, one per folder",
	.open = NULL,
};
