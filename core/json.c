/* SPDX-License-Identifier: MIT */
/* json.c: JSON string escaping and key/value helpers. */
#include "core/json.h"
#include "core/charset.h"

#include <inttypes.h>
#include <string.h>

int mf_json_str(struct mf_buf *b, const char *s)
{
	struct mf_buf clean;
	int rc = MF_OK;
	const unsigned char *p;

	if (!s)
		return mf_buf_addstr(b, "null");
	mf_buf_init(&clean, MF_BUF_UNBOUNDED);
	if (!mf_utf8_valid(s, strlen(s))) {
		mf_utf8_sanitize(s, strlen(s), &clean, NULL);
		s = clean.data;
	}
	rc = mf_buf_addch(b, '"');
	for (p = (const unsigned char *)s; *p && rc == MF_OK; p++) {
		switch (*p) {
		case '"': rc = mf_buf_addstr(b, "\\\""); break;
		case '\\': rc = mf_buf_addstr(b, "\\\\"); break;
		case '\n': rc = mf_buf_addstr(b, "\\n"); break;
		case '\r': rc = mf_buf_addstr(b, "\\r"); break;
		case '\t': rc = mf_buf_addstr(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc = mf_buf_addf(b, "\\u%04x", *p);
			else
				rc = mf_buf_addch(b, *p);
		}
	}
	if (rc == MF_OK)
		rc = mf_buf_addch(b, '"');
	mf_buf_release(&clean);
	return rc;
}

int mf_json_key(struct mf_buf *b, const char *key, int first)
{
	int rc = MF_OK;
	if (!first)
		rc = mf_buf_addch(b, ',');
	if (rc == MF_OK)
		rc = mf_json_str(b, key);
	if (rc == MF_OK)
		rc = mf_buf_addch(b, ':');
	return rc;
}

int mf_json_kv_str(struct mf_buf *b, const char *key, const char *v, int first)
{
	int rc = mf_json_key(b, key, first);
	return rc == MF_OK ? mf_json_str(b, v) : rc;
}

int mf_json_kv_int(struct mf_buf *b, const char *key, int64_t v, int first)
{
	int rc = mf_json_key(b, key, first);
	return rc == MF_OK ? mf_buf_addf(b, "%" PRId64, v) : rc;
}
