#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace recrl::test {

struct CommandResult {
  int status = -1;  // the process exit status
  std::string out;
  std::string err;
};

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh, empty folder for one test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("recrl_test_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs a shell command line in `cwd`, its output captured (files beside it in cwd).
inline CommandResult run_command(const std::string& line, const std::filesystem::path& cwd) {
  const auto out = cwd / "stdout.txt";
  const auto err = cwd / "stderr.txt";
  const std::string command = "cd '" + cwd.string() + "' && " + line + " > '" + out.string() +
                              "' 2> '" + err.string() + "' < /dev/null";
  const int raw = std::system(command.c_str());
  CommandResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

// Runs the recrl executable with `args` (shell-quoted by the caller where needed) in `cwd`.
inline CommandResult run_recrl(const std::string& args, const std::filesystem::path& cwd) {
  return run_command("'" RECRL_EXECUTABLE "' " + args, cwd);
}

inline std::string project_file(const std::string& relative) {
  return std::string(RECRL_PROJECT_SOURCE_DIR) + "/" + relative;
}

}  // namespace recrl::test
