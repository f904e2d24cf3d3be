#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/loader/registry.hpp"
#include "recrl/run/explain.hpp"
#include "recrl/run/recommend.hpp"

namespace recrl::serve {

// One policy instance and the buffers of one decision on it, reused request after request.
struct RECRL_API Scorer {
  explicit Scorer(std::unique_ptr<Recommender> p);
  std::unique_ptr<Recommender> policy;
  Matrix raw, seen, probabilities, scores;
  std::vector<int> greedy;
  std::vector<std::uint8_t> allowed;  // the environment's masks at raw (docs/masks.md)
  ExplainBuffers explain;
};

// What explanations are measured against (docs/serving.md): `prototypes` real customers
// standing for a sample (k-means medoids) drawn from the policy's simulator, or from
// `background_file` (a CSV of customers; required for a policy fitted from a log).
struct ExplainSettings {
  std::string background_file;
  int prototypes = 8;
};

// One version of the served model. Algorithms keep working buffers, so requests in flight at
// once each lease their own instance of it; instances are made as needed and kept.
class RECRL_API ServedModel {
 public:
  ServedModel(int version, std::string source, PolicyRecord record,
              const plugin::PluginRegistry& registry, const ExplainSettings& explain = {});

  int version() const { return version_; }
  // Numbers the model; only before it is shared with request threads.
  void set_version(int version) { version_ = version; }
  const std::string& source() const { return source_; }
  const PolicyRecord& record() const { return record_; }
  const EnvSpec& spec() const { return spec_; }
  bool sparse_features() const { return sparse_features_; }
  // The background of explanations; empty when this policy cannot be explained, and then
  // `unexplainable()` says why.
  const Background& background() const { return background_; }
  const std::string& unexplainable() const { return unexplainable_; }

  class Lease {
   public:
    Lease(const ServedModel& model, std::unique_ptr<Scorer> scorer)
        : model_(&model), scorer_(std::move(scorer)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = delete;
    ~Lease();
    Scorer& operator*() const { return *scorer_; }
    Scorer* operator->() const { return scorer_.get(); }

   private:
    const ServedModel* model_;
    std::unique_ptr<Scorer> scorer_;
  };
  Lease lease() const;

 private:
  int version_;
  std::string source_;
  PolicyRecord record_;
  const plugin::PluginRegistry& registry_;
  EnvSpec spec_;
  bool sparse_features_ = false;
  Background background_;
  std::string unexplainable_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Scorer>> idle_;
};

// How a decision is drawn (docs/serving.md): the policy's distribution over the allowed actions,
// mixed with the uniform one by `floor`, so that every allowed action keeps a propensity of at
// least floor / allowed.
struct Exploration {
  double floor = 0.05;
  std::uint64_t seed = 0;
};

struct RankDecision {
  int action = 0;
  int greedy = 0;  // the policy's own first choice among the allowed actions
  bool explored = false;
  std::vector<float> probabilities;  // what `action` was drawn from; 0 for excluded actions
};

// The served distribution from the policy's (`policy`, K entries, possibly one-hot): zero on
// excluded actions, renormalised over the allowed ones (uniform there when the policy put no
// mass on them; decide() first turns to the policy's scores then), mixed with the uniform by
// `floor`. Returns the greedy action: the allowed one
// the policy gives most (the lowest index on ties).
RECRL_API int served_distribution(std::span<const float> policy, std::span<const char> excluded,
                                  double floor, std::span<float> out);

// Adds to `excluded` (one flag per action) the actions the policy's environment forbids for
// `context` (its masks, docs/masks.md), so that neither the policy nor exploration chooses
// them and the log gives them probability 0. Returns what is wrong when no action remains.
RECRL_API std::optional<std::string> exclude_forbidden(Scorer& scorer, const Vector& context,
                                                       std::vector<char>& excluded);

// Decides for one customer (`context`, raw features in the policy's order): the distribution
// above, an action drawn from it with a generator seeded from `exploration.seed` and the event
// id (the same event id draws the same action), and whether the draw explored.
RECRL_API void decide(Scorer& scorer, const Vector& context, std::span<const char> excluded,
                      const std::string& event_id, const Exploration& exploration,
                      RankDecision& out);

}  // namespace recrl::serve
