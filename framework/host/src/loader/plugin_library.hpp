#pragma once

// Private to recrl_core: opens one plugin file and checks that it is safe to use.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "recrl/plugin/abi.hpp"
#include "recrl/loader/registry.hpp"

namespace boost::dll {
class shared_library;
}

namespace recrl::plugin {

// What a plugin's file name says: recrl_<kind>_<name>.so.
struct FileNameParts {
  Kind kind;
  std::string name;
};

// True for files the registry should look at: "recrl_*.so". Other files in a plugin folder
// (READMEs, debug symbols) are none of its business.
bool looks_like_plugin_file(const std::filesystem::path& file);
// Splits "recrl_<kind>_<name>.so"; nullopt when <kind> is not a plugin kind or <name> is empty.
std::optional<FileNameParts> parse_plugin_file_name(const std::filesystem::path& file);

// A plugin that passed every check. The descriptor points into the library, which `library`
// keeps mapped; `info` holds copies of its strings and schema.
struct LoadedPlugin {
  PluginInfo info;
  std::shared_ptr<boost::dll::shared_library> library;
  const Descriptor* descriptor = nullptr;
};

// Opens `file` with RTLD_NOW | RTLD_LOCAL and checks, in this order: it is a shared library;
// it exports recrl_plugin_descriptor; magic and ABI version (before any other field is read);
// compiler, C++11 string ABI and Eigen alignment against this host; kind and name against the
// file name; then calls schema(). Returns the plugin, or the reason it was refused (one line,
// without the file name).
std::variant<LoadedPlugin, std::string> load_plugin_library(const std::filesystem::path& file);

}  // namespace recrl::plugin
