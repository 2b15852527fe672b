/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mime.c: the MIME builder (core/mime.c) on values from source data.
 * The input is split at 0x00 into subject, sender name, sender as written,
 * recipient name, recipient as written, source Message-Id, attachment name,
 * body text and attachment bytes.  Whatever those hold (CR, LF, quotes,
 * "=?", boundaries, 8-bit bytes), the built message must read back (GMime,
 * mf_mime_inspect) as one message with one text part and one attachment
 * holding exactly the attachment's bytes, its X-Mailferry-Id unchanged,
 * and no header line ending in anything but CR LF: no value can inject a
 * header, a part or a message.
 */
#include "core/buf.h"
#include "core/hash.h"
#include "core/mime.h"
#include "core/model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NF 9

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[NF];
	size_t flen[NF];
	const uint8_t *p = data, *end = data + size;
	struct mf_message m;
	struct mf_recipient r;
	struct mf_body_part b;
	struct mf_attachment a;
	struct mf_mime_opts o;
	struct mf_mime_info info;
	struct mf_diag d;
	struct mf_buf out;
	char sid[MF_MIME_STAGED_ID_MAX], sha[MF_SHA256_HEX];

	if (size > 1 << 16)
		return 0;
	for (int i = 0; i < NF; i++) {
		const uint8_t *z = i < NF - 1 ? memchr(p, 0, (size_t)(end - p)) : NULL;
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
		f[i] = malloc(n + 1);
		memcpy(f[i], p, n);
		f[i][n] = '\0';
		flen[i] = n;
		p = z ? z + 1 : end;
	}
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	m.src_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	m.src_offset = 42;
	m.subject = f[0];
	m.sender_name = f[1];
	m.sender_raw = f[2];
	m.message_id = f[5];
	m.has_sent = 1;
	m.sent_utc = 812764800;
	m.charset = "850";
	r.role = "to";
	r.display_name = f[3];
	r.raw = f[4];
	m.recipients = &r;
	m.n_recipients = 1;
	b.position = 0;
	b.kind = "text";
	b.text = f[7];
	b.text_len = flen[7];
	b.raw = f[7];
	b.raw_len = flen[7];
	m.bodies = &b;
	m.n_bodies = 1;
	a.position = 1;
	a.kind = "file";
	a.name = f[6];
	a.data = f[8];
	a.size = flen[8];
	a.has_data = 1;
	a.body_position = -1;
	m.attachments = &a;
	m.n_attachments = 1;
	mf_sha256_hex(sha, f[8], flen[8]);
	a.sha256 = sha;

	mf_mime_opts_init(&o);
	o.crlf = 1;
	mf_buf_init(&out, 16u << 20);
	mf_diag_clear(&d);
	if (mf_mime_build(&out, &m, NULL, &o, &d) == MF_OK) {
		/* the header block: CR LF line ends only */
		const char *hend = NULL;
		for (size_t i = 0; i + 3 < out.len; i++)
			if (!memcmp(out.data + i, "\r\n\r\n", 4)) {
				hend = out.data + i;
				break;
			}
		if (!hend)
			__builtin_trap();
		for (const char *q = out.data; q < hend; q++) {
			if (*q == '\n' && (q == out.data || q[-1] != '\r'))
				__builtin_trap();
			if (*q == '\r' && q[1] != '\n')
				__builtin_trap();
		}
		mf_diag_clear(&d);
		if (mf_mime_inspect(&info, out.data, out.len, &d) != MF_OK)
			__builtin_trap();
		mf_mime_staged_id(sid, &m);
		if (info.n_messages != 1 || !info.staged_id || strcmp(info.staged_id, sid) != 0)
			__builtin_trap();
		{
			size_t att = 0;
			for (size_t i = 0; i < info.n_leaves; i++)
				if (info.leaves[i].disposition &&
				    !strcmp(info.leaves[i].disposition, "attachment")) {
					att++;
					if (strcmp(info.leaves[i].sha256, sha) != 0 ||
					    info.leaves[i].size != flen[8])
						__builtin_trap();
				}
			if (att != 1)
				__builtin_trap();
		}
		mf_mime_info_release(&info);
	}
	mf_buf_release(&out);
	for (int i = 0; i < NF; i++)
		free(f[i]);
	return 0;
}
