/* The music-on-hold source (moh.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "media/mixer.h"
#include "media/moh.h"
#include "media/udp.h"

#define AU_HDR 24
#define AU_MAGIC 0x2e736e64u /* ".snd" */
#define AU_MAGIC_LE 0x646e732eu /* "dns.": little-endian .au */
#define AU_ULAW 1u
#define AU_SIZE_UNKNOWN 0xffffffffu
#define PT_PCMU 0
#define PACKET_MS 20u
#define CATCH_UP 5 /* packets sent at once when the loop was late */
#define DRAIN_MAX 32

const char *
moh_err_str(int err)
{
	switch (err) {
	case MOH_OK:
		return "ok";
	case MOH_E_EMPTY:
		return "no audio in it";
	case MOH_E_TRUNCATED:
		return "truncated .au header or data";
	case MOH_E_HEADER:
		return ".au data offset inside its header";
	case MOH_E_ENCODING:
		return ".au encoding is not 8-bit mu-law (1)";
	case MOH_E_RATE:
		return ".au sample rate is not 8000 Hz";
	case MOH_E_CHANNELS:
		return ".au file is not mono";
	case MOH_E_FORMAT:
		return "not a Sun .au or raw mu-law file";
	case MOH_E_TOO_BIG:
		return "file too large";
	case MOH_E_IO:
		return "cannot read the file";
	default:
		return "unknown error";
	}
}

/* ---- the file ---- */

static uint32_t
rd_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
moh_audio_parse(const uint8_t *data, size_t n, struct moh_audio_info *info)
{
	uint32_t magic, off, size;

	memset(info, 0, sizeof(*info));
	if (data == NULL || n == 0)
		return MOH_E_EMPTY;
	if (n > MOH_FILE_MAX)
		return MOH_E_TOO_BIG;
	magic = n >= 4 ? rd_u32be(data) : 0;
	if (magic == AU_MAGIC_LE ||
	    (n >= 12 && memcmp(data, "RIFF", 4) == 0 &&
	        memcmp(data + 8, "WAVE", 4) == 0))
		return MOH_E_FORMAT;
	if (magic != AU_MAGIC) {
		/* Raw µ-law: every byte is a sample. */
		info->len = n;
		return MOH_OK;
	}
	info->is_au = 1;
	if (n < AU_HDR)
		return MOH_E_TRUNCATED;
	off = rd_u32be(data + 4);
	size = rd_u32be(data + 8);
	info->encoding = rd_u32be(data + 12);
	info->rate = rd_u32be(data + 16);
	info->channels = rd_u32be(data + 20);
	if (off < AU_HDR)
		return MOH_E_HEADER;
	if (off > n)
		return MOH_E_TRUNCATED;
	if (info->encoding != AU_ULAW)
		return MOH_E_ENCODING;
	if (info->rate != 8000)
		return MOH_E_RATE;
	if (info->channels != 1)
		return MOH_E_CHANNELS;
	info->offset = off;
	info->len = n - off;
	/* A size past the end (a cut file) plays what is there. */
	if (size != AU_SIZE_UNKNOWN && size < info->len)
		info->len = size;
	return info->len == 0 ? MOH_E_EMPTY : MOH_OK;
}

int
moh_file_load(
    const char *path, uint8_t **audio, size_t *n, struct moh_audio_info *info)
{
	FILE *f;
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	int rc = MOH_E_IO, saved;

	memset(info, 0, sizeof(*info));
	if ((f = fopen(path, "rb")) == NULL)
		return MOH_E_IO;
	for (;;) {
		size_t got;

		if (len == cap) {
			uint8_t *bigger;

			if (cap > MOH_FILE_MAX) {
				rc = MOH_E_TOO_BIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			bigger = xmalloc(cap);
			if (len > 0)
				memcpy(bigger, data, len);
			free(data);
			data = bigger;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto out;
	if ((rc = moh_audio_parse(data, len, info)) != MOH_OK)
		goto out;
	*audio = xmalloc(info->len);
	memcpy(*audio, data + info->offset, info->len);
	*n = info->len;
out:
	saved = errno;
	free(data);
	fclose(f);
	errno = saved;
	return rc;
}

void
moh_tone(uint8_t out[MOH_TONE_LEN])
{
	/* 400 Hz at 8 kHz by the recurrence y[k] = 2cos(w) y[k-1] - y[k-2]
	 * (no libm): cos(w) = cos(pi / 10), sin(w) = sin(pi / 10). */
	const double c2 = 2 * 0.95105651629515357;
	const double amp = 8000.0; /* about -12 dBFS */
	double prev = -amp * 0.30901699437494742, y = 0; /* y[-1], y[0] */
	size_t beep = (size_t)MOH_TONE_BEEP_MS * 8;

	for (size_t i = 0; i < MOH_TONE_LEN; i++) {
		double next;

		if (i >= beep) {
			out[i] = 0xFF; /* µ-law silence */
			continue;
		}
		out[i] = mixer_ulaw_encode((int16_t)y);
		next = c2 * y - prev;
		prev = y;
		y = next;
	}
}

void
moh_packet(struct moh_rtp *r, const uint8_t *audio, size_t n, size_t *pos,
    uint8_t out[MOH_PKT])
{
	out[0] = 0x80;
	out[1] = PT_PCMU;
	out[2] = (uint8_t)(r->seq >> 8);
	out[3] = (uint8_t)r->seq;
	out[4] = (uint8_t)(r->ts >> 24);
	out[5] = (uint8_t)(r->ts >> 16);
	out[6] = (uint8_t)(r->ts >> 8);
	out[7] = (uint8_t)r->ts;
	out[8] = (uint8_t)(r->ssrc >> 24);
	out[9] = (uint8_t)(r->ssrc >> 16);
	out[10] = (uint8_t)(r->ssrc >> 8);
	out[11] = (uint8_t)r->ssrc;
	for (size_t i = 0; i < MOH_FRAME;) {
		size_t take = n - *pos;

		if (take > MOH_FRAME - i)
			take = MOH_FRAME - i;
		memcpy(out + 12 + i, audio + *pos, take);
		i += take;
		*pos += take;
		if (*pos >= n)
			*pos = 0;
	}
	r->seq++;
	r->ts += MOH_FRAME;
}

/* ---- the source ---- */

struct moh_listener {
	struct moh *m;
	struct sockaddr_in remote;
	int remote_known;
	struct moh_stats st;
};

struct moh {
	int fd;
	uint16_t port;
	struct event *timer;
	uint8_t *audio;
	size_t n, pos;
	int is_tone;
	struct moh_rtp rtp;
	uint64_t t0_ms, sent; /* since the first tick with listeners */
	int running, started;
	struct moh_listener *ls[MOH_MAX_LISTENERS];
	size_t nls;
	struct moh_stats st;
};

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	moh_tick(arg, clock_mono_ms());
}

/* A non-blocking UDP socket on an even port of the range. */
static int
source_socket(
    const struct in_addr *addr, uint16_t lo, uint16_t hi, uint16_t *port)
{
	uint16_t next = lo; /* the lowest free even port */

	return media_udp_bind_even(*addr, lo, hi, &next, port);
}

int
moh_new(struct event_base *base, const struct in_addr *addr, uint16_t port_lo,
    uint16_t port_hi, struct moh **out)
{
	struct moh *m;
	uint8_t rnd[10];

	if (addr == NULL || out == NULL || port_lo < 1024 || port_hi < port_lo)
		return -1;
	m = xcalloc(1, sizeof(*m));
	m->fd = source_socket(addr, port_lo, port_hi, &m->port);
	if (m->fd < 0) {
		free(m);
		return -1;
	}
	if (base != NULL &&
	    (m->timer = event_new(base, -1, EV_PERSIST, tick_cb, m)) == NULL) {
		moh_free(m);
		return -1;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0x6d, sizeof(rnd));
	m->rtp.ssrc = rd_u32be(rnd);
	m->rtp.ts = rd_u32be(rnd + 4);
	m->rtp.seq = (uint16_t)(rnd[8] << 8 | rnd[9]);
	*out = m;
	return 0;
}

void
moh_free(struct moh *m)
{
	if (m == NULL)
		return;
	while (m->nls > 0)
		moh_listener_remove(m->ls[0]);
	if (m->timer != NULL)
		event_free(m->timer);
	if (m->fd >= 0)
		close(m->fd);
	free(m->audio);
	free(m);
}

uint16_t
moh_port(const struct moh *m)
{
	return m->port;
}

void
moh_set_audio(struct moh *m, const uint8_t *audio, size_t n, int is_tone)
{
	if (audio == NULL || n == 0)
		return;
	free(m->audio);
	m->audio = xmalloc(n);
	memcpy(m->audio, audio, n);
	m->n = n;
	m->pos = 0;
	m->is_tone = is_tone;
}

int
moh_is_tone(const struct moh *m)
{
	return m->is_tone;
}

/* The timer runs while somebody listens. */
static void
source_run(struct moh *m, int on)
{
	struct timeval tv = {0, PACKET_MS * 1000};

	if (on == m->running)
		return;
	m->running = on;
	m->started = 0; /* the next tick starts the clock */
	if (m->timer == NULL)
		return;
	if (on)
		(void)event_add(m->timer, &tv);
	else
		(void)event_del(m->timer);
}

int
moh_listener_add(struct moh *m, struct moh_listener **out)
{
	struct moh_listener *l;

	if (m->nls >= MOH_MAX_LISTENERS)
		return -1;
	l = xcalloc(1, sizeof(*l));
	l->m = m;
	m->ls[m->nls++] = l;
	source_run(m, 1);
	*out = l;
	return 0;
}

void
moh_listener_set_remote(struct moh_listener *l, const struct sockaddr_in *sin)
{
	l->remote = *sin;
	l->remote_known = 1;
}

void
moh_listener_remove(struct moh_listener *l)
{
	struct moh *m;
	size_t i, j;

	if (l == NULL)
		return;
	m = l->m;
	for (i = j = 0; i < m->nls; i++)
		if (m->ls[i] != l)
			m->ls[j++] = m->ls[i];
	m->nls = j;
	free(l);
	if (m->nls == 0)
		source_run(m, 0);
}

const struct moh_stats *
moh_listener_stats(const struct moh_listener *l)
{
	return &l->st;
}

size_t
moh_listeners(const struct moh *m)
{
	return m->nls;
}

const struct moh_stats *
moh_stats(const struct moh *m)
{
	return &m->st;
}

/* Nobody should send to the source (its listeners only receive):
 * read and count whatever comes. */
static void
source_drain(struct moh *m)
{
	uint8_t pkt[1500];

	for (int i = 0; i < DRAIN_MAX; i++) {
		if (recv(m->fd, pkt, sizeof(pkt), 0) < 0)
			return;
		m->st.rx_dropped++;
	}
}

void
moh_tick(struct moh *m, uint64_t now_ms)
{
	uint64_t due;
	uint8_t pkt[MOH_PKT];

	source_drain(m);
	if (!m->running || m->audio == NULL)
		return;
	if (!m->started || now_ms < m->t0_ms) {
		m->started = 1;
		m->t0_ms = now_ms;
		m->sent = 0;
	}
	due = (now_ms - m->t0_ms) / PACKET_MS + 1;
	if (due > m->sent + CATCH_UP)
		m->sent = due - CATCH_UP; /* far behind: skip, no burst */
	for (; m->sent < due; m->sent++) {
		moh_packet(&m->rtp, m->audio, m->n, &m->pos, pkt);
		for (size_t i = 0; i < m->nls; i++) {
			struct moh_listener *l = m->ls[i];

			if (!l->remote_known)
				continue;
			if (sendto(m->fd, pkt, sizeof(pkt), 0,
			        (struct sockaddr *)&l->remote,
			        sizeof(l->remote)) == (ssize_t)sizeof(pkt)) {
				l->st.tx++;
				m->st.tx++;
			}
		}
	}
}
