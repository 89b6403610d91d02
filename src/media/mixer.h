/*
 * The conference bridge's mixer: SCCP phones mix nothing themselves
 * (sccp.md 12.4), so every member of a conference sends its G.711 µ-law
 * RTP to its own socket on the bridge and receives, every 20 ms, the sum
 * of the other members' latest frames.  Plain RTP only: the chapter's
 * conference calls fall back to RTP.
 *
 * A member gets a packet only in ticks where another member sent one
 * (no comfort noise).
 *
 * The arithmetic (G.711 µ-law decode/encode, mix-minus with clipping) is
 * pure and unit-tested; the rest is sockets and one libevent timer per
 * bridge.  A member's remote address is given (from its
 * OpenReceiveChannelAck); packets from any other source are dropped and
 * counted, as in the relay.
 */
#ifndef OPENCME_MEDIA_MIXER_H
#define OPENCME_MEDIA_MIXER_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define MIXER_FRAME 160 /* samples per 20 ms at 8 kHz */
#define MIXER_MAX_MEMBERS 8

/* G.711 µ-law (ITU-T G.711), sample <-> byte. */
int16_t mixer_ulaw_decode(uint8_t u);
uint8_t mixer_ulaw_encode(int16_t pcm);
/*
 * Mix-minus: out[i] = sum of the n frames in `in` except frame `skip`
 * (each MIXER_FRAME µ-law bytes; NULL = silence), clipped to 16 bits and
 * encoded again.
 */
void mixer_mix(
    const uint8_t *const *in, size_t n, size_t skip, uint8_t out[MIXER_FRAME]);

/* The 20 ms frame of a received datagram: RTP version 2, payload type 0
 * (PCMU), at least 12 + MIXER_FRAME bytes, at most 1500; the last
 * MIXER_FRAME bytes.  0, or -1 (dropped). */
int mixer_frame_of(const uint8_t *pkt, size_t n, uint8_t frame[MIXER_FRAME]);

struct mixer;
struct mixer_member;
struct event_base;

struct mixer_stats {
	uint64_t rx, tx, bad_source, malformed;
};

/* A bridge whose member sockets bind to addr, ports from port_lo (even,
 * RTCP not used).  base NULL: no timer (tests call mixer_tick). */
int mixer_new(struct event_base *base, const struct in_addr *addr,
    uint16_t port_lo, uint16_t port_hi, struct mixer **out);
void mixer_free(struct mixer *m);
/* A member with its socket; *port is where it must send. */
int mixer_member_add(
    struct mixer *m, struct mixer_member **out, uint16_t *port);
void mixer_member_remove(struct mixer_member *mm);
/* Where the member's phone listens (its OpenReceiveChannelAck). */
void mixer_member_set_remote(
    struct mixer_member *mm, const struct sockaddr_in *sin);
const struct mixer_stats *mixer_member_stats(const struct mixer_member *mm);
size_t mixer_members(const struct mixer *m);
/* Read what arrived and send every member its 20 ms mix (the timer does
 * this; tests call it directly). */
void mixer_tick(struct mixer *m);

#endif
