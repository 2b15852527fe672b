/* SPDX-License-Identifier: MIT */
/* dav_common.c: what the CardDAV and CalDAV exporters and verify share (dav.h). */
#include "exporters/dav/dav.h"
#include "core/fsutil.h"
#include "core/hash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mf_dav_target_parse(struct mf_dav_target *t, const char *url, enum mf_dav_kind kind,
			struct mf_diag *diag)
{
	const char *h, *scheme, *path;
	size_t hl;
	char host[256];
	uint64_t port;

	memset(t, 0, sizeof(*t));
	if (!url || !*url)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "%s needs --url http[s]://HOST[:PORT]/PATH",
				   kind == MF_DAV_CARD ? "carddav" : "caldav");
	if (!strncasecmp(url, "https://", 8)) {
		scheme = "https";
		h = url + 8;
		port = 443;
	} else if (!strncasecmp(url, "http://", 7)) {
		scheme = "http";
		h = url + 7;
		port = 80;
	} else {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--url wants http[s]://HOST[:PORT]/PATH");
	}
	hl = strcspn(h, "/?#");
	if (memchr(h, '@', hl))
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--url must not hold a user or password (use --admin and "
				   "--password-file)");
	if (h[hl] == '?' || h[hl] == '#' || strpbrk(h + hl, "?#"))
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: no query or fragment");
	path = h + hl;
	if (*h == '[') {
		const char *e = memchr(h, ']', hl);
		if (!e || (size_t)(e - h + 1) >= sizeof(host))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad IPv6 address");
		memcpy(host, h, (size_t)(e - h + 1));
		host[e - h + 1] = '\0';
		hl -= (size_t)(e - h + 1);
		h = e + 1;
	} else {
		size_t k = strcspn(h, ":/");
		if (k == 0 || k >= sizeof(host) || k > hl)
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: no host");
		memcpy(host, h, k);
		host[k] = '\0';
		h += k;
		hl -= k;
	}
	if (hl && *h == ':') {
		if (mf_parse_u64(&port, h + 1, hl - 1, 65535) < 0 || port == 0)
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad port");
	} else if (hl) {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad host");
	}
	for (char *p = host; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if ((unsigned char)*p <= ' ' || *p == '%')
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad host");
	}
	snprintf(t->base, sizeof(t->base), "%s://%s:%u", scheme, host, (unsigned)port);
	{
		size_t pl = strlen(path);
		if (pl + 2 >= sizeof(t->path) || strstr(path, "/../") ||
		    (pl >= 3 && !strcmp(path + pl - 3, "/..")))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad path");
		for (size_t i = 0; i < pl; i++)
			if ((unsigned char)path[i] <= ' ' || path[i] == '"' || path[i] == '\\')
				return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
						   "--url: the path must be percent-encoded");
		if (!pl)
			snprintf(t->path, sizeof(t->path), "/");
		else
			snprintf(t->path, sizeof(t->path), "%s%s", path, path[pl - 1] == '/' ? "" : "/");
	}
	snprintf(t->id, sizeof(t->id), "%s:%s%s", kind == MF_DAV_CARD ? "carddav" : "caldav",
		 t->base, t->path);
	return MF_OK;
}

int mf_dav_collection(struct mf_buf *out, const struct mf_dav_target *t, const char *layout,
		      const char *alias, enum mf_dav_kind kind, struct mf_diag *diag)
{
	struct mf_buf rel;
	const char *l = layout && *layout ? layout : "%a/%t/";
	int has_a = 0;

	mf_buf_init(&rel, MF_BUF_UNBOUNDED);
	if (t->discovered) {
		/* the mailbox's home as the admin's was found, then the collection */
		mf_buf_addf(&rel, "%s%s%s%s/", t->home_pre, alias, t->home_post,
			    kind == MF_DAV_CARD ? "contacts" : "calendar");
		mf_dav_path_encode(out, rel.data);
		mf_buf_release(&rel);
		return MF_OK;
	}
	while (*l == '/')
		l++;
	for (; *l; l++) {
		if (*l == '%' && l[1] == 'a') {
			mf_buf_addstr(&rel, alias);
			has_a = 1;
			l++;
		} else if (*l == '%' && l[1] == 't') {
			mf_buf_addstr(&rel, kind == MF_DAV_CARD ? "contacts" : "calendar");
			l++;
		} else if (*l == '%' && l[1] == '%') {
			mf_buf_addch(&rel, '%');
			l++;
		} else {
			mf_buf_addch(&rel, *l);
		}
	}
	if (!has_a || strstr(rel.data, "..") || strstr(rel.data, "//")) {
		mf_buf_release(&rel);
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--dav-layout must hold %%a (the alias) and no '..' or '//'");
	}
	mf_buf_addstr(out, t->path);
	mf_dav_path_encode(out, rel.data);
	if (out->len && out->data[out->len - 1] != '/')
		mf_buf_addch(out, '/');
	mf_buf_release(&rel);
	return MF_OK;
}

/* An absolute path without "." or ".." segments and without control
 * characters: the server's own answer, still never a way upwards. */
static int home_path_ok(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < ' ')
			return 0;
		if (*s == '/' && s[1] == '.' &&
		    (s[2] == '/' || s[2] == '\0' || (s[2] == '.' && (s[3] == '/' || s[3] == '\0'))))
			return 0;
	}
	return 1;
}

int mf_dav_home_template(struct mf_dav_target *t, const char *principal, const char *home,
			 struct mf_diag *diag)
{
	char name[256];
	size_t pl = strlen(principal), hl = strlen(home), nl, k;
	const char *seg, *hit = NULL;

	/* the principal's last segment: "/principals/users/admin/" -> "admin" */
	while (pl && principal[pl - 1] == '/')
		pl--;
	k = pl;
	while (k && principal[k - 1] != '/')
		k--;
	nl = pl - k;
	if (!nl || nl >= sizeof(name))
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--dav-discover: the principal '%s' has no name to replace",
				   principal);
	memcpy(name, principal + k, nl);
	name[nl] = '\0';
	/* its last appearance in the home as a whole segment */
	for (seg = home; (seg = strstr(seg, name)) != NULL; seg++)
		if (seg > home && seg[-1] == '/' && (seg[nl] == '/' || seg[nl] == '\0'))
			hit = seg;
	if (!hit || !home_path_ok(home) || (size_t)(hit - home) >= sizeof(t->home_pre) ||
	    hl - (size_t)(hit - home) - nl + 2 >= sizeof(t->home_post))
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--dav-discover: the home set '%s' does not name the principal '%s', "
				   "so the mailboxes' homes cannot be derived from it; name the "
				   "collections with --dav-layout", home, principal);
	snprintf(t->home_pre, sizeof(t->home_pre), "%.*s", (int)(hit - home), home);
	snprintf(t->home_post, sizeof(t->home_post), "%s%s", hit + nl,
		 home[hl - 1] == '/' ? "" : "/");
	t->discovered = 1;
	{
		/* the template is the target ("carddav:" base template): another
		 * home is another place */
		char kind[16];
		snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(t->id, ":"), t->id);
		snprintf(t->id, sizeof(t->id), "%s:%s%s%%a%s", kind, t->base, t->home_pre,
			 t->home_post);
	}
	return MF_OK;
}

static const char PROPFIND_PRINCIPAL[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:current-user-principal/></D:prop></D:propfind>\n";
static const char PROPFIND_HOME_CARD[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\"><D:prop>"
	"<C:addressbook-home-set/></D:prop></D:propfind>\n";
static const char PROPFIND_HOME_CAL[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>"
	"<C:calendar-home-set/></D:prop></D:propfind>\n";

/* PROPFIND Depth 0 path with body; the principal's or the home's href of
 * the answer into *out (NULL when the server names none). */
static int ask_href(struct mf_dav *dav, char **out, const char *path, const char *body,
		    int home, struct mf_diag *diag)
{
	static const char *const hdr[] = { "Depth: 0", "Content-Type: application/xml; charset=utf-8",
					   NULL };
	struct mf_dav_resp r;
	int rc;

	*out = NULL;
	mf_dav_resp_init(&r);
	rc = mf_dav_request(dav, &r, "PROPFIND", path, hdr, body, strlen(body), diag);
	if (rc == MF_OK && r.status != 207) {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "--dav-discover: PROPFIND %s: HTTP %ld",
				 path, r.status);
	} else if (rc == MF_OK) {
		struct mf_dav_ms ms;
		if ((rc = mf_dav_ms_parse(&ms, r.body.data, r.body.len, diag)) == MF_OK) {
			for (size_t i = 0; i < ms.n && !*out; i++) {
				const char *h = home ? ms.items[i].home : ms.items[i].principal;
				if (h && *h)
					*out = mf_xstrdup(h);
			}
			mf_dav_ms_release(&ms);
		}
	}
	mf_dav_resp_release(&r);
	return rc;
}

int mf_dav_discover(struct mf_dav *dav, struct mf_dav_target *t, enum mf_dav_kind kind,
		    const struct mf_export_opts *o, struct mf_diag *diag)
{
	struct mf_dav_resp r;
	struct mf_buf ctx;
	char *principal = NULL, *home = NULL;
	const char *wk = kind == MF_DAV_CARD ? "/.well-known/carddav" : "/.well-known/caldav";
	int rc;

	if (!mf_opt_num(o->values, "dav-discover"))
		return MF_OK;
	if (strcmp(mf_dav_layout(o), "%a/%t/") != 0)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--dav-discover and --dav-layout exclude each other");
	mf_buf_init(&ctx, MF_BUF_UNBOUNDED);
	mf_dav_resp_init(&r);
	{
		static const char *const hdr[] = { "Depth: 0", NULL };
		rc = mf_dav_request(dav, &r, "PROPFIND", wk, hdr, NULL, 0, diag);
	}
	if (rc < 0)
		goto out;
	if ((r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 ||
	     r.status == 308) && r.location[0]) {
		/* one redirect, on this server only (the password goes nowhere else) */
		const char *loc = r.location;
		struct mf_dav_target there;
		struct mf_diag d;
		if (loc[0] != '/') {
			if (mf_dav_target_parse(&there, loc, kind, &d) < 0) {
				rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
						 "--dav-discover: %s redirects to '%s'", wk, r.location);
				goto out;
			}
			if (strcmp(there.base, t->base) != 0) {
				rc = mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
						 "--dav-discover: %s redirects to another server (%s); "
						 "give that server's URL", wk, there.base);
				goto out;
			}
			loc = there.path;
		}
		if (strpbrk(loc, " \"\\?#")) {
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					 "--dav-discover: %s redirects to '%s'", wk, r.location);
			goto out;
		}
		mf_buf_addstr(&ctx, loc);
	} else if (r.status == 207) {
		mf_buf_addstr(&ctx, wk);
	} else if (r.status == 401) {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				 "%s: the server refuses the admin's login (401)", wk);
		goto out;
	} else {
		mf_buf_addstr(&ctx, t->path);   /* no well-known: the URL is the context */
	}
	if ((rc = ask_href(dav, &principal, ctx.data, PROPFIND_PRINCIPAL, 0, diag)) < 0)
		goto out;
	if (!principal) {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				 "--dav-discover: %s names no current-user-principal", ctx.data);
		goto out;
	}
	{
		struct mf_buf enc;
		mf_buf_init(&enc, MF_BUF_UNBOUNDED);
		mf_dav_path_encode(&enc, principal);
		rc = ask_href(dav, &home, enc.data,
			      kind == MF_DAV_CARD ? PROPFIND_HOME_CARD : PROPFIND_HOME_CAL, 1, diag);
		mf_buf_release(&enc);
	}
	if (rc < 0)
		goto out;
	if (!home) {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				 "--dav-discover: the principal %s names no %s", principal,
				 kind == MF_DAV_CARD ? "addressbook-home-set" : "calendar-home-set");
		goto out;
	}
	rc = mf_dav_home_template(t, principal, home, diag);
out:
	free(principal);
	free(home);
	mf_dav_resp_release(&r);
	mf_buf_release(&ctx);
	return rc;
}

int mf_dav_read_secret(char **out, const char *path, struct mf_diag *diag)
{
	char *text = NULL;
	size_t len = 0, k = 0;
	*out = NULL;
	if (path) {
		if (mf_read_file(&text, &len, path, 64 << 10, diag) < 0)
			return MF_EUSAGE;
	} else if (getenv("MAILFERRY_PASSWORD")) {
		text = mf_xstrdup(getenv("MAILFERRY_PASSWORD"));
		len = strlen(text);
	} else {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--admin needs --password-file (a file: never on the command "
				   "line), or the environment variable MAILFERRY_PASSWORD");
	}
	while (k < len && text[k] != '\n' && text[k] != '\r' && text[k] != '\0')
		k++;
	*out = mf_xstrndup(text, k);
	memset(text, 0, len);
	free(text);
	if (!k) {
		mf_dav_wipe(out);
		return mf_diag_set(diag, MF_EUSAGE, path, MF_NO_OFFSET, "the password file is empty");
	}
	return MF_OK;
}

void mf_dav_wipe(char **s)
{
	if (*s) {
		volatile char *p = *s;
		while (*p)
			*p++ = '\0';
		free(*s);
		*s = NULL;
	}
}

void mf_dav_resource_name(char out[40], const char *uid, const char *ext)
{
	char hex[MF_SHA256_HEX];
	mf_sha256_hex(hex, uid, strlen(uid));
	snprintf(out, 40, "%.32s%s", hex, ext);
}

static const char PROPFIND0[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/></D:prop></D:propfind>\n";

/* 1 exists, 0 missing, <0 error. */
static int exists(struct mf_dav *dav, const char *path, unsigned *rtype, struct mf_diag *diag)
{
	static const char *const hdr[] = { "Depth: 0", "Content-Type: application/xml; charset=utf-8", NULL };
	struct mf_dav_resp r;
	int rc;

	*rtype = 0;
	mf_dav_resp_init(&r);
	rc = mf_dav_request(dav, &r, "PROPFIND", path, hdr, PROPFIND0, sizeof(PROPFIND0) - 1, diag);
	if (rc == MF_OK) {
		if (r.status == 207) {
			struct mf_dav_ms ms;
			struct mf_diag d;
			rc = 1;
			if (mf_dav_ms_parse(&ms, r.body.data, r.body.len, &d) == MF_OK) {
				for (size_t i = 0; i < ms.n; i++)
					*rtype |= ms.items[i].rtype;
				mf_dav_ms_release(&ms);
			}
		} else if (r.status == 404) {
			rc = 0;
		} else if (r.status == 401) {
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					 "PROPFIND %s: 401: the server refuses the admin's login", path);
		} else {
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "PROPFIND %s: HTTP %ld", path,
					 r.status);
		}
	}
	mf_dav_resp_release(&r);
	return rc;
}

static int mkcol(struct mf_dav *dav, const char *path, enum mf_dav_kind kind, int plain,
		 const char *displayname, struct mf_diag *diag)
{
	static const char *const hdr[] = { "Content-Type: application/xml; charset=utf-8", NULL };
	struct mf_dav_resp r;
	struct mf_buf b;
	const char *method = plain ? "MKCOL" : kind == MF_DAV_CARD ? "MKCOL" : "MKCALENDAR";
	int rc;

	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	if (!plain && kind == MF_DAV_CARD) {
		mf_buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			      "<D:mkcol xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\">"
			      "<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/>"
			      "</D:resourcetype>");
	} else if (!plain) {
		mf_buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			      "<C:mkcalendar xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
			      "<D:set><D:prop><C:supported-calendar-component-set><C:comp name=\"VEVENT\"/>"
			      "<C:comp name=\"VTODO\"/><C:comp name=\"VJOURNAL\"/>"
			      "</C:supported-calendar-component-set>");
	}
	if (!plain && displayname && *displayname) {
		mf_buf_addstr(&b, "<D:displayname>");
		mf_dav_xml_escape(&b, displayname);
		mf_buf_addstr(&b, "</D:displayname>");
	}
	if (!plain)
		mf_buf_addstr(&b, kind == MF_DAV_CARD ? "</D:prop></D:set></D:mkcol>\n"
						      : "</D:prop></D:set></C:mkcalendar>\n");
	mf_dav_resp_init(&r);
	rc = mf_dav_request(dav, &r, method, path, plain ? NULL : hdr, plain ? NULL : b.data,
			    b.len, diag);
	if (rc == MF_OK && r.status != 201 && r.status != 200 && r.status != 204 &&
	    r.status != 405)
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "%s %s: HTTP %ld", method, path,
				 r.status);
	mf_dav_resp_release(&r);
	mf_buf_release(&b);
	return rc;
}

int mf_dav_ensure_collection(struct mf_dav *dav, const char *path, enum mf_dav_kind kind,
			     const char *displayname, struct mf_diag *diag)
{
	unsigned rt;
	int rc = exists(dav, path, &rt, diag);
	size_t n = strlen(path);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		if (!(rt & (kind == MF_DAV_CARD ? MF_DAV_RT_ADDRESSBOOK : MF_DAV_RT_CALENDAR)))
			return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					   "%s exists but is no %s", path,
					   kind == MF_DAV_CARD ? "address book" : "calendar");
		return MF_OK;
	}
	/* parents first, from the top: each missing one with a plain MKCOL */
	for (size_t i = 1; i + 1 < n; i++) {
		if (path[i] != '/')
			continue;
		{
			char *pp = mf_xstrndup(path, i + 1);
			rc = exists(dav, pp, &rt, diag);
			if (rc == 0)
				rc = mkcol(dav, pp, kind, 1, NULL, diag);
			free(pp);
			if (rc < 0)
				return rc;
		}
	}
	return mkcol(dav, path, kind, 0, displayname, diag);
}

int mf_dav_put(struct mf_dav *dav, int *state, char *etag, size_t etag_cap, char *detail,
	       size_t detail_cap, const char *path, const char *content_type,
	       const char *body, size_t len, struct mf_diag *diag)
{
	char ct[160];
	const char *hdr[3] = { "If-None-Match: *", ct, NULL };
	struct mf_dav_resp r;
	int rc;

	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	etag[0] = '\0';
	detail[0] = '\0';
	mf_dav_resp_init(&r);
	rc = mf_dav_request(dav, &r, "PUT", path, hdr, body, len, diag);
	if (rc < 0)
		goto out;
	if (r.status == 201 || r.status == 204 || r.status == 200) {
		*state = MF_DAV_PUT_NEW;
		snprintf(etag, etag_cap, "%s", r.etag);
	} else if (r.status == 412) {
		*state = MF_DAV_PUT_THERE;
		rc = mf_dav_request(dav, &r, "HEAD", path, NULL, NULL, 0, diag);
		if (rc == MF_OK && r.status / 100 == 2)
			snprintf(etag, etag_cap, "%s", r.etag);
	} else if (r.status == 401) {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				 "PUT %s: 401: the server refuses the admin's login", path);
	} else if (r.status / 100 == 4 || r.status == 207) {
		/* this item only: a UID already under another name (409), content
		 * the server cannot take (400, 413, 415), an error in a 207 */
		char why[160] = "";
		if (r.status == 207) {
			struct mf_dav_ms ms;
			struct mf_diag d;
			if (mf_dav_ms_parse(&ms, r.body.data, r.body.len, &d) == MF_OK) {
				for (size_t i = 0; i < ms.n && !why[0]; i++)
					if (ms.items[i].error || ms.items[i].status >= 400)
						snprintf(why, sizeof(why), "%s (%d)",
							 ms.items[i].error ? ms.items[i].error : "error",
							 ms.items[i].status);
				mf_dav_ms_release(&ms);
			}
			if (!why[0]) {
				*state = MF_DAV_PUT_NEW;
				goto out;
			}
		} else {
			/* the server's words: a precondition element or a line of text */
			struct mf_dav_ms ms;
			struct mf_diag d;
			const char *b = r.body.data;
			if (strstr(b, "no-uid-conflict"))
				snprintf(why, sizeof(why), "no-uid-conflict: the UID is on the server "
					 "under another name");
			else if (mf_dav_ms_parse(&ms, b, r.body.len, &d) == MF_OK)
				mf_dav_ms_release(&ms);
			if (!why[0]) {
				size_t k = 0;
				while (b[k] && b[k] != '\n' && b[k] != '\r' && k < 120)
					k++;
				snprintf(why, sizeof(why), "%.*s", (int)k, b);
			}
		}
		*state = MF_DAV_PUT_REFUSED;
		snprintf(detail, detail_cap, "PUT %s: HTTP %ld%s%s", path, r.status,
			 why[0] ? ": " : "", why);
	} else {
		rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "PUT %s: HTTP %ld", path, r.status);
	}
out:
	mf_dav_resp_release(&r);
	return rc;
}
