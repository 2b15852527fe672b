/* SPDX-License-Identifier: MIT */
/* tests.h: the unit-test tables (one per file), registered in main.c. */
#ifndef MF_TESTS_UNIT_TESTS_H
#define MF_TESTS_UNIT_TESTS_H
#include "tests/harness.h"
extern const struct t_case t_core[];
extern const struct t_case t_text[];
extern const struct t_case t_store[];
extern const struct t_case t_export[];
#endif
