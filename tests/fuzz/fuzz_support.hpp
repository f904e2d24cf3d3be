#pragma once

// What every fuzz target shares: the bundled plugins of this (fuzz) build, scanned once, and a
// scratch file per process to hand the input to readers that take a path.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "recrl/loader/registry.hpp"

namespace recrl::fuzz {

inline plugin::PluginRegistry& bundled_plugins() {
  static const std::unique_ptr<plugin::PluginRegistry> registry = [] {
    auto r = std::make_unique<plugin::PluginRegistry>();
    r->scan({RECRL_FUZZ_PLUGIN_DIR});
    r->throw_if_problems();
    return r;
  }();
  return *registry;
}

// The input written to a file of this process's own (named with `suffix`), replaced each call.
inline std::filesystem::path as_file(const std::uint8_t* data, std::size_t size,
                                     const std::string& suffix) {
  static const std::filesystem::path dir = [] {
    const auto d =
        std::filesystem::temp_directory_path() / ("recrl-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const auto file = dir / ("input" + suffix);
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file;
}

}  // namespace recrl::fuzz
