/* SPDX-License-Identifier: MIT */
/* fuzz-pst-read.c: the PST reader and verifier (exporters/pst/reader) over a
 * whole file image: header, pages, both B-trees, blocks, allocation maps,
 * heaps, property and table contexts, folders and messages, with the JSON
 * listing built too. */
#include "exporters/pst/reader/pstr.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_buf json;
	if (size > 4 << 20)
		return 0;
	mf_buf_init(&json, MF_BUF_UNBOUNDED);
	pstr_check_memory(data, size, &json);
	mf_buf_release(&json);
	return 0;
}
