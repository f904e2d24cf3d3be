#include "recrl/stats/off_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

#include "percentile_interval.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::stats {

namespace {

constexpr struct {
  OpeEstimator estimator;
  const char* name;
} kNames[] = {{OpeEstimator::Ipw, "ipw"},   {OpeEstimator::Snipw, "snipw"},
              {OpeEstimator::Dm, "dm"},     {OpeEstimator::Dr, "dr"},
              {OpeEstimator::Sndr, "sndr"}, {OpeEstimator::SwitchDr, "switch-dr"}};

std::size_t rows(const OpeData& data) { return data.action.size(); }

void check(const OpeData& data, bool reward_model) {
  const auto n = static_cast<Eigen::Index>(rows(data));
  RECRL_ASSERT(data.reward.size() == rows(data) && data.propensity.size() == rows(data) &&
                   data.target != nullptr && data.target->cols() == n,
               "off-policy data: columns of different lengths");
  RECRL_ASSERT(!reward_model || (data.q_hat != nullptr && data.q_hat->cols() == n &&
                                 data.q_hat->rows() == data.target->rows()),
               "off-policy data: the estimator needs a reward model of the log's shape");
}

// w_i = pi(a_i | x_i) / p_i.
double weight(const OpeData& data, std::size_t i) {
  return (*data.target)(data.action[i], static_cast<Eigen::Index>(i)) / data.propensity[i];
}

double mean_weight(const OpeData& data) {
  double sum = 0;
  for (std::size_t i = 0; i < rows(data); ++i) sum += weight(data, i);
  return sum / static_cast<double>(rows(data));
}

// q^_pi(x_i) = sum_a pi(a | x_i) q^(x_i, a).
double model_value(const OpeData& data, std::size_t i) {
  const auto j = static_cast<Eigen::Index>(i);
  return data.target->col(j).dot(data.q_hat->col(j));
}

double model_error(const OpeData& data, std::size_t i) {
  return data.reward[i] - (*data.q_hat)(data.action[i], static_cast<Eigen::Index>(i));
}

}  // namespace

const char* estimator_name(OpeEstimator estimator) {
  for (const auto& entry : kNames) {
    if (entry.estimator == estimator) return entry.name;
  }
  return "?";
}

std::optional<OpeEstimator> parse_estimator(std::string_view name) {
  for (const auto& entry : kNames) {
    if (name == entry.name) return entry.estimator;
  }
  return std::nullopt;
}

bool needs_reward_model(OpeEstimator estimator) {
  return estimator != OpeEstimator::Ipw && estimator != OpeEstimator::Snipw;
}

namespace {

// Every round reward is a fixed combination of per-row terms, round_e(i) = sum_k c_ek T_k(i),
// with coefficients the same on every row (the self-normalised ones divide by the whole log's
// mean weight, as OBP's estimate_interval does). The bootstrap then needs only the resampled
// means of the distinct terms: three without clipping (w r, q^_pi, w (r - q^)) for all six
// estimators.
enum Term {
  kWeightedReward,
  kClippedWeightedReward,
  kModelValue,
  kWeightedError,
  kClippedWeightedError,
  kSwitchWeightedError,
  kTermCount
};

double term(Term t, const OpeData& data, std::size_t i, double clip) {
  const double w = weight(data, i);
  switch (t) {
    case kWeightedReward:
      return w * data.reward[i];
    case kClippedWeightedReward:
      return std::min(w, clip) * data.reward[i];
    case kModelValue:
      return model_value(data, i);
    case kWeightedError:
      return w * model_error(data, i);
    case kClippedWeightedError:
      return std::min(w, clip) * model_error(data, i);
    case kSwitchWeightedError:
      return w <= clip ? w * model_error(data, i) : 0.0;
    case kTermCount:
      break;
  }
  return 0;
}

// An estimator's coefficient of each term.
using Combination = std::array<double, kTermCount>;

Combination combination(OpeEstimator estimator, const OpeData& data) {
  Combination k{};
  switch (estimator) {
    case OpeEstimator::Ipw:
      k[kClippedWeightedReward] = 1;
      break;
    case OpeEstimator::Snipw:
      k[kWeightedReward] = 1 / mean_weight(data);
      break;
    case OpeEstimator::Dm:
      k[kModelValue] = 1;
      break;
    case OpeEstimator::Dr:
      k[kModelValue] = 1;
      k[kClippedWeightedError] = 1;
      break;
    case OpeEstimator::Sndr:
      k[kModelValue] = 1;
      k[kWeightedError] = 1 / mean_weight(data);
      break;
    case OpeEstimator::SwitchDr:
      k[kModelValue] = 1;
      k[kSwitchWeightedError] = 1;
      break;
  }
  return k;
}

// Bootstrap resamples of n rows drawn with replacement, kBlock at a time, each kept as how many
// times every row was drawn. The draws touch one byte per row (an array that stays in cache),
// and the sums then read the terms in order, a chunk that stays in cache for all kBlock
// resamples, instead of at n random places per resample: several times faster on logs of
// millions of rows.
class ResampleBlock {
 public:
  static constexpr std::size_t kBlock = 8;

  explicit ResampleBlock(std::size_t n) : n_(n), counts_(n * kBlock) {
    RECRL_ASSERT(n > 0 && n < (std::uint64_t{1} << 32), "bootstrap: 1 to 2^32 - 1 rows");
  }

  // Resample r of the block: n row indices drawn uniformly from `engine`, two per 64-bit output,
  // each by Lemire's multiply-and-reject on 32 bits (unbiased).
  void draw(std::size_t r, std::mt19937_64& engine) {
    std::uint8_t* counts = counts_.data() + r * n_;
    std::fill(counts, counts + n_, std::uint8_t{0});
    const auto n = static_cast<std::uint64_t>(n_);
    const auto threshold = static_cast<std::uint32_t>((std::uint64_t{1} << 32) % n);
    std::size_t drawn = 0;
    while (drawn < n_) {
      const std::uint64_t x = engine();
      for (const auto half : {static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(x >> 32)}) {
        const std::uint64_t product = std::uint64_t{half} * n;
        if (static_cast<std::uint32_t>(product) < threshold) continue;
        const auto row = static_cast<std::size_t>(product >> 32);
        // A row drawn a 256th time wraps its byte: kept aside (in a log of millions of rows a
        // row is drawn more than 12 times with probability below 1e-9).
        if (++counts[row] == 0) wrapped_.push_back({r, row});
        if (++drawn == n_) break;
      }
    }
  }

  // sums[r * k + t] = sum_i count_r(i) * terms[t * n + i], for the first `used` resamples.
  void weighted_sums(const std::vector<double>& terms, std::size_t k, std::size_t used,
                     std::vector<double>& sums) {
    constexpr std::size_t kChunk = 4096;
    std::fill(sums.begin(), sums.end(), 0.0);
    for (std::size_t begin = 0; begin < n_; begin += kChunk) {
      const std::size_t end = std::min(n_, begin + kChunk);
      for (std::size_t r = 0; r < used; ++r) {
        const std::uint8_t* counts = counts_.data() + r * n_;
        for (std::size_t t = 0; t < k; ++t) {
          const double* term = terms.data() + t * n_;
          // Four running sums: the additions of one do not wait on the others'.
          double s[4] = {0, 0, 0, 0};
          std::size_t i = begin;
          for (; i + 4 <= end; i += 4) {
            for (std::size_t j = 0; j < 4; ++j) s[j] += counts[i + j] * term[i + j];
          }
          for (; i < end; ++i) s[0] += counts[i] * term[i];
          sums[r * k + t] += (s[0] + s[1]) + (s[2] + s[3]);
        }
      }
    }
    for (const auto& [r, row] : wrapped_) {
      if (r >= used) continue;
      for (std::size_t t = 0; t < k; ++t) sums[r * k + t] += 256.0 * terms[t * n_ + row];
    }
    wrapped_.clear();
  }

 private:
  std::size_t n_;
  std::vector<std::uint8_t> counts_;                          // [kBlock x n]
  std::vector<std::pair<std::size_t, std::size_t>> wrapped_;  // (resample, row)
};

}  // namespace

namespace {

// The distinct terms some estimator uses, term after term ([k x n]), and where each of the
// kTermCount terms is among them (-1: unused). A term equal on every row to one already kept
// (the clipped ones, when nothing is clipped) is read as that one.
struct TermTable {
  std::vector<double> values;
  std::size_t k = 0;
  std::array<int, kTermCount> column_of{};
};

TermTable term_table(const std::vector<Combination>& combinations, const OpeData& data,
                     double clip) {
  const std::size_t n = rows(data);
  TermTable table;
  table.column_of.fill(-1);
  std::vector<double> column(n);
  for (int t = 0; t < kTermCount; ++t) {
    const auto used = [&](const Combination& c) { return c[static_cast<std::size_t>(t)] != 0; };
    if (std::none_of(combinations.begin(), combinations.end(), used)) continue;
    for (std::size_t i = 0; i < n; ++i) column[i] = term(static_cast<Term>(t), data, i, clip);
    std::size_t same = 0;
    while (same < table.k &&
           !std::equal(column.begin(), column.end(),
                       table.values.begin() + static_cast<std::ptrdiff_t>(same * n))) {
      ++same;
    }
    table.column_of[static_cast<std::size_t>(t)] = static_cast<int>(same);
    if (same == table.k) {
      table.values.insert(table.values.end(), column.begin(), column.end());
      ++table.k;
    }
  }
  return table;
}

// sum_t c_t x_t, with x the distinct terms' values (`values[column]`: their means, or one
// resample's sums).
double combined(const Combination& c, const TermTable& terms, const double* values) {
  double value = 0;
  for (std::size_t t = 0; t < kTermCount; ++t) {
    if (c[t] != 0) value += c[t] * values[terms.column_of[t]];
  }
  return value;
}

// Each estimator's bootstrapped means, [estimator][resample]. Resample b draws from its own
// stream (seeded from `base` and b), so that the replicates do not depend on how many threads
// share the work; threads take blocks of resamples in turn.
std::vector<std::vector<double>> bootstrap_replicates(const std::vector<Combination>& combinations,
                                                      const TermTable& terms, std::size_t n,
                                                      const OpeOptions& options,
                                                      std::uint64_t base) {
  const auto resamples = static_cast<std::size_t>(options.bootstrap);
  std::vector<std::vector<double>> replicates(combinations.size(), std::vector<double>(resamples));
  constexpr std::size_t kBlock = ResampleBlock::kBlock;
  const std::size_t k = terms.k;
  const auto work = [&](std::size_t first, std::size_t step) {
    ResampleBlock block(n);
    std::vector<double> sums(kBlock * k);
    for (std::size_t b0 = first * kBlock; b0 < resamples; b0 += step * kBlock) {
      const std::size_t used = std::min(kBlock, resamples - b0);
      for (std::size_t r = 0; r < used; ++r) {
        Rng stream(splitmix64(base + b0 + r));
        block.draw(r, stream.engine());
      }
      block.weighted_sums(terms.values, k, used, sums);
      for (std::size_t r = 0; r < used; ++r) {
        for (std::size_t e = 0; e < combinations.size(); ++e) {
          replicates[e][b0 + r] =
              combined(combinations[e], terms, &sums[r * k]) / static_cast<double>(n);
        }
      }
    }
  };
  const std::size_t blocks = (resamples + kBlock - 1) / kBlock;
  const std::size_t threads =
      std::min(blocks, static_cast<std::size_t>(std::max(1, options.threads)));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& thread : pool) thread.join();
  return replicates;
}

}  // namespace

std::vector<OpeEstimate> estimate(std::span<const OpeEstimator> estimators, const OpeData& data,
                                  const OpeOptions& options, Rng& rng) {
  const std::size_t n = rows(data);
  RECRL_ASSERT(n > 0, "off-policy estimate of an empty log");
  std::vector<Combination> combinations;
  for (const OpeEstimator e : estimators) {
    check(data, needs_reward_model(e));
    combinations.push_back(combination(e, data));
  }
  // Each estimate is its combination of the terms' means over the log.
  const TermTable terms = term_table(combinations, data, options.clip);
  std::vector<double> means(terms.k);
  for (std::size_t t = 0; t < terms.k; ++t) {
    const auto column = terms.values.begin() + static_cast<std::ptrdiff_t>(t * n);
    means[t] = std::accumulate(column, column + static_cast<std::ptrdiff_t>(n), 0.0) /
               static_cast<double>(n);
  }
  std::vector<OpeEstimate> out;
  for (std::size_t e = 0; e < estimators.size(); ++e) {
    out.push_back({estimators[e], combined(combinations[e], terms, means.data()), std::nullopt,
                   std::nullopt});
  }
  if (options.bootstrap <= 0 || n < 2) return out;
  auto replicates = bootstrap_replicates(combinations, terms, n, options, rng.next_u64());
  for (std::size_t e = 0; e < out.size(); ++e) {
    const auto bounds = detail::percentile_bounds(replicates[e], options.confidence);
    out[e].ci_low = bounds.lower;
    out[e].ci_high = bounds.upper;
  }
  return out;
}

OpeDiagnostics diagnose(const OpeData& data) {
  check(data, false);
  OpeDiagnostics d;
  d.n = static_cast<std::int64_t>(rows(data));
  double sum = 0, sum_squares = 0;
  std::int64_t zero = 0;
  for (std::size_t i = 0; i < rows(data); ++i) {
    const double w = weight(data, i);
    sum += w;
    sum_squares += w * w;
    d.max_weight = std::max(d.max_weight, w);
    if (w == 0) ++zero;
  }
  if (d.n == 0) return d;
  d.mean_weight = sum / static_cast<double>(d.n);
  d.effective_sample_size = sum_squares > 0 ? sum * sum / sum_squares : 0.0;
  d.zero_target_share = static_cast<double>(zero) / static_cast<double>(d.n);
  return d;
}

}  // namespace recrl::stats
