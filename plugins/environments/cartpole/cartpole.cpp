// The `cartpole` environment: Gymnasium's CartPole-v1 (gymnasium/envs/classic_control/
// cartpole.py, the Barto, Sutton and Anderson 1983 cart-pole), step for step:
//   - state (x, x_dot, theta, theta_dot) in double, as Gymnasium keeps it in float64; the
//     observation is that state rounded to float, as Gymnasium returns float32;
//   - reset() draws each of the four uniformly in [-0.05, 0.05) from the environment's stream;
//   - step() applies +-10 N, computes the accelerations of Florian (2007)'s equations and
//     advances by explicit Euler with tau = 0.02 s;
//   - the episode terminates when |x| > 2.4 or |theta| > 12 degrees; the reward is 1 for every
//     step, the terminating one included;
//   - truncation at 500 steps is max_episode_steps in the spec, enforced by recrl's VecEnv and
//     evaluation as Gymnasium's TimeLimit wrapper does, so the environment does not count.
// The environment's reward travels in EnvStep::reward; the `env_reward` plugin passes it on.
#include <cmath>
#include <istream>
#include <limits>
#include <numbers>
#include <ostream>

#include "recrl/plugin/export.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl::cartpole {

namespace {

// CartPoleEnv.__init__ of Gymnasium.
constexpr double kGravity = 9.8;
constexpr double kMassCart = 1.0;
constexpr double kMassPole = 0.1;
constexpr double kTotalMass = kMassPole + kMassCart;
constexpr double kHalfPoleLength = 0.5;  // Gymnasium's `length` is half the pole's length
constexpr double kPoleMassLength = kMassPole * kHalfPoleLength;
constexpr double kForceMagnitude = 10.0;
constexpr double kTau = 0.02;  // seconds between state updates
constexpr double kThetaThreshold = 12 * 2 * std::numbers::pi / 360;  // 12 degrees in radians
constexpr double kXThreshold = 2.4;
constexpr double kInitialStateBound = 0.05;  // reset draws each state variable in (-b, b)
constexpr int kStateSize = 4;
constexpr int kPushRight = 1;
constexpr char kStateTag[] = "recrl.cartpole.state.1";

struct State {
  double x = 0.0;
  double x_dot = 0.0;
  double theta = 0.0;
  double theta_dot = 0.0;
};

class CartPoleEnv final : public Environment {
 public:
  static ParamSchema schema() {
    ParamSchema s;
    s.integer("max_episode_steps", 500,
              "steps after which an episode is truncated (CartPole-v1: 500, CartPole-v0: 200)")
        .at_least(1);
    return s;
  }

  CartPoleEnv(const Params& params, const PluginContext&) {
    spec_ = make_spec(static_cast<int>(params.get_int("max_episode_steps")));
  }

  const EnvSpec& spec() const override { return spec_; }

  void reset(Rng& rng, VectorRef obs) override {
    RECRL_ASSERT(obs.size() == kStateSize, "cartpole: reset() needs a 4-feature buffer");
    // numpy's uniform(low, high) is low + (high - low) * random(), drawn in this order.
    const auto draw = [&rng] {
      return -kInitialStateBound + 2.0 * kInitialStateBound * rng.uniform();
    };
    state_.x = draw();
    state_.x_dot = draw();
    state_.theta = draw();
    state_.theta_dot = draw();
    has_terminated_ = false;
    write_observation(obs);
  }

  EnvStep step(int action, Rng& rng, VectorRef next_obs) override {
    static_cast<void>(rng);  // the dynamics are deterministic
    RECRL_ASSERT(action == 0 || action == 1, "cartpole: action out of range");
    RECRL_ASSERT(next_obs.size() == kStateSize, "cartpole: step() needs a 4-feature buffer");

    const double force = action == kPushRight ? kForceMagnitude : -kForceMagnitude;
    const double cos_theta = std::cos(state_.theta);
    const double sin_theta = std::sin(state_.theta);
    // https://coneural.org/florian/papers/05_cart_pole.pdf, frictionless, as Gymnasium writes it.
    const double temp =
        (force + kPoleMassLength * state_.theta_dot * state_.theta_dot * sin_theta) / kTotalMass;
    const double theta_acc =
        (kGravity * sin_theta - cos_theta * temp) /
        (kHalfPoleLength * (4.0 / 3.0 - kMassPole * cos_theta * cos_theta / kTotalMass));
    const double x_acc = temp - kPoleMassLength * theta_acc * cos_theta / kTotalMass;

    // Explicit Euler: positions advance with the old velocities (kinematics_integrator "euler").
    state_.x += kTau * state_.x_dot;
    state_.x_dot += kTau * x_acc;
    state_.theta += kTau * state_.theta_dot;
    state_.theta_dot += kTau * theta_acc;

    const bool terminated = state_.x < -kXThreshold || state_.x > kXThreshold ||
                            state_.theta < -kThetaThreshold || state_.theta > kThetaThreshold;
    // Gymnasium pays 1 for the terminating step and 0 for steps taken after it (which recrl's
    // runner never takes: it resets an ended episode).
    const double reward = has_terminated_ ? 0.0 : 1.0;
    has_terminated_ = has_terminated_ || terminated;
    write_observation(next_obs);
    return EnvStep{reward, terminated, false};
  }

  // The physics state in double (the observation is only its float rounding) and whether the
  // episode has terminated.
  bool supports_checkpoints() const override { return true; }
  void save_state(std::ostream& out) const override {
    toolkit::write_tag(out, kStateTag);
    toolkit::write_pod(out, state_);
    toolkit::write_pod<std::uint8_t>(out, has_terminated_ ? 1 : 0);
  }
  void load_state(std::istream& in) override {
    toolkit::expect_tag(in, kStateTag);
    const auto state = toolkit::read_pod<State>(in, kStateTag);
    const bool has_terminated = toolkit::read_pod<std::uint8_t>(in, kStateTag) != 0;
    state_ = state;
    has_terminated_ = has_terminated;
  }

 private:
  static EnvSpec make_spec(int max_episode_steps) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    EnvSpec spec;
    spec.name = "cartpole";

    // Gymnasium's observation_space: twice the termination thresholds, so that the observation
    // that ends an episode is still inside; velocities unbounded (Gymnasium writes float32 max).
    spec.observation.kind = Space::Kind::Box;
    spec.observation.size = kStateSize;
    spec.observation.labels = {"cart_position", "cart_velocity", "pole_angle",
                               "pole_angular_velocity"};
    spec.observation.low = {-2 * kXThreshold, -kInf, -2 * kThetaThreshold, -kInf};
    spec.observation.high = {2 * kXThreshold, kInf, 2 * kThetaThreshold, kInf};

    spec.action.kind = Space::Kind::Discrete;
    spec.action.size = 2;
    spec.action.labels = {"push_left", "push_right"};
    spec.actions = {ActionInfo{"push_left", {{"direction", "left"}}},
                    ActionInfo{"push_right", {{"direction", "right"}}}};

    spec.max_episode_steps = max_episode_steps;
    spec.actions_affect_state = true;
    return spec;
  }

  void write_observation(VectorRef out) const {
    out[0] = static_cast<Scalar>(state_.x);
    out[1] = static_cast<Scalar>(state_.x_dot);
    out[2] = static_cast<Scalar>(state_.theta);
    out[3] = static_cast<Scalar>(state_.theta_dot);
  }

  EnvSpec spec_;
  State state_;
  bool has_terminated_ = false;
};

}  // namespace

}  // namespace recrl::cartpole

RECRL_ENVIRONMENT_PLUGIN(
    recrl::cartpole::CartPoleEnv, "cartpole", "1.0.0",
    "Gymnasium's CartPole-v1: balance a pole on a cart, +1 per step, 500 steps")
