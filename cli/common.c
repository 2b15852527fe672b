/* SPDX-License-Identifier: MIT */
/* common.c: helpers shared by the commands. */
#include "cli/cli.h"
#include "core/date.h"
#include "core/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_open_store(struct mf_store **out, const char *db, int create, int readonly)
{
	struct mf_diag d;
	int rc;

	mf_diag_clear(&d);
	rc = mf_store_open(out, db, (create ? MF_STORE_CREATE : 0) |
			   (readonly ? MF_STORE_READONLY : 0), &d);
	if (rc < 0)
		return cli_fatal(&d);
	return MF_EXIT_OK;
}

enum {
	OPT_MAILBOX = 1000, OPT_MAILBOXES_FROM, OPT_SINCE, OPT_UNTIL, OPT_NO_MAIL,
	OPT_FOLDERS, OPT_SKIP_FOLDERS, OPT_OUT, OPT_URL, OPT_ADMIN, OPT_PASSWORD_FILE,
	OPT_OAUTH2, OPT_LOGIN_FORMAT, OPT_STARTTLS, OPT_TLS_VERIFY, OPT_PUBLIC_FOLDER,
	OPT_FLAG_URGENT, OPT_CODEPAGE, OPT_DIRECTORY, OPT_KEEP_RAW, OPT_JOBS, OPT_WAIT,
	OPT_FORCE, OPT_QUIET, OPT_JSON, OPT_LEASE_TIMEOUT, OPT_VCARD_VERSION, OPT_DAV_LAYOUT,
};

const struct option cli_export_long[] = {
	{ "mailbox", required_argument, NULL, OPT_MAILBOX },
	{ "mailboxes-from", required_argument, NULL, OPT_MAILBOXES_FROM },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "no-mail", no_argument, NULL, OPT_NO_MAIL },
	{ "folders", required_argument, NULL, OPT_FOLDERS },
	{ "skip-folders", required_argument, NULL, OPT_SKIP_FOLDERS },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "url", required_argument, NULL, OPT_URL },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "oauth2-token-file", required_argument, NULL, OPT_OAUTH2 },
	{ "login-format", required_argument, NULL, OPT_LOGIN_FORMAT },
	{ "starttls", no_argument, NULL, OPT_STARTTLS },
	{ "tls-verify", required_argument, NULL, OPT_TLS_VERIFY },
	{ "public-folder", required_argument, NULL, OPT_PUBLIC_FOLDER },
	{ "flag-urgent", no_argument, NULL, OPT_FLAG_URGENT },
	{ "codepage", required_argument, NULL, OPT_CODEPAGE },
	{ "directory", required_argument, NULL, OPT_DIRECTORY },
	{ "keep-raw-headers", no_argument, NULL, OPT_KEEP_RAW },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lease-timeout", required_argument, NULL, OPT_LEASE_TIMEOUT },
	{ "vcard-version", required_argument, NULL, OPT_VCARD_VERSION },
	{ "dav-layout", required_argument, NULL, OPT_DAV_LAYOUT },
	{ NULL, 0, NULL, 0 }
};

void cli_export_opts_init(struct cli_export_opts *c)
{
	memset(c, 0, sizeof(*c));
	c->o.tls_verify = 1;
	c->o.lease_timeout = 120;
}

void cli_export_opts_release(struct cli_export_opts *c)
{
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->mailboxes);
	free(c->folders);
	free(c->skip_folders);
	memset(c, 0, sizeof(*c));
}

static void push(const char ***arr, size_t *n, const char *v)
{
	*arr = mf_xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = v;
}

/* Keep text the option lists point into until cli_export_opts_release. */
static char *own(struct cli_export_opts *c, char *text)
{
	c->owned = mf_xreallocarray(c->owned, c->n_owned + 1, sizeof(*c->owned));
	c->owned[c->n_owned++] = text;
	return text;
}

/* Split a comma-separated pattern list into the array. */
static void push_list(struct cli_export_opts *c, const char ***arr, size_t *n, const char *v)
{
	char *copy = own(c, mf_xstrdup(v)), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		push(arr, n, t);
}

int cli_parse_date(int64_t *t, const char *s)
{
	struct mf_civil c;
	size_t n = strlen(s);
	memset(&c, 0, sizeof(c));
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return MF_EFORMAT;
	{
		uint64_t y, m, d;
		if (mf_parse_u64(&y, s, 4, 9999) < 0 || mf_parse_u64(&m, s + 5, 2, 12) < 0 ||
		    mf_parse_u64(&d, s + 8, 2, 31) < 0)
			return MF_EFORMAT;
		c.year = (int)y;
		c.month = (int)m;
		c.day = (int)d;
	}
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || mf_time_parse(&c, s + 11, n - 11) < 0)
			return MF_EFORMAT;
	}
	if (!mf_civil_valid(&c))
		return MF_EFORMAT;
	*t = mf_civil_to_utc_naive(&c);
	return MF_OK;
}

int cli_export_opt(struct cli_export_opts *c, int opt, const char *arg, const char *cmd)
{
	switch (opt) {
	case OPT_MAILBOX: push(&c->mailboxes, &c->n_mailboxes, arg); break;
	case OPT_MAILBOXES_FROM: {
		char *text = NULL, *save = NULL;
		struct mf_diag d;
		if (mf_read_file(&text, NULL, arg, 16u << 20, &d) < 0) {
			cli_fatal(&d);
			return -1;
		}
		own(c, text);
		for (char *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (*l && *l != '#')
				push(&c->mailboxes, &c->n_mailboxes, l);
		}
		break;
	}
	case OPT_SINCE:
		if (cli_parse_date(&c->o.since, arg) < 0) {
			cli_usage(cmd, "--since wants YYYY-MM-DD, not '%s'", arg);
			return -1;
		}
		c->o.has_since = 1;
		break;
	case OPT_UNTIL:
		if (cli_parse_date(&c->o.until, arg) < 0) {
			cli_usage(cmd, "--until wants YYYY-MM-DD, not '%s'", arg);
			return -1;
		}
		c->o.has_until = 1;
		break;
	case OPT_NO_MAIL: c->o.no_mail = 1; break;
	case OPT_FOLDERS: push_list(c, &c->folders, &c->n_folders, arg); break;
	case OPT_SKIP_FOLDERS: push_list(c, &c->skip_folders, &c->n_skip_folders, arg); break;
	case OPT_OUT: c->o.out = arg; break;
	case OPT_URL: c->o.url = arg; break;
	case OPT_ADMIN: c->o.admin = arg; break;
	case OPT_PASSWORD_FILE: c->o.password_file = arg; break;
	case OPT_OAUTH2: c->o.oauth2_token_file = arg; break;
	case OPT_LOGIN_FORMAT: c->o.login_format = arg; break;
	case OPT_STARTTLS: c->o.starttls = 1; break;
	case OPT_TLS_VERIFY:
		if (!strcmp(arg, "yes"))
			c->o.tls_verify = 1;
		else if (!strcmp(arg, "no"))
			c->o.tls_verify = 0;
		else {
			cli_usage(cmd, "--tls-verify wants yes or no");
			return -1;
		}
		break;
	case OPT_PUBLIC_FOLDER: c->o.public_folder = arg; break;
	case OPT_FLAG_URGENT: c->o.flag_urgent = 1; break;
	case OPT_CODEPAGE: c->o.codepage = arg; break;
	case OPT_DIRECTORY:
		if (strcmp(arg, "create") && strcmp(arg, "skip")) {
			cli_usage(cmd, "--directory wants create or skip");
			return -1;
		}
		c->o.directory_mode = arg;
		break;
	case OPT_KEEP_RAW: c->o.keep_raw_headers = 1; break;
	case OPT_VCARD_VERSION:
		if (strcmp(arg, "3.0") && strcmp(arg, "4.0")) {
			cli_usage(cmd, "--vcard-version wants 3.0 or 4.0");
			return -1;
		}
		c->o.vcard_version = arg;
		break;
	case OPT_DAV_LAYOUT: c->o.dav_layout = arg; break;
	case OPT_JOBS: {
		uint64_t v;
		if (mf_parse_u64(&v, arg, strlen(arg), 256) < 0 || v == 0) {
			cli_usage(cmd, "--jobs wants a number from 1 to 256, not '%s'", arg);
			return -1;
		}
		c->o.jobs = (int)v;
		break;
	}
	case OPT_WAIT: c->o.wait = 1; break;
	case OPT_FORCE: c->o.force = 1; break;
	case OPT_QUIET: c->o.quiet = 1; break;
	case OPT_JSON: c->o.json = 1; break;
	case OPT_LEASE_TIMEOUT: {
		uint64_t v;
		if (mf_parse_u64(&v, arg, strlen(arg), 86400 * 7) < 0 || v == 0) {
			cli_usage(cmd, "--lease-timeout wants seconds (1 to 604800), not '%s'", arg);
			return -1;
		}
		c->o.lease_timeout = (int)v;
		break;
	}
	default:
		return 0;
	}
	c->o.mailboxes = c->mailboxes;
	c->o.n_mailboxes = c->n_mailboxes;
	c->o.folders = c->folders;
	c->o.n_folders = c->n_folders;
	c->o.skip_folders = c->skip_folders;
	c->o.n_skip_folders = c->n_skip_folders;
	return 1;
}
