/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_UNDO_H
#define BRISK_UNDO_H

#define UNDO_MAX 16

/* An undo action: reverses one step of ADD. It must not fail loudly. */
typedef void (*undo_fn)(void *ctx);

/* The steps ADD took, undone in reverse when a later step fails. */
struct undo {
	int n;
	struct {
		undo_fn fn;
		void *ctx;
	} steps[UNDO_MAX];
};

void undo_init(struct undo *u);
/* Record a step; -ENOSPC (a programming error) when the stack is full. */
int undo_push(struct undo *u, undo_fn fn, void *ctx);
/* Run every recorded step, newest first, then forget them. */
void undo_run(struct undo *u);

#endif
