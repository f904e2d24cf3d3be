#include "paced_vfs.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <mutex>

#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

namespace recrl::store {

namespace {

constexpr long kStretchNs = 100'000;
constexpr long kRestNs = 1;              // the timer's slack (50 us by default) makes the rest
constexpr off_t kWriteChunk = 256 << 10;  // written and waited for before the next
constexpr sqlite3_int64 kClean = std::numeric_limits<sqlite3_int64>::max();

sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs paced_vfs;

long monotonic_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1'000'000'000L + t.tv_nsec;
}

struct PacedFile {
  sqlite3_file base;
  sqlite3_file* real;  // the default VFS's file, allocated right after this struct
  const char* name;    // SQLite keeps it until xClose; null for a temporary file
  sqlite3_int64 written_from, written_to;  // what this connection wrote since its last sync
};

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<PacedFile*>(f)->real; }

int paced_close(sqlite3_file* f) {
  const int rc = real(f)->pMethods != nullptr ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  f->pMethods = nullptr;
  return rc;
}
int paced_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  pace();
  return real(f)->pMethods->xRead(real(f), buffer, amount, offset);
}
int paced_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  pace();
  auto* p = reinterpret_cast<PacedFile*>(f);
  p->written_from = std::min(p->written_from, offset);
  p->written_to = std::max(p->written_to, offset + amount);
  return real(f)->pMethods->xWrite(real(f), buffer, amount, offset);
}
int paced_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
// What this connection wrote goes to the disk a chunk at a time first, so that the sync itself
// has little left to write.
int paced_sync(sqlite3_file* f, int flags) {
  auto* p = reinterpret_cast<PacedFile*>(f);
  if (p->name != nullptr && p->written_to > p->written_from)
    write_out_paced(p->name, p->written_from, p->written_to);
  p->written_from = kClean;
  p->written_to = 0;
  return real(f)->pMethods->xSync(real(f), flags);
}
int paced_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int paced_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int paced_unlock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xUnlock(real(f), level);
}
int paced_check_reserved_lock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int paced_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int paced_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int paced_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int paced_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int paced_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void paced_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int paced_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real(f)->pMethods->xShmUnmap(real(f), delete_flag);
}
int paced_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real(f)->pMethods->xFetch(real(f), offset, amount, out);
}
int paced_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real(f)->pMethods->xUnfetch(real(f), offset, page);
}

const sqlite3_io_methods paced_methods = {
    3,
    paced_close,
    paced_read,
    paced_write,
    paced_truncate,
    paced_sync,
    paced_file_size,
    paced_lock,
    paced_unlock,
    paced_check_reserved_lock,
    paced_file_control,
    paced_sector_size,
    paced_device_characteristics,
    paced_shm_map,
    paced_shm_lock,
    paced_shm_barrier,
    paced_shm_unmap,
    paced_fetch,
    paced_unfetch,
};

int paced_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<PacedFile*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->name = name;
  file->written_from = kClean;
  file->written_to = 0;
  const int rc = base_vfs->xOpen(base_vfs, name, file->real, flags, out_flags);
  // SQLite calls xClose whenever pMethods is set, even after a failed open.
  f->pMethods = file->real->pMethods != nullptr ? &paced_methods : nullptr;
  return rc;
}

// The rest go to the default VFS as they are, called with it.
int paced_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int paced_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int paced_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, n, out);
}
void* paced_dl_open(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void paced_dl_error(sqlite3_vfs*, int n, char* out) { base_vfs->xDlError(base_vfs, n, out); }
void (*paced_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void paced_dl_close(sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); }
int paced_randomness(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xRandomness(base_vfs, n, out);
}
int paced_sleep(sqlite3_vfs*, int us) { return base_vfs->xSleep(base_vfs, us); }
int paced_current_time(sqlite3_vfs*, double* out) {
  return base_vfs->xCurrentTime(base_vfs, out);
}
int paced_get_last_error(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xGetLastError != nullptr ? base_vfs->xGetLastError(base_vfs, n, out) : 0;
}
int paced_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

}  // namespace

void pace() {
  thread_local long stretch_start = 0;
  const long now = monotonic_ns();
  if (stretch_start == 0) stretch_start = now;
  if (now - stretch_start < kStretchNs) return;
  const timespec rest{0, kRestNs};
  ::nanosleep(&rest, nullptr);
  stretch_start = monotonic_ns();
}

void write_out_paced(const char* file, std::int64_t from, std::int64_t to) {
  if (from >= to) return;
  const int fd = ::open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // the sync that follows reports a file in trouble
  for (off_t at = from; at < to; at += kWriteChunk) {
    pace();
    ::sync_file_range(fd, at, std::min<off_t>(kWriteChunk, to - at),
                      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                          SYNC_FILE_RANGE_WAIT_AFTER);
  }
  ::close(fd);
}

const char* paced_vfs_name() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    paced_vfs = sqlite3_vfs{
        2,
        static_cast<int>(sizeof(PacedFile)) + base_vfs->szOsFile,
        base_vfs->mxPathname,
        nullptr,
        "recrl-paced",
        nullptr,
        paced_open,
        paced_delete,
        paced_access,
        paced_full_pathname,
        paced_dl_open,
        paced_dl_error,
        paced_dl_sym,
        paced_dl_close,
        paced_randomness,
        paced_sleep,
        paced_current_time,
        paced_get_last_error,
        paced_current_time_int64,
        nullptr,  // the system-call overrides of version 3: not offered
        nullptr,
        nullptr,
    };
    sqlite3_vfs_register(&paced_vfs, 0);
  });
  return paced_vfs.zName;
}

}  // namespace recrl::store
