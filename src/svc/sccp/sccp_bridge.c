/*
 * Conference bridge media: each bridge gets a mixer (media/mixer.h,
 * plain RTP as the chapter says), on ip source-address in the relay's
 * port range; each member phone leg streams to its own mixer port and
 * the mixer sends it the others' audio.  A call joined to a conference
 * loses its secure stream first (sccp_media.c).
 *
 * Owns the bridges (struct bridge_media) and their mixers; a bridge
 * goes with its last member.
 */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "daemon/daemon.h"
#include "fmt/sccp.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "media/mixer.h"
#include "svc/sccp/sccp_call_int.h"

/* A conference bridge's media: one mixer, one member per phone leg. */
struct bmember {
	struct dev *d;
	uint32_t ref, party;
	struct mixer_member *mm;
	uint16_t port;
	int started;
};

struct bridge_media {
	unsigned id;
	struct mixer *mx;
	struct bmember m[MIXER_MAX_MEMBERS];
	size_t n;
	struct bridge_media *next;
};

static struct {
	struct bridge_media *bridges;
} bridge;

static struct bridge_media *
bridge_of(unsigned id, int create)
{
	struct bridge_media *b;
	uint16_t lo, hi;

	for (b = bridge.bridges; b != NULL; b = b->next)
		if (b->id == id)
			return b;
	if (!create || sccp_media_relay_ready() != 0)
		return NULL;
	sccp_media_port_range(&lo, &hi);
	b = xcalloc(1, sizeof(*b));
	b->id = id;
	if (mixer_new(sccp_call_daemon()->base, sccp_media_relay_addr(), lo, hi,
	        &b->mx) != 0) {
		free(b);
		return NULL;
	}
	b->next = bridge.bridges;
	bridge.bridges = b;
	return b;
}

static void
bridge_free(struct bridge_media *b)
{
	struct bridge_media **pp;

	for (pp = &bridge.bridges; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	mixer_free(b->mx);
	free(b);
}

static void
bridge_member_drop(struct bridge_media *b, size_t i, int tell_phone)
{
	if (tell_phone)
		sccp_media_stop_side(b->m[i].d, b->m[i].party, b->m[i].ref);
	mixer_member_remove(b->m[i].mm);
	b->m[i] = b->m[--b->n];
	if (b->n == 0)
		bridge_free(b);
}

void
sccp_bridge_media(struct dev *d, uint32_t ref, unsigned id, int on)
{
	struct bridge_media *b = bridge_of(id, on);
	struct bmember *bm;

	if (b == NULL)
		return;
	if (!on) {
		for (size_t i = 0; i < b->n; i++)
			if (b->m[i].d == d && b->m[i].ref == ref) {
				bridge_member_drop(b, i, 1);
				return;
			}
		return;
	}
	if (b->n >= MIXER_MAX_MEMBERS)
		return;
	bm = &b->m[b->n];
	memset(bm, 0, sizeof(*bm));
	if (mixer_member_add(b->mx, &bm->mm, &bm->port) != 0) {
		log_warnx("SCCP: conference bridge %u: no media port", id);
		if (b->n == 0)
			bridge_free(b);
		return;
	}
	bm->d = d;
	bm->ref = ref;
	bm->party = sccp_media_party_new();
	b->n++;
	sccp_media_open_receive(d, bm->party, ref, NULL);
}

/* OpenReceiveChannelAck of a bridge member: the mixer sends there, the
 * phone sends to its member port.  1 when it was one. */
int
sccp_bridge_acked(
    struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct bridge_media *b;

	for (b = bridge.bridges; b != NULL; b = b->next)
		for (size_t i = 0; i < b->n; i++) {
			struct bmember *bm = &b->m[i];
			struct sockaddr_in sin;
			uint8_t ip[4];

			if (bm->d != d || bm->party != ack->pass_thru_party_id)
				continue;
			if (ack->status != 0 || ack->port > 65535 ||
			    bm->started)
				return 1;
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			memcpy(&sin.sin_addr, ack->ip.addr, 4);
			sin.sin_port = htons((uint16_t)ack->port);
			mixer_member_set_remote(bm->mm, &sin);
			memcpy(ip, sccp_media_relay_addr(), 4);
			sccp_media_start_transmission(
			    d, bm->party, bm->ref, ip, bm->port, NULL);
			bm->started = 1;
			return 1;
		}
	return 0;
}

/* A phone went away: its bridge members go (no messages to it). */
void
sccp_bridge_device_gone(struct dev *d)
{
	struct bridge_media *b, *next;

	for (b = bridge.bridges; b != NULL; b = next) {
		next = b->next;
		for (size_t i = 0; i < b->n;)
			if (b->m[i].d == d) {
				int last = b->n == 1;

				bridge_member_drop(b, i, 0);
				if (last)
					break;
			} else {
				i++;
			}
	}
}

int
sccp_bridge_port_of(const struct dev *d, uint32_t ref, uint16_t *port)
{
	const struct bridge_media *b;
	const struct bmember *bm = NULL;

	for (b = bridge.bridges; b != NULL && bm == NULL; b = b->next)
		for (size_t k = 0; k < b->n; k++)
			if (b->m[k].d == d && b->m[k].ref == ref)
				bm = &b->m[k];
	if (bm == NULL)
		return 0;
	*port = bm->port;
	return 1;
}

void
sccp_bridge_stop(void)
{
	while (bridge.bridges != NULL)
		bridge_free(bridge.bridges);
}
