/* The conference mixer (mixer.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "lib/buf.h"
#include "media/mixer.h"
#include "media/udp.h"

#define RTP_HDR 12
#define PT_PCMU 0
#define DRAIN_MAX 64 /* datagrams read per member and tick */

struct mixer_member {
	struct mixer *m;
	int fd;
	uint16_t port;
	struct sockaddr_in remote;
	int remote_known;
	uint8_t frame[MIXER_FRAME];
	int has_frame;
	uint16_t seq;
	uint32_t ts, ssrc;
	struct mixer_stats st;
};

struct mixer {
	struct event *timer;
	struct in_addr addr;
	uint16_t port_lo, port_hi, next_port;
	struct mixer_member *members[MIXER_MAX_MEMBERS];
	size_t n;
};

/* ---- G.711 µ-law ---- */

int16_t
mixer_ulaw_decode(uint8_t u)
{
	int v, sign, exponent, mantissa;

	u = (uint8_t)~u;
	sign = u & 0x80;
	exponent = (u >> 4) & 7;
	mantissa = u & 0x0F;
	v = (((mantissa << 3) + 0x84) << exponent) - 0x84;
	return (int16_t)(sign ? -v : v);
}

uint8_t
mixer_ulaw_encode(int16_t pcm)
{
	int v = pcm, sign = 0, exponent = 7, mantissa;

	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > 32635)
		v = 32635;
	v += 0x84;
	while (exponent > 0 && !(v & (0x4000 >> (7 - exponent))))
		exponent--;
	mantissa = (v >> (exponent + 3)) & 0x0F;
	return (uint8_t) ~(sign | (exponent << 4) | mantissa);
}

void
mixer_mix(
    const uint8_t *const *in, size_t n, size_t skip, uint8_t out[MIXER_FRAME])
{
	for (size_t s = 0; s < MIXER_FRAME; s++) {
		int sum = 0;

		for (size_t i = 0; i < n; i++)
			if (i != skip && in[i] != NULL)
				sum += mixer_ulaw_decode(in[i][s]);
		if (sum > 32767)
			sum = 32767;
		if (sum < -32768)
			sum = -32768;
		out[s] = mixer_ulaw_encode((int16_t)sum);
	}
}

int
mixer_frame_of(const uint8_t *pkt, size_t n, uint8_t frame[MIXER_FRAME])
{
	if (pkt == NULL || n < RTP_HDR + MIXER_FRAME || n > 1500 ||
	    (pkt[0] >> 6) != 2 || (pkt[1] & 0x7F) != PT_PCMU)
		return -1;
	/* The payload's last 20 ms (headers may carry CSRCs). */
	memcpy(frame, pkt + n - MIXER_FRAME, MIXER_FRAME);
	return 0;
}

/* ---- members ---- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mixer_tick(arg);
}

int
mixer_new(struct event_base *base, const struct in_addr *addr, uint16_t port_lo,
    uint16_t port_hi, struct mixer **out)
{
	struct mixer *m;

	if (addr == NULL || out == NULL || port_lo < 1024 ||
	    port_hi <= port_lo + 1)
		return -1;
	m = xcalloc(1, sizeof(*m));
	m->addr = *addr;
	m->port_lo = (uint16_t)((port_lo + 1) & ~1u);
	m->port_hi = port_hi;
	m->next_port = m->port_lo;
	if (base != NULL) {
		struct timeval tv = {0, 20000};

		m->timer = event_new(base, -1, EV_PERSIST, tick_cb, m);
		if (m->timer == NULL || event_add(m->timer, &tv) != 0) {
			mixer_free(m);
			return -1;
		}
	}
	*out = m;
	return 0;
}

void
mixer_member_remove(struct mixer_member *mm)
{
	struct mixer *m;
	size_t i, j;

	if (mm == NULL)
		return;
	m = mm->m;
	for (i = j = 0; i < m->n; i++)
		if (m->members[i] != mm)
			m->members[j++] = m->members[i];
	m->n = j;
	if (mm->fd >= 0)
		close(mm->fd);
	free(mm);
}

void
mixer_free(struct mixer *m)
{
	if (m == NULL)
		return;
	while (m->n > 0)
		mixer_member_remove(m->members[0]);
	if (m->timer != NULL)
		event_free(m->timer);
	free(m);
}

/* A non-blocking UDP socket on an even port of the range. */
static int
member_socket(struct mixer *m, uint16_t *port)
{
	return media_udp_bind_even(
	    m->addr, m->port_lo, m->port_hi, &m->next_port, port);
}

int
mixer_member_add(struct mixer *m, struct mixer_member **out, uint16_t *port)
{
	struct mixer_member *mm;

	if (m->n >= MIXER_MAX_MEMBERS)
		return -1;
	mm = xcalloc(1, sizeof(*mm));
	mm->m = m;
	mm->fd = member_socket(m, &mm->port);
	if (mm->fd < 0) {
		free(mm);
		return -1;
	}
	if (RAND_bytes((unsigned char *)&mm->ssrc, sizeof(mm->ssrc)) != 1)
		mm->ssrc = (uint32_t)(uintptr_t)mm;
	m->members[m->n++] = mm;
	*out = mm;
	*port = mm->port;
	return 0;
}

void
mixer_member_set_remote(struct mixer_member *mm, const struct sockaddr_in *sin)
{
	mm->remote = *sin;
	mm->remote_known = 1;
}

const struct mixer_stats *
mixer_member_stats(const struct mixer_member *mm)
{
	return &mm->st;
}

size_t
mixer_members(const struct mixer *m)
{
	return m->n;
}

/* Keep the latest PCMU frame the member's phone sent. */
static void
member_drain(struct mixer_member *mm)
{
	uint8_t pkt[1500];

	for (int i = 0; i < DRAIN_MAX; i++) {
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(
		    mm->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&src, &sl);

		if (n < 0)
			return; /* EAGAIN: drained */
		mm->st.rx++;
		if (!mm->remote_known ||
		    src.sin_addr.s_addr != mm->remote.sin_addr.s_addr ||
		    src.sin_port != mm->remote.sin_port) {
			mm->st.bad_source++;
			continue;
		}
		if (mixer_frame_of(pkt, (size_t)n, mm->frame) != 0) {
			mm->st.malformed++;
			continue;
		}
		mm->has_frame = 1;
	}
}

void
mixer_tick(struct mixer *m)
{
	const uint8_t *in[MIXER_MAX_MEMBERS];
	uint8_t pkt[RTP_HDR + MIXER_FRAME];

	for (size_t i = 0; i < m->n; i++) {
		member_drain(m->members[i]);
		in[i] = m->members[i]->has_frame ? m->members[i]->frame : NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct mixer_member *mm = m->members[i];

		int others = 0;

		for (size_t k = 0; k < m->n; k++)
			others += k != i && in[k] != NULL;
		/* Nobody else spoke this tick: send nothing (no comfort
		 * noise; phones play silence over gaps). */
		if (!mm->remote_known || others == 0)
			continue;
		pkt[0] = 0x80;
		pkt[1] = PT_PCMU;
		pkt[2] = (uint8_t)(mm->seq >> 8);
		pkt[3] = (uint8_t)mm->seq;
		pkt[4] = (uint8_t)(mm->ts >> 24);
		pkt[5] = (uint8_t)(mm->ts >> 16);
		pkt[6] = (uint8_t)(mm->ts >> 8);
		pkt[7] = (uint8_t)mm->ts;
		pkt[8] = (uint8_t)(mm->ssrc >> 24);
		pkt[9] = (uint8_t)(mm->ssrc >> 16);
		pkt[10] = (uint8_t)(mm->ssrc >> 8);
		pkt[11] = (uint8_t)mm->ssrc;
		mixer_mix(in, m->n, i, pkt + RTP_HDR);
		mm->seq++;
		mm->ts += MIXER_FRAME;
		if (sendto(mm->fd, pkt, sizeof(pkt), 0,
		        (struct sockaddr *)&mm->remote,
		        sizeof(mm->remote)) == (ssize_t)sizeof(pkt))
			mm->st.tx++;
	}
	for (size_t i = 0; i < m->n; i++)
		m->members[i]->has_frame = 0;
}
