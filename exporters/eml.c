/* SPDX-License-Identifier: MIT */
/* eml.c: one .eml file per message, in folder trees.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_eml = {
	.name = "eml",
	.summary = "one .eml file per message, in folder trees",
	.open = NULL,
};
