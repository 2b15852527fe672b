/* SPDX-License-Identifier: MIT */
/* test_plan.c: unit tests of the plan work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_plan[] = {
	{ NULL, NULL }
};
