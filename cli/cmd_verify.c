/* SPDX-License-Identifier: MIT */
/* cmd_verify.c: `mailferry verify`: read the target back and compare with the staged data.  Not built yet. */
#include "cli/cli.h"

#include <stdio.h>

const char cmd_verify_help[] =
	"usage: mailferry verify ...\n"
	"\n"
	"read the target back and compare with the staged data (not built yet).\n";

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mailferry: 'verify' is not built yet\n");
	return MF_EXIT_FATAL;
}
