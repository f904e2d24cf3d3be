#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "recrl/core/export.hpp"
#include "recrl/core/spaces.hpp"
#include "recrl/core/types.hpp"

namespace recrl::serve {

// What the request parser must know of the served policy: its features (names and bounds),
// its actions, and the named reward components a reward request may give.
struct RECRL_API RequestShape {
  Space features;
  std::vector<std::string> actions;
  // A policy fitted from an OBD or VW log reads sparse features: one not sent is 0.
  bool absent_is_zero = false;
  std::vector<std::string> components;  // reward components, with their weights
  std::vector<double> weights;

  RequestShape(Space features, std::vector<std::string> actions, bool absent_is_zero,
               std::vector<std::string> components, std::vector<double> weights);
  std::optional<int> feature(std::string_view name) const;
  std::optional<int> action(std::string_view label) const;

 private:
  // Looked up by a view into the request's text, without a string made for the lookup.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, int, Hash, std::equal_to<>>;
  static Index index_of(const std::vector<std::string>& names);
  Index feature_index_, action_index_;
};

// A request refused: the server answers 400 with {"error": message, "field": field}. `field`
// is the JSON path of the value at fault ("context.recency", "requests[3].eventId"), "" for
// the body as a whole.
struct RequestError {
  std::string field;
  std::string message;
};

struct RankRequest {
  std::string event_id;        // "" when the client sent none: the server makes one
  Vector context;              // the features, in the policy's order
  std::vector<char> excluded;  // per action: 1 when the client excluded it
  bool defer_activation = false;
  bool explain = false;
};

// An event id: 1 to 128 characters of A-Z a-z 0-9 . _ : - (so that it can sit in a URL path
// and in JSON unescaped).
RECRL_API bool valid_event_id(std::string_view id);
inline constexpr std::size_t kMaxBatch = 1000;

// Parse a request body. On a bad request they return the error and leave `out` unspecified.
// POST /v1/rank: {"eventId"?, "context", "excludedActions"?, "deferActivation"?, "explain"?}.
RECRL_API std::optional<RequestError> parse_rank(std::string_view body, const RequestShape& shape,
                                                 RankRequest& out);
namespace detail {
// parse_rank's two readers, apart so that the tests can hold them to agree. The plain one reads
// the common request without allocating and declines (false) anything else; the general one
// reads any request and names the field of a bad one.
RECRL_API bool read_plain_rank(std::string_view body, const RequestShape& shape, RankRequest& out);
RECRL_API std::optional<RequestError> read_any_rank(std::string_view body,
                                                    const RequestShape& shape, RankRequest& out);
}  // namespace detail
// POST /v1/rank:batch: {"requests": [rank request, ...]} with 1 to kMaxBatch requests.
RECRL_API std::optional<RequestError> parse_rank_batch(std::string_view body,
                                                       const RequestShape& shape,
                                                       std::vector<RankRequest>& out);

struct RewardRequest {
  double value = 0;
  std::string components;  // the components as received (compact JSON), "" for a plain value
};
// POST /v1/events/{id}/reward: {"value": number} or {"components": {name: number, ...}}, the
// components combined by the shape's weights.
RECRL_API std::optional<RequestError> parse_reward(std::string_view body, const RequestShape& shape,
                                                   RewardRequest& out);

}  // namespace recrl::serve
