#include "recrl/run/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/run/vec_env.hpp"

namespace recrl {

Evaluator::Evaluator(std::vector<std::shared_ptr<Environment>> envs,
                     std::vector<std::shared_ptr<RewardFunction>> rewards, std::string reward_name,
                     std::int64_t episodes, std::uint64_t eval_seed)
    : envs_(std::move(envs)),
      rewards_(std::move(rewards)),
      reward_name_(std::move(reward_name)),
      episodes_(episodes),
      eval_seed_(eval_seed),
      env_rngs_(envs_.size()),
      reward_rngs_(envs_.size()) {
  RECRL_ASSERT(!envs_.empty() && envs_.size() == rewards_.size(),
               "an evaluator needs environment copies and one reward each");
  RECRL_ASSERT(static_cast<std::int64_t>(envs_.size()) <= episodes_,
               "an evaluator needs no more copies than episodes");
  const auto slots = static_cast<Eigen::Index>(envs_.size());
  const int dim = envs_.front()->spec().observation.size;
  raw_ = Matrix::Zero(dim, slots);
  normalized_ = Matrix::Zero(dim, slots);
  next_ = Matrix::Zero(dim, 1);
  actions_.assign(envs_.size(), 0);
  if (envs_.front()->has_action_masks()) {
    allowed_.assign(envs_.size() * static_cast<std::size_t>(envs_.front()->spec().action.size), 1);
  }
  parts_.assign(rewards_.front()->components().size(), 0.0);
  counts_.assign(envs_.front()->counters().size(), 0.0);
  component_sums_.assign(parts_.size() + counts_.size(), 0.0);
}

void Evaluator::add_episode_counters(int slot) {
  if (counts_.empty()) return;
  envs_[slot]->episode_counters(counts_);
  for (std::size_t c = 0; c < counts_.size(); ++c) component_sums_[parts_.size() + c] += counts_[c];
}

void Evaluator::start_episode(int slot, std::int64_t episode) {
  const auto k = static_cast<std::uint64_t>(episode);
  env_rngs_[slot].seed(derive_seed(eval_seed_, Stream::EvalEnv, k));
  reward_rngs_[slot].seed(derive_seed(eval_seed_, Stream::EvalReward, k));
  envs_[slot]->reset(env_rngs_[slot], raw_.col(slot));
  check_finite_observation(raw_.col(slot), envs_[slot]->spec(), "evaluation environment", 0);
  update_mask(slot);
}

std::span<std::uint8_t> Evaluator::mask_of(int slot) {
  if (allowed_.empty()) return {};
  const auto k = static_cast<std::size_t>(envs_.front()->spec().action.size);
  return {allowed_.data() + k * static_cast<std::size_t>(slot), k};
}

void Evaluator::update_mask(int slot) {
  if (!allowed_.empty()) fill_allowed_actions(*envs_[slot], raw_.col(slot), mask_of(slot));
}

EvalResult Evaluator::run(Algorithm& policy, const ObservationNormalizer* normalizer, Rng& rng) {
  const EnvSpec& spec = envs_.front()->spec();
  const int slots = static_cast<int>(envs_.size());

  std::vector<double> returns(episodes_, 0.0);
  std::vector<std::int64_t> episode_of(slots);
  std::vector<int> lengths(slots, 0);
  EvalResult result;
  result.action_counts.assign(spec.action.size, 0);
  std::fill(component_sums_.begin(), component_sums_.end(), 0.0);

  std::int64_t next_episode = 0;
  int active = 0;
  for (int s = 0; s < slots; ++s) {
    episode_of[s] = next_episode++;
    start_episode(s, episode_of[s]);
    ++active;
  }
  while (active > 0) {
    const Matrix* policy_obs = &raw_;
    if (normalizer != nullptr) {
      normalizer->normalize(raw_, normalized_);
      policy_obs = &normalized_;
    }
    policy.act(ObsBatch{*policy_obs, raw_, allowed_}, ActMode::Greedy, rng, actions_);
    for (int s = 0; s < slots; ++s) {
      if (episode_of[s] < 0) continue;  // this slot has finished its share
      const int action = actions_[s];
      if (action < 0 || action >= spec.action.size) {
        throw PluginError(fmt::format("the policy chose action {} of {} in evaluation", action,
                                      spec.action.size));
      }
      check_allowed(spec, mask_of(s), action, "evaluation", result.steps + 1);
      ++lengths[s];
      const RewardedStep outcome = rewarded_step(
          *envs_[s], *rewards_[s], env_rngs_[s], reward_rngs_[s], action, raw_.col(s), next_.col(0),
          lengths[s], parts_, reward_name_, "evaluation", result.steps + 1);
      returns[episode_of[s]] += outcome.reward;
      for (std::size_t c = 0; c < parts_.size(); ++c) component_sums_[c] += parts_[c];
      ++result.action_counts[action];
      ++result.steps;
      if (outcome.terminated || outcome.truncated) {
        lengths[s] = 0;
        add_episode_counters(s);
        if (next_episode < episodes_) {
          episode_of[s] = next_episode++;
          start_episode(s, episode_of[s]);
        } else {
          episode_of[s] = -1;
          --active;
        }
      } else {
        raw_.col(s) = next_.col(0);
        update_mask(s);
      }
    }
  }

  double sum = 0;
  for (double r : returns) sum += r;
  result.episodes = episodes_;
  result.mean_return = sum / static_cast<double>(episodes_);
  double squares = 0;
  for (double r : returns) squares += (r - result.mean_return) * (r - result.mean_return);
  result.std_return = std::sqrt(squares / static_cast<double>(episodes_));
  for (double component_sum : component_sums_)
    result.component_means.push_back(component_sum / static_cast<double>(episodes_));
  return result;
}

}  // namespace recrl
