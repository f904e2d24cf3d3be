// dqn's own pieces, read in its plugin file: the TD loss (its gradient against finite
// differences, and by hand) and SB3's step accounting (exploration schedule, target refreshes,
// training cadence). This binary compiles the plugin's source (plugins/algorithms/dqn/dqn.cpp).
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "dqn.cpp"

namespace {

using MatD = Eigen::MatrixXd;

// The loss of TdLoss for the given networks and batch (gradients of q are accumulated, unused).
double td_loss(recrl::toolkit::Mlp<double>& q, recrl::toolkit::Mlp<double>& target, const MatD& obs,
               const std::vector<int>& actions, const MatD& rewards, const MatD& next_obs,
               const MatD& dones) {
  TdLoss<double> loss(obs.cols());
  const MatD next_max = target.forward(next_obs).colwise().maxCoeff();
  return loss.accumulate(q, obs, actions, rewards, next_max, dones, 0.9);
}

ClockSettings clock_settings(std::int64_t n_envs, std::int64_t total) {
  ClockSettings s;
  s.n_envs = n_envs;
  s.total_timesteps = total;
  return s;
}

}  // namespace

TEST_CASE("dqn td loss gradient matches finite differences", "[unit][dqn]") {
  recrl::Rng rng(7);
  recrl::toolkit::Mlp<double> q(4, {6, 5}, 3, recrl::toolkit::Activation::Relu);
  recrl::toolkit::Mlp<double> target(4, {6, 5}, 3, recrl::toolkit::Activation::Relu);
  q.init_pytorch_default(rng);
  target.init_pytorch_default(rng);
  const Eigen::Index batch = 9;
  MatD obs(4, batch), next_obs(4, batch), rewards(1, batch), dones(1, batch);
  std::vector<int> actions;
  for (Eigen::Index j = 0; j < batch; ++j) {
    for (Eigen::Index i = 0; i < 4; ++i) {
      obs(i, j) = rng.normal();
      next_obs(i, j) = rng.normal();
    }
    // Rewards far from the Q-values put some errors beyond the Huber threshold of 1.
    rewards(0, j) = 4.0 * rng.normal();
    dones(0, j) = j % 3 == 0 ? 1.0 : 0.0;
    actions.push_back(static_cast<int>(rng.uniform_int(3)));
  }
  q.zero_gradients();
  td_loss(q, target, obs, actions, rewards, next_obs, dones);
  const Eigen::VectorXd analytic = q.gradients();
  REQUIRE(analytic.norm() > 1e-3);
  const double h = 1e-6;
  for (Eigen::Index k = 0; k < q.num_parameters(); ++k) {
    const double kept = q.parameters()(k);
    q.parameters()(k) = kept + h;
    const double up = td_loss(q, target, obs, actions, rewards, next_obs, dones);
    q.parameters()(k) = kept - h;
    const double down = td_loss(q, target, obs, actions, rewards, next_obs, dones);
    q.parameters()(k) = kept;
    INFO("parameter " << k);
    CHECK(analytic(k) == Approx((up - down) / (2 * h)).margin(1e-7));
  }
}

TEST_CASE("dqn td loss is the mean huber loss against the target network's greedy value",
          "[unit][dqn]") {
  // One layer with zero weights: Q(s, .) = bias, so every number below is by hand.
  recrl::toolkit::Mlp<double> q(1, {}, 2, recrl::toolkit::Activation::Relu);
  recrl::toolkit::Mlp<double> target(1, {}, 2, recrl::toolkit::Activation::Relu);
  q.bias(0) << 0.5, 3.0;
  target.bias(0) << 1.0, 2.0;
  const MatD obs = MatD::Zero(1, 2), next_obs = MatD::Zero(1, 2);
  MatD rewards(1, 2), dones(1, 2);
  rewards << 1.0, 0.0;
  dones << 0.0, 1.0;
  // y = (1 + 0.9 * 2, 0) = (2.8, 0); Q(s, a) = (0.5, 3.0); errors -2.3 and 3.0 (both linear).
  const double loss = td_loss(q, target, obs, {0, 1}, rewards, next_obs, dones);
  CHECK(loss == Approx(((2.3 - 0.5) + (3.0 - 0.5)) / 2).margin(1e-12));
}

TEST_CASE("dqn exploration rate follows sb3's linear schedule over the run's steps",
          "[unit][dqn]") {
  TrainingClock clock(clock_settings(1, 1000));
  CHECK(clock.exploration_rate() == 0.0);  // SB3's initial exploration_rate, before any step
  clock.step(0);
  CHECK(clock.exploration_rate() == Approx(1.0 - 0.001 * 0.95 / 0.1));
  for (int i = 1; i < 50; ++i) clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.525));
  for (int i = 50; i < 100; ++i) clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.05));
  clock.step(0);
  CHECK(clock.exploration_rate() == Approx(0.05));

  // exploration_fraction 0: the final rate from the first step on.
  ClockSettings no_decay = clock_settings(1, 1000);
  no_decay.exploration_fraction = 0.0;
  TrainingClock flat(no_decay);
  flat.step(0);
  CHECK(flat.exploration_rate() == Approx(0.05));

  // With 4 copies each step is 4 environment steps of progress.
  TrainingClock four(clock_settings(4, 1000));
  for (int i = 0; i < 5; ++i) four.step(0);
  CHECK(four.exploration_rate() == Approx(1.0 - 0.02 * 0.95 / 0.1));
}

TEST_CASE("dqn refreshes its target network every target_update_interval environment steps",
          "[unit][dqn]") {
  const auto refreshes = [](std::int64_t n_envs, std::int64_t interval, std::int64_t vector_steps) {
    ClockSettings s = clock_settings(n_envs, vector_steps * n_envs);
    s.target_update_interval = interval;
    TrainingClock clock(s);
    std::vector<std::int64_t> at;  // environment steps at which the target was refreshed
    for (std::int64_t i = 0; i < vector_steps; ++i) {
      if (clock.step(0).refresh_target) at.push_back(clock.num_timesteps());
    }
    return at;
  };
  const auto one = refreshes(1, 100, 1000);
  REQUIRE(one.size() == 10);
  CHECK(one.front() == 100);
  CHECK(one.back() == 1000);
  // 4 copies: every 100 // 4 = 25 vector steps, i.e. still every 100 environment steps.
  const auto four = refreshes(4, 100, 1000);
  REQUIRE(four.size() == 40);
  CHECK(four.front() == 100);
  // An interval that is not a multiple of n_envs rounds down in vector steps: 10 // 4 = 2.
  const auto rounded = refreshes(4, 10, 100);
  REQUIRE(rounded.size() == 50);
  CHECK(rounded.front() == 8);
  // Fewer environment steps than copies: after every vector step (SB3 warns).
  CHECK(refreshes(4, 3, 100).size() == 100);
}

TEST_CASE("dqn trains every train_freq steps once past learning_starts", "[unit][dqn]") {
  ClockSettings s = clock_settings(1, 1000);
  s.learning_starts = 100;
  s.train_freq = 4;
  TrainingClock clock(s);
  std::int64_t gradient_steps = 0, first = -1;
  for (int i = 0; i < 1000; ++i) {
    CHECK(clock.warming_up() == (i < 100));
    const auto tick = clock.step(0);
    if (tick.gradient_steps > 0 && first < 0) first = clock.num_timesteps();
    gradient_steps += tick.gradient_steps;
  }
  CHECK(first == 104);  // rollouts end at 4, 8, ...; training needs num_timesteps > 100
  CHECK(gradient_steps == 225);

  // gradient_steps -1: one per transition collected, n_envs per vector step.
  s = clock_settings(4, 4000);
  s.learning_starts = 0;
  s.train_freq = 2;
  s.gradient_steps = -1;
  TrainingClock all(s);
  CHECK(all.step(0).gradient_steps == 0);
  CHECK(all.step(0).gradient_steps == 8);

  // [3, episode]: after the third finished episode, whatever the steps.
  s = clock_settings(2, 1000);
  s.learning_starts = 0;
  s.train_freq = 3;
  s.train_freq_in_episodes = true;
  TrainingClock episodes(s);
  CHECK(episodes.step(2).gradient_steps == 0);
  CHECK(episodes.step(0).gradient_steps == 0);
  CHECK(episodes.step(1).gradient_steps == 1);
  CHECK(episodes.step(1).gradient_steps == 0);
}
