// The memory a plugin may plan for (RECRL_MEMORY_LIMIT below the machine's) and what training a
// network holds, counted by hand.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/memory_check.hpp"
#include "recrl/toolkit/mlp.hpp"

namespace {

using recrl::toolkit::memory_limit;
using recrl::toolkit::mlp_footprint;

// Sets RECRL_MEMORY_LIMIT for one scope.
struct LimitVariable {
  explicit LimitVariable(const char* value) { ::setenv("RECRL_MEMORY_LIMIT", value, 1); }
  ~LimitVariable() { ::unsetenv("RECRL_MEMORY_LIMIT"); }
};

}  // namespace

TEST_CASE("a network's footprint counts its parameters and a batch's activations",
          "[unit][toolkit]") {
  // 10 -> 64 -> 64 -> 9: (10 + 1) 64 + (64 + 1) 64 + (64 + 1) 9 = 704 + 4160 + 585.
  const auto net = mlp_footprint(10, {64, 64}, 9, 32, 4);
  CHECK(net.parameters == 5449);
  CHECK(net.parameter_bytes == 4.0 * 4 * 5449);  // 4 floats per parameter
  // Each unit's value and gradient per sample.
  CHECK(net.batch_bytes == 4.0 * 2 * (10 + 64 + 64 + 9) * 32);
  for (const auto& hidden : {std::vector<int>{}, std::vector<int>{7}, std::vector<int>{3, 5, 2}}) {
    const recrl::toolkit::Mlp<float> mlp(4, {hidden.begin(), hidden.end()}, 6,
                                         recrl::toolkit::Activation::Tanh);
    CHECK(mlp_footprint(4, hidden, 6, 1, 1).parameters ==
          static_cast<double>(mlp.num_parameters()));
  }
}

TEST_CASE("RECRL_MEMORY_LIMIT lowers the memory plugins may plan for", "[unit][toolkit]") {
  ::unsetenv("RECRL_MEMORY_LIMIT");
  const auto machine = memory_limit();
  REQUIRE(machine.bytes > (std::uint64_t{64} << 20));
  {
    const LimitVariable limit("64M");
    CHECK(memory_limit().bytes == std::uint64_t{64} << 20);
    CHECK(memory_limit().source == "RECRL_MEMORY_LIMIT");
  }
  {
    const LimitVariable limit("1073741824");
    CHECK(memory_limit().bytes == std::min<std::uint64_t>(machine.bytes, 1073741824));
  }
  {  // Above what the machine has, it changes nothing.
    const LimitVariable limit("1024T");
    CHECK(memory_limit().bytes == machine.bytes);
    CHECK(memory_limit().source == machine.source);
  }
  for (const char* bad : {"", "8GB", "G", "-1G", "0", "1.5G", "99999999999T"}) {
    const LimitVariable limit(bad);
    const std::string expected =
        "error: RECRL_MEMORY_LIMIT: expected a size such as 8G, 512M "
        "or a number of bytes, got '" +
        std::string(bad) + "'";
    CHECK_THROWS_WITH(memory_limit(), expected);
  }
}
