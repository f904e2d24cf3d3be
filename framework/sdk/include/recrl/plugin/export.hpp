#pragma once

// Declares a plugin in one line after its class:
//   RECRL_REWARD_PLUGIN(SeedRules, "seed_rules", "1.0.0", "the seed report's rule-based reward")
// The class derives from the kind's interface (recrl::Environment, recrl::RewardFunction,
// recrl::Algorithm). Two things are optional:
//   static recrl::ParamSchema schema()   its parameters; without it, it takes none
//   a constructor (const recrl::Params&, const recrl::PluginContext&); without one, the
//                                         default constructor (a plugin that needs nothing)
// One plugin per shared library. docs/plugins.md walks through a complete one.

#include <concepts>
#include <type_traits>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/plugin/abi.hpp"

namespace recrl::plugin::detail {

template <typename T>
ParamSchema schema_of() {
  if constexpr (requires { &T::schema; }) {
    static_assert(std::same_as<decltype(T::schema()), ParamSchema>,
                  "a plugin's schema must be `static recrl::ParamSchema schema()`");
    return T::schema();
  } else {
    return {};
  }
}

// Constructs T from (params, context) or, where it has no such constructor, by default. An
// abstract T (a pure virtual left out) fails here, and the compiler's message names the
// function to write.
template <typename Interface, typename T>
void* create(const Params& params, const PluginContext& context) {
  if constexpr (std::is_constructible_v<T, const Params&, const PluginContext&>) {
    return static_cast<Interface*>(new T(params, context));
  } else if constexpr (std::is_default_constructible_v<T>) {
    return static_cast<Interface*>(new T());
  } else {
    static_assert(std::is_abstract_v<T>,
                  "a plugin needs a constructor (const recrl::Params&, const "
                  "recrl::PluginContext&) or a default constructor");
    return static_cast<Interface*>(new T(params, context));
  }
}

}  // namespace recrl::plugin::detail

#define RECRL_PLUGIN_DETAIL(KIND, INTERFACE, CLASS, NAME, VERSION, SUMMARY)                   \
  static_assert(std::is_base_of_v<INTERFACE, CLASS>, #CLASS " must derive from " #INTERFACE); \
  namespace {                                                                                 \
  const ::recrl::plugin::Descriptor recrl_plugin_descriptor_value{                            \
      ::recrl::plugin::kMagic,                                                                \
      ::recrl::plugin::kPluginAbi,                                                            \
      KIND,                                                                                   \
      NAME,                                                                                   \
      VERSION,                                                                                \
      SUMMARY,                                                                                \
      __VERSION__,                                                                            \
      _GLIBCXX_USE_CXX11_ABI,                                                                 \
      EIGEN_MAX_ALIGN_BYTES,                                                                  \
      &::recrl::plugin::detail::schema_of<CLASS>,                                             \
      &::recrl::plugin::detail::create<INTERFACE, CLASS>};                                    \
  }                                                                                           \
  extern "C" __attribute__((visibility("default"))) const ::recrl::plugin::Descriptor*        \
  recrl_plugin_descriptor() {                                                                 \
    return &recrl_plugin_descriptor_value;                                                    \
  }

#define RECRL_ENVIRONMENT_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                              \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Environment, ::recrl::Environment, CLASS, NAME, \
                      VERSION, SUMMARY)
#define RECRL_REWARD_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                 \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Reward, ::recrl::RewardFunction, CLASS, NAME, \
                      VERSION, SUMMARY)
#define RECRL_ALGORITHM_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                     \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Algorithm, ::recrl::Algorithm, CLASS, NAME, VERSION, \
                      SUMMARY)
