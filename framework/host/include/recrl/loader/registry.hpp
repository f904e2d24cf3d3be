#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/plugin/abi.hpp"

namespace recrl::plugin {

// A plugin found on the search path, its descriptor copied out of the library.
struct PluginInfo {
  Kind kind;
  std::string name;
  std::string version;
  std::string summary;
  std::filesystem::path file;
  ParamSchema schema;
};

// Finds, loads and instantiates plugins. Host side only (plugins never see it).
// Libraries are opened with RTLD_NOW | RTLD_LOCAL and are never unloaded while the registry
// lives; every object it creates also holds its library, so a plugin's code stays mapped while
// any object made by it lives, even past the registry.
class RECRL_API PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // The default search path: <dir of the running executable>/../lib/recrl/plugins, then each
  // folder of RECRL_PLUGIN_PATH (colon-separated). Folders that do not exist are skipped.
  static std::vector<std::filesystem::path> default_search_path();

  // Loads every file named recrl_<kind>_<name>.so in each folder, in order. A file that is not
  // a shared library, lacks the descriptor, was built for another ABI version or by another
  // compiler, whose kind or name disagrees with its file name, or whose kind/name was already
  // found in another folder, is recorded as a problem naming the file and the reason; the
  // other plugins still load. Scanning a folder twice is harmless.
  void scan(const std::vector<std::filesystem::path>& folders);
  // Problems met while scanning, one line each ("<file>: <reason>").
  const std::vector<std::string>& problems() const;
  // Throws PluginError with all problems, one per line, when there are any.
  void throw_if_problems() const;

  // All plugins found, ordered by kind then name.
  std::vector<const PluginInfo*> list() const;
  const PluginInfo* find(Kind kind, const std::string& name) const;
  // As find(), but an unknown name throws ConfigError at `where` naming key_path and the
  // plugins of that kind that exist.
  const PluginInfo& get(Kind kind, const std::string& name, const SourceLocation& where,
                        const std::string& key_path) const;

  // Constructs a plugin. The parameters must have been validated against its schema.
  // Exceptions derived from recrl::Error pass through unchanged; any other exception from the
  // plugin becomes a PluginError naming the plugin.
  std::shared_ptr<Environment> create_environment(const std::string& name, const Params& params,
                                                  const PluginContext& context) const;
  std::shared_ptr<RewardFunction> create_reward(const std::string& name, const Params& params,
                                                const PluginContext& context) const;
  std::shared_ptr<Algorithm> create_algorithm(const std::string& name, const Params& params,
                                              const PluginContext& context) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The plugin search path of a command: the default folders (PluginRegistry::
// default_search_path), then the --plugin-path folders, then the experiment's plugin_paths.
RECRL_API std::vector<std::filesystem::path> search_path(
    const std::vector<std::filesystem::path>& command_line_paths,
    const std::vector<std::filesystem::path>& experiment_paths = {});

}  // namespace recrl::plugin
