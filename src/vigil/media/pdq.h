#pragma once
// PDQ (Meta's 256-bit perceptual photo hash) on a luminance image, step by step, written from
// the public description (ThreatExchange pdq/README.md, hashing paper) with the reference C++
// implementation as the authority on arithmetic: single-precision floats, the same operation
// order, so that identical luminance gives identical bits.
//
// Pipeline: luma (0.299 R + 0.587 G + 0.114 B) -> two passes of a Jarosz box filter (rows then
// columns, window = ceil(side / 128)) -> decimate to 64x64 at cell centres -> quality metric on
// the 64x64 -> 16x16 DCT (rows 1..16 of the DCT-II basis) -> bit = coefficient > median.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "vigil/common/hash256.h"

namespace vigil::media::pdq {

using Buffer64 = std::array<float, 64 * 64>;  // row-major 64x64
using Dct16 = std::array<float, 16 * 16>;     // row-major 16x16

// Below this many rows or columns the reference returns the all-zero hash with quality 0.
inline constexpr int kMinHashableDimension = 5;

// Luminance of one 8-bit RGB pixel, exactly as the reference computes it (float constants
// initialised from double literals; multiplies and adds, never fused: see CMakeLists.txt).
inline float luma_from_rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  return 0.299f * static_cast<float>(r) + 0.587f * static_cast<float>(g) + 0.114f * static_cast<float>(b);
}

// The box-filter window along a dimension of `old_size` pixels when reducing to `new_size`.
int jarosz_window_size(int old_size, int new_size);

// One 1-D box filter (the reference's box1DFloat): a centred running mean whose window shrinks
// at the edges. `stride` is the distance between consecutive elements.
void box_filter_1d(const float* in, float* out, int length, int stride, int window);

// Two passes of (rows, then columns) box filtering, in place on `buffer` (rows x cols),
// `scratch` the same size.
void jarosz_filter(std::span<float> buffer, std::span<float> scratch, int rows, int cols,
                   int row_window, int col_window, int passes = 2);

// Nearest sample at each output cell's centre.
void decimate(std::span<const float> in, int rows, int cols, float* out, int out_rows,
              int out_cols);

// Luma image (rows x cols, row-major; modified in place) -> 64x64 downsample. `scratch` must
// hold rows * cols floats.
Buffer64 downsample_to_64(std::span<float> luma, std::span<float> scratch, int rows, int cols);

// 0..100; counts significant gradients between neighbours of the 64x64 image.
int quality_metric(const Buffer64& image);

// The 16x16 low-frequency block of the 2-D DCT-II of the 64x64 image (coefficients 1..16).
Dct16 dct_64_to_16(const Buffer64& image);

// The median the reference thresholds against (Torben's algorithm: the lower median, i.e. the
// 128th smallest of the 256 values).
float median(const Dct16& dct);

// Bit i*16+j is set when dct[i][j] > median; laid out in the canonical hex order.
Hash256 bits_from_dct(const Dct16& dct);

enum class Dihedral { original, rotate90, rotate180, rotate270, flip_x, flip_y, flip_plus1, flip_minus1 };
// The DCT of the transformed image, derived from the original's DCT without recomputing it.
Dct16 dihedral_dct(const Dct16& dct, Dihedral transform);

// Sets bit k (0..255, the reference's bit index: word k/16, bit k%16 of the 16-bit words that
// are printed from word 15 down to word 0) in the canonical byte layout of Hash256.
void set_reference_bit(Hash256& hash, int k);
bool reference_bit(const Hash256& hash, int k);

struct Result {
  Hash256 hash;
  int quality = 0;
  std::array<Hash256, 8> dihedral{};  // filled only when requested
};

// Whole PDQ from a luma image (rows x cols row-major, modified in place).
Result hash_luma(std::vector<float>& luma, int rows, int cols, bool dihedral);

}  // namespace vigil::media::pdq
