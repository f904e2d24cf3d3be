// `linear_greedy`: an example algorithm plugin built out of tree against the installed recrl
// SDK, walked through in docs/plugins.md. A contextual bandit: for each action a, a ridge
// regression of the reward on the observation x (with a constant 1 appended),
//   theta_a = (lambda I + sum x x^T)^-1 (sum r x),
// kept as the inverse matrix, updated by Sherman-Morrison for each observed step:
//   A^-1 <- A^-1 - (A^-1 x)(A^-1 x)^T / (1 + x^T A^-1 x),   b <- b + r x.
// It explores with probability epsilon (a uniform action for the whole batch of copies drawn
// one by one) and otherwise plays argmax_a theta_a . x. Steps are learned as they are observed,
// so update() has nothing to do. Nothing allocates after the constructor.
#include <istream>
#include <ostream>
#include <span>
#include <vector>

#include <recrl/plugin/export.hpp>
#include <recrl/toolkit/binary_io.hpp>

namespace {

class LinearGreedy final : public recrl::Algorithm {
 public:
  static recrl::ParamSchema schema() {
    recrl::ParamSchema s;
    s.real("epsilon", 0.05, "probability of a uniformly random action while training").range(0, 1);
    s.real("lambda", 1.0, "ridge regularisation: A starts as lambda I").greater_than(0);
    return s;
  }

  LinearGreedy(const recrl::Params& params, const recrl::PluginContext& ctx)
      : epsilon_(params.get_double("epsilon")),
        dim_(ctx.env->observation.size + 1),
        a_inv_(ctx.env->action.size,
               Eigen::MatrixXd::Identity(dim_, dim_) / params.get_double("lambda")),
        b_(ctx.env->action.size, Eigen::VectorXd::Zero(dim_)),
        x_(dim_),
        a_inv_x_(dim_),
        scaled_(dim_) {
    if (ctx.env->action.kind != recrl::Space::Kind::Discrete) {
      throw recrl::ConfigError(ctx.where, ctx.key_path, "linear_greedy needs discrete actions");
    }
  }

  // Explore (training): epsilon-greedy. Greedy (evaluation, recommend): the best estimate.
  void act(const recrl::ObsBatch& obs, recrl::ActMode mode, recrl::Rng& rng,
           std::span<int> actions) override {
    for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
      const bool explore = mode == recrl::ActMode::Explore && rng.uniform() < epsilon_;
      actions[static_cast<std::size_t>(j)] =
          explore ? static_cast<int>(rng.uniform_int(b_.size())) : best_action(obs.obs.col(j));
    }
  }

  // One rank-one update per environment copy of the step that followed act().
  bool observe(const recrl::StepBatch& step) override {
    for (Eigen::Index j = 0; j < step.obs.cols(); ++j) {
      const auto a = static_cast<std::size_t>(step.actions[static_cast<std::size_t>(j)]);
      set_features(step.obs.col(j));
      a_inv_x_.noalias() = a_inv_[a] * x_;
      scaled_ = a_inv_x_ / (1.0 + x_.dot(a_inv_x_));
      a_inv_[a].noalias() -= scaled_ * a_inv_x_.transpose();
      b_[a] += static_cast<double>(step.rewards[j]) * x_;
    }
    return false;  // update() is never due
  }
  void update(recrl::Rng&, recrl::Metrics&) override {}

  // The policy is the statistics: each action's A^-1 and b. Loading checks their shapes.
  void save(std::ostream& out) const override {
    for (std::size_t a = 0; a < b_.size(); ++a) {
      recrl::toolkit::write_array(out, a_inv_[a]);
      recrl::toolkit::write_array(out, b_[a]);
    }
  }
  void load(std::istream& in) override {
    for (std::size_t a = 0; a < b_.size(); ++a) {
      recrl::toolkit::read_array(in, a_inv_[a], "linear_greedy A^-1");
      recrl::toolkit::read_array(in, b_[a], "linear_greedy b");
    }
  }
  // save() holds everything it keeps, so its training state is the default (what save() writes).
  bool supports_checkpoints() const override { return true; }

  // What act() draws from: epsilon spread evenly plus 1 - epsilon on the best action while
  // exploring; the best action alone in Greedy mode (evaluation, recommend).
  bool action_probabilities(const recrl::ObsBatch& obs, recrl::ActMode mode,
                            recrl::Matrix& probs) const override {
    const double explore = mode == recrl::ActMode::Explore ? epsilon_ : 0.0;
    const auto n = static_cast<Eigen::Index>(b_.size());
    const auto spread = static_cast<float>(explore / static_cast<double>(b_.size()));
    probs = recrl::Matrix::Constant(n, obs.obs.cols(), spread);
    for (Eigen::Index j = 0; j < obs.obs.cols(); ++j) {
      probs(best_action(obs.obs.col(j)), j) += static_cast<float>(1.0 - explore);
    }
    return true;
  }

 private:
  void set_features(const Eigen::Ref<const recrl::Vector>& obs) const {
    x_.head(dim_ - 1) = obs.cast<double>();
    x_[dim_ - 1] = 1.0;
  }

  // argmax_a theta_a . x with theta_a = A_a^-1 b_a (the first action on ties).
  int best_action(const Eigen::Ref<const recrl::Vector>& obs) const {
    set_features(obs);
    int best = 0;
    double best_value = 0;
    for (std::size_t a = 0; a < b_.size(); ++a) {
      a_inv_x_.noalias() = a_inv_[a] * x_;  // theta_a . x = b_a . (A_a^-1 x), A^-1 symmetric
      const double value = b_[a].dot(a_inv_x_);
      if (a == 0 || value > best_value) {
        best = static_cast<int>(a);
        best_value = value;
      }
    }
    return best;
  }

  double epsilon_;
  Eigen::Index dim_;                    // observation features + 1 (the constant)
  std::vector<Eigen::MatrixXd> a_inv_;  // per action: (lambda I + sum x x^T)^-1
  std::vector<Eigen::VectorXd> b_;      // per action: sum r x
  mutable Eigen::VectorXd x_;           // scratch: the features of one observation
  mutable Eigen::VectorXd a_inv_x_;     // scratch: A^-1 x
  Eigen::VectorXd scaled_;              // scratch: A^-1 x / (1 + x^T A^-1 x)
};

}  // namespace

RECRL_ALGORITHM_PLUGIN(LinearGreedy, "linear_greedy", "1.0.0",
                       "epsilon-greedy linear contextual bandit (SDK example)")
