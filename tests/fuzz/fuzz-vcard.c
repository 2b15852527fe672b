/* SPDX-License-Identifier: MIT */
/* fuzz-vcard.c: the vCard writer's escaping and folding, and the
 * content-line reader.  The input is read as content lines (what a server
 * sends back); then its bytes are written as a card's FN and NOTE and the
 * card must read back with those values, every physical line at most 75
 * octets, never a UTF-8 sequence cut (when the input is UTF-8). */
#include "exporters/dav/dav.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is p valid UTF-8 (shortest forms, no surrogates)? */
static int valid_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t need = c < 0x80 ? 0 : (c >= 0xc2 && c <= 0xdf) ? 1 : (c >= 0xe0 && c <= 0xef) ? 2
			    : (c >= 0xf0 && c <= 0xf4) ? 3 : 9;
		if (need == 9 || i + need >= n + (need ? 0 : 1))
			return 0;
		for (size_t k = 1; k <= need; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] > 0x9f) ||
		    (c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] > 0x8f))
			return 0;
		i += need + 1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_cl_doc doc;
	struct mf_diag d;
	struct mf_buf out;
	struct mf_vcard_card c;
	char *text;

	if (size > 100000)
		return 0;
	if (mf_cl_parse(&doc, (const char *)data, size, 10000, &d) == MF_OK)
		mf_cl_release(&doc);

	text = mf_xstrndup((const char *)data, size);   /* cut at a NUL, as C strings are */
	memset(&c, 0, sizeof(c));
	c.uuid = "00000000-0000-5000-8000-000000000000";
	c.fn = text;
	c.note = text;
	c.rev = 0;
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	if (mf_vcard_write(&out, MF_VCARD_40, &c) != MF_OK)
		__builtin_trap();
	/* physical lines: CR LF, at most 75 octets, continuation starts a UTF-8 sequence */
	for (size_t i = 0, start = 0; i < out.len; i++) {
		if (out.data[i] == '\n') {
			if (i == 0 || out.data[i - 1] != '\r' || i - 1 - start > MF_VCARD_FOLD)
				__builtin_trap();
			if (i + 1 < out.len && out.data[i + 1] == ' ' && i + 2 < out.len &&
			    ((unsigned char)out.data[i + 2] & 0xc0) == 0x80)
				__builtin_trap();
			start = i + 1;
		}
	}
	if (mf_cl_parse(&doc, out.data, out.len, 100000, &d) != MF_OK)
		__builtin_trap();
	for (size_t i = 0; i < doc.n_props; i++) {
		if (strcmp(doc.props[i].name, "NOTE") != 0)
			continue;
		/* the value reads back as written when it was printable UTF-8
		 * without CR (line breaks read back as LF) */
		{
			int plain = valid_utf8((const unsigned char *)text, strlen(text));
			for (const unsigned char *p = (const unsigned char *)text; *p && plain; p++)
				if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
					plain = 0;
			if (plain && *text && strcmp(doc.props[i].value, text) != 0)
				__builtin_trap();
		}
	}
	mf_cl_release(&doc);
	mf_buf_release(&out);
	free(text);
	return 0;
}
