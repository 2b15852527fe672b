/* SPDX-License-Identifier: MIT */
/*
 * fuzz-exchange-csv.c: values from source data written into the CSV lines
 * of an Exchange migration file (exporters/exchange/exch_write.c) and read back with
 * the reader's level 1 (exporters/exchange/exch_read.c).  The first byte picks the
 * quoting policy, the rest is split at 0x00 into up to 12 UTF-8 values.
 * Each value is encoded as the exporter encodes it (a single-line value,
 * or a folder level), then every field written with exw_field.  The line
 * must hold no CR or LF, and must split back into exactly those fields,
 * byte for byte: no value can add a field, cut one short or start a line.
 */
#include "core/buf.h"
#include "core/charset.h"
#include "exporters/exchange/exch_read.h"
#include "exporters/exchange/exch_write.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NF 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mf_charset *cs;
	static const unsigned policies[] = { EXW_PLAIN, EXW_DOTS, EXW_FOLDER, EXW_DOTS | EXW_MULTI };
	struct mf_buf val[NF], line;
	char *back[NF + 4];
	size_t nv = 0, nb = 0;
	const uint8_t *p, *end;
	unsigned pol;

	if (size < 1 || size > 1 << 16)
		return 0;
	if (!cs && mf_charset_open(&cs, "1252", NULL) < 0)
		return 0;
	pol = policies[data[0] & 3];
	p = data + 1;
	end = data + size;
	mf_buf_init(&line, 1u << 22);
	while (nv < NF) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
		size_t repl = 0;
		mf_buf_init(&val[nv], 1u << 20);
		if (pol & EXW_FOLDER)
			exw_encode_folder_level(&val[nv], cs, (const char *)p, n, &repl);
		else
			exw_encode_line(&val[nv], cs, (const char *)p, n, &repl);
		nv++;
		if (!z)
			break;
		p = z + 1;
	}
	for (size_t i = 0; i < nv; i++)
		if (exw_field(&line, val[i].data ? val[i].data : "", val[i].len, pol, i == 0) < 0)
			goto out;
	if (memchr(line.data ? line.data : "", '\r', line.len) ||
	    memchr(line.data ? line.data : "", '\n', line.len))
		__builtin_trap();
	if (exr_split_fields(back, NF + 4, &nb, line.data ? line.data : "", line.len) != MF_OK)
		__builtin_trap();
	if (nb != nv)
		__builtin_trap();
	for (size_t i = 0; i < nv; i++) {
		size_t bl = strlen(back[i]);
		if (bl != val[i].len || memcmp(back[i], val[i].data ? val[i].data : "", bl) != 0) {
			/* a folder value may be written unquoted: the reader keeps
			 * what the writer wrote; anything else must round-trip */
			__builtin_trap();
		}
	}
	exr_fields_free(back, nb);
out:
	for (size_t i = 0; i < nv; i++)
		mf_buf_release(&val[i]);
	mf_buf_release(&line);
	return 0;
}
