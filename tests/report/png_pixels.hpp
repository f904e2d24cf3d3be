#pragma once

// Just enough of PNG to tell a rendered page from a blank one: reads an 8-bit RGB or RGBA,
// non-interlaced PNG (what Chromium's --screenshot writes) into pixels. The inflate follows
// RFC 1951 in the manner of zlib's puff.c; the test set-up installs no zlib headers.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace recrl::test {

struct PngImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int channels = 0;                  // 3 (RGB) or 4 (RGBA)
  std::vector<std::uint8_t> pixels;  // row by row, `channels` bytes per pixel
};

namespace png_detail {

class Inflater {
 public:
  Inflater(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::vector<std::uint8_t> run() {
    for (bool last = false; !last;) {
      last = bits(1) == 1;
      switch (bits(2)) {
        case 0:
          stored();
          break;
        case 1:
          fixed();
          break;
        case 2:
          dynamic();
          break;
        default:
          throw std::runtime_error("png: bad deflate block type");
      }
    }
    return std::move(out_);
  }

 private:
  struct Huffman {
    std::array<int, 16> count{};  // codes of each length
    std::vector<int> symbol;      // symbols ordered by code
  };

  int bits(int need) {
    std::uint32_t value = buffer_;
    while (count_ < need) {
      if (position_ >= size_) throw std::runtime_error("png: deflate data ends early");
      value |= static_cast<std::uint32_t>(data_[position_++]) << count_;
      count_ += 8;
    }
    buffer_ = value >> need;
    count_ -= need;
    return static_cast<int>(value & ((1u << need) - 1));
  }

  void stored() {
    buffer_ = 0;
    count_ = 0;
    if (position_ + 4 > size_) throw std::runtime_error("png: stored block ends early");
    const std::size_t length = data_[position_] | (data_[position_ + 1] << 8);
    position_ += 4;
    if (position_ + length > size_) throw std::runtime_error("png: stored block ends early");
    out_.insert(out_.end(), data_ + position_, data_ + position_ + length);
    position_ += length;
  }

  static Huffman build(const int* lengths, int n) {
    Huffman h;
    h.symbol.assign(static_cast<std::size_t>(n), 0);
    for (int s = 0; s < n; ++s) ++h.count[static_cast<std::size_t>(lengths[s])];
    std::array<int, 16> offsets{};
    for (std::size_t len = 1; len < 15; ++len) offsets[len + 1] = offsets[len] + h.count[len];
    for (int s = 0; s < n; ++s) {
      if (lengths[s] != 0)
        h.symbol[static_cast<std::size_t>(offsets[static_cast<std::size_t>(lengths[s])]++)] = s;
    }
    h.count[0] = 0;
    return h;
  }

  int decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (std::size_t len = 1; len < 16; ++len) {
      code |= bits(1);
      const int count = h.count[len];
      if (code - count < first) return h.symbol[static_cast<std::size_t>(index + (code - first))];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw std::runtime_error("png: bad Huffman code");
  }

  void codes(const Huffman& lengths, const Huffman& distances) {
    static constexpr std::array<int, 29> length_base{3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                                     15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                                     67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::array<int, 29> length_extra{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::array<int, 30> distance_base{
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr std::array<int, 30> distance_extra{0, 0, 0,  0,  1,  1,  2,  2,  3,  3,
                                                        4, 4, 5,  5,  6,  6,  7,  7,  8,  8,
                                                        9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int symbol = decode(lengths);
      if (symbol < 256) {
        out_.push_back(static_cast<std::uint8_t>(symbol));
        continue;
      }
      if (symbol == 256) return;
      symbol -= 257;
      if (symbol >= 29) throw std::runtime_error("png: bad length code");
      const auto s = static_cast<std::size_t>(symbol);
      const int length = length_base[s] + bits(length_extra[s]);
      const int d = decode(distances);
      if (d >= 30) throw std::runtime_error("png: bad distance code");
      const auto ds = static_cast<std::size_t>(d);
      const auto distance = static_cast<std::size_t>(distance_base[ds] + bits(distance_extra[ds]));
      if (distance > out_.size()) throw std::runtime_error("png: distance too far back");
      for (int i = 0; i < length; ++i) out_.push_back(out_[out_.size() - distance]);
    }
  }

  void fixed() {
    std::array<int, 288> lengths{};
    for (std::size_t s = 0; s < 288; ++s) lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    std::array<int, 30> distances{};
    distances.fill(5);
    codes(build(lengths.data(), 288), build(distances.data(), 30));
  }

  void dynamic() {
    static constexpr std::array<std::size_t, 19> order{16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                       11, 4,  12, 3, 13, 2, 14, 1, 15};
    const int n_lengths = bits(5) + 257, n_distances = bits(5) + 1, n_codes = bits(4) + 4;
    std::array<int, 320> lengths{};
    for (int i = 0; i < n_codes; ++i) lengths[order[static_cast<std::size_t>(i)]] = bits(3);
    const Huffman code_lengths = build(lengths.data(), 19);
    lengths.fill(0);
    for (int index = 0; index < n_lengths + n_distances;) {
      int symbol = decode(code_lengths);
      if (symbol < 16) {
        lengths[static_cast<std::size_t>(index++)] = symbol;
        continue;
      }
      int repeat = 0, value = 0;
      if (symbol == 16) {
        if (index == 0) throw std::runtime_error("png: repeat with no previous length");
        value = lengths[static_cast<std::size_t>(index - 1)];
        repeat = 3 + bits(2);
      } else {
        repeat = symbol == 17 ? 3 + bits(3) : 11 + bits(7);
      }
      if (index + repeat > n_lengths + n_distances)
        throw std::runtime_error("png: too many lengths");
      while (repeat-- > 0) lengths[static_cast<std::size_t>(index++)] = value;
    }
    codes(build(lengths.data(), n_lengths), build(lengths.data() + n_lengths, n_distances));
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
  std::uint32_t buffer_ = 0;
  int count_ = 0;
  std::vector<std::uint8_t> out_;
};

inline std::uint32_t big_endian(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

inline int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

}  // namespace png_detail

// Throws std::runtime_error when the file is not a PNG this reader understands.
inline PngImage read_png(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  static constexpr std::array<std::uint8_t, 8> signature{137, 80, 78, 71, 13, 10, 26, 10};
  if (bytes.size() < 8 || !std::equal(signature.begin(), signature.end(), bytes.begin())) {
    throw std::runtime_error(file.string() + " is not a PNG file");
  }
  PngImage image;
  std::vector<std::uint8_t> compressed;
  for (std::size_t at = 8; at + 12 <= bytes.size();) {
    const std::uint32_t length = png_detail::big_endian(&bytes[at]);
    const std::string type(bytes.begin() + static_cast<long>(at) + 4,
                           bytes.begin() + static_cast<long>(at) + 8);
    const std::uint8_t* chunk = &bytes[at + 8];
    if (at + 12 + length > bytes.size()) throw std::runtime_error("png: chunk ends early");
    if (type == "IHDR") {
      image.width = png_detail::big_endian(chunk);
      image.height = png_detail::big_endian(chunk + 4);
      if (chunk[8] != 8 || (chunk[9] != 2 && chunk[9] != 6) || chunk[12] != 0) {
        throw std::runtime_error("png: only 8-bit RGB or RGBA without interlacing is read");
      }
      image.channels = chunk[9] == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      compressed.insert(compressed.end(), chunk, chunk + length);
    }
    at += 12 + length;
  }
  if (image.channels == 0 || compressed.size() < 2) throw std::runtime_error("png: no image data");
  // Skip the 2-byte zlib header; the Adler-32 at the end is not checked.
  const std::vector<std::uint8_t> raw =
      png_detail::Inflater(compressed.data() + 2, compressed.size() - 2).run();
  const std::size_t bpp = static_cast<std::size_t>(image.channels);
  const std::size_t stride = image.width * bpp;
  if (raw.size() < (stride + 1) * image.height) throw std::runtime_error("png: too little data");
  image.pixels.assign(stride * image.height, 0);
  for (std::size_t y = 0; y < image.height; ++y) {
    const std::uint8_t filter = raw[y * (stride + 1)];
    const std::uint8_t* line = &raw[y * (stride + 1) + 1];
    std::uint8_t* row = &image.pixels[y * stride];
    const std::uint8_t* above = y > 0 ? &image.pixels[(y - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? row[x - bpp] : 0;
      const int b = above ? above[x] : 0;
      const int c = above && x >= bpp ? above[x - bpp] : 0;
      int predicted = 0;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4:
          predicted = png_detail::paeth(a, b, c);
          break;
        default:
          throw std::runtime_error("png: bad filter type");
      }
      row[x] = static_cast<std::uint8_t>(line[x] + predicted);
    }
  }
  return image;
}

}  // namespace recrl::test
