/* SPDX-License-Identifier: MIT */
/* test_msmail.c: unit tests of the msmail work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_msmail[] = {
	{ NULL, NULL }
};
