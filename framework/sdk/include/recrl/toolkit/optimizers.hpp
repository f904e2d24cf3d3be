#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <ostream>
#include <type_traits>

#include <Eigen/Core>

#include "recrl/core/errors.hpp"
#include "recrl/toolkit/binary_io.hpp"

namespace recrl::toolkit {

// Optimisers over one flat parameter vector (Mlp::parameters()) and its gradient vector
// (Mlp::gradients()), with PyTorch's semantics (torch.optim.Adam / RMSprop, single-tensor path,
// no weight decay, no amsgrad / momentum / centering: what SB3 uses). A step allocates nothing.
// Several networks with separate optimisers behave as one optimiser over all their parameters,
// since both optimisers are elementwise. The state (step count, moments) saves and loads bit
// for bit; the learning rate is not state: the caller sets it (e.g. from a Schedule) before
// each step, as SB3's _update_learning_rate does.

// Eigen's packet types carry vector attributes that GCC drops (with a warning) when they are
// template arguments; here they only select overloads (see small_gemm.hpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

// a b + c: for a scalar std::fma (rounded once); for a packet Eigen's pmadd (rounded once with
// FMA hardware, a multiply and an add without).
template <typename Value>
Value fused_multiply_add(const Value& a, const Value& b, const Value& c) {
  if constexpr (std::is_floating_point_v<Value>) {
    return std::fma(a, b, c);
  } else {
    return Eigen::internal::pmadd(a, b, c);
  }
}

// x / d rounded to nearest, for x >= 0 (zero or normal: here a square root of a float) and a
// positive normal d, of a Value that is T or a packet of T. With fused multiply-adds it needs
// no division: q = x RN(1 / d) is within two ulps of x / d; each correction
// q += (x - q d) RN(1 / d), whose residual x - q d an FMA computes exactly, shrinks the error
// below an ulp and then (Markstein's theorem: a faithful q corrected once through RN(1 / d) is
// RN(x / d)) to the correctly rounded quotient. A division holds the divider for ~10 cycles
// per AVX-512 packet; this takes 5 FMA-unit operations. Tested against the division over whole
// binades of x. Without FMA hardware the residual would be rounded: then it divides.
template <typename T, typename Value>
class DivisionBy {
 public:
  explicit DivisionBy(T divisor)
      : d_(Eigen::internal::pset1<Value>(divisor)),
        reciprocal_(Eigen::internal::pset1<Value>(T(1) / divisor)) {}

  Value operator()(const Value& x) const {
    namespace ei = Eigen::internal;
#if defined(__FMA__)
    Value q = ei::pmul(x, reciprocal_);
    for (int correction = 0; correction < 2; ++correction) {
      const Value residual = fused_multiply_add(ei::pnegate(q), d_, x);
      q = fused_multiply_add(residual, reciprocal_, q);
    }
    return q;
#else
    return ei::pdiv(x, d_);
#endif
  }

 private:
  Value d_;
  Value reciprocal_;
};

// torch.optim.Adam:
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  t += 1
//   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections are computed in double (as torch does in Python) and applied in T.
template <typename T>
class Adam {
 public:
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  Adam() = default;
  // size = number of parameters. SB3's PPO passes eps = 1e-5; torch's default is 1e-8.
  explicit Adam(Eigen::Index size, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8)
      : lr_(lr),
        beta1_(beta1),
        beta2_(beta2),
        eps_(eps),
        m_(Vec::Zero(size)),
        v_(Vec::Zero(size)) {}

  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  double beta1() const { return beta1_; }
  double beta2() const { return beta2_; }
  double eps() const { return eps_; }
  std::int64_t steps() const { return steps_; }
  const Vec& first_moment() const { return m_; }   // exp_avg
  const Vec& second_moment() const { return v_; }  // exp_avg_sq

  // One update of `params` from `grads` (same size as given at construction).
  void step(Eigen::Ref<Vec> params, const Eigen::Ref<const Vec>& grads) {
    RECRL_ASSERT(params.size() == m_.size() && grads.size() == m_.size(),
                 "Adam::step: parameter and gradient sizes must match the optimiser's");
    ++steps_;
    const double t = static_cast<double>(steps_);
    const double bias_correction1 = 1.0 - std::pow(beta1_, t);
    const double bias_correction2_sqrt = std::sqrt(1.0 - std::pow(beta2_, t));
    // Scalars as torch forms them: Python doubles (1 - beta, lr / bias_correction1), each
    // rounded once to T when the tensor kernel receives it.
    const T beta1 = static_cast<T>(beta1_);
    const T one_minus_beta1 = static_cast<T>(1.0 - beta1_);
    const T beta2 = static_cast<T>(beta2_);
    const T one_minus_beta2 = static_cast<T>(1.0 - beta2_);
    const T step_size = static_cast<T>(lr_ / bias_correction1);
    const T bc2_sqrt = static_cast<T>(bias_correction2_sqrt);
    const T eps = static_cast<T>(eps_);
    // One pass, a packet at a time (the remainder one element at a time, the same operations):
    //   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
    //   p -= step_size m / (sqrt(v) / bc2_sqrt + eps),
    // the division by bc2_sqrt done by DivisionBy (the division's bits, faster). The square
    // root of a packet is Eigen's (EIGEN_FAST_MATH): a reciprocal-root estimate and one Newton
    // step. Against torch's correctly rounded one, over every positive float at AVX-512: 63%
    // equal, 36% 1 ulp off, the rest 2-4 ulp; sub-normal v gives 0. The remainder's scalars
    // get std::sqrt. Deterministic either way, and the same in RmsProp.
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<T>::type;
    constexpr Eigen::Index kSize = ei::unpacket_traits<Packet>::size;
    const auto update = [&](auto p, auto m, auto v, auto g, const auto& divide_by_bc2_sqrt) {
      using Value = decltype(p);
      const auto constant = [](T c) { return ei::pset1<Value>(c); };
      m = fused_multiply_add(constant(one_minus_beta1), g, ei::pmul(constant(beta1), m));
      v = fused_multiply_add(constant(one_minus_beta2), ei::pmul(g, g),
                             ei::pmul(constant(beta2), v));
      const Value denominator = ei::padd(divide_by_bc2_sqrt(ei::psqrt(v)), constant(eps));
      p = ei::psub(p, ei::pdiv(ei::pmul(constant(step_size), m), denominator));
      return std::array<Value, 3>{p, m, v};
    };
    const DivisionBy<T, Packet> packet_division(bc2_sqrt);
    const DivisionBy<T, T> scalar_division(bc2_sqrt);
    T* p = params.data();
    T* m = m_.data();
    T* v = v_.data();
    const T* g = grads.data();
    const Eigen::Index n = m_.size();
    Eigen::Index i = 0;
    for (; i + kSize <= n; i += kSize) {
      const auto [new_p, new_m, new_v] =
          update(ei::ploadu<Packet>(p + i), ei::ploadu<Packet>(m + i), ei::ploadu<Packet>(v + i),
                 ei::ploadu<Packet>(g + i), packet_division);
      ei::pstoreu(p + i, new_p);
      ei::pstoreu(m + i, new_m);
      ei::pstoreu(v + i, new_v);
    }
    for (; i < n; ++i) {
      const auto [new_p, new_m, new_v] = update(p[i], m[i], v[i], g[i], scalar_division);
      p[i] = new_p;
      m[i] = new_m;
      v[i] = new_v;
    }
  }

  void save(std::ostream& out) const {
    write_pod<std::int64_t>(out, steps_);
    write_array(out, m_);
    write_array(out, v_);
  }
  void load(std::istream& in) {
    steps_ = read_pod<std::int64_t>(in, "adam");
    read_array(in, m_, "adam");
    read_array(in, v_, "adam");
  }

 private:
  double lr_ = 1e-3;
  double beta1_ = 0.9;
  double beta2_ = 0.999;
  double eps_ = 1e-8;
  std::int64_t steps_ = 0;
  Vec m_;  // exp_avg
  Vec v_;  // exp_avg_sq
};

#pragma GCC diagnostic pop

// torch.optim.RMSprop (not centered, no momentum):
//   v = alpha v + (1 - alpha) g^2;  p -= lr g / (sqrt(v) + eps)
// SB3's A2C passes alpha = 0.99, eps = 1e-5; torch's defaults are alpha 0.99, eps 1e-8.
template <typename T>
class RmsProp {
 public:
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  RmsProp() = default;
  explicit RmsProp(Eigen::Index size, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8)
      : lr_(lr), alpha_(alpha), eps_(eps), v_(Vec::Zero(size)) {}

  void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }
  double alpha() const { return alpha_; }
  double eps() const { return eps_; }
  std::int64_t steps() const { return steps_; }
  const Vec& square_average() const { return v_; }

  void step(Eigen::Ref<Vec> params, const Eigen::Ref<const Vec>& grads) {
    RECRL_ASSERT(params.size() == v_.size() && grads.size() == v_.size(),
                 "RmsProp::step: parameter and gradient sizes must match the optimiser's");
    ++steps_;
    const T alpha = static_cast<T>(alpha_);
    const T one_minus_alpha = static_cast<T>(1.0 - alpha_);  // a Python double in torch
    const T lr = static_cast<T>(lr_);
    const T eps = static_cast<T>(eps_);
    v_.array() = alpha * v_.array() + one_minus_alpha * grads.array().square();
    params.array() -= lr * grads.array() / (v_.array().sqrt() + eps);
  }

  void save(std::ostream& out) const {
    write_pod<std::int64_t>(out, steps_);
    write_array(out, v_);
  }
  void load(std::istream& in) {
    steps_ = read_pod<std::int64_t>(in, "rmsprop");
    read_array(in, v_, "rmsprop");
  }

 private:
  double lr_ = 1e-2;
  double alpha_ = 0.99;
  double eps_ = 1e-8;
  std::int64_t steps_ = 0;
  Vec v_;  // square_avg
};

// torch.nn.utils.clip_grad_norm_ over the concatenation of the given gradient vectors (e.g. a
// policy and a value network that SB3 clips together): total = ||(g_1, g_2, ...)||_2; when
// max_norm / (total + 1e-6) < 1 every gradient is scaled by it. Returns total (before scaling),
// as torch does. A non-finite total is returned as is and leaves the gradients unscaled
// (callers check it and stop the run: a NaN must not be hidden by clipping).
template <typename T>
T clip_grad_norm(std::initializer_list<Eigen::Matrix<T, Eigen::Dynamic, 1>*> gradients,
                 T max_norm) {
  T squared = 0;
  for (const auto* g : gradients) squared += g->squaredNorm();
  const T total = std::sqrt(squared);
  if (!std::isfinite(total)) return total;
  const T coefficient = max_norm / (total + static_cast<T>(1e-6));
  if (coefficient < T(1)) {
    for (auto* g : gradients) *g *= coefficient;
  }
  return total;
}

// The same for one gradient vector.
template <typename T>
T clip_grad_norm(Eigen::Matrix<T, Eigen::Dynamic, 1>& gradient, T max_norm) {
  return clip_grad_norm<T>({&gradient}, max_norm);
}

}  // namespace recrl::toolkit
