#include "recrl/util/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "recrl/core/errors.hpp"

namespace recrl::util {

namespace {

// Closes the descriptor however reading ends.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string byte_size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024;
  for (const auto& [unit, size] : {std::pair{"GiB", kKiB * kKiB * kKiB},
                                   std::pair{"MiB", kKiB * kKiB}, std::pair{"KiB", kKiB}}) {
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + " " + unit;
  }
  return std::to_string(bytes) + " bytes";
}

std::string read_file(const std::filesystem::path& file, const std::string& what,
                      std::uint64_t max_bytes) {
  const auto fail = [&](const std::string& reason) {
    return DataError(SourceLocation{file.string()}, "cannot read " + what + ": " + reason);
  };
  // O_NONBLOCK: opening a FIFO that no one writes to would otherwise wait forever before the
  // check below could refuse it.
  const Descriptor in{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (in.fd < 0) throw fail(std::strerror(errno));
  struct stat status {};
  if (::fstat(in.fd, &status) != 0) throw fail(std::strerror(errno));
  if (S_ISDIR(status.st_mode)) throw fail("it is a folder");
  if (!S_ISREG(status.st_mode)) throw fail("not a regular file (a device, FIFO or socket)");
  const auto size = static_cast<std::uint64_t>(status.st_size);
  const std::string too_large =
      "larger than " + byte_size_text(max_bytes) + ", the limit for " + what;
  if (size > max_bytes) throw fail(too_large);
  std::string text;
  text.reserve(size);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t count = ::read(in.fd, buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw fail(std::strerror(errno));
    }
    if (count == 0) break;
    // A file that grows while it is read is still held to the limit.
    if (text.size() + static_cast<std::size_t>(count) > max_bytes) throw fail(too_large);
    text.append(buffer, static_cast<std::size_t>(count));
  }
  return text;
}

}  // namespace recrl::util
