#include "recrl/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "recrl/core/errors.hpp"

namespace recrl::util {

namespace {

// Where the content goes: `file`, or the file a symlink (or a chain of them) points at, so that
// writing through a link keeps the link. Anything there that is not a regular file (a FIFO, a
// device such as /dev/full, a socket, a folder) is refused: renaming over it would replace it.
std::filesystem::path target_of(const std::filesystem::path& file) {
  std::error_code error;
  std::filesystem::path target = file;
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(file, error))) {
    target = std::filesystem::weakly_canonical(file, error);
    if (error) {
      throw ConfigError("'" + file.string() + "': a symbolic link that cannot be followed (" +
                        error.message() + "); recrl does not replace it");
    }
  }
  const auto status = std::filesystem::status(target, error);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw ConfigError("'" + file.string() +
                      "' is not a regular file (a folder, FIFO, device or socket); recrl writes "
                      "regular files only and does not replace it");
  }
  return target;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file, const std::string& content) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    throw Error("error: cannot create folder '" + file.parent_path().string() +
                "': " + ec.message());
  const std::filesystem::path target = target_of(file);
  const auto fail = [&](const std::string& reason) {
    return Error("error: cannot write '" + file.string() + "': " + reason);
  };
  // A temporary file of its own (O_EXCL through mkstemp) beside the target, so that the rename
  // stays on one file system and no file of the user's is truncated on the way.
  std::string temporary = target.string() + ".XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) throw fail(std::strerror(errno));
  struct stat existing {};
  const mode_t mode = ::stat(target.c_str(), &existing) == 0 ? existing.st_mode & 07777 : 0644;
  bool written = ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; written && done < content.size();) {
    const ssize_t count = ::write(fd, content.data() + done, content.size() - done);
    if (count < 0 && errno == EINTR) continue;
    written = count > 0;
    if (written) done += static_cast<std::size_t>(count);
  }
  written = written && ::fsync(fd) == 0;
  const std::string reason = std::strerror(errno);
  written = ::close(fd) == 0 && written;
  if (!written) {
    std::filesystem::remove(temporary, ec);
    throw fail(reason);
  }
  std::filesystem::rename(temporary, target, ec);
  if (ec) {
    const std::string rename_reason = ec.message();
    std::filesystem::remove(temporary, ec);
    throw fail(rename_reason);
  }
}

}  // namespace recrl::util
