#include "recrl/toolkit/user_source.hpp"

#include <cmath>

#include "recrl/toolkit/csv.hpp"
#include "recrl/toolkit/file_cache.hpp"
#include "recrl/util/number_text.hpp"

namespace recrl::toolkit {

namespace {

std::filesystem::path resolve_path(const Value& path_value, const std::string& key_path) {
  if (!path_value.is_string() || path_value.as_string().empty()) {
    throw ConfigError(path_value.where(), key_path,
                      "expected the path of a CSV file of users, got " + path_value.text());
  }
  std::filesystem::path path(path_value.as_string());
  // Relative to the experiment file that says it, so an experiment folder can be moved whole.
  const std::string& written_in = path_value.where().file;
  if (path.is_relative() && !written_in.empty()) {
    path = std::filesystem::path(written_in).parent_path() / path;
  }
  if (!std::filesystem::is_regular_file(path)) {
    throw ConfigError(path_value.where(), key_path,
                      "no CSV file at '" + path.string() + "' (a relative path is relative to " +
                          "the folder of the file that names it)");
  }
  return path;
}

// The CSV's users, every field checked against its feature's range.
std::vector<User> read_users(const std::filesystem::path& file) {
  const auto table = CsvTable::read_file(file);
  std::array<std::size_t, kSeedFeatureCount> columns{};
  for (int f = 0; f < kSeedFeatureCount; ++f)
    columns[f] = table.require_column(kSeedFeatures[f].name);

  std::vector<User> users(table.rows());
  for (std::size_t row = 0; row < table.rows(); ++row) {
    for (int f = 0; f < kSeedFeatureCount; ++f) {
      const std::size_t column = columns[f];
      double value = 0.0;
      switch (kSeedFeatures[f].range) {
        case FeatureRange::NonNegative:
          value = table.number(row, column, 0.0, kInf);
          if (!util::fits_float(value)) {
            throw table.error(row, column,
                              "expected " + std::string(util::kFloatRangeText) + ", got '" +
                                  std::string(table.text(row, column)) + "'");
          }
          break;
        case FeatureRange::UnitInterval:
          value = table.number(row, column, 0.0, 1.0);
          break;
        case FeatureRange::Flag:
          value = table.number(row, column);
          if (value != 0.0 && value != 1.0) {
            throw table.error(
                row, column,
                "expected a flag, 0 or 1, got '" + std::string(table.text(row, column)) + "'");
          }
          break;
      }
      users[row][f] = static_cast<float>(value);
    }
  }
  return users;
}

}  // namespace

Value UserSource::default_config() { return Value::map({{"source", Value::string("synthetic")}}); }

UserSource::UserSource(const Value& config, const std::string& key_path,
                       const std::shared_ptr<spdlog::logger>& logger) {
  if (!config.is_map()) {
    throw ConfigError(
        config.where(), key_path,
        "expected a map such as {source: synthetic} or {source: csv, path: users.csv}, "
        "got " +
            config.text());
  }
  const Value* source = config.find("source");
  if (source == nullptr) {
    throw ConfigError(config.where(), key_path, "missing key 'source' (accepted: synthetic, csv)");
  }
  const std::string source_path = key_path + ".source";
  const bool is_csv = source->is_string() && source->as_string() == "csv";
  if (!is_csv && !(source->is_string() && source->as_string() == "synthetic")) {
    throw ConfigError(source->where(), source_path,
                      "unknown user source '" + source->text() + "' (accepted: synthetic, csv)");
  }
  for (const auto& [key, value] : config.entries()) {
    if (key == "source" || (key == "path" && is_csv)) continue;
    const std::string accepted = is_csv ? "source, path" : "source";
    throw ConfigError(value.where(), key_path + "." + key,
                      "unknown key '" + key + "' for source " + source->as_string() +
                          " (accepted: " + accepted + ")");
  }
  if (!is_csv) return;

  const Value* path = config.find("path");
  if (path == nullptr) {
    throw ConfigError(config.where(), key_path, "source csv needs 'path: FILE.csv'");
  }
  csv_file_ = resolve_path(*path, key_path + ".path");
  static FileCache<std::vector<User>> parsed;
  users_ = parsed.get(csv_file_, [&](const std::filesystem::path& file) {
    std::vector<User> users = read_users(file);
    if (logger) logger->info("read {} users from {}", users.size(), file.string());
    return users;
  });
}

}  // namespace recrl::toolkit
