#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "recrl/core/export.hpp"

namespace recrl::util {

// The whole content of a regular file of at most `max_bytes`. Throws DataError naming the file
// ("<file>: error: cannot read <what>: <reason>") when it cannot be opened or read, is not a
// regular file (a FIFO, a device such as /dev/zero, a folder: refused unread, since reading
// one may never end), or is larger than `max_bytes` (the message gives the limit). docs/limits.md
// lists each input's limit.
RECRL_API std::string read_file(const std::filesystem::path& file, const std::string& what,
                                std::uint64_t max_bytes);

// "16 MiB", "4 GiB", "900 bytes": a limit as messages and docs write it.
RECRL_API std::string byte_size_text(std::uint64_t bytes);

}  // namespace recrl::util
