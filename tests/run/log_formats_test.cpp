// Reading logs in the formats recrl accepts besides its own: Open Bandit Dataset CSV files as
// published and Vowpal Wabbit's --cb_adf text; what each becomes, and its bad rows.
#include <fstream>
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/logs/log_reader.hpp"

namespace {

using recrl::test::run_recrl;
using recrl::test::scratch_dir;

std::filesystem::path write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

// As pandas writes a DataFrame of the dataset: an unnamed index column first.
constexpr const char* kObdHeader =
    ",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,"
    "user-item_affinity_0,user-item_affinity_1,user-item_affinity_2\n";

std::string obd_rows() {
  return std::string(kObdHeader) +
         "0,2019-11-24 00:00:17.355+00:00,2,1,0,0.3,81ce,c39b,0.0,1.5,0.0\n"
         "1,2019-11-24 00:00:19.821+00:00,0,3,1,0.5,2d03,c39b,2.0,0.0,0.0\n"
         "2,2019-11-24 00:00:21.032+00:00,1,2,1,0.25,81ce,,0.0,0.0,3.0\n"
         "3,2019-11-24 00:00:23.102+00:00,2,1,0,0.2,81ce,7bc4,1.0,1.0,1.0\n";
}

// The error `read` throws, its file named without the folder.
std::string error_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const recrl::DataError& e) {
    const std::string text = e.what();
    const std::size_t slash = text.substr(0, text.find(':')).rfind('/');
    return slash == std::string::npos ? text : text.substr(slash + 1);
  }
  return "no error";
}

}  // namespace

TEST_CASE("an Open Bandit Dataset file is read as published", "[run][logs]") {
  const auto dir = scratch_dir("obd_read");
  const auto log = recrl::logs::read_obd_log(write(dir / "obd.csv", obd_rows()));
  REQUIRE(log.rows() == 4);
  CHECK(log.action == std::vector<int>{2, 0, 1, 2});
  CHECK(log.position == std::vector<int>{1, 3, 2, 1});
  CHECK(log.reward == std::vector<double>{0, 1, 1, 0});
  CHECK(log.propensity == std::vector<double>{0.3, 0.5, 0.25, 0.2});
  CHECK(log.actions() == 3);  // three affinity columns: three items
  CHECK(log.action_labels == std::vector<std::string>{"item 0", "item 1", "item 2"});
  // One-hot columns in sorted value order (as pandas.get_dummies), then the affinities.
  CHECK(log.features == std::vector<std::string>{"user_feature_0=2d03", "user_feature_0=81ce",
                                                 "user_feature_1=7bc4", "user_feature_1=c39b",
                                                 "user-item_affinity_0", "user-item_affinity_1",
                                                 "user-item_affinity_2"});
  Eigen::MatrixXf expected(7, 4);
  expected << 0, 1, 0, 0,  //
      1, 0, 1, 1,          //
      0, 0, 0, 1,          //
      1, 1, 0, 0,          // row 2's empty user_feature_1: no category
      0, 2, 0, 1,          //
      1.5, 0, 0, 1,        //
      0, 0, 3, 1;
  CHECK(log.contexts == expected);
}

TEST_CASE("a user feature with many values is hashed into buckets", "[run][logs]") {
  const auto dir = scratch_dir("obd_hash");
  std::string text = ",item_id,position,click,propensity_score,user_feature_0\n";
  for (int i = 0; i < 300; ++i) text += fmt::format("{},0,1,0,1,id{}\n", i, i);
  const auto log = recrl::logs::read_obd_log(write(dir / "many.csv", text));
  REQUIRE(log.features.size() == 64);
  CHECK(log.features[0] == "user_feature_0#0");
  CHECK(log.contexts.colwise().sum().isOnes());  // each row in exactly one bucket
  CHECK(log.actions() == 1);                     // no affinity columns: the items logged
}

TEST_CASE("IPW and SNIPW on an Open Bandit Dataset file are OBP's formulas", "[run][logs]") {
  const auto dir = scratch_dir("obd_ope");
  write(dir / "obd.csv", obd_rows());
  // The target's probabilities per row: w = pi(a_i) / p_i = 0.6/0.3, 0.5/0.5, 0/0.25, 0.2/0.2.
  write(dir / "target.csv", "p_0,p_1,p_2\n0.2,0.2,0.6\n0.5,0.25,0.25\n1,0,0\n0.4,0.4,0.2\n");
  const auto result = run_recrl(
      "ope --log obd.csv --log-format obd --target-probs target.csv --estimators ipw,snipw "
      "--bootstrap 0 --format json",
      dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(result.out);
  // sum w r = 2*0 + 1*1 + 0*1 + 1*0 = 1; sum w = 4.
  CHECK(json["estimates"][0]["value"].get<double>() == Approx(1.0 / 4).epsilon(1e-12));
  CHECK(json["estimates"][1]["value"].get<double>() == Approx(1.0 / 4).epsilon(1e-12));
  CHECK(json["diagnostics"]["max_weight"].get<double>() == Approx(2));

  const auto recrl_format = run_recrl("ope --log obd.csv --target-probs target.csv", dir);
  CHECK(recrl_format.status == 2);
  CHECK(recrl_format.err.find("give --log-format obd") != std::string::npos);
}

TEST_CASE("bad rows of an Open Bandit Dataset file name file, line and column", "[run][logs]") {
  const auto dir = scratch_dir("obd_bad");
  const auto read = [&](const std::string& row) {
    return error_of(
        [&] { recrl::logs::read_obd_log(write(dir / "bad.csv", std::string(kObdHeader) + row)); });
  };
  CHECK(read("0,t,2,1,0,0,a,b,0,0,0\n") ==
        "bad.csv:2:6: error: column 'propensity_score': expected a probability in (0, 1], got '0'");
  CHECK(read("0,t,2,1,nan,0.5,a,b,0,0,0\n") ==
        "bad.csv:2:5: error: column 'click': expected a finite number, got 'nan'");
  CHECK(read("0,t,2,1,0,0.5,a,b,0,1e39,0\n") ==
        "bad.csv:2:10: error: column 'user-item_affinity_1': expected a number of magnitude at "
        "most 3.4e38 (features are 32-bit floats), got '1e39'");
  CHECK(
      read("0,t,3,1,0,0.5,a,b,0,0,0\n")
          .find(
              "bad.csv:2:3: error: column 'item_id': item 3 has no user-item_affinity_3 column") ==
      0);
  CHECK(read("0,t,1,0,0,0.5,a,b,0,0,0\n") ==
        "bad.csv:2:4: error: column 'position': expected a position (1, 2, ...), got '0'");
  CHECK(read("0,t,1,1,0,0.5,a,b,0,0\n") == "bad.csv:2:1: error: 10 fields where the header has 11");
  CHECK(error_of([&] {
          recrl::logs::read_obd_log(write(dir / "cols.csv", ",item_id,position,click\n0,1,1,0\n"));
        }).find("cols.csv:1:1: error: no 'propensity_score' column") == 0);
}

TEST_CASE("a Vowpal Wabbit --cb_adf log is read: shared context, labelled action", "[run][logs]") {
  const auto dir = scratch_dir("vw_read");
  const auto log = recrl::logs::read_vw_log(write(dir / "train.vw",
                                                  "shared |User user=Tom age:30\n"
                                                  "|Action article=politics\n"
                                                  "0:-1:0.5 |Action article=sports\n"
                                                  "|Action article=music\n"
                                                  "\n"
                                                  "shared 'tag |User user=Anna |Time:2 hour:0.5\n"
                                                  "0:0.5:0.25 |Action article=politics\n"
                                                  "|Action article=sports\n"
                                                  "|Action article=music\r\n"));
  REQUIRE(log.rows() == 2);
  CHECK(log.action == std::vector<int>{1, 0});
  CHECK(log.reward == std::vector<double>{1, -0.5});  // reward = -cost
  CHECK(log.propensity == std::vector<double>{0.5, 0.25});
  CHECK(log.features ==
        std::vector<std::string>{"User^user=Tom", "User^age", "User^user=Anna", "Time^hour"});
  Eigen::MatrixXf expected(4, 2);
  expected << 1, 0, 30, 0, 0, 1, 0, 1;  // hour 0.5 scaled by the namespace's 2
  CHECK(log.contexts == expected);
  CHECK(log.action_labels == std::vector<std::string>{"Action article=politics",
                                                      "Action article=sports",
                                                      "Action article=music"});
}

TEST_CASE("bad Vowpal Wabbit examples name file, line and column", "[run][logs]") {
  const auto dir = scratch_dir("vw_bad");
  const auto read = [&](const std::string& text) {
    return error_of([&] { recrl::logs::read_vw_log(write(dir / "bad.vw", text)); });
  };
  CHECK(read("|a x\n0:1:0 |a y\n") ==
        "bad.vw:2:1: error: label '0:1:0': expected a probability in (0, 1] after the cost");
  CHECK(read("|a x\n0:one:0.5 |a y\n")
            .find("bad.vw:2:1: error: expected a label "
                  "action:cost:probability with numbers") == 0);
  CHECK(read("shared |u x\n|a x\n|a y\n\n")
            .find("bad.vw:3:1: error: an example without a "
                  "labelled action") == 0);
  CHECK(read("0:1:0.5 |a x\n0:1:0.5 |a y\n") ==
        "bad.vw:2:1: error: a second labelled action in one example");
  CHECK(read("0:1:0.5 |a x\nshared |u y\n")
            .find("bad.vw:2:1: error: a shared line must come "
                  "first") == 0);
  CHECK(read("shared |u a:nan\n0:1:0.5 |a x\n") == "no error");  // a string value, "a=nan"
  CHECK(read("shared |u:1e20 a:1e20\n0:1:0.5 |a x\n") ==
        "bad.vw:1:16: error: feature 'u^a': expected a number of magnitude at most 3.4e38 "
        "(features are 32-bit floats), got 1e+40");
  CHECK(read("words without a bar\n").find("bad.vw:1:1: error: expected features after '|'") == 0);
  CHECK(read("\n\n") == "bad.vw:1:1: error: the log has no examples");
}

TEST_CASE("a log without context features gets a per-action mean reward model", "[run][logs]") {
  const auto dir = scratch_dir("vw_no_context");
  // Action 0 logged twice (rewards 1 and 0), action 1 twice (1 and 1); p = 0.5 throughout.
  write(dir / "plain.vw",
        "0:-1:0.5 |A a\n|A b\n\n0:0:0.5 |A a\n|A b\n\n|A a\n0:-1:0.5 |A b\n\n"
        "|A a\n0:-1:0.5 |A b\n");
  write(dir / "target.csv", "p_0,p_1\n0,1\n0,1\n0,1\n0,1\n");
  const auto result = run_recrl(
      "ope --log plain.vw --log-format vw --target-probs target.csv --estimators dm,dr "
      "--folds 1 --bootstrap 0 --format json",
      dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto json = nlohmann::json::parse(result.out);
  // The intercept alone, lambda 1, fitted on all rows: action 1's mean 2 / (2 + 1).
  CHECK(json["estimates"][0]["value"].get<double>() == Approx(2.0 / 3).epsilon(1e-12));
  // dr adds the weighted errors of action 1's rows: 2 (1 - 2/3) each, over 4 rows.
  CHECK(json["estimates"][1]["value"].get<double>() ==
        Approx(2.0 / 3 + 2 * (2 * (1 - 2.0 / 3)) / 4).epsilon(1e-12));
}
