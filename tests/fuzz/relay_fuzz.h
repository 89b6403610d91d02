/*
 * Shared by fuzz_relay.c and mkcorpus_relay.c: the fixed keys and the
 * record format of the relay fuzz target, so that the seed corpus can hold
 * genuine SRTP packets.  Test keys only.
 *
 * Input: records of [flags u8][length u16 big-endian][bytes].
 *   flags bit 0-1: leg 0 (SRTP AES_CM_128_HMAC_SHA1_32, peer 1),
 *                  leg 1 (plain RTP, peer 0),
 *                  leg 2 (SRTP AEAD_AES_128_GCM, peer 3),
 *                  leg 3 (SRTP AES_CM_128_HMAC_SHA1_80, peer 2)
 *   flags bit 2:   RTCP (else RTP)
 *   flags bit 3:   from an unexpected source port
 *   flags bit 4:   leg 3's remote is not given (latched)
 */
#ifndef OPENCME_TESTS_FUZZ_RELAY_FUZZ_H
#define OPENCME_TESTS_FUZZ_RELAY_FUZZ_H

#include <stdint.h>

#include "media/srtp_crypto.h"

static const enum srtpc_suite relay_fuzz_suite[4] = {
    SRTPC_AES_CM_128_HMAC_SHA1_32,
    SRTPC_NONE,
    SRTPC_AEAD_AES_128_GCM,
    SRTPC_AES_CM_128_HMAC_SHA1_80,
};

/* key||salt the endpoint of leg i sends with (the leg unprotects). */
static void
relay_fuzz_key(int leg, int rx, uint8_t *out)
{
	for (int i = 0; i < SRTPC_MAX_KEY_SALT; i++)
		out[i] = (uint8_t)(0x11 * (leg + 1) + 3 * i + (rx ? 0x80 : 0));
}

#define RELAY_FUZZ_PORT(leg) ((uint16_t)(20000 + 10 * (leg)))

#endif
