#include "recrl/loader/registry.hpp"

#include <algorithm>
#include <new>
#include <cstdlib>
#include <exception>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <variant>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "recrl/util/spelling.hpp"
#include "plugin_library.hpp"

namespace recrl::plugin {

namespace fs = std::filesystem;

namespace {

// The executable lives in <prefix>/bin and the bundled plugins in <prefix>/lib/recrl/plugins,
// in the build tree and in an installed tree alike.
constexpr const char* kBundledPluginDir = "../lib/recrl/plugins";
constexpr const char* kPluginPathVariable = "RECRL_PLUGIN_PATH";

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

// The identity of a file for "already scanned": two spellings of one path are one file.
fs::path identity_of(const fs::path& file) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(file, error);
  return error ? file.lexically_normal() : canonical;
}

std::string plugin_label(const PluginInfo& info) {
  return std::string(to_string(info.kind)) + " plugin '" + info.name + "' (" + info.file.string() +
         ")";
}

std::string with_key_path(const std::string& key_path, const std::string& message) {
  return key_path.empty() ? message : key_path + ": " + message;
}

}  // namespace

struct PluginRegistry::Impl {
  std::vector<LoadedPlugin> plugins;  // in the order found
  std::vector<std::string> problems;
  std::vector<fs::path> folders;  // scanned, for "searched: ..." in messages
  std::set<fs::path> seen_files;

  void scan_folder(const fs::path& folder);
  void add_file(const fs::path& file);
  const LoadedPlugin* find(Kind kind, const std::string& name) const;
  std::vector<std::string> names_of(Kind kind) const;
  std::string unknown_plugin_message(Kind kind, const std::string& name) const;

  template <class Interface>
  std::shared_ptr<Interface> create(Kind kind, const std::string& name, const Params& params,
                                    const PluginContext& context) const;
};

void PluginRegistry::Impl::scan_folder(const fs::path& folder) {
  std::error_code error;
  const fs::path absolute = fs::absolute(folder, error).lexically_normal();
  if (!fs::exists(absolute, error)) {
    problems.push_back(folder.string() + ": plugin folder does not exist");
    return;
  }
  if (!fs::is_directory(absolute, error)) {
    problems.push_back(folder.string() + ": not a folder; give the folder that holds the plugins");
    return;
  }
  if (std::find(folders.begin(), folders.end(), absolute) == folders.end()) {
    folders.push_back(absolute);
  }

  std::vector<fs::path> files;
  fs::directory_iterator entries(absolute, error);
  for (fs::directory_iterator end; !error && entries != end; entries.increment(error)) {
    if (looks_like_plugin_file(entries->path())) files.push_back(entries->path());
  }
  if (error) {
    problems.push_back(folder.string() + ": cannot list the folder: " + error.message());
  }
  // Directory order is arbitrary; a fixed order keeps problem lists and duplicates stable.
  std::sort(files.begin(), files.end());
  std::erase_if(files, [&](const fs::path& file) {
    std::error_code status_error;
    if (fs::is_regular_file(file, status_error)) return false;
    // Named like a plugin but not a file to load (a dangling or looping symbolic link, a
    // folder): said, not skipped without a word.
    problems.push_back(file.string() + ": named like a plugin but not a regular file" +
                       (status_error ? " (" + status_error.message() + ")" : std::string()));
    return true;
  });
  for (const auto& file : files) add_file(file);
}

void PluginRegistry::Impl::add_file(const fs::path& file) {
  if (!seen_files.insert(identity_of(file)).second) return;

  auto loaded = load_plugin_library(file);
  if (auto* reason = std::get_if<std::string>(&loaded)) {
    problems.push_back(file.string() + ": " + *reason);
    return;
  }
  auto& plugin = std::get<LoadedPlugin>(loaded);
  if (const LoadedPlugin* first = find(plugin.info.kind, plugin.info.name)) {
    // The first one found does not silently win: which one a user gets must not depend on
    // the order of folders.
    problems.push_back(file.string() + ": duplicate " + to_string(plugin.info.kind) + " plugin '" +
                       plugin.info.name + "', also found in " + first->info.file.string() +
                       "; remove one of the two files");
    return;
  }
  plugins.push_back(std::move(plugin));
}

const LoadedPlugin* PluginRegistry::Impl::find(Kind kind, const std::string& name) const {
  for (const auto& plugin : plugins) {
    if (plugin.info.kind == kind && plugin.info.name == name) return &plugin;
  }
  return nullptr;
}

std::vector<std::string> PluginRegistry::Impl::names_of(Kind kind) const {
  std::vector<std::string> names;
  for (const auto& plugin : plugins) {
    if (plugin.info.kind == kind) names.push_back(plugin.info.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string PluginRegistry::Impl::unknown_plugin_message(Kind kind, const std::string& name) const {
  const std::vector<std::string> names = names_of(kind);
  std::string message = std::string("no ") + to_string(kind) + " plugin named '" + name + "'";
  if (names.empty()) {
    std::vector<std::string> searched;
    for (const auto& folder : folders) searched.push_back(folder.string());
    message += std::string("; no ") + to_string(kind) + " plugins were found (searched: " +
               (searched.empty() ? std::string("no folders") : join(searched, ", ")) +
               "); add a folder with --plugin-path or RECRL_PLUGIN_PATH";
  } else {
    const std::string hint = util::did_you_mean_hint(name, names);
    if (!hint.empty()) message += "; " + hint;
    message += " (accepted: " + join(names, ", ") + ")";
  }
  return message;
}

template <class Interface>
std::shared_ptr<Interface> PluginRegistry::Impl::create(Kind kind, const std::string& name,
                                                        const Params& params,
                                                        const PluginContext& context) const {
  const LoadedPlugin* plugin = find(kind, name);
  if (plugin == nullptr) {
    throw PluginError(with_key_path(context.key_path, unknown_plugin_message(kind, name)));
  }

  void* raw = nullptr;
  try {
    raw = plugin->descriptor->create(params, context);
  } catch (const Error&) {
    throw;  // already says what is wrong, and where
  } catch (const std::bad_alloc&) {
    // The parameters asked for more memory than there is (a buffer or network too large): a
    // configuration problem of this entry, said as one.
    throw ConfigError(context.where, context.key_path,
                      plugin_label(plugin->info) +
                          " needs more memory than this machine can give with these parameters "
                          "(std::bad_alloc); make its buffers or networks smaller");
  } catch (const std::exception& e) {
    throw PluginError(with_key_path(
        context.key_path, plugin_label(plugin->info) + " failed to construct: " + e.what()));
  } catch (...) {
    throw PluginError(with_key_path(
        context.key_path,
        plugin_label(plugin->info) + " failed to construct: a non-standard exception was thrown"));
  }
  if (raw == nullptr) {
    throw PluginError(
        with_key_path(context.key_path, plugin_label(plugin->info) + " create() returned null"));
  }

  // The deleter is host code that holds the library: the object's destructor runs while the
  // library is mapped, and the library is released only after the last object made by it.
  auto* object = static_cast<Interface*>(raw);
  return std::shared_ptr<Interface>(
      object, [library = plugin->library](Interface* dying) { delete dying; });
}

PluginRegistry::PluginRegistry() : impl_(std::make_unique<Impl>()) {}
PluginRegistry::~PluginRegistry() = default;

std::vector<fs::path> PluginRegistry::default_search_path() {
  std::vector<fs::path> folders;
  std::error_code error;
  const fs::path executable = boost::dll::program_location(error);
  if (!error) {
    folders.push_back((executable.parent_path() / kBundledPluginDir).lexically_normal());
  }
  if (const char* variable = std::getenv(kPluginPathVariable)) {
    std::stringstream entries(variable);
    for (std::string entry; std::getline(entries, entry, ':');) {
      if (!entry.empty()) folders.emplace_back(entry);
    }
  }
  std::vector<fs::path> existing;
  for (auto& folder : folders) {
    std::error_code status_error;
    if (fs::is_directory(folder, status_error)) existing.push_back(std::move(folder));
  }
  return existing;
}

void PluginRegistry::scan(const std::vector<fs::path>& folders) {
  for (const auto& folder : folders) impl_->scan_folder(folder);
}

const std::vector<std::string>& PluginRegistry::problems() const { return impl_->problems; }

void PluginRegistry::throw_if_problems() const {
  if (impl_->problems.empty()) return;
  throw PluginError(join(impl_->problems, "\n"));
}

std::vector<const PluginInfo*> PluginRegistry::list() const {
  std::vector<const PluginInfo*> infos;
  for (const auto& plugin : impl_->plugins) infos.push_back(&plugin.info);
  std::sort(infos.begin(), infos.end(), [](const PluginInfo* a, const PluginInfo* b) {
    return std::tie(a->kind, a->name) < std::tie(b->kind, b->name);
  });
  return infos;
}

const PluginInfo* PluginRegistry::find(Kind kind, const std::string& name) const {
  const LoadedPlugin* plugin = impl_->find(kind, name);
  return plugin == nullptr ? nullptr : &plugin->info;
}

const PluginInfo& PluginRegistry::get(Kind kind, const std::string& name,
                                      const SourceLocation& where,
                                      const std::string& key_path) const {
  if (const PluginInfo* info = find(kind, name)) return *info;
  throw ConfigError(where, key_path, impl_->unknown_plugin_message(kind, name));
}

std::shared_ptr<Environment> PluginRegistry::create_environment(
    const std::string& name, const Params& params, const PluginContext& context) const {
  return impl_->create<Environment>(Kind::Environment, name, params, context);
}

std::shared_ptr<RewardFunction> PluginRegistry::create_reward(const std::string& name,
                                                              const Params& params,
                                                              const PluginContext& context) const {
  return impl_->create<RewardFunction>(Kind::Reward, name, params, context);
}

std::shared_ptr<Algorithm> PluginRegistry::create_algorithm(const std::string& name,
                                                            const Params& params,
                                                            const PluginContext& context) const {
  return impl_->create<Algorithm>(Kind::Algorithm, name, params, context);
}

std::vector<std::filesystem::path> search_path(
    const std::vector<std::filesystem::path>& command_line_paths,
    const std::vector<std::filesystem::path>& experiment_paths) {
  std::vector<std::filesystem::path> path = PluginRegistry::default_search_path();
  path.insert(path.end(), command_line_paths.begin(), command_line_paths.end());
  path.insert(path.end(), experiment_paths.begin(), experiment_paths.end());
  return path;
}

}  // namespace recrl::plugin
