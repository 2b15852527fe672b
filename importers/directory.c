/* SPDX-License-Identifier: MIT */
/* directory.c: target directory snapshot: CSV of existing recipients.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "importers/importer.h"

const struct mf_importer mf_importer_directory = {
	.name = "directory",
	.summary = "target directory snapshot: CSV of existing recipients",
	.probe = NULL,
	.import = NULL,
};
