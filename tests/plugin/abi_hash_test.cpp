// Guards the plugin ABI: the headers whose contents cross the plugin boundary are hashed, and
// the hash must equal kAbiHeadersHash in recrl/plugin/abi.hpp. Changing one of them therefore
// fails here until someone decides whether kPluginAbi must be bumped and records the new hash.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "recrl/plugin/abi.hpp"

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = kFnvOffsetBasis) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= kFnvPrime;
  }
  return hash;
}

// Each line with its runs of whitespace collapsed to one space and trimmed; blank lines and
// the lines that hold the recorded hash itself (which must not feed its own value) dropped.
std::string normalised_contents(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  std::string normalised;
  for (std::string line; std::getline(in, line);) {
    if (line.find("kAbiHeadersHash") != std::string::npos) continue;
    std::istringstream words(line);
    std::string joined;
    for (std::string word; words >> word;) joined += (joined.empty() ? "" : " ") + word;
    if (!joined.empty()) normalised += joined + "\n";
  }
  return normalised;
}

// Every SDK header: recrl/core/*.hpp, recrl/toolkit/*.hpp, recrl/util/*.hpp and
// recrl/plugin/{abi,export}.hpp, by path relative to include/recrl. The toolkit counts:
// librecrl_sdk compiles some of its classes, and plugins and the host share objects of its
// templates (an Mlp inside an ActorCriticPolicy).
std::vector<std::string> boundary_headers(const fs::path& include_root) {
  std::vector<std::string> headers{"plugin/abi.hpp", "plugin/export.hpp"};
  for (const std::string folder : {"core", "toolkit", "util"}) {
    for (const auto& entry : fs::directory_iterator(include_root / folder)) {
      if (entry.path().extension() == ".hpp") {
        headers.push_back(folder + "/" + entry.path().filename().string());
      }
    }
  }
  std::sort(headers.begin(), headers.end());
  return headers;
}

std::string hex64(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016llxull", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

TEST_CASE("fnv1a64 matches the published test vectors", "[plugin][abi]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("the plugin boundary headers match the hash recorded with kPluginAbi", "[plugin][abi]") {
  const fs::path include_root = fs::path(RECRL_PROJECT_SOURCE_DIR) / "framework/sdk/include/recrl";
  const auto headers = boundary_headers(include_root);
  REQUIRE(headers.size() > 2);

  std::uint64_t hash = kFnvOffsetBasis;
  for (const auto& header : headers) {
    // The path is hashed too, so that renaming or adding a header counts as a change.
    hash = fnv1a64(header + "\n", hash);
    hash = fnv1a64(normalised_contents(include_root / header), hash);
  }

  INFO(
      "A plugin boundary header changed (framework/sdk/include/recrl/core/*.hpp, "
      "recrl/toolkit/*.hpp, recrl/util/*.hpp, recrl/plugin/abi.hpp or recrl/plugin/export.hpp). If "
      "the change alters anything a plugin "
      "is compiled against (a class layout, a virtual function, a signature, the descriptor or "
      "the macros), bump kPluginAbi in recrl/plugin/abi.hpp. Then record the new hash there: "
      "kAbiHeadersHash = "
      << hex64(hash) << ";");
  CHECK(hash == recrl::plugin::kAbiHeadersHash);
}
