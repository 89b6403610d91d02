#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/frame.h"

void
frame_encode(struct buf *out, char type, const void *payload, size_t len)
{
	uint8_t hdr[FRAME_HDR];

	hdr[0] = (uint8_t)type;
	hdr[1] = (uint8_t)(len >> 24);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
	buf_append(out, hdr, sizeof(hdr));
	buf_append(out, payload, len);
}

/* The payload length of a frame header (big-endian, bytes 1..4). */
static size_t
header_len(const uint8_t *hdr)
{
	return ((size_t)hdr[1] << 24) | ((size_t)hdr[2] << 16) |
	    ((size_t)hdr[3] << 8) | hdr[4];
}

long
frame_parse(const uint8_t *data, size_t len, size_t max, char *type,
    const uint8_t **payload, size_t *plen)
{
	size_t n;

	if (len < FRAME_HDR)
		return 0;
	n = header_len(data);
	if (n > max)
		return -1;
	if (len < FRAME_HDR + n)
		return 0;
	*type = (char)data[0];
	*payload = data + FRAME_HDR;
	*plen = n;
	return (long)(FRAME_HDR + n);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *data, size_t len)
{
	uint8_t *p = data;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
frame_write_fd(int fd, char type, const void *payload, size_t len)
{
	struct buf b = BUF_INIT;
	int rc;

	frame_encode(&b, type, payload, len);
	rc = write_all(fd, b.data, b.len);
	buf_wipe(&b);
	return rc;
}

int
frame_read_fd(int fd, size_t max, char *type, struct buf *payload)
{
	uint8_t hdr[FRAME_HDR];
	size_t n;

	if (read_all(fd, hdr, sizeof(hdr)) != 0)
		return -1;
	n = header_len(hdr);
	if (n > max)
		return -1;
	*type = (char)hdr[0];
	buf_reset(payload);
	buf_grow(payload, n);
	if (read_all(fd, payload->data, n) != 0)
		return -1;
	payload->len = n;
	payload->data[n] = '\0';
	return 0;
}
