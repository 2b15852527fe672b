/* SPDX-License-Identifier: MIT */
/*
 * gen-ccmail.c: writes cc:Mail export sets (CCMX v1) for tests and
 * benchmarks.  Deterministic: the same options give the same bytes.
 *
 *   gen-ccmail [options] OUTDIR
 *     --users N          mailboxes (default 10)
 *     --messages N       messages in all (default 1000), spread over the users
 *     --attach-pct P     percentage of messages with a file item (default 10)
 *     --attach-min B     smallest attachment in bytes (default 512)
 *     --attach-max B     largest attachment in bytes (default 262144); sizes
 *                        are spread log-uniformly between the two
 *     --text-min/--text-max B  text item sizes (default 200..2000)
 *     --bboards N        bulletin boards (default 1), 1% of the messages each
 *     --edge             mix in the contract's edge cases (one in 50 messages)
 *     --no-itemsize      write without /ITEMSIZE size lines
 *     --remote N         users of other post offices in the directory (default 0)
 *     --aliases N        aliases of local users in the directory (default 0)
 *     --lists N          mailing lists in LISTS.TXT (default 0) ...
 *     --list-members M   ... of M members each (default 25)
 *     --no-mail          the users have no message file (a directory-only set:
 *                        every user's mail section is empty)
 *     --seed S           random seed (default 1)
 *     --sample           write the bundled sample post office (docs/sample/ccmail)
 *
 * On stdout it prints one line per mailbox, "NAME<TAB>MESSAGES", the
 * number of messages the importer should stage for it, then "total<TAB>N";
 * the total also goes to OUTDIR/.messages (read by bench/run.sh).
 * Memory stays bounded: one message is built at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "importers/ccmail/ccmail_msg.h"

/* ---- buffers ---- */

struct gb {
	unsigned char *p;
	size_t len, cap;
};

static void gb_add(struct gb *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (b->len + n + 1 > c)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p)
			abort();
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void gb_str(struct gb *b, const char *s)
{
	gb_add(b, s, strlen(s));
}

static void gb_f(struct gb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gb_f(struct gb *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	gb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* ---- random ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rnd_n(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- message building ---- */

struct gitem {
	const char *token;           /* "Text item:", ... */
	const char *title;           /* may be NULL */
	const unsigned char *data;
	size_t len;
	int sep;                     /* write a CR LF after the payload */
	const char *size_override;   /* write this instead of the size ("   ") */
};

/* Append one message to out.  headers: NULL-terminated lines without line
 * ends.  sized: /ITEMSIZE.  no_contents: leave out "Contents:" (damaged). */
static void build_message(struct gb *out, const char *const *headers,
			  const struct gitem *items, size_t n, int sized, int no_contents,
			  const char *msg_size_override)
{
	struct gb it = { 0 }, body = { 0 };
	for (size_t i = 0; i < n; i++) {
		gb_str(&it, items[i].token);
		if (items[i].title && *items[i].title) {
			gb_str(&it, " ");
			gb_str(&it, items[i].title);
		}
		gb_str(&it, "\r\n");
		if (sized) {
			if (items[i].size_override)
				gb_str(&it, items[i].size_override);
			else
				gb_f(&it, "%zu", items[i].len);
			gb_str(&it, "\r\n");
		}
		gb_add(&it, items[i].data, items[i].len);
		if (items[i].sep)
			gb_str(&it, "\r\n");
	}
	for (size_t i = 0; headers[i]; i++) {
		gb_str(&body, headers[i]);
		gb_str(&body, "\r\n");
	}
	if (!no_contents) {
		gb_str(&body, "Contents:\r\n");
		if (sized)
			gb_f(&body, "%zu\r\n", it.len);
	}
	gb_add(&body, it.p, it.len);
	gb_str(out, "Message:\r\n");
	if (sized) {
		if (msg_size_override)
			gb_str(out, msg_size_override);
		else
			gb_f(out, "%zu", body.len);
		gb_str(out, "\r\n");
	}
	gb_add(out, body.p, body.len);
	free(it.p);
	free(body.p);
}

static struct gitem text_item(const char *title, const char *text)
{
	struct gitem g = { "Text item:", title, (const unsigned char *)text, strlen(text), 0, NULL };
	return g;
}

static struct gitem bin_item(const char *token, const char *title, const void *data, size_t len)
{
	struct gitem g = { token, title, data, len, 1, NULL };
	return g;
}

/* A MacBinary II file with the given fork contents. */
static void macbinary(struct gb *out, const char *name, const char *type, const char *creator,
		      const void *data, size_t dlen, const void *rsrc, size_t rlen)
{
	unsigned char h[128];
	uint16_t crc;
	size_t nl = strlen(name);
	memset(h, 0, sizeof(h));
	h[1] = (unsigned char)nl;
	memcpy(h + 2, name, nl);
	memcpy(h + 65, type, 4);
	memcpy(h + 69, creator, 4);
	h[83] = (unsigned char)(dlen >> 24);
	h[84] = (unsigned char)(dlen >> 16);
	h[85] = (unsigned char)(dlen >> 8);
	h[86] = (unsigned char)dlen;
	h[87] = (unsigned char)(rlen >> 24);
	h[88] = (unsigned char)(rlen >> 16);
	h[89] = (unsigned char)(rlen >> 8);
	h[90] = (unsigned char)rlen;
	h[122] = 129;
	h[123] = 129;
	crc = ccm_crc16(h, 124);
	h[124] = (unsigned char)(crc >> 8);
	h[125] = (unsigned char)crc;
	gb_add(out, h, 128);
	gb_add(out, data, dlen);
	while (out->len % 128)
		gb_add(out, "", 1);
	if (rlen) {
		gb_add(out, rsrc, rlen);
		while (out->len % 128)
			gb_add(out, "", 1);
	}
}

/* ---- files ---- */

static const char *outdir;

static FILE *open_out(const char *rel)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", outdir, rel);
	{
		char dir[4096];
		char *s;
		snprintf(dir, sizeof(dir), "%s", path);
		for (s = dir + strlen(outdir) + 1; (s = strchr(s, '/')); s++) {
			*s = '\0';
			mkdir(dir, 0755);
			*s = '/';
		}
	}
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "gen-ccmail: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void write_file(const char *rel, const void *p, size_t n)
{
	FILE *f = open_out(rel);
	if (fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "gen-ccmail: cannot write %s\n", rel);
		exit(1);
	}
}

static void write_gb(const char *rel, struct gb *b)
{
	write_file(rel, b->p ? b->p : (unsigned char *)"", b->len);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- the bundled sample ---- */

static void sample(void)
{
	struct gb b = { 0 }, att = { 0 }, nested = { 0 }, mac = { 0 };
	static const char manifest[] =
		"# cc:Mail export set of the sample post office SALES01\r\n"
		"ccmx-version=1\r\n"
		"postoffice=SALES01\r\n"
		"codepage=850\r\n"
		"date-order=mdy\r\n"
		"timezone=Europe/Stockholm\r\n"
		"db-version=DB8\r\n"
		"exported-at=1999-06-30T18:00:00+02:00\r\n";
	/* CP850: \x8f = Å, \x86 = å, \x94 = ö, \x84 = ä, \x99 = Ö */
	static const char users[] =
		"kind,name,file,pab\r\n"
		"mailbox,\"Lindqvist, Anna\",MAIL/LINDQVIA.TXT,PAB/LINDQVIA.PAB\r\n"
		"mailbox,\"Okafor, Chidi\",mail/okaforc.txt,\r\n"
		"mailbox,\"Berg, \x8f" "sa\",MAIL/BERGA.TXT,\r\n"
		"mailbox,\"Holm, Lars\",MAIL/HOLML.TXT,\r\n"
		"mailbox,\"Nilsson, Erik\",,\r\n"
		"bboard,#Announcements,BBOARDS/ANNOUNCE.TXT,\r\n"
		"bboard,#Social,BBOARDS/SOCIAL.TXT,\r\n";
	static const char directory[] =
		"Name: SALES01\r\nLocn: P\r\nComments: Stockholm sales office\r\n\r\n"
		"Name: HQPO\r\nLocn: P\r\nComments: Head office, Frankfurt\r\n\r\n"
		"Name: SMTPLINK\r\nLocn: P\r\nComments: cc:Mail Link to SMTP\r\n\r\n"
		"Name: TOKYO01\r\nLocn: p\r\nComments: routed through HQPO\r\n\r\n"
		"Name: Lindqvist, Anna\r\nLocn: L\r\nAddr:\r\nComments: Sales Stockholm; ext 4411\r\n\r\n"
		"Name: Okafor, Chidi\r\nLocn: L\r\nAddr:\r\nComments: Key accounts; ext 4415\r\n\r\n"
		"Name: Berg, \x8fsa\r\nLocn: L\r\nAddr:\r\nComments: G\x94teborg field office\r\n\r\n"
		"Name: Holm, Lars\r\nLocn: L\r\nAddr:\r\n\r\n"
		"Name: Nilsson, Erik\r\nLocn: L\r\nAddr:\r\nComments: left the company; no mail exported\r\n\r\n"
		"Name: Svensson, Karin\r\nLocn: R\r\nAddr:\r\nComments: mobile user (dial-in)\r\n\r\n"
		"Name: Brenner, Paul\r\nLocn: r\r\nAddr: HQPO\r\nComments: Controlling\r\n\r\n"
		"Name: Sato, Kenji\r\nLocn: r\r\nAddr: TOKYO01\r\n\r\n"
		"Name: Weber, Hans\r\nLocn: l\r\nAddr: HQPO Weber, H.\r\n\r\n"
		"Name: Doe, Jane\r\nLocn: r\r\nAddr: SMTPLINK jdoe@example.com\r\nComments: Supplier\r\n\r\n"
		"Name: Tanaka, Yuki\r\nLocn: r\r\nAddr: SMTPLINK yuki.tanaka@example.jp\r\n\r\n"
		"Name: Anna L\r\nLocn: A\r\nAddr: Lindqvist, Anna\r\n\r\n"
		"Name: Sales Desk\r\nLocn: A\r\nAddr: Okafor, Chidi\r\n";
	static const char lists[] =
		"List: Marketing Team\r\nComments: Weekly campaign list\r\n"
		"Member: Lindqvist, Anna at SALES01\r\nMember: Brenner, Paul\r\n"
		"Member: jdoe@example.com at SMTPLINK\r\nMember: Ghost, Casper\r\n\r\n"
		"List: All Sales\r\nComments: everyone at SALES01\r\n"
		"Member: Lindqvist, Anna\r\nMember: Okafor, Chidi\r\nMember: Berg, \x8fsa\r\n"
		"Member: Holm, Lars\r\nMember: Nilsson, Erik\r\nMember: Marketing Team\r\n";
	static const char pab[] =
		"Name: Mom\r\nAddr: SMTPLINK mom@example.net\r\nComments: family\r\n\r\n"
		"Name: Brenner, Paul\r\nComments: in the directory too\r\n\r\n"
		"Name: Kenji Sato\r\nAddr: TOKYO01 Sato, Kenji\r\n\r\n"
		"List: Q2 Team\r\nComments: price list reviewers\r\n"
		"Member: Mom\r\nMember: Brenner, Paul\r\nMember: Okafor, Chidi at SALES01\r\n"
		"Member: Nobody, Known\r\n";
	static const char csv_data[] =
		"Region,Q2\r\nNorth,1450\r\nSouth,1320\r\nMessage:\r\nWest,990\r\n";
	unsigned char bin[300];

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	memcpy(bin + 100, "\r\nMessage:\r\nText item:\r\n", 24);
	write_file("CCMX.TXT", manifest, sizeof(manifest) - 1);
	write_file("USERS.CSV", users, sizeof(users) - 1);
	write_file("DIRECTRY.TXT", directory, sizeof(directory) - 1);
	write_file("LISTS.TXT", lists, sizeof(lists) - 1);
	write_file("PAB/LINDQVIA.PAB", pab, sizeof(pab) - 1);

	/* Anna: Inbox 4, Message Log 2, Drafts 1, Trash 1, Projects\Q2 2,
	 * and one Clipboard message that is skipped by default. */
	{
		const char *h1[] = { "From: Okafor, Chidi at SALES01", "Date: 3/14/97 9:05",
				     "To: Lindqvist, Anna at SALES01", "Cc: Marketing Team",
				     "Subject: Q2 price list draft", "Folder: Inbox", "Status: Read", NULL };
		struct gitem i1[] = {
			text_item(NULL, "Anna -\r\nthe draft price list is attached. Comments by Friday, please.\r\nChidi\r\n"),
			bin_item("File item:", "PRICES.CSV 3/13/97 4:47PM", csv_data, sizeof(csv_data) - 1),
		};
		const char *h2[] = { "From: jdoe@example.com at SMTPLINK", "Date: 3/15/97 14:20",
				     "To: Lindqvist, Anna at SALES01", "Subject: Build status",
				     "Status: Unread", "Priority: Urgent", NULL };
		struct gitem i2[] = { text_item(NULL, "Build 4711 is on the server.\r\n") };
		const char *h3[] = { "From: Brenner, Paul at HQPO", "Date: 6/2/98 8:39",
				     "To: Lindqvist, Anna at SALES01, Okafor, Chidi at SALES01",
				     "Bcc: Anna L", "Subject: M\x94te p\x86 fredag",
				     "Receipt: Yes", "RRT: 1", NULL };
		struct gitem i3[] = {
			text_item(NULL, "Hej Anna,\r\nm\x94tet p\x86 fredag flyttas till 10:00. "
				  "\x1eViktigt:\x1f ta med siffrorna f\x94r Q2.\r\nPaul\r\n"),
			text_item("Agenda", "1. Priser\r\n2. \x8f" "rsbudget\r\n"),
		};
		const char *h4[] = { "From: Tanaka, Yuki at SMTPLINK", "Date: 12/31/98 23:59",
				     "To: Lindqvist, Anna", "Subject: Season's greetings",
				     "Folder: Inbox", NULL };
		struct gitem i4[] = { text_item(NULL, "Happy new year from Tokyo!\r\n") };
		const char *h5[] = { "From: Lindqvist, Anna at SALES01", "Date: 3/16/97 10:12",
				     "To: Okafor, Chidi at SALES01", "To: Brenner, Paul at HQPO",
				     "Subject: Re: Q2 price list draft", "Folder: Message Log", NULL };
		struct gitem i5[] = { text_item(NULL, "Looks fine. One correction in the South figure follows.\r\n"),
				      text_item("South region", "1350, not 1320.\r\n") };
		const char *h6[] = { "From: Lindqvist, Anna at SALES01", "Date: 3/17/97 8:02 AM",
				     "To: Marketing Team", "Subject: Campaign kickoff",
				     "Folder: message log", "Priority: Low", NULL };
		struct gitem i6[] = { text_item(NULL, "Kickoff is on Monday at 9.\r\n") };
		const char *h7[] = { "From: Lindqvist, Anna at SALES01", "Date: 3/18/97 16:40",
				     "To: Doe, Jane at SMTPLINK", "Subject: Unfinished note",
				     "Folder: Drafts", NULL };
		struct gitem i7[] = { text_item(NULL, "Jane, about the delivery dates\r\n") };
		const char *h8[] = { "From: Okafor, Chidi at SALES01", "Date: 1/5/97 12:00",
				     "To: Lindqvist, Anna at SALES01", "Subject: Lunch?",
				     "Folder: Trash", NULL };
		struct gitem i8[] = { text_item(NULL, "Lunch at noon?\r\n") };
		const char *h9[] = { "From: Brenner, Paul at HQPO", "Date: 4/1/97 9:30",
				     "To: Lindqvist, Anna at SALES01", "Subject: Q2 targets",
				     "Folder: Projects\\Q2", NULL };
		struct gitem i9[] = { text_item(NULL, "Targets attached to the next mail.\r\n") };
		const char *h10[] = { "From: Brenner, Paul at HQPO", "Date: 4/2/97 9:31",
				      "To: Lindqvist, Anna at SALES01", "Subject: Q2 targets (sheet)",
				      "Folder: Projects\\Q2", NULL };
		struct gitem i10[] = { bin_item("File item:", "TARGETS.WK4", bin, sizeof(bin)) };
		const char *h11[] = { "From: Lindqvist, Anna at SALES01", "Date: 4/3/97 11:00",
				      "Subject: clipboard", "Folder: Clipboard", NULL };
		struct gitem i11[] = { text_item(NULL, "scratch\r\n") };
		build_message(&b, h1, i1, 2, 1, 0, NULL);
		build_message(&b, h2, i2, 1, 1, 0, NULL);
		build_message(&b, h3, i3, 2, 1, 0, NULL);
		build_message(&b, h4, i4, 1, 1, 0, NULL);
		build_message(&b, h5, i5, 2, 1, 0, NULL);
		build_message(&b, h6, i6, 1, 1, 0, NULL);
		build_message(&b, h7, i7, 1, 1, 0, NULL);
		build_message(&b, h8, i8, 1, 1, 0, NULL);
		build_message(&b, h9, i9, 1, 1, 0, NULL);
		build_message(&b, h10, i10, 1, 1, 0, NULL);
		build_message(&b, h11, i11, 1, 1, 0, NULL);
		write_gb("MAIL/LINDQVIA.TXT", &b);
	}
	/* Chidi: Inbox 3 (MacBinary, forwarded message, RTF and fax), Message Log 1 */
	{
		static const char rsrc[] = "resource fork bytes";
		static const char chart[] = "GIF89a chart data, not really a picture";
		const char *h1[] = { "From: Lindqvist, Anna at SALES01", "Date: 5/6/97 15:10",
				     "To: Okafor, Chidi at SALES01", "Subject: Chart from the Mac",
				     NULL };
		const char *hn[] = { "From: Brenner, Paul at HQPO", "Date: 5/5/97 9:00",
				     "To: Lindqvist, Anna at SALES01", "Subject: Budget 1998", NULL };
		struct gitem in[] = { text_item(NULL, "The 1998 budget needs your numbers.\r\n") };
		const char *h2[] = { "From: Lindqvist, Anna at SALES01", "Date: 5/7/97 10:00",
				     "To: Okafor, Chidi at SALES01", "Subject: Fwd: Budget 1998", NULL };
		const char *h3[] = { "From: Sales Desk", "Date: 5/8/97 13:45",
				     "To: Okafor, Chidi", "Subject: Rich text from R8", NULL };
		struct gitem i3[] = {
			text_item(NULL, "{\\rtf1\\ansi\\deff0 {\\b Bold} offer for {\\i key} accounts.\\par}\r\n"),
			bin_item("Fax item:", "ORDER", "\x0a\x05\x01\x08 PCX fax page", 16),
		};
		const char *h4[] = { "From: Okafor, Chidi at SALES01", "Date: 5/9/97 9:15",
				     "To: Sato, Kenji at TOKYO01", "Cc: Doe, Jane at SMTPLINK",
				     "Subject: Order confirmation", "Folder: Message Log", NULL };
		struct gitem i4[] = { text_item(NULL, "Order 5512 is confirmed.\r\n"),
				      bin_item("Graphics item:", "LOGO", "graphic", 7),
				      bin_item("Sound item:", NULL, "sound", 5) };
		struct gitem i1[1], i2[2];
		macbinary(&mac, "Budget Chart", "GIFf", "8BIM", chart, sizeof(chart) - 1, rsrc,
			  sizeof(rsrc) - 1);
		i1[0] = bin_item("File item:", "Budget Chart", mac.p, mac.len);
		build_message(&nested, hn, in, 1, 1, 0, NULL);
		i2[0] = text_item(NULL, "Chidi, see Paul's note below.\r\n");
		i2[1] = bin_item("Message item:", "Budget 1998", nested.p, nested.len);
		i2[1].sep = 0;
		build_message(&b, h1, i1, 1, 1, 0, NULL);
		build_message(&b, h2, i2, 2, 1, 0, NULL);
		build_message(&b, h3, i3, 2, 1, 0, NULL);
		build_message(&b, h4, i4, 3, 1, 0, NULL);
		write_gb("MAIL/OKAFORC.TXT", &b);
	}
	/* Åsa: exported without /ITEMSIZE (and without /FILES). */
	{
		const char *h1[] = { "From: Berg, \x8fsa at SALES01", "Date: 9/11/98 10:00",
				     "To: Lindqvist, Anna at SALES01", "Subject: Rapport fr\x86n G\x94teborg",
				     NULL };
		struct gitem i1[] = { text_item(NULL, "Hej!\r\nH\x84r \x84r veckans rapport.\r\n"),
				      text_item("Siffror", "Norr 12\r\nS\x94" "der 9\r\n"),
				      bin_item("File item:", "RAPPORT.DOC 9-11-1998 9:58AM", "", 0) };
		const char *h2[] = { "From: Lindqvist, Anna at SALES01", "Date: 9/12/98 8:15",
				     "To: Berg, \x8fsa", "Subject: Re: Rapport", NULL };
		struct gitem i2[] = { text_item(NULL, "Tack!\r\n") };
		i1[2].sep = 0;
		build_message(&b, h1, i1, 3, 0, 0, NULL);
		build_message(&b, h2, i2, 1, 0, 0, NULL);
		write_gb("MAIL/BERGA.TXT", &b);
	}
	/* Lars: damaged data: a size line of spaces, a size that lies, an
	 * invalid date, a damaged " at PO" address, a message without
	 * Contents: (skipped), no From: line. */
	{
		const char *h1[] = { "From: Holm, Lars at SALES01", "Date: 2/31/99 9:00",
				     "To:  at HQPO", "To: Lindqvist, Anna at SALES01",
				     "Subject: Invalid date", NULL };
		struct gitem i1[] = { text_item(NULL, "This date does not exist.\r\n") };
		const char *h2[] = { "From: Holm, Lars at SALES01", "Date: 3/1/99 9:00",
				     "Subject: Lost contents", NULL };
		const char *h3[] = { "Date: 3/2/99 9:00", "To: Holm, Lars at SALES01",
				     "Subject: Sizes that lie", NULL };
		struct gitem i3[] = { text_item(NULL, "The size line of this item holds spaces.\r\n"),
				      text_item(NULL, "This size is too small.\r\n") };
		const char *h4[] = { "From: Okafor, Chidi at SALES01", "Date: 3/3/99 9:00",
				     "To: Holm, Lars at SALES01", "Subject: Binary right before the next token",
				     NULL };
		struct gitem i4[] = { bin_item("File item:", "DATA.BIN", bin, 40) };
		struct gitem i2[] = { text_item(NULL, "no contents line above\r\n") };
		i3[0].size_override = "    ";
		i3[1].size_override = "5";
		i4[0].sep = 0;
		build_message(&b, h1, i1, 1, 1, 0, NULL);
		build_message(&b, h2, i2, 1, 1, 1, NULL);
		build_message(&b, h4, i4, 1, 1, 0, NULL);
		build_message(&b, h3, i3, 2, 1, 0, "   ");
		write_gb("MAIL/HOLML.TXT", &b);
	}
	/* Bulletin boards: the same message is posted to both. */
	{
		const char *h1[] = { "From: Lindqvist, Anna at SALES01", "Date: 1/10/98 9:00",
				     "To: #Announcements", "To: #Social", "Subject: Summer party", NULL };
		struct gitem i1[] = { text_item(NULL, "The summer party is on June 19.\r\n") };
		const char *h2[] = { "From: Brenner, Paul at HQPO", "Date: 2/1/98 9:00",
				     "To: #Announcements at SALES01", "Subject: New price list", NULL };
		struct gitem i2[] = { text_item(NULL, "Prices change on March 1.\r\n") };
		const char *h3[] = { "From: Okafor, Chidi at SALES01", "Date: 2/2/98 9:00",
				     "To: #Announcements", "Subject: Office closed Friday", NULL };
		struct gitem i3[] = { text_item(NULL, "Closed for the move.\r\n") };
		build_message(&b, h1, i1, 1, 1, 0, NULL);
		build_message(&b, h2, i2, 1, 1, 0, NULL);
		build_message(&b, h3, i3, 1, 1, 0, NULL);
		write_gb("BBOARDS/ANNOUNCE.TXT", &b);
		build_message(&b, h1, i1, 1, 1, 0, NULL);
		write_gb("BBOARDS/SOCIAL.TXT", &b);
	}
	free(att.p);
	free(nested.p);
	free(mac.p);
	printf("LindqvistA\t10\nOkaforC\t4\nBergA\t2\nHolmL\t3\nNilssonE\t0\nSvenssonK\t0\n"
	       "Announcements\t3\nSocial\t1\ntotal\t23\n");
}

/* ---- generated sets ---- */

static const char *const surnames[] = {
	"Lindqvist", "Okafor", "Brenner", "Berg", "Holm", "Nilsson", "Svensson", "Tanaka",
	"Garcia", "Smith", "Novak", "Rossi", "Dubois", "Kowalski", "Jensen", "Murphy",
};
static const char *const givens[] = {
	"Anna", "Chidi", "Paul", "Erik", "Karin", "Yuki", "Maria", "John", "Jan", "Luca",
	"Claire", "Piotr", "Lars", "Aoife", "Ken", "Sofia",
};
static const char *const words[] = {
	"price", "list", "draft", "budget", "meeting", "order", "delivery", "report",
	"quarter", "north", "south", "region", "figures", "review", "please", "friday",
	"customer", "update", "server", "plan", "the", "and", "for", "with", "on",
};
static const char *const folders[] = {
	"Inbox", "Inbox", "Inbox", "Inbox", "Message Log", "Message Log", "Drafts", "Trash",
	"Projects\\Q2", "Customers\\Key accounts",
};

struct opts {
	long users, messages, attach_pct, bboards;
	uint64_t attach_min, attach_max, text_min, text_max;
	int edge, sized;
	long remote, aliases, lists, list_members;
	int no_mail;
};

static void user_name(char *out, size_t n, long i)
{
	snprintf(out, n, "%s%ld, %s", surnames[i % 16], i / 16 + 1, givens[(i / 16 + i) % 16]);
}

static uint64_t log_uniform(uint64_t lo, uint64_t hi)
{
	double l, h, r;
	if (hi <= lo)
		return lo;
	l = log((double)lo);
	h = log((double)hi);
	r = (double)(rnd() >> 11) / 9007199254740992.0;
	return (uint64_t)exp(l + (h - l) * r);
}

static void words_text(struct gb *t, uint64_t len)
{
	size_t col = 0;
	while (t->len < len) {
		const char *w = words[rnd_n(MF_ARRAY_LEN(words))];
		gb_str(t, w);
		col += strlen(w) + 1;
		if (col > 70) {
			gb_str(t, "\r\n");
			col = 0;
		} else {
			gb_str(t, " ");
		}
	}
	gb_str(t, "\r\n");
}

static void random_bytes(struct gb *b, uint64_t n)
{
	while (n >= 8) {
		uint64_t v = rnd();
		gb_add(b, &v, 8);
		n -= 8;
	}
	while (n--)
		gb_add(b, "x", 1);
}

/* One generated message for owner u (0-based); returns whether the
 * importer should stage it. */
static int gen_message(struct gb *out, const struct opts *o, long u, long k, const char *board)
{
	char from[128], to[160], date[64], subject[160], folder[80], owner[96], other[96];
	const char *hdr[12];
	struct gitem items[4];
	struct gb text = { 0 }, att = { 0 }, nested = { 0 };
	size_t nh = 0, ni = 0;
	static long serial;
	long n = serial++;
	int staged = 1, edge = o->edge && n % 50 == 49 ? (int)((n / 50) % 8) + 1 : 0;

	/* without sizes, tokens inside payloads cannot be told from real ones */
	if (!o->sized && (edge == 3 || edge == 4 || edge == 8))
		edge = 0;
	int no_contents = 0;
	const char *msgsize = NULL;

	user_name(owner, sizeof(owner), u);
	user_name(other, sizeof(other), (long)rnd_n((uint64_t)o->users));
	if (rnd_n(4) == 0)
		snprintf(from, sizeof(from), "From: user%u@example.com at SMTPLINK", (unsigned)rnd_n(1000));
	else
		snprintf(from, sizeof(from), "From: %s at GENPO", other);
	if (board)
		snprintf(to, sizeof(to), "To: %s", board);
	else
		snprintf(to, sizeof(to), "To: %s at GENPO", owner);
	snprintf(date, sizeof(date), "Date: %u/%u/%u %u:%02u", (unsigned)rnd_n(12) + 1,
		 (unsigned)rnd_n(28) + 1, 95 + (unsigned)rnd_n(5), (unsigned)rnd_n(24),
		 (unsigned)rnd_n(60));
	snprintf(subject, sizeof(subject), "Subject: %s %s %ld", words[rnd_n(MF_ARRAY_LEN(words))],
		 words[rnd_n(MF_ARRAY_LEN(words))], k);
	snprintf(folder, sizeof(folder), "Folder: %s", folders[rnd_n(MF_ARRAY_LEN(folders))]);
	hdr[nh++] = from;
	hdr[nh++] = date;
	hdr[nh++] = to;
	hdr[nh++] = subject;
	if (!board)
		hdr[nh++] = folder;
	words_text(&text, log_uniform(o->text_min, o->text_max));
	items[ni++] = text_item(NULL, (const char *)text.p);
	if ((uint64_t)rnd_n(100) < (uint64_t)o->attach_pct) {
		random_bytes(&att, log_uniform(o->attach_min, o->attach_max));
		items[ni++] = bin_item("File item:", "DATA.BIN 5/6/97 3:10PM", att.p, att.len);
	}
	switch (edge) {
	case 1:
		hdr[1] = "Date: 2/31/99 9:00";
		break;
	case 2:
		hdr[2] = "To:  at GENPO";
		break;
	case 3:
		items[0].size_override = "   ";
		break;
	case 4:
		gb_str(&att, "\r\nMessage:\r\n");
		random_bytes(&att, 64);
		items[ni++] = bin_item("File item:", "TOKEN.BIN", att.p, att.len);
		items[ni - 1].sep = 0;
		break;
	case 5:
		no_contents = 1;
		staged = 0;
		break;
	case 6: {
		const char *nh2[] = { "From: Nested, Sender at GENPO", "Subject: inner", NULL };
		struct gitem ni2[] = { text_item(NULL, "inner text\r\n") };
		build_message(&nested, nh2, ni2, 1, o->sized, 0, NULL);
		items[ni++] = bin_item("Message item:", "inner", nested.p, nested.len);
		items[ni - 1].sep = 0;
		break;
	}
	case 7: {
		static const char dfork[] = "mac data fork";
		macbinary(&att, "Mac File", "TEXT", "ttxt", dfork, sizeof(dfork) - 1, "", 0);
		items[ni++] = bin_item("File item:", "Mac File", att.p, att.len);
		break;
	}
	case 8:
		msgsize = "12";
		break;
	}
	if (board && edge == 5) {
		no_contents = 0;
		staged = 1;
	}
	hdr[nh] = NULL;
	build_message(out, hdr, items, ni, o->sized, no_contents, msgsize);
	free(text.p);
	free(att.p);
	free(nested.p);
	return staged;
}

static void generate(const struct opts *o)
{
	struct gb b = { 0 }, hdr = { 0 };
	long per = o->users ? o->messages / o->users : 0, rest = o->users ? o->messages % o->users : 0;
	long total = 0, board_msgs = o->bboards ? o->messages / 100 : 0;
	char name[96], rel[64];

	gb_str(&hdr, "ccmx-version=1\r\npostoffice=GENPO\r\ncodepage=850\r\n"
		     "date-order=mdy\r\ntimezone=Europe/Stockholm\r\n");
	write_gb("CCMX.TXT", &hdr);
	gb_str(&hdr, "Name: GENPO\r\nLocn: P\r\n\r\nName: SMTPLINK\r\nLocn: P\r\n\r\n");
	for (long u = 0; u < o->users; u++) {
		user_name(name, sizeof(name), u);
		gb_f(&hdr, "Name: %s\r\nLocn: L\r\nAddr:\r\n\r\n", name);
	}
	/* a large directory (issue 15): other post offices, their users, aliases */
	for (long r = 0; r < (o->remote ? 10 : 0); r++)
		gb_f(&hdr, "Name: REMPO%ld\r\nLocn: P\r\n\r\n", r + 1);
	for (long r = 0; r < o->remote; r++)
		gb_f(&hdr, "Name: Remote%ld, %s\r\nLocn: r\r\nAddr: REMPO%ld\r\n\r\n", r + 1,
		     givens[r % 16], r % 10 + 1);
	for (long a = 0; a < o->aliases && o->users; a++) {
		user_name(name, sizeof(name), (a * 7919) % o->users);
		gb_f(&hdr, "Name: Alias %ld\r\nLocn: A\r\nAddr: %s\r\n\r\n", a + 1, name);
	}
	write_gb("DIRECTRY.TXT", &hdr);
	if (o->lists) {
		for (long l = 0; l < o->lists; l++) {
			gb_f(&hdr, "List: List %ld\r\nComments: generated\r\n", l + 1);
			for (long m = 0; m < o->list_members; m++) {
				long k = (l * o->list_members + m) * 104729;
				if (m % 5 == 4 && o->remote)
					gb_f(&hdr, "Member: Remote%ld, %s\r\n", k % o->remote + 1,
					     givens[(k % o->remote) % 16]);
				else if (o->users) {
					user_name(name, sizeof(name), k % o->users);
					gb_f(&hdr, "Member: %s at GENPO\r\n", name);
				}
			}
			gb_str(&hdr, "\r\n");
		}
		write_gb("LISTS.TXT", &hdr);
	}
	gb_str(&hdr, "kind,name,file,pab\r\n");
	for (long u = 0; u < o->users; u++) {
		user_name(name, sizeof(name), u);
		if (o->no_mail)
			gb_f(&hdr, "mailbox,\"%s\",,\r\n", name);
		else
			gb_f(&hdr, "mailbox,\"%s\",MAIL/U%05ld.TXT,\r\n", name, u);
	}
	for (long k = 0; k < o->bboards; k++)
		gb_f(&hdr, "bboard,#Board%ld,BBOARDS/B%05ld.TXT,\r\n", k + 1, k);
	write_gb("USERS.CSV", &hdr);

	for (long u = 0; u < (o->no_mail ? 0 : o->users); u++) {
		long n = per + (u < rest ? 1 : 0), staged = 0;
		FILE *f;
		snprintf(rel, sizeof(rel), "MAIL/U%05ld.TXT", u);
		f = open_out(rel);
		for (long k = 0; k < n; k++) {
			b.len = 0;
			staged += gen_message(&b, o, u, k, NULL);
			if (fwrite(b.p, 1, b.len, f) != b.len) {
				fprintf(stderr, "gen-ccmail: write failed\n");
				exit(1);
			}
		}
		fclose(f);
		user_name(name, sizeof(name), u);
		printf("%s\t%ld\n", name, staged);
		total += staged;
	}
	for (long k = 0; k < o->bboards; k++) {
		FILE *f;
		long staged = 0;
		snprintf(rel, sizeof(rel), "BBOARDS/B%05ld.TXT", k);
		snprintf(name, sizeof(name), "#Board%ld", k + 1);
		f = open_out(rel);
		for (long i = 0; i < board_msgs; i++) {
			b.len = 0;
			staged += gen_message(&b, o, 0, i, name);
			if (fwrite(b.p, 1, b.len, f) != b.len)
				exit(1);
		}
		fclose(f);
		printf("%s\t%ld\n", name, staged);
		total += staged;
	}
	printf("total\t%ld\n", total);
	/* for bench/run.sh: the messages an import stages */
	{
		FILE *f = open_out(".messages");
		fprintf(f, "%ld\n", total);
		fclose(f);
	}
	free(b.p);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen-ccmail [--users N] [--messages N] [--attach-pct P] "
			"[--attach-min B] [--attach-max B] [--text-min B] [--text-max B] "
			"[--bboards N] [--remote N] [--aliases N] [--lists N] [--list-members M] "
			"[--no-mail] [--edge] [--no-itemsize] [--seed S] [--sample] OUTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { 10, 1000, 10, 1, 512, 262144, 200, 2000, 0, 1, 0, 0, 0, 25, 0 };
	int want_sample = 0;
	uint64_t seed = 1;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NUM(opt, dst) if (!strcmp(a, opt)) { if (!v) usage(); dst = strtoll(v, NULL, 10); i++; continue; }
		NUM("--users", o.users)
		NUM("--messages", o.messages)
		NUM("--attach-pct", o.attach_pct)
		NUM("--attach-min", o.attach_min)
		NUM("--attach-max", o.attach_max)
		NUM("--text-min", o.text_min)
		NUM("--text-max", o.text_max)
		NUM("--bboards", o.bboards)
		NUM("--remote", o.remote)
		NUM("--aliases", o.aliases)
		NUM("--lists", o.lists)
		NUM("--list-members", o.list_members)
		NUM("--seed", seed)
#undef NUM
		if (!strcmp(a, "--edge"))
			o.edge = 1;
		else if (!strcmp(a, "--no-itemsize"))
			o.sized = 0;
		else if (!strcmp(a, "--no-mail"))
			o.no_mail = 1;
		else if (!strcmp(a, "--sample"))
			want_sample = 1;
		else
			usage();
	}
	if (i + 1 != argc || o.users < 0 || o.messages < 0 || o.text_min < 1 || o.remote < 0 ||
	    o.aliases < 0 || o.lists < 0 || o.list_members < 0 ||
	    o.attach_min < 1 || o.attach_max < o.attach_min || o.text_max < o.text_min)
		usage();
	outdir = argv[i];
	mkdir(outdir, 0755);
	rng_state = seed;
	if (want_sample)
		sample();
	else
		generate(&o);
	return 0;
}
