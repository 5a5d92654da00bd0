/*
 * vfs.h — the engine's view of the file-system layer (nq_vfs in include/nqdb.h).
 *
 * The engine never calls read/write/fsync directly: everything goes through an nq_vfs, so
 * the crash tests can substitute a layer that loses unsynced writes, tears them at sector
 * granularity, reorders them, or fails fsync/write on demand (tests/support/faultvfs.c).
 */
#ifndef NQ_STORAGE_VFS_H
#define NQ_STORAGE_VFS_H

#include "nqdb.h"
#include "../base/err.h"

#endif
