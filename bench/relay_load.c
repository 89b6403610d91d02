/*
 * SRTP relay benchmark (bench/run-relay.sh): one process, four
 * measurements of the same 172-byte packets (12-byte RTP header + 160
 * bytes of G.711, 20 ms), each for SECONDS, on CPU 0:
 *
 *   anchor  raw libsrtp2 with the primitives it was built with (NSS on
 *           Debian): srtp_protect + srtp_unprotect per packet (the crypto
 *           a relay must do), no I/O;
 *   anchor_ossl  the same raw libsrtp2 calls with our OpenSSL primitives
 *           (srtp_ossl.c), as the relay runs;
 *   iface   the same through our interface (srtpc_unprotect_rtp +
 *           srtpc_protect_rtp), no I/O, OpenSSL primitives;
 *   relay   src/media/relay.c on a libevent loop: loopback UDP in,
 *           unprotect, protect, UDP out, recvmmsg/sendmmsg batches of 32,
 *           while a load thread on CPU 1 plays phone A (protects and
 *           sends in batches) and drains phone B's socket.
 *
 * Rates are per second of the measuring thread's CPU time (per core);
 * the relay's adds the softirq work ksoftirqd did on its core, and the
 * line also gives its wall rate, how busy the relay thread was, and the
 * rate per busy second of all of CPU 0 (which counts whatever else runs
 * there on a shared machine).
 * Output, one line: key=value pairs (parsed by run-relay.sh).
 *
 *   relay_load SUITE SECONDS PORT [libsrtp|nogso]
 *
 * SUITE: 32 | 80 (AES_CM_128_HMAC_SHA1_*).  With "libsrtp", iface and
 * relay run on libsrtp2's own primitives instead of OpenSSL's (to compare
 * the relay before and after srtp_ossl.c in one run); with "nogso" the
 * relay sends one datagram per message instead of UDP GSO groups (to
 * compare before and after GSO).  gso=2 when the relay sent GSO groups
 * (relay_gso_active).
 *
 * Everything on 127.0.0.1; every loop bounded by SECONDS.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <srtp2/srtp.h>

#include "media/relay.h"

#define PKT 172

static enum srtpc_suite suite;
static double seconds;
static atomic_int stop_load;
static int no_gso, gso_used;

static double
now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Busy seconds of CPU cpu from /proc/stat (user..steal), or -1. */
static double
cpu_busy_s(int cpu)
{
	char line[512], name[16];
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	double hz = (double)sysconf(_SC_CLK_TCK), r = -1;

	if (f == NULL)
		return -1;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	for (int i = 0; i < 64 && fgets(line, sizeof(line), f) != NULL; i++) {
		if (strncmp(line, name, strlen(name)) != 0)
			continue;
		if (sscanf(line + strlen(name),
		        "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		        &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8)
			r = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
			    hz;
		break;
	}
	fclose(f);
	return r;
}

/*
 * CPU seconds of ksoftirqd/cpu, or -1.  Without IRQ time accounting (the
 * project kernel) softirq work run on return from the relay's syscalls
 * is in the relay thread's CPU time already; what the kernel defers to
 * ksoftirqd on the relay's core is not, so it is added.  Unlike the
 * busy time of the whole core, this leaves out other people's processes
 * on a shared machine.
 */
static double
ksoftirqd_s(int cpu)
{
	char path[64], want[32], comm[32];
	unsigned long utime, stime;
	double r = -1;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (d == NULL)
		return -1;
	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while ((e = readdir(d)) != NULL && r < 0) {
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/comm", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL ||
		    strcmp(comm, want) != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%.16s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* comm has no space: fields 14 and 15 are utime, stime */
		if (fscanf(f,
		        "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		        "%lu %lu",
		        &utime, &stime) == 2)
			r = (double)(utime + stime) /
			    (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	closedir(d);
	return r;
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static size_t
g711(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0, 4);
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	memset(b + 12, 0xd5, 160);
	return PKT;
}

static void
keys(uint8_t *k, size_t n, int salt)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)(i * 13 + (size_t)salt);
}

/* Raw libsrtp2, as perf-anchors.md measured it, with primitives prim. */
static double
anchor(enum srtpc_primitives prim)
{
	srtp_policy_t p;
	srtp_t tx, rx;
	uint8_t key[30], b[256];
	uint64_t n = 0;
	uint16_t seq = 0;
	double c0, w0;

	if (srtpc_set_primitives(prim) != SRTPC_OK) {
		fprintf(stderr, "relay_load: cannot switch to %s primitives\n",
		    srtpc_primitives_name(prim));
		exit(1);
	}
	memset(&p, 0, sizeof(p));
	if (suite == SRTPC_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	keys(key, sizeof(key), 1);
	p.key = key;
	p.window_size = 128;
	p.ssrc.type = ssrc_any_outbound;
	if (srtp_create(&tx, &p) != srtp_err_status_ok)
		exit(1);
	p.ssrc.type = ssrc_any_inbound;
	if (srtp_create(&rx, &p) != srtp_err_status_ok)
		exit(1);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = now_s(CLOCK_MONOTONIC);
	while (now_s(CLOCK_MONOTONIC) - w0 < seconds) {
		for (int i = 0; i < 256; i++) {
			int len = (int)g711(b, ++seq, 0x1111);

			if (srtp_protect(tx, b, &len) != srtp_err_status_ok ||
			    srtp_unprotect(rx, b, &len) != srtp_err_status_ok ||
			    len != PKT)
				exit(1);
			n++;
		}
	}
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	return (double)n / c0;
}

/* Our interface, crypto only: unprotect with A's key, protect with B's. */
static double
iface(void)
{
	struct srtpc_session *atx, *arx, *btx;
	uint8_t ka[30], kb[30], b[256];
	uint64_t n = 0;
	uint16_t seq = 0;
	double c0, w0;

	keys(ka, 30, 1);
	keys(kb, 30, 2);
	if (srtpc_session_new(suite, ka, 30, SRTPC_SEND, &atx) ||
	    srtpc_session_new(suite, ka, 30, SRTPC_RECV, &arx) ||
	    srtpc_session_new(suite, kb, 30, SRTPC_SEND, &btx))
		exit(1);
	/* A's packets are made outside the timed part, 256 at a time */
	static uint8_t pre[256][256];
	size_t plen[256];

	c0 = 0;
	w0 = now_s(CLOCK_MONOTONIC);
	while (now_s(CLOCK_MONOTONIC) - w0 < seconds) {
		double t;

		for (int i = 0; i < 256; i++) {
			plen[i] = g711(pre[i], ++seq, 0x2222);
			if (srtpc_protect_rtp(atx, pre[i], &plen[i], 256))
				exit(1);
		}
		t = now_s(CLOCK_THREAD_CPUTIME_ID);
		for (int i = 0; i < 256; i++) {
			size_t len = plen[i];

			memcpy(b, pre[i], len);
			if (srtpc_unprotect_rtp(arx, b, &len) ||
			    srtpc_protect_rtp(btx, b, &len, sizeof(b)))
				exit(1);
			n++;
		}
		c0 += now_s(CLOCK_THREAD_CPUTIME_ID) - t;
	}
	srtpc_session_free(atx);
	srtpc_session_free(arx);
	srtpc_session_free(btx);
	return (double)n / c0;
}

struct load {
	int fa, fb; /* phone A's and B's sockets */
	struct sockaddr_in leg_a;
	uint8_t key_a[30], key_b[30];
	uint64_t sent, received, verified;
};

static void *
load_main(void *arg)
{
	struct load *l = arg;
	struct srtpc_session *tx, *rx;
	static uint8_t b[32][256], r[32][512];
	struct mmsghdr sm[32], rm[32];
	struct iovec si[32], ri[32];
	uint16_t seq = 0;
	int checked = 0;

	pin(1);
	if (srtpc_session_new(suite, l->key_a, 30, SRTPC_SEND, &tx) ||
	    srtpc_session_new(suite, l->key_b, 30, SRTPC_RECV, &rx))
		exit(1);
	memset(sm, 0, sizeof(sm));
	memset(rm, 0, sizeof(rm));
	for (int i = 0; i < 32; i++) {
		sm[i].msg_hdr.msg_iov = &si[i];
		sm[i].msg_hdr.msg_iovlen = 1;
		sm[i].msg_hdr.msg_name = &l->leg_a;
		sm[i].msg_hdr.msg_namelen = sizeof(l->leg_a);
		ri[i].iov_base = r[i];
		ri[i].iov_len = sizeof(r[i]);
		rm[i].msg_hdr.msg_iov = &ri[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&stop_load)) {
		int k;

		for (int i = 0; i < 32; i++) {
			size_t n = g711(b[i], ++seq, 0x3333);

			if (srtpc_protect_rtp(tx, b[i], &n, sizeof(b[i])))
				exit(1);
			si[i].iov_base = b[i];
			si[i].iov_len = n;
		}
		k = sendmmsg(l->fa, sm, 32, 0);
		if (k > 0)
			l->sent += (uint64_t)k;
		/* drain B; check that the first packets decrypt */
		for (int j = 0; j < 4; j++) {
			k = recvmmsg(l->fb, rm, 32, MSG_DONTWAIT, NULL);
			if (k <= 0)
				break;
			l->received += (uint64_t)k;
			for (int i = 0; i < k && checked < 64; i++, checked++) {
				size_t n = rm[i].msg_len;

				if (srtpc_unprotect_rtp(rx, r[i], &n) == 0 &&
				    n == PKT && r[i][12] == 0xd5)
					l->verified++;
			}
		}
	}
	srtpc_session_free(tx);
	srtpc_session_free(rx);
	return NULL;
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static int
udp_bound(struct sockaddr_in *a)
{
	socklen_t sl = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), size = 4 << 20;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0x7f000001);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)a, &sl) != 0)
		exit(1);
	return fd;
}

static void
relay_run(uint16_t port_lo, double *cpu_pps, double *wall_pps, double *busy,
    double *core_pps, double *cpu0_pps, struct load *l)
{
	struct relay_conf rc = {0};
	struct relay_leg_conf la, lb;
	struct relay *r;
	struct relay_leg *a, *b;
	struct event_base *base;
	struct event *stop;
	struct sockaddr_in pa, pb;
	struct timeval tv;
	pthread_t th;
	double c0, w0, k0, s0;
	uint64_t tx0;

	rc.addr.s_addr = htonl(0x7f000001);
	rc.port_lo = port_lo;
	rc.port_hi = (uint16_t)(port_lo + 200);
	rc.no_gso = no_gso;
	memset(&la, 0, sizeof(la));
	memset(&lb, 0, sizeof(lb));
	la.suite = lb.suite = suite;
	keys(la.rx_key, 30, 1); /* A sends with this */
	keys(la.tx_key, 30, 3);
	keys(lb.rx_key, 30, 4);
	keys(lb.tx_key, 30, 2); /* B receives with this */
	if (relay_new(&rc, &r) || relay_leg_add(r, &la, &a) ||
	    relay_leg_add(r, &lb, &b) || relay_pair(a, b))
		exit(1);
	l->fa = udp_bound(&pa);
	l->fb = udp_bound(&pb);
	relay_leg_set_remote(a, &pa);
	relay_leg_set_remote(b, &pb);
	memset(&l->leg_a, 0, sizeof(l->leg_a));
	l->leg_a.sin_family = AF_INET;
	l->leg_a.sin_addr.s_addr = htonl(0x7f000001);
	l->leg_a.sin_port = htons(relay_leg_port(a));
	memcpy(l->key_a, la.rx_key, 30);
	memcpy(l->key_b, lb.tx_key, 30);
	if ((base = event_base_new()) == NULL || relay_attach(r, base))
		exit(1);
	stop = evtimer_new(base, stop_cb, base);
	atomic_store(&stop_load, 0);
	if (pthread_create(&th, NULL, load_main, l) != 0)
		exit(1);
	/* warm up 0.3 s, then measure */
	tv.tv_sec = 0;
	tv.tv_usec = 300000;
	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	tx0 = relay_leg_stats(b)->tx;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(stop, &tv);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = now_s(CLOCK_MONOTONIC);
	k0 = cpu_busy_s(0);
	s0 = ksoftirqd_s(0);
	event_base_dispatch(base);
	k0 = k0 < 0 ? -1 : cpu_busy_s(0) - k0;
	s0 = s0 < 0 ? 0 : ksoftirqd_s(0) - s0;
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	w0 = now_s(CLOCK_MONOTONIC) - w0;
	tx0 = relay_leg_stats(b)->tx - tx0;
	atomic_store(&stop_load, 1);
	pthread_join(th, NULL);
	*cpu_pps = (double)tx0 / c0;
	*wall_pps = (double)tx0 / w0;
	*busy = c0 / w0;
	/* the relay thread plus the softirq work deferred on its core */
	*core_pps = (double)tx0 / (c0 + s0);
	/* the whole of CPU 0 (anything else running there included) */
	*cpu0_pps = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && k0 > 0
	    ? (double)tx0 / k0
	    : *cpu_pps;
	{
		const struct relay_stats *s = relay_leg_stats(a);

		fprintf(stderr,
		    "relay_load: leg A rx %llu auth_fail %llu replay %llu "
		    "bad_source %llu; leg B tx %llu send_fail %llu; "
		    "load sent %llu received %llu verified %llu\n",
		    (unsigned long long)s->rx, (unsigned long long)s->auth_fail,
		    (unsigned long long)s->replay,
		    (unsigned long long)s->bad_source,
		    (unsigned long long)relay_leg_stats(b)->tx,
		    (unsigned long long)relay_leg_stats(b)->send_fail,
		    (unsigned long long)l->sent,
		    (unsigned long long)l->received,
		    (unsigned long long)l->verified);
	}
	gso_used = relay_gso_active(r);
	event_free(stop);
	relay_free(r);
	event_base_free(base);
	close(l->fa);
	close(l->fb);
}

int
main(int argc, char **argv)
{
	struct load l;
	double a, ao, f, rp, rw, busy, core, cpu0;
	uint16_t port_lo;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[1], "32") && strcmp(argv[1], "80")) ||
	    (argc == 5 && strcmp(argv[4], "libsrtp") &&
	        strcmp(argv[4], "nogso"))) {
		fprintf(stderr,
		    "usage: relay_load 32|80 SECONDS PORT [libsrtp|nogso]\n");
		return 2;
	}
	suite = strcmp(argv[1], "32") == 0 ? SRTPC_AES_CM_128_HMAC_SHA1_32
	                                   : SRTPC_AES_CM_128_HMAC_SHA1_80;
	seconds = atof(argv[2]);
	port_lo = (uint16_t)atoi(argv[3]);
	if (seconds < 0.5 || seconds > 20 || port_lo < 1024 || port_lo > 65000)
		return 2;
	if (srtpc_init() != 0)
		return 1;
	pin(0);
	memset(&l, 0, sizeof(l));
	a = anchor(SRTPC_PRIM_LIBSRTP);
	ao = anchor(SRTPC_PRIM_OPENSSL);
	no_gso = argc == 5 && strcmp(argv[4], "nogso") == 0;
	if (argc == 5 && !no_gso &&
	    srtpc_set_primitives(SRTPC_PRIM_LIBSRTP) != 0)
		return 1;
	f = iface();
	relay_run(port_lo, &rp, &rw, &busy, &core, &cpu0, &l);
	if (l.verified == 0) {
		fprintf(stderr, "relay_load: no relayed packet decrypted\n");
		return 1;
	}
	/* relay_pps: per second of the relay thread's CPU time; core_pps:
	 * per second of it plus ksoftirqd/0, the figure used; cpu0_pps: per
	 * busy second of all of CPU 0 (what else ran there included) */
	printf(
	    "suite=%s primitives=%s anchor_pps=%.0f anchor_ossl_pps=%.0f iface_pps=%.0f "
	    "relay_pps=%.0f core_pps=%.0f cpu0_pps=%.0f relay_wall_pps=%.0f "
	    "relay_busy=%.2f ratio=%.3f ratio_ossl=%.3f calls=%.0f "
	    "crypto_us=%.3f crypto_ossl_us=%.3f relay_us=%.3f gso=%d\n",
	    srtpc_suite_name(suite), srtpc_primitives_name(srtpc_primitives()),
	    a, ao, f, rp, core, cpu0, rw, busy, core / a, core / ao,
	    core / 100.0, 1e6 / a, 1e6 / ao, 1e6 / core, gso_used);
	return 0;
}
