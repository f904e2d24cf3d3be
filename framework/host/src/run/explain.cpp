#include "recrl/run/explain.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"

namespace recrl {

namespace {

// Scores buffers.inputs into buffers.scores, kShapleyChunk at a time: a network's activations
// for a chunk stay in the core's cache, where those of all 2^d |B| inputs at once (megabytes)
// would not. `score` takes a span of inputs and writes one score each.
template <typename Score>
void score_inputs(const Score& score, ShapleyBuffers& buffers) {
  const auto count = static_cast<Eigen::Index>(buffers.inputs.size());
  const std::span<const CoalitionInput> inputs(buffers.inputs);
  buffers.scores.resize(count);
  for (Eigen::Index first = 0; first < count; first += kShapleyChunk) {
    const Eigen::Index n = std::min<Eigen::Index>(kShapleyChunk, count - first);
    score(inputs.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(n)),
          buffers.chunk_scores);
    RECRL_ASSERT(buffers.chunk_scores.size() == n, "shapley_values: one score per input");
    buffers.scores.segment(first, n) = buffers.chunk_scores;
  }
}

// The features where the customer and background customer b agree, a bit each: a coalition
// that differs from another only there gives b the same input (the feature is a dummy of b's
// game), which is scored once.
std::uint64_t agreeing(const Vector& x, const Matrix& background, Eigen::Index b) {
  std::uint64_t same = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (x[i] == background(i, b)) same |= std::uint64_t{1} << i;
  return same;
}

// v of one coalition: the background's weighted mean of the scores of its inputs, whose places
// are index[first .. first + |B|).
double coalition_value(const Background& background, const ShapleyBuffers& buffers,
                       std::size_t first) {
  double sum = 0;
  for (Eigen::Index b = 0; b < background.size(); ++b)
    sum +=
        background.weights[b] * buffers.scores[buffers.index[first + static_cast<std::size_t>(b)]];
  return sum;
}

// A new distinct input: coalition s at background customer b.
int add_input(ShapleyBuffers& buffers, std::uint64_t s, Eigen::Index b) {
  buffers.inputs.push_back({static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(b)});
  return static_cast<int>(buffers.inputs.size() - 1);
}

// Every one of the 2^d coalitions (explain.hpp).
template <typename Score>
ShapleyValues exact_shapley_values(const Vector& x, const Background& weighted, const Score& score,
                                   ShapleyBuffers& buffers) {
  const Matrix& background = weighted.customers;
  const auto d = static_cast<int>(x.size());
  RECRL_ASSERT(d <= kMaxExactFeatures, "shapley_values: at most kMaxExactFeatures features");
  const Eigen::Index n_background = background.cols();
  const Eigen::Index coalitions = Eigen::Index{1} << d;
  // Coalition S (a bit per feature) takes x where its bit is set, background b elsewhere; its
  // input is inputs[index[S * |B| + b]].
  buffers.inputs.clear();
  std::vector<int>& index = buffers.index;
  index.resize(static_cast<std::size_t>(coalitions * n_background));
  for (Eigen::Index b = 0; b < n_background; ++b) {
    const auto differ = static_cast<Eigen::Index>(~agreeing(x, background, b));
    for (Eigen::Index s = 0; s < coalitions; ++s) {
      const auto at = static_cast<std::size_t>(s * n_background + b);
      // S's input is that of S without the agreeing features: a coalition no larger, met before.
      const Eigen::Index same_input = s & differ;
      index[at] = same_input != s ? index[static_cast<std::size_t>(same_input * n_background + b)]
                                  : add_input(buffers, static_cast<std::uint64_t>(s), b);
    }
  }
  score_inputs(score, buffers);
  Eigen::VectorXd& v = buffers.values;
  v.resize(coalitions);
  for (Eigen::Index s = 0; s < coalitions; ++s)
    v[s] = coalition_value(weighted, buffers, static_cast<std::size_t>(s * n_background));
  // Each coalition's weight, k! (d - k - 1)! / d! for k features (the last, all d, unused).
  Eigen::VectorXd& w = buffers.weights;
  if (w.size() != coalitions) {
    w.resize(coalitions);
    for (Eigen::Index s = 0; s < coalitions; ++s) {
      const int k = std::popcount(static_cast<std::uint64_t>(s));
      w[s] = k == d ? 0.0
                    : std::exp(std::lgamma(k + 1.0) + std::lgamma(d - k + 0.0) -
                               std::lgamma(d + 1.0));
    }
  }
  // phi_i = the sum over S without i of w(S) (v(S + i) - v(S)). The coalitions without i come
  // in runs of 2^i, each just before the same run with i, so each run is one vectorised sum.
  ShapleyValues out;
  out.phi.resize(d);
  for (int i = 0; i < d; ++i) {
    const Eigen::Index run = Eigen::Index{1} << i;
    double sum = 0;
    for (Eigen::Index s = 0; s < coalitions; s += 2 * run)
      sum += (w.segment(s, run).array() * (v.segment(s + run, run) - v.segment(s, run)).array())
                 .sum();
    out.phi[i] = sum;
  }
  out.base = v[0];
  out.full = v[coalitions - 1];
  return out;
}

// Past kMaxExactFeatures features: the mean marginal contribution over kShapleyPermutations
// orderings (Castro, Gomez & Tejada 2009), drawn in antithetic pairs (an ordering and its
// reverse) from a fixed seed, so the same customer gets the same values every time. Each
// ordering's contributions add up to v(all) - v(none), so efficiency stays exact.
template <typename Score>
ShapleyValues sampled_shapley_values(const Vector& x, const Background& weighted,
                                     const Score& score, ShapleyBuffers& buffers) {
  const Matrix& background = weighted.customers;
  const auto d = static_cast<int>(x.size());
  const Eigen::Index n_background = background.cols();
  const int orderings = kShapleyPermutations;
  std::vector<int>& orders = buffers.orderings;
  const auto n_order = static_cast<std::size_t>(d);
  if (orders.size() != static_cast<std::size_t>(orderings) * n_order) {
    orders.resize(static_cast<std::size_t>(orderings) * n_order);
    Rng rng(kShapleySeed);
    for (int p = 0; p < orderings; p += 2) {
      const auto first = orders.begin() + static_cast<std::ptrdiff_t>(p * n_order);
      const auto reverse = first + static_cast<std::ptrdiff_t>(n_order);
      for (int i = 0; i < d; ++i) first[i] = i;
      for (int i = d - 1; i > 0; --i)  // Fisher-Yates
        std::swap(
            first[i],
            first[static_cast<std::ptrdiff_t>(rng.uniform_int(static_cast<std::uint64_t>(i) + 1))]);
      std::reverse_copy(first, reverse, reverse);
    }
  }
  const auto feature_at = [&](int p, int k) {
    return orders[static_cast<std::size_t>(p) * n_order + static_cast<std::size_t>(k)];
  };
  // Ordering p's k-th coalition (its first k features) at background b has its input at
  // index[(p * (d + 1) + k) * |B| + b]: the customer (every ordering's last coalition), each
  // background customer (every ordering's first), and in between a new input only where the
  // feature added differs from b's. Background customer by customer, so that consecutive
  // inputs share one.
  const std::uint64_t all = (std::uint64_t{1} << d) - 1;
  buffers.inputs.clear();
  std::vector<int>& index = buffers.index;
  index.resize(static_cast<std::size_t>(orderings * (d + 1) * n_background));
  for (Eigen::Index b = 0; b < n_background; ++b) {
    const int customer = add_input(buffers, all, b);
    const int alone = add_input(buffers, 0, b);
    for (int p = 0; p < orderings; ++p) {
      const auto at = [&](int k) {
        return static_cast<std::size_t>(
            (static_cast<Eigen::Index>(p) * (d + 1) + k) * n_background + b);
      };
      index[at(0)] = alone;
      std::uint64_t s = 0;
      for (int k = 0; k < d; ++k) {
        const int feature = feature_at(p, k);
        s |= std::uint64_t{1} << feature;
        if (k == d - 1) {
          index[at(k + 1)] = customer;
        } else if (x[feature] == background(feature, b)) {
          index[at(k + 1)] = index[at(k)];
        } else {
          index[at(k + 1)] = add_input(buffers, s, b);
        }
      }
    }
  }
  score_inputs(score, buffers);
  // v of ordering p's k-th coalition.
  const auto value = [&](int p, int k) {
    return coalition_value(
        weighted, buffers,
        static_cast<std::size_t>((static_cast<Eigen::Index>(p) * (d + 1) + k) * n_background));
  };
  ShapleyValues out;
  out.phi = Eigen::VectorXd::Zero(d);
  for (int p = 0; p < orderings; ++p) {
    double before = value(p, 0);
    for (int k = 0; k < d; ++k) {
      const double after = value(p, k + 1);
      out.phi[feature_at(p, k)] += after - before;
      before = after;
    }
  }
  out.phi /= orderings;
  out.base = value(0, 0);
  out.full = value(0, d);
  return out;
}

template <typename Score>
ShapleyValues shapley_values_of(const Vector& x, const Background& background, const Score& score,
                                ShapleyBuffers& buffers) {
  RECRL_ASSERT(background.customers.rows() == x.size() && background.size() > 0 &&
                   background.weights.size() == background.size(),
               "shapley_values: a background of the customer's features, a weight each");
  return x.size() <= kMaxExactFeatures ? exact_shapley_values(x, background, score, buffers)
                                       : sampled_shapley_values(x, background, score, buffers);
}

}  // namespace

ShapleyValues shapley_values(const Vector& x, const Background& background, const BatchScore& score,
                             ShapleyBuffers& buffers) {
  const Matrix& customers = background.customers;
  Matrix& chunk = buffers.chunk;
  // Each chunk's inputs built, then scored.
  const auto build_and_score = [&](std::span<const CoalitionInput> inputs, Eigen::VectorXd& out) {
    const auto d = static_cast<int>(x.size());
    chunk.resize(d, static_cast<Eigen::Index>(inputs.size()));
    for (Eigen::Index j = 0; j < chunk.cols(); ++j) {
      const CoalitionInput& input = inputs[static_cast<std::size_t>(j)];
      const float* customer = customers.col(input.background).data();
      float* z = chunk.col(j).data();
      for (int i = 0; i < d; ++i) z[i] = (input.coalition >> i) & 1 ? x[i] : customer[i];
    }
    score(chunk, out);
  };
  return shapley_values_of(x, background, build_and_score, buffers);
}

ShapleyValues shapley_values(const Vector& x, const Background& background,
                             CoalitionNetwork& network, ShapleyBuffers& buffers) {
  return shapley_values_of(
      x, background,
      [&](std::span<const CoalitionInput> inputs, Eigen::VectorXd& out) {
        network.margins(inputs, out);
      },
      buffers);
}

namespace {

// `count` customers from the policy's environment, drawn from a stream of their own (apart
// from training's and evaluation's), named by `stream`.
Matrix drawn_customers(Recommender& policy, int count, std::uint64_t stream) {
  if (!policy.has_simulator()) return Matrix();
  Matrix users(policy.spec().observation.size, count);
  Rng rng(derive_seed(policy.record().seed, Stream::User, stream));
  for (int j = 0; j < count; ++j) policy.environment().reset(rng, users.col(j));
  return users;
}

}  // namespace

Matrix sampled_background(Recommender& policy, int count) {
  return drawn_customers(policy, count, 0x6578706c61696eull);  // "explain"
}

report::FeatureImportance feature_importance(Recommender& policy, int customers, int k) {
  check_explainable(policy);
  const EnvSpec& spec = policy.spec();
  const Matrix users = drawn_customers(policy, customers, 0x68656c646f7574ull);  // "heldout"
  const Background background =
      prototypes(sampled_background(policy, kImportanceSample), k, policy.record().seed);
  RECRL_ASSERT(users.cols() > 0, "feature_importance: a policy with a simulator");
  const auto features = static_cast<std::size_t>(spec.observation.size);
  const auto actions = static_cast<std::size_t>(spec.action.size);
  report::FeatureImportance out;
  out.customers = customers;
  out.features = spec.observation.labels;
  out.actions = spec.action.labels;
  out.overall.assign(features, 0);
  out.by_action.assign(features, std::vector<double>(actions, 0));
  out.chosen.assign(actions, 0);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < features; ++i) index[out.features[i]] = i;
  const std::vector<Recommendation> decisions = policy.recommend(users);
  ExplainBuffers buffers;
  for (Eigen::Index j = 0; j < users.cols(); ++j) {
    const int action = decisions[static_cast<std::size_t>(j)].action;
    const Explanation e =
        explain_decision(policy, users.col(j), action, std::nullopt, {}, background, buffers);
    const auto a = static_cast<std::size_t>(action);
    ++out.chosen[a];
    for (const FeatureContribution& c : e.contributions) {
      const std::size_t i = index.at(c.feature);
      out.overall[i] += std::abs(c.contribution);
      out.by_action[i][a] += std::abs(c.contribution);
    }
  }
  for (std::size_t i = 0; i < features; ++i) {
    out.overall[i] /= static_cast<double>(customers);
    for (std::size_t a = 0; a < actions; ++a)
      if (out.chosen[a] > 0) out.by_action[i][a] /= out.chosen[a];
  }
  return out;
}

namespace {

// The allowed action with the best score other than `chosen` (-1 when there is none).
int runner_up(const Eigen::Ref<const Eigen::VectorXf>& scores, int chosen,
              std::span<const char> excluded) {
  int second = -1;
  for (int a = 0; a < scores.size(); ++a) {
    if (a == chosen || (!excluded.empty() && excluded[static_cast<std::size_t>(a)])) continue;
    if (second < 0 || scores[a] > scores[second]) second = a;
  }
  return second;
}

// The policy's action scores of raw features `raw` ([d x m]).
const Matrix& scores_of(Recommender& policy, const Matrix& raw, ExplainBuffers& b) {
  policy.algorithm_view(raw, b.seen);
  if (!policy.algorithm().action_scores(ObsBatch{b.seen, raw}, b.scores)) {
    throw ConfigError(
        fmt::format("explain: algorithm '{}' reports no action scores to explain "
                    "its choice by",
                    policy.record().algorithm.plugin));
  }
  return b.scores;
}

// The Shapley values of the margin score(action) - score(runner_up): through the layers of the
// algorithm's score network where it gives one, else by scoring each input whole. buffers.seen
// holds `user` as the algorithm sees it (scores_of(user) has just run, for the runner-up).
ShapleyValues margin_shapley_values(Recommender& policy, const Vector& user,
                                    const Background& background, int action, int runner_up,
                                    ExplainBuffers& buffers) {
  if (policy.algorithm().score_network(buffers.network)) {
    policy.algorithm_view(background.customers, buffers.background_seen);
    buffers.coalitions.prepare(buffers.network, action, runner_up, buffers.seen.col(0),
                               buffers.background_seen);
    return shapley_values(user, background, buffers.coalitions, buffers.shapley);
  }
  return shapley_values(
      user, background,
      [&](const Matrix& inputs, Eigen::VectorXd& f) {
        const Matrix& s = scores_of(policy, inputs, buffers);
        f.resize(s.cols());
        for (Eigen::Index c = 0; c < s.cols(); ++c)
          f[c] = static_cast<double>(s(action, c)) - static_cast<double>(s(runner_up, c));
      },
      buffers.shapley);
}

}  // namespace

void check_explainable(const Recommender& policy) {
  const EnvSpec& spec = policy.spec();
  if (spec.observation.size > kMaxShapleyFeatures) {
    throw ConfigError(
        fmt::format("explain: Shapley values take at most {} features; the "
                    "policy reads {}",
                    kMaxShapleyFeatures, spec.observation.size));
  }
  if (spec.action.size < 2) throw ConfigError("explain: the policy has a single action");
}

Explanation explain_decision(Recommender& policy, const Vector& user, int action,
                             std::optional<double> probability, std::span<const char> excluded,
                             const Background& background, ExplainBuffers& buffers) {
  const EnvSpec& spec = policy.spec();
  RECRL_ASSERT(background.customers.rows() == spec.observation.size && background.size() > 0,
               "explain: a background of the policy's features");
  buffers.user = user;
  Explanation e;
  e.action = action;
  e.label = spec.action.labels[static_cast<std::size_t>(action)];
  e.probability = probability;
  for (std::size_t a = 0; a < excluded.size(); ++a)
    if (excluded[a]) e.excluded.push_back(spec.action.labels[a]);
  e.runner_up = runner_up(scores_of(policy, buffers.user, buffers).col(0), action, excluded);
  if (e.runner_up < 0) {
    // Nothing else was allowed: the choice had no alternative to be explained against.
    e.runner_up = action;
    e.runner_up_label = e.label;
    return e;
  }
  e.runner_up_label = spec.action.labels[static_cast<std::size_t>(e.runner_up)];
  const ShapleyValues values =
      margin_shapley_values(policy, user, background, e.action, e.runner_up, buffers);
  e.margin = values.full;
  e.base_margin = values.base;
  for (int i = 0; i < spec.observation.size; ++i) {
    e.contributions.push_back({spec.observation.labels[static_cast<std::size_t>(i)], user[i],
                               background.customers.row(i).cast<double>().dot(background.weights),
                               values.phi[i]});
  }
  std::stable_sort(e.contributions.begin(), e.contributions.end(),
                   [](const FeatureContribution& a, const FeatureContribution& b) {
                     return std::abs(a.contribution) > std::abs(b.contribution);
                   });
  return e;
}

std::vector<Explanation> explain_decisions(Recommender& policy, const Matrix& users,
                                           const std::vector<Recommendation>& decisions,
                                           const Background& background) {
  check_explainable(policy);
  RECRL_ASSERT(decisions.size() == static_cast<std::size_t>(users.cols()),
               "explain: one recommendation per user");
  ExplainBuffers buffers;
  std::vector<Explanation> out;
  // The runner-up is an action the environment's rules allow for this user (docs/masks.md).
  std::vector<std::uint8_t> allowed;
  const bool masked = policy.allowed_actions(users, allowed);
  const auto k = static_cast<std::size_t>(policy.spec().action.size);
  std::vector<char> excluded(masked ? k : 0);
  for (Eigen::Index j = 0; j < users.cols(); ++j) {
    const Recommendation& d = decisions[static_cast<std::size_t>(j)];
    const std::optional<double> probability =
        d.probabilities
            ? std::optional<double>((*d.probabilities)[static_cast<std::size_t>(d.action)])
            : std::nullopt;
    for (std::size_t a = 0; a < excluded.size(); ++a)
      excluded[a] = allowed[k * static_cast<std::size_t>(j) + a] == 0 ? 1 : 0;
    out.push_back(explain_decision(policy, users.col(j), d.action, probability, excluded,
                                   background, buffers));
  }
  return out;
}

Background prototypes(const Matrix& sample, int k, std::uint64_t seed) {
  const Eigen::Index n = sample.cols(), d = sample.rows();
  if (n <= k) return Background(sample);
  // Distances on standardised features, so that a feature in hundreds (monetary value) does
  // not outweigh the flags.
  const Eigen::VectorXd mean = sample.cast<double>().rowwise().mean();
  Eigen::VectorXd scale =
      ((sample.cast<double>().colwise() - mean).array().square().rowwise().mean()).sqrt();
  for (Eigen::Index i = 0; i < d; ++i)
    if (!(scale[i] > 0)) scale[i] = 1;
  const Eigen::MatrixXd z =
      (sample.cast<double>().colwise() - mean).array().colwise() / scale.array();
  // k-means++ seeding: each next centre drawn with probability proportional to the squared
  // distance to the nearest centre so far.
  Rng rng(seed);
  Eigen::MatrixXd centres(d, k);
  Eigen::VectorXd nearest = Eigen::VectorXd::Constant(n, INFINITY);
  centres.col(0) = z.col(static_cast<Eigen::Index>(rng.uniform_int(static_cast<std::uint64_t>(n))));
  for (int c = 1; c < k; ++c) {
    for (Eigen::Index j = 0; j < n; ++j)
      nearest[j] = std::min(nearest[j], (z.col(j) - centres.col(c - 1)).squaredNorm());
    double u = rng.uniform() * nearest.sum();
    Eigen::Index pick = n - 1;
    for (Eigen::Index j = 0; j < n; ++j) {
      u -= nearest[j];
      if (u < 0) {
        pick = j;
        break;
      }
    }
    centres.col(c) = z.col(pick);
  }
  // Lloyd's iterations until no customer changes cluster (at most 100).
  std::vector<int> cluster(static_cast<std::size_t>(n), -1);
  for (int iteration = 0; iteration < 100; ++iteration) {
    bool changed = false;
    for (Eigen::Index j = 0; j < n; ++j) {
      Eigen::Index best = 0;
      (centres.colwise() - z.col(j)).colwise().squaredNorm().minCoeff(&best);
      if (cluster[static_cast<std::size_t>(j)] != best) changed = true;
      cluster[static_cast<std::size_t>(j)] = static_cast<int>(best);
    }
    if (!changed) break;
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(d, k);
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
    for (Eigen::Index j = 0; j < n; ++j) {
      sums.col(cluster[static_cast<std::size_t>(j)]) += z.col(j);
      counts[cluster[static_cast<std::size_t>(j)]] += 1;
    }
    for (int c = 0; c < k; ++c)
      if (counts[c] > 0) centres.col(c) = sums.col(c) / counts[c];
  }
  // Each cluster's medoid: the customer nearest its centre, a real one (a centre's mean of
  // flags, 0.6 say, is no customer a policy was trained on).
  Matrix out(d, k);
  Eigen::VectorXd weights(k);
  int found = 0;
  for (int c = 0; c < k; ++c) {
    Eigen::Index best = -1;
    double best_distance = INFINITY;
    for (Eigen::Index j = 0; j < n; ++j) {
      if (cluster[static_cast<std::size_t>(j)] != c) continue;
      const double distance = (z.col(j) - centres.col(c)).squaredNorm();
      if (distance < best_distance) {
        best_distance = distance;
        best = j;
      }
    }
    if (best < 0) continue;
    out.col(found) = sample.col(best);
    weights[found++] =
        static_cast<double>(std::count(cluster.begin(), cluster.end(), c)) / static_cast<double>(n);
  }
  return Background(out.leftCols(found), weights.head(found));
}

std::string explanation_card(const Explanation& e, int top) {
  std::string card;
  append_explanation_card(card, e, top);
  return card;
}

void append_explanation_card(std::string& out, const Explanation& e, int top) {
  auto it = std::back_inserter(out);
  const auto list = [&](bool positive) {
    int shown = 0;
    for (const FeatureContribution& c : e.contributions) {
      if (shown == top || (positive ? c.contribution <= 0 : c.contribution >= 0)) continue;
      fmt::format_to(it, "{}{} {:.4g} ({}): {:+.3f}", shown == 0 ? "" : ", ", c.feature, c.value,
                     c.value > c.background_mean   ? "high"
                     : c.value < c.background_mean ? "low"
                                                   : "typical",
                     c.contribution);
      ++shown;
    }
    if (shown == 0) out += "none";
    out += '\n';
  };
  fmt::format_to(it, "Why {}:\n", e.label);
  if (e.probability) fmt::format_to(it, "  chosen with probability {:.3f}\n", *e.probability);
  if (e.runner_up == e.action) {
    out += "  the only action the request allowed\n";
  } else if (e.margin >= 0) {
    fmt::format_to(
        it,
        "  ahead of the runner-up {} by {:.3f} in the policy's score (a typical customer: "
        "{:.3f})\n",
        e.runner_up_label, e.margin, e.base_margin);
  } else {
    // Drawn while exploring: the policy itself ranks the runner-up first.
    fmt::format_to(it,
                   "  an exploring draw: behind the policy's choice {} by {:.3f} in its score (a "
                   "typical customer: {:.3f})\n",
                   e.runner_up_label, -e.margin, -e.base_margin);
  }
  out += "  for:     ";
  list(true);
  out += "  against: ";
  list(false);
  if (!e.excluded.empty())
    fmt::format_to(it, "  not allowed (the request or the contact rules): {}\n",
                   fmt::join(e.excluded, ", "));
}

}  // namespace recrl
