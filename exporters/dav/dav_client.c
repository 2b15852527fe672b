/* SPDX-License-Identifier: MIT */
/*
 * dav_client.c: a small WebDAV client (see dav.h): libcurl for HTTP, one
 * easy handle per client so the connection is reused, requests one after
 * the other; libxml2 for 207 Multi-Status bodies.
 *
 * Every request carries an empty "Expect:" header: some servers (Radicale)
 * never answer "100 Continue", and libcurl would wait a second before each
 * body.  Answers 429 and 503 are retried after the server's Retry-After
 * (seconds, at most 30) or a back-off that doubles from 250 ms
 * (MAILFERRY_DAV_BACKOFF_MS), at most MAX_RETRIES times, as the IMAP
 * exporter does with [THROTTLED].
 *
 * Multi-Status: parsed without network access, without loading or
 * obeying a DTD (a document with one is refused: no entity is ever
 * expanded), and elements are recognised by namespace URI and local name,
 * never by prefix.
 */
#include "exporters/dav/dav.h"

#include <curl/curl.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RETRIES 6
#define MAX_BODY (512u << 20)
#define MAX_ITEMS 100000

static const char NS_DAV[] = "DAV:";
static const char NS_CARD[] = "urn:ietf:params:xml:ns:carddav";
static const char NS_CAL[] = "urn:ietf:params:xml:ns:caldav";

struct mf_dav {
	CURL *h;
	char *base;
	char *user, *password;
	int verify;
	int64_t requests, throttled;
	/* per answer, filled by the header callback */
	struct mf_dav_resp *cur;
	int64_t retry_after;          /* seconds, -1: none */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int64_t backoff_ms(int n)
{
	const char *e = getenv("MAILFERRY_DAV_BACKOFF_MS");
	uint64_t base = 250;
	int64_t v;
	if (e && *e && mf_parse_u64(&base, e, strlen(e), 60000) < 0)
		base = 250;
	v = (int64_t)base;
	for (int i = 1; i < n && v < 30000; i++)
		v *= 2;
	return v > 30000 ? 30000 : v;
}

void mf_dav_resp_init(struct mf_dav_resp *r)
{
	memset(r, 0, sizeof(*r));
	mf_buf_init(&r->body, MAX_BODY);
}

void mf_dav_resp_release(struct mf_dav_resp *r)
{
	mf_buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct mf_dav *d = arg;
	if (mf_buf_add(&d->cur->body, p, size * n) < 0)
		return 0;        /* too large: the transfer fails */
	return size * n;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct mf_dav *d = arg;
	size_t len = size * n;
	if (len >= 5 && !strncasecmp(p, "HTTP/", 5)) {
		/* a new answer (after 100 or a redirect): forget the last one's */
		d->cur->etag[0] = '\0';
		d->cur->content_type[0] = '\0';
		d->cur->location[0] = '\0';
		d->retry_after = -1;
	} else if (len > 5 && !strncasecmp(p, "ETag:", 5)) {
		copy_value(d->cur->etag, sizeof(d->cur->etag), p + 5, len - 5);
	} else if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
		copy_value(d->cur->content_type, sizeof(d->cur->content_type), p + 13, len - 13);
	} else if (len > 9 && !strncasecmp(p, "Location:", 9)) {
		copy_value(d->cur->location, sizeof(d->cur->location), p + 9, len - 9);
	} else if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		char v[64];
		uint64_t s;
		copy_value(v, sizeof(v), p + 12, len - 12);
		if (mf_parse_u64(&s, v, strlen(v), 86400) == MF_OK)
			d->retry_after = (int64_t)s;
	}
	return len;
}

int mf_dav_open(struct mf_dav **out, const char *base, const char *user,
		const char *password, int verify, struct mf_diag *diag)
{
	struct mf_dav *d;

	*out = NULL;
	pthread_once(&curl_once, curl_start);
	d = mf_xcalloc(1, sizeof(*d));
	d->h = curl_easy_init();
	if (!d->h) {
		free(d);
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "libcurl could not start");
	}
	d->base = mf_xstrdup(base);
	d->user = user ? mf_xstrdup(user) : NULL;
	d->password = password ? mf_xstrdup(password) : NULL;
	d->verify = verify;
	curl_easy_setopt(d->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(d->h, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(d->h, CURLOPT_HEADERDATA, d);
	curl_easy_setopt(d->h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(d->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(d->h, CURLOPT_LOW_SPEED_TIME, 300L);
	curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	/* the same trust store as the IMAP exporter: OpenSSL's default, or the
	 * file SSL_CERT_FILE names (libcurl would use its own built-in path) */
	{
		const char *ca = getenv("SSL_CERT_FILE");
		if (ca && *ca)
			curl_easy_setopt(d->h, CURLOPT_CAINFO, ca);
	}
	curl_easy_setopt(d->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(d->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(d->h, CURLOPT_USERAGENT, "mailferry");
	if (d->user) {
		curl_easy_setopt(d->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(d->h, CURLOPT_USERNAME, d->user);
		curl_easy_setopt(d->h, CURLOPT_PASSWORD, d->password ? d->password : "");
	}
	*out = d;
	return MF_OK;
}

void mf_dav_close(struct mf_dav **pd)
{
	struct mf_dav *d = pd ? *pd : NULL;
	if (!d)
		return;
	curl_easy_cleanup(d->h);
	mf_dav_wipe(&d->password);
	free(d->user);
	free(d->base);
	free(d);
	*pd = NULL;
}

int64_t mf_dav_requests(const struct mf_dav *d)
{
	return d->requests;
}

int64_t mf_dav_throttled(const struct mf_dav *d)
{
	return d->throttled;
}

int mf_dav_request(struct mf_dav *d, struct mf_dav_resp *r, const char *method,
		   const char *path, const char *const *headers, const void *body,
		   size_t len, struct mf_diag *diag)
{
	struct curl_slist *hl = NULL;
	char *url = mf_xasprintf("%s%s", d->base, path);
	int tries = 0, lost = 0, rc = MF_OK;

	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	for (;;) {
		CURLcode cc;
		mf_buf_reset(&r->body);
		r->status = 0;
		r->etag[0] = r->content_type[0] = '\0';
		d->cur = r;
		d->retry_after = -1;
		curl_easy_setopt(d->h, CURLOPT_URL, url);
		curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, hl);
		if (body) {
			curl_easy_setopt(d->h, CURLOPT_NOBODY, 0L);
			curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, (const char *)body);
			curl_easy_setopt(d->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			curl_easy_setopt(d->h, CURLOPT_HTTPGET, 1L);
			curl_easy_setopt(d->h, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
		}
		curl_easy_setopt(d->h, CURLOPT_CUSTOMREQUEST,
				 (!strcmp(method, "GET") || !strcmp(method, "HEAD")) ? NULL : method);
		d->requests++;
		cc = curl_easy_perform(d->h);
		d->cur = NULL;
		if (cc != CURLE_OK) {
			if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
			    cc == CURLE_SSL_CERTPROBLEM) {
				rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
						 "%s: the server's certificate is not trusted (%s); "
						 "--tls-verify no to skip the check", d->base,
						 curl_easy_strerror(cc));
				break;
			}
			if (!lost && (cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
				      cc == CURLE_GOT_NOTHING || cc == CURLE_COULDNT_CONNECT)) {
				lost = 1;
				sleep_ms(backoff_ms(1));
				continue;
			}
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "%s %s%s: %s", method,
					 d->base, path, curl_easy_strerror(cc));
			break;
		}
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &r->status);
		if ((r->status == 429 || r->status == 503) && tries < MAX_RETRIES) {
			int64_t wait = d->retry_after >= 0 ? d->retry_after * 1000 : backoff_ms(tries + 1);
			tries++;
			d->throttled++;
			sleep_ms(wait > 30000 ? 30000 : wait);
			continue;
		}
		break;
	}
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hl);
	free(url);
	return rc;
}

/* ---- multistatus ---- */

static int is_el(const xmlNode *n, const char *ns, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, local);
}

/* The text of an element: its text and CDATA children only (never an
 * entity's replacement). */
static char *text_of(const xmlNode *n, size_t *len_out)
{
	struct mf_buf b;
	mf_buf_init(&b, MAX_BODY);
	for (const xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			mf_buf_addstr(&b, (const char *)c->content);
	if (len_out)
		*len_out = b.len;
	return mf_buf_detach(&b, NULL);
}

static int parse_status(const char *s)
{
	/* "HTTP/1.1 200 OK" */
	const char *p = strchr(s, ' ');
	uint64_t v;
	if (!p)
		return 0;
	p++;
	if (strlen(p) < 3 || mf_parse_u64(&v, p, 3, 999) < 0)
		return 0;
	return (int)v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *mf_dav_path_decode(const char *s, size_t n)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			mf_buf_addch(&b, hi * 16 + lo);
			i += 2;
		} else {
			mf_buf_addch(&b, s[i]);
		}
	}
	return mf_buf_detach(&b, NULL);
}

void mf_dav_path_encode(struct mf_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			mf_buf_addch(out, *p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			mf_buf_add(out, e, 3);
		}
	}
}

void mf_dav_xml_escape(struct mf_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': mf_buf_addstr(out, "&amp;"); break;
		case '<': mf_buf_addstr(out, "&lt;"); break;
		case '>': mf_buf_addstr(out, "&gt;"); break;
		case '"': mf_buf_addstr(out, "&quot;"); break;
		case '\'': mf_buf_addstr(out, "&apos;"); break;
		default: mf_buf_addch(out, *s);
		}
	}
}

/* An href reduced to a decoded path: "http://h:p/a%20b/" -> "/a b/". */
static char *href_path(const char *h)
{
	const char *p = h, *s;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	s = strstr(p, "://");
	if (s && (size_t)(s - p) < 10) {
		p = strchr(s + 3, '/');
		if (!p)
			p = "/";
	}
	{
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
			n--;
		return mf_dav_path_decode(p, n);
	}
}

static void item_free(struct mf_dav_item *it)
{
	free(it->href);
	free(it->etag);
	free(it->data);
	free(it->error);
	free(it->principal);
	free(it->home);
}

/* The first DAV:href inside n, as a decoded path (NULL: none). */
static char *first_href(const xmlNode *n)
{
	for (const xmlNode *h = n->children; h; h = h->next)
		if (is_el(h, NS_DAV, "href")) {
			char *t = text_of(h, NULL);
			char *p = t ? href_path(t) : NULL;
			free(t);
			return p;
		}
	return NULL;
}

static void parse_prop(struct mf_dav_item *it, const xmlNode *prop)
{
	for (const xmlNode *p = prop->children; p; p = p->next) {
		if (is_el(p, NS_DAV, "getetag") && !it->etag) {
			it->etag = text_of(p, NULL);
		} else if (is_el(p, NS_DAV, "resourcetype")) {
			for (const xmlNode *t = p->children; t; t = t->next) {
				if (is_el(t, NS_DAV, "collection"))
					it->rtype |= MF_DAV_RT_COLLECTION;
				else if (is_el(t, NS_CARD, "addressbook"))
					it->rtype |= MF_DAV_RT_ADDRESSBOOK;
				else if (is_el(t, NS_CAL, "calendar"))
					it->rtype |= MF_DAV_RT_CALENDAR;
			}
		} else if (is_el(p, NS_DAV, "current-user-principal") && !it->principal) {
			it->principal = first_href(p);
		} else if ((is_el(p, NS_CARD, "addressbook-home-set") ||
			    is_el(p, NS_CAL, "calendar-home-set")) && !it->home) {
			it->home = first_href(p);
		} else if ((is_el(p, NS_CARD, "address-data") || is_el(p, NS_CAL, "calendar-data")) &&
			   !it->data) {
			it->data = text_of(p, &it->data_len);
		}
	}
}

static void parse_response(struct mf_dav_item *it, const xmlNode *r)
{
	int first_ps = 0;
	for (const xmlNode *c = r->children; c; c = c->next) {
		if (is_el(c, NS_DAV, "href") && !it->href) {
			char *t = text_of(c, NULL);
			it->href = href_path(t);
			free(t);
		} else if (is_el(c, NS_DAV, "status")) {
			char *t = text_of(c, NULL);
			it->status = parse_status(t);
			free(t);
		} else if (is_el(c, NS_DAV, "error") && !it->error) {
			for (const xmlNode *e = c->children; e; e = e->next)
				if (e->type == XML_ELEMENT_NODE) {
					it->error = mf_xstrdup((const char *)e->name);
					break;
				}
			if (!it->error)
				it->error = mf_xstrdup("error");
		} else if (is_el(c, NS_DAV, "propstat")) {
			int st = 0;
			const xmlNode *prop = NULL;
			for (const xmlNode *p = c->children; p; p = p->next) {
				if (is_el(p, NS_DAV, "status")) {
					char *t = text_of(p, NULL);
					st = parse_status(t);
					free(t);
				} else if (is_el(p, NS_DAV, "prop")) {
					prop = p;
				}
			}
			if (st / 100 == 2 && prop)
				parse_prop(it, prop);
			if (!first_ps || st / 100 == 2) {
				/* the response's status: a successful propstat wins */
				if (!it->status || (first_ps && st / 100 == 2))
					it->status = st;
				first_ps = 1;
			}
		}
	}
}

int mf_dav_ms_parse(struct mf_dav_ms *ms, const char *body, size_t len, struct mf_diag *diag)
{
	xmlDoc *doc;
	xmlNode *root;
	size_t cap = 0;
	int rc = MF_OK;

	memset(ms, 0, sizeof(ms[0]));
	if (len > MAX_BODY || len > (size_t)0x7fffffff)
		return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET, "multistatus too large");
	pthread_once(&curl_once, curl_start);
	doc = xmlReadMemory(body, (int)len, "multistatus.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			    XML_PARSE_NOCDATA);
	if (!doc)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "multistatus: not XML");
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "multistatus: a DTD is not accepted");
	}
	root = xmlDocGetRootElement(doc);
	if (!is_el(root, NS_DAV, "multistatus")) {
		xmlFreeDoc(doc);
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "multistatus: the root is not DAV:multistatus");
	}
	for (const xmlNode *r = root->children; r; r = r->next) {
		struct mf_dav_item *it;
		if (!is_el(r, NS_DAV, "response"))
			continue;
		if (ms->n == MAX_ITEMS) {
			rc = mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET,
					 "multistatus: more than %d responses", MAX_ITEMS);
			break;
		}
		if (ms->n == cap) {
			cap = cap ? cap * 2 : 16;
			ms->items = mf_xreallocarray(ms->items, cap, sizeof(*ms->items));
		}
		it = &ms->items[ms->n];
		memset(it, 0, sizeof(*it));
		parse_response(it, r);
		if (!it->href) {
			item_free(it);
			continue;
		}
		ms->n++;
	}
	xmlFreeDoc(doc);
	if (rc < 0)
		mf_dav_ms_release(ms);
	return rc;
}

void mf_dav_ms_release(struct mf_dav_ms *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		item_free(&ms->items[i]);
	free(ms->items);
	memset(ms, 0, sizeof(*ms));
}
