#include "recrl/util/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "recrl/core/errors.hpp"

namespace recrl::util {

void write_file_atomically(const std::filesystem::path& file, const std::string& content) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    throw Error("error: cannot create folder '" + file.parent_path().string() +
                "': " + ec.message());
  const std::filesystem::path temporary = file.string() + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);
      out.close();
      std::filesystem::remove(temporary, ec);
      throw Error("error: cannot write '" + file.string() + "': " + reason);
    }
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::filesystem::remove(temporary, ec);
    throw Error("error: cannot write '" + file.string() + "': " + reason);
  }
}

}  // namespace recrl::util
