#pragma once

// The bundled plugins, loaded once per benchmark process as a run loads them.
#include <memory>

#include "recrl/loader/registry.hpp"

namespace recrl::bench {

inline plugin::PluginRegistry& bundled_plugins() {
  static const std::unique_ptr<plugin::PluginRegistry> registry = [] {
    auto r = std::make_unique<plugin::PluginRegistry>();
    r->scan({RECRL_BENCH_PLUGIN_DIR});
    return r;
  }();
  return *registry;
}

}  // namespace recrl::bench
