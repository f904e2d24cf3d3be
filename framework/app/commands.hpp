#pragma once

#include <string>
#include <vector>

namespace recrl::app {

// Each subcommand takes its own arguments (without the command word) and returns the process
// exit status. Errors are thrown; main() maps them to messages and exit codes.
int run_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int plugins_command(const std::vector<std::string>& args);
int describe_command(const std::vector<std::string>& args);
int recommend_command(const std::vector<std::string>& args);

}  // namespace recrl::app
