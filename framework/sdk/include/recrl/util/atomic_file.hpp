#pragma once

#include <filesystem>
#include <string>

#include "recrl/core/export.hpp"

namespace recrl::util {

// Writes `content` to `file` through a temporary file in the same folder and a rename, so the
// file is either the complete new content or untouched. Creates missing parent folders.
// Throws recrl::Error naming the file when the write fails (a full disk, say).
RECRL_API void write_file_atomically(const std::filesystem::path& file, const std::string& content);

}  // namespace recrl::util
