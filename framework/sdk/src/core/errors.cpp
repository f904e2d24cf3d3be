#include "recrl/core/errors.hpp"

namespace recrl {

namespace {

std::string located(const SourceLocation& where, const std::string& text) {
  const std::string prefix = where.str();
  return prefix.empty() ? "error: " + text : prefix + ": error: " + text;
}

}  // namespace

// The key functions of the error classes (see errors.hpp).
Error::~Error() = default;
ConfigError::~ConfigError() = default;
DataError::~DataError() = default;
PluginError::~PluginError() = default;
NumericalError::~NumericalError() = default;
InternalError::~InternalError() = default;

std::string SourceLocation::str() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(const SourceLocation& where, const std::string& key_path,
                         const std::string& message)
    : Error(located(where, key_path.empty() ? message : key_path + ": " + message)),
      where_(where) {}

ConfigError::ConfigError(const std::string& message) : Error("error: " + message) {}

ConfigError ConfigError::combined(const std::vector<std::string>& messages) {
  std::string text;
  for (const std::string& m : messages) text += (text.empty() ? "" : "\n") + m;
  return ConfigError(Verbatim{}, text);
}

DataError::DataError(const SourceLocation& where, const std::string& message)
    : Error(located(where, message)), where_(where) {}

void assertion_failed(const char* condition, const char* file, int line,
                      const std::string& message) {
  throw InternalError("internal error: " + message + " (" + condition + " failed at " + file + ":" +
                      std::to_string(line) + "; please report this)");
}

}  // namespace recrl
