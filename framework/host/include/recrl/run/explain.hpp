#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "recrl/core/export.hpp"
#include "recrl/core/types.hpp"
#include "recrl/report/report_data.hpp"
#include "recrl/run/coalition_network.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl {

// The customers explanations are measured against, each with its weight in the background's
// averages: a sample's customers count alike; k-means prototypes count as the share of the
// sample in their cluster (a cluster of half the customers weighs half).
struct Background {
  Matrix customers;         // [d x |B|]
  Eigen::VectorXd weights;  // [|B|], summing to 1
  Background() = default;
  // Customers that count alike.
  Background(Matrix c)  // NOLINT(google-explicit-constructor): a sample is a background
      : customers(std::move(c)),
        weights(Eigen::VectorXd::Constant(
            customers.cols(),
            1.0 / static_cast<double>(std::max<Eigen::Index>(1, customers.cols())))) {}
  Background(Matrix c, Eigen::VectorXd w) : customers(std::move(c)), weights(std::move(w)) {}
  Eigen::Index size() const { return customers.cols(); }
};

// Shapley values (Shapley 1953) of a score f at x against a background set B, with the
// interventional value of a coalition S of features (SHAP's "interventional" expectation):
//   v(S)  = sum over b in B of w_b f(z), z_i = x_i for i in S and b_i otherwise,
//   phi_i = sum over S not holding i of |S|! (d - |S| - 1)! / d! (v(S + i) - v(S)).
// Up to kMaxExactFeatures features, exactly: every one of the 2^d coalitions, 2^d |B| inputs.
// Past it (up to kMaxShapleyFeatures), estimated: the mean marginal contribution over
// kShapleyPermutations orderings drawn in antithetic pairs from kShapleySeed, (d + 1) |B| inputs
// each. Either way the values add up to v(all) - v(none) = f(x) - mean f(B) (efficiency). Each
// distinct input is scored once (a feature on which x and b agree leaves b's input as it was),
// in calls of `score` of at most kShapleyChunk inputs: [d x m] inputs to m scores, or the
// inputs as coalitions through a CoalitionNetwork prepared with x and the background (as the
// network sees them), which builds no inputs.
inline constexpr int kMaxExactFeatures = 16;
inline constexpr int kMaxShapleyFeatures = 32;
inline constexpr int kShapleyPermutations = 256;
inline constexpr Eigen::Index kShapleyChunk = 256;
inline constexpr std::uint64_t kShapleySeed = 0x5368617065ull;  // "Shape"
using BatchScore = std::function<void(const Matrix& inputs, Eigen::VectorXd& scores)>;
struct ShapleyValues {
  Eigen::VectorXd phi;  // [d]
  double base = 0;      // v(none): the background's (weighted) mean score
  double full = 0;      // v(all): f(x)
};
// What one call works in, kept between calls so that explaining many customers does not
// allocate (and fault in) megabytes for each.
struct ShapleyBuffers {
  std::vector<CoalitionInput> inputs;  // the distinct inputs
  std::vector<int> index;              // each (coalition, background customer)'s place in `inputs`
  Matrix chunk;                        // the inputs of one call of a BatchScore, and its scores
  Eigen::VectorXd chunk_scores;
  Eigen::VectorXd scores;  // of every distinct input
  Eigen::VectorXd values;   // v of each coalition
  Eigen::VectorXd weights;  // each coalition's Shapley weight (they depend on d alone)
  // Past kMaxExactFeatures: the orderings, kShapleyPermutations of d features one after the
  // other, drawn once (they depend on d alone).
  std::vector<int> orderings;
};
RECRL_API ShapleyValues shapley_values(const Vector& x, const Background& background,
                                       const BatchScore& score, ShapleyBuffers& buffers);
RECRL_API ShapleyValues shapley_values(const Vector& x, const Background& background,
                                       CoalitionNetwork& network, ShapleyBuffers& buffers);

// One feature's part in a decision.
struct FeatureContribution {
  std::string feature;
  double value = 0;            // the customer's
  double background_mean = 0;  // the background's: "high" or "low" is relative to it
  double contribution = 0;     // its Shapley value
};

// Why a policy chose an action for one customer (docs/explain.md): the chosen action's score
// margin over the runner-up (the scores the policy ranks by: logits, Q-values, predicted or
// expected rewards) split among the features.
struct Explanation {
  int action = 0;
  std::string label;
  int runner_up = 0;
  std::string runner_up_label;
  double margin = 0;                  // score(action) - score(runner-up) for this customer
  double base_margin = 0;             // the same margin, averaged over the background customers
  std::optional<double> probability;  // of the action while the policy explores, where reported
  std::vector<FeatureContribution> contributions;  // largest |contribution| first
  std::vector<std::string> excluded;  // actions the request or the environment's rules ruled out
};

// The background customers of a policy trained on a simulator: `count` drawn from its
// environment's resets with a fixed seed (the same every time). Empty for a policy fitted from
// a log, which has no simulator (give a background file).
RECRL_API Matrix sampled_background(Recommender& policy, int count);

// A background of `k` real customers standing for `sample` ([d x n]): the medoids of k-means
// clusters (k-means++ seeded from `seed`, distances on standardised features), each weighted by
// its cluster's share of the sample. With fewer than k customers, the sample itself. Explaining
// against 8 prototypes costs an eighth of 64 users.
RECRL_API Background prototypes(const Matrix& sample, int k, std::uint64_t seed);

// Throws ConfigError when the policy cannot be explained: more than kMaxShapleyFeatures
// features, or a single action.
RECRL_API void check_explainable(const Recommender& policy);

// What explaining keeps between decisions, so that a server explaining request after request
// does not allocate megabytes for each.
struct ExplainBuffers {
  Matrix user, seen, scores;
  ShapleyBuffers shapley;
  DenseNetwork network;  // Algorithm::score_network's, where it has one
  Matrix background_seen;
  CoalitionNetwork coalitions;
};
// Explains one decision: `action` chosen for `user` (raw features), with `probability` where
// known; the runner-up is the best-scored action not excluded (`excluded`: one flag per action,
// or empty). Throws ConfigError when the policy reports no action scores.
RECRL_API Explanation explain_decision(Recommender& policy, const Vector& user, int action,
                                       std::optional<double> probability,
                                       std::span<const char> excluded, const Background& background,
                                       ExplainBuffers& buffers);

// Explains the policy's recommendations (`decisions`, Recommender::recommend of `users`, one
// per column of [d x n]). Throws ConfigError when the policy reports no action scores, has one
// action, or more than kMaxShapleyFeatures features.
RECRL_API std::vector<Explanation> explain_decisions(Recommender& policy, const Matrix& users,
                                                     const std::vector<Recommendation>& decisions,
                                                     const Background& background);

// The report's global view (recrl report): the policy's greedy choice for `customers` held-out
// customers drawn from its environment, each explained against `k` prototypes of 256 others;
// the mean |contribution| of each feature, overall and per chosen action. Throws ConfigError for
// a policy that cannot be explained; only for a policy with a simulator.
inline constexpr int kImportanceSample = 256;
RECRL_API report::FeatureImportance feature_importance(Recommender& policy, int customers, int k);

// The "why this offer" card of one explanation, in plain words (docs/explain.md).
RECRL_API std::string explanation_card(const Explanation& e, int top = 3);
// The same card appended to `out`, whose memory a server reuses from answer to answer.
RECRL_API void append_explanation_card(std::string& out, const Explanation& e, int top = 3);

}  // namespace recrl
