/* SPDX-License-Identifier: MIT */
/* fuzz-exchange-read.c: the migration file reader.  The input is a primary
 * file and a secondary file separated by the first NUL byte; every pointer
 * of the primary file resolves against that secondary file (F.SEC). */
#include "exporters/exchange/exch_read.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	struct exr_stats st;
	char *f[8];
	size_t n = 0;

	if (size > 1 << 20)
		return 0;
	nul = memchr(data, 0, size);
	if (nul)
		exr_walk_memory(data, (size_t)(nul - data), nul + 1, size - (size_t)(nul - data) - 1,
				NULL, &st);
	else
		exr_walk_memory(data, size, (const uint8_t *)"", 0, NULL, &st);
	if (size < 4096) {
		char tmp[4096];
		memcpy(tmp, data, size);
		tmp[size] = '\0';
		if (exr_split_values(f, 8, &n, tmp) == MF_OK)
			exr_fields_free(f, n);
	}
	return 0;
}
