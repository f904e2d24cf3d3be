#include "recrl/toolkit/linear_bandit.hpp"

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"
#include "recrl/toolkit/spaces_check.hpp"

namespace recrl::toolkit {

namespace {

constexpr const char* kStateTag = "recrl.linear_bandit.1";

const EnvSpec& checked_spec(const PluginContext& ctx, const std::string& algorithm) {
  require_box_observations_and_discrete_actions(ctx, algorithm);
  return *ctx.env;
}

}  // namespace

void LinearBandit::add_common_params(ParamSchema& schema) {
  schema
      .real("lambda", 1.0,
            "ridge regularisation: each action's A starts as lambda I (a prior of theta = 0 "
            "worth lambda observations)")
      .greater_than(0);
}

LinearBandit::LinearBandit(const Params& params, const PluginContext& ctx,
                           const std::string& algorithm)
    : arms_(checked_spec(ctx, algorithm).action.size, ctx.env->observation.size,
            params.get_double("lambda")),
      allowed_({}, ctx.env->action.size, 0),
      algorithm_(algorithm),
      probs_(static_cast<std::size_t>(ctx.env->action.size)) {}

void LinearBandit::set_context(const ObsBatch& obs, Eigen::Index j) const {
  arms_.set_context(obs.obs.col(j));
  allowed_ = AllowedActions(obs.allowed, arms_.actions(), j);
}

int LinearBandit::best_mean() const {
  int best = -1;
  double best_value = 0;
  for (int a = 0; a < arms_.actions(); ++a) {
    if (!allowed_(a)) continue;
    const double value = arms_.mean(a);
    if (best < 0 || value > best_value) {
      best = a;
      best_value = value;
    }
  }
  return best;
}

void LinearBandit::act(const ObsBatch& obs, ActMode mode, Rng& rng, std::span<int> actions) {
  for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
    set_context(obs, j);
    actions[static_cast<std::size_t>(j)] = mode == ActMode::Greedy ? best_mean() : explore(rng);
  }
}

bool LinearBandit::observe(const StepBatch& step) {
  for (Eigen::Index j = 0; j < step.obs.cols(); ++j) {
    arms_.set_context(step.obs.col(j));
    arms_.update(step.actions[static_cast<std::size_t>(j)], static_cast<double>(step.rewards[j]));
    ++steps_;
  }
  return false;  // learned as observed: update() is never due
}

bool LinearBandit::learn_from_log(const LoggedBatch& batch) {
  for (Eigen::Index j = 0; j < batch.obs.cols(); ++j) {
    const auto i = static_cast<std::size_t>(j);
    arms_.set_context(batch.obs.col(j));
    arms_.accumulate(batch.actions[i], batch.rewards[i], batch.weights[i]);
    ++steps_;
  }
  arms_.solve();
  return true;
}

void LinearBandit::update(Rng&, Metrics&) {}

void LinearBandit::save(std::ostream& out) const {
  write_tag(out, kStateTag);
  write_pod<std::int64_t>(out, steps_);
  arms_.save(out);
}

void LinearBandit::load(std::istream& in) {
  expect_tag(in, kStateTag);
  steps_ = read_pod<std::int64_t>(in, algorithm_ + " step count");
  if (steps_ < 0) throw DataError(SourceLocation{}, algorithm_ + ": a negative step count");
  arms_.load(in, algorithm_.c_str());
}

bool LinearBandit::action_probabilities(const ObsBatch& obs, ActMode mode, Matrix& probs) const {
  probs = Matrix::Zero(arms_.actions(), obs.obs.cols());
  for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
    set_context(obs, j);
    if (mode == ActMode::Greedy) {
      probs(best_mean(), j) = 1;
      continue;
    }
    explore_probabilities(probs_);
    for (int a = 0; a < arms_.actions(); ++a) {
      probs(a, j) = static_cast<float>(probs_[static_cast<std::size_t>(a)]);
    }
  }
  return true;
}

bool LinearBandit::state_values(const ObsBatch& obs, Vector& values) const {
  values.resize(obs.obs.cols());
  for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
    set_context(obs, j);
    values[j] = static_cast<Scalar>(arms_.mean(best_mean()));
  }
  return true;
}

bool LinearBandit::action_scores(const ObsBatch& obs, Matrix& scores) const {
  // All columns at once: [theta_a^T] [obs; 1], one matrix product (explanations score
  // thousands of inputs per customer).
  const Eigen::Index d = arms_.dim() - 1;
  Matrix theta(arms_.actions(), d + 1);
  for (int a = 0; a < arms_.actions(); ++a)
    theta.row(a) = arms_.theta(a).transpose().cast<Scalar>();
  scores.resize(arms_.actions(), obs.obs.cols());
  scores.noalias() = theta.leftCols(d) * obs.obs;
  scores.colwise() += theta.col(d);
  return true;
}

}  // namespace recrl::toolkit
