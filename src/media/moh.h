/*
 * The music-on-hold source: one UDP socket in the RTP port range that
 * sends every listener (a held or parked phone) the same 20 ms G.711
 * µ-law RTP packets (its own SSRC, sequence and timestamp), looping over
 * the audio it was given: the `moh` file of telephony-service (a Sun .au
 * file, 8-bit µ-law, 8 kHz, mono, or raw µ-law bytes) or, without one,
 * the tone-on-hold pattern made here (a short beep every few seconds).
 * Plain RTP only: the chapter says music on hold is not secure.
 *
 * One owner (the SCCP service), driven by one libevent timer that runs
 * only while somebody listens; no threads.  The file parser and the
 * packetizer are pure and unit-tested; the parser reads untrusted bytes
 * (a file an administrator copied to flash:) and has a fuzz target.
 */
#ifndef OPENCME_MEDIA_MOH_H
#define OPENCME_MEDIA_MOH_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define MOH_FRAME 160 /* µ-law bytes per 20 ms packet */
#define MOH_PKT (12 + MOH_FRAME) /* RTP header + payload */
#define MOH_MAX_LISTENERS 64
#define MOH_FILE_MAX (16u << 20) /* 16 MiB: about 35 minutes */
#define MOH_TONE_MS 4000 /* the tone pattern's cycle */
#define MOH_TONE_BEEP_MS 250 /* the beep at its start (400 Hz) */
#define MOH_TONE_LEN (MOH_TONE_MS * 8) /* bytes at 8 kHz */

enum moh_err {
	MOH_OK = 0,
	MOH_E_EMPTY = -1, /* no audio in it */
	MOH_E_TRUNCATED = -2, /* .au header or data offset past the end */
	MOH_E_HEADER = -3, /* .au data offset inside the header */
	MOH_E_ENCODING = -4, /* .au encoding other than 1 (8-bit µ-law) */
	MOH_E_RATE = -5, /* .au sample rate other than 8000 Hz */
	MOH_E_CHANNELS = -6, /* .au with more than one channel */
	MOH_E_FORMAT = -7, /* a container we do not play (WAV, LE .au) */
	MOH_E_TOO_BIG = -8, /* larger than MOH_FILE_MAX */
	MOH_E_IO = -9, /* cannot open or read the file (errno) */
};

/* A short English phrase for an enum moh_err. */
const char *moh_err_str(int err);

/* What moh_audio_parse found: the µ-law bytes are data[offset ..
 * offset + len); the header fields of a .au file (is_au). */
struct moh_audio_info {
	int is_au;
	uint32_t encoding, rate, channels;
	size_t offset, len;
};

/*
 * The audio of a music-on-hold file: a Sun .au file (".snd", big-endian
 * header of 24 bytes or more: data offset, data size or ~0 for "to the
 * end", encoding, rate, channels) must be 8-bit µ-law (encoding 1) at
 * 8000 Hz, mono; its data size is clipped to what the file holds.
 * Anything that is not a known container is taken as raw µ-law.  0 or
 * an enum moh_err; info is filled as far as the header was read.
 */
int moh_audio_parse(const uint8_t *data, size_t n, struct moh_audio_info *info);

/* Read and parse a file (at most MOH_FILE_MAX bytes); on success *audio
 * (malloc'ed, the µ-law bytes only) and *n.  0 or an enum moh_err (with
 * errno for MOH_E_IO). */
int moh_file_load(
    const char *path, uint8_t **audio, size_t *n, struct moh_audio_info *info);

/* The tone-on-hold pattern: MOH_TONE_LEN bytes of µ-law, a 400 Hz beep
 * of MOH_TONE_BEEP_MS, then silence. */
void moh_tone(uint8_t out[MOH_TONE_LEN]);

/* The RTP state of a source. */
struct moh_rtp {
	uint16_t seq;
	uint32_t ts, ssrc;
};

/* One 20 ms packet (RTP v2, PCMU) of audio[0..n) from *pos, wrapping at
 * the end; advances *pos, seq and ts.  n > 0. */
void moh_packet(struct moh_rtp *r, const uint8_t *audio, size_t n, size_t *pos,
    uint8_t out[MOH_PKT]);

struct moh;
struct moh_listener;
struct event_base;

struct moh_stats {
	uint64_t tx; /* packets sent */
	uint64_t rx_dropped; /* datagrams that came to the source */
};

/* A source bound to addr, an even port in [port_lo, port_hi].  base
 * NULL: no timer (tests call moh_tick). */
int moh_new(struct event_base *base, const struct in_addr *addr,
    uint16_t port_lo, uint16_t port_hi, struct moh **out);
void moh_free(struct moh *m);
uint16_t moh_port(const struct moh *m);
/* The audio to loop from now on (copied, n > 0; restarts at 0). */
void moh_set_audio(struct moh *m, const uint8_t *audio, size_t n, int is_tone);
int moh_is_tone(const struct moh *m);
/* A listener; packets go to it once its address is set (the phone's
 * OpenReceiveChannelAck).  -1 when MOH_MAX_LISTENERS listen. */
int moh_listener_add(struct moh *m, struct moh_listener **out);
void moh_listener_set_remote(
    struct moh_listener *l, const struct sockaddr_in *sin);
void moh_listener_remove(struct moh_listener *l);
const struct moh_stats *moh_listener_stats(const struct moh_listener *l);
size_t moh_listeners(const struct moh *m);
const struct moh_stats *moh_stats(const struct moh *m);
/* Send what is due at now_ms (20 ms apart since the first listener
 * came, at most a few packets to catch up); the timer calls it. */
void moh_tick(struct moh *m, uint64_t now_ms);

#endif
