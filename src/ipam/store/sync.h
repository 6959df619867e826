/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BRISK_STORE_SYNC_H
#define BRISK_STORE_SYNC_H

#include "brisk/err.h"
#include "brisk/index.h"
#include "brisk/lease.h"

/*
 * Bring the index @x up to date with the lease files of @d, under the
 * lock: one listing of the store and a stat of each lease the index knows;
 * only new or changed files are read. The index is then exact.
 */
int sync_run(struct lease_dir *d, struct index *x, struct cni_err *err);

#endif
