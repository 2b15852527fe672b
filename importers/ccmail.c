/* SPDX-License-Identifier: MIT */
/* ccmail.c: cc:Mail export set (CCMX v1): folder with CCMX.TXT.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "importers/importer.h"

const struct mf_importer mf_importer_ccmail = {
	.name = "ccmail",
	.summary = "cc:Mail export set (CCMX v1): folder with CCMX.TXT",
	.probe = NULL,
	.import = NULL,
};
