#pragma once

#include <cstdint>

#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"

namespace recrl::plugin {

// "RECL": the first field of every descriptor, so a stray symbol of the same name is refused.
inline constexpr std::uint32_t kMagic = 0x4c434552u;

// The plugin ABI version. Bump it whenever anything that crosses the plugin boundary changes
// its layout or vtable: this file and the recrl/core and recrl/toolkit headers (a unit test
// hashes them and fails when they change without a bump). 3: Mlp keeps transposed weights for
// its backward pass, Rng defers seeding to its first draw; the toolkit headers joined the hash.
// 4: Mlp keeps a scratch vector for its bias gradients; ReplayBatch names the slots it drew.
// 5: Mlp's zero_gradients() marks the gradients zero (a flag) for the next backward();
// ReplayBuffer keeps its actions in an Eigen vector.
// 6: ReplayBuffer keeps each transition in one column; Mlp keeps backward_selected()'s scratch.
// 7: Categorical keeps scratch for its sample-major log-softmax (in the library); Mlp
// computes transposed weight gradients in transposed_weights_ (no scratch of their own).
// 8: PPO and A2C read in their own files: the toolkit's ActorCriticPolicy and OnPolicyRollout
// replace OnPolicyActorCritic; DQN's target cache is the toolkit's TargetValueCache; plugins
// link librecrl_sdk (the SDK layer alone), whose recrl/util headers joined the hash; the
// Algorithm's training state defaults to save()/load(), a reward's components() to none, and
// the export macro makes schema() and the (Params, PluginContext) constructor optional;
// Algorithm::action_probabilities takes the ActMode whose probabilities it reports.
// 9: action masks: Environment::has_action_masks/allowed_actions, ObsBatch::allowed and
// StepBatch::allowed/final_allowed; the rollout and replay buffers keep masks; the toolkit's
// marketing catalog (bundles, discount grids, wait).
// 10: Environment::counters/episode_counters, EnvSpec::constants,
// RewardFunction::expected_components; the seed users (features,
// generator, CSV source) and the purchase model moved into the toolkit.
// 11: Algorithm::score_network (a DenseNetwork view for the explainer); Mlp's Activation is
// the core's. (Still 11 after the small GEMM's kernel kept A's columns in registers: code
// inside an inline function, no layout or vtable changed; nor after the toolkit gained
// memory_limit(), mlp_footprint() and require_actor_critic_memory(): functions added, none
// changed.)
inline constexpr std::uint32_t kPluginAbi = 11;
// kAbiHeadersHash: FNV-1a 64 of those headers, checked by tests/plugin/abi_hash_test.cpp.
inline constexpr std::uint64_t kAbiHeadersHash = 0xa7ff069626630773ull;

enum class Kind : std::uint32_t { Environment = 1, Reward = 2, Algorithm = 3 };

RECRL_API const char* to_string(Kind kind);

// What every plugin exports, through the C symbol `recrl_plugin_descriptor`. The first two
// fields never move, so that a plugin built for another ABI version is recognised as such
// before anything else of it is read or run.
struct Descriptor {
  std::uint32_t magic;  // kMagic
  std::uint32_t abi;    // kPluginAbi of the SDK the plugin was built with
  // ---- from here on, the layout of ABI version `abi` ----
  Kind kind;
  const char* name;           // lookup name: "ppo", "seed_rules"
  const char* version;        // the plugin's own version, recorded in results for provenance
  const char* summary;        // one line for `recrl plugins` and `recrl describe`
  const char* compiler;       // __VERSION__ of the compiler that built it
  int cxx11_abi;              // _GLIBCXX_USE_CXX11_ABI
  int eigen_max_align_bytes;  // EIGEN_MAX_ALIGN_BYTES: Eigen objects cross the boundary
  ParamSchema (*schema)();
  // Returns a new object of the kind's interface (Environment*, RewardFunction*, Algorithm*),
  // cast to void*. Throws what the constructor throws.
  void* (*create)(const Params& params, const PluginContext& context);
};

inline constexpr const char* kDescriptorSymbol = "recrl_plugin_descriptor";
using DescriptorFunction = const Descriptor*();

}  // namespace recrl::plugin
