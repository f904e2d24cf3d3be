#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/core/params.hpp"
#include "recrl/core/plugin_context.hpp"
#include "recrl/toolkit/actor_critic.hpp"
#include "recrl/toolkit/schedule.hpp"

namespace recrl::toolkit {

// Reading the parameters that SB3's PPO and A2C share (OnPolicyAlgorithm's and
// ActorCriticPolicy's), with their cross-field checks. Every problem is a ConfigError at the
// offending parameter (Params::error).

// SB3's ActorCriticPolicy defaults: separate pi and vf networks [64, 64], tanh, ortho_init.
RECRL_API PolicyKwargs actor_critic_policy_defaults();

// learning_rate, n_steps, gamma, gae_lambda, ent_coef, vf_coef, max_grad_norm,
// normalize_advantage and policy_kwargs, into settings that the caller completes (batch size,
// epochs, clipping, optimiser). Checks that the environment has a box observation and discrete
// actions, that n_steps * n_envs > 1 when advantages are normalised (SB3 asserts it), and that a
// linear schedule has a training budget to run over.
RECRL_API OnPolicySettings read_on_policy_settings(const Params& params, const PluginContext& ctx,
                                                   const std::string& algorithm,
                                                   std::int64_t total_timesteps);

// A schedule parameter (number or lin_<number>, > 0); a linear one needs total_timesteps > 0.
RECRL_API Schedule read_schedule(const Params& params, const std::string& name,
                                 std::int64_t total_timesteps);

// An optional parameter that SB3 defaults to None (clip_range_vf, target_kl): null, "none" or
// "None" mean off; otherwise a schedule (number or lin_<number>, > 0).
RECRL_API std::optional<Schedule> read_optional_schedule(const Params& params,
                                                         const std::string& name,
                                                         std::int64_t total_timesteps);

// The same for a plain number (target_kl): nullopt when off, otherwise a number > 0.
RECRL_API std::optional<double> read_optional_number(const Params& params, const std::string& name);

// How an experiment file writes "off" for those (YAML null would make the parameter required).
inline constexpr const char* kNone = "none";

}  // namespace recrl::toolkit
