// small_gemm's products against Eigen's, over shapes that exercise the full register blocks,
// the single-packet rows, the rows left to Eigen and the single columns, on blocks whose outer
// stride differs from their row count, in float and double.
#include <vector>

#include <Eigen/Core>
#include <catch2/catch.hpp>

#include "recrl/core/random.hpp"
#include "recrl/toolkit/small_gemm.hpp"

namespace {

using recrl::toolkit::Product;

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

template <typename T>
Mat<T> random_matrix(recrl::Rng& rng, Eigen::Index rows, Eigen::Index cols) {
  Mat<T> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = static_cast<T>(rng.normal());
  return m;
}

template <typename T>
void check_all_shapes(T tolerance) {
  recrl::Rng rng(3);
  const std::vector<Eigen::Index> row_counts = {1, 3, 4, 7, 8, 16, 17, 31, 32, 64, 65, 70, 256};
  const std::vector<Eigen::Index> column_counts = {1, 3, 4, 5, 9, 10, 15, 32};
  const std::vector<Eigen::Index> depths = {1, 2, 10, 64};
  for (Eigen::Index rows : row_counts) {
    for (Eigen::Index cols : column_counts) {
      for (Eigen::Index depth : depths) {
        CAPTURE(rows, cols, depth);
        // Operands are the top-left blocks of larger matrices: outer stride != rows.
        const Mat<T> a_storage = random_matrix<T>(rng, rows + 3, depth + 1);
        const Mat<T> b_storage = random_matrix<T>(rng, depth + 2, cols);
        const Mat<T> bt_storage = random_matrix<T>(rng, cols + 1, depth);
        const auto a = a_storage.topLeftCorner(rows, depth);
        const auto b = b_storage.topRows(depth);
        const auto bt = bt_storage.topRows(cols);
        const Mat<T> start = random_matrix<T>(rng, rows + 2, cols);

        Mat<T> c = start;
        auto c_block = c.topRows(rows);
        recrl::toolkit::multiply<T>(a, b, c_block, Product::Assign);
        Mat<T> expected = start;
        expected.topRows(rows).noalias() = a * b;
        CHECK((c - expected).cwiseAbs().maxCoeff() <= tolerance);

        c = start;
        recrl::toolkit::multiply<T>(a, b, c_block, Product::Accumulate);
        expected = start;
        expected.topRows(rows).noalias() += a * b;
        CHECK((c - expected).cwiseAbs().maxCoeff() <= tolerance);

        c = start;
        recrl::toolkit::multiply_transposed<T>(a, bt, c_block, Product::Accumulate);
        expected = start;
        expected.topRows(rows).noalias() += a * bt.transpose();
        CHECK((c - expected).cwiseAbs().maxCoeff() <= tolerance);

        c = start;
        recrl::toolkit::multiply_transposed<T>(a, bt, c_block, Product::Assign);
        expected = start;
        expected.topRows(rows).noalias() = a * bt.transpose();
        CHECK((c - expected).cwiseAbs().maxCoeff() <= tolerance);
      }
    }
  }
}

}  // namespace

TEST_CASE("small gemm products equal eigen's in double", "[unit][toolkit]") {
  check_all_shapes<double>(1e-12);
}

TEST_CASE("small gemm products equal eigen's in float up to rounding", "[unit][toolkit]") {
  check_all_shapes<float>(1e-4f);
}

TEST_CASE("small gemm gives each column the same bits whatever the other columns",
          "[unit][toolkit]") {
  // The sum for one element runs over the depth in order, whatever block the column is in, so
  // a sample's network output does not depend on the minibatch around it (DQN's target cache
  // relies on it). Not for C with fewer rows than the narrowest packet: Eigen's product does
  // those (see batch_independent_rows).
  recrl::Rng rng(8);
  for (Eigen::Index rows : {4, 5, 10, 17, 64}) {
    REQUIRE(recrl::toolkit::batch_independent_rows<float>(rows));
    const Mat<float> a = random_matrix<float>(rng, rows, 64);
    const Mat<float> b = random_matrix<float>(rng, 64, 300);
    Mat<float> all(rows, 300);
    recrl::toolkit::multiply<float>(a, b, all, Product::Assign);
    for (Eigen::Index width : {1, 3, 9, 37}) {
      CAPTURE(rows, width);
      Mat<float> part(rows, width);
      recrl::toolkit::multiply<float>(a, b.middleCols(100, width), part, Product::Assign);
      CHECK((part.array() == all.middleCols(100, width).array()).all());
    }
  }
  CHECK_FALSE(recrl::toolkit::batch_independent_rows<float>(1));
}

TEST_CASE("small gemm transpose equals eigen's for every edge shape", "[unit][toolkit]") {
  recrl::Rng rng(4);
  for (Eigen::Index rows : {1, 3, 4, 8, 10, 16, 17, 33, 64}) {
    for (Eigen::Index cols : {1, 2, 4, 9, 10, 16, 20, 37, 64}) {
      CAPTURE(rows, cols);
      const Mat<float> storage = random_matrix<float>(rng, rows + 1, cols);
      const auto src = storage.topRows(rows);
      Mat<float> dst(cols, rows);
      recrl::toolkit::transpose<float>(src, dst);
      CHECK(dst == src.transpose());
      const Mat<double> storage_d = random_matrix<double>(rng, rows, cols);
      Mat<double> dst_d(cols, rows);
      recrl::toolkit::transpose<double>(storage_d, dst_d);
      CHECK(dst_d == storage_d.transpose());
    }
  }
}
