#include "recrl/serve/served_model.hpp"

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl::serve {

namespace {
// Customers drawn from a simulator to choose the prototypes from.
constexpr int kBackgroundSample = 256;
}  // namespace

Scorer::Scorer(std::unique_ptr<Recommender> p) : policy(std::move(p)) {
  const Eigen::Index features = policy->spec().observation.size;
  raw.resize(features, 1);
  seen.resize(features, 1);
  greedy.assign(1, 0);
}

ServedModel::ServedModel(int version, std::string source, PolicyRecord record,
                         const plugin::PluginRegistry& registry, const ExplainSettings& explain)
    : version_(version),
      source_(std::move(source)),
      record_(std::move(record)),
      registry_(registry) {
  // The first instance checks that the policy loads, and gives the spec.
  auto first = std::make_unique<Scorer>(std::make_unique<Recommender>(record_, source_, registry_));
  Recommender& policy = *first->policy;
  spec_ = policy.spec();
  sparse_features_ = policy.sparse_features();
  try {
    check_explainable(policy);
    const Matrix sample = !explain.background_file.empty()
                              ? read_users_csv(explain.background_file, spec_, sparse_features_)
                              : sampled_background(policy, kBackgroundSample);
    if (sample.cols() == 0) {
      unexplainable_ =
          "the policy was fitted from a log and has no simulator to draw background customers "
          "from: start recrl serve with --explain-background CSV";
    } else {
      background_ = prototypes(sample, explain.prototypes, record_.seed);
    }
  } catch (const ConfigError& e) {
    unexplainable_ = e.what();
  }
  idle_.push_back(std::move(first));
}

ServedModel::Lease ServedModel::lease() const {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Scorer> scorer = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(scorer));
    }
  }
  // Made outside the lock: loading a network takes a while and other requests need not wait.
  return Lease(
      *this, std::make_unique<Scorer>(std::make_unique<Recommender>(record_, source_, registry_)));
}

ServedModel::Lease::~Lease() {
  if (!scorer_) return;
  std::lock_guard lock(model_->mutex_);
  model_->idle_.push_back(std::move(scorer_));
}

int served_distribution(std::span<const float> policy, std::span<const char> excluded, double floor,
                        std::span<float> out) {
  const std::size_t k = policy.size();
  double mass = 0;
  std::size_t allowed = 0;
  int greedy = -1;
  for (std::size_t a = 0; a < k; ++a) {
    if (excluded[a]) continue;
    ++allowed;
    mass += policy[a];
    if (greedy < 0 || policy[a] > policy[static_cast<std::size_t>(greedy)])
      greedy = static_cast<int>(a);
  }
  const double uniform = 1.0 / static_cast<double>(allowed);
  for (std::size_t a = 0; a < k; ++a) {
    if (excluded[a]) {
      out[a] = 0;
      continue;
    }
    const double p = mass > 0 ? policy[a] / mass : uniform;
    out[a] = static_cast<float>((1 - floor) * p + floor * uniform);
  }
  return greedy;
}

std::optional<std::string> exclude_forbidden(Scorer& scorer, const Vector& context,
                                             std::vector<char>& excluded) {
  scorer.raw.col(0) = context;
  if (!scorer.policy->allowed_actions(scorer.raw, scorer.allowed)) return std::nullopt;
  bool any = false;
  for (std::size_t a = 0; a < excluded.size(); ++a) {
    if (scorer.allowed[a] == 0) excluded[a] = 1;
    any |= excluded[a] == 0;
  }
  if (any) return std::nullopt;
  return "the environment's rules allow none of the actions that are not excluded for this "
         "context";
}

void decide(Scorer& scorer, const Vector& context, std::span<const char> excluded,
            const std::string& event_id, const Exploration& exploration, RankDecision& out) {
  Recommender& policy = *scorer.policy;
  const auto k = static_cast<std::size_t>(policy.spec().action.size);
  scorer.raw.col(0) = context;
  policy.algorithm_view(scorer.raw, scorer.seen);
  // The policy itself chooses among what the rules allow (an epsilon-greedy policy whose best
  // action is forbidden plays its best allowed one); `excluded` holds the rules' choice too.
  policy.allowed_actions(scorer.raw, scorer.allowed);
  const ObsBatch batch{scorer.seen, scorer.raw, scorer.allowed};
  Rng rng(splitmix64(exploration.seed ^ util::text_hash(event_id)));
  if (!policy.algorithm().action_probabilities(batch, ActMode::Explore, scorer.probabilities)) {
    // A policy that reports no distribution: its greedy choice, one-hot.
    policy.algorithm().act(batch, ActMode::Greedy, rng, scorer.greedy);
    scorer.probabilities.setZero(static_cast<Eigen::Index>(k), 1);
    scorer.probabilities(scorer.greedy[0], 0) = 1;
  }
  // A policy that puts all its mass on excluded actions (a greedy bandit whose first choice
  // was excluded) chooses among the rest by its scores: its best allowed action, not a uniform
  // draw.
  double allowed_mass = 0;
  for (std::size_t a = 0; a < k; ++a)
    if (!excluded[a]) allowed_mass += scorer.probabilities(static_cast<Eigen::Index>(a), 0);
  if (!(allowed_mass > 0) && policy.algorithm().action_scores(batch, scorer.scores)) {
    int best = -1;
    for (std::size_t a = 0; a < k; ++a) {
      if (excluded[a]) continue;
      const auto i = static_cast<Eigen::Index>(a);
      if (best < 0 || scorer.scores(i, 0) > scorer.scores(best, 0)) best = static_cast<int>(i);
    }
    scorer.probabilities.setZero();
    scorer.probabilities(best, 0) = 1;
  }
  out.probabilities.resize(k);
  out.greedy = served_distribution({scorer.probabilities.data(), k}, excluded, exploration.floor,
                                   out.probabilities);
  // Inverse CDF over the served distribution; the last allowed action takes any rounding rest.
  const double u = rng.uniform();
  double cumulative = 0;
  out.action = -1;
  for (std::size_t a = 0; a < k; ++a) {
    if (excluded[a]) continue;
    out.action = static_cast<int>(a);
    cumulative += out.probabilities[a];
    if (u < cumulative) break;
  }
  out.explored = out.action != out.greedy;
}

}  // namespace recrl::serve
