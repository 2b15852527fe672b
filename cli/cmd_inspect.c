/* SPDX-License-Identifier: MIT */
/* cmd_inspect.c: `mailferry inspect`: read and validate files written by an exporter.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_inspect_help[] =
	"usage: mailferry inspect ...\n"
	"\n"
	"read and validate files written by an exporter (not built yet).\n";

int cmd_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'inspect' is not built yet\n");
	return MF_EXIT_FATAL;
}
