/*
 * Music on hold (plain RTP, chapter): a held or parked party hears music
 * on hold (cc_media.moh): a receive-only plain RTP stream from the
 * music-on-hold source (media/moh.h, the `moh` file or tone on hold),
 * never keyed, so the lock goes away while held; resuming makes a new
 * secure stream with new keys (sccp_media.c).
 *
 * Owns the music-on-hold streams (struct moh_stream) and the source,
 * made with the first held party on ip source-address in the rtp-port
 * range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "config/config.h"
#include "daemon/daemon.h"
#include "fmt/sccp.h"
#include "fmt/sccp_callmsg.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "media/moh.h"
#include "svc/sccp/sccp_call_int.h"
#include "svc/sccp/sccp_int.h"

static struct {
	struct moh *moh; /* made with the first held party */
	struct in_addr moh_addr;
	uint16_t moh_lo, moh_hi;
	struct moh_stream *mohs;
	int moh_warned; /* the last file problem logged (enum moh_err) */
} hold;

/* What the source plays when it starts: the `moh` file, or tone on hold
 * when none is configured or it cannot be played (said once per
 * problem, naming the file). */
static void
moh_audio_pick(void)
{
	const char *url = sccp_call_daemon()->cfg->tel.moh;
	uint8_t *audio = NULL, tone[MOH_TONE_LEN];
	size_t n = 0;
	struct moh_audio_info info;
	char *path;
	int rc = MOH_E_IO;

	if (url != NULL && url[0] != '\0') {
		path = daemon_url_path(sccp_call_daemon()->statedir, url);
		if (path == NULL)
			errno = EINVAL;
		else
			rc = moh_file_load(path, &audio, &n, &info);
		if (rc == MOH_OK) {
			moh_set_audio(hold.moh, audio, n, 0);
			free(audio);
			free(path);
			hold.moh_warned = 0;
			return;
		}
		if (rc != hold.moh_warned) {
			if (rc == MOH_E_IO)
				log_warn("SCCP: music on hold file %s (%s): "
				         "playing tone on hold",
				    url, path != NULL ? path : "bad URL");
			else
				log_warnx("SCCP: music on hold file %s: %s "
				          "(encoding %u, %u Hz, %u channels): "
				          "playing tone on hold",
				    url, moh_err_str(rc), info.encoding,
				    info.rate, info.channels);
		}
		hold.moh_warned = rc;
		free(path);
	}
	moh_tone(tone);
	moh_set_audio(hold.moh, tone, sizeof(tone), 1);
}

/* The source on ip source-address in the rtp-port range (again when
 * the range changed and nobody listens). */
static int
moh_ready(void)
{
	const char *addr = sccp_call_daemon()->cfg->tel.ip_source_addr;
	struct in_addr in;
	uint16_t lo, hi;

	sccp_media_port_range(&lo, &hi);
	if (addr == NULL || inet_pton(AF_INET, addr, &in) != 1)
		return -1;
	if (hold.moh != NULL && moh_listeners(hold.moh) == 0 &&
	    (lo != hold.moh_lo || hi != hold.moh_hi ||
	        in.s_addr != hold.moh_addr.s_addr)) {
		moh_free(hold.moh);
		hold.moh = NULL;
	}
	if (hold.moh == NULL) {
		if (moh_new(sccp_call_daemon()->base, &in, lo, hi, &hold.moh) !=
		    0) {
			log_warnx("SCCP: music on hold: no UDP port in %u-%u",
			    (unsigned)lo, (unsigned)hi);
			return -1;
		}
		hold.moh_addr = in;
		hold.moh_lo = lo;
		hold.moh_hi = hi;
	}
	if (moh_listeners(hold.moh) == 0)
		moh_audio_pick(); /* the file as configured now */
	return 0;
}

struct moh_stream *
sccp_moh_stream_of(const struct dev *d, uint32_t ref)
{
	struct moh_stream *ms;

	for (ms = hold.mohs; ms != NULL; ms = ms->next)
		if (ms->d == d && ms->ref == ref)
			return ms;
	return NULL;
}

static void
moh_stream_free(struct moh_stream *ms)
{
	struct moh_stream **pp;

	for (pp = &hold.mohs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ms) {
			*pp = ms->next;
			break;
		}
	moh_listener_remove(ms->l);
	free(ms);
}

/* Open (OpenReceiveChannel without keys) or close (CloseReceiveChannel)
 * a phone leg's music on hold. */
void
sccp_moh_media(struct dev *d, uint32_t ref, int on)
{
	struct moh_stream *ms = sccp_moh_stream_of(d, ref);
	struct buf b = BUF_INIT;

	if (!on) {
		if (ms == NULL)
			return;
		(void)sccp_close_receive_channel_build(&b,
		    sccp_dev_hdr(d, SCCP_CLOSE_RECEIVE_CHANNEL), ref, ms->party,
		    ref);
		sccp_svc_send(d->conn, &b);
		buf_free(&b);
		moh_stream_free(ms);
		return;
	}
	if (ms != NULL || moh_ready() != 0)
		return;
	ms = xcalloc(1, sizeof(*ms));
	if (moh_listener_add(hold.moh, &ms->l) != 0) {
		log_warnx("SCCP: music on hold: %u listeners already",
		    (unsigned)MOH_MAX_LISTENERS);
		free(ms);
		return;
	}
	ms->d = d;
	ms->ref = ref;
	ms->party = sccp_media_party_new();
	ms->next = hold.mohs;
	hold.mohs = ms;
	sccp_media_open_receive(d, ms->party, ref, NULL);
}

/* OpenReceiveChannelAck for music on hold: the source sends there.  1
 * when it was one. */
int
sccp_moh_acked(struct dev *d, const struct sccp_open_receive_channel_ack *ack)
{
	struct moh_stream *ms;
	struct sockaddr_in sin;

	for (ms = hold.mohs; ms != NULL; ms = ms->next)
		if (ms->d == d && ms->party == ack->pass_thru_party_id)
			break;
	if (ms == NULL)
		return 0;
	if (ack->status != 0 || ack->port == 0 || ack->port > 65535 ||
	    ms->acked)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, ack->ip.addr, 4);
	sin.sin_port = htons((uint16_t)ack->port);
	memcpy(ms->ip, ack->ip.addr, 4);
	ms->port = ack->port;
	ms->acked = 1;
	moh_listener_set_remote(ms->l, &sin);
	return 1;
}

/* A phone went away: its music stops (no messages to it). */
void
sccp_moh_device_gone(struct dev *d)
{
	struct moh_stream *ms, *next;

	for (ms = hold.mohs; ms != NULL; ms = next) {
		next = ms->next;
		if (ms->d == d)
			moh_stream_free(ms);
	}
}

const struct moh_stream *
sccp_moh_streams(void)
{
	return hold.mohs;
}

const struct moh *
sccp_moh_source(void)
{
	return hold.moh;
}

const struct in_addr *
sccp_moh_addr(void)
{
	return &hold.moh_addr;
}

void
sccp_moh_stop(void)
{
	while (hold.mohs != NULL)
		moh_stream_free(hold.mohs);
	moh_free(hold.moh);
	memset(&hold, 0, sizeof(hold));
}
