/* SPDX-License-Identifier: MIT */
/*
 * lzfu.c: compressed RTF ([MS-OXRTFCP] 2.1.3.1) for PidTagRtfCompressed.
 *
 * The stream is LZFu: a 16-byte header (COMPSIZE, RAWSIZE, "LZFu", CRC of
 * what follows), then runs of a control byte and eight tokens, each a
 * literal byte or a 2-byte reference into a 4,096-byte dictionary that
 * starts with a fixed RTF prefix.  The stream ends with a reference to the
 * dictionary's write position.  Matches are found through a hash of the
 * next three bytes (one candidate per hash, checked byte by byte), which
 * is enough for the repetitive RTF that cc:Mail writes.  The uncompressed
 * "MELA" form is never written: the common readers decode only LZFu.
 */
#include "exporters/pst/pst.h"

#include <stdlib.h>
#include <string.h>

static const char prefix[] =
	"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
	"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

#define DICT 4096u
#define MAXLEN 17u
#define HASH 4096u

uint8_t *pst_lzfu(const void *rtf, size_t n, size_t *out_len)
{
	const uint8_t *in = rtf;
	uint8_t dict[DICT];
	int32_t head[HASH];
	size_t plen = sizeof(prefix) - 1, cap = 16 + n + n / 8 + 16, o = 16, ctl_at = 0;
	uint32_t wpos = (uint32_t)plen;
	unsigned bit = 8;
	uint8_t *out = mf_xmalloc(cap);

	memset(dict, 0, sizeof(dict));
	memcpy(dict, prefix, plen);
	for (size_t i = 0; i < HASH; i++)
		head[i] = -1;
	for (size_t i = 0; i + 2 < plen; i++)
		head[((unsigned)dict[i] << 8 ^ (unsigned)dict[i + 1] << 4 ^ dict[i + 2]) % HASH] =
			(int32_t)i;

	for (size_t i = 0;; ) {
		size_t best = 0;
		uint32_t boff = 0;
		int end = i >= n;
		if (bit == 8) {
			ctl_at = o;
			out[o++] = 0;
			bit = 0;
		}
		if (end) {
			/* the end: a reference to the write position */
			out[ctl_at] |= (uint8_t)(1u << bit);
			out[o++] = (uint8_t)(wpos >> 4);
			out[o++] = (uint8_t)((wpos & 0xF) << 4);
			break;
		}
		if (i + 2 < n) {
			unsigned hv = ((unsigned)in[i] << 8 ^ (unsigned)in[i + 1] << 4 ^ in[i + 2]) % HASH;
			int32_t cand = head[hv];
			if (cand >= 0) {
				/* the match must not reach the write position: the
				 * decoder copies byte by byte from a ring it writes */
				uint32_t c = (uint32_t)cand;
				size_t k = 0;
				while (k < MAXLEN && i + k < n && ((c + k) % DICT) != wpos &&
				       dict[(c + k) % DICT] == in[i + k])
					k++;
				if (k >= 3) {
					best = k;
					boff = c;
				}
			}
		}
		if (best) {
			out[ctl_at] |= (uint8_t)(1u << bit);
			out[o++] = (uint8_t)(boff >> 4);
			out[o++] = (uint8_t)(((boff & 0xF) << 4) | (best - 2));
		} else {
			best = 1;
			out[o++] = in[i];
		}
		for (size_t k = 0; k < best; k++) {
			dict[wpos] = in[i + k];
			/* index the three bytes that now start at wpos - 2 */
			if (wpos >= 2 || k >= 2) {
				uint32_t p = (wpos + DICT - 2) % DICT;
				unsigned hv = ((unsigned)dict[p] << 8 ^
					       (unsigned)dict[(p + 1) % DICT] << 4 ^ dict[wpos]) % HASH;
				head[hv] = (int32_t)p;
			}
			wpos = (wpos + 1) % DICT;
		}
		i += best;
		bit++;
		if (o + 20 > cap) {
			cap = cap * 2;
			out = mf_xrealloc(out, cap);
		}
	}
	pst_w32(out, (uint32_t)(o - 4));
	pst_w32(out + 4, (uint32_t)n);
	memcpy(out + 8, "LZFu", 4);
	pst_w32(out + 12, pst_crc(0, out + 16, o - 16));
	*out_len = o;
	return out;
}
