#pragma once

#include <filesystem>
#include <string>

namespace recrl::config::detail {

// The whole content of `file`. A file that cannot be opened or read throws ConfigError
// "cannot read <what> '<file>': <reason from the OS>", e.g. "No such file or directory".
std::string read_text_file(const std::filesystem::path& file, const std::string& what);

}  // namespace recrl::config::detail
