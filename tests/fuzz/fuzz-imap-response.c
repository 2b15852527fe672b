/* SPDX-License-Identifier: MIT */
/* fuzz-imap-response.c: bytes from an IMAP server.  The input is what a
 * server sends on a connection (greeting first); the client reads it with
 * its bounded response reader, then every response is classified and
 * walked token by token, with the APPENDUID set and INTERNALDATE parsers
 * on what they would be given. */
#include "exporters/imap/imap_client.h"

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const char *s, size_t n)
{
	struct imap_resp r;
	struct imap_tok t;
	uint32_t uids[64];
	size_t nu;
	int64_t when;

	if (imap_resp_parse(&r, s, n) != MF_OK)
		return;
	if (r.code_args_len) {
		imap_uidset_parse(uids, 64, &nu, r.code_args, r.code_args_len);
		imap_date_parse(&when, r.code_args, r.code_args_len);
	}
	{
		struct imap_p p = r.rest;
		imap_caps_parse(&p);
	}
	for (int k = 0; k < 10000; k++) {
		struct mf_buf b;
		t = imap_tok_next(&r.rest);
		if (t.type == IMAP_T_END || t.type == IMAP_T_ERROR)
			break;
		if (t.s && (t.s < s || t.s + t.len > s + n))
			__builtin_trap();
		mf_buf_init(&b, 1 << 20);
		imap_tok_string(&b, &t);
		if (t.type == IMAP_T_QUOTED)
			imap_date_parse(&when, t.s, t.len);
		if (t.type == IMAP_T_ATOM)
			imap_uidset_parse(uids, 64, &nu, t.s, t.len);
		mf_buf_release(&b);
		if (t.type == IMAP_T_LPAREN && imap_tok_skip(&r.rest, &t) < 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	struct imap_conn *c = NULL;
	struct imap_conn_opts o = { "fuzz", 0, IMAP_TLS_NONE, 0, 2000 };
	struct mf_diag d;
	struct mf_buf resp;

	if (size > 100000)
		return 0;
	/* the whole response, unsplit, through the tokenizer */
	walk((const char *)data, size);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (size && write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	mf_buf_init(&resp, IMAP_RESPONSE_MAX);
	if (imap_conn_open_fd(&c, sv[0], &o, &d) == MF_OK) {
		for (int k = 0; k < 1000; k++) {
			if (imap_conn_response(c, &resp, 1, &d) != MF_OK)
				break;
			walk(resp.data, resp.len);
		}
		imap_conn_close(&c);
	}
	/* imap_conn_open_fd owns sv[0] (closed with the connection or on failure) */
	mf_buf_release(&resp);
	close(sv[1]);
	return 0;
}
