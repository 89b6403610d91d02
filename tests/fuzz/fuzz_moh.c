/*
 * libFuzzer target: the music-on-hold file parser (moh_audio_parse), fed
 * what an administrator may copy to flash:, and the packetizer over what
 * it accepts.  Invariants: accepted audio lies inside the input and is
 * not empty; a .au file is accepted only as 8-bit µ-law, 8 kHz, mono,
 * with its data after a 24-byte header; anything without the ".snd"
 * magic (and not WAV or little-endian .au) is raw µ-law, every byte;
 * packets loop the audio without reading outside it (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/moh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct moh_audio_info info;
	struct moh_rtp r = {0, 0, 1};
	uint8_t pkt[MOH_PKT];
	size_t pos = 0;
	int rc = moh_audio_parse(data, size, &info);
	int au = size >= 4 && memcmp(data, ".snd", 4) == 0;

	if (rc != MOH_OK)
		return 0;
	if (info.len == 0 || info.offset > size ||
	    info.len > size - info.offset || info.is_au != au)
		abort();
	if (au &&
	    (info.offset < 24 || info.encoding != 1 || info.rate != 8000 ||
	        info.channels != 1))
		abort();
	if (!au && (info.offset != 0 || info.len != size))
		abort();
	for (int i = 0; i < 3; i++) {
		size_t before = pos;

		moh_packet(&r, data + info.offset, info.len, &pos, pkt);
		if (pkt[12] != data[info.offset + before] || pos >= info.len)
			abort();
	}
	return 0;
}
