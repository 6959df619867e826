/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_GROW_H
#define BRISK_GROW_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

/*
 * Make room for one more element in a growable array of @size-byte
 * elements holding @n, with room for *@cap: the capacity doubles (to
 * @first from empty). 0, or -ENOMEM with the array left as it was.
 */
static inline int grow_one(void **arr, size_t *cap, size_t n, size_t size,
			   size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* GROW_ONE(v, cap, n, first): grow_one for a typed pointer @v. */
#define GROW_ONE(v, cap, n, first) \
	grow_one((void **)&(v), &(cap), (n), sizeof(*(v)), (first))

#endif
