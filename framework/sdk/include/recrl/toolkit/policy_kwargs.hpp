#pragma once

#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"
#include "recrl/toolkit/mlp.hpp"

namespace recrl::toolkit {

// SB3's `policy_kwargs` for the MLP policies of PPO, A2C and DQN: the hidden layers of each
// network, their activation and whether to initialise orthogonally. The parameter is written
// either as a YAML map
//   policy_kwargs: {net_arch: {pi: [64], vf: [64]}, activation_fn: relu, ortho_init: false}
// or as the Python expression that rl-baselines3-zoo's hyperparameter files hold, pasted as is:
//   policy_kwargs: "dict(net_arch=dict(pi=[64], vf=[64]), activation_fn=nn.ReLU, ortho_init=False)"
struct PolicyKwargs {
  std::vector<int> pi_hidden;  // hidden layer sizes of the policy network (DQN: the Q-network)
  std::vector<int> vf_hidden;  // hidden layer sizes of the value network (unused by DQN)
  Activation activation_fn = Activation::Tanh;
  bool ortho_init = true;
};

// What an algorithm accepts, and its defaults (SB3's ActorCriticPolicy: pi = vf = [64, 64],
// tanh, orthogonal; DQNPolicy: [64, 64], relu, no ortho_init key).
struct PolicyKwargsRules {
  PolicyKwargs defaults;
  bool value_network = true;  // accepts net_arch: {pi, vf} and ortho_init (actor-critic)
};

// Reads `node` (Null for "not given": the defaults; a map; or the Python-style string).
// Every problem is a ConfigError at the offending value, naming `key_path`.
RECRL_API PolicyKwargs parse_policy_kwargs(const Value& node, const std::string& key_path,
                                           const PolicyKwargsRules& rules);

// The map form of `kwargs` ({net_arch: {pi: [..], vf: [..]}, activation_fn: tanh, ortho_init:
// true}; without the value network, {net_arch: [..], activation_fn: relu}): a schema default
// that `recrl describe` and config.resolved.yaml show in full.
RECRL_API Value policy_kwargs_value(const PolicyKwargs& kwargs, bool value_network);

// Turns a Python literal expression — dict(k=v, ...), {'k': v}, [..], (..), numbers, True,
// False, None, strings, dotted names such as nn.ReLU (kept as strings) — into a Value.
// Nodes point at `where` (the string's start; the message gives the offset inside it).
RECRL_API Value parse_python_literal(const std::string& text, const SourceLocation& where,
                                     const std::string& key_path);

}  // namespace recrl::toolkit
