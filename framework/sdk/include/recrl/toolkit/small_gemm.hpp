#pragma once

#include <Eigen/Core>

namespace recrl::toolkit {

// Matrix products for the networks' passes: C = A B, C += A B and C += A B^T, column-major.
//
// Why not Eigen's `c.noalias() = a * b`: the networks multiply small matrices (64 x 64 weights
// by minibatches of 32-64 samples), where Eigen's general product spends a large share of its
// time packing both operands into blocks before its kernel runs (bench/README.md has the
// profile). At these sizes the operands already sit in cache, so
// this kernel reads A's columns in place and broadcasts B's elements: a block of
// RowPackets x Cols SIMD registers of C accumulates over the whole depth, then is stored once.
// Rows that do not fill a SIMD packet (an output layer with a handful of actions) use
// half-width packets; a matrix with fewer rows than the narrowest packet (a value head's single
// row) goes to Eigen, whose matrix-vector product handles it well.
//
// Results are deterministic: the summation order depends only on the shapes and the build's
// SIMD width, never on the data or the thread count.
namespace small_gemm_detail {

// Eigen's packet types carry vector attributes that GCC drops (with a warning) when they are
// arguments of a class template such as unpacket_traits or PacketBlock; here they only
// select overloads and sizes, so the warning says nothing. (Eigen's own headers, being system
// headers, never show it.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

using Index = Eigen::Index;

template <typename Packet>
using HalfPacket = typename Eigen::internal::unpacket_traits<Packet>::half;
template <typename Packet>
inline constexpr int kPacketSize = Eigen::internal::unpacket_traits<Packet>::size;

// A block of C kept in registers: RowPackets x Cols accumulators, plus RowPackets packets of
// A and one broadcast of B, within the register file (32 with AVX-512, 16 otherwise). An FMA
// takes 4 cycles and two can start each cycle, so a block needs at least 8 accumulators to
// keep the FMA units busy: a block one packet high is kWideCols columns wide.
#if defined(__AVX512F__)
inline constexpr int kRowPackets = 4;
#else
inline constexpr int kRowPackets = 2;
#endif
inline constexpr int kCols = 4;
inline constexpr int kWideCols = 8;

// Packets whose loads and stores take a lane mask (float with AVX or AVX-512): the rows of C
// that do not fill a packet are then computed by one masked packet, the lanes past the last
// row neither read nor written.
template <typename Packet>
inline constexpr bool kMaskable = Eigen::internal::unpacket_traits<Packet>::masked_load_available&&
    Eigen::internal::unpacket_traits<Packet>::masked_store_available;

// Which lanes of a packet of C's rows belong to C: all of them; the first few (a masked
// packet: the lanes past C's last row neither read nor written); or the last few (a packet
// without masks at the bottom of a matrix whose rows do not fill packets: it overlaps rows
// already done, reads all lanes and stores only its own). The kind is a template argument so
// that a block's inner loop carries no branch on it (with a run-time kind GCC kept the
// accumulators of a masked block in memory, storing all of them on every step).
enum class Lanes { All, First, Last };
struct LaneSpan {
  unsigned mask = 0;  // Lanes::First: the lanes used
  int skip = 0;       // Lanes::Last: lanes [skip, packet size) are C's
};

template <typename Packet, Lanes Kind>
inline Packet load_rows(const typename Eigen::internal::unpacket_traits<Packet>::type* from,
                        LaneSpan span) {
  namespace ei = Eigen::internal;
  if constexpr (Kind == Lanes::First) {
    using Mask = typename ei::unpacket_traits<Packet>::mask_t;
    return ei::ploadu<Packet>(from, static_cast<Mask>(span.mask));
  } else {
    return ei::ploadu<Packet>(from);
  }
}

template <typename Packet, Lanes Kind>
inline void store_rows(typename Eigen::internal::unpacket_traits<Packet>::type* to,
                       const Packet& value, LaneSpan span) {
  namespace ei = Eigen::internal;
  using T = typename ei::unpacket_traits<Packet>::type;
  constexpr int kSize = kPacketSize<Packet>;
  if constexpr (Kind == Lanes::First) {
    using Mask = typename ei::unpacket_traits<Packet>::mask_t;
    ei::pstoreu(to, value, static_cast<Mask>(span.mask));
  } else if constexpr (Kind == Lanes::Last) {
    T lanes[kSize];
    ei::pstoreu(lanes, value);
    for (int i = span.skip; i < kSize; ++i) to[i] = lanes[i];
  } else {
    ei::pstoreu(to, value);
  }
}

// Keeps a loaded packet in a register. Without it GCC folds each use of a column of A into its
// multiply-add as a memory operand, loading the column again for every column of B: 20 loads
// per 16 multiply-adds in a 4 x 4 block, and the loads, not the multiply-adds, then set the
// kernel's pace (bench/README.md).
template <typename Packet>
inline void keep_in_register([[maybe_unused]] Packet& packet) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+v"(packet));
#endif
}

// C[rows x cols] (+)= A[rows x depth] B[depth x cols] for one register block: rows =
// RowPackets packets, cols = Cols. A is column-major with leading dimension lda; B(k, j) is
// b[k * b_k + j * b_j], so the same code multiplies by B (b_k = 1) or by B^T (b_j = 1). A
// partial lane kind is for a block of one packet of rows.
template <typename T, typename Packet, int RowPackets, int Cols, Lanes Kind>
inline void multiply_block(Index depth, const T* a, Index lda, const T* b, Index b_k, Index b_j,
                           T* c, Index ldc, bool accumulate, LaneSpan span) {
  namespace ei = Eigen::internal;
  constexpr int kSize = kPacketSize<Packet>;
  Packet sum[RowPackets][Cols];
  for (int r = 0; r < RowPackets; ++r) {
    for (int j = 0; j < Cols; ++j) {
      sum[r][j] = accumulate ? load_rows<Packet, Kind>(c + r * kSize + j * ldc, span)
                             : ei::pset1<Packet>(T(0));
    }
  }
  for (Index k = 0; k < depth; ++k) {
    Packet column[RowPackets];
    for (int r = 0; r < RowPackets; ++r) {
      column[r] = load_rows<Packet, Kind>(a + r * kSize + k * lda, span);
      keep_in_register(column[r]);
    }
    for (int j = 0; j < Cols; ++j) {
      const Packet factor = ei::pset1<Packet>(b[k * b_k + j * b_j]);
      for (int r = 0; r < RowPackets; ++r) sum[r][j] = ei::pmadd(column[r], factor, sum[r][j]);
    }
  }
  for (int r = 0; r < RowPackets; ++r) {
    for (int j = 0; j < Cols; ++j) {
      store_rows<Packet, Kind>(c + r * kSize + j * ldc, sum[r][j], span);
    }
  }
}

// All columns of C for the rows [row, row + RowPackets packets): blocks of Cols columns, then
// of Cols / 2, ... down to single columns (a block of 4 x 2 packets keeps the FMA units busier
// than two of 4 x 1, for a layer of 10 inputs).
template <typename T, typename Packet, int RowPackets, Lanes Kind = Lanes::All,
          int Cols = (RowPackets == 1 ? kWideCols : kCols)>
inline void multiply_rows(Index row, Index cols, Index depth, const T* a, Index lda, const T* b,
                          Index b_k, Index b_j, T* c, Index ldc, bool accumulate,
                          LaneSpan span = {}, Index first_col = 0) {
  Index j = first_col;
  for (; j + Cols <= cols; j += Cols) {
    multiply_block<T, Packet, RowPackets, Cols, Kind>(depth, a + row, lda, b + j * b_j, b_k, b_j,
                                                      c + row + j * ldc, ldc, accumulate, span);
  }
  if constexpr (Cols > 1) {
    if (j < cols) {
      multiply_rows<T, Packet, RowPackets, Kind, Cols / 2>(row, cols, depth, a, lda, b, b_k, b_j, c,
                                                           ldc, accumulate, span, j);
    }
  }
}

// The narrowest packet of T's (AVX-512 -> AVX -> SSE halves).
template <typename Packet>
constexpr int narrowest_packet_size() {
  if constexpr (kPacketSize<HalfPacket<Packet>> < kPacketSize<Packet>) {
    return narrowest_packet_size<HalfPacket<Packet>>();
  } else {
    return kPacketSize<Packet>;
  }
}

// Rows [row, rows) of C: blocks of kRowPackets packets, then single packets, then the rest:
// one masked packet where the packet allows it, otherwise half-width packets (AVX-512 -> AVX
// -> SSE), the last one overlapping rows already done. rows must be at least the narrowest
// packet's size.
template <typename T, typename Packet>
void multiply_rows_from(Index row, Index rows, Index cols, Index depth, const T* a, Index lda,
                        const T* b, Index b_k, Index b_j, T* c, Index ldc, bool accumulate) {
  constexpr Index kSize = kPacketSize<Packet>;
  if constexpr (kSize > 1) {
    for (; row + kRowPackets * kSize <= rows; row += kRowPackets * kSize) {
      multiply_rows<T, Packet, kRowPackets>(row, cols, depth, a, lda, b, b_k, b_j, c, ldc,
                                            accumulate);
    }
  }
  for (; row + kSize <= rows; row += kSize) {
    multiply_rows<T, Packet, 1>(row, cols, depth, a, lda, b, b_k, b_j, c, ldc, accumulate);
  }
  if (row == rows) return;
  if constexpr (kMaskable<Packet>) {
    multiply_rows<T, Packet, 1, Lanes::First>(row, cols, depth, a, lda, b, b_k, b_j, c, ldc,
                                              accumulate, LaneSpan{(1u << (rows - row)) - 1u, 0});
  } else if constexpr (kPacketSize<HalfPacket<Packet>> < kSize) {
    multiply_rows_from<T, HalfPacket<Packet>>(row, rows, cols, depth, a, lda, b, b_k, b_j, c, ldc,
                                              accumulate);
  } else {
    // One packet ending at the last row; its first lanes recompute rows already stored.
    const Index start = rows - kSize;
    const LaneSpan span{0, static_cast<int>(row - start)};
    multiply_rows<T, Packet, 1, Lanes::Last>(start, cols, depth, a, lda, b, b_k, b_j, c, ldc,
                                             accumulate, span);
  }
}

// C's rows by packets: all of them unless C has fewer rows than the narrowest packet (then
// none: a single row is a matrix-vector product, better done by Eigen). Returns how many rows
// were computed.
template <typename T>
Index multiply_packet_rows(Index rows, Index cols, Index depth, const T* a, Index lda, const T* b,
                           Index b_k, Index b_j, T* c, Index ldc, bool accumulate) {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  if (rows < narrowest_packet_size<Packet>()) return 0;
  multiply_rows_from<T, Packet>(0, rows, cols, depth, a, lda, b, b_k, b_j, c, ldc, accumulate);
  return rows;
}

// dst[cols x rows] = src[rows x cols]^T, column-major, square tiles of one packet width
// transposed in registers. The rows or columns that do not fill a packet (an output layer of
// 10 actions, as the rows of its weights or the columns of their transpose) go through masked
// tiles where the packet has masks; the other edges element by element.
template <typename T>
void transpose(Index rows, Index cols, const T* src, Index lds, T* dst, Index ldd) {
  namespace ei = Eigen::internal;
  using Packet = typename ei::packet_traits<T>::type;
  constexpr Index kSize = kPacketSize<Packet>;
  const Index tiled_rows = rows - rows % kSize;
  const Index tiled_cols = cols - cols % kSize;
  const int rest = static_cast<int>(rows - tiled_rows);
  for (Index j = 0; j < tiled_cols; j += kSize) {
    for (Index i = 0; i < tiled_rows; i += kSize) {
      ei::PacketBlock<Packet, kSize> tile;
      for (Index c = 0; c < kSize; ++c)
        tile.packet[c] = ei::ploadu<Packet>(src + i + (j + c) * lds);
      ei::ptranspose(tile);
      for (Index r = 0; r < kSize; ++r) ei::pstoreu(dst + j + (i + r) * ldd, tile.packet[r]);
    }
    if (rest == 0) continue;
    if constexpr (kMaskable<Packet>) {
      const LaneSpan span{(1u << rest) - 1u, 0};
      ei::PacketBlock<Packet, kSize> tile;
      for (Index c = 0; c < kSize; ++c) {
        tile.packet[c] = load_rows<Packet, Lanes::First>(src + tiled_rows + (j + c) * lds, span);
      }
      ei::ptranspose(tile);
      for (int r = 0; r < rest; ++r) ei::pstoreu(dst + j + (tiled_rows + r) * ldd, tile.packet[r]);
    } else {
      for (Index c = j; c < j + kSize; ++c) {
        for (Index i = tiled_rows; i < rows; ++i) dst[c + i * ldd] = src[i + c * lds];
      }
    }
  }
  Index rows_left = 0;  // the last columns' rows from here on are copied element by element
  if constexpr (kMaskable<Packet>) {
    const int cols_rest = static_cast<int>(cols - tiled_cols);
    if (cols_rest > 0) {
      using Mask = typename ei::unpacket_traits<Packet>::mask_t;
      const auto mask = static_cast<Mask>((1u << cols_rest) - 1u);
      for (Index i = 0; i < tiled_rows; i += kSize) {
        ei::PacketBlock<Packet, kSize> tile;
        for (int c = 0; c < kSize; ++c) {
          tile.packet[c] = c < cols_rest ? ei::ploadu<Packet>(src + i + (tiled_cols + c) * lds)
                                         : ei::pset1<Packet>(T(0));
        }
        ei::ptranspose(tile);
        for (Index r = 0; r < kSize; ++r) {
          ei::pstoreu(dst + tiled_cols + (i + r) * ldd, tile.packet[r], mask);
        }
      }
      rows_left = tiled_rows;
    }
  }
  for (Index c = tiled_cols; c < cols; ++c) {
    for (Index i = rows_left; i < rows; ++i) dst[c + i * ldd] = src[i + c * lds];
  }
}

#pragma GCC diagnostic pop

}  // namespace small_gemm_detail

enum class Product { Assign, Accumulate };

template <typename T>
using MatrixRef = Eigen::Ref<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;
template <typename T>
using ConstMatrixRef = Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;

namespace small_gemm_detail {

// c (+)= a right, through Eigen, for c's rows from `done` on (only a c with fewer rows than the
// narrowest packet has any: a value head's single row, a matrix-vector product for Eigen).
template <typename T, typename Right>
void multiply_rest_with_eigen(const ConstMatrixRef<T>& a, const Right& right, MatrixRef<T> c,
                              Index done, bool accumulate) {
  const Index rest = c.rows() - done;
  if (rest == 0) return;
  if (accumulate) {
    c.bottomRows(rest).noalias() += a.bottomRows(rest) * right;
  } else {
    c.bottomRows(rest).noalias() = a.bottomRows(rest) * right;
  }
}

}  // namespace small_gemm_detail

// True when multiply() computes each column of a c with this many rows the same way whatever
// the other columns are (so a network's output for a sample does not depend on its batch):
// c's rows go through the packet kernel. A c with fewer rows than the narrowest packet goes to
// Eigen, whose product picks its kernel, and with it the order of summation, by the batch's
// width.
template <typename T>
bool batch_independent_rows(Eigen::Index rows) {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  return rows >= small_gemm_detail::narrowest_packet_size<Packet>();
}

// c = a b (Product::Assign) or c += a b (Product::Accumulate). Operands are column-major
// blocks with unit inner stride (a matrix, a Map, leftCols() of either); c must not alias them.
template <typename T>
void multiply(const ConstMatrixRef<T>& a, const ConstMatrixRef<T>& b, MatrixRef<T> c,
              Product mode) {
  eigen_assert(a.cols() == b.rows() && c.rows() == a.rows() && c.cols() == b.cols());
  const bool accumulate = mode == Product::Accumulate;
  const Eigen::Index done = small_gemm_detail::multiply_packet_rows<T>(
      c.rows(), c.cols(), a.cols(), a.data(), a.outerStride(), b.data(), 1, b.outerStride(),
      c.data(), c.outerStride(), accumulate);
  small_gemm_detail::multiply_rest_with_eigen<T>(a, b, c, done, accumulate);
}

// c = a b^T or c += a b^T (a weight gradient: dL/dY times the layer's input, transposed).
template <typename T>
void multiply_transposed(const ConstMatrixRef<T>& a, const ConstMatrixRef<T>& b, MatrixRef<T> c,
                         Product mode) {
  eigen_assert(a.cols() == b.cols() && c.rows() == a.rows() && c.cols() == b.rows());
  const bool accumulate = mode == Product::Accumulate;
  const Eigen::Index done = small_gemm_detail::multiply_packet_rows<T>(
      c.rows(), c.cols(), a.cols(), a.data(), a.outerStride(), b.data(), b.outerStride(), 1,
      c.data(), c.outerStride(), accumulate);
  small_gemm_detail::multiply_rest_with_eigen<T>(a, b.transpose(), c, done, accumulate);
}

// dst = src^T. Eigen's `dst = src.transpose()` copies element by element with a strided read;
// this moves packet-square tiles through registers.
template <typename T>
void transpose(const ConstMatrixRef<T>& src, MatrixRef<T> dst) {
  eigen_assert(dst.rows() == src.cols() && dst.cols() == src.rows());
  small_gemm_detail::transpose<T>(src.rows(), src.cols(), src.data(), src.outerStride(), dst.data(),
                                  dst.outerStride());
}

}  // namespace recrl::toolkit
