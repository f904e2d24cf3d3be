// The cartpole environment against Gymnasium's CartPole-v1 (gymnasium/envs/classic_control/
// cartpole.py): spec, initial state, a first step worked out by hand, whole trajectories
// against Gymnasium's equations written out again here, both ways to terminate, the +1 reward,
// truncation at 500 steps through recrl's VecEnv, determinism; and the env_reward plugin that
// passes cartpole's reward on.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../support/cli.hpp"
#include "../support/plugin_fixture.hpp"
#include "recrl/run/vec_env.hpp"

using Catch::Matchers::Contains;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kThetaThreshold = 12 * 2 * kPi / 360;

// Gymnasium's CartPoleEnv, transcribed from its source (float64 state, explicit Euler).
struct GymCartPole {
  double x = 0, x_dot = 0, theta = 0, theta_dot = 0;

  void reset(recrl::Rng& rng) {
    // np_random.uniform(low=-0.05, high=0.05, size=(4,)): low + (high - low) * random().
    x = -0.05 + 0.1 * rng.uniform();
    x_dot = -0.05 + 0.1 * rng.uniform();
    theta = -0.05 + 0.1 * rng.uniform();
    theta_dot = -0.05 + 0.1 * rng.uniform();
  }

  bool step(int action) {
    const double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, tau = 0.02;
    const double total_mass = masspole + masscart;
    const double polemass_length = masspole * length;
    const double force = action == 1 ? 10.0 : -10.0;
    const double costheta = std::cos(theta);
    const double sintheta = std::sin(theta);
    const double temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass;
    const double thetaacc = (gravity * sintheta - costheta * temp) /
                            (length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass));
    const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
    x = x + tau * x_dot;
    x_dot = x_dot + tau * xacc;
    theta = theta + tau * theta_dot;
    theta_dot = theta_dot + tau * thetaacc;
    return x < -2.4 || x > 2.4 || theta < -kThetaThreshold || theta > kThetaThreshold;
  }

  // np.array(state, dtype=np.float32)
  recrl::Vector observation() const {
    recrl::Vector obs(4);
    obs << static_cast<float>(x), static_cast<float>(x_dot), static_cast<float>(theta),
        static_cast<float>(theta_dot);
    return obs;
  }
};

std::shared_ptr<recrl::Environment> make_cartpole(const std::string& yaml = "") {
  return recrl::test::make_environment("cartpole", yaml);
}

// Pushes towards where the pole is falling, which keeps it up for thousands of steps;
// `lean` > 0 holds it tilted to the right, so that the cart keeps accelerating right.
int balance(recrl::ConstVectorRef obs, float lean = 0.0f) {
  return obs[2] + 0.5f * obs[3] > lean ? 1 : 0;
}

}  // namespace

TEST_CASE("cartpole spec is gymnasium's CartPole-v1", "[env][cartpole]") {
  auto env = make_cartpole();
  const recrl::EnvSpec& spec = env->spec();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(spec.name == "cartpole");
  CHECK(spec.observation.kind == recrl::Space::Kind::Box);
  CHECK(spec.observation.size == 4);
  CHECK(spec.observation.labels == std::vector<std::string>{"cart_position", "cart_velocity",
                                                            "pole_angle", "pole_angular_velocity"});
  // Twice the termination thresholds: 4.8 and 24 degrees.
  CHECK(spec.observation.low == std::vector<double>{-4.8, -inf, -24 * kPi / 180, -inf});
  CHECK(spec.observation.high == std::vector<double>{4.8, inf, 24 * kPi / 180, inf});
  CHECK(spec.observation.high[2] == Approx(0.41887902047863906).epsilon(1e-15));
  CHECK(spec.action.kind == recrl::Space::Kind::Discrete);
  CHECK(spec.action.size == 2);
  CHECK(spec.action.labels == std::vector<std::string>{"push_left", "push_right"});
  REQUIRE(spec.actions.size() == 2);
  CHECK(*spec.actions[0].field("direction") == "left");
  CHECK(*spec.actions[1].field("direction") == "right");
  CHECK(spec.max_episode_steps == 500);
  CHECK(spec.actions_affect_state);
}

TEST_CASE("cartpole starts each state variable uniformly within five hundredths",
          "[env][cartpole]") {
  auto env = make_cartpole();
  recrl::Vector obs(4);

  // recrl::Rng(42)'s first four uniform() draws u, each mapped to -0.05 + 0.1 u.
  recrl::Rng rng(42);
  env->reset(rng, obs);
  CHECK(obs[0] == static_cast<float>(0.025515553295453894));
  CHECK(obs[1] == static_cast<float>(0.013903139385469748));
  CHECK(obs[2] == static_cast<float>(0.025214520074802668));
  CHECK(obs[3] == static_cast<float>(-0.036372731636756299));

  constexpr int kResets = 20000;
  recrl::Vector low = recrl::Vector::Constant(4, 1.0f);
  recrl::Vector high = recrl::Vector::Constant(4, -1.0f);
  recrl::Vector sum = recrl::Vector::Zero(4);
  for (int i = 0; i < kResets; ++i) {
    env->reset(rng, obs);
    low = low.cwiseMin(obs);
    high = high.cwiseMax(obs);
    sum += obs;
  }
  for (int f = 0; f < 4; ++f) {
    INFO("feature " << f);
    CHECK(low[f] >= -0.05f);
    CHECK(high[f] <= 0.05f);
    CHECK(low[f] < -0.0499f);
    CHECK(high[f] > 0.0499f);
    // Uniform on [-0.05, 0.05]: sd 0.1 / sqrt(12), so the mean's sd is about 2e-4.
    CHECK(std::abs(sum[f] / kResets) < 1e-3f);
  }
}

TEST_CASE("cartpole first step matches gymnasium's equations worked by hand", "[env][cartpole]") {
  // From seed 42's state s0 = (x, x_dot, theta, theta_dot) =
  //   (0.025515553295453894, 0.013903139385469748, 0.025214520074802668, -0.036372731636756299)
  // with F = +10 (push_right), m_p l = 0.05, m = m_c + m_p = 1.1, l = 0.5, g = 9.8:
  //   temp     = (F + m_p l theta_dot^2 sin theta) / m                 = 9.0909345...
  //   thetaacc = (g sin theta - cos theta temp) / (l (4/3 - m_p cos^2 theta / m))
  //            = -14.231102866821018
  //   xacc     = temp - m_p l thetaacc cos theta / m                     = 9.7375732996649393
  // and explicit Euler with tau = 0.02:
  //   x'         = x + tau x_dot                  = 0.025793616083163287
  //   x_dot'     = x_dot + tau xacc               = 0.20865460537876854
  //   theta'     = theta + tau theta_dot          = 0.024487065442067541
  //   theta_dot' = theta_dot + tau thetaacc       = -0.32099478897317668
  // With F = -10 (push_left): thetaacc = 15.026525554560145, xacc = -9.7737143513953484,
  //   x_dot' = -0.18157114764243723, theta_dot' = 0.26415777945444657 (positions as above).
  recrl::Vector obs(4);
  recrl::Vector next(4);

  SECTION("push_right") {
    auto env = make_cartpole();
    recrl::Rng rng(42);
    env->reset(rng, obs);
    const recrl::EnvStep step = env->step(1, rng, next);
    CHECK(next[0] == static_cast<float>(0.025793616083163287));
    CHECK(next[1] == static_cast<float>(0.20865460537876854));
    CHECK(next[2] == static_cast<float>(0.024487065442067541));
    CHECK(next[3] == static_cast<float>(-0.32099478897317668));
    CHECK(step.reward == 1.0);
    CHECK_FALSE(step.terminated);
    CHECK_FALSE(step.truncated);
  }
  SECTION("push_left") {
    auto env = make_cartpole();
    recrl::Rng rng(42);
    env->reset(rng, obs);
    env->step(0, rng, next);
    CHECK(next[0] == static_cast<float>(0.025793616083163287));
    CHECK(next[1] == static_cast<float>(-0.18157114764243723));
    CHECK(next[2] == static_cast<float>(0.024487065442067541));
    CHECK(next[3] == static_cast<float>(0.26415777945444657));
  }
}

TEST_CASE("cartpole follows gymnasium's dynamics over many random episodes", "[env][cartpole]") {
  auto env = make_cartpole();
  GymCartPole gym;
  recrl::Rng env_rng(7);
  recrl::Rng gym_rng(7);
  recrl::Rng action_rng(8);
  recrl::Vector obs(4);
  env->reset(env_rng, obs);
  gym.reset(gym_rng);
  REQUIRE(obs == gym.observation());

  int episodes = 0;
  int length = 0;
  int longest = 0;
  for (int t = 0; t < 20000; ++t) {
    // Balancing with a probability that changes from episode to episode, so that episodes are
    // long and short and visit both termination conditions.
    const double p_balance = 0.15 * (episodes % 6);
    const int action = action_rng.uniform() < p_balance
                           ? balance(obs)
                           : static_cast<int>(action_rng.uniform_int(2));
    const recrl::EnvStep step = env->step(action, env_rng, obs);
    const bool gym_terminated = gym.step(action);
    INFO("step " << t);
    REQUIRE(obs == gym.observation());
    REQUIRE(step.terminated == gym_terminated);
    REQUIRE(step.reward == 1.0);
    REQUIRE_FALSE(step.truncated);
    ++length;
    if (step.terminated) {
      env->reset(env_rng, obs);
      gym.reset(gym_rng);
      ++episodes;
      longest = std::max(longest, length);
      length = 0;
    }
  }
  CHECK(episodes > 100);
  CHECK(longest > 500);
}

TEST_CASE("cartpole terminates when the pole leans past twelve degrees", "[env][cartpole]") {
  // Always pushing right from seed 42's state tips the pole left past 12 degrees at step 10:
  // theta = -0.2461370847722043 < -0.20943951023931953, with the cart at x = 0.2039.
  auto env = make_cartpole();
  recrl::Rng rng(42);
  recrl::Vector obs(4);
  env->reset(rng, obs);
  double total_reward = 0.0;
  for (int t = 1; t <= 9; ++t) {
    const recrl::EnvStep step = env->step(1, rng, obs);
    total_reward += step.reward;
    REQUIRE_FALSE(step.terminated);
    CHECK(std::abs(obs[2]) <= kThetaThreshold);
  }
  const recrl::EnvStep last = env->step(1, rng, obs);
  total_reward += last.reward;
  CHECK(last.terminated);
  CHECK_FALSE(last.truncated);
  CHECK(obs[2] == static_cast<float>(-0.2461370847722043));
  CHECK(obs[0] == static_cast<float>(0.20387775004778141));
  // +1 for every step, the terminating one included.
  CHECK(last.reward == 1.0);
  CHECK(total_reward == 10.0);
  // Gymnasium pays nothing for steps taken after termination (recrl's runner resets instead).
  CHECK(env->step(1, rng, obs).reward == 0.0);
  env->reset(rng, obs);
  CHECK(env->step(1, rng, obs).reward == 1.0);
}

TEST_CASE("cartpole terminates when the cart leaves the track", "[env][cartpole]") {
  // Holding the pole tilted right keeps the cart accelerating right until x passes 2.4 while
  // the pole is still up: from seed 42, Gymnasium's equations end the episode after 164 steps
  // at x = 2.420936102552167 with theta = 0.0605.
  auto env = make_cartpole();
  recrl::Rng rng(42);
  recrl::Vector obs(4);
  env->reset(rng, obs);
  int steps = 0;
  recrl::EnvStep step;
  do {
    step = env->step(balance(obs, 0.05f), rng, obs);
    ++steps;
  } while (!step.terminated && steps < 1000);
  REQUIRE(step.terminated);
  CHECK(obs[0] == static_cast<float>(2.420936102552167));
  CHECK(std::abs(obs[2]) < kThetaThreshold);
  CHECK(steps == 164);
  CHECK(step.reward == 1.0);
}

TEST_CASE("cartpole episodes are truncated at 500 steps by the vectorised environment",
          "[env][cartpole][run]") {
  constexpr int kCopies = 2;
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
  for (int i = 0; i < kCopies; ++i) {
    envs.push_back(make_cartpole());
    rewards.push_back(recrl::test::make_reward("env_reward", envs.back()->spec()));
  }
  recrl::VecEnv vec(envs, rewards, "env_reward", 3);
  vec.reset();
  std::vector<int> actions(kCopies);
  for (int t = 1; t <= 500; ++t) {
    for (int i = 0; i < kCopies; ++i) actions[i] = balance(vec.obs().col(i));
    vec.step(actions);
    INFO("step " << t);
    for (int i = 0; i < kCopies; ++i) {
      REQUIRE(vec.terminated()[i] == 0);
      REQUIRE(vec.truncated()[i] == (t == 500 ? 1 : 0));
      REQUIRE(vec.rewards()[i] == 1.0f);
    }
  }
  REQUIRE(vec.finished_returns().size() == kCopies);
  CHECK(vec.finished_returns()[0] == 500.0);
  CHECK(vec.finished_returns()[1] == 500.0);
  // The copies were reset: a fresh state within 0.05, the last state still in final_obs.
  CHECK(vec.obs().cwiseAbs().maxCoeff() <= 0.05f);
  CHECK(vec.final_obs() != vec.obs());
}

TEST_CASE("cartpole max_episode_steps sets the truncation length", "[env][cartpole][run]") {
  auto env = make_cartpole("{max_episode_steps: 20}");
  CHECK(env->spec().max_episode_steps == 20);
  recrl::VecEnv vec({env}, {recrl::test::make_reward("env_reward", env->spec())}, "env_reward", 1);
  vec.reset();
  std::vector<int> action(1);
  for (int t = 1; t <= 20; ++t) {
    action[0] = balance(vec.obs().col(0));
    vec.step(action);
    REQUIRE(vec.truncated()[0] == (t == 20 ? 1 : 0));
  }
  CHECK_THROWS_WITH(make_cartpole("{max_episode_steps: 0}"),
                    Contains("env.params.max_episode_steps") && Contains(">= 1"));
}

TEST_CASE("cartpole is deterministic for a seed and differs between seeds", "[env][cartpole]") {
  const auto trajectory = [](std::uint64_t seed) {
    auto env = make_cartpole();
    recrl::Rng rng(seed);
    recrl::Rng actions(99);
    recrl::Vector obs(4);
    std::vector<float> values;
    env->reset(rng, obs);
    for (int t = 0; t < 300; ++t) {
      values.insert(values.end(), obs.data(), obs.data() + 4);
      if (env->step(static_cast<int>(actions.uniform_int(2)), rng, obs).terminated) {
        env->reset(rng, obs);
      }
    }
    return values;
  };
  CHECK(trajectory(5) == trajectory(5));
  CHECK(trajectory(5) != trajectory(6));
}

TEST_CASE("env_reward passes on the environment's reward times its scale", "[env][env_reward]") {
  auto env = make_cartpole();
  const recrl::Vector obs = recrl::Vector::Zero(4);
  const recrl::Transition t{obs, 1, obs, 1.0, false, false};
  recrl::Rng rng(1);
  const std::span<double> parts;  // one number, no components

  auto plain = recrl::test::make_reward("env_reward", env->spec());
  CHECK(plain->components().empty());
  CHECK(plain->compute(t, rng, parts) == 1.0);
  // Only the dynamics know what a step pays, so there is no expected reward (and no oracle).
  CHECK_FALSE(plain->expected(t).has_value());

  auto scaled = recrl::test::make_reward("env_reward", env->spec(), "{scale: -2.5}");
  const recrl::Transition terminal{obs, 0, obs, 0.75, true, false};
  CHECK(scaled->compute(terminal, rng, parts) == -1.875);

  CHECK_THROWS_WITH(recrl::test::make_reward("env_reward", env->spec(), "{scael: 2}"),
                    Contains("reward.params") && Contains("scale"));
}

TEST_CASE("seed_rules with cartpole is a config error naming what is missing",
          "[env][cartpole][seed_rules]") {
  auto env = make_cartpole();
  CHECK_THROWS_AS(recrl::test::make_reward("seed_rules", env->spec()), recrl::ConfigError);
  CHECK_THROWS_WITH(recrl::test::make_reward("seed_rules", env->spec()),
                    Contains("reward") && Contains("seed_rules needs the observation features") &&
                        Contains("discount_sensitive") && Contains("cart_position"));
}

TEST_CASE("recrl run keeps cartpole up for about 22 steps an episode with random actions",
          "[e2e][cartpole]") {
  // A uniformly random policy keeps CartPole-v1 up for 22.2 steps on average (200,000
  // episodes of Gymnasium's equations); an episode's length has sd ~12, so 500 evaluation
  // episodes give the mean within +-0.55 (one sd).
  using recrl::test::read_text;
  const auto dir = recrl::test::scratch_dir("e2e_cartpole_random");
  {
    std::ofstream file(dir / "cartpole_random.yaml");
    file << "name: cartpole-random\n"
            "env: {plugin: cartpole}\n"
            "reward: {plugin: env_reward}\n"
            "algorithms: [{plugin: random}]\n"
            "seeds: [0]\n"
            "train: {timesteps: 2000, n_envs: 2}\n"
            "eval: {episodes: 500, seed: 1000003, every: 1000}\n"
            "output: out\n";
  }
  const auto result = recrl::test::run_recrl("run cartpole_random.yaml --quiet", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto results = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  REQUIRE(results["runs"].size() == 1);
  const auto& run = results["runs"][0];
  CHECK(run["eval_mean"].get<double>() == Approx(22.2).margin(2.0));
  CHECK(run["env_steps"].get<double>() == 2000);
  // No oracle: cartpole's actions change its state.
  CHECK(run["pct_oracle"].is_null());
}
