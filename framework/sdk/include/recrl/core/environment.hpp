#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/core/types.hpp"

namespace recrl {

// What the environment itself says about a step. The reward that algorithms learn from is
// computed by the configured RewardFunction plugin; `reward` here is the environment's own
// (CartPole's +1, 0 for the recommendation environment), which a reward plugin may pass on.
struct EnvStep {
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
};

// The dynamics of a task: users, physics, ... and nothing about rewards. Implementations are
// constructed valid from (Params, PluginContext) and are called from one thread.
// The hot path writes into caller-owned buffers (`obs`, `next_obs`) and must not allocate.
class Environment {
 public:
  Environment() = default;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  virtual ~Environment() = default;

  virtual const EnvSpec& spec() const = 0;
  // Starts an episode; draws only from `rng`. Writes the first observation into `obs`.
  virtual void reset(Rng& rng, VectorRef obs) = 0;
  // Applies `action` (0 <= action < spec().action.size) and writes what follows into `next_obs`.
  virtual EnvStep step(int action, Rng& rng, VectorRef next_obs) = 0;

  // Optional: action masks (docs/masks.md), the rules no policy may break (no SMS without SMS
  // consent, a weekly contact cap). An environment that has them says so here, and
  // allowed_actions() writes, for a customer observed as `obs` (the environment's own features),
  // 1 for each allowed action and 0 for each forbidden one into `allowed` (size
  // spec().action.size); at least one action must be allowed. A mask is a function of the
  // observation alone, so that recrl applies the same rules wherever only a customer's features
  // are known: training, evaluation, `recommend`, the server and off-policy evaluation. It must
  // not allocate. Without masks (the default) every action is always allowed.
  virtual bool has_action_masks() const { return false; }
  virtual void allowed_actions(ConstVectorRef obs, std::span<std::uint8_t> allowed) const {
    static_cast<void>(obs);
    for (auto& a : allowed) a = 1;
  }

  // Optional: counts of what happened to the customer in the current episode that a reward does
  // not say (the campaign environment's unsubscribes and churn). counters() names them, fixed for
  // the object's lifetime; episode_counters() writes each one's count since the last reset()
  // into `counts` (size counters().size()) and must not allocate. recrl reads them at the end of
  // every evaluation episode and reports each one's mean per episode as "env.<name>", beside the
  // reward's components. The default: none.
  virtual const std::vector<std::string>& counters() const {
    static const std::vector<std::string> none;
    return none;
  }
  virtual void episode_counters(std::span<double> counts) const { static_cast<void>(counts); }

  // Optional, for checkpoints of training runs (docs/checkpoints.md): save_state() writes
  // whatever reset() and step() left behind that a later step() reads (the current user, the
  // physics state, the step within the episode), load_state() puts it back into an object
  // constructed with the same parameters, so that the next step() is exactly the one the
  // saved object would have taken. Random streams are the caller's and are not included.
  // Neither may be called in the middle of a step. The defaults refuse.
  virtual bool supports_checkpoints() const { return false; }
  virtual void save_state(std::ostream& out) const {
    static_cast<void>(out);
    throw PluginError(checkpoints_unsupported());
  }
  virtual void load_state(std::istream& in) {
    static_cast<void>(in);
    throw PluginError(checkpoints_unsupported());
  }

 private:
  std::string checkpoints_unsupported() const {
    return "environment '" + spec().name +
           "' does not support checkpoints (it does not implement save_state/load_state)";
  }
};

}  // namespace recrl
