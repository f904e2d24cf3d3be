#pragma once

#include <cstdint>

namespace recrl::store {

// Work that may take its time, done in short stretches with rests between them. On a virtual
// machine a burst of disk writes or a long copy holds up threads beyond its own: the decision
// log's checkpoints, a second's copies and syncs at a time, lengthened the requests' tail by
// ~1 ms on this project's machine (bench/README.md).

// Rests the calling thread for a moment (~50 us) once 0.1 ms has passed since its last rest.
void pace();

// Writes bytes [from, to) of a file's changed pages to the disk 256 KiB at a time, each chunk
// waited for before the next, pacing between them: a sync that follows has little left to do.
void write_out_paced(const char* file, std::int64_t from, std::int64_t to);

// The name of a SQLite VFS, registered on first call, that works like the default one but paces
// every read and write, and writes out what its connection wrote with write_out_paced before
// each sync.
const char* paced_vfs_name();

}  // namespace recrl::store
