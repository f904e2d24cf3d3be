#include "recrl/toolkit/on_policy_params.hpp"

#include <cmath>
#include <string>

#include "recrl/toolkit/policy_kwargs.hpp"

namespace recrl::toolkit {

PolicyKwargs actor_critic_policy_defaults() {
  PolicyKwargs kwargs;
  kwargs.pi_hidden = {64, 64};
  kwargs.vf_hidden = {64, 64};
  kwargs.activation_fn = Activation::Tanh;
  kwargs.ortho_init = true;
  return kwargs;
}

Schedule read_schedule(const Params& params, const std::string& name,
                       std::int64_t total_timesteps) {
  const Schedule schedule = Schedule::parse(params, name, /*positive=*/true);
  if (!schedule.is_constant() && total_timesteps <= 0) {
    throw params.error(name,
                       "a linear schedule needs the run's training budget, which this "
                       "recrl core does not pass to plugins; use a constant");
  }
  return schedule;
}

namespace {

bool means_none(const Value& v) {
  return v.is_null() || (v.is_string() && (v.as_string() == kNone || v.as_string() == "None"));
}

}  // namespace

std::optional<Schedule> read_optional_schedule(const Params& params, const std::string& name,
                                               std::int64_t total_timesteps) {
  if (means_none(params.get(name))) return std::nullopt;
  return read_schedule(params, name, total_timesteps);
}

std::optional<double> read_optional_number(const Params& params, const std::string& name) {
  const Value& v = params.get(name);
  if (means_none(v)) return std::nullopt;
  if (!v.is_number() || !(v.as_double() > 0) || !std::isfinite(v.as_double())) {
    throw params.error(name, "expected a number > 0 or none, got " +
                                 (v.is_scalar() ? "'" + v.text() + "'" : v.kind_name()));
  }
  return v.as_double();
}

OnPolicySettings read_on_policy_settings(const Params& params, const PluginContext& ctx,
                                         const std::string& algorithm,
                                         std::int64_t total_timesteps) {
  RECRL_ASSERT(ctx.env != nullptr, "an algorithm is constructed with the environment's spec");
  if (ctx.env->action.kind != Space::Kind::Discrete ||
      ctx.env->observation.kind != Space::Kind::Box) {
    throw ConfigError(ctx.where, ctx.key_path,
                      algorithm + " needs box observations and discrete actions; environment '" +
                          ctx.env->name + "' does not have them");
  }
  OnPolicySettings s;
  s.algorithm = algorithm;
  s.learning_rate = read_schedule(params, "learning_rate", total_timesteps);
  s.n_steps = params.get_int("n_steps");
  s.gamma = params.get_double("gamma");
  s.gae_lambda = params.get_double("gae_lambda");
  s.ent_coef = params.get_double("ent_coef");
  s.vf_coef = params.get_double("vf_coef");
  s.max_grad_norm = params.get_double("max_grad_norm");
  s.normalize_advantage = params.get_bool("normalize_advantage");
  if (s.normalize_advantage && s.n_steps * ctx.n_envs < 2) {
    throw params.error("n_steps",
                       "n_steps * n_envs must be > 1 when normalize_advantage is true "
                       "(a single advantage has no standard deviation); got " +
                           std::to_string(s.n_steps) + " * " + std::to_string(ctx.n_envs));
  }
  PolicyKwargsRules rules;
  rules.defaults = actor_critic_policy_defaults();
  rules.value_network = true;
  s.policy =
      parse_policy_kwargs(params.get("policy_kwargs"), params.key_path("policy_kwargs"), rules);
  return s;
}

}  // namespace recrl::toolkit
