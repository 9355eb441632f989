// SPDX-License-Identifier: BSD-3-Clause
/*
 * user/output/recording_reader.c: a raw recording, which `pybpf report` reads
 * from anywhere (another machine, a damaged disk).  It must become a
 * profile or one line of error, never a crash, a leak or a read past a
 * record.
 *
 * Input: flags (1 byte), then the file.  Flag 1 writes the right CRC-32
 * into the file's last 4 bytes first, as if it ended with its END record,
 * so that random files get past the checksum; flags 2 and 4 keep only the
 * samples of thread 2 or process 1 (`report --tid`, `--pid`).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "output/recording.h"

enum { FIX_CRC = 1, ONLY_TID = 2, ONLY_PID = 4 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording_filter filter = { 0 };
	struct profile p;
	char err[512], *title;
	uint8_t *file;
	size_t len;
	FILE *in;

	if (size < 1)
		return 0;
	len = size - 1;
	file = malloc(len + 1);		/* fmemopen refuses an empty buffer */
	if (!file)
		return 0;
	memcpy(file, data + 1, len);
	if ((data[0] & FIX_CRC) && len >= 4) {
		uint32_t crc = crc32(0, file, len - 4);

		for (int i = 0; i < 4; i++)
			file[len - 4 + i] = (uint8_t)(crc >> (8 * i));
	}
	filter.tid = data[0] & ONLY_TID ? 2 : 0;
	filter.pid = data[0] & ONLY_PID ? 1 : 0;
	in = fmemopen(file, len, "r");
	if (in) {
		profile_init(&p, 0);
		err[0] = '\0';
		if (!recording_read_stream(in, "fuzz.pybpf", &p, &filter, &title, err, sizeof(err)))
			free(title);
		else if (!err[0])
			abort();	/* every refusal says why */
		profile_free(&p);
		fclose(in);
	}
	free(file);
	return 0;
}
