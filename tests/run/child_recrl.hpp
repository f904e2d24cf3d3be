#pragma once

// `recrl` as a child process of its own, for the tests that signal or kill it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace recrl::test {

// Starts `recrl ARGS...` in `dir`, its output in dir/stdout.txt and dir/stderr.txt.
inline pid_t start_recrl(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  if (chdir(dir.c_str()) != 0) _exit(120);
  const int out = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
    _exit(121);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("recrl"));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(RECRL_EXECUTABLE, argv.data());
  _exit(122);
}

// Waits for the child and returns its exit status, 128 + the signal if a signal ended it.
inline int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace recrl::test
