/* SPDX-License-Identifier: MIT */
/* hash.c: SHA-256 through OpenSSL's EVP interface. */
#include "core/hash.h"
#include "core/mf.h"

#include <openssl/evp.h>

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
	if (!EVP_Digest(p ? p : "", n, md, &mdlen, EVP_sha256(), NULL))
		mf_oom();
	to_hex(hex, md, mdlen);
}

void mf_sha256_init(struct mf_sha256 *h)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
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
