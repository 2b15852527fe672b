/* SPDX-License-Identifier: MIT */
/* common.c: helpers shared by the commands. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_open_store(struct mf_store **out, const char *db, int create, int readonly)
{
	struct mf_diag d;
	int rc;

	mf_diag_clear(&d);
	rc = mf_store_open(out, db, (create ? MF_STORE_CREATE : 0) |
			   (readonly ? MF_STORE_READONLY : 0), &d);
	if (rc < 0)
		return cli_fatal(&d);
	return MF_EXIT_OK;
}
