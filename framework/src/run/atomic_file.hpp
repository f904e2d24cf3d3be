#pragma once

#include <filesystem>
#include <string>

namespace recrl {

// Writes `content` to `file` through a temporary file in the same folder and a rename, so the
// file is either the complete new content or untouched. Creates missing parent folders.
// Throws recrl::Error naming the file when the write fails (a full disk, say).
void write_file_atomically(const std::filesystem::path& file, const std::string& content);

}  // namespace recrl
