// Categorical::set_logits's column loops, and in float its sample-major path for a batch of
// whole packets (16 and 64 below, and 8 where a packet holds 4 or 8 floats), against the
// whole-matrix Eigen expressions they replaced: the same bits. (A file of its own: in the
// categorical test's file, GCC 12 then emitted Eigen's AVX-512 double exp and log out of line and
// reported a false "uninitialised" inside them.)
#include <cstdint>
#include <limits>
#include <vector>

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/categorical.hpp"

using recrl::Rng;
namespace {

// set_logits() as whole-matrix Eigen expressions (the toolkit's code before its column loops):
// the reference for those loops, which must keep Eigen's bits.
template <typename T>
void reference_log_softmax(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& logits,
                           Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& log_probs,
                           Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& probs) {
  Eigen::Matrix<T, 1, Eigen::Dynamic> per_column = logits.row(0);
  for (Eigen::Index a = 1; a < logits.rows(); ++a) per_column = per_column.cwiseMax(logits.row(a));
  log_probs = logits - per_column.replicate(logits.rows(), 1);
  probs.resize(logits.rows(), logits.cols());
  probs.array() = log_probs.array().exp();
  per_column = probs.colwise().sum();
  probs.array().rowwise() /= per_column.array();
  per_column.array() = per_column.array().log();
  log_probs.rowwise() -= per_column;
}

template <typename T>
void check_log_softmax_bits() {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  Rng rng(21);
  for (const Eigen::Index actions : {1, 2, 3, 5, 8, 10, 15, 16, 17, 33}) {
    for (const Eigen::Index batch : {1, 7, 8, 16, 64, 65}) {
      CAPTURE(actions, batch);
      Mat logits(actions, batch);
      for (Eigen::Index i = 0; i < logits.size(); ++i) {
        logits(i) = static_cast<T>(3.0 * rng.normal());
      }
      Mat log_probs, probs;
      reference_log_softmax<T>(logits, log_probs, probs);
      recrl::toolkit::Categorical<T> dist(actions, 70);
      dist.set_logits(logits);
      CHECK(dist.log_probs() == log_probs);
      CHECK(dist.probabilities() == probs);
    }
  }
}

}  // namespace

TEST_CASE("categorical set_logits keeps eigen's log softmax bit for bit", "[unit][toolkit][bits]") {
  check_log_softmax_bits<float>();
  check_log_softmax_bits<double>();
}

// add_log_prob_gradient's element loop against the column expression it replaced.
TEST_CASE("categorical log prob gradient keeps eigen's column expression bits",
          "[unit][toolkit][bits]") {
  using Mat = Eigen::MatrixXf;
  Rng rng(22);
  for (const Eigen::Index actions : {2, 10, 17}) {
    const Eigen::Index batch = 64;
    Mat logits(actions, batch), weights(1, batch), start(actions, batch);
    for (Eigen::Index i = 0; i < logits.size(); ++i) logits(i) = static_cast<float>(rng.normal());
    for (Eigen::Index i = 0; i < batch; ++i) weights(0, i) = static_cast<float>(rng.normal());
    for (Eigen::Index i = 0; i < start.size(); ++i) start(i) = static_cast<float>(rng.normal());
    std::vector<int> chosen(static_cast<std::size_t>(batch));
    for (int& a : chosen)
      a = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(actions)));
    recrl::toolkit::Categorical<float> dist(actions, batch);
    dist.set_logits(logits);
    Mat grad = start;
    dist.add_log_prob_gradient(chosen, weights, grad);
    Mat expected = start;
    Eigen::Ref<Mat> expected_ref(expected);
    for (Eigen::Index i = 0; i < batch; ++i) {
      expected_ref.col(i) -= weights(0, i) * dist.probabilities().col(i);
      expected_ref(chosen[static_cast<std::size_t>(i)], i) += weights(0, i);
    }
    CHECK(grad == expected);
  }
}

// entropy()'s column loops against the partial reduction they replaced, with a zero
// probability in the mix (its clamped log term).
TEST_CASE("categorical entropy keeps eigen's partial reduction bits", "[unit][toolkit][bits]") {
  using Mat = Eigen::MatrixXf;
  Rng rng(23);
  for (const Eigen::Index actions : {1, 2, 10, 15, 16, 17}) {
    const Eigen::Index batch = 64;
    Mat logits(actions, batch);
    for (Eigen::Index i = 0; i < logits.size(); ++i)
      logits(i) = static_cast<float>(3 * rng.normal());
    logits(0, 5) = -1e30f;  // p = 0 for this action of sample 5
    recrl::toolkit::Categorical<float> dist(actions, batch);
    dist.set_logits(logits);
    Mat entropy(1, batch);
    dist.entropy(entropy);
    const Mat expected = -(dist.probabilities().array() *
                           dist.log_probs().array().max(std::numeric_limits<float>::lowest()))
                              .colwise()
                              .sum()
                              .matrix();
    CHECK(entropy == expected);
  }
}
