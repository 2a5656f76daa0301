#include "vigil/media/pdq.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>

namespace vigil::media::pdq {
namespace {

// Rows 1..16 of the 64-point DCT-II basis, scaled by sqrt(2/64). The scale factor is a float and
// each product is computed in double then stored as float, as in the reference.
const std::array<float, 16 * 64>& dct_matrix() {
  static const std::array<float, 16 * 64> matrix = [] {
    std::array<float, 16 * 64> m{};
    const float scale = static_cast<float>(std::sqrt(2.0 / 64.0));
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 64; ++j) {
        m[static_cast<std::size_t>(i * 64 + j)] = static_cast<float>(
            static_cast<double>(scale) *
            std::cos((std::numbers::pi / 2.0 / 64.0) * static_cast<double>(i + 1) *
                     static_cast<double>(2 * j + 1)));
      }
    }
    return m;
  }();
  return matrix;
}

// The column pass of the box filter, computed for all columns at once (row by row, so it runs
// over contiguous memory). Each column sees exactly the operations of box_filter_1d in the same
// order, so the results are bit-identical to filtering each column separately.
void box_filter_columns(const float* in, float* out, int rows, int cols, int window) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = rows - window;
  const int phase4 = half - 1;
  std::vector<float> sum(static_cast<std::size_t>(cols), 0.0f);
  const auto row = [&](const float* base, int r) { return base + static_cast<std::ptrdiff_t>(r) * cols; };
  const auto out_row = [&](int r) { return out + static_cast<std::ptrdiff_t>(r) * cols; };
  int li = 0, ri = 0, oi = 0, current = 0;
  for (int i = 0; i < phase1; ++i, ++ri) {
    const float* a = row(in, ri);
    for (int c = 0; c < cols; ++c) sum[c] += a[c];
    ++current;
  }
  for (int i = 0; i < phase2; ++i, ++ri, ++oi) {
    const float* a = row(in, ri);
    float* o = out_row(oi);
    ++current;
    const float n = static_cast<float>(current);
    for (int c = 0; c < cols; ++c) {
      sum[c] += a[c];
      o[c] = sum[c] / n;
    }
  }
  for (int i = 0; i < phase3; ++i, ++li, ++ri, ++oi) {
    const float* a = row(in, ri);
    const float* s = row(in, li);
    float* o = out_row(oi);
    const float n = static_cast<float>(current);
    for (int c = 0; c < cols; ++c) {
      sum[c] += a[c];
      sum[c] -= s[c];
      o[c] = sum[c] / n;
    }
  }
  for (int i = 0; i < phase4; ++i, ++li, ++oi) {
    const float* s = row(in, li);
    float* o = out_row(oi);
    --current;
    const float n = static_cast<float>(current);
    for (int c = 0; c < cols; ++c) {
      sum[c] -= s[c];
      o[c] = sum[c] / n;
    }
  }
}

// The row pass of the box filter, eight rows at a time. A row's running sum is one serial chain
// of dependent additions; interleaving eight independent rows lets their additions and
// divisions overlap. Each row sees exactly box_filter_1d's operations in the same order.
void box_filter_rows(const float* in, float* out, int rows, int cols, int window) {
  constexpr int kLanes = 8;
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = cols - window;
  const int phase4 = half - 1;
  int r = 0;
  for (; r + kLanes <= rows; r += kLanes) {
    const float* a = in + static_cast<std::ptrdiff_t>(r) * cols;
    float* o = out + static_cast<std::ptrdiff_t>(r) * cols;
    float sum[kLanes] = {};
    int li = 0, ri = 0, oi = 0, current = 0;
    for (int i = 0; i < phase1; ++i, ++ri) {
      for (int k = 0; k < kLanes; ++k) sum[k] += a[k * cols + ri];
      ++current;
    }
    for (int i = 0; i < phase2; ++i, ++ri, ++oi) {
      ++current;
      const float n = static_cast<float>(current);
      for (int k = 0; k < kLanes; ++k) {
        sum[k] += a[k * cols + ri];
        o[k * cols + oi] = sum[k] / n;
      }
    }
    for (int i = 0; i < phase3; ++i, ++li, ++ri, ++oi) {
      const float n = static_cast<float>(current);
      for (int k = 0; k < kLanes; ++k) {
        sum[k] += a[k * cols + ri];
        sum[k] -= a[k * cols + li];
        o[k * cols + oi] = sum[k] / n;
      }
    }
    for (int i = 0; i < phase4; ++i, ++li, ++oi) {
      --current;
      const float n = static_cast<float>(current);
      for (int k = 0; k < kLanes; ++k) {
        sum[k] -= a[k * cols + li];
        o[k * cols + oi] = sum[k] / n;
      }
    }
  }
  for (; r < rows; ++r) {
    const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(r) * cols;
    box_filter_1d(in + offset, out + offset, cols, 1, window);
  }
}

}  // namespace

int jarosz_window_size(int old_size, int new_size) {
  return (old_size + 2 * new_size - 1) / (2 * new_size);
}

void box_filter_1d(const float* in, float* out, int length, int stride, int window) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = length - window;
  const int phase4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  float sum = 0.0f;
  int current = 0;
  for (int i = 0; i < phase1; ++i) {
    sum += in[ri];
    ++current;
    ri += stride;
  }
  for (int i = 0; i < phase2; ++i) {
    sum += in[ri];
    ++current;
    out[oi] = sum / static_cast<float>(current);
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < phase3; ++i) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / static_cast<float>(current);
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < phase4; ++i) {
    sum -= in[li];
    --current;
    out[oi] = sum / static_cast<float>(current);
    li += stride;
    oi += stride;
  }
}

void jarosz_filter(std::span<float> buffer, std::span<float> scratch, int rows, int cols,
                   int row_window, int col_window, int passes) {
  for (int p = 0; p < passes; ++p) {
    box_filter_rows(buffer.data(), scratch.data(), rows, cols, row_window);
    box_filter_columns(scratch.data(), buffer.data(), rows, cols, col_window);
  }
}

void decimate(std::span<const float> in, int rows, int cols, float* out, int out_rows,
              int out_cols) {
  for (int oi = 0; oi < out_rows; ++oi) {
    const int ii = static_cast<int>(((oi + 0.5) * rows) / out_rows);
    for (int oj = 0; oj < out_cols; ++oj) {
      const int ij = static_cast<int>(((oj + 0.5) * cols) / out_cols);
      out[oi * out_cols + oj] =
          in[static_cast<std::size_t>(ii) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(ij)];
    }
  }
}

Buffer64 downsample_to_64(std::span<float> luma, std::span<float> scratch, int rows, int cols) {
  Buffer64 out{};
  if (rows == 64 && cols == 64) {
    std::copy_n(luma.begin(), 64 * 64, out.begin());
    return out;
  }
  jarosz_filter(luma, scratch, rows, cols, jarosz_window_size(cols, 64),
                jarosz_window_size(rows, 64));
  decimate(luma, rows, cols, out.data(), 64, 64);
  return out;
}

int quality_metric(const Buffer64& image) {
  int gradient_sum = 0;
  for (int i = 0; i < 63; ++i) {
    for (int j = 0; j < 64; ++j) {
      const float u = image[i * 64 + j];
      const float v = image[(i + 1) * 64 + j];
      const int d = static_cast<int>(((u - v) * 100.0f) / 255.0f);
      gradient_sum += std::abs(d);
    }
  }
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 63; ++j) {
      const float u = image[i * 64 + j];
      const float v = image[i * 64 + j + 1];
      const int d = static_cast<int>(((u - v) * 100.0f) / 255.0f);
      gradient_sum += std::abs(d);
    }
  }
  return std::min(gradient_sum / 90, 100);
}

Dct16 dct_64_to_16(const Buffer64& a) {
  const auto& d = dct_matrix();
  // T = D A (16x64), then B = T D^T (16x16); sums accumulate k = 0..63 in order.
  std::array<float, 16 * 64> t{};
  for (int i = 0; i < 16; ++i) {
    const float* pd = &d[static_cast<std::size_t>(i * 64)];
    float* trow = &t[static_cast<std::size_t>(i * 64)];
    for (int j = 0; j < 64; ++j) trow[j] = 0.0f;
    for (int k = 0; k < 64; ++k) {
      const float dk = pd[k];
      const float* arow = &a[static_cast<std::size_t>(k * 64)];
      for (int j = 0; j < 64; ++j) trow[j] += dk * arow[j];
    }
  }
  Dct16 b{};
  for (int i = 0; i < 16; ++i) {
    const float* trow = &t[static_cast<std::size_t>(i * 64)];
    for (int j = 0; j < 16; ++j) {
      const float* pd = &d[static_cast<std::size_t>(j * 64)];
      float sum = 0.0f;
      for (int k = 0; k < 64; ++k) sum += trow[k] * pd[k];
      b[static_cast<std::size_t>(i * 16 + j)] = sum;
    }
  }
  return b;
}

float median(const Dct16& dct) {
  Dct16 copy = dct;
  std::nth_element(copy.begin(), copy.begin() + 127, copy.end());
  return copy[127];
}

void set_reference_bit(Hash256& hash, int k) {
  const int word = k >> 4;
  const int bit = k & 15;
  const int byte = (15 - word) * 2 + (bit >= 8 ? 0 : 1);
  hash.bytes[static_cast<std::size_t>(byte)] |= static_cast<std::uint8_t>(1u << (bit & 7));
}

bool reference_bit(const Hash256& hash, int k) {
  const int word = k >> 4;
  const int bit = k & 15;
  const int byte = (15 - word) * 2 + (bit >= 8 ? 0 : 1);
  return (hash.bytes[static_cast<std::size_t>(byte)] >> (bit & 7)) & 1;
}

Hash256 bits_from_dct(const Dct16& dct) {
  const float m = median(dct);
  Hash256 hash;
  for (int k = 0; k < 256; ++k) {
    if (dct[static_cast<std::size_t>(k)] > m) set_reference_bit(hash, k);
  }
  return hash;
}

Dct16 dihedral_dct(const Dct16& a, Dihedral transform) {
  Dct16 b{};
  const auto at = [&](int i, int j) { return a[static_cast<std::size_t>(i * 16 + j)]; };
  const auto put = [&](int i, int j, float v) { b[static_cast<std::size_t>(i * 16 + j)] = v; };
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = at(i, j);
      switch (transform) {
        case Dihedral::original: put(i, j, v); break;
        case Dihedral::rotate90: put(j, i, (j & 1) ? v : -v); break;
        case Dihedral::rotate180: put(i, j, ((i + j) & 1) ? -v : v); break;
        case Dihedral::rotate270: put(j, i, (i & 1) ? v : -v); break;
        case Dihedral::flip_x: put(i, j, (i & 1) ? v : -v); break;
        case Dihedral::flip_y: put(i, j, (j & 1) ? v : -v); break;
        case Dihedral::flip_plus1: put(j, i, v); break;
        case Dihedral::flip_minus1: put(j, i, ((i + j) & 1) ? -v : v); break;
      }
    }
  }
  return b;
}

Result hash_luma(std::vector<float>& luma, int rows, int cols, bool dihedral) {
  Result result;
  if (rows < kMinHashableDimension || cols < kMinHashableDimension) {
    return result;  // the reference's answer: all-zero hash, quality 0
  }
  // The filter's scratch is as large as the image (1 MiB at 512x512): kept per thread rather than
  // allocated and zero-filled for every image.
  thread_local std::vector<float> scratch;
  if (scratch.size() < luma.size()) scratch.resize(luma.size());
  const Buffer64 small = downsample_to_64(luma, std::span<float>(scratch.data(), luma.size()), rows, cols);
  result.quality = quality_metric(small);
  const Dct16 dct = dct_64_to_16(small);
  result.hash = bits_from_dct(dct);
  if (dihedral) {
    result.dihedral[0] = result.hash;
    for (int t = 1; t < 8; ++t) {
      result.dihedral[static_cast<std::size_t>(t)] = bits_from_dct(dihedral_dct(dct, static_cast<Dihedral>(t)));
    }
  }
  return result;
}

}  // namespace vigil::media::pdq
