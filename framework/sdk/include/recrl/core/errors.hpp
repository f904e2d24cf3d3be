#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"

namespace recrl {

// Where a value came from: a file with a 1-based line and column, or a pseudo-file such as
// "--set" for command-line overrides. line == 0 means "the whole file" (no position).
struct RECRL_API SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  // "file:line:column", "file" or "" depending on what is known.
  std::string str() const;
};

// The base of every error recrl reports to a user. what() is the full one-line message.
//
// Every error class declares its destructor here and defines it in librecrl, which makes that
// its key function: the vtable, type info and destructor then live in librecrl alone. An error
// thrown inside a plugin is often caught after the plugin's library was unloaded (its objects
// die while the stack unwinds); with inline destructors the exception would point into the
// unloaded library and crash when it is destroyed.
class RECRL_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;
};

// A user's mistake in an experiment file, a command-line argument or a plugin parameter.
// what() reads "file:line:col: error: key.path: message".
class RECRL_API ConfigError : public Error {
 public:
  ConfigError(const SourceLocation& where, const std::string& key_path, const std::string& message);
  explicit ConfigError(const std::string& message);
  // Several problems reported at once: what() is the given messages, one per line, as they are.
  static ConfigError combined(const std::vector<std::string>& messages);
  ~ConfigError() override;
  const SourceLocation& where() const { return where_; }

 private:
  struct Verbatim {};
  ConfigError(Verbatim, const std::string& text) : Error(text) {}
  SourceLocation where_;
};

// Bad data in an input file (CSV users, a policy file): names the file, row and column.
class RECRL_API DataError : public Error {
 public:
  DataError(const SourceLocation& where, const std::string& message);
  ~DataError() override;
  const SourceLocation& where() const { return where_; }

 private:
  SourceLocation where_;
};

// A plugin that cannot be found, loaded, or that breaks its contract.
class RECRL_API PluginError : public Error {
 public:
  using Error::Error;
  ~PluginError() override;
};

// A NaN or infinity in an observation, reward, loss or gradient.
class RECRL_API NumericalError : public Error {
 public:
  using Error::Error;
  ~NumericalError() override;
};

// A broken invariant inside recrl: a bug, please report it.
class RECRL_API InternalError : public Error {
 public:
  using Error::Error;
  ~InternalError() override;
};

[[noreturn]] RECRL_API void assertion_failed(const char* condition, const char* file, int line,
                                             const std::string& message);

}  // namespace recrl

// Always on: cheap checks of invariants whose failure is a bug, not a user error.
#define RECRL_ASSERT(cond, msg) \
  ((cond) ? static_cast<void>(0) : ::recrl::assertion_failed(#cond, __FILE__, __LINE__, (msg)))
