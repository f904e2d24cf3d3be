// The smallest learning algorithm: epsilon-greedy on each action's mean reward (no context).
#include <recrl/plugin/export.hpp>
#include <recrl/toolkit/binary_io.hpp>
class MeanGreedy final : public recrl::Algorithm {
 public:
  MeanGreedy(const recrl::Params&, const recrl::PluginContext& ctx)
      : stats_(Eigen::Matrix2Xd::Zero(2, ctx.env->action.size)) {}  // reward sums; counts
  void act(const recrl::ObsBatch&, recrl::ActMode mode, recrl::Rng& rng,
           std::span<int> actions) override {
    Eigen::Index best = 0;
    (stats_.row(0).array() / stats_.row(1).array().max(1.0)).maxCoeff(&best);
    for (int& a : actions) {
      const bool explore = mode == recrl::ActMode::Explore && rng.uniform() < 0.1;
      a = static_cast<int>(explore ? rng.uniform_int(stats_.cols()) : best);
    }
  }
  bool observe(const recrl::StepBatch& step) override {  // learns as it observes
    for (std::size_t i = 0; i < step.actions.size(); ++i) {
      stats_(0, step.actions[i]) += step.rewards[static_cast<Eigen::Index>(i)];
      stats_(1, step.actions[i]) += 1.0;
    }
    return false;  // so update() is never due
  }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream& out) const override { recrl::toolkit::write_array(out, stats_); }
  void load(std::istream& in) override { recrl::toolkit::read_array(in, stats_, "mean_greedy"); }
  bool supports_checkpoints() const override { return true; }  // save() holds all it keeps
  Eigen::Matrix2Xd stats_;
};
RECRL_ALGORITHM_PLUGIN(MeanGreedy, "mean_greedy", "1.0.0", "epsilon-greedy on action means")
