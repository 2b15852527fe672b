/* SPDX-License-Identifier: MIT */
/* test_mime.c: unit tests of the mime work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_mime[] = {
	{ NULL, NULL }
};
