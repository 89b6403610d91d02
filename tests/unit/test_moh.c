/*
 * The music-on-hold source (src/media/moh.c): the Sun .au parser against
 * a table of good and bad headers, raw µ-law, loading a file, the tone
 * pattern, the packetizer (RTP header, looping audio) and the source
 * over loopback UDP with a fake clock (pacing, catch-up, listeners).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/mixer.h"
#include "media/moh.h"

/* A .au header (24 bytes, big-endian) followed by pad bytes up to
 * offset, then len data bytes 0, 1, 2... */
static size_t
au_make(uint8_t *out, uint32_t offset, uint32_t size, uint32_t enc,
    uint32_t rate, uint32_t ch, size_t len)
{
	uint32_t f[6] = {0x2e736e64u, offset, size, enc, rate, ch};
	size_t n = 0;

	for (int i = 0; i < 6; i++) {
		out[n++] = (uint8_t)(f[i] >> 24);
		out[n++] = (uint8_t)(f[i] >> 16);
		out[n++] = (uint8_t)(f[i] >> 8);
		out[n++] = (uint8_t)f[i];
	}
	while (n < offset)
		out[n++] = 'A'; /* annotation */
	for (size_t i = 0; i < len; i++)
		out[n++] = (uint8_t)i;
	return n;
}

static void
au_parser_accepts_mulaw_8k_mono_and_rejects_the_rest(void **state)
{
	static const struct {
		const char *what;
		uint32_t offset, size, enc, rate, ch;
		size_t len, cut; /* cut: keep only the first cut bytes */
		int rc;
		size_t off_out, len_out;
	} t[] = {
	    {"plain", 24, 100, 1, 8000, 1, 100, 0, 0, 24, 100},
	    {"annotation", 32, 100, 1, 8000, 1, 100, 0, 0, 32, 100},
	    {"size unknown", 24, 0xffffffffu, 1, 8000, 1, 50, 0, 0, 24, 50},
	    {"size shorter", 24, 10, 1, 8000, 1, 50, 0, 0, 24, 10},
	    {"size past end", 24, 1000, 1, 8000, 1, 50, 0, 0, 24, 50},
	    {"linear 16", 24, 100, 3, 8000, 1, 100, 0, MOH_E_ENCODING, 0, 0},
	    {"a-law", 24, 100, 27, 8000, 1, 100, 0, MOH_E_ENCODING, 0, 0},
	    {"16 kHz", 24, 100, 1, 16000, 1, 100, 0, MOH_E_RATE, 0, 0},
	    {"stereo", 24, 100, 1, 8000, 2, 100, 0, MOH_E_CHANNELS, 0, 0},
	    {"offset in header", 12, 100, 1, 8000, 1, 100, 0, MOH_E_HEADER, 0,
	        0},
	    {"offset past end", 5000, 100, 1, 8000, 1, 0, 24, MOH_E_TRUNCATED,
	        0, 0},
	    {"no data", 24, 0, 1, 8000, 1, 0, 0, MOH_E_EMPTY, 0, 0},
	    {"cut header", 24, 100, 1, 8000, 1, 0, 14, MOH_E_TRUNCATED, 0, 0},
	};
	uint8_t buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct moh_audio_info info;
		size_t n = au_make(buf, t[i].offset < 300 ? t[i].offset : 24,
		    t[i].size, t[i].enc, t[i].rate, t[i].ch, t[i].len);
		int rc;

		if (t[i].offset >= 300) { /* header says 5000: keep it */
			buf[4] = (uint8_t)(t[i].offset >> 24);
			buf[5] = (uint8_t)(t[i].offset >> 16);
			buf[6] = (uint8_t)(t[i].offset >> 8);
			buf[7] = (uint8_t)t[i].offset;
		}
		if (t[i].cut > 0)
			n = t[i].cut; /* keep only that much */
		rc = moh_audio_parse(buf, n, &info);
		if (rc != t[i].rc)
			fail_msg("%s: %d (%s), want %d", t[i].what, rc,
			    moh_err_str(rc), t[i].rc);
		assert_true(info.is_au);
		if (rc == 0) {
			assert_int_equal(info.offset, t[i].off_out);
			assert_int_equal(info.len, t[i].len_out);
			assert_int_equal(buf[info.offset], 0);
		}
	}
}

static void
raw_mulaw_is_every_byte_and_containers_are_refused(void **state)
{
	struct moh_audio_info info;
	uint8_t raw[300], wav[44] = "RIFF\x24\0\0\0WAVEfmt ";
	uint8_t le[32] = "dns.";

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 7);
	assert_int_equal(moh_audio_parse(raw, sizeof(raw), &info), 0);
	assert_false(info.is_au);
	assert_int_equal(info.offset, 0);
	assert_int_equal(info.len, sizeof(raw));
	/* One byte is audio too (20 ms of it repeated). */
	assert_int_equal(moh_audio_parse(raw, 1, &info), 0);
	assert_int_equal(moh_audio_parse(raw, 0, &info), MOH_E_EMPTY);
	assert_int_equal(moh_audio_parse(NULL, 5, &info), MOH_E_EMPTY);
	assert_int_equal(
	    moh_audio_parse(wav, sizeof(wav), &info), MOH_E_FORMAT);
	assert_int_equal(moh_audio_parse(le, sizeof(le), &info), MOH_E_FORMAT);
	assert_string_equal(moh_err_str(MOH_E_ENCODING),
	    ".au encoding is not 8-bit mu-law (1)");
}

static void
file_load_gives_the_audio_bytes_only(void **state)
{
	char path[] = "/tmp/test_moh_XXXXXX";
	uint8_t buf[512], *audio = NULL;
	struct moh_audio_info info;
	size_t n = au_make(buf, 40, 0xffffffffu, 1, 8000, 1, 200), got = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	assert_int_equal(moh_file_load(path, &audio, &got, &info), 0);
	assert_int_equal(got, 200);
	assert_memory_equal(audio, buf + 40, 200);
	free(audio);
	/* An a-law file: refused, nothing returned. */
	n = au_make(buf, 24, 100, 27, 8000, 1, 100);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	audio = NULL;
	assert_int_equal(
	    moh_file_load(path, &audio, &got, &info), MOH_E_ENCODING);
	assert_null(audio);
	assert_int_equal(info.encoding, 27);
	unlink(path);
	errno = 0;
	assert_int_equal(moh_file_load(path, &audio, &got, &info), MOH_E_IO);
	assert_int_equal(errno, ENOENT);
}

static void
tone_is_a_short_beep_then_silence(void **state)
{
	static uint8_t t[MOH_TONE_LEN];
	size_t beep = MOH_TONE_BEEP_MS * 8;
	int peak = 0, loud = 0;

	(void)state;
	moh_tone(t);
	for (size_t i = 0; i < beep; i++) {
		int v = abs(mixer_ulaw_decode(t[i]));

		peak = v > peak ? v : peak;
		loud += v > 1000;
	}
	/* About -12 dBFS, a sine: most samples far from zero. */
	assert_true(peak > 7000 && peak < 9000);
	assert_true(loud > (int)beep / 2);
	/* 400 Hz at 8 kHz repeats every 20 samples. */
	for (size_t i = 0; i + 20 < beep; i++)
		assert_true(abs(mixer_ulaw_decode(t[i]) -
		                mixer_ulaw_decode(t[i + 20])) <= 300);
	for (size_t i = beep; i < MOH_TONE_LEN; i++)
		assert_int_equal(t[i], 0xFF);
}

static void
packetizer_writes_rtp_and_loops_the_audio(void **state)
{
	struct moh_rtp r = {0xFFFF, 0xFFFFFF00u, 0x11223344u};
	uint8_t audio[100], pkt[MOH_PKT];
	size_t pos = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(audio); i++)
		audio[i] = (uint8_t)(0x80 + i);
	moh_packet(&r, audio, sizeof(audio), &pos, pkt);
	assert_int_equal(pkt[0], 0x80); /* v2, no padding, no CSRC */
	assert_int_equal(pkt[1], 0); /* PCMU */
	assert_int_equal(pkt[2], 0xFF);
	assert_int_equal(pkt[3], 0xFF);
	assert_int_equal(pkt[4], 0xFF);
	assert_int_equal(pkt[7], 0x00);
	assert_int_equal(pkt[8], 0x11);
	assert_int_equal(pkt[11], 0x44);
	assert_memory_equal(pkt + 12, audio, 100);
	assert_memory_equal(pkt + 112, audio, 60); /* wrapped */
	assert_int_equal(pos, 60);
	assert_int_equal(r.seq, 0); /* wraps */
	assert_int_equal(r.ts, 0xFFFFFF00u + MOH_FRAME);
	moh_packet(&r, audio, sizeof(audio), &pos, pkt);
	assert_memory_equal(pkt + 12, audio + 60, 40);
	assert_memory_equal(pkt + 52, audio, 100);
	assert_memory_equal(pkt + 152, audio, 20);
	assert_int_equal(pkt[3], 0x00);
	/* A one-byte file: the same byte all along. */
	pos = 0;
	moh_packet(&r, audio, 1, &pos, pkt);
	for (size_t i = 0; i < MOH_FRAME; i++)
		assert_int_equal(pkt[12 + i], 0x80);
	assert_int_equal(pos, 0);
}

static int
udp_socket(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
recv_all(int fd, uint8_t pkts[][MOH_PKT], int max, struct sockaddr_in *from)
{
	int n = 0;

	for (;;) {
		uint8_t buf[2048];
		socklen_t sl = sizeof(*from);
		ssize_t got = recvfrom(
		    fd, buf, sizeof(buf), 0, (struct sockaddr *)from, &sl);

		if (got < 0)
			return n;
		assert_int_equal(got, MOH_PKT);
		assert_true(n < max);
		memcpy(pkts[n++], buf, MOH_PKT);
	}
}

static void
source_paces_packets_to_every_listener(void **state)
{
	struct in_addr lo = {htonl(INADDR_LOOPBACK)};
	struct moh *m = NULL;
	struct moh_listener *l1, *l2, *many[MOH_MAX_LISTENERS];
	struct sockaddr_in to, from;
	static uint8_t pkts[16][MOH_PKT], audio[1000];
	uint16_t p1, p2;
	int fd1 = udp_socket(&p1), fd2 = udp_socket(&p2), n;
	uint64_t t = 5000;

	(void)state;
	for (size_t i = 0; i < sizeof(audio); i++)
		audio[i] = (uint8_t)(i % 251);
	assert_int_equal(moh_new(NULL, &lo, 41000, 41999, &m), 0);
	assert_true(moh_port(m) % 2 == 0 && moh_port(m) >= 41000);
	moh_set_audio(m, audio, sizeof(audio), 0);
	assert_false(moh_is_tone(m));
	/* No listener: nothing goes out. */
	moh_tick(m, t);
	assert_int_equal(moh_stats(m)->tx, 0);
	assert_int_equal(moh_listener_add(m, &l1), 0);
	assert_int_equal(moh_listener_add(m, &l2), 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = lo;
	to.sin_port = htons(p1);
	moh_listener_set_remote(l1, &to);
	/* First tick: one packet, to the listener with an address. */
	moh_tick(m, t);
	n = recv_all(fd1, pkts, 16, &from);
	assert_int_equal(n, 1);
	assert_int_equal(ntohs(from.sin_port), moh_port(m));
	assert_memory_equal(pkts[0] + 12, audio, MOH_FRAME);
	assert_int_equal(moh_listener_stats(l2)->tx, 0);
	to.sin_port = htons(p2);
	moh_listener_set_remote(l2, &to);
	/* 60 ms later: three more, the same to both, in sequence. */
	moh_tick(m, t + 10);
	assert_int_equal(recv_all(fd1, pkts, 16, &from), 0);
	moh_tick(m, t + 60);
	n = recv_all(fd1, pkts, 16, &from);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(
		    pkts[i] + 12, audio + MOH_FRAME * (i + 1), MOH_FRAME);
	assert_int_equal((uint16_t)((pkts[2][2] << 8 | pkts[2][3]) -
	                     (pkts[0][2] << 8 | pkts[0][3])),
	    2);
	assert_int_equal(recv_all(fd2, pkts, 16, &from), 3);
	assert_int_equal(moh_listener_stats(l1)->tx, 4);
	assert_int_equal(moh_listener_stats(l2)->tx, 3);
	/* A second late: a few packets, not a burst of fifty. */
	moh_tick(m, t + 1060);
	n = recv_all(fd1, pkts, 16, &from);
	assert_true(n >= 1 && n <= 5);
	(void)recv_all(fd2, pkts, 16, &from);
	/* Datagrams sent to the source are read and counted. */
	to.sin_port = htons(moh_port(m));
	assert_int_equal(
	    sendto(fd1, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	usleep(10000);
	moh_tick(m, t + 1061);
	assert_int_equal(moh_stats(m)->rx_dropped, 1);
	/* Bounded listeners. */
	for (int i = 0; i < MOH_MAX_LISTENERS - 2; i++)
		assert_int_equal(moh_listener_add(m, &many[i]), 0);
	assert_int_equal(moh_listener_add(m, &many[0]), -1);
	assert_int_equal(moh_listeners(m), MOH_MAX_LISTENERS);
	for (int i = 0; i < MOH_MAX_LISTENERS - 2; i++)
		moh_listener_remove(many[i]);
	/* The last listener gone: silence; a new one restarts the clock. */
	moh_listener_remove(l1);
	moh_listener_remove(l2);
	moh_tick(m, t + 5000);
	assert_int_equal(recv_all(fd1, pkts, 16, &from), 0);
	assert_int_equal(moh_listener_add(m, &l1), 0);
	to.sin_port = htons(p1);
	moh_listener_set_remote(l1, &to);
	moh_tick(m, t + 9000);
	assert_int_equal(recv_all(fd1, pkts, 16, &from), 1);
	moh_free(m); /* frees l1 */
	close(fd1);
	close(fd2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        au_parser_accepts_mulaw_8k_mono_and_rejects_the_rest),
	    cmocka_unit_test(
	        raw_mulaw_is_every_byte_and_containers_are_refused),
	    cmocka_unit_test(file_load_gives_the_audio_bytes_only),
	    cmocka_unit_test(tone_is_a_short_beep_then_silence),
	    cmocka_unit_test(packetizer_writes_rtp_and_loops_the_audio),
	    cmocka_unit_test(source_paces_packets_to_every_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
