/* SPDX-License-Identifier: MIT */
/* tests.h: the unit-test tables (one per file), registered in main.c. */
#ifndef MF_TESTS_UNIT_TESTS_H
#define MF_TESTS_UNIT_TESTS_H
#include "tests/harness.h"
extern const struct t_case t_core[];
extern const struct t_case t_text[];
extern const struct t_case t_store[];
extern const struct t_case t_export[];
extern const struct t_case t_ccmail[];   /* cc:Mail importer (issue 3) */
extern const struct t_case t_msmail[];   /* MS Mail importer (issue 4) */
extern const struct t_case t_plan[];     /* plan, check, leases (issue 5) */
extern const struct t_case t_mime[];     /* core/mime.c (issue 6) */
extern const struct t_case t_files[];    /* maildir, mbox, eml, ics (issue 6) */
extern const struct t_case t_exchange[]; /* Exchange exporter (issue 7) */
extern const struct t_case t_imap[];     /* IMAP exporter (issue 8) */
extern const struct t_case t_verify[];   /* verify driver (issue 14) */
extern const struct t_case t_dav[];      /* vCard, CardDAV, CalDAV (issue 18) */
#endif
