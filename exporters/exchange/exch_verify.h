/* SPDX-License-Identifier: MIT */
/*
 * exch_verify.h: the Exchange exporter's `inspect` and `verify` callbacks
 * (engine/exporter.h), both built on the set reader (exch_read.h).
 */
#ifndef MF_EXPORTERS_EXCH_VERIFY_H
#define MF_EXPORTERS_EXCH_VERIFY_H

#include <stddef.h>
#include <stdio.h>
#include "engine/exporter.h"

/* `mailferry inspect exchange PATH` (exporters/exchange/inspect.c). */
int mf_exch_inspect(struct mf_inspect_sum *sum, const char *path, unsigned flags, FILE *out,
		    FILE *err, struct mf_diag *diag);

/* The set folders directly below path (sorted, malloc'd strings in a
 * malloc'd array), and whether path itself holds a .pkl. */
void mf_exch_list_sets(const char *path, char ***out, size_t *n_out, int *has_pkl);

/* `mailferry verify exchange` (exporters/exchange/verify.c). */
int mf_exch_verify(struct mf_verify *v, struct mf_diag *diag);

#endif
