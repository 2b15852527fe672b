/* SPDX-License-Identifier: MIT */
/*
 * gen-msmail.c: writes MS Mail export bundles (MSMX v1) for tests and
 * benchmarks.  Deterministic: the same options give the same bytes.
 *
 *   gen-msmail [options] OUTDIR
 *     --users N          local mailboxes (default 10)
 *     --messages N       messages in all (default 1000), spread over the users
 *                        and their folders (inbox, sent, deleted, archive)
 *     --attach-pct P     percentage of messages with an attachment (default 10)
 *     --attach-min B     smallest attachment in bytes (default 512)
 *     --attach-max B     largest attachment in bytes (default 262144); sizes are
 *                        spread log-uniformly between the two
 *     --text-min/--text-max B  body sizes (default 200..2000)
 *     --textized-pct P   percentage of bodies with the Windows client's
 *                        textized header, English or German (default 30)
 *     --calendar-pct P   percentage of users with a .sc2 calendar (default 10)
 *     --seed S           random seed (default 1)
 *     --no-mail          no user has mail exported (a directory-only bundle)
 *     --remote N         users of 10 other postoffices in pol.txt (default 0,
 *                        beside the 100 fixed ones of GENNET/REMOTE)
 *     --aliases N        Internet addresses of local users, one line each in
 *                        gw-SMTP.txt (custom recipients; MS Mail has no alias
 *                        entry of its own) (default 0)
 *     --lists N          groups in groups.txt beside "Everybody" (default 0) ...
 *     --list-members M   ... of M members each, every fifth a remote user when
 *                        there are any (default 25)
 *
 * Every fifth user (after the first) has its mail exported; the others too,
 * except that every 25th user has an empty mail_dir (no mail) to exercise
 * the zero-message mail sections.  On stdout: one line per mailbox,
 * "MAILBOX<TAB>MESSAGES", then "total<TAB>N"; the total also goes to
 * OUTDIR/.messages (read by bench/run.sh).  Memory stays bounded: one
 * message is built at a time.
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

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 2685821657736338717ull;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "gen-msmail: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				die("cannot create %s: %s", tmp, strerror(errno));
			*p = '/';
		}
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		die("cannot create %s: %s", tmp, strerror(errno));
}

static FILE *open_out(const char *dir, const char *name)
{
	char p[4096];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		die("cannot write %s: %s", p, strerror(errno));
	return f;
}

/* ---- growable bytes ---- */

struct gb {
	char *p;
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
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void gb_printf(struct gb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gb_printf(struct gb *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	gb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* ---- content ---- */

static const char *const firsts[] = { "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Greta",
	"Hugo", "Ines", "Jonas", "Karin", "Lars", "Mona", "Nils", "Olga", "Paul", "Rita", "Sven",
	"Tina", "Uwe", "Vera", "Walter", "Xenia", "Yusuf", "Zoe" };
/* surnames in CP850: 0x81 = u-umlaut, 0x94 = o-umlaut, 0x84 = a-umlaut */
static const char *const lasts[] = { "Berg", "M\x81ller", "Schmidt", "Garc\xA1" "a", "Novak",
	"Dubois", "Rossi", "Jensen", "Kowalski", "Smith", "Tanaka", "Okafor", "Silva", "Br\x84uer",
	"Lindqvist", "Petrov", "Haddad", "O'Neill", "Nguyen", "Sch\x94n" };
static const char *const words[] = { "budget", "meeting", "report", "figures", "branch",
	"office", "quarter", "review", "draft", "travel", "costs", "catalogue", "order", "price",
	"list", "schedule", "plan", "server", "backup", "Gr\x81\xE1" "e", "f\x81r", "caf\x82",
	"na\x8Bve", "d\x82j\x85", "Stra\xE1" "e", "ma\xA4" "ana", "the", "and", "of", "to", "a" };

static void add_words(struct gb *b, size_t want)
{
	size_t col = 0, start = b->len;
	while (b->len - start < want) {
		const char *w = words[below(sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);
		if (col + n + 1 > 72) {
			gb_add(b, "\r\n", 2);
			col = 0;
		} else if (col) {
			gb_add(b, " ", 1);
			col++;
		}
		gb_add(b, w, n);
		col += n;
	}
	gb_add(b, "\r\n", 2);
}

static size_t log_uniform(size_t lo, size_t hi)
{
	double a = log((double)lo), z = log((double)hi);
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	return (size_t)exp(a + (z - a) * u);
}

struct opts {
	long users, messages, attach_pct, textized_pct, calendar_pct;
	long remote, aliases, lists, list_members;
	size_t attach_min, attach_max, text_min, text_max;
	uint64_t seed;
	const char *out;
};

static void user_name(char *out, size_t cap, long i)
{
	snprintf(out, cap, "%s %s", firsts[i % 25], lasts[(i / 25) % 20]);
}

static void mailbox_name(char *out, size_t cap, long i)
{
	snprintf(out, cap, "U%05ld", i + 1);
}

static int all_no_mail;   /* --no-mail */

static int no_mail(long i)
{
	return all_no_mail || (i > 0 && i % 25 == 24);
}

/* One message into f. */
static void write_message(FILE *f, const struct opts *o, long owner, int folder, long serial,
			  struct gb *b, struct gb *body)
{
	char me[24], other[24], subj[256];
	long peer = below((uint64_t)o->users);
	int year = 1993 + (int)below(4), month = 1 + (int)below(12), day = 1 + (int)below(28);
	int has_att = (long)below(100) < o->attach_pct;
	size_t att_len = has_att ? log_uniform(o->attach_min, o->attach_max) : 0;
	int tx = (long)below(100) < o->textized_pct;

	mailbox_name(me, sizeof(me), owner);
	mailbox_name(other, sizeof(other), peer);
	b->len = 0;
	body->len = 0;
	gb_printf(b, "VERSION:3.00\r\n");
	if (folder == 1) { /* sent */
		gb_printf(b, "TO:PCM:GENNET/GENPO/%s\r\n", other);
		if (below(4) == 0)
			gb_printf(b, "TO:SMTP:partner%ld@example.com\r\n", (long)below(50));
		gb_printf(b, "FROM:PCM:GENNET/GENPO/%s\r\n", me);
	} else {
		gb_printf(b, "TO:PCM:GENNET/GENPO/%s\r\n", me);
		if (below(5) == 0)
			gb_printf(b, "CC:PCM:GENNET/GENPO/%s\r\n", other);
		if (below(6) == 0)
			gb_printf(b, "FROM:SMTP:partner%ld@example.com\r\n", (long)below(50));
		else if (below(10) == 0)
			gb_printf(b, "FROM:PCM:GENNET/REMOTE/R%04ld\r\n", (long)below(100));
		else
			gb_printf(b, "FROM:PCM:GENNET/GENPO/%s\r\n", other);
	}
	snprintf(subj, sizeof(subj), "%s %s %s #%ld", words[below(20)], words[below(20)],
		 words[below(20)], serial);
	gb_printf(b, "DATE:%04d-%02d-%02d\r\nTIME:%02d:%02d\r\n", year, month, day,
		  (int)below(24), (int)below(60));
	gb_printf(b, "SUBJECT:%.40s\r\n", subj);
	switch (below(20)) {
	case 0: gb_printf(b, "PRIORITY:R\r\n"); break;
	case 1: gb_printf(b, "PRIORITY:5\r\n"); break;
	case 2: gb_printf(b, "PRIORITY:1\r\n"); break;
	default: if (below(2)) gb_printf(b, "PRIORITY:3\r\n");
	}
	if (folder == 0 && below(5) == 0)
		gb_printf(b, "STATUS:UNREAD\r\n");
	if (has_att)
		gb_printf(b, "ATTACHMENT:FILE%05ld.DAT %zu\r\n", serial % 100000, att_len);
	if (tx) {
		int de = below(3) == 0;
		gb_printf(body, "Microsoft Mail v3.0 IPM.Microsoft Mail.Note\r\n");
		gb_printf(body, de ? "Von: %s\r\nAn:  %s\r\nBetreff:  %s (long subject)\r\n"
				     "Datum: %04d-%02d-%02d 10:00\r\nPriorit\x84t:\r\nNachrichten-ID: %08lX\r\n"
				     "Conversation ID: %08lX\r\n\r\n"
				   : "From: %s\r\nTo:  %s\r\nSubject:  %s (long subject)\r\n"
				     "Date: %04d-%02d-%02d 10:00\r\nPriority:\r\nMessage ID: %08lX\r\n"
				     "Conversation ID: %08lX\r\n\r\n",
			  other, me, subj, year, month, day, (unsigned long)serial * 2654435761ul % 0xffffffff,
			  (unsigned long)serial);
	}
	add_words(body, o->text_min + (size_t)below(o->text_max - o->text_min + 1));
	gb_printf(b, "TEXT:%zu\r\n", body->len);
	fwrite(b->p, 1, b->len, f);
	fwrite(body->p, 1, body->len, f);
	for (size_t i = 0; i < att_len; i++)
		fputc((int)(rnd() >> 56), f);
	fputs("\r\n", f);
}

static void write_calendar(const char *dir, long owner)
{
	FILE *f;
	char p[4096];
	int m = 1 + (int)below(12), d = 1 + (int)below(28);
	snprintf(p, sizeof(p), "%s/calendar/U%05ld", dir, owner + 1);
	mkdirs(p);
	f = open_out(p, "export.sc2");
	fprintf(f, "SCHEDULE+2 EXPORT VERSION 103\r\n"
		   "SingleAppointments:\r\n{\r\n   Start: %02d-%02d-1995 09:00\r\n   End: %02d-%02d-1995 10:00\r\n"
		   "   Ring: T\r\n   AlarmAmount: 15\r\n   AlarmTypeUnit: 0\r\n   Text: \"Review %ld\"\r\n}\r\n"
		   "RecurringAppointments:\r\n{\r\n   StartRecurringDate: %02d-%02d-1995\r\n"
		   "   EndRecurringDate: 12-31-1996\r\n   StartRecurringTime: 10:00\r\n"
		   "   EndRecurringTime: 11:00\r\n   RecurringType: 48\r\n   WeekInterval: 1\r\n"
		   "   DayOfWeekMask: %d\r\n   Text: \"Weekly\"\r\n   Exceptions:\r\n   {\r\n"
		   "      InstanceDate: 12-25-1995\r\n      Deleted: T\r\n   }\r\n}\r\n"
		   "SingleEvents:\r\n{\r\n   StartDate: %02d-%02d-1995\r\n   EndDate: %02d-%02d-1995\r\n"
		   "   Text: \"Fair\"\r\n}\r\n"
		   "SingleTasks:\r\n{\r\n   StartDate: 03-01-1995\r\n   EndDate: 03-31-1995\r\n"
		   "   Priority: 8243\r\n   Text: \"Report\"\r\n}\r\n"
		   "Contacts:\r\n{\r\n   FirstName: \"Ray\"\r\n   LastName: \"Contact%ld\"\r\n"
		   "   EmailAddress: \"ray%ld@example.com\"\r\n}\r\n",
		m, d, m, d, owner, m, d, 2 << below(5), m, d, m, d, owner, owner);
	fclose(f);
}

static long num_arg(const char *v, const char *name)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 0)
		die("%s wants a number", name);
	return n;
}

int main(int argc, char **argv)
{
	struct opts o = { 10, 1000, 10, 30, 10, 0, 0, 0, 25, 512, 262144, 200, 2000, 1, NULL };
	long *count;
	long total = 0, serial = 0;
	struct gb b = { 0 }, body = { 0 };
	FILE *f;
	char p[4096];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field) if (!strcmp(a, name)) { if (!v) die("%s wants a value", name); \
			o.field = num_arg(v, name); i++; continue; }
		OPT("--users", users);
		OPT("--messages", messages);
		OPT("--attach-pct", attach_pct);
		OPT("--textized-pct", textized_pct);
		OPT("--calendar-pct", calendar_pct);
		OPT("--attach-min", attach_min);
		OPT("--attach-max", attach_max);
		OPT("--text-min", text_min);
		OPT("--text-max", text_max);
		OPT("--seed", seed);
		OPT("--remote", remote);
		OPT("--aliases", aliases);
		OPT("--lists", lists);
		OPT("--list-members", list_members);
#undef OPT
		if (!strcmp(a, "--no-mail")) {
			all_no_mail = 1;
			continue;
		}
		if (a[0] == '-')
			die("unknown option %s", a);
		o.out = a;
	}
	if (!o.out || o.users < 1 || o.users > 999999 || o.attach_min < 1 ||
	    o.attach_max < o.attach_min || o.text_max < o.text_min)
		die("usage: gen-msmail [--users N] [--messages N] [--attach-pct P] [--remote N] [--aliases N] "
		    "[--lists N] [--list-members M] [--no-mail] [--seed S] OUTDIR");
	rng_state = o.seed * 0x9E3779B97F4A7C15ull + 1;

	/* messages per user (users without exported mail get none) */
	count = calloc((size_t)o.users, sizeof(*count));
	if (!count)
		abort();
	for (long i = 0; i < o.messages; i++) {
		long u = (long)below((uint64_t)o.users);
		if (no_mail(u))
			u = (u + 1) % o.users;
		count[u]++;
	}

	mkdirs(o.out);
	snprintf(p, sizeof(p), "%s/directory", o.out);
	mkdirs(p);
	f = open_out(o.out, "MSMX.TXT");
	fprintf(f, "# generated by gen-msmail --users %ld --messages %ld --seed %" PRIu64 "\r\n"
		   "msmx-version=1\r\nnetwork=GENNET\r\npostoffice=GENPO\r\nsource-codepage=850\r\n"
		   "windows-codepage=1252\r\ntimezone=Europe/Berlin\r\nmmff-newline=CRLF\r\n"
		   "exported-at=1999-12-01T12:00\r\n", o.users, o.messages, o.seed);
	fclose(f);
	f = open_out(o.out, "users.csv");
	fprintf(f, "mailbox,full_name,deleted,mail_dir,calendar\r\n");
	for (long i = 0; i < o.users; i++) {
		char n[64], m[24];
		int cal = (long)below(100) < o.calendar_pct;
		user_name(n, sizeof(n), i);
		mailbox_name(m, sizeof(m), i);
		/* users.csv is UTF-8: the CP850 letters of the surnames as UTF-8 */
		fprintf(f, "%s,\"", m);
		for (const unsigned char *q = (const unsigned char *)n; *q; q++) {
			switch (*q) {
			case 0x81: fputs("\xC3\xBC", f); break;
			case 0x84: fputs("\xC3\xA4", f); break;
			case 0x94: fputs("\xC3\xB6", f); break;
			case 0xA1: fputs("\xC3\xAD", f); break;
			default: fputc(*q, f);
			}
		}
		fprintf(f, "\",0,%s%s,%s%s%s\r\n", no_mail(i) ? "" : "mail/", no_mail(i) ? "" : m,
			cal ? "calendar/" : "", cal ? m : "", cal ? "/export.sc2" : "");
		if (cal)
			write_calendar(o.out, i);
	}
	fclose(f);
	snprintf(p, sizeof(p), "%s/directory", o.out);
	f = open_out(p, "pol.txt");
	for (long i = 0; i < o.users; i++) {
		char n[64], m[24];
		user_name(n, sizeof(n), i);
		mailbox_name(m, sizeof(m), i);
		fprintf(f, "A %-31sPCM:GENNET/GENPO/%s\r\n", n, m);
	}
	for (long i = 0; i < 100; i++)
		fprintf(f, "A %-31sPCM:GENNET/REMOTE/R%04ld\r\n", "Remote User", i);
	/* a large directory (issue 15): users of other postoffices */
	for (long i = 0; i < o.remote; i++) {
		char n[40];
		snprintf(n, sizeof(n), "Remote%ld %s", i + 1, firsts[i % 25]);
		fprintf(f, "A %-31sPCM:GENNET/REMPO%ld/R%06ld\r\n", n, i % 10 + 1, i + 1);
	}
	fclose(f);
	f = open_out(p, "gw-SMTP.txt");
	for (long i = 0; i < 50; i++)
		fprintf(f, "A Partner %-23ldSMTP:partner%ld@example.com\r\n", i, i);
	/* ... and Internet addresses of local users */
	for (long i = 0; i < o.aliases; i++) {
		char n[40], m[24];
		long u = (i * 7919) % o.users;
		mailbox_name(m, sizeof(m), u);
		snprintf(n, sizeof(n), "Alias %ld", i + 1);
		fprintf(f, "A %-31sSMTP:%s.alias%ld@genpo.example\r\n", n, m, i + 1);
	}
	fclose(f);
	f = open_out(p, "groups.txt");
	fprintf(f, "# groups\r\nG %-31sPCM:GENNET/GENPO/ALL\r\n", "Everybody");
	for (long i = 0; i < o.users && i < 200; i++)
		fprintf(f, "A %-31sPCM:GENNET/GENPO/U%05ld\r\n", "member", i + 1);
	for (long l = 0; l < o.lists; l++) {
		char n[40];
		snprintf(n, sizeof(n), "List %ld", l + 1);
		fprintf(f, "G %-31sPCM:GENNET/GENPO/L%06ld\r\n", n, l + 1);
		for (long m = 0; m < o.list_members; m++) {
			long k = (l * o.list_members + m) * 104729;
			char mb[24];
			if (m % 5 == 4 && o.remote) {
				fprintf(f, "A %-31sPCM:GENNET/REMPO%ld/R%06ld\r\n", "member",
					k % o.remote % 10 + 1, k % o.remote + 1);
			} else {
				mailbox_name(mb, sizeof(mb), k % o.users);
				fprintf(f, "A %-31sPCM:GENNET/GENPO/%s\r\n", "member", mb);
			}
		}
	}
	fclose(f);

	for (long u = 0; u < o.users; u++) {
		static const char *const names[] = { "inbox.mmff", "sent.mmff", "deleted.mmff", "archive.mmff" };
		FILE *fo[4];
		char m[24];
		mailbox_name(m, sizeof(m), u);
		printf("%s\t%ld\n", m, count[u]);
		total += count[u];
		if (no_mail(u))
			continue;
		snprintf(p, sizeof(p), "%s/mail/%s", o.out, m);
		mkdirs(p);
		for (int k = 0; k < 4; k++)
			fo[k] = open_out(p, names[k]);
		for (long i = 0; i < count[u]; i++) {
			uint64_t r = below(100);
			int folder = r < 50 ? 0 : r < 75 ? 1 : r < 85 ? 2 : 3;
			write_message(fo[folder], &o, u, folder, ++serial, &b, &body);
		}
		for (int k = 0; k < 4; k++)
			fclose(fo[k]);
	}
	printf("total\t%ld\n", total);
	f = open_out(o.out, ".messages");
	fprintf(f, "%ld\n", total);
	fclose(f);
	free(count);
	free(b.p);
	free(body.p);
	return 0;
}
