/*
 * libFuzzer target: what the conference mixer accepts from the network
 * (mixer_frame_of) and what it makes of it (mixer_mix over the accepted
 * frame and two fixed ones).  Invariants: a frame is accepted only with
 * RTP version 2, payload type 0 and a length in range; the accepted frame
 * is the datagram's last 160 bytes; mixing never reads outside its
 * inputs (ASan) and a frame mixed with silence alone comes back as the
 * same µ-law codes (0x7F, µ-law's -0, comes back as 0xFF).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/mixer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t frame[MIXER_FRAME], out[MIXER_FRAME], other[MIXER_FRAME];
	const uint8_t *in[3] = {NULL, frame, NULL};
	int ok = mixer_frame_of(data, size, frame) == 0;

	if (ok !=
	    (size >= 12 + MIXER_FRAME && size <= 1500 && (data[0] >> 6) == 2 &&
	        (data[1] & 0x7F) == 0))
		abort();
	if (!ok)
		return 0;
	if (memcmp(frame, data + size - MIXER_FRAME, MIXER_FRAME) != 0)
		abort();
	mixer_mix(in, 3, 0, out);
	for (size_t i = 0; i < MIXER_FRAME; i++)
		if (out[i] != (frame[i] == 0x7F ? 0xFF : frame[i]))
			abort();
	memset(other, data[size - 1], sizeof(other));
	in[2] = other;
	mixer_mix(in, 3, 1, out);
	return 0;
}
