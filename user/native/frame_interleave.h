/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a sample's Python frames go among its native frames.  Each native
 * frame of the eval loop (_PyEval_EvalFrameDefault) is one call of it and
 * is replaced by the Python frames that call ran: the Python frames split
 * into segments, one per eval call, paired with the eval frames from the
 * outermost in.  No symbol lookup or memory read here: the caller has
 * classified the frames.
 */
#ifndef PYBPF_NATIVE_FRAME_INTERLEAVE_H
#define PYBPF_NATIVE_FRAME_INTERLEAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A frame index that stands for nothing: never written out. */
#define FRAME_NONE	UINT32_MAX

enum python_frame_kind {
	PY_FRAME_IN_CALL,	/* a frame of the program, not the first of its eval call */
	PY_FRAME_CALL_START,	/* the first (outermost) frame of a call of the eval loop */
	PY_FRAME_MARK,		/* not the program's: frames left out, or the walk's early end */
};

struct python_frames {
	const uint32_t *frames;			/* innermost first */
	const uint8_t *kinds;			/* enum python_frame_kind of each */
	size_t count;
};

struct native_frames {
	const uint32_t *frames;		/* innermost first; frames[i] unused where eval[i] */
	const bool *eval;		/* native frame i is a call of the eval loop */
	size_t count;
	/*
	 * The frame saying the unwind stopped before the outermost eval call
	 * (FRAME_NONE when it reached the end): it goes between the Python
	 * frames of the calls it did not reach and the native frames it did.
	 */
	uint32_t incomplete;
	/*
	 * The frame saying the native frames between eval calls were left
	 * out: used when there are more eval calls than Python segments and
	 * the Python frames are marked incomplete, so which call ran which
	 * frame is unknown.
	 */
	uint32_t unplaced;
};

/*
 * Append to OUT (outermost first, *DEPTH used of MAX) the merged stack.
 * Python frames whose eval call the unwind did not reach go outermost.
 * More eval calls than segments with every Python frame there (a call
 * that has not linked its first frame yet): the innermost eval frames
 * get none.  With Python frames missing, no native frame is placed
 * between Python frames: the frames outside the outermost eval call,
 * NATIVE->unplaced, the Python frames, then those inside the innermost.
 */
void interleave_frames(const struct python_frames *python, const struct native_frames *native,
		       uint32_t *out, size_t *depth, size_t max);

/* Append PYTHON's frames alone, outermost first. */
void append_python_frames(const struct python_frames *python, uint32_t *out, size_t *depth,
			  size_t max);

/* The number of segments PYTHON splits into (0 for no frames). */
size_t python_segments(const struct python_frames *python, size_t *ends);

#endif
