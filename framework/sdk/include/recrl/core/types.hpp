#pragma once

#include <Eigen/Core>

namespace recrl {

// Training runs in float32: Eigen vectorises float math and the networks need no more.
using Scalar = float;
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using Matrix =
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;  // column-major: a column is a sample
using VectorRef = Eigen::Ref<Vector>;
using ConstVectorRef = Eigen::Ref<const Vector>;

}  // namespace recrl
