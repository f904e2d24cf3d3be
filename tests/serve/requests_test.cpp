// Parsing of the HTTP API's request bodies (docs/serving.md): what is accepted, and the one
// field each refusal names.
#include <random>

#include <catch2/catch.hpp>

#include "recrl/serve/requests.hpp"
#include "recrl/serve/served_model.hpp"

namespace {

using recrl::serve::RankRequest;
using recrl::serve::RequestShape;

RequestShape shape(bool absent_is_zero = false) {
  recrl::Space features;
  features.size = 3;
  features.labels = {"recency", "email_opens", "is_member"};
  features.low = {0, 0, 0};
  features.high = {INFINITY, 1, 1};
  features.binary = {false, false, true};
  return RequestShape(features, {"[discount, email]", "[reminder, sms]", "[none]"}, absent_is_zero,
                      {"click", "revenue"}, {1.0, 0.01});
}

// True when `text` is valid UTF-8 (whole characters only).
bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xE  ? 3
                          : (c >> 3) == 0x1E ? 4
                                             : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string field_of(const std::optional<recrl::serve::RequestError>& e) {
  REQUIRE(e);
  return e->field;
}

}  // namespace

TEST_CASE("a rank request is read in the policy's feature order", "[unit][serve]") {
  RankRequest r;
  const auto error = recrl::serve::parse_rank(
      R"({"eventId":"a-1:b.c_d","context":{"is_member":1,"recency":12.5,"email_opens":0.87},)"
      R"("excludedActions":[2,"[reminder, sms]"],"deferActivation":true,"explain":true})",
      shape(), r);
  REQUIRE_FALSE(error);
  CHECK(r.event_id == "a-1:b.c_d");
  CHECK(r.context[0] == 12.5f);
  CHECK(r.context[1] == 0.87f);
  CHECK(r.context[2] == 1.0f);
  CHECK(r.excluded == std::vector<char>{0, 1, 1});
  CHECK(r.defer_activation);
  CHECK(r.explain);
}

TEST_CASE("a bad rank request names the field at fault", "[unit][serve]") {
  RankRequest r;
  const auto parse = [&](const std::string& body) {
    return recrl::serve::parse_rank(body, shape(), r);
  };
  const std::string ok = R"("context":{"recency":1,"email_opens":0.5,"is_member":0})";
  CHECK(field_of(parse("{")).empty());
  CHECK_THAT(parse("{")->message, Catch::Contains("not valid JSON"));
  // Where it stopped, in the parser's words, without the library's tag for its exception.
  CHECK_THAT(parse("{\n \"context\": nope}")->message,
             Catch::StartsWith("the body is not valid JSON: parse error at line 2, column 14"));
  CHECK(field_of(parse("[1]")).empty());
  CHECK(field_of(parse(R"({"contxt":{}})")) == "contxt");
  CHECK_THAT(parse(R"({"contxt":{}})")->message, Catch::Contains("did you mean 'context'"));
  CHECK(field_of(parse("{}")) == "context");
  CHECK(field_of(parse(R"({"context":{"recency":1,"email_opens":0.5}})")) == "context.is_member");
  CHECK(field_of(parse(R"({"context":{"recncy":1,"email_opens":0.5,"is_member":0}})")) ==
        "context.recncy");
  CHECK(field_of(parse(R"({"context":{"recency":"1","email_opens":0.5,"is_member":0}})")) ==
        "context.recency");
  CHECK(field_of(parse(R"({"context":{"recency":1,"email_opens":1.5,"is_member":0}})")) ==
        "context.email_opens");
  CHECK(field_of(parse(R"({"context":{"recency":1,"email_opens":0.5,"is_member":0.5}})")) ==
        "context.is_member");
  // JSON has no NaN or infinity: a number too large for a double is not finite either.
  CHECK(field_of(parse(R"({"context":{"recency":NaN,"email_opens":0.5,"is_member":0}})")).empty());
  const auto overflow = parse(R"({"context":{"recency":1e999,"email_opens":0.5,"is_member":0}})");
  CHECK(field_of(overflow) == "context.recency");
  CHECK_THAT(overflow->message, Catch::Contains("finite number"));
  CHECK(field_of(parse(R"({"context":{"recency":1,"email_opens":-2e400,"is_member":0}})")) ==
        "context.email_opens");
  // Finite as a double, infinite as the 32-bit float a feature is: refused, never logged.
  const auto huge = parse(R"({"context":{"recency":3.5e38,"email_opens":0.5,"is_member":0}})");
  CHECK(field_of(huge) == "context.recency");
  CHECK_THAT(huge->message, Catch::Contains("32-bit floats"));
  CHECK(!parse(R"({"context":{"recency":3.4e38,"email_opens":0.5,"is_member":0}})"));
  CHECK(field_of(parse("{" + ok + R"(,"eventId":"a/b"})")) == "eventId");
  CHECK(field_of(parse("{" + ok + R"(,"eventId":""})")) == "eventId");
  CHECK(field_of(parse("{" + ok + R"(,"eventId":")" + std::string(129, 'a') + "\"}")) == "eventId");
  CHECK(field_of(parse("{" + ok + R"(,"excludedActions":[3]})")) == "excludedActions[0]");
  CHECK(field_of(parse("{" + ok + R"(,"excludedActions":[0,"[nope]"]})")) == "excludedActions[1]");
  CHECK(field_of(parse("{" + ok + R"(,"excludedActions":[0,1,2]})")) == "excludedActions");
  CHECK(field_of(parse("{" + ok + R"(,"explain":"yes"})")) == "explain");
}

TEST_CASE("an error shows the start of a long value and not all of it", "[unit][serve]") {
  RankRequest r;
  const auto parse = [&](const std::string& body) {
    return recrl::serve::parse_rank(body, shape(), r);
  };
  const std::string ok = R"("context":{"recency":1,"email_opens":0.5,"is_member":0})";
  // 5,000 bytes of the client's, in each place an error quotes what it was sent; a two-byte
  // character straddles the cut.
  std::string wide = "a", numbers = "0";
  for (int i = 0; i < 2499; ++i) wide += "\xc3\xa9";  // 'e' with an accent, 4,999 bytes
  for (int i = 0; i < 2499; ++i) numbers += ",0";
  const std::vector<std::string> bodies = {
      "{" + ok + R"(,"eventId":")" + std::string(5000, 'x') + "\"}",
      "{" + ok + R"(,")" + wide + R"(":1})",
      R"({"context":{")" + wide + R"(":1}})",
      "{" + ok + R"(,"excludedActions":[")" + wide + R"("]})",
      "{" + ok + R"(,"excludedActions":[[)" + numbers + "]]}",
      "{" + ok + R"(,"explain":")" + wide + R"("})",
      R"({"context":{"recency":")" + wide + R"(","email_opens":0.5,"is_member":0}})",
      R"({"context":{"recency":")" + wide,  // not JSON: the parser quotes the open string
  };
  for (const std::string& body : bodies) {
    const auto error = parse(body);
    REQUIRE(error);
    INFO(error->field + ": " + error->message);
    CHECK(error->message.size() + error->field.size() < 600);
    // Cut between characters: the message stays valid UTF-8 (an answer's JSON needs it).
    CHECK(valid_utf8(error->message));
    CHECK(valid_utf8(error->field));
  }
}

TEST_CASE("the plain rank reader reads what the general one reads, or declines", "[unit][serve]") {
  using recrl::serve::detail::read_any_rank;
  using recrl::serve::detail::read_plain_rank;
  const RequestShape exact = shape(), sparse = shape(true);
  // Requests as clients send them: the plain reader must take these (else the fast path is
  // dead code), and read them as the general one does.
  const std::vector<std::string> common = {
      R"({"context":{"recency":12,"email_opens":0.87,"is_member":1}})",
      R"( { "eventId" : "a-1:b.c_d" , "context" : { "is_member" : 0 , "recency" : 1e2 ,)"
      "\n\t\r"
      R"("email_opens" : 5E-1 } , "excludedActions" : [ 2 , "[reminder, sms]" ] ,)"
      R"( "deferActivation" : true , "explain" : false } )",
      R"({"context":{"recency":-0,"email_opens":0.0,"is_member":1.0},"excludedActions":[]})",
      R"({"context":{"recency":18446744073709551615,"email_opens":1,"is_member":0}})",
      R"({"explain":true,"context":{"recency":0.1,"email_opens":1e-3,"is_member":0}})",
  };
  const auto same = [](const RankRequest& a, const RankRequest& b) {
    return a.event_id == b.event_id && a.context == b.context && a.excluded == b.excluded &&
           a.defer_activation == b.defer_activation && a.explain == b.explain;
  };
  const auto agree = [&](const std::string& body, const RequestShape& sh) {
    RankRequest plain, any;
    if (!read_plain_rank(body, sh, plain)) return true;
    return !read_any_rank(body, sh, any) && same(plain, any);
  };
  for (const std::string& body : common) {
    INFO(body);
    RankRequest r;
    CHECK(read_plain_rank(body, exact, r));
    CHECK(agree(body, exact));
  }
  // Then every body a few random edits away from them, and some declined outright.
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]:,\"-+.eE0123456789 \t\\truefalsnl\x01\x7f\xc3";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string body = common[rng() % common.size()];
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !body.empty(); --edits) {
      const std::size_t at = rng() % body.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          body.erase(at, 1);
          break;
        case 1:
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          body[at] = c;
      }
    }
    INFO(body);
    RankRequest r;
    accepted += read_plain_rank(body, exact, r) ? 1 : 0;
    REQUIRE(agree(body, exact));
    REQUIRE(agree(body, sparse));
  }
  CHECK(accepted > 300);  // the edits left many valid: the comparison saw both readers work
  for (const std::string body :
       {R"({"context":{"recency":1,"email_opens":0.5,"is_member":0},"context":{}})",
        R"({"context":{"recency":1,"recency":2,"email_opens":0.5,"is_member":0}})",
        R"({"context":{"rec\u0065ncy":1,"email_opens":0.5,"is_member":0}})",
        "\xef\xbb\xbf"
        R"({"context":{"recency":1,"email_opens":0.5,"is_member":0}})"}) {
    RankRequest r;
    CHECK_FALSE(read_plain_rank(body, exact, r));
  }
}

TEST_CASE("sparse features may be left out of a context", "[unit][serve]") {
  RankRequest r;
  REQUIRE_FALSE(recrl::serve::parse_rank(R"({"context":{"email_opens":0.5}})", shape(true), r));
  CHECK(r.context[0] == 0.0f);
  CHECK(r.context[1] == 0.5f);
  CHECK(r.event_id.empty());
}

TEST_CASE("a batch holds 1 to 1000 rank requests, errors name the item", "[unit][serve]") {
  std::vector<RankRequest> out;
  const std::string one = R"({"context":{"recency":1,"email_opens":0.5,"is_member":0}})";
  REQUIRE_FALSE(
      recrl::serve::parse_rank_batch(R"({"requests":[)" + one + "," + one + "]}", shape(), out));
  CHECK(out.size() == 2);
  CHECK(field_of(recrl::serve::parse_rank_batch(R"({"requests":[]})", shape(), out)) == "requests");
  std::string many = R"({"requests":[)";
  for (int i = 0; i < 1001; ++i) many += (i > 0 ? "," : "") + one;
  CHECK(field_of(recrl::serve::parse_rank_batch(many + "]}", shape(), out)) == "requests");
  CHECK(field_of(recrl::serve::parse_rank_batch(
            R"({"requests":[)" + one +
                R"(,{"context":{"recency":-1,"email_opens":0,"is_member":0}}]})",
            shape(), out)) == "requests[1].context.recency");
  // A number past a double's range stops the parser itself: the item is named all the same.
  CHECK(field_of(recrl::serve::parse_rank_batch(
            R"({"requests":[)" + one + "," + one +
                R"(,{"excludedActions":[1,[2]],"context":{"recency":1e999}}]})",
            shape(), out)) == "requests[2].context.recency");
  CHECK(field_of(recrl::serve::parse_rank_batch(R"({"requests":[)" + one + R"(,[[],5e999]]})",
                                                shape(), out)) == "requests[1][1]");
}

TEST_CASE("a reward is a value or named components combined by their weights", "[unit][serve]") {
  recrl::serve::RewardRequest r;
  REQUIRE_FALSE(recrl::serve::parse_reward(R"({"value":0.25})", shape(), r));
  CHECK(r.value == 0.25);
  CHECK(r.components.empty());
  REQUIRE_FALSE(
      recrl::serve::parse_reward(R"({"components":{"click":1,"revenue":12.5}})", shape(), r));
  CHECK(r.value == Approx(1.125));
  CHECK(r.components == R"({"click":1,"revenue":12.5})");
  CHECK(field_of(recrl::serve::parse_reward(R"({"components":{"clicks":1}})", shape(), r)) ==
        "components.clicks");
  CHECK_THAT(recrl::serve::parse_reward(R"({"components":{"clicks":1}})", shape(), r)->message,
             Catch::Contains("did you mean 'click'"));
  CHECK(field_of(recrl::serve::parse_reward(R"({"value":1,"components":{"click":1}})", shape(), r))
            .empty());
  CHECK(field_of(recrl::serve::parse_reward(R"({"value":"1"})", shape(), r)) == "value");
  CHECK(field_of(recrl::serve::parse_reward(R"({})", shape(), r)).empty());
}

TEST_CASE("the served distribution floors, excludes and renormalises", "[unit][serve]") {
  std::vector<float> out(3);
  // The policy's own distribution mixed with the uniform one: (1 - 0.1) p + 0.1 / 3.
  int greedy = recrl::serve::served_distribution(std::vector<float>{0.7f, 0.2f, 0.1f},
                                                 std::vector<char>{0, 0, 0}, 0.1, out);
  CHECK(greedy == 0);
  CHECK(out[0] == Approx(0.9 * 0.7 + 0.1 / 3));
  CHECK(out[2] == Approx(0.9 * 0.1 + 0.1 / 3));
  CHECK(out[0] + out[1] + out[2] == Approx(1.0));
  // An excluded action gets 0; the rest is renormalised over the allowed ones.
  greedy = recrl::serve::served_distribution(std::vector<float>{0.7f, 0.2f, 0.1f},
                                             std::vector<char>{1, 0, 0}, 0.0, out);
  CHECK(greedy == 1);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == Approx(2.0 / 3));
  // A one-hot policy on an excluded action leaves the uniform over the rest.
  greedy = recrl::serve::served_distribution(std::vector<float>{1, 0, 0},
                                             std::vector<char>{1, 0, 0}, 0.05, out);
  CHECK(greedy == 1);  // the lowest index among equals
  CHECK(out[1] == Approx(0.5));
  CHECK(out[2] == Approx(0.5));
}
