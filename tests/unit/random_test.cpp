// The samplers of recrl::Rng: fixed streams (other tools reproduce them from docs/random.md)
// and the right distributions.
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"

namespace {

struct Moments {
  double mean = 0.0;
  double variance = 0.0;
};

Moments moments_of(int n, const std::function<double()>& draw) {
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const double x = draw();
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n;
  return {mean, sum_sq / n - mean * mean};
}

constexpr int kDraws = 200000;

// Checks mean and variance against their exact values, within 5 standard errors (for the
// variance, a loose 3 % since its standard error depends on the fourth moment).
void check_moments(const Moments& m, double mean, double variance) {
  const double mean_tolerance = 5.0 * std::sqrt(variance / kDraws);
  CHECK(m.mean == Approx(mean).margin(mean_tolerance));
  CHECK(m.variance == Approx(variance).epsilon(0.03));
}

// docs/random.md's normal, lognormal and gamma (shape >= 1), every operation rounded on its
// own: each intermediate goes through a volatile double, so that the compiler cannot fuse a
// multiply and an add here (GCC does by default in C++ with FMA hardware) and this is the
// arithmetic another tool following the page does.
class DocumentedSamplers {
 public:
  explicit DocumentedSamplers(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double normal(double mean, double sd) {
    const double u1 = uniform();
    const double u2 = uniform();
    volatile double one_minus = 1.0 - u1;
    volatile double radius = std::sqrt(-2.0 * std::log(one_minus));
    volatile double angle = 2.0 * std::numbers::pi * u2;
    volatile double scaled = sd * radius;
    volatile double product = scaled * std::cos(angle);
    return mean + product;
  }
  double lognormal(double mu, double sigma) {
    volatile double scaled = sigma * normal(0.0, 1.0);
    volatile double exponent = mu + scaled;
    return std::exp(exponent);
  }
  double gamma(double shape, double scale) {
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x = 0.0;
      volatile double v = 0.0;
      do {
        x = normal(0.0, 1.0);
        volatile double cx = c * x;
        v = 1.0 + cx;
      } while (v <= 0.0);
      volatile double v2 = v * v;
      v = v2 * v;
      const double u = uniform();
      volatile double x2 = x * x;
      volatile double a = 0.0331 * x2;
      volatile double b = a * x2;
      volatile double scale_d = scale * d;
      if (u < 1.0 - b) return scale_d * v;
      volatile double half = 0.5 * x2;
      volatile double one_minus_v = 1.0 - v;
      volatile double bracket = one_minus_v + std::log(v);
      volatile double d_bracket = d * bracket;
      if (std::log(u) < half + d_bracket) return scale_d * v;
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace

TEST_CASE("the engine is the standard's mt19937_64", "[unit][random]") {
  // [rand.predef]: the 10000th output of a default-seeded mt19937_64.
  recrl::Rng rng(5489);
  for (int i = 0; i < 9999; ++i) rng.next_u64();
  CHECK(rng.next_u64() == 9981545732273789042ULL);
}

TEST_CASE("splitmix64 gives the reference generator's first outputs", "[unit][random]") {
  // SplitMix64 seeded with 0 outputs mix(0 + gamma), mix(0 + 2 gamma), ...
  CHECK(recrl::splitmix64(0) == 0xe220a8397b1dcdafULL);
  CHECK(recrl::splitmix64(0x9e3779b97f4a7c15ULL) == 0x6e789e6aa1b965f4ULL);
}

TEST_CASE("derive_seed is deterministic and separates seeds kinds and indices", "[unit][random]") {
  using recrl::derive_seed;
  using recrl::Stream;
  CHECK(derive_seed(7, Stream::TrainEnv, 3) == derive_seed(7, Stream::TrainEnv, 3));
  std::set<std::uint64_t> seen;
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    for (auto kind : {Stream::TrainEnv, Stream::TrainReward, Stream::Algorithm, Stream::EvalEnv,
                      Stream::EvalReward, Stream::EvalAlgorithm, Stream::User}) {
      for (std::uint64_t index = 0; index < 8; ++index) seen.insert(derive_seed(seed, kind, index));
    }
  }
  CHECK(seen.size() == 4 * 7 * 8);
  // Documented formula (docs/random.md).
  const std::uint64_t h = recrl::splitmix64(recrl::splitmix64(42) ^ 4);
  CHECK(derive_seed(42, Stream::EvalEnv, 9) == recrl::splitmix64(h ^ 9));
}

TEST_CASE("the same seed gives the same numbers from every sampler", "[unit][random]") {
  const auto draw_all = [](std::uint64_t seed) {
    recrl::Rng rng(seed);
    std::vector<double> out;
    for (int i = 0; i < 50; ++i) {
      out.push_back(rng.uniform());
      out.push_back(static_cast<double>(rng.uniform_int(7)));
      out.push_back(rng.normal(1.0, 2.0));
      out.push_back(rng.exponential(3.0));
      out.push_back(static_cast<double>(rng.poisson(4.0)));
      out.push_back(static_cast<double>(rng.poisson(80.0)));
      out.push_back(rng.gamma(0.4));
      out.push_back(rng.beta(2.0, 5.0));
      out.push_back(rng.lognormal(5.0, 0.7));
      out.push_back(rng.bernoulli(0.3) ? 1.0 : 0.0);
    }
    return out;
  };
  CHECK(draw_all(11) == draw_all(11));
  CHECK(draw_all(11) != draw_all(12));
}

TEST_CASE("uniform is in the unit interval with the right moments", "[unit][random]") {
  recrl::Rng rng(1);
  double lowest = 1.0;
  double highest = 0.0;
  const auto m = moments_of(kDraws, [&] {
    const double u = rng.uniform();
    lowest = std::min(lowest, u);
    highest = std::max(highest, u);
    return u;
  });
  CHECK(lowest >= 0.0);
  CHECK(highest < 1.0);
  check_moments(m, 0.5, 1.0 / 12.0);
}

TEST_CASE("uniform_int is unbiased and stays in range", "[unit][random]") {
  recrl::Rng rng(2);
  CHECK(rng.uniform_int(1) == 0);

  constexpr int kSides = 6;
  std::array<int, kSides> counts{};
  for (int i = 0; i < kDraws; ++i) {
    const auto k = rng.uniform_int(kSides);
    REQUIRE(k < kSides);
    ++counts[k];
  }
  // Chi-square with 5 degrees of freedom; 20.5 is its 99.9 % quantile.
  double chi_square = 0.0;
  const double expected = static_cast<double>(kDraws) / kSides;
  for (int c : counts) chi_square += (c - expected) * (c - expected) / expected;
  CHECK(chi_square < 20.5);

  // Just above 2^63 about half of all 64-bit draws are rejected: the rejection path must
  // still give values in range, spread over both halves.
  const std::uint64_t big = (std::uint64_t{1} << 63) + 12345;
  int upper_half = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto k = rng.uniform_int(big);
    REQUIRE(k < big);
    upper_half += k >= big / 2 ? 1 : 0;
  }
  CHECK(upper_half == Approx(1000).margin(150));
}

TEST_CASE("normal has the requested mean and standard deviation", "[unit][random]") {
  recrl::Rng rng(3);
  check_moments(moments_of(kDraws, [&] { return rng.normal(2.0, 3.0); }), 2.0, 9.0);
}

TEST_CASE("exponential has the requested mean", "[unit][random]") {
  recrl::Rng rng(4);
  check_moments(moments_of(kDraws, [&] { return rng.exponential(30.0); }), 30.0, 900.0);
}

TEST_CASE("poisson has mean and variance equal to its mean on both algorithms", "[unit][random]") {
  recrl::Rng rng(5);
  SECTION("Knuth's product method") {
    check_moments(moments_of(kDraws, [&] { return static_cast<double>(rng.poisson(4.0)); }), 4.0,
                  4.0);
  }
  SECTION("at the largest mean Knuth handles") {
    check_moments(moments_of(kDraws, [&] { return static_cast<double>(rng.poisson(30.0)); }), 30.0,
                  30.0);
  }
  SECTION("PTRS") {
    check_moments(moments_of(kDraws, [&] { return static_cast<double>(rng.poisson(250.0)); }),
                  250.0, 250.0);
  }
  SECTION("a zero mean gives zero without drawing") {
    recrl::Rng untouched(5);
    CHECK(rng.poisson(0.0) == 0);
    CHECK(rng.next_u64() == untouched.next_u64());
  }
}

TEST_CASE("gamma has mean shape*scale and variance shape*scale^2", "[unit][random]") {
  recrl::Rng rng(6);
  SECTION("shape >= 1") {
    check_moments(moments_of(kDraws, [&] { return rng.gamma(2.5, 2.0); }), 5.0, 10.0);
  }
  SECTION("shape < 1 through the boost") {
    check_moments(moments_of(kDraws, [&] { return rng.gamma(0.3, 1.0); }), 0.3, 0.3);
  }
}

TEST_CASE("beta has the right mean and variance and stays in zero to one", "[unit][random]") {
  recrl::Rng rng(7);
  const auto check_beta = [&](double a, double b) {
    bool inside = true;
    const auto m = moments_of(kDraws, [&] {
      const double x = rng.beta(a, b);
      inside = inside && x >= 0.0 && x <= 1.0;
      return x;
    });
    CHECK(inside);
    const double s = a + b;
    check_moments(m, a / s, a * b / (s * s * (s + 1.0)));
  };
  check_beta(2.0, 2.0);
  check_beta(3.0, 3.0);
  check_beta(2.0, 4.0);
  check_beta(2.0, 5.0);
}

TEST_CASE("lognormal has mean exp(mu + sigma^2 / 2)", "[unit][random]") {
  recrl::Rng rng(8);
  const double mean = std::exp(5.0 + 0.7 * 0.7 / 2.0);
  const double variance = (std::exp(0.49) - 1.0) * std::exp(10.0 + 0.49);
  check_moments(moments_of(kDraws, [&] { return rng.lognormal(5.0, 0.7); }), mean, variance);
}

TEST_CASE("bernoulli is true with probability p", "[unit][random]") {
  recrl::Rng rng(9);
  check_moments(moments_of(kDraws, [&] { return rng.bernoulli(0.45) ? 1.0 : 0.0; }), 0.45,
                0.45 * 0.55);
}

TEST_CASE("a reseeded stream draws what a stream built with that seed draws", "[unit][random]") {
  // seed() is deferred to the first draw; nothing observable may tell.
  recrl::Rng fresh(77);
  recrl::Rng reseeded(5);
  reseeded.next_u64();
  reseeded.seed(77);
  CHECK(reseeded.engine() == fresh.engine());
  for (int i = 0; i < 5; ++i) CHECK(reseeded.next_u64() == fresh.next_u64());

  // Reseeded twice without a draw in between: the last seed counts.
  recrl::Rng twice(1);
  twice.seed(2);
  twice.seed(77);
  recrl::Rng again(77);
  CHECK(twice.uniform() == again.uniform());

  // save() right after seed() writes the seeded state; load() replaces a pending seed.
  recrl::Rng saved(3);
  saved.seed(77);
  std::stringstream state;
  saved.save(state);
  recrl::Rng loaded(9);
  loaded.seed(12345);
  loaded.load(state);
  recrl::Rng expected(77);
  CHECK(loaded.next_u64() == expected.next_u64());
}

// The samplers' arithmetic is the page's, operation by operation (random.cpp is compiled
// without contracted multiply-adds): the same bits as the explicitly rounded reference over
// 200,000 draws of each, with the parameters the recommendation environment uses.
TEST_CASE("normal lognormal and gamma round each operation as docs/random.md writes it",
          "[unit][random]") {
  recrl::Rng rng(17);
  DocumentedSamplers reference(17);
  int normal_mismatches = 0;
  int lognormal_mismatches = 0;
  int gamma_mismatches = 0;
  for (int i = 0; i < kDraws; ++i) {
    normal_mismatches += rng.normal(5.0, 0.7) != reference.normal(5.0, 0.7);
    lognormal_mismatches += rng.lognormal(5.0, 0.7) != reference.lognormal(5.0, 0.7);
    gamma_mismatches += rng.gamma(2.0) != reference.gamma(2.0, 1.0);
    gamma_mismatches += rng.gamma(4.5, 2.0) != reference.gamma(4.5, 2.0);
  }
  CHECK(normal_mismatches == 0);
  CHECK(lognormal_mismatches == 0);
  CHECK(gamma_mismatches == 0);
}
