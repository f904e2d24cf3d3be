#pragma once

#include <cstdint>
#include <iosfwd>
#include <random>

#include "recrl/core/export.hpp"

namespace recrl {

// The kinds of random stream a run draws from. Each (seed, kind, index) triple names an
// independent stream, so that adding an environment copy or an evaluation episode never shifts
// the numbers another part of the run sees.
enum class Stream : std::uint64_t {
  TrainEnv = 1,     // index: environment copy
  TrainReward = 2,  // index: environment copy
  Algorithm = 3,
  EvalEnv = 4,
  EvalReward = 5,
  EvalAlgorithm = 6,
  User = 7,  // free for plugins and tools
};

// SplitMix64 finaliser (Steele, Lea, Flood 2014): mixes a 64-bit value into a well-spread one.
RECRL_API std::uint64_t splitmix64(std::uint64_t x);
// The seed of stream (kind, index) of a run seeded with `seed`.
RECRL_API std::uint64_t derive_seed(std::uint64_t seed, Stream kind, std::uint64_t index = 0);

// The one random number generator of recrl. std::mt19937_64's output sequence is fixed by the
// C++ standard; the samplers below are ours (std::*_distribution differ between standard
// libraries), so any tool that follows docs/random.md reproduces the same numbers.
class RECRL_API Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}
  // Takes effect at the next draw (or engine() / save() call): seeding a std::mt19937_64 fills
  // its 312 words of state, and a stream that is seeded and never drawn from (an evaluation
  // episode's reward stream when the reward has no noise) then costs nothing. The numbers
  // drawn are the same as with immediate seeding.
  void seed(std::uint64_t seed) {
    pending_seed_ = seed;
    seed_pending_ = true;
  }

  std::uint64_t next_u64() { return live()(); }
  // Uniform in [0, 1) with 53 random bits: (next_u64() >> 11) * 2^-53.
  double uniform() { return static_cast<double>(live()() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n >= 1, without modulo bias (Lemire 2019, with rejection).
  std::uint64_t uniform_int(std::uint64_t n);
  // Box-Muller: sqrt(-2 ln(1 - u1)) * cos(2 pi u2); one normal per two uniforms, no cached state.
  double normal(double mean = 0.0, double stddev = 1.0);
  // Inverse CDF: -mean * ln(1 - u).
  double exponential(double mean);
  // Knuth's product method for mean <= 30, Hormann's PTRS above.
  std::int64_t poisson(double mean);
  // Marsaglia-Tsang (2000); shape < 1 through the u^(1/shape) boost.
  double gamma(double shape, double scale = 1.0);
  // X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
  double beta(double a, double b);
  // exp(mu + sigma * normal()).
  double lognormal(double mu, double sigma);
  // uniform() < p.
  bool bernoulli(double p) { return uniform() < p; }

  // Engine state, for checkpoints.
  const std::mt19937_64& engine() const { return live(); }
  std::mt19937_64& engine() { return live(); }
  // Writes the engine state (the standard's text form of std::mt19937_64, length-prefixed);
  // load() reads it back exactly, so that the stream continues where the saved one stood.
  // load() throws DataError (no location: the caller names the file) on anything else.
  void save(std::ostream& out) const;
  void load(std::istream& in);

 private:
  // The engine, seeded first if a seed() is pending. Const because engine() const and save()
  // need the state a draw would see; the deferred seeding does not change what is observable.
  std::mt19937_64& live() const {
    if (seed_pending_) {
      engine_.seed(pending_seed_);
      seed_pending_ = false;
    }
    return engine_;
  }

  mutable std::mt19937_64 engine_;
  mutable bool seed_pending_ = false;
  std::uint64_t pending_seed_ = 0;
};

}  // namespace recrl
