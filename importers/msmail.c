/* SPDX-License-Identifier: MIT */
/* msmail.c: MS Mail export bundle (MSMX v1): folder with MSMX.TXT.  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "importers/importer.h"

const struct mf_importer mf_importer_msmail = {
	.name = "msmail",
	.summary = "MS Mail export bundle (MSMX v1): folder with MSMX.TXT",
	.probe = NULL,
	.import = NULL,
};
