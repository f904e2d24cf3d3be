#include "recrl/toolkit/categorical.hpp"

#include "recrl/toolkit/small_gemm.hpp"

namespace recrl::toolkit {

void log_softmax_sample_major(const Eigen::Ref<const Eigen::MatrixXf>& logits,
                              Eigen::MatrixXf& log_probs_t, Eigen::MatrixXf& probs_t,
                              Eigen::Ref<Eigen::MatrixXf> log_probs,
                              Eigen::Ref<Eigen::MatrixXf> probs) {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<float>::type;
  constexpr Eigen::Index kSize = kSimdWidth<float>;
  const Eigen::Index actions = logits.rows();
  const Eigen::Index batch = logits.cols();
  RECRL_ASSERT(batch % kSize == 0 && log_probs_t.rows() >= batch && log_probs_t.cols() == actions &&
                   probs_t.rows() == log_probs_t.rows() && probs_t.cols() == actions,
               "log_softmax_sample_major: a batch of whole packets and [batch x actions] scratch");
  auto z_t = log_probs_t.topRows(batch);
  auto p_t = probs_t.topRows(batch);
  transpose<float>(logits, z_t);
  const Eigen::Index stride = log_probs_t.outerStride();
  for (Eigen::Index i = 0; i < batch; i += kSize) {
    float* const z = z_t.data() + i;
    float* const p = p_t.data() + i;
    const auto at = [stride](float* base, Eigen::Index action) { return base + action * stride; };
    Packet max = ei::ploadu<Packet>(z);
    for (Eigen::Index a = 1; a < actions; ++a) max = ei::pmax(max, ei::ploadu<Packet>(at(z, a)));
    Packet sum = ei::pset1<Packet>(0.0f);
    for (Eigen::Index a = 0; a < actions; ++a) {
      const Packet shifted = ei::psub(ei::ploadu<Packet>(at(z, a)), max);
      const Packet e = ei::pexp(shifted);
      sum = a == 0 ? e : ei::padd(sum, e);
      ei::pstoreu(at(z, a), shifted);
      ei::pstoreu(at(p, a), e);
    }
    const Packet log_sum = ei::plog(sum);
    for (Eigen::Index a = 0; a < actions; ++a) {
      ei::pstoreu(at(p, a), ei::pdiv(ei::ploadu<Packet>(at(p, a)), sum));
      ei::pstoreu(at(z, a), ei::psub(ei::ploadu<Packet>(at(z, a)), log_sum));
    }
  }
  transpose<float>(z_t, log_probs);
  transpose<float>(p_t, probs);
}

}  // namespace recrl::toolkit
