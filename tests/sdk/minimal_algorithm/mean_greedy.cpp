// The smallest learning algorithm: epsilon-greedy on each action's mean reward (no context).
#include <recrl/plugin/export.hpp>
#include <recrl/toolkit/binary_io.hpp>
class MeanGreedy final : public recrl::Algorithm {
 public:
  MeanGreedy(const recrl::Params&, const recrl::PluginContext& ctx)
      : sums_(Eigen::VectorXd::Zero(ctx.env->action.size)), counts_(sums_) {}
  void act(const recrl::ObsBatch&, recrl::ActMode mode, recrl::Rng& rng,
           std::span<int> actions) override {
    Eigen::Index best = 0;
    (sums_.array() / counts_.array().max(1.0)).maxCoeff(&best);
    for (int& a : actions) {
      const bool explore = mode == recrl::ActMode::Explore && rng.uniform() < 0.1;
      a = static_cast<int>(explore ? rng.uniform_int(sums_.size()) : best);
    }
  }
  bool observe(const recrl::StepBatch& step) override {  // learns as it observes
    for (std::size_t i = 0; i < step.actions.size(); ++i) {
      sums_[step.actions[i]] += step.rewards[static_cast<Eigen::Index>(i)];
      counts_[step.actions[i]] += 1.0;
    }
    return false;  // so update() is never due
  }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream& out) const override { recrl::toolkit::write_array(out, sums_), recrl::toolkit::write_array(out, counts_); }
  void load(std::istream& in) override { recrl::toolkit::read_array(in, sums_, "sums"), recrl::toolkit::read_array(in, counts_, "counts"); }
  bool supports_checkpoints() const override { return true; }  // save() holds all it keeps
  Eigen::VectorXd sums_, counts_;
};
RECRL_ALGORITHM_PLUGIN(MeanGreedy, "mean_greedy", "1.0.0", "epsilon-greedy on action means")
