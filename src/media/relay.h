/*
 * The media relay of one process ("flow-through"): legs, each a local UDP
 * socket pair (RTP on an even port P, RTCP on P+1, as SCCP phones use) on
 * one side of a call, paired two by two into streams.  Every packet that
 * arrives on a leg is checked and sent out of its peer leg:
 *
 *   source check -> unprotect (secure leg) or RTP header check (plain
 *   leg) -> protect for the peer (secure peer) -> send to the peer's
 *   remote address.
 *
 * so SRTP<->SRTP is re-keyed per leg and RTP<->SRTP is converted when one
 * leg is plain.  I/O is batched: recvmmsg of up to RELAY_BATCH datagrams,
 * one sendmmsg of what survives.  On Linux the survivors are sent with UDP
 * GSO (UDP_SEGMENT): runs of equal-size datagrams to the same destination
 * go as one super-datagram that the kernel splits again (relay_gso_plan),
 * so a batch of G.711 packets costs one route lookup and one trip down
 * the stack; where the kernel refuses it, the relay falls back for good
 * to one datagram per message.  Drops are counted per leg, never logged
 * per packet, and no key ever reaches a counter or a message.
 *
 * The per-packet step relay_packet() does no I/O: unit tests and the fuzz
 * target drive it with legs made without sockets (relay_new with
 * conf->unbound).
 *
 * Remote address: given (relay_leg_set_remote, from signalling) or, when
 * not given, latched from the first packet that passes the checks
 * (unprotect on a secure leg, so a forger without the key cannot steal
 * the leg).  Once known, packets from any other address/port are dropped
 * as bad_source.  RTCP's remote is the RTP remote's port + 1 until an
 * RTCP packet latches its own.
 */
#ifndef OPENCME_MEDIA_RELAY_H
#define OPENCME_MEDIA_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "media/srtp_crypto.h"

#define RELAY_BATCH 32
#define RELAY_MTU 1500 /* longest datagram accepted */
#define RELAY_BUF (RELAY_MTU + SRTPC_MAX_OVERHEAD + 64)
#define RELAY_MAX_LEGS 4096

struct relay;
struct relay_leg;
struct event_base;

enum relay_verdict {
	RELAY_FORWARD = 0,
	RELAY_DROP_SHORT, /* truncated, shorter than header (+ tag) */
	RELAY_DROP_MALFORMED, /* not RTP/RTCP v2, too long, SSRC bound */
	RELAY_DROP_SOURCE, /* from an address/port other than the remote */
	RELAY_DROP_AUTH, /* SRTP tag does not verify (incl. plain RTP) */
	RELAY_DROP_REPLAY, /* replayed or too old */
	RELAY_DROP_NO_PEER, /* unpaired leg, or the peer's remote unknown */
	RELAY_DROP_PROTECT, /* protect for the peer failed */
};

/* Counters of one leg; rx/tx count datagrams, RTP and RTCP together. */
struct relay_stats {
	uint64_t rx, tx; /* received on / sent from this leg */
	uint64_t rtcp_rx, rtcp_tx; /* the RTCP part of rx and tx */
	uint64_t short_pkt, malformed, bad_source, auth_fail, replay;
	uint64_t no_peer, protect_fail, send_fail;
	/* RTP payload octets (headers and tags not counted): accepted from
	 * this leg's endpoint, and sent to it. */
	uint64_t rx_octets, tx_octets;
};

struct relay_conf {
	struct in_addr addr; /* local address to bind (127.0.0.1 in tests) */
	uint16_t port_lo, port_hi; /* RTP ports: even P in [lo, hi), P+1 */
	int unbound; /* no sockets (tests, fuzzing) */
	int no_gso; /* never send with UDP GSO (tests, benchmarks) */
};

/* One side of a call.  Suite NONE: plain RTP, keys ignored. */
struct relay_leg_conf {
	enum srtpc_suite suite;
	/* key||salt this leg's endpoint sends with (we unprotect with it) */
	uint8_t rx_key[SRTPC_MAX_KEY_SALT];
	/* key||salt this leg's endpoint receives with (we protect with it) */
	uint8_t tx_key[SRTPC_MAX_KEY_SALT];
};

/* Error codes: SRTPC_E_* from srtp_crypto, and these. */
enum relay_err {
	RELAY_E_PORTS = -20, /* no free even/odd port pair in the range */
	RELAY_E_SOCKET = -21, /* socket/bind failed (errno kept) */
	RELAY_E_FULL = -22, /* RELAY_MAX_LEGS reached */
	RELAY_E_PAIRED = -23, /* a leg is already paired */
};

const char *relay_err_str(int err);
const char *relay_verdict_str(enum relay_verdict v);

int relay_new(const struct relay_conf *conf, struct relay **out);
/* Frees every leg (keys wiped, sockets closed); NULL is a no-op. */
void relay_free(struct relay *r);

/* Copies what it needs from conf; the caller wipes conf's keys. */
int relay_leg_add(
    struct relay *r, const struct relay_leg_conf *conf, struct relay_leg **out);
/* Unpairs, closes and wipes; NULL is a no-op. */
void relay_leg_free(struct relay_leg *leg);
/* Expected RTP source and destination (RTCP: port + 1). */
void relay_leg_set_remote(struct relay_leg *leg, const struct sockaddr_in *rtp);
int relay_leg_remote(
    const struct relay_leg *leg, int is_rtcp, struct sockaddr_in *out);
int relay_pair(struct relay_leg *a, struct relay_leg *b);
uint16_t relay_leg_port(const struct relay_leg *leg); /* RTP; 0 unbound */
int relay_leg_fd(const struct relay_leg *leg, int is_rtcp);
int relay_leg_is_secure(const struct relay_leg *leg);
enum srtpc_suite relay_leg_suite(const struct relay_leg *leg);
const struct relay_stats *relay_leg_stats(const struct relay_leg *leg);

/*
 * The per-packet step, no I/O.  buf holds *len bytes received on `in`
 * (RTP or RTCP) from src; cap is the buffer size.  On RELAY_FORWARD, buf
 * and *len hold the packet to send from in's peer to *dst.  Counts the
 * drop on the leg that caused it.
 */
enum relay_verdict relay_packet(struct relay_leg *in, int is_rtcp,
    const struct sockaddr_in *src, uint8_t *buf, size_t *len, size_t cap,
    struct sockaddr_in *dst);

/*
 * Read up to max_batches batches (recvmmsg, RELAY_BATCH each) from one
 * socket of a leg and send what is forwarded; returns datagrams read.
 */
int relay_leg_service(struct relay_leg *leg, int is_rtcp, int max_batches);

/*
 * UDP GSO send plan.  A group is a run of datagrams sent as one message:
 * consecutive, to the same destination, all of length seg except the
 * last, which may be shorter (and then ends the group), at most
 * RELAY_GSO_MAX_SEGS of them and RELAY_GSO_MAX_BYTES in all.  Datagrams
 * longer than RELAY_GSO_MAX_SEG travel alone (a segment must fit the path
 * MTU, which the relay does not know; voice packets are far shorter).
 */
#define RELAY_GSO_MAX_SEGS 64 /* the kernel's UDP_MAX_SEGMENTS */
#define RELAY_GSO_MAX_BYTES 65000 /* < 65507, the IPv4 UDP payload bound */
#define RELAY_GSO_MAX_SEG 1200

struct relay_gso_group {
	size_t first, count; /* datagrams first .. first + count - 1 */
	size_t seg; /* segment size: the first datagram's length */
};

/*
 * Pure: fills g[0..return) with the groups of the n datagrams of lengths
 * len[] to dst[], in order, every datagram in exactly one group (g needs
 * room for n groups).  A group of count 1 is sent without UDP_SEGMENT.
 */
size_t relay_gso_plan(const size_t *len, const struct sockaddr_in *dst,
    size_t n, struct relay_gso_group *g);

/* UDP GSO state: 2 once a group has gone out that way, 1 while it may
 * still be used but has not been yet, 0 for good once the relay has fallen
 * back to single datagrams (or was told to, or the kernel lacks it). */
int relay_gso_active(const struct relay *r);

/* Register a persistent read event per socket on base (libevent 2.1). */
int relay_attach(struct relay *r, struct event_base *base);

#endif
