// Adam and RMSprop against steps computed by hand from PyTorch's update rules, global-norm
// clipping as torch.nn.utils.clip_grad_norm_, and exact save/load of optimiser state.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/toolkit/optimizers.hpp"

namespace {

using recrl::toolkit::Adam;
using recrl::toolkit::DivisionBy;
using recrl::toolkit::RmsProp;
using Vec = Eigen::VectorXd;

Vec vec2(double a, double b) {
  Vec v(2);
  v << a, b;
  return v;
}

}  // namespace

TEST_CASE("adam matches pytorch for three steps", "[unit][toolkit]") {
  Adam<double> adam(2, 0.1, 0.9, 0.999, 1e-8);
  Vec p = vec2(1.0, -2.0);

  // Step 1: m = 0.1 g, v = 0.001 g^2, so m / (1 - 0.9) = g and v / (1 - 0.999) = g^2:
  // p -= 0.1 g / (|g| + 1e-8).
  adam.step(p, vec2(0.5, -1.0));
  CHECK(p(0) == Approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-15));
  CHECK(p(1) == Approx(-2.0 + 0.1 * 1.0 / (1.0 + 1e-8)).epsilon(1e-15));
  CHECK(p(0) == Approx(0.900000002).epsilon(1e-15));

  // Step 2, g = (0.1, 0.2): m = 0.9 (0.05, -0.1) + 0.1 g = (0.055, -0.07);
  // v = 0.999 (0.00025, 0.001) + 0.001 g^2 = (0.00025975, 0.001039);
  // 1 - 0.9^2 = 0.19, 1 - 0.999^2 = 0.001999;
  // p -= (0.1 / 0.19) m / (sqrt(v) / sqrt(0.001999) + 1e-8).
  adam.step(p, vec2(0.1, 0.2));
  const double p0 =
      0.900000002 - (0.1 / 0.19) * 0.055 / (std::sqrt(0.00025975) / std::sqrt(0.001999) + 1e-8);
  const double p1 =
      -1.900000001 - (0.1 / 0.19) * -0.07 / (std::sqrt(0.001039) / std::sqrt(0.001999) + 1e-8);
  CHECK(p(0) == Approx(p0).epsilon(1e-12));
  CHECK(p(1) == Approx(p1).epsilon(1e-12));
  CHECK(p(0) == Approx(0.8196959063846517).epsilon(1e-12));
  CHECK(p(1) == Approx(-1.8488973939904945).epsilon(1e-12));

  // Step 3, g = (-0.3, 0.05): the same rule once more (values from the formulas in double).
  adam.step(p, vec2(-0.3, 0.05));
  CHECK(p(0) == Approx(0.798624611763508).epsilon(1e-12));
  CHECK(p(1) == Approx(-1.8125737645743547).epsilon(1e-12));
  CHECK(adam.steps() == 3);
}

// Adam divides sqrt(v) by sqrt(1 - beta2^t) without a division instruction; its quotients must
// be the division's bits. Scaling x by 2 scales every step of the computation exactly, so one
// whole binade of x per divisor covers all normal x. (Packet types as template arguments: see
// small_gemm.hpp on the warning.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
TEST_CASE("adam's division by the bias correction gives the division's bits", "[unit][toolkit]") {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<float>::type;
  constexpr int kSize = ei::unpacket_traits<Packet>::size;
  std::vector<float> divisors;
  for (int t : {1, 2, 3, 7, 10, 100, 1000, 4321, 20000}) {
    divisors.push_back(static_cast<float>(std::sqrt(1.0 - std::pow(0.999, t))));
  }
  for (float d : {0.7071068f, 0.99999994f, 1.0f, 0.5f, 0.1234567f}) divisors.push_back(d);
  std::uint32_t one_bits = 0;
  const float one = 1.0f;
  std::memcpy(&one_bits, &one, sizeof one);
  std::vector<float> binade(std::size_t{1} << 23);  // every float in [1, 2)
  for (std::size_t i = 0; i < binade.size(); ++i) {
    const std::uint32_t bits = one_bits + static_cast<std::uint32_t>(i);
    std::memcpy(&binade[i], &bits, sizeof bits);
  }
  for (float d : divisors) {
    const DivisionBy<float, float> scalar(d);
    const DivisionBy<float, Packet> packet(d);
    std::size_t scalar_mismatches = 0;
    std::size_t packet_mismatches = 0;
    for (std::size_t i = 0; i < binade.size(); i += kSize) {
      float quotients[kSize];
      ei::pstoreu(quotients, packet(ei::ploadu<Packet>(&binade[i])));
      for (int k = 0; k < kSize; ++k) {
        const float x = binade[i + static_cast<std::size_t>(k)];
        scalar_mismatches += scalar(x) != x / d ? 1 : 0;
        packet_mismatches += quotients[k] != x / d ? 1 : 0;
      }
    }
    INFO("divisor " << d);
    CHECK(scalar_mismatches == 0);
    CHECK(packet_mismatches == 0);
    CHECK(scalar(0.0f) == 0.0f);
    CHECK(scalar(3.0e-23f) == 3.0e-23f / d);
    CHECK(scalar(1.0e30f) == 1.0e30f / d);
  }
  std::mt19937_64 engine(7);
  std::uniform_real_distribution<double> uniform(0.0, 1e3);
  for (int i = 0; i < 100000; ++i) {
    const double d = std::sqrt(1.0 - std::pow(0.999, 1 + i % 5000));
    const double x = uniform(engine);
    REQUIRE(DivisionBy<double, double>(d)(x) == x / d);
  }
}
#pragma GCC diagnostic pop

TEST_CASE("adam in float follows the double computation", "[unit][toolkit]") {
  Adam<float> adam(2, 0.1, 0.9, 0.999, 1e-8);
  Eigen::VectorXf p(2);
  p << 1.0f, -2.0f;
  Eigen::VectorXf g(2);
  g << 0.5f, -1.0f;
  adam.step(p, g);
  g << 0.1f, 0.2f;
  adam.step(p, g);
  CHECK(p(0) == Approx(0.8196959063846517).epsilon(1e-6));
  CHECK(p(1) == Approx(-1.8488973939904945).epsilon(1e-6));
}

TEST_CASE("adam uses the learning rate set before each step", "[unit][toolkit]") {
  Adam<double> adam(1, 0.1);
  Vec p = Vec::Constant(1, 0.0);
  adam.set_lr(0.5);
  adam.step(p, Vec::Constant(1, 2.0));
  CHECK(p(0) == Approx(-0.5 * 2.0 / (2.0 + 1e-8)).epsilon(1e-15));
}

TEST_CASE("rmsprop matches pytorch for two steps", "[unit][toolkit]") {
  RmsProp<double> rmsprop(2, 0.01, 0.99, 1e-8);
  Vec p = vec2(1.0, -2.0);
  // Step 1: v = 0.01 g^2 = (0.0025, 0.01); p -= 0.01 g / (sqrt(v) + 1e-8).
  rmsprop.step(p, vec2(0.5, -1.0));
  CHECK(p(0) == Approx(1.0 - 0.01 * 0.5 / (0.05 + 1e-8)).epsilon(1e-15));
  CHECK(p(1) == Approx(-2.0 + 0.01 * 1.0 / (0.1 + 1e-8)).epsilon(1e-15));
  // Step 2, g = (0.1, 0.2): v = 0.99 (0.0025, 0.01) + 0.01 g^2 = (0.002575, 0.0103).
  rmsprop.step(p, vec2(0.1, 0.2));
  CHECK(p(0) ==
        Approx(0.900000019999996 - 0.01 * 0.1 / (std::sqrt(0.002575) + 1e-8)).epsilon(1e-12));
  CHECK(p(1) ==
        Approx(-1.900000009999999 - 0.01 * 0.2 / (std::sqrt(0.0103) + 1e-8)).epsilon(1e-12));
  CHECK(p(0) == Approx(0.8802934383202046).epsilon(1e-12));
  CHECK(p(1) == Approx(-1.9197065936215374).epsilon(1e-12));
}

TEST_CASE("clip grad norm scales only when the total norm exceeds the limit", "[unit][toolkit]") {
  Eigen::VectorXf a(2);
  Eigen::VectorXf b(1);
  a << 3.0f, 0.0f;
  b << 4.0f;
  // Total over both vectors: 5. max_norm 0.5 -> scale 0.5 / (5 + 1e-6).
  const float total = recrl::toolkit::clip_grad_norm<float>({&a, &b}, 0.5f);
  CHECK(total == Approx(5.0f));
  const float scale = 0.5f / (5.0f + 1e-6f);
  CHECK(a(0) == Approx(3.0f * scale).epsilon(1e-6));
  CHECK(b(0) == Approx(4.0f * scale).epsilon(1e-6));
  CHECK(std::sqrt(a.squaredNorm() + b.squaredNorm()) == Approx(0.5f).epsilon(1e-5));

  Eigen::VectorXf small(2);
  small << 0.3f, 0.4f;
  const Eigen::VectorXf before = small;
  CHECK(recrl::toolkit::clip_grad_norm(small, 1.0f) == Approx(0.5f));
  CHECK(small == before);

  Eigen::VectorXf bad(2);
  bad << std::nanf(""), 1.0f;
  CHECK(std::isnan(recrl::toolkit::clip_grad_norm(bad, 1.0f)));
}

TEST_CASE("optimiser state saves and loads exactly", "[unit][toolkit]") {
  Adam<float> adam(3, 1e-3, 0.9, 0.999, 1e-5);
  RmsProp<float> rmsprop(3, 7e-4, 0.99, 1e-5);
  Eigen::VectorXf p = Eigen::VectorXf::Constant(3, 1.0f);
  Eigen::VectorXf g(3);
  g << 0.1f, -0.7f, 2.0f;
  adam.step(p, g);
  rmsprop.step(p, g);
  std::stringstream stream;
  adam.save(stream);
  rmsprop.save(stream);

  Adam<float> adam_loaded(3, 1e-3, 0.9, 0.999, 1e-5);
  RmsProp<float> rmsprop_loaded(3, 7e-4, 0.99, 1e-5);
  adam_loaded.load(stream);
  rmsprop_loaded.load(stream);
  CHECK(adam_loaded.steps() == 1);
  CHECK(adam_loaded.first_moment() == adam.first_moment());
  CHECK(adam_loaded.second_moment() == adam.second_moment());
  CHECK(rmsprop_loaded.square_average() == rmsprop.square_average());

  // The next steps of the original and the loaded optimisers agree bit for bit.
  Eigen::VectorXf q = p;
  adam.step(p, g);
  adam_loaded.step(q, g);
  CHECK(p == q);

  Adam<float> wrong_size(4);
  std::stringstream again;
  adam.save(again);
  CHECK_THROWS_AS(wrong_size.load(again), recrl::DataError);
}
