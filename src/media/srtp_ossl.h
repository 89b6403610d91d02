/*
 * OpenSSL EVP primitives for libsrtp2: AES-ICM (128 and 256) and
 * HMAC-SHA1, registered in libsrtp's crypto kernel in place of the ones
 * libsrtp2 was built with (NSS on Debian, which creates a PK11 context,
 * with a lock and a malloc, for every packet; doc/design.md).  libsrtp2
 * keeps all the SRTP protocol logic: key derivation, replay database,
 * ROC, packet formats.  Only srtp_crypto.c includes this header.
 *
 * Both calls are process-global and not thread-safe: call them before
 * threads, as srtpc_init().  A switch only affects sessions created
 * afterwards; libsrtp keeps in each session the primitives it was
 * created with.
 */
#ifndef OPENCME_MEDIA_SRTP_OSSL_H
#define OPENCME_MEDIA_SRTP_OSSL_H

/*
 * Registers the OpenSSL primitives.  libsrtp runs its known-answer and
 * round-trip self-tests on each one (ours and the replaced one's
 * vectors) before accepting it.  On any failure every primitive is put
 * back to libsrtp's own and a negative SRTPC_E_* code is returned.
 */
int srtp_ossl_install(void);

/* Puts libsrtp's own primitives back (for tests and the benchmark). */
int srtp_ossl_uninstall(void);

#endif
