/* SPDX-License-Identifier: MIT */
/* test_imap.c: unit tests of the imap work (filled in with it). */
#include "tests/unit/tests.h"

const struct t_case t_imap[] = {
	{ NULL, NULL }
};
