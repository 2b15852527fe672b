/* SPDX-License-Identifier: MIT */
/*
 * pstr_inspect.h: the PST verifier's entry point for the exporter registry
 * (`mailferry inspect pst FILE`).  The pst exporter's entry names it as its
 * inspect callback; the verifier itself (this folder) shares no code with
 * the writer it checks.
 */
#ifndef MF_EXPORTERS_PST_READER_PSTR_INSPECT_H
#define MF_EXPORTERS_PST_READER_PSTR_INSPECT_H

#include <stdio.h>
#include "engine/exporter.h"

/* Check the PST at path (engine/exporter.h, the inspect callback): one line
 * per problem and a summary (or one JSON document with MF_INSPECT_JSON)
 * on standard output; a file that cannot be read counts as unreadable. */
int pstr_inspect_cb(struct mf_inspect_sum *sum, const char *path, unsigned flags,
		    FILE *out, FILE *err, struct mf_diag *diag);

#endif
