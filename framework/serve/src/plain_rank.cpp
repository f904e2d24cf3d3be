// The rank request as clients send it, read without allocating (a served request allocates
// nothing that a hot loop would): plain JSON of the five known fields, each at most once,
// strings of printable ASCII without escapes, every feature given. Anything else is declined,
// not refused: parse_rank then reads it with the general parser, which accepts what is valid
// and names the field of what is not. So this reader needs no messages, only never to accept
// what the general one would refuse or read differently (tests/serve/requests_test.cpp holds
// the two to that).
#include <algorithm>
#include <charconv>
#include <cstdint>

#include "recrl/run/recommend.hpp"
#include "recrl/serve/requests.hpp"

namespace recrl::serve::detail {

namespace {

// A cursor over the body; every read returns false where the plain form ends.
class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at_end() {
    skip_space();
    return p_ == end_;
  }
  // The next significant character is `c`: consumed.
  bool take(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool peek(char c) {
    skip_space();
    return p_ != end_ && *p_ == c;
  }

  bool string(std::string_view& out) {
    if (!take('"')) return false;
    const char* begin = p_;
    for (; p_ != end_ && *p_ != '"'; ++p_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;  // escapes, controls, UTF-8
    }
    if (p_ == end_) return false;
    out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    ++p_;
    return true;
  }

  // A JSON number as nlohmann's parser gives it to get<double>(): an integer that fits 64 bits
  // is converted from the integer, anything else is read as a double (both round to nearest).
  bool number(double& out, bool& integral) {
    skip_space();
    const char* begin = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && digit(*p_)) ++p_;
    }
    integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    if (integral) {
      std::int64_t i = 0;
      if (std::from_chars(begin, p_, i).ec == std::errc{}) {
        out = static_cast<double>(i);
        return true;
      }
      std::uint64_t u = 0;
      if (*begin != '-' && std::from_chars(begin, p_, u).ec == std::errc{}) {
        out = static_cast<double>(u);
        return true;
      }
    }
    // Out of range (a huge or tiny double): the general parser decides.
    return std::from_chars(begin, p_, out).ec == std::errc{};
  }

  bool boolean(bool& out) {
    skip_space();
    if (word("true")) return out = true, true;
    if (word("false")) return out = false, true;
    return false;
  }

 private:
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  bool digits() {
    const char* begin = p_;
    while (p_ != end_ && digit(*p_)) ++p_;
    return p_ != begin;
  }
  bool word(std::string_view w) {
    if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w)
      return false;
    p_ += w.size();
    return true;
  }

  const char* p_;
  const char* end_;
};

// Reads `{ item, item, ... }` or `[ item, ... ]`, calling `item` for each; false where it did.
template <typename Item>
bool sequence(Reader& in, char open, char close, Item&& item) {
  if (!in.take(open)) return false;
  if (in.take(close)) return true;
  do {
    if (!item()) return false;
  } while (in.take(','));
  return in.take(close);
}

bool context(Reader& in, const RequestShape& shape, RankRequest& out) {
  const Space& features = shape.features;
  out.context.setZero(features.size);
  std::uint64_t given = 0;
  if (features.size > 64) return false;  // a bit each below
  const bool read = sequence(in, '{', '}', [&] {
    std::string_view name;
    double value = 0;
    bool integral = false;
    if (!in.string(name) || !in.take(':') || !in.number(value, integral)) return false;
    const auto f = shape.feature(name);
    if (!f || (given >> *f & 1) || !feature_value_problem(features, *f, value).empty())
      return false;
    given |= std::uint64_t{1} << *f;
    out.context[*f] = static_cast<Scalar>(value);
    return true;
  });
  const std::uint64_t all =
      features.size == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << features.size) - 1;
  return read && (shape.absent_is_zero || given == all);
}

bool excluded(Reader& in, const RequestShape& shape, RankRequest& out) {
  const std::size_t k = shape.actions.size();
  const bool read = sequence(in, '[', ']', [&] {
    std::string_view label;
    if (in.peek('"')) {
      if (!in.string(label)) return false;
      const auto index = shape.action(label);
      if (!index) return false;
      out.excluded[static_cast<std::size_t>(*index)] = 1;
      return true;
    }
    double index = 0;
    bool integral = false;
    if (!in.number(index, integral) || !integral || index < 0 || index >= static_cast<double>(k))
      return false;
    out.excluded[static_cast<std::size_t>(index)] = 1;
    return true;
  });
  return read && std::find(out.excluded.begin(), out.excluded.end(), 0) != out.excluded.end();
}

}  // namespace

bool read_plain_rank(std::string_view body, const RequestShape& shape, RankRequest& out) {
  out.event_id.clear();
  out.excluded.assign(shape.actions.size(), 0);
  out.defer_activation = false;
  out.explain = false;
  Reader in(body);
  enum Field : unsigned { EventId = 1, Context = 2, Excluded = 4, Defer = 8, Explain = 16 };
  unsigned seen = 0;
  const auto once = [&](Field f) { return !(seen & f) && (seen |= f, true); };
  const bool read = sequence(in, '{', '}', [&] {
    std::string_view key;
    if (!in.string(key) || !in.take(':')) return false;
    if (key == "context") return once(Context) && context(in, shape, out);
    if (key == "eventId") {
      std::string_view id;
      if (!once(EventId) || !in.string(id) || !valid_event_id(id)) return false;
      out.event_id.assign(id);
      return true;
    }
    if (key == "excludedActions") return once(Excluded) && excluded(in, shape, out);
    if (key == "deferActivation") return once(Defer) && in.boolean(out.defer_activation);
    if (key == "explain") return once(Explain) && in.boolean(out.explain);
    return false;
  });
  return read && (seen & Context) && in.at_end();
}

}  // namespace recrl::serve::detail
