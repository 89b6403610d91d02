/*
 * TFTP service internals shared by tftp_svc.c and tftp_cli.c.
 */
#ifndef OPENCME_SVC_TFTP_INT_H
#define OPENCME_SVC_TFTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Tunables (compile-time constants; doc/tftp.md). */
#define TFTP_SVC_RATE_PER_S 50 /* new transfers per client address per s */
#define TFTP_SVC_RATE_BURST 100 /* bucket depth */
#define TFTP_SVC_RATE_TABLE_MAX 65536 /* client addresses tracked */
#define TFTP_SVC_MAX_XFERS 16384 /* concurrent transfers */
#define TFTP_SVC_RECHECK_MS 1000 /* re-stat configured files at most */

struct tftp_stats {
	uint64_t requests; /* RRQ received */
	uint64_t completed, failed, timed_out;
	uint64_t bytes_sent, packets_sent, retransmits;
	uint64_t malformed; /* unparseable or unexpected packets */
	uint64_t refused_rate, refused_notfound, refused_access;
	uint64_t refused_write, refused_busy, refused_option;
	uint64_t duplicate_rrq; /* RRQ repeated while its transfer runs */
	uint64_t bad_tid; /* packets from a foreign port: ERROR 5 sent */
};

/* One line per published file, for `show tftp-server files`. */
typedef void tftp_file_fn(
    const char *name, size_t len, int loaded, const char *source, void *arg);

int tftp_svc_running(void);
void tftp_svc_listener(char *addr, size_t cap, unsigned *port, int *bound);
const struct tftp_stats *tftp_svc_stats(void);
unsigned tftp_svc_active(void);
unsigned tftp_svc_peak(void);
void tftp_svc_files(
    tftp_file_fn *fn, void *arg, size_t *count, uint64_t *bytes);

#endif
