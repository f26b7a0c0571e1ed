/*
** workdir.h: the harness's scratch folders (a run's work folder, one
** folder per test): where they go, and removing them without a shell.
*/
#ifndef IMPCERT_WORKDIR_H
#define IMPCERT_WORKDIR_H

#include <stddef.h>

#include "diag.h"

/* The folder scratch folders are made in: $IMPCERT_WORKDIR if set, else
** /dev/shm when it is a writable folder (a RAM file system: a DUT's flash
** file and its syncs cost no disk I/O, which dominates a short test on a
** busy disk), else $TMPDIR, else /tmp. */
const char *workdir_base(void);

/* Make a new private folder BASE/PREFIX-XXXXXX (mkdtemp) into buf[n].
** 0, or -1 with d (path too long, or mkdtemp's reason). */
int workdir_make(char *buf, size_t n, const char *prefix, struct ic_diag *d);

/* Remove path and everything below it, never following a symbolic link
** (the link itself is removed). A path that does not exist is not an
** error. 0, or -1 with d naming the first entry that could not go. */
int workdir_remove(const char *path, struct ic_diag *d);

#endif
