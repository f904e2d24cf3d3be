// The toolkit's Mlp: gradients against finite differences (parameters and inputs, tanh and
// relu), SB3's orthogonal initialisation, batch-size independence, target-network updates and
// save/load.
#include <sstream>
#include <vector>

#include <Eigen/Dense>
#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/mlp.hpp"
#include "toolkit_finite_difference.hpp"

namespace {

using recrl::Rng;
using recrl::toolkit::Activation;
using MlpD = recrl::toolkit::Mlp<double>;

Eigen::MatrixXd random_matrix(Rng& rng, Eigen::Index rows, Eigen::Index cols) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = rng.normal();
  return m;
}

// A network with random (non-orthogonal) biases too, so that bias gradients are exercised away
// from zero.
MlpD random_network(Rng& rng, std::vector<Eigen::Index> hidden, Activation activation) {
  MlpD mlp(3, std::move(hidden), 2, activation);
  for (Eigen::Index i = 0; i < mlp.num_parameters(); ++i) mlp.parameters()(i) = 0.7 * rng.normal();
  return mlp;
}

// L = sum(C .* Y): dL/dY = C.
double weighted_output(MlpD& mlp, const Eigen::MatrixXd& x, const Eigen::MatrixXd& c) {
  return mlp.forward(x).cwiseProduct(c).sum();
}

void check_parameter_and_input_gradients(std::vector<Eigen::Index> hidden, Activation activation,
                                         Eigen::Index batch = 5) {
  Rng rng(11);
  MlpD mlp = random_network(rng, std::move(hidden), activation);
  Eigen::MatrixXd x = random_matrix(rng, 3, batch);
  const Eigen::MatrixXd c = random_matrix(rng, 2, batch);

  mlp.zero_gradients();
  mlp.forward(x);
  Eigen::MatrixXd grad_input(3, batch);
  mlp.backward(c, grad_input);
  const Eigen::VectorXd analytic = mlp.gradients();

  const Eigen::VectorXd numeric =
      recrl::test::numerical_gradient(mlp.parameters(), [&] { return weighted_output(mlp, x, c); });
  CHECK(recrl::test::gradient_error(analytic, numeric) < 1e-7);

  Eigen::Map<Eigen::VectorXd> x_flat(x.data(), x.size());
  const Eigen::VectorXd numeric_input =
      recrl::test::numerical_gradient(x_flat, [&] { return weighted_output(mlp, x, c); });
  const Eigen::VectorXd analytic_input =
      Eigen::Map<const Eigen::VectorXd>(grad_input.data(), grad_input.size());
  CHECK(recrl::test::gradient_error(analytic_input, numeric_input) < 1e-7);
}

}  // namespace

TEST_CASE("mlp gradients match finite differences with tanh", "[unit][toolkit]") {
  check_parameter_and_input_gradients({4, 5}, Activation::Tanh);
}

TEST_CASE("mlp gradients match finite differences with relu", "[unit][toolkit]") {
  check_parameter_and_input_gradients({4, 5}, Activation::Relu);
}

TEST_CASE("mlp gradients match finite differences without hidden layers", "[unit][toolkit]") {
  check_parameter_and_input_gradients({}, Activation::Tanh);
}

// Wide enough that the products run through small_gemm's SIMD blocks as well as its remainder
// rows, whatever the build's vector width.
TEST_CASE("mlp gradients match finite differences with wide layers", "[unit][toolkit]") {
  check_parameter_and_input_gradients({20, 37}, Activation::Tanh);
  check_parameter_and_input_gradients({37, 20}, Activation::Relu);
  // A batch of 16 computes the 2-output layer's weight gradient transposed (where a double
  // packet holds more than 2 lanes: AVX and AVX-512).
  check_parameter_and_input_gradients({20, 37}, Activation::Tanh, 16);
}

// An output layer narrower than a packet after a wider one gets its weight gradient as
// dW^T = A dL/dY^T, transposed into place: the same sums in the same order as the product
// dL/dY A^T, so the same bits, written after zero_gradients() or added to earlier gradients.
TEST_CASE("mlp output layer weight gradient computed transposed is the product's bits",
          "[unit][toolkit]") {
  using MatF = Eigen::MatrixXf;
  Rng rng(21);
  recrl::toolkit::Mlp<float> mlp(10, {64}, 10, Activation::Tanh);
  mlp.init_orthogonal(rng, 1.0f);
  for (Eigen::Index i = 0; i < mlp.bias(0).size(); ++i)
    mlp.bias(0)(i) = static_cast<float>(0.1 * rng.normal());
  const MatF x = random_matrix(rng, 10, 64).cast<float>();
  const MatF c = random_matrix(rng, 10, 64).cast<float>();
  // The hidden layer's output as forward() computes it: the product, then bias and tanh.
  MatF hidden(64, 64);
  recrl::toolkit::multiply<float>(mlp.weight(0), x, hidden, recrl::toolkit::Product::Assign);
  for (Eigen::Index j = 0; j < 64; ++j) {
    hidden.col(j).array() = (hidden.col(j).array() + mlp.bias(0).array()).tanh();
  }
  MatF expected(10, 64);
  recrl::toolkit::multiply_transposed<float>(c, hidden, expected, recrl::toolkit::Product::Assign);
  mlp.zero_gradients();
  mlp.forward(x);
  mlp.backward(c);
  CHECK(MatF(mlp.weight_gradient(1)) == expected);
  recrl::toolkit::multiply_transposed<float>(c, hidden, expected,
                                             recrl::toolkit::Product::Accumulate);
  mlp.backward(c);
  CHECK(MatF(mlp.weight_gradient(1)) == expected);
}

TEST_CASE("mlp backward accumulates gradients until they are zeroed", "[unit][toolkit]") {
  Rng rng(3);
  MlpD mlp = random_network(rng, {4}, Activation::Tanh);
  const Eigen::MatrixXd x = random_matrix(rng, 3, 2);
  const Eigen::MatrixXd c = random_matrix(rng, 2, 2);
  mlp.zero_gradients();
  mlp.forward(x);
  mlp.backward(c);
  const Eigen::VectorXd once = mlp.gradients();
  mlp.backward(c);
  CHECK((mlp.gradients() - 2 * once).cwiseAbs().maxCoeff() < 1e-12);
  mlp.zero_gradients();
  CHECK(mlp.gradients().cwiseAbs().maxCoeff() == 0.0);
}

// zero_gradients() only marks the vector; the backward() after it writes the gradients
// (products in assign mode) instead of adding them to zeros. Same bits either way, for the
// packet kernels (64 and 10 rows) and Eigen's (a value head's single row).
TEST_CASE("mlp backward after zero_gradients writes what adding to zeros gives",
          "[unit][toolkit]") {
  using MlpF = recrl::toolkit::Mlp<float>;
  for (const Eigen::Index outputs : {Eigen::Index{10}, Eigen::Index{1}}) {
    Rng rng(5);
    MlpF lazy(10, {64, 64}, outputs, Activation::Tanh);
    lazy.init_orthogonal(rng, 1.0f);
    MlpF eager = lazy;
    const Eigen::MatrixXf x = random_matrix(rng, 10, 64).cast<float>();
    const Eigen::MatrixXf c = random_matrix(rng, outputs, 64).cast<float>();
    for (MlpF* mlp : {&lazy, &eager}) {
      mlp->forward(x);
      mlp->backward(c);  // stale gradients, to be discarded
    }
    lazy.zero_gradients();
    eager.gradients().setZero();
    for (MlpF* mlp : {&lazy, &eager}) {
      mlp->forward(x);
      mlp->backward(c);
    }
    CHECK(lazy.gradients() == eager.gradients());
    CHECK(lazy.gradients().cwiseAbs().maxCoeff() > 0.0f);
  }
}

// backward_selected() against backward() of the same one-element-per-column dL/dY: the same
// bits, after zero_gradients() and accumulated onto earlier gradients, in float and double,
// for networks whose output layer goes through the packet kernel, through Eigen (2 outputs),
// after a hidden layer narrower than a packet, and without hidden layers.
template <typename T>
void check_selected_backward(std::vector<Eigen::Index> hidden, Eigen::Index outputs,
                             Activation activation) {
  using Net = recrl::toolkit::Mlp<T>;
  using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr Eigen::Index kBatch = 32;
  Rng rng(9);
  Net selected(10, std::move(hidden), outputs, activation);
  for (Eigen::Index i = 0; i < selected.num_parameters(); ++i) {
    selected.parameters()(i) = static_cast<T>(0.3 * rng.normal());
  }
  Net dense = selected;
  const MatT x = random_matrix(rng, 10, kBatch).cast<T>();
  std::vector<int> rows(kBatch);
  MatT values(1, kBatch);
  MatT one_hot = MatT::Zero(outputs, kBatch);
  for (Eigen::Index i = 0; i < kBatch; ++i) {
    // Repeated rows, so that an output's terms from several samples add up in order.
    rows[static_cast<std::size_t>(i)] =
        static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(outputs)));
    values(0, i) = static_cast<T>(rng.normal());
    one_hot(rows[static_cast<std::size_t>(i)], i) = values(0, i);
  }
  selected.zero_gradients();
  dense.zero_gradients();
  for (int pass = 0; pass < 2; ++pass) {  // the second pass accumulates onto the first
    selected.forward(x);
    selected.backward_selected(rows, values);
    dense.forward(x);
    dense.backward(one_hot);
    CHECK(selected.gradients() == dense.gradients());
  }
  CHECK(selected.gradients().cwiseAbs().maxCoeff() > T(0));
}

TEST_CASE("mlp backward_selected gives backward's gradients bit for bit", "[unit][toolkit]") {
  using Index = Eigen::Index;
  for (const Activation activation : {Activation::Relu, Activation::Tanh}) {
    check_selected_backward<float>({64, 64}, 10, activation);
    check_selected_backward<double>({64, 64}, 10, activation);
    check_selected_backward<float>({37}, 19, activation);
    check_selected_backward<float>({64, 64}, 2, activation);  // output rows through Eigen
    check_selected_backward<float>({64, 3}, 10, activation);  // W^T dL/dY through Eigen
    check_selected_backward<float>(std::vector<Index>{}, 10, activation);
  }
}

TEST_CASE("mlp parameters are one flat vector in layer order", "[unit][toolkit]") {
  MlpD mlp(3, {4}, 2, Activation::Relu);
  CHECK(mlp.num_layers() == 2);
  CHECK(mlp.num_parameters() == 4 * 3 + 4 + 2 * 4 + 2);
  mlp.weight(1)(1, 3) = 5.0;  // column-major: offset of W_1 + 3 * 2 + 1
  CHECK(mlp.parameters()(4 * 3 + 4 + 3 * 2 + 1) == 5.0);
  mlp.bias(0)(2) = -1.0;
  CHECK(mlp.parameters()(4 * 3 + 2) == -1.0);
}

TEST_CASE("mlp forward gives each sample the same output whatever the batch", "[unit][toolkit]") {
  Rng rng(5);
  recrl::toolkit::Mlp<float> mlp(4, {8, 8}, 3, Activation::Tanh);
  mlp.init_orthogonal(rng, 1.0f);
  mlp.reserve(16);
  Eigen::MatrixXf x = random_matrix(rng, 4, 16).cast<float>();
  const Eigen::MatrixXf batch = mlp.forward(x);
  for (Eigen::Index i = 0; i < 16; i += 5) {
    const Eigen::MatrixXf single = mlp.forward(x.col(i));
    CHECK((single - batch.col(i)).cwiseAbs().maxCoeff() < 1e-6f);
  }
  const Eigen::MatrixXf first_three = mlp.forward(x.leftCols(3));
  CHECK((first_three - batch.leftCols(3)).cwiseAbs().maxCoeff() < 1e-6f);
  // A batch wider than reserved grows the buffers and still computes the same.
  Eigen::MatrixXf wide(4, 40);
  for (int k = 0; k < 40; ++k) wide.col(k) = x.col(k % 16);
  const Eigen::MatrixXf wide_out = mlp.forward(wide);
  CHECK(mlp.reserved_batch() >= 40);
  CHECK((wide_out.col(33) - batch.col(1)).cwiseAbs().maxCoeff() < 1e-6f);
}

TEST_CASE("orthogonal initialisation gives gain squared identity and zero biases",
          "[unit][toolkit]") {
  Rng rng(42);
  MlpD mlp(8, {16, 4}, 3, Activation::Tanh);
  mlp.init_orthogonal(rng, 0.01);
  // Layer 0 is tall [16 x 8]: orthonormal columns; layers 1 [4 x 16] and 2 [3 x 4] are wide:
  // orthonormal rows.
  const Eigen::MatrixXd w0 = mlp.weight(0);
  CHECK((w0.transpose() * w0 - 2.0 * Eigen::MatrixXd::Identity(8, 8)).cwiseAbs().maxCoeff() <
        1e-12);
  const Eigen::MatrixXd w1 = mlp.weight(1);
  CHECK((w1 * w1.transpose() - 2.0 * Eigen::MatrixXd::Identity(4, 4)).cwiseAbs().maxCoeff() <
        1e-12);
  const Eigen::MatrixXd w2 = mlp.weight(2);
  CHECK((w2 * w2.transpose() - 1e-4 * Eigen::MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff() <
        1e-14);
  for (Eigen::Index l = 0; l < mlp.num_layers(); ++l)
    CHECK(mlp.bias(l).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("orthogonal initialisation is torch's q with a positive diagonal of r",
          "[unit][toolkit]") {
  // torch.nn.init.orthogonal_ on a tall [rows x cols] weight: A = normal draws (row-major),
  // A = QR, Q *= sign(diag(R)). Q R with diag(R) > 0 is unique: R is the Cholesky factor of
  // A^T A, so Q = A R^-1 is the expected weight for the same draws.
  MlpD mlp(3, {}, 5, Activation::Tanh);
  Rng rng(9);
  mlp.init_orthogonal(rng, 1.0);
  Rng replay(9);
  Eigen::MatrixXd a(5, 3);
  for (int r = 0; r < 5; ++r) {
    for (int c = 0; c < 3; ++c) a(r, c) = replay.normal();
  }
  const Eigen::MatrixXd r_factor = (a.transpose() * a).llt().matrixU();
  const Eigen::MatrixXd expected = a * r_factor.inverse();
  CHECK((Eigen::MatrixXd(mlp.weight(0)) - expected).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("orthogonal initialisation is deterministic per seed", "[unit][toolkit]") {
  recrl::toolkit::Mlp<float> a(10, {64, 64}, 4, Activation::Tanh);
  recrl::toolkit::Mlp<float> b(10, {64, 64}, 4, Activation::Tanh);
  recrl::toolkit::Mlp<float> c(10, {64, 64}, 4, Activation::Tanh);
  Rng rng_a(7);
  Rng rng_b(7);
  Rng rng_c(8);
  a.init_orthogonal(rng_a, 0.01f);
  b.init_orthogonal(rng_b, 0.01f);
  c.init_orthogonal(rng_c, 0.01f);
  CHECK(a.parameters() == b.parameters());
  CHECK(a.parameters() != c.parameters());
}

TEST_CASE("pytorch default initialisation stays within one over root fan in", "[unit][toolkit]") {
  MlpD mlp(16, {4}, 2, Activation::Relu);
  Rng rng(1);
  mlp.init_pytorch_default(rng);
  CHECK(mlp.weight(0).cwiseAbs().maxCoeff() <= 0.25);
  CHECK(mlp.bias(0).cwiseAbs().maxCoeff() <= 0.25);
  CHECK(mlp.weight(1).cwiseAbs().maxCoeff() <= 0.5);
  CHECK(mlp.weight(0).cwiseAbs().maxCoeff() > 0.2);  // spread over the interval, not shrunk
  CHECK(mlp.bias(1).cwiseAbs().minCoeff() > 0.0);
}

TEST_CASE("target network copy and polyak update follow sb3", "[unit][toolkit]") {
  Rng rng(2);
  MlpD online(3, {4}, 2, Activation::Relu);
  MlpD target(3, {4}, 2, Activation::Relu);
  online.init_orthogonal(rng, 1.0);
  target.init_orthogonal(rng, 1.0);
  const Eigen::VectorXd before = target.parameters();
  target.polyak_update(online, 0.25);
  CHECK((target.parameters() - (0.75 * before + 0.25 * online.parameters())).cwiseAbs().maxCoeff() <
        1e-15);
  target.polyak_update(online, 1.0);
  CHECK(target.parameters() == online.parameters());
  target.init_orthogonal(rng, 1.0);
  target.copy_parameters_from(online);
  CHECK(target.parameters() == online.parameters());
}

TEST_CASE("mlp save and load round trip exactly and reject another shape", "[unit][toolkit]") {
  Rng rng(4);
  recrl::toolkit::Mlp<float> mlp(5, {7}, 3, Activation::Tanh);
  mlp.init_orthogonal(rng, 0.01f);
  std::stringstream stream;
  mlp.save(stream);
  recrl::toolkit::Mlp<float> loaded(5, {7}, 3, Activation::Tanh);
  loaded.load(stream);
  CHECK(loaded.parameters() == mlp.parameters());

  std::stringstream again;
  mlp.save(again);
  recrl::toolkit::Mlp<float> other(5, {8}, 3, Activation::Tanh);
  CHECK_THROWS_AS(other.load(again), recrl::DataError);
  std::stringstream truncated(again.str().substr(0, 20));
  CHECK_THROWS_AS(loaded.load(truncated), recrl::DataError);
}

TEST_CASE("activation names accept rl zoo spellings", "[unit][toolkit]") {
  using recrl::toolkit::activation_from_name;
  CHECK(activation_from_name("tanh") == Activation::Tanh);
  CHECK(activation_from_name("nn.Tanh") == Activation::Tanh);
  CHECK(activation_from_name("th.nn.ReLU") == Activation::Relu);
  CHECK(activation_from_name("torch.nn.ReLU") == Activation::Relu);
  CHECK(activation_from_name("relu") == Activation::Relu);
  CHECK_FALSE(activation_from_name("sigmoid").has_value());
  CHECK_FALSE(activation_from_name("nn.").has_value());
  CHECK(std::string(recrl::toolkit::activation_name(Activation::Relu)) == "relu");
}

TEST_CASE("mlp flop counts are two per multiply add of the matrix products", "[unit][toolkit]") {
  recrl::toolkit::Mlp<float> mlp(10, {64, 64}, 10, recrl::toolkit::Activation::Tanh);
  // Forward: 10*64 + 64*64 + 64*10 = 5376 multiply-adds per sample.
  CHECK(mlp.forward_flops(1) == 2.0 * 5376);
  CHECK(mlp.forward_flops(32) == 32 * 2.0 * 5376);
  // Backward: the weight gradients of all three layers plus the input gradients of the two
  // layers after the first: 5376 + 64*64 + 64*10 = 10112 multiply-adds per sample.
  CHECK(mlp.backward_flops(1) == 2.0 * 10112);
  CHECK(mlp.backward_flops(8) == 8 * 2.0 * 10112);
}
