#include "recrl/run/explain.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"

namespace recrl {

ShapleyValues shapley_values(const Vector& x, const Matrix& background, const BatchScore& score,
                             ShapleyBuffers& buffers) {
  const auto d = static_cast<int>(x.size());
  RECRL_ASSERT(d <= kMaxExactFeatures && background.rows() == d && background.cols() > 0,
               "shapley_values: at most kMaxExactFeatures features, a background of as many");
  const Eigen::Index n_background = background.cols();
  const Eigen::Index coalitions = Eigen::Index{1} << d;
  // Coalition S (a bit per feature) takes x where its bit is set, the background elsewhere.
  Matrix& inputs = buffers.inputs;
  inputs.resize(d, coalitions * n_background);
  for (Eigen::Index s = 0; s < coalitions; ++s) {
    for (Eigen::Index b = 0; b < n_background; ++b) {
      const Eigen::Index column = s * n_background + b;
      for (int i = 0; i < d; ++i) {
        inputs(i, column) = (s >> i) & 1 ? x[i] : background(i, b);
      }
    }
  }
  Eigen::VectorXd& scores = buffers.scores;
  score(inputs, scores);
  RECRL_ASSERT(scores.size() == inputs.cols(), "shapley_values: one score per input");
  Eigen::VectorXd v(coalitions);
  for (Eigen::Index s = 0; s < coalitions; ++s) {
    v[s] = scores.segment(s * n_background, n_background).mean();
  }
  // The weight of a coalition of k features: k! (d - k - 1)! / d!.
  std::vector<double> weight(static_cast<std::size_t>(d));
  for (int k = 0; k < d; ++k) {
    weight[static_cast<std::size_t>(k)] =
        std::exp(std::lgamma(k + 1.0) + std::lgamma(d - k + 0.0) - std::lgamma(d + 1.0));
  }
  ShapleyValues out;
  out.phi = Eigen::VectorXd::Zero(d);
  for (Eigen::Index s = 0; s < coalitions; ++s) {
    const int k = std::popcount(static_cast<std::uint64_t>(s));
    for (int i = 0; i < d; ++i) {
      if ((s >> i) & 1) continue;
      out.phi[i] += weight[static_cast<std::size_t>(k)] * (v[s | (Eigen::Index{1} << i)] - v[s]);
    }
  }
  out.base = v[0];
  out.full = v[coalitions - 1];
  return out;
}

Matrix sampled_background(Recommender& policy, int count) {
  if (!policy.has_simulator()) return Matrix();
  const EnvSpec& spec = policy.spec();
  Matrix users(spec.observation.size, count);
  // A stream of its own, apart from training's and evaluation's.
  Rng rng(derive_seed(policy.record().seed, Stream::User, 0x6578706c61696eull));  // "explain"
  for (int j = 0; j < count; ++j) policy.environment().reset(rng, users.col(j));
  return users;
}

namespace {

// The action with the best score other than `chosen`.
int runner_up(const Eigen::Ref<const Eigen::VectorXf>& scores, int chosen) {
  int second = chosen == 0 ? 1 : 0;
  for (int a = 0; a < scores.size(); ++a) {
    if (a != chosen && scores[a] > scores[second]) second = a;
  }
  return second;
}

}  // namespace

std::vector<Explanation> explain_decisions(Recommender& policy, const Matrix& users,
                                           const std::vector<Recommendation>& decisions,
                                           const Matrix& background) {
  const EnvSpec& spec = policy.spec();
  const std::string& algorithm = policy.record().algorithm.plugin;
  if (spec.observation.size > kMaxExactFeatures) {
    throw ConfigError(
        fmt::format("explain: exact Shapley values take at most {} features; the "
                    "policy reads {}",
                    kMaxExactFeatures, spec.observation.size));
  }
  if (spec.action.size < 2) throw ConfigError("explain: the policy has a single action");
  RECRL_ASSERT(background.rows() == spec.observation.size && background.cols() > 0,
               "explain: a background of the policy's features");
  Matrix seen, scores;
  const auto scores_of = [&](const Matrix& raw) -> const Matrix& {
    policy.algorithm_view(raw, seen);
    if (!policy.algorithm().action_scores(ObsBatch{seen, raw}, scores)) {
      throw ConfigError(fmt::format(
          "explain: algorithm '{}' reports no action scores to explain its choice by", algorithm));
    }
    return scores;
  };
  RECRL_ASSERT(decisions.size() == static_cast<std::size_t>(users.cols()),
               "explain: one recommendation per user");
  // The runner-up is the best action by score other than the one recommended.
  const Matrix user_scores = scores_of(users);
  ShapleyBuffers buffers;
  std::vector<Explanation> out;
  for (Eigen::Index j = 0; j < users.cols(); ++j) {
    const Recommendation& decision = decisions[static_cast<std::size_t>(j)];
    Explanation e;
    e.action = decision.action;
    e.label = decision.label;
    e.runner_up = runner_up(user_scores.col(j), e.action);
    e.runner_up_label = spec.action.labels[static_cast<std::size_t>(e.runner_up)];
    if (decision.probabilities)
      e.probability = (*decision.probabilities)[static_cast<std::size_t>(e.action)];
    const ShapleyValues values = shapley_values(
        users.col(j), background,
        [&](const Matrix& inputs, Eigen::VectorXd& f) {
          const Matrix& s = scores_of(inputs);
          f.resize(s.cols());
          for (Eigen::Index c = 0; c < s.cols(); ++c) {
            f[c] = static_cast<double>(s(e.action, c)) - static_cast<double>(s(e.runner_up, c));
          }
        },
        buffers);
    e.margin = values.full;
    e.base_margin = values.base;
    for (int i = 0; i < spec.observation.size; ++i) {
      e.contributions.push_back({spec.observation.labels[static_cast<std::size_t>(i)], users(i, j),
                                 background.row(i).cast<double>().mean(), values.phi[i]});
    }
    std::stable_sort(e.contributions.begin(), e.contributions.end(),
                     [](const FeatureContribution& a, const FeatureContribution& b) {
                       return std::abs(a.contribution) > std::abs(b.contribution);
                     });
    out.push_back(std::move(e));
  }
  return out;
}

std::string explanation_card(const Explanation& e, int top) {
  const auto listed = [&](bool positive) {
    std::string text;
    int shown = 0;
    for (const FeatureContribution& c : e.contributions) {
      if (shown == top || (positive ? c.contribution <= 0 : c.contribution >= 0)) continue;
      text += fmt::format("{}{} {:.4g} ({}): {:+.3f}", shown == 0 ? "" : ", ", c.feature, c.value,
                          c.value > c.background_mean   ? "high"
                          : c.value < c.background_mean ? "low"
                                                        : "typical",
                          c.contribution);
      ++shown;
    }
    return text.empty() ? std::string("none") : text;
  };
  std::string card = fmt::format("Why {}:\n", e.label);
  if (e.probability) {
    card += fmt::format("  chosen with probability {:.3f} when exploring\n", *e.probability);
  }
  card += fmt::format(
      "  ahead of the runner-up {} by {:.3f} in the policy's score (a typical customer: {:.3f})\n",
      e.runner_up_label, e.margin, e.base_margin);
  card += "  for:     " + listed(true) + "\n";
  card += "  against: " + listed(false) + "\n";
  return card;
}

}  // namespace recrl
