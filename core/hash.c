/* SPDX-License-Identifier: MIT */
/* hash.c: SHA-256 through OpenSSL's EVP interface. */
#include "core/hash.h"
#include "core/mf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* The SHA-256 implementation, fetched from OpenSSL's providers once: with
 * EVP_sha256() every EVP_Digest / EVP_DigestInit_ex looks the algorithm
 * up again (name map, locks), about 2 us a call, which was most of the
 * cost of hashing a short string (a PST search key per message). */
static const EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#endif
	if (!sha256_md)
		sha256_md = EVP_sha256();
}

static const EVP_MD *md_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

static void to_hex(char hex[MF_SHA256_HEX], const unsigned char *md, unsigned n)
{
	static const char d[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = d[md[i] >> 4];
		hex[2 * i + 1] = d[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void mf_sha256_hex(char hex[MF_SHA256_HEX], const void *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(p ? p : "", n, md, &mdlen, md_sha256(), NULL))
		mf_oom();
	to_hex(hex, md, mdlen);
}

void mf_sha256_init(struct mf_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, md_sha256(), NULL))
		mf_oom();
	h->ctx = c;
}

void mf_sha256_update(struct mf_sha256 *h, const void *p, size_t n)
{
	if (n && !EVP_DigestUpdate(h->ctx, p, n))
		mf_oom();
}

void mf_sha256_final(struct mf_sha256 *h, char hex[MF_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_DigestFinal_ex(h->ctx, md, &mdlen))
		mf_oom();
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	to_hex(hex, md, mdlen);
}

int mf_sha256_fd(int fd, char hex[MF_SHA256_HEX], int64_t *size)
{
	enum { BUF = 256 * 1024 };
	static const unsigned char zeros[16384];
	struct mf_sha256 h;
	struct stat sb;
	unsigned char *buf;
	off_t off = 0;
	int rc = 0, err = 0;

	*size = 0;
	mf_sha256_init(&h);
	/* a small file gets a buffer of its own size, from the heap */
	if (fstat(fd, &sb) != 0 ||
	    !(buf = malloc(sb.st_size > 0 && sb.st_size < BUF ? (size_t)sb.st_size : BUF))) {
		err = errno ? errno : ENOMEM;
		mf_sha256_final(&h, hex);
		errno = err;
		return -1;
	}
	while (rc == 0 && off < sb.st_size) {
		off_t data = lseek(fd, off, SEEK_DATA), hole;
		if (data < 0)
			data = errno == ENXIO ? sb.st_size : off;  /* only a hole left / holes unknown */
		if (data > sb.st_size)
			data = sb.st_size;
		while (off < data) {
			size_t n = data - off < (off_t)sizeof(zeros) ? (size_t)(data - off) : sizeof(zeros);
			mf_sha256_update(&h, zeros, n);
			off += (off_t)n;
		}
		if (off >= sb.st_size)
			break;
		hole = lseek(fd, off, SEEK_HOLE);
		if (hole <= off || hole > sb.st_size)
			hole = sb.st_size;
		while (off < hole) {
			off_t cap = sb.st_size > 0 && sb.st_size < BUF ? sb.st_size : BUF;
			size_t want = (size_t)(hole - off < cap ? hole - off : cap);
			ssize_t got = pread(fd, buf, want, off);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				err = got < 0 ? errno : EIO;   /* shorter than fstat said */
				rc = -1;
				break;
			}
			mf_sha256_update(&h, buf, (size_t)got);
			off += got;
		}
	}
	free(buf);
	mf_sha256_final(&h, hex);
	*size = (int64_t)off;
	if (rc < 0)
		errno = err;
	return rc;
}

int mf_sha256_file(const char *path, char hex[MF_SHA256_HEX], int64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	*size = 0;
	if (fd < 0) {
		mf_sha256_hex(hex, "", 0);
		return errno == ENOENT ? MF_ENOTFOUND : MF_EIO;
	}
	rc = mf_sha256_fd(fd, hex, size);
	close(fd);
	return rc == 0 ? MF_OK : MF_EIO;
}
