#pragma once

// Declares a plugin in one line after its class:
//   RECRL_REWARD_PLUGIN(SeedRules, "seed_rules", "1.0.0", "the seed report's rule-based reward")
// The class must derive from the kind's interface, have `static recrl::ParamSchema schema()`
// and a constructor taking (const recrl::Params&, const recrl::PluginContext&).
// One plugin per shared library.

#include <type_traits>

#include <Eigen/Core>

#include "recrl/core/algorithm.hpp"
#include "recrl/core/environment.hpp"
#include "recrl/core/reward.hpp"
#include "recrl/plugin/abi.hpp"

#define RECRL_PLUGIN_DETAIL(KIND, INTERFACE, CLASS, NAME, VERSION, SUMMARY)                      \
  static_assert(std::is_base_of_v<INTERFACE, CLASS>,                                             \
                #CLASS " must derive from " #INTERFACE);                                         \
  static_assert(std::is_constructible_v<CLASS, const ::recrl::Params&,                           \
                                        const ::recrl::PluginContext&>,                          \
                #CLASS " needs a constructor (const recrl::Params&, const recrl::PluginContext&)"); \
  static_assert(std::is_same_v<decltype(CLASS::schema()), ::recrl::ParamSchema>,                 \
                #CLASS " needs static recrl::ParamSchema schema()");                             \
  namespace {                                                                                    \
  ::recrl::ParamSchema recrl_plugin_schema() { return CLASS::schema(); }                         \
  void* recrl_plugin_create(const ::recrl::Params& params, const ::recrl::PluginContext& ctx) {  \
    return static_cast<INTERFACE*>(new CLASS(params, ctx));                                      \
  }                                                                                              \
  const ::recrl::plugin::Descriptor recrl_plugin_descriptor_value{                               \
      ::recrl::plugin::kMagic,                                                                   \
      ::recrl::plugin::kPluginAbi,                                                               \
      KIND,                                                                                      \
      NAME,                                                                                      \
      VERSION,                                                                                   \
      SUMMARY,                                                                                   \
      __VERSION__,                                                                               \
      _GLIBCXX_USE_CXX11_ABI,                                                                    \
      EIGEN_MAX_ALIGN_BYTES,                                                                     \
      &recrl_plugin_schema,                                                                      \
      &recrl_plugin_create};                                                                     \
  }                                                                                              \
  extern "C" __attribute__((visibility("default"))) const ::recrl::plugin::Descriptor*           \
  recrl_plugin_descriptor() {                                                                    \
    return &recrl_plugin_descriptor_value;                                                       \
  }

#define RECRL_ENVIRONMENT_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                 \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Environment, ::recrl::Environment, CLASS, NAME,    \
                      VERSION, SUMMARY)
#define RECRL_REWARD_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                      \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Reward, ::recrl::RewardFunction, CLASS, NAME,      \
                      VERSION, SUMMARY)
#define RECRL_ALGORITHM_PLUGIN(CLASS, NAME, VERSION, SUMMARY)                                   \
  RECRL_PLUGIN_DETAIL(::recrl::plugin::Kind::Algorithm, ::recrl::Algorithm, CLASS, NAME,        \
                      VERSION, SUMMARY)
