#include "plugin_library.hpp"

#include "mapped_object.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <exception>
#include <string_view>
#include <utility>

#include <Eigen/Core>
#include <boost/dll/shared_library.hpp>

namespace recrl::plugin {

namespace {

constexpr std::string_view kFilePrefix = "recrl_";
constexpr std::string_view kFileSuffix = ".so";

// The values this host was compiled with; a plugin must match each of them, because the
// objects it creates are used and destroyed by host code (and vice versa).
constexpr const char* kHostCompiler = __VERSION__;
constexpr int kHostCxx11Abi = _GLIBCXX_USE_CXX11_ABI;
constexpr int kHostEigenMaxAlignBytes = EIGEN_MAX_ALIGN_BYTES;

std::optional<Kind> kind_from_string(std::string_view text) {
  for (Kind kind : {Kind::Environment, Kind::Reward, Kind::Algorithm}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

bool is_known_kind(Kind kind) {
  return kind == Kind::Environment || kind == Kind::Reward || kind == Kind::Algorithm;
}

std::string hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

std::string quoted_or_null(const char* text) {
  if (text == nullptr) return "(null)";
  std::string quoted(1, '"');
  quoted.append(text).push_back('"');
  return quoted;
}

// dlerror() repeats the file name ("/x/y.so: invalid ELF header"); the problem line already
// starts with it.
std::string loader_reason(const std::filesystem::path& file) {
  const char* raw = ::dlerror();
  std::string reason = raw != nullptr ? raw : "unknown dlopen error";
  const std::string prefix = file.string() + ": ";
  if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
  return reason;
}

std::string rebuild_hint() { return "rebuild the plugin against this SDK with the same compiler"; }

// The checks that need nothing but the fields of ABI version kPluginAbi; returns the reason
// for refusing, or "" when the plugin may be used.
std::string check_build_compatibility(const Descriptor& descriptor) {
  if (descriptor.compiler == nullptr || std::string_view(descriptor.compiler) != kHostCompiler) {
    return "built by compiler " + quoted_or_null(descriptor.compiler) + ", this recrl by \"" +
           kHostCompiler + "\"; " + rebuild_hint();
  }
  if (descriptor.cxx11_abi != kHostCxx11Abi) {
    return "built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(descriptor.cxx11_abi) +
           ", this recrl with " + std::to_string(kHostCxx11Abi) + "; " + rebuild_hint();
  }
  if (descriptor.eigen_max_align_bytes != kHostEigenMaxAlignBytes) {
    return "built with EIGEN_MAX_ALIGN_BYTES=" + std::to_string(descriptor.eigen_max_align_bytes) +
           ", this recrl with " + std::to_string(kHostEigenMaxAlignBytes) +
           "; build the plugin with the same -march and Eigen settings as recrl";
  }
  return "";
}

// "a reward", "an algorithm".
std::string with_article(Kind kind) {
  const std::string name = to_string(kind);
  return (name.front() == 'a' || name.front() == 'e' ? "an " : "a ") + name;
}

std::string check_identity(const Descriptor& descriptor, const FileNameParts& from_file_name) {
  if (!is_known_kind(descriptor.kind)) {
    return "declares unknown plugin kind " +
           std::to_string(static_cast<std::uint32_t>(descriptor.kind));
  }
  if (descriptor.name == nullptr || *descriptor.name == '\0') {
    return "declares no plugin name";
  }
  const std::string declared_name = descriptor.name;
  const std::string expected_file = std::string(kFilePrefix) + to_string(descriptor.kind) + "_" +
                                    declared_name + std::string(kFileSuffix);
  if (descriptor.kind != from_file_name.kind) {
    return "file name says it is " + with_article(from_file_name.kind) +
           " plugin but it declares " + with_article(descriptor.kind) + " plugin named '" +
           declared_name + "'; name the file " + expected_file;
  }
  if (declared_name != from_file_name.name) {
    return "file name says the plugin is named '" + from_file_name.name +
           "' but it declares the name '" + declared_name + "'; name the file " + expected_file;
  }
  if (descriptor.schema == nullptr || descriptor.create == nullptr) {
    return "its descriptor lacks the schema or create function";
  }
  return "";
}

std::string declaring_macro(Kind kind) {
  switch (kind) {
    case Kind::Environment:
      return "RECRL_ENVIRONMENT_PLUGIN";
    case Kind::Reward:
      return "RECRL_REWARD_PLUGIN";
    case Kind::Algorithm:
      return "RECRL_ALGORITHM_PLUGIN";
  }
  return "RECRL_<KIND>_PLUGIN";
}

std::string text_or_empty(const char* text) { return text == nullptr ? std::string() : text; }

// A descriptor of this ABI lies whole in the plugin, its strings are NUL-terminated there and
// its functions are the plugin's code (null ones are reported by check_identity).
std::string check_in_object(const Descriptor& descriptor, const MappedObject& mapped) {
  if (!mapped.holds(&descriptor, sizeof(Descriptor))) {
    return std::string(kDescriptorSymbol) + "() returned a descriptor that ends outside the plugin";
  }
  for (const char* text :
       {descriptor.name, descriptor.version, descriptor.summary, descriptor.compiler}) {
    if (text != nullptr && !mapped.holds_text(text)) {
      return "its descriptor's text lies outside the plugin";
    }
  }
  for (const void* function : {reinterpret_cast<const void*>(descriptor.schema),
                               reinterpret_cast<const void*>(descriptor.create)}) {
    if (function != nullptr && !mapped.in_code(function)) {
      return "its descriptor's schema or create function is not in the plugin's code";
    }
  }
  return "";
}

}  // namespace

bool looks_like_plugin_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return name.size() > kFilePrefix.size() + kFileSuffix.size() &&
         name.compare(0, kFilePrefix.size(), kFilePrefix) == 0 &&
         name.compare(name.size() - kFileSuffix.size(), kFileSuffix.size(), kFileSuffix) == 0;
}

std::optional<FileNameParts> parse_plugin_file_name(const std::filesystem::path& file) {
  if (!looks_like_plugin_file(file)) return std::nullopt;
  const std::string name = file.filename().string();
  const std::string_view middle = std::string_view(name).substr(
      kFilePrefix.size(), name.size() - kFilePrefix.size() - kFileSuffix.size());
  const auto underscore = middle.find('_');
  if (underscore == std::string_view::npos || underscore + 1 == middle.size()) return std::nullopt;
  const auto kind = kind_from_string(middle.substr(0, underscore));
  if (!kind) return std::nullopt;
  return FileNameParts{*kind, std::string(middle.substr(underscore + 1))};
}

std::variant<LoadedPlugin, std::string> load_plugin_library(const std::filesystem::path& file) {
  const auto from_file_name = parse_plugin_file_name(file);
  if (!from_file_name) {
    return std::string(
        "file name does not follow recrl_<kind>_<name>.so with kind one of "
        "environment, reward, algorithm");
  }

  namespace dll = boost::dll;
  auto library = std::make_shared<dll::shared_library>();
  std::error_code error;
  // RTLD_NOW: a plugin with an unresolved symbol fails here, not in the middle of a run.
  // RTLD_LOCAL: plugins cannot capture one another's symbols.
  library->load(file, error, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (error || !library->is_loaded()) {
    return "not a loadable shared library: " + loader_reason(file);
  }
  if (!library->has(kDescriptorSymbol)) {
    return std::string("does not export ") + kDescriptorSymbol + "; declare the plugin with " +
           declaring_macro(from_file_name->kind) + " from recrl/plugin/export.hpp";
  }

  // Nothing is called or read until it is known to be what it claims: the symbol a function in
  // the plugin's code, the descriptor and its strings inside the plugin's memory.
  const MappedObject mapped(library->native());
  const void* symbol =
      reinterpret_cast<const void*>(&library->get<DescriptorFunction>(kDescriptorSymbol));
  if (std::string why = mapped.why_not_callable(symbol); !why.empty()) {
    return std::string(kDescriptorSymbol) + " " + why + "; declare the plugin with " +
           declaring_macro(from_file_name->kind) + " from recrl/plugin/export.hpp";
  }
  const Descriptor* descriptor = nullptr;
  try {
    descriptor = library->get<DescriptorFunction>(kDescriptorSymbol)();
  } catch (const std::exception& e) {
    return std::string(kDescriptorSymbol) + "() threw: " + e.what();
  } catch (...) {
    return std::string(kDescriptorSymbol) + "() threw a non-standard exception";
  }
  if (descriptor == nullptr) return std::string(kDescriptorSymbol) + "() returned null";
  if (!mapped.holds(descriptor, sizeof(std::uint32_t) * 2)) {
    return std::string(kDescriptorSymbol) + "() returned a pointer outside the plugin";
  }

  // Only magic and abi are at fixed offsets in every ABI version: nothing else may be read
  // until both are known to be ours.
  if (descriptor->magic != kMagic) {
    return std::string(kDescriptorSymbol) + " is not a recrl plugin descriptor (magic " +
           hex32(descriptor->magic) + ", expected " + hex32(kMagic) + ")";
  }
  if (descriptor->abi != kPluginAbi) {
    return "built for plugin ABI " + std::to_string(descriptor->abi) + ", this recrl has ABI " +
           std::to_string(kPluginAbi) + "; rebuild the plugin against this SDK";
  }
  if (std::string why = check_in_object(*descriptor, mapped); !why.empty()) return why;
  if (std::string reason = check_build_compatibility(*descriptor); !reason.empty()) return reason;
  if (std::string reason = check_identity(*descriptor, *from_file_name); !reason.empty()) {
    return reason;
  }

  LoadedPlugin plugin;
  try {
    plugin.info.schema = descriptor->schema();
  } catch (const std::exception& e) {
    return std::string("schema() threw: ") + e.what();
  } catch (...) {
    return "schema() threw a non-standard exception";
  }
  // Copies: the descriptor's strings live in the library.
  plugin.info.kind = descriptor->kind;
  plugin.info.name = descriptor->name;
  plugin.info.version = text_or_empty(descriptor->version);
  plugin.info.summary = text_or_empty(descriptor->summary);
  plugin.info.file = file;
  plugin.library = std::move(library);
  plugin.descriptor = descriptor;
  return plugin;
}

}  // namespace recrl::plugin
