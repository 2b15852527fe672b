/* SPDX-License-Identifier: MIT */
/*
 * pst-floor.c: two pieces of the floor under `export pst`, over the bytes
 * of the PST files it wrote (bench/pst.sh runs it beside the export, `cp
 * -r` and bench/raw-read):
 *
 *   pst-floor crc FILE...     [MS-PST] 5.3's CRC-32 over every byte, in
 *                             pieces of one block's data (8,176 bytes),
 *                             with the writer's own pst_crc: the time of
 *                             the CRC alone (each MiB is read first, and
 *                             that read is not timed: the export has the
 *                             bytes in its cache when it takes the CRC)
 *   pst-floor sha256 FILE...  SHA-256 of each file read back from the
 *                             page cache, as the export does for the
 *                             ledger after the header is written
 *                             (mf_sha256_fd: OpenSSL)
 *
 * Prints "bytes seconds" (wall time of that work alone, no process start).
 * The crc mode first checks pst_crc against a plain bit-at-a-time loop of
 * the reflected 0xEDB88320 polynomial, register 0, no final inversion, on
 * the first 64 KiB: the figure is the CRC the format asks for.  (zlib's
 * crc32 is the same polynomial with an inverted register and result:
 * crc32(0xFFFFFFFF, b) == ~pst_crc(0, b); docs/formats/pst.md.)
 */
#include "core/hash.h"
#include "exporters/pst/pst.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the reference: one bit at a time, register starting at 0, no final
 * inversion ([MS-PST] 5.3) */
static uint32_t crc_bitwise(const uint8_t *b, size_t n)
{
	uint32_t c = 0;
	while (n--) {
		c ^= *b++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return c;
}

/* Each file is read 1 MiB at a time (untimed: the read leaves the bytes
 * in the processor's cache, as the export's copy into its 1 MiB write
 * buffer does), then the CRC of that MiB in block-sized pieces is timed. */
static int do_crc(int n, char **files)
{
	enum { WIN = 1 << 20 };
	static uint8_t win[WIN];
	long long bytes = 0;
	double secs = 0;
	uint32_t sink = 0;
	int checked = 0;
	for (int i = 0; i < n; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "pst-floor: %s: %s\n", files[i], strerror(errno));
			return 1;
		}
		for (;;) {
			size_t len = 0;
			double t0;
			while (len < WIN) {
				ssize_t r = read(fd, win + len, WIN - len);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				len += (size_t)r;
			}
			if (!len)
				break;
			if (!checked) {
				size_t k = len < 65536 ? len : 65536;
				if (pst_crc(0, win, k) != crc_bitwise(win, k)) {
					fprintf(stderr, "pst-floor: pst_crc disagrees with the bitwise CRC\n");
					close(fd);
					return 1;
				}
				checked = 1;
			}
			t0 = now();
			for (size_t off = 0; off < len; off += PST_BLOCK_DATA) {
				size_t piece = len - off < PST_BLOCK_DATA ? len - off : PST_BLOCK_DATA;
				sink ^= pst_crc(0, win + off, piece);
			}
			secs += now() - t0;
			bytes += (long long)len;
		}
		close(fd);
	}
	/* the CRCs' xor, so the loop is not optimised away */
	printf("%lld %.4f %08x\n", bytes, secs, (unsigned)sink);
	return 0;
}

static int do_sha(int n, char **files)
{
	long long bytes = 0;
	double secs = 0;
	for (int i = 0; i < n; i++) {
		char hex[MF_SHA256_HEX];
		int64_t size = 0;
		double t0 = now();
		int fd = open(files[i], O_RDONLY | O_CLOEXEC), rc;
		if (fd < 0) {
			fprintf(stderr, "pst-floor: %s: %s\n", files[i], strerror(errno));
			return 1;
		}
		rc = mf_sha256_fd(fd, hex, &size);
		close(fd);
		secs += now() - t0;
		if (rc < 0) {
			fprintf(stderr, "pst-floor: %s: cannot read\n", files[i]);
			return 1;
		}
		bytes += size;
	}
	printf("%lld %.4f\n", bytes, secs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "crc"))
		return do_crc(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "sha256"))
		return do_sha(argc - 2, argv + 2);
	fprintf(stderr, "usage: pst-floor crc|sha256 FILE...\n");
	return 2;
}
