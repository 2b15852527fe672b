/* SPDX-License-Identifier: MIT */
/* cmd_inspect.c: `mailferry inspect FORMAT PATH`: read output back and
 * validate it, through the exporter's inspect callback (engine/exporter.h). */
#include "cli/cli.h"
#include "core/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char cmd_inspect_help[] =
	"usage: mailferry inspect FORMAT PATH [--json]\n"
	"       FORMAT: exchange\n"
	"\n"
	"Read a set of Exchange migration files back and check it: PATH is a .pkl\n"
	"file, a set folder holding one .pkl, or an export folder holding set\n"
	"folders (<PO>.001, ...), each of which is checked.  The checks follow the\n"
	"reading model of the format (two levels: fields, then values): every line\n"
	"of .pkl and .pri files ends in CR LF; sections have the documented\n"
	"columns and every data line their number of fields; dates are valid\n"
	"14-digit dates or blank; priorities and booleans are in range; every\n"
	"Body pointer names a listed .sec file and lands on a section header;\n"
	"every chain of sections ends; every Length fits; attachment names have an\n"
	"extension and positions lie within the body; no section is unreachable.\n"
	"It works on sets written by mailferry and by other tools.\n"
	"\n"
	"The text output lists every section with what it holds, then the totals.\n"
	"--json prints {\"sets\":[{\"pkl\",\"valid\",\"codepage\",\"problems\":[...],\n"
	"\"sections\":[...],\"messages\":[{\"file\",\"section\",\"folder\",\"sender\",\"to\",\n"
	"\"cc\",\"bcc\",\"subject\",\"send_date\",\"received_date\",\"priority\",\"unread\",\n"
	"\"unsent\",\"items\":[{\"type\",\"name\",\"length\",\"sha256\",\"position\",\n"
	"\"format\"}]}],\"totals\":{...}}]}; strings are as the files hold them\n"
	"(code page bytes shown as Latin-1 when not UTF-8).\n"
	"\n"
	"Exit codes: 0 every set is valid, 1 problems were found, 2 usage, 3 the\n"
	"packing list cannot be read.\n";

/* "exchange|..." of the exporters that offer inspect. */
static void inspect_targets(struct mf_buf *b)
{
	for (size_t i = 0; mf_exporters[i]; i++)
		if (mf_exporters[i]->inspect) {
			if (b->len)
				mf_buf_addch(b, '|');
			mf_buf_addstr(b, mf_exporters[i]->name);
		}
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	const struct mf_exporter *exp;
	struct mf_inspect_sum sum;
	struct mf_diag d;
	unsigned flags = 0;
	const char *path;
	struct stat sb;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'j')
			flags |= MF_INSPECT_JSON;
		else
			return cli_usage("inspect", "unknown option");
	}
	exp = optind + 2 == argc ? mf_exporter_find(argv[optind]) : NULL;
	if (!exp || !exp->inspect) {
		struct mf_buf names;
		mf_buf_init(&names, MF_BUF_LINE_MAX);
		inspect_targets(&names);
		rc = cli_usage("inspect", "wants: %s PATH", names.data);
		mf_buf_release(&names);
		return rc;
	}
	path = argv[optind + 1];
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "mailferry: %s: no such file or folder\n", path);
		return MF_EXIT_FATAL;
	}
	mf_diag_clear(&d);
	fflush(stdout);
	rc = exp->inspect(&sum, path, flags, stdout, stderr, &d);
	if (rc < 0)
		return cli_fatal(&d);
	if (sum.unreadable)
		return MF_EXIT_FATAL;
	return sum.invalid ? MF_EXIT_PROBLEMS : MF_EXIT_OK;
}
