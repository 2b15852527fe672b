/* SPDX-License-Identifier: MIT */
/* test_files.c: unit tests of the files work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_files[] = {
	{ NULL, NULL }
};
