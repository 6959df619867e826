// SPDX-License-Identifier: Apache-2.0
#include <errno.h>

#include "brisk/undo.h"

void undo_init(struct undo *u)
{
	u->n = 0;
}

int undo_push(struct undo *u, undo_fn fn, void *ctx)
{
	if (u->n >= UNDO_MAX)
		return -ENOSPC;
	u->steps[u->n].fn = fn;
	u->steps[u->n].ctx = ctx;
	u->n++;
	return 0;
}

void undo_run(struct undo *u)
{
	while (u->n > 0) {
		u->n--;
		u->steps[u->n].fn(u->steps[u->n].ctx);
	}
}
