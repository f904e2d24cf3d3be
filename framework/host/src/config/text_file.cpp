#include "text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "recrl/core/errors.hpp"

namespace recrl::config::detail {

std::string read_text_file(const std::filesystem::path& file, const std::string& what) {
  const auto fail = [&](int error_number) -> ConfigError {
    return ConfigError("cannot read " + what + " '" + file.string() +
                       "': " + std::strerror(error_number));
  };
  // C stdio rather than iostreams: it reports why a file could not be read through errno.
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"),
                                                         &std::fclose);
  if (!stream) throw fail(errno);
  std::string text;
  char buffer[1 << 14];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, stream.get())) > 0) {
    text.append(buffer, count);
  }
  // Reading a directory "opens" fine and fails here with EISDIR.
  if (std::ferror(stream.get())) throw fail(errno);
  return text;
}

}  // namespace recrl::config::detail
