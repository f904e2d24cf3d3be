// Explanations: exact Shapley values checked against their axioms and a brute force over
// orderings, and `recrl explain` / `recommend --explain` on trained and fitted policies.
#include <algorithm>
#include <fstream>
#include <numeric>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "driven_algorithm.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/run/explain.hpp"
#include "recrl/toolkit/mlp.hpp"

namespace {

using recrl::Matrix;
using recrl::Vector;
using recrl::test::run_recrl;

// f applied to each column.
recrl::BatchScore batch(const std::function<double(const Vector&)>& f) {
  return [f](const Matrix& inputs, Eigen::VectorXd& scores) {
    scores.resize(inputs.cols());
    for (Eigen::Index j = 0; j < inputs.cols(); ++j) scores[j] = f(inputs.col(j));
  };
}

// Shapley values the slow way: the mean over all d! orderings of each feature's marginal
// contribution when it joins the features before it (values of coalitions as in shapley_values).
Eigen::VectorXd by_orderings(const Vector& x, const Matrix& background,
                             const std::function<double(const Vector&)>& f) {
  const auto d = static_cast<int>(x.size());
  const auto value = [&](const std::vector<bool>& in) {
    double sum = 0;
    for (Eigen::Index b = 0; b < background.cols(); ++b) {
      Vector z = background.col(b);
      for (int i = 0; i < d; ++i)
        if (in[static_cast<std::size_t>(i)]) z[i] = x[i];
      sum += f(z);
    }
    return sum / static_cast<double>(background.cols());
  };
  std::vector<int> order(static_cast<std::size_t>(d));
  std::iota(order.begin(), order.end(), 0);
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(d);
  int orderings = 0;
  do {
    std::vector<bool> in(static_cast<std::size_t>(d), false);
    double before = value(in);
    for (const int i : order) {
      in[static_cast<std::size_t>(i)] = true;
      const double after = value(in);
      phi[i] += after - before;
      before = after;
    }
    ++orderings;
  } while (std::next_permutation(order.begin(), order.end()));
  return phi / orderings;
}

Matrix random_matrix(int rows, int cols, std::uint64_t seed) {
  recrl::Rng rng(seed);
  Matrix m(rows, cols);
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<float>(rng.normal());
  return m;
}

}  // namespace

TEST_CASE("shapley values of a linear score are w_i (x_i - mean b_i)", "[unit][explain]") {
  const Eigen::VectorXd w{{0.5, -2.0, 0.0, 3.0}};
  const Vector x{{1.0f, 2.0f, 3.0f, -1.0f}};
  const Matrix background = random_matrix(4, 5, 1);
  recrl::ShapleyBuffers buffers;
  const auto result = recrl::shapley_values(
      x, background, batch([&](const Vector& z) { return w.dot(z.cast<double>()) + 7; }), buffers);
  for (int i = 0; i < 4; ++i) {
    CHECK(result.phi[i] ==
          Approx(w[i] * (x[i] - background.row(i).cast<double>().mean())).margin(1e-9));
  }
  CHECK(result.phi[2] == 0.0);  // dummy: the score ignores feature 2
}

TEST_CASE("shapley values meet efficiency, symmetry and the brute force", "[unit][explain]") {
  // A score with interactions; features 0 and 1 enter symmetrically, feature 4 not at all.
  const auto f = [](const Vector& z) {
    return std::max(z[0] * z[1], 0.0f) + std::tanh(z[0] + z[1]) * z[2] + z[3] * z[3];
  };
  Vector x{{0.7f, 0.7f, -1.2f, 0.4f, 9.0f}};
  Matrix background = random_matrix(5, 6, 2);
  background.row(1) = background.row(0);  // the background symmetric in features 0 and 1 too
  recrl::ShapleyBuffers buffers;
  const auto result = recrl::shapley_values(x, background, batch(f), buffers);
  CHECK(result.phi.sum() == Approx(result.full - result.base).margin(1e-9));
  CHECK(result.full == Approx(f(x)).margin(1e-6));
  CHECK(result.phi[0] == Approx(result.phi[1]).margin(1e-9));
  CHECK(result.phi[4] == Approx(0.0).margin(1e-12));
  const Eigen::VectorXd slow = by_orderings(x, background, f);
  for (int i = 0; i < 5; ++i) CHECK(result.phi[i] == Approx(slow[i]).margin(1e-9));
}

TEST_CASE("past 16 features shapley values are estimated over antithetic orderings",
          "[unit][explain]") {
  // 20 features: a linear part and one pairwise interaction, whose Shapley values are known in
  // closed form. Antithetic pairs put feature 0 before feature 1 in exactly half the orderings,
  // so the estimate of a pairwise interaction is exact too.
  constexpr int d = 20;
  Eigen::VectorXd w(d);
  for (int i = 0; i < d; ++i) w[i] = 0.25 * (i % 5) - 0.5;
  const auto f = [&](const Vector& z) {
    return static_cast<float>(w.dot(z.cast<double>()) + 2.0 * z[0] * z[1]);
  };
  const Vector x = random_matrix(d, 1, 3).col(0);
  const Matrix background = random_matrix(d, 4, 4);
  recrl::ShapleyBuffers buffers;
  const auto result = recrl::shapley_values(x, background, batch(f), buffers);
  CHECK(result.phi.sum() == Approx(result.full - result.base).margin(1e-4));
  for (int i = 2; i < d; ++i) {
    INFO("feature " << i);
    CHECK(result.phi[i] ==
          Approx(w[i] * (x[i] - background.row(i).cast<double>().mean())).margin(1e-4));
  }
  // The product's share for feature 0: half of (x0 b1 - b0 b1) + half of (x0 x1 - b0 x1).
  double product0 = 0;
  for (Eigen::Index b = 0; b < background.cols(); ++b) {
    const double b0 = background(0, b), b1 = background(1, b);
    product0 += 0.5 * (x[0] * b1 - b0 * b1) + 0.5 * (double(x[0]) * x[1] - b0 * x[1]);
  }
  product0 /= static_cast<double>(background.cols());
  const double linear0 = w[0] * (x[0] - background.row(0).cast<double>().mean());
  CHECK(result.phi[0] == Approx(linear0 + 2.0 * product0).margin(1e-4));
  // The same customer, the same values: the orderings come from a fixed seed.
  const auto again = recrl::shapley_values(x, background, batch(f), buffers);
  CHECK(again.phi == result.phi);
}

TEST_CASE("an input is scored once, however many coalitions share it", "[unit][explain]") {
  // Flags and counts agree with some background customers: each such feature is a dummy of
  // those customers' games, and the coalitions it alone tells apart share one input.
  const auto f = [](const Vector& z) {
    return std::tanh(z[0] * z[1] - z[2]) + z[3] * z[4] + 0.5f * z[5] * z[0];
  };
  const Vector x{{0.3f, 1.0f, -0.8f, 0.0f, 2.0f, 1.0f}};
  Matrix background = random_matrix(6, 5, 5);
  background.row(1) << 1.0f, 0.0f, 1.0f, 1.0f, 0.0f;  // a flag: x's value at b = 0, 2, 3
  background.row(3) << 0.0f, 0.0f, 2.0f, 0.0f, 1.0f;  // a count: x's value at b = 0, 1, 3
  background.row(5) = background.row(1);
  std::size_t scored = 0;
  Eigen::Index largest_call = 0;
  const auto counting = [&](const std::function<double(const Vector&)>& score) {
    return [&, score](const Matrix& inputs, Eigen::VectorXd& scores) {
      scored += static_cast<std::size_t>(inputs.cols());
      largest_call = std::max(largest_call, inputs.cols());
      batch(score)(inputs, scores);
    };
  };
  recrl::ShapleyBuffers buffers;
  const auto result = recrl::shapley_values(x, background, counting(f), buffers);
  // Background customer b contributes 2^(features where it differs from x) inputs.
  std::size_t distinct = 0;
  for (Eigen::Index b = 0; b < background.cols(); ++b)
    distinct += std::size_t{1} << (background.col(b).array() != x.array()).count();
  CHECK(scored == distinct);
  CHECK(scored < (std::size_t{1} << 6) * 5);
  CHECK(largest_call <= recrl::kShapleyChunk);
  const Eigen::VectorXd slow = by_orderings(x, background, f);
  for (int i = 0; i < 6; ++i) CHECK(result.phi[i] == Approx(slow[i]).margin(1e-6));
  CHECK(result.phi.sum() == Approx(result.full - result.base).margin(1e-9));

  // Past 16 features the orderings share their ends (the background, the customer) and skip
  // the features that agree: the values are those of every input scored.
  constexpr int d = 18;
  Vector wide = random_matrix(d, 1, 6).col(0);
  Matrix wide_background = random_matrix(d, 3, 7);
  for (int i = 0; i < d; i += 3) wide_background(i, 1) = wide[i];
  const auto g = [](const Vector& z) { return std::tanh(z.head(6).sum()) * z[7] + z[16] * z[2]; };
  scored = 0;
  recrl::ShapleyBuffers wide_buffers;
  const auto fast = recrl::shapley_values(wide, wide_background, counting(g), wide_buffers);
  const std::size_t every = std::size_t{recrl::kShapleyPermutations} * (d + 1) * 3;
  CHECK(scored < every);
  // The estimate by the same orderings, every input scored.
  const std::vector<int>& orders = wide_buffers.orderings;
  Eigen::VectorXd by_every = Eigen::VectorXd::Zero(d);
  for (int p = 0; p < recrl::kShapleyPermutations; ++p) {
    for (Eigen::Index b = 0; b < wide_background.cols(); ++b) {
      Vector z = wide_background.col(b);
      double before = g(z);
      for (int k = 0; k < d; ++k) {
        const int i = orders[static_cast<std::size_t>(p * d + k)];
        z[i] = wide[i];
        const double after = g(z);
        by_every[i] += after - before;
        before = after;
      }
    }
  }
  by_every /= static_cast<double>(recrl::kShapleyPermutations * wide_background.cols());
  for (int i = 0; i < d; ++i) CHECK(fast.phi[i] == Approx(by_every[i]).margin(1e-6));
  CHECK(fast.phi.sum() == Approx(fast.full - fast.base).margin(1e-5));
  CHECK(fast.full == Approx(g(wide)).margin(1e-6));
}

namespace {

// The margin of action 2 over action 5 as the network computes it, input by input.
recrl::BatchScore network_margin(recrl::toolkit::Mlp<float>& network) {
  return [&network](const Matrix& inputs, Eigen::VectorXd& scores) {
    const auto out = network.forward(inputs);
    scores.resize(inputs.cols());
    for (Eigen::Index j = 0; j < inputs.cols(); ++j)
      scores[j] = static_cast<double>(out(2, j)) - static_cast<double>(out(5, j));
  };
}

}  // namespace

TEST_CASE("through a network's layers shapley values are those of its whole passes",
          "[unit][explain]") {
  using recrl::toolkit::Mlp;
  struct Shape {
    int features;
    std::vector<Eigen::Index> hidden;
    recrl::Activation activation;
  };
  // The seed's policy network, relu, a linear one, one of 7 features (one part of the first
  // layer's tables) and one of 20 (four parts, sampled orderings).
  const std::vector<Shape> shapes = {{10, {64, 64}, recrl::Activation::Tanh},
                                     {10, {32, 16}, recrl::Activation::Relu},
                                     {10, {}, recrl::Activation::Tanh},
                                     {7, {64}, recrl::Activation::Tanh},
                                     {20, {24}, recrl::Activation::Tanh}};
  for (const Shape& shape : shapes) {
    CAPTURE(shape.features, shape.hidden.size());
    Mlp<float> network(shape.features, shape.hidden, 9, shape.activation);
    recrl::Rng rng(11);
    network.init_pytorch_default(rng);
    const Vector x = random_matrix(shape.features, 1, 3).col(0);
    Matrix customers = random_matrix(shape.features, 5, 4);
    for (int i = 0; i < shape.features; i += 3) customers(i, 2) = x[i];  // agreeing features
    Eigen::VectorXd weights(5);
    weights << 0.1, 0.3, 0.2, 0.25, 0.15;
    const recrl::Background background(customers, weights);
    recrl::ShapleyBuffers whole_buffers, layer_buffers;
    const auto whole = recrl::shapley_values(x, background, network_margin(network), whole_buffers);
    recrl::DenseNetwork view;
    network.dense_view(view);
    recrl::CoalitionNetwork layers;
    layers.prepare(view, 2, 5, x, customers);
    const auto by_layers = recrl::shapley_values(x, background, layers, layer_buffers);
    // The same numbers up to float rounding: the first layer's sums are taken in another order.
    const double scale = std::max(1.0, whole.phi.cwiseAbs().maxCoeff());
    for (int i = 0; i < shape.features; ++i)
      CHECK(by_layers.phi[i] == Approx(whole.phi[i]).margin(2e-5 * scale));
    CHECK(by_layers.full == Approx(whole.full).margin(2e-5 * scale));
    CHECK(by_layers.base == Approx(whole.base).margin(2e-5 * scale));
    CHECK(by_layers.phi.sum() == Approx(by_layers.full - by_layers.base).margin(1e-9 * scale));
  }
}

TEST_CASE("a score network whose layers do not chain is refused", "[unit][explain]") {
  recrl::toolkit::Mlp<float> network(4, {8}, 3, recrl::Activation::Tanh);
  recrl::DenseNetwork view;
  network.dense_view(view);
  recrl::CoalitionNetwork layers;
  const Vector x = Vector::Zero(5);
  const Matrix background = Matrix::Zero(5, 2);
  CHECK_THROWS_WITH(layers.prepare(view, 0, 1, x, background),
                    Catch::Contains("first layer reads 4 features, not the policy's 5"));
  const Vector four = Vector::Zero(4);
  const Matrix background_four = Matrix::Zero(4, 2);
  CHECK_THROWS_WITH(layers.prepare(view, 0, 3, four, background_four),
                    Catch::Contains("it scores 3 actions, not action 3"));
  view.layers[1].inputs = 7;
  CHECK_THROWS_AS(layers.prepare(view, 0, 1, four, background_four), recrl::PluginError);
}

TEST_CASE("recrl explain says why a trained policy chose its action", "[run][explain]") {
  const auto dir = recrl::test::scratch_dir("explain_cli");
  const auto trained = recrl::test::run_yaml(
      "explain_policies",
      "name: explain_policies\n"
      "env: {plugin: recommendation}\n"
      "reward: {plugin: seed_rules}\n"
      "algorithms: [{plugin: squarecb}, {plugin: ppo, params: {n_steps: 64, batch_size: 64}}, "
      "{plugin: random}]\n"
      "seeds: [0]\n"
      "train: {timesteps: 2000, n_envs: 1, normalize_observations: true}\n"
      "eval: {episodes: 20}\n");
  const std::string user =
      "recency=5,frequency=10,monetary_value=500,engagement_score=0.8,discount_sensitive=1,"
      "free_shipping_preferred=0,email_opens=0.9,sms_response=0.1,push_response=0.2,"
      "last_purchase_days=10";
  for (std::size_t r = 0; r < 2; ++r) {
    const std::string policy = "'" + trained.runs.at(r).policy.string() + "'";
    const auto json_run =
        run_recrl("explain --policy " + policy + " --user " + user + " --format json", dir);
    INFO(json_run.err);
    REQUIRE(json_run.status == 0);
    const auto e = nlohmann::json::parse(json_run.out).at(0);
    double sum = 0;
    for (const auto& c : e["contributions"]) sum += c["contribution"].get<double>();
    CHECK(sum == Approx(e["margin"].get<double>() - e["base_margin"].get<double>()).margin(1e-4));
    CHECK(e["margin"].get<double>() >= 0);  // the chosen action leads the runner-up
    CHECK(e["contributions"].size() == 10);
    // The same choice as recommend's.
    const auto rec = run_recrl(
        "recommend --policy " + policy + " --user " + user + " --format json --explain", dir);
    REQUIRE(rec.status == 0);
    const auto item = nlohmann::json::parse(rec.out).at(0);
    CHECK(item["action"] == e["action"]["index"]);
    CHECK(item["explanation"]["margin"] == e["margin"]);
  }
  const auto card = run_recrl(
      "explain --policy '" + trained.runs.at(0).policy.string() + "' --user " + user, dir);
  CHECK_THAT(card.out, Catch::Contains("Why ["));
  CHECK_THAT(card.out, Catch::Contains("ahead of the runner-up"));
  const auto random = run_recrl(
      "explain --policy '" + trained.runs.at(2).policy.string() + "' --user " + user, dir);
  CHECK(random.status == 2);
  CHECK_THAT(random.err, Catch::Contains("'random' reports no action scores"));
}

TEST_CASE("a policy fitted from a log is explained against a given background", "[run][explain]") {
  const auto dir = recrl::test::scratch_dir("explain_fitted");
  std::ofstream(dir / "log.csv") << "x.f,x.g,action,propensity,reward\n"
                                    "1,0,0,0.5,1\n0,1,0,0.5,0\n1,1,1,0.5,0.5\n0,0,1,0.5,0.2\n";
  REQUIRE(run_recrl("fit --log log.csv --algorithm linucb --out p.recrl", dir).status == 0);
  const auto missing = run_recrl("explain --policy p.recrl --user f=1,g=0", dir);
  CHECK(missing.status == 2);
  CHECK_THAT(missing.err, Catch::Contains("give --background CSV"));
  std::ofstream(dir / "background.csv") << "f,g\n0,0\n1,1\n";
  const auto result = run_recrl(
      "explain --policy p.recrl --user f=1,g=0 --background background.csv --format json", dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto e = nlohmann::json::parse(result.out).at(0);
  CHECK(e["contributions"][0]["background_mean"].get<double>() == Approx(0.5));
}

TEST_CASE("prototypes are real customers standing for clusters", "[unit][explain]") {
  // Two tight groups far apart, in features of very different scales: 30 low, 10 high.
  recrl::Matrix sample(2, 40);
  recrl::Rng rng(5);
  for (Eigen::Index j = 0; j < 40; ++j) {
    const bool high = j % 4 == 3;
    sample(0, j) = static_cast<float>((high ? 400 : 10) + rng.normal());
    sample(1, j) = static_cast<float>((high ? 1 : 0) + 0.01 * rng.normal());
  }
  const recrl::Background b = recrl::prototypes(sample, 2, 7);
  const recrl::Matrix& p = b.customers;
  REQUIRE(p.cols() == 2);
  // One medoid in each group, each one a column of the sample, weighted by its group's share.
  const Eigen::Index low = p(0, 0) < p(0, 1) ? 0 : 1;
  CHECK(p(0, low) < 20);
  CHECK(p(0, 1 - low) > 390);
  CHECK(b.weights[low] == Approx(0.75));
  CHECK(b.weights[1 - low] == Approx(0.25));
  for (Eigen::Index c = 0; c < 2; ++c) {
    bool found = false;
    for (Eigen::Index j = 0; j < 40; ++j) found = found || sample.col(j) == p.col(c);
    CHECK(found);
  }
  CHECK(recrl::prototypes(sample, 2, 7).customers == p);  // the same seed, the same prototypes
  const recrl::Background few = recrl::prototypes(sample.leftCols(2), 8, 7);
  CHECK(few.customers == sample.leftCols(2));
  CHECK(few.weights == Eigen::VectorXd::Constant(2, 0.5));
}

TEST_CASE("a weighted background counts as that many copies of each customer", "[unit][explain]") {
  // Weights 1/4 and 3/4 against the customers repeated 1 and 3 times: the same values, exactly
  // and past 16 features.
  for (const int d : {5, 18}) {
    const auto f = [](const Vector& z) {
      return std::tanh(z[0] * z[1]) + z[2] * z[3] - 0.3f * z[4] * z[0];
    };
    const Vector x = random_matrix(d, 1, 8).col(0);
    const Matrix two = random_matrix(d, 2, 9);
    Matrix four(d, 4);
    four << two.col(0), two.col(1), two.col(1), two.col(1);
    recrl::ShapleyBuffers buffers;
    const auto weighted = recrl::shapley_values(
        x, recrl::Background(two, Eigen::Vector2d(0.25, 0.75)), batch(f), buffers);
    const auto repeated = recrl::shapley_values(x, four, batch(f), buffers);
    INFO(d << " features");
    for (int i = 0; i < d; ++i) CHECK(weighted.phi[i] == Approx(repeated.phi[i]).margin(1e-9));
    CHECK(weighted.base == Approx(repeated.base).margin(1e-12));
    CHECK(weighted.phi.sum() == Approx(weighted.full - weighted.base).margin(1e-6));
  }
}
