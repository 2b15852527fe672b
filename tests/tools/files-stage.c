/* SPDX-License-Identifier: MIT */
/*
 * files-stage: write the file exporters' test data (tests/unit/files_stage.c)
 * into a new staging database.  Used by tests/cli/files.sh.
 *
 *   files-stage STAGE.db
 */
#include "tests/unit/files_stage.c"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct mf_store *st;
	struct files_stage fs;
	struct mf_diag d;

	if (argc != 2) {
		fprintf(stderr, "usage: files-stage STAGE.db\n");
		return 2;
	}
	mf_diag_clear(&d);
	if (mf_store_open(&st, argv[1], MF_STORE_CREATE, &d) < 0 ||
	    files_stage_build(st, &fs, &d) < 0) {
		fprintf(stderr, "files-stage: %s\n", d.msg);
		return 3;
	}
	mf_store_close(&st);
	printf("messages %d anna %d paul %d board %d calendar %d\n", fs.n_messages, fs.n_anna,
	       fs.n_paul, fs.n_board, fs.n_calendar_ok);
	return 0;
}
