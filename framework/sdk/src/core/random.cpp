// The samplers of recrl::Rng. Each one is a fixed, documented algorithm over Rng::uniform()
// (or the raw 64-bit engine output), so that another tool following docs/random.md draws
// exactly the same numbers from the same std::mt19937_64 stream. Do not "improve" one of them
// (caching the second Box-Muller normal, switching to the ziggurat, ...) without updating
// docs/random.md: experiment results and the spec's reproductions depend on the streams.
#include "recrl/core/random.hpp"

#include <cmath>
#include <istream>
#include <locale>
#include <numbers>
#include <ostream>
#include <sstream>
#include <string>

#include "recrl/core/errors.hpp"

namespace recrl {

namespace {

// 128-bit products for Lemire's method; __extension__ keeps -Wpedantic quiet about __int128.
__extension__ using Uint128 = unsigned __int128;

// The text form of a std::mt19937_64 is 313 decimal numbers; anything much longer is damage.
constexpr std::uint64_t kMaxEngineText = 16 * 1024;

// Above this mean Knuth's product method needs too many uniforms (about mean + 1 per draw),
// and PTRS takes over.
constexpr double kKnuthMaxMean = 30.0;

}  // namespace

std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t derive_seed(std::uint64_t seed, Stream kind, std::uint64_t index) {
  // Three rounds, one per input, so that nearby seeds, kinds and indices all land far apart.
  std::uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ static_cast<std::uint64_t>(kind));
  return splitmix64(h ^ index);
}

std::uint64_t Rng::uniform_int(std::uint64_t n) {
  RECRL_ASSERT(n >= 1, "Rng::uniform_int needs n >= 1");
  // Lemire (2019), "Fast random integer generation in an interval": the high word of x * n is
  // the result; the low word tells when x fell in the short, biased part of a bucket, which
  // is redrawn. The expensive modulo runs only when the low word is below n.
  Uint128 product = static_cast<Uint128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      product = static_cast<Uint128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

void Rng::save(std::ostream& out) const {
  std::ostringstream text;
  text.imbue(std::locale::classic());  // no digit grouping, whatever the global locale says
  text << live();
  const std::string state = text.str();
  const std::uint64_t size = state.size();
  out.write(reinterpret_cast<const char*>(&size), sizeof size);
  out.write(state.data(), static_cast<std::streamsize>(state.size()));
}

void Rng::load(std::istream& in) {
  std::uint64_t size = 0;
  in.read(reinterpret_cast<char*>(&size), sizeof size);
  if (!in || size > kMaxEngineText) {
    throw DataError(SourceLocation{}, "random stream state: missing or damaged");
  }
  std::string state(size, '\0');
  in.read(state.data(), static_cast<std::streamsize>(size));
  std::istringstream text(state);
  text.imbue(std::locale::classic());
  std::mt19937_64 engine;
  text >> engine;
  if (!in || text.fail()) throw DataError(SourceLocation{}, "random stream state: damaged");
  engine_ = engine;
  seed_pending_ = false;
}

double Rng::normal(double mean, double stddev) {
  // 1 - u1 lies in (0, 1], so the logarithm is finite. The sine half of the pair is dropped on
  // purpose: no cached state means a checkpoint is just the engine, and streams stay simple.
  const double u1 = uniform();
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(1.0 - u1));
  return mean + stddev * radius * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::exponential(double mean) { return -mean * std::log(1.0 - uniform()); }

std::int64_t Rng::poisson(double mean) {
  if (!(mean > 0.0)) return 0;  // mean 0 (or a NaN by mistake): no draws at all

  if (mean <= kKnuthMaxMean) {
    // Knuth: the number of uniforms whose running product stays above exp(-mean), minus one.
    const double limit = std::exp(-mean);
    std::int64_t count = 0;
    double product = uniform();
    while (product > limit) {
      ++count;
      product *= uniform();
    }
    return count;
  }

  // PTRS, Hormann (1993), "The transformed rejection method for generating Poisson random
  // variables", with the constants of the paper (as numpy uses them).
  const double sqrt_mean = std::sqrt(mean);
  const double log_mean = std::log(mean);
  const double b = 0.931 + 2.53 * sqrt_mean;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::abs(u);
    // Computed in double and tested before the conversion: us == 0 gives -infinity here.
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::int64_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -mean + k * log_mean - std::lgamma(k + 1.0)) {
      return static_cast<std::int64_t>(k);
    }
  }
}

double Rng::gamma(double shape, double scale) {
  RECRL_ASSERT(shape > 0.0, "Rng::gamma needs shape > 0");
  if (shape < 1.0) {
    // Marsaglia-Tsang's boost: Gamma(a) = Gamma(a + 1) * U^(1/a). The Gamma(a + 1) draw comes
    // first; 1 - u lies in (0, 1] so the result is never exactly 0.
    const double boosted = gamma(shape + 1.0, 1.0);
    return scale * boosted * std::pow(1.0 - uniform(), 1.0 / shape);
  }
  // Marsaglia & Tsang (2000), "A simple method for generating gamma variables".
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return scale * d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return scale * d * v;
  }
}

double Rng::beta(double a, double b) {
  const double x = gamma(a);
  const double y = gamma(b);
  return x / (x + y);
}

double Rng::lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

}  // namespace recrl
