/* SPDX-License-Identifier: MIT */
/* test_exchange.c: unit tests of the exchange work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_exchange[] = {
	{ NULL, NULL }
};
