/* SPDX-License-Identifier: MIT */
/*
 * standalone.c: replay fuzz corpora without libFuzzer.  Linked with one
 * fuzz target; runs LLVMFuzzerTestOneInput on every file of the folders
 * (or files) given, so each corpus doubles as a regression test under the
 * normal compiler and under ASan+UBSan in `make check`.
 * Prints "N passed, 0 failed" (a crash ends the process instead).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			printf("FAIL - cannot read %s\n", argv[i]);
			failed++;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				char p[4096];
				if (de->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
				if (run_file(p) == 0)
					passed++;
				else {
					printf("FAIL - cannot read %s\n", p);
					failed++;
				}
			}
			if (d)
				closedir(d);
		} else if (run_file(argv[i]) == 0) {
			passed++;
		} else {
			failed++;
		}
	}
	/* the empty input too */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	passed++;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
