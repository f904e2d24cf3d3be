#pragma once

#include <Eigen/Core>

namespace recrl::toolkit {

// How many T one SIMD packet of the build holds (16 floats with AVX-512; 1 without SIMD): the
// width the toolkit's packet loops step by and its batch and layer-size thresholds compare with.
template <typename T>
inline constexpr Eigen::Index kSimdWidth =
    static_cast<Eigen::Index>(sizeof(typename Eigen::internal::packet_traits<T>::type) / sizeof(T));

}  // namespace recrl::toolkit
