// SPDX-License-Identifier: BSD-3-Clause
#include "native/frame_interleave.h"

static void append(uint32_t *out, size_t *depth, size_t max, uint32_t frame)
{
	if (*depth < max && frame != FRAME_NONE)
		out[(*depth)++] = frame;
}

/* Frames [from, to) of PYTHON (innermost first), outermost first. */
static void append_range(const struct python_frames *python, size_t from, size_t to,
			 uint32_t *out, size_t *depth, size_t max)
{
	for (size_t i = to; i-- > from;)
		append(out, depth, max, python->frames[i]);
}

void append_python_frames(const struct python_frames *python, uint32_t *out, size_t *depth,
			  size_t max)
{
	append_range(python, 0, python->count, out, depth, max);
}

/*
 * Segment J (0: innermost) is [J ? ENDS[J-1] : 0, ENDS[J]).  A call's
 * first frame ends its segment.  The frames past the last one form a
 * segment of their own if any is the program's (the outermost call, cut
 * before its first frame); marks alone there join the segment before.
 */
size_t python_segments(const struct python_frames *python, size_t *ends)
{
	size_t count = 0;
	bool program_frames_open = false;

	for (size_t i = 0; i < python->count; i++) {
		if (python->kinds[i] == PY_FRAME_CALL_START) {
			ends[count++] = i + 1;
			program_frames_open = false;
		} else if (python->kinds[i] == PY_FRAME_IN_CALL) {
			program_frames_open = true;
		}
	}
	if (program_frames_open || (!count && python->count))
		ends[count++] = python->count;
	else if (count)
		ends[count - 1] = python->count;
	return count;
}

static bool has_marks(const struct python_frames *python)
{
	for (size_t i = 0; i < python->count; i++)
		if (python->kinds[i] == PY_FRAME_MARK)
			return true;
	return false;
}

/* Python frames missing: no native frame between two Python frames. */
static void append_unpaired(const struct python_frames *python, const struct native_frames *native,
			    uint32_t *out, size_t *depth, size_t max)
{
	size_t outermost_eval = native->count, innermost_eval = 0;

	for (size_t i = native->count; i-- > 0;)
		if (native->eval[i]) {
			if (outermost_eval == native->count)
				outermost_eval = i;
			innermost_eval = i;
		}
	for (size_t i = native->count; i-- > outermost_eval + 1;)
		append(out, depth, max, native->frames[i]);
	append(out, depth, max, native->unplaced);
	append_python_frames(python, out, depth, max);
	for (size_t i = innermost_eval; i-- > 0;)
		append(out, depth, max, native->frames[i]);
}

void interleave_frames(const struct python_frames *python, const struct native_frames *native,
		       uint32_t *out, size_t *depth, size_t max)
{
	size_t ends[python->count ? python->count : 1];
	size_t segments = python_segments(python, ends), evals = 0, segment;

	for (size_t i = 0; i < native->count; i++)
		evals += native->eval[i];
	if (evals > segments && has_marks(python)) {
		append_unpaired(python, native, out, depth, max);
		return;
	}
	/*
	 * The unwind ended before the outermost eval calls: the Python
	 * frames of the calls it did not reach go on top, then the frame
	 * saying why the native stack is incomplete.
	 */
	segment = segments;
	if (evals < segments) {
		segment = evals;
		append_range(python, segment ? ends[segment - 1] : 0, python->count, out, depth, max);
		append(out, depth, max, native->incomplete);
	}
	for (size_t i = native->count; i-- > 0;) {
		if (!native->eval[i]) {
			append(out, depth, max, native->frames[i]);
		} else if (segment > 0) {
			/* Outermost eval call first: segments go from segment-1 down to 0. */
			segment--;
			append_range(python, segment ? ends[segment - 1] : 0, ends[segment],
				     out, depth, max);
		}
	}
}
