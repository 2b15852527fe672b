/* SPDX-License-Identifier: MIT */
/* fuzz-charset.c: code page conversion both ways.  The first byte picks the
 * code page; the rest is the text. */
#include "core/charset.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cps[] = { "437", "850", "852", "866", "932", "1252",
					   "936", "utf-8" };
	struct mf_charset *cs = NULL;
	struct mf_buf out, back;
	size_t rep = 0;

	if (size < 1 || size > 1 << 20)
		return 0;
	if (mf_charset_open(&cs, cps[data[0] % 8], NULL) < 0)
		return 0;
	mf_buf_init(&out, 8u << 20);
	mf_buf_init(&back, 8u << 20);
	if (mf_charset_to_utf8(cs, data + 1, size - 1, &out, &rep) == MF_OK) {
		/* the output is always valid UTF-8 */
		if (!mf_utf8_valid(out.data, out.len))
			__builtin_trap();
		mf_charset_from_utf8(cs, out.data, out.len, &back, &rep, '?');
	}
	mf_charset_from_utf8(cs, (const char *)data + 1, size - 1, &back, &rep, '?');
	mf_charset_suspect(cps[data[0] % 8], data + 1, size - 1);
	mf_buf_release(&out);
	mf_buf_release(&back);
	mf_charset_free(&cs);
	return 0;
}
