/* SPDX-License-Identifier: MIT */
/* test_ccmail.c: unit tests of the ccmail work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_ccmail[] = {
	{ NULL, NULL }
};
