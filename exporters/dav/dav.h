/* SPDX-License-Identifier: MIT */
/*
 * dav.h: private to exporters/dav/: the vCard writer (vcard.c), the
 * content-line reader both vCard and iCalendar verification use, the
 * WebDAV client (dav_client.c, libcurl + libxml2), what the `vcard`,
 * `carddav` and `caldav` exporters share (dav_common.c), and the staged
 * data they need that the export driver does not hand over (dav_staged.c).
 *
 * Nothing outside exporters/dav/ includes this header except the unit
 * tests and the fuzz targets.
 */
#ifndef MF_EXPORTERS_DAV_DAV_H
#define MF_EXPORTERS_DAV_DAV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/mf.h"
#include "core/model.h"
#include "core/store.h"
#include "core/store_dav.h"
#include "engine/exporter.h"
#include "engine/options.h"

/* Option rows of the vcard, carddav and caldav registry entries
 * (engine/options.h).  Rows named like the IMAP and Exchange exporters'
 * have their kind; the first in registry order gives --help its line. */
#define MF_DAV_OPTION_URL                                                              \
	{ .name = "url", .kind = MF_OPT_STRING, .arg = "http[s]://HOST[:PORT]/PATH",  \
	  .help = "CardDAV or CalDAV server (carddav, caldav)",                        \
	  .field = MF_OPT_FIELD(struct mf_export_opts, url) }
#define MF_DAV_OPTION_ADMIN                                                            \
	{ .name = "admin", .kind = MF_OPT_STRING, .arg = "USER",                       \
	  .help = "carddav, caldav: the DAV user writing every collection",            \
	  .field = MF_OPT_FIELD(struct mf_export_opts, admin) }
#define MF_DAV_OPTION_PASSWORD_FILE                                                    \
	{ .name = "password-file", .kind = MF_OPT_SECRET_FILE, .arg = "FILE",          \
	  .help = "file holding the admin password (never on the command line)",       \
	  .field = MF_OPT_FIELD(struct mf_export_opts, password_file) }
#define MF_DAV_OPTION_TLS_VERIFY                                                       \
	{ .name = "tls-verify", .kind = MF_OPT_BOOL, .dflt = "yes",                    \
	  .help = "verify the server certificate (default yes)",                       \
	  .field = MF_OPT_FIELD(struct mf_export_opts, tls_verify) }
#define MF_DAV_OPTION_VCARD_VERSION                                                    \
	{ .name = "vcard-version", .kind = MF_OPT_ENUM,                                \
	  .choices = (const char *const[]){ "3.0", "4.0", NULL }, .dflt = "4.0",      \
	  .help = "vcard, carddav: vCard version (default 4.0)" }
#define MF_DAV_OPTION_LAYOUT                                                           \
	{ .name = "dav-layout", .kind = MF_OPT_STRING, .arg = "L", .dflt = "%a/%t/",   \
	  .help = "carddav, caldav: collection below --url, %a the alias,\n"          \
		  "%t contacts or calendar (default %a/%t/)" }
#define MF_DAV_OPTION_DIRECTORY                                                        \
	{ .name = "directory", .kind = MF_OPT_ENUM,                                    \
	  .choices = (const char *const[]){ "create", "skip", NULL },                  \
	  .help = "vcard, carddav: also the directory (custom recipients, public\n"   \
		  "lists) as DIR/directory.vcf or <url>/directory/contacts/ (default skip)", \
	  .field = MF_OPT_FIELD(struct mf_export_opts, directory_mode) }
#define MF_DAV_OPTION_DISCOVER                                                         \
	{ .name = "dav-discover", .kind = MF_OPT_BOOL, .dflt = "no",                   \
	  .help = "carddav, caldav: find the collections through /.well-known/ and\n"  \
		  "the admin's home set, each mailbox's home named like the admin's\n"  \
		  "(instead of --dav-layout; default no)" }

/* ==== vcard.c: writing vCards ==== */

/* A line is folded so that no physical line holds more than this many
 * octets before its CR LF (RFC 6350 3.2, RFC 5545 3.1). */
#define MF_VCARD_FOLD 75

/*
 * Escape a TEXT value for a content line: '\' ',' ';' get a backslash, a
 * line break (CR LF, LF or CR) becomes "\n"; other control characters
 * (tab excepted) become a space and bytes that are not UTF-8 become U+FFFD,
 * so the line stays one line of valid UTF-8.
 */
int mf_vcard_escape(struct mf_buf *out, const char *s, size_t n);

/*
 * Append one logical line (no CR LF in it) folded: CR LF after at most
 * MF_VCARD_FOLD octets, continuation lines start with one space, and a
 * UTF-8 sequence is never cut.
 */
int mf_vcard_fold(struct mf_buf *out, const char *line, size_t n);

/* Version of the cards written. */
enum mf_vcard_version { MF_VCARD_40 = 4, MF_VCARD_30 = 3 };

/* A UUID string "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" (name-based,
 * SHA-1, RFC 4122 section 4.3) in mailferry's namespace. */
#define MF_UUID_LEN 36
void mf_uuid5(char out[MF_UUID_LEN + 1], const char *name, size_t n);

/* What one card says: a contact or a group, from a personal address book
 * or from the post office directory.  Strings borrowed, NULL = absent. */
struct mf_vcard_member {
	const char *uuid;            /* a card of the same book: urn:uuid: */
	const char *email;           /* else an Internet address: mailto: */
	const char *legacy;          /* else the address as written */
};

struct mf_vcard_card {
	int group;                   /* a list: KIND:group */
	const char *uuid;            /* UID (urn:uuid:) */
	const char *fn;
	const char *given, *surname; /* N */
	const char *email;           /* Internet address */
	const char *legacy_type;     /* CCMAIL, MS, X400, ... (with legacy) */
	const char *legacy;          /* the legacy address */
	const char *note;
	const char *title, *org, *department, *office, *assistant;
	const char *street, *city, *region, *zip, *country;
	const char *tel_work, *tel_work2, *tel_assistant, *tel_fax, *tel_home,
		*tel_home2, *tel_cell, *tel_pager;
	int64_t rev;                 /* REV, UTC seconds; < 0: none */
	const struct mf_vcard_member *members;
	size_t n_members;
};

/* Append one card (BEGIN:VCARD ... END:VCARD, CR LF lines). */
int mf_vcard_write(struct mf_buf *out, enum mf_vcard_version v, const struct mf_vcard_card *c);

/* The X- property that keeps an address of this legacy type. */
const char *mf_vcard_legacy_prop(const char *type);

/* ==== vcard.c: reading content lines (vCard and iCalendar) ==== */

/*
 * One unfolded content line, normalised for comparison: upper-case name
 * (group prefix dropped), parameters upper-case and sorted, the value with
 * every escape undone.  "name" below is the name alone.
 */
struct mf_cl_prop {
	char *name;
	char *norm;                  /* "NAME;P1=v;P2=v:value" normalised */
	char *value;                 /* the unescaped value */
	size_t depth;                /* BEGIN nesting level the line is in */
	size_t comp;                 /* index of the component it belongs to */
};

struct mf_cl_comp {
	char *kind;                  /* VCARD, VEVENT, VTODO, VTIMEZONE, ... */
	size_t parent;               /* index of the enclosing one; (size_t)-1 for the top */
};

struct mf_cl_doc {
	struct mf_cl_prop *props;
	size_t n_props;
	struct mf_cl_comp *comps;
	size_t n_comps;
};

/*
 * Parse text of content lines (CR LF or LF, folded or not) into doc.  At
 * most max_lines logical lines and nesting 16 deep; MF_EFORMAT for a line
 * without ':' or an unbalanced BEGIN/END.  Release with mf_cl_release.
 */
int mf_cl_parse(struct mf_cl_doc *doc, const char *text, size_t len, size_t max_lines,
		struct mf_diag *diag);
void mf_cl_release(struct mf_cl_doc *doc);

/*
 * Compare two documents semantically: for every component of kind in
 * kinds (NULL-terminated) in want, matched with have's by the value of
 * key (UID, plus RECURRENCE-ID when present), the multiset of normalised
 * lines must be equal, except names in ignore (NULL-terminated, may be
 * NULL).  Appends one line per difference to why (at most max_lines).
 * Returns the number of differences.
 */
size_t mf_cl_compare(const struct mf_cl_doc *want, const struct mf_cl_doc *have,
		     const char *const *kinds, const char *const *ignore,
		     struct mf_buf *why, size_t max_lines);

/* ==== dav_client.c: WebDAV over libcurl ==== */

struct mf_dav;

struct mf_dav_resp {
	long status;                 /* HTTP status; 0: no answer */
	struct mf_buf body;
	char etag[200];
	char content_type[100];
	char location[1000];         /* Location: of a redirect, "" without */
};

/*
 * base: "http[s]://host[:port]" (no path).  user/password for Basic
 * authentication (password wiped by mf_dav_close).  verify: check the
 * server's certificate (default yes).  One connection, reused.
 */
int mf_dav_open(struct mf_dav **out, const char *base, const char *user,
		const char *password, int verify, struct mf_diag *diag);
void mf_dav_close(struct mf_dav **dav);
void mf_dav_resp_init(struct mf_dav_resp *r);
void mf_dav_resp_release(struct mf_dav_resp *r);

/*
 * Send one request (path absolute, already percent-encoded) and read the
 * answer into r.  headers: NULL-terminated "Name: value" strings or NULL.
 * Answers 429 and 503 are retried after Retry-After (or a doubling
 * back-off), at most 6 times; a lost connection is retried once.
 * MF_OK with r->status set for any HTTP answer; MF_EIO when the server
 * could not be reached (diag says why), MF_EUSAGE for a TLS certificate
 * the client does not trust.
 */
int mf_dav_request(struct mf_dav *dav, struct mf_dav_resp *r, const char *method,
		   const char *path, const char *const *headers, const void *body,
		   size_t len, struct mf_diag *diag);

/* Requests sent, retries after throttling (for tests and the summary). */
int64_t mf_dav_requests(const struct mf_dav *dav);
int64_t mf_dav_throttled(const struct mf_dav *dav);

/* ==== dav_client.c: 207 Multi-Status bodies ==== */

enum {
	MF_DAV_RT_COLLECTION = 1, MF_DAV_RT_ADDRESSBOOK = 2, MF_DAV_RT_CALENDAR = 4,
};

struct mf_dav_item {
	char *href;                  /* percent-decoded path ("/a/b c/x.vcf") */
	int status;                  /* of the response or of its propstat with data */
	char *etag;                  /* NULL: none */
	char *data;                  /* address-data or calendar-data, NULL: none */
	size_t data_len;
	unsigned rtype;              /* MF_DAV_RT_* */
	char *error;                 /* a precondition element's name, or NULL */
	char *principal;             /* current-user-principal's href (decoded path) */
	char *home;                  /* addressbook- or calendar-home-set's first href */
};

struct mf_dav_ms {
	struct mf_dav_item *items;
	size_t n;
};

/*
 * Parse a multistatus body (no network, no entities, no DTD; elements
 * matched by namespace URI and local name).  Hrefs absolute or relative,
 * percent-encoded or not, are reduced to a decoded path.  At most 100000
 * responses.  MF_EFORMAT when it is not a DAV: multistatus.
 */
int mf_dav_ms_parse(struct mf_dav_ms *ms, const char *body, size_t len, struct mf_diag *diag);
void mf_dav_ms_release(struct mf_dav_ms *ms);

/* Percent-decode a path (invalid escapes kept as they are). */
char *mf_dav_path_decode(const char *s, size_t n);
/* Append s percent-encoded for a path segment (unreserved and '/' kept). */
void mf_dav_path_encode(struct mf_buf *out, const char *s);
/* Append s with the five XML special characters as entities. */
void mf_dav_xml_escape(struct mf_buf *out, const char *s);

/* ==== dav_common.c: what the three exporters share ==== */

/* Which collection, and what goes in it. */
enum mf_dav_kind { MF_DAV_CARD = 0, MF_DAV_CAL = 1 };

struct mf_dav_target {
	char base[300];              /* "http[s]://host:port" */
	char path[1000];             /* the URL's path, ending in '/' */
	char id[1400];               /* ledger target: "carddav:" base path */
	/* --dav-discover: a mailbox's home is home_pre alias home_post (decoded
	 * paths), its collection the home then "contacts/" or "calendar/" */
	int discovered;
	char home_pre[800], home_post[200];
};

/* Parse --url http[s]://HOST[:PORT]/PATH (no user or password in it). */
int mf_dav_target_parse(struct mf_dav_target *t, const char *url, enum mf_dav_kind kind,
			struct mf_diag *diag);

/* The collection path of a mailbox: the URL path, then the layout with %a
 * the alias and %t "contacts" or "calendar", ending in '/'.  layout NULL:
 * "%a/%t/".  MF_EUSAGE for a layout without %a or with '..'. */
int mf_dav_collection(struct mf_buf *out, const struct mf_dav_target *t, const char *layout,
		      const char *alias, enum mf_dav_kind kind, struct mf_diag *diag);

/*
 * --dav-discover yes (o may say no: then MF_OK, nothing done): find the
 * context path through /.well-known/carddav or caldav (one redirect on the
 * same server; without one, the URL's path), the admin's
 * current-user-principal there, and its addressbook-home-set or
 * calendar-home-set.  The home's segment that names the principal (its
 * last segment) becomes the place of each mailbox's alias; t->id gets the
 * template.  MF_EUSAGE with --dav-layout, or when the home does not name
 * the principal; MF_EIO when the server does not answer as it should.
 */
int mf_dav_discover(struct mf_dav *dav, struct mf_dav_target *t, enum mf_dav_kind kind,
		    const struct mf_export_opts *o, struct mf_diag *diag);

/* The part of discovery that needs no server: split home at the last
 * segment equal to the principal's last segment (decoded paths). */
int mf_dav_home_template(struct mf_dav_target *t, const char *principal, const char *home,
			 struct mf_diag *diag);

/* The first line of --password-file (or of $MAILFERRY_PASSWORD). */
int mf_dav_read_secret(char **out, const char *path, struct mf_diag *diag);
void mf_dav_wipe(char **s);

/* The resource name of an item: 32 hex digits of the sha256 of its UID,
 * then ext (".vcf", ".ics"). */
void mf_dav_resource_name(char out[40], const char *uid, const char *ext);

/* Make sure the collection exists (and its parents): PROPFIND, then MKCOL
 * for each missing parent and extended MKCOL or MKCALENDAR for the
 * collection itself.  displayname may be NULL. */
int mf_dav_ensure_collection(struct mf_dav *dav, const char *path, enum mf_dav_kind kind,
			     const char *displayname, struct mf_diag *diag);

/*
 * PUT one resource with If-None-Match: *.  Outcome in *state:
 *   MF_DAV_PUT_NEW      201/204: stored now (etag filled when the server said)
 *   MF_DAV_PUT_THERE    412: a resource of that name is there already (etag
 *                       from a HEAD)
 *   MF_DAV_PUT_REFUSED  any other 4xx (detail says what): this item only
 * MF_OK, or MF_EIO for a server that could not be reached or answered 5xx.
 */
enum { MF_DAV_PUT_NEW = 0, MF_DAV_PUT_THERE = 1, MF_DAV_PUT_REFUSED = 2 };
int mf_dav_put(struct mf_dav *dav, int *state, char *etag, size_t etag_cap, char *detail,
	       size_t detail_cap, const char *path, const char *content_type,
	       const char *body, size_t len, struct mf_diag *diag);

/* ==== carddav.c: the state both DAV exporters keep ==== */

struct mf_dav_exp {
	struct mf_export *ex;
	struct mf_store *st;
	const struct mf_export_opts *opts;
	enum mf_dav_kind kind;
	struct mf_dav_target t;
	struct mf_dav *dav;
	enum mf_vcard_version v;
	struct mf_buf coll;          /* the current mailbox's collection path */
	int64_t put_new, put_there, put_refused, skipped;
};

/* Parse the options, read the secret, reach the server (PROPFIND on the
 * URL's path). */
int mf_dav_exp_open(struct mf_dav_exp *x, enum mf_dav_kind kind, struct mf_export *ex,
		    struct mf_store *st, const struct mf_export_opts *opts, struct mf_diag *diag);
void mf_dav_exp_release(struct mf_dav_exp *x);
/* The mailbox's collection, made when missing (also for an empty one). */
int mf_dav_exp_begin(struct mf_dav_exp *x, const struct mf_mailbox *mb, struct mf_diag *diag);

/* --dav-layout: the collection path below --url (default "%a/%t/"). */
const char *mf_dav_layout(const struct mf_export_opts *o);
/* --directory create asked for. */
int mf_dav_directory(const struct mf_export_opts *o);

/* The name the post office directory takes: DIR/directory.vcf and the
 * layout with %a = this. */
#define MF_DAV_DIRECTORY_NAME "directory"

/*
 * With --directory create, a mailbox whose alias is the directory's name
 * (any case: case-insensitive file systems and servers) would share its
 * file or collection: MF_EUSAGE naming the mailbox and the fix (another
 * alias with `plan --alias-map`).  The preflight (check_mailbox) and
 * mailbox_begin of vcard and carddav ask this.  MF_OK otherwise.
 */
int mf_dav_directory_clash(const struct mf_export_opts *o, const struct mf_mailbox *mb,
			   struct mf_diag *diag);

/* The vCard version asked for (--vcard-version). */
int mf_dav_vcard_version(enum mf_vcard_version *v, const struct mf_export_opts *o,
			 struct mf_diag *diag);

/* ==== dav_staged.c: staged data the driver does not hand over ==== */

/*
 * The export driver gives an exporter a mailbox's address book and its
 * calendar items; the vCard and DAV exporters also need (until the driver
 * offers calls for them) the post office directory, a time for REV, and,
 * for verify, the staged items of a mailbox outside an export run.  The
 * queries are core/store_dav.c's; here their rows become cards.
 */

/* One contact or group ready for the writer; strings in an arena. */
struct mf_dav_card {
	struct mf_vcard_card c;
	char uuid[MF_UUID_LEN + 1];
	int64_t item_id;             /* pab_entries.id or dir_entries.id */
};

/* Cards of a personal address book (entries in position order), members
 * resolved: same book -> uuid, Internet -> email, else legacy. */
int mf_dav_pab_cards(struct mf_store *st, const struct mf_mailbox *mb,
		     const struct mf_pab_entry *e, size_t n, struct mf_dav_card **out,
		     struct mf_arena *arena, struct mf_diag *diag);

/* Cards of the post office directory: every custom recipient and list. */
int mf_dav_directory_cards(struct mf_store *st, struct mf_dav_card **out, size_t *n_out,
			   struct mf_arena *arena, struct mf_diag *diag);

/* A mailbox's address book as the driver would hand it (verify). */
int mf_dav_pab_load(struct mf_store *st, int64_t mailbox_id, struct mf_pab_entry **out,
		    size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/* A mailbox's calendar items (id, uid, ical, dtstart) (verify). */
int mf_dav_cal_load(struct mf_store *st, int64_t mailbox_id, struct mf_store_cal_row **out,
		    size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/* The iCalendar resource of one calendar item, as the ICS exporter writes
 * a calendar: the item's components and a VTIMEZONE for each zone. */
int mf_dav_cal_resource(struct mf_buf *out, const char *name, const char *ical,
			int64_t dtstart, struct mf_diag *diag);

/* ==== dav_verify.c ==== */

struct mf_verify;
/* `mailferry verify carddav|caldav`: the exporters' verify callbacks
 * (engine/verify.h) call this with their kind. */
int mf_dav_verify(struct mf_verify *mv, enum mf_dav_kind kind, struct mf_diag *diag);
/* `mailferry verify vcard`: the files under --out DIR against the ledger
 * (vcard_verify.c). */
int mf_dav_vcard_verify(struct mf_verify *mv, struct mf_diag *diag);

#endif
