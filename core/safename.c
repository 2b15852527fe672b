/* SPDX-License-Identifier: MIT */
/* safename.c: safe file names from source data (see safename.h). */
#include "core/safename.h"
#include "core/mf.h"

#include <stdio.h>
#include <string.h>

static int is_device(const char *s, size_t n)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL", NULL };
	size_t base = n;
	const char *dot = memchr(s, '.', n);
	if (dot)
		base = (size_t)(dot - s);
	/* trailing spaces before the dot do not change the device */
	while (base && s[base - 1] == ' ')
		base--;
	for (int i = 0; dev[i]; i++)
		if (base == 3 && mf_strncaseeq(s, dev[i], 3))
			return 1;
	if (base == 4 && (mf_strncaseeq(s, "COM", 3) || mf_strncaseeq(s, "LPT", 3)) &&
	    s[3] >= '1' && s[3] <= '9')
		return 1;
	return 0;
}

/* Largest k <= n such that s[0..k) ends on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n)
{
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

char *mf_safe_filename(char *out, size_t cap, const char *name, size_t max_bytes,
		       const char *fallback)
{
	char tmp[4096];
	const char *last;
	size_t n = 0, a, b, lim;

	if (!fallback || !*fallback)
		fallback = "file";
	if (!name)
		name = "";
	/* last path component */
	last = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			last = p + 1;
	for (const char *p = last; *p && n + 1 < sizeof(tmp); p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || strchr("<>:\"/\\|?*", c))
			tmp[n++] = '_';
		else
			tmp[n++] = (char)c;
	}
	tmp[n] = '\0';
	a = 0;
	b = n;
	while (a < b && (tmp[a] == '.' || tmp[a] == ' '))
		a++;
	while (b > a && (tmp[b - 1] == '.' || tmp[b - 1] == ' '))
		b--;
	if (a == b) {
		snprintf(out, cap, "%s", fallback);
		return out;
	}
	lim = max_bytes < cap - 1 ? max_bytes : cap - 1;
	if (lim < 8)
		lim = 8;
	{
		char *s = tmp + a;
		size_t len = b - a, pre = is_device(s, len) ? 1 : 0;
		if (len + pre > lim) {
			/* keep the extension (if short) and cut the stem */
			const char *dot = strrchr(s, '.');
			size_t ext = dot ? (size_t)(s + len - dot) : 0;
			size_t stem;
			if (ext > 16 || ext >= lim / 2)
				ext = 0;
			stem = utf8_cut(s, lim - pre - ext);
			snprintf(out, cap, "%s%.*s%.*s", pre ? "_" : "", (int)stem, s, (int)ext,
				 ext ? dot : "");
		} else {
			snprintf(out, cap, "%s%.*s", pre ? "_" : "", (int)len, s);
		}
	}
	return out;
}

int mf_filename_is_safe(const char *name, size_t max_bytes)
{
	char out[4096];
	if (!name || !*name)
		return 0;
	mf_safe_filename(out, sizeof(out), name, max_bytes, "x");
	return strcmp(out, name) == 0;
}
