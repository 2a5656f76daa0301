// PDQ's steps one at a time: luma, box filter, decimation, quality, DCT, median, bits and hex.
#include "vigil/media/pdq.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace vigil::media::pdq {
namespace {

std::vector<float> random_image(int rows, int cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 255.0f);
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(PdqLuma, UsesRec601WeightsInFloat) {
  EXPECT_EQ(luma_from_rgb(0, 0, 0), 0.0f);
  EXPECT_NEAR(luma_from_rgb(255, 255, 255), 255.0f, 1e-3);
  EXPECT_NEAR(luma_from_rgb(255, 0, 0), 0.299f * 255, 1e-4);
  EXPECT_NEAR(luma_from_rgb(0, 255, 0), 0.587f * 255, 1e-4);
  EXPECT_NEAR(luma_from_rgb(0, 0, 255), 0.114f * 255, 1e-4);
  EXPECT_NEAR(luma_from_rgb(10, 20, 30), 0.299 * 10 + 0.587 * 20 + 0.114 * 30, 1e-4);
}

TEST(PdqBoxFilter, WindowIsHalfACellRoundedUp) {
  EXPECT_EQ(jarosz_window_size(512, 64), 4);
  EXPECT_EQ(jarosz_window_size(1600, 64), 13);
  EXPECT_EQ(jarosz_window_size(1004, 64), 8);
  EXPECT_EQ(jarosz_window_size(128, 64), 1);
  EXPECT_EQ(jarosz_window_size(129, 64), 2);
  EXPECT_EQ(jarosz_window_size(5, 64), 1);
}

// The worked examples in the reference's downscaling.cpp comments: 0..15 with windows 7 and 8.
TEST(PdqBoxFilter, MatchesTheReferenceWorkedExamples) {
  std::vector<float> in(16);
  std::iota(in.begin(), in.end(), 0.0f);
  std::vector<float> out(16);
  box_filter_1d(in.data(), out.data(), 16, 1, 7);
  const float sums7[16] = {6, 10, 15, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 75, 65, 54};
  const float counts7[16] = {4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4};
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(out[i], sums7[i] / counts7[i]) << i;
  box_filter_1d(in.data(), out.data(), 16, 1, 8);
  const float sums8[16] = {10, 15, 21, 28, 36, 44, 52, 60, 68, 76, 84, 92, 84, 75, 65, 54};
  const float counts8[16] = {5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4};
  for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(out[i], sums8[i] / counts8[i]) << i;
}

// A window of one is the identity up to the running sum's float rounding (which the reference
// has too: it adds and subtracts rather than copying).
TEST(PdqBoxFilter, WindowOfOneIsIdentityUpToRounding) {
  const auto in = random_image(1, 37, 1);
  std::vector<float> out(in.size());
  box_filter_1d(in.data(), out.data(), 37, 1, 1);
  for (std::size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(out[i], in[i], 1e-3) << i;
}

// The column pass runs over all columns at once; it must equal the reference's per-column
// filter bit for bit, for odd and even windows and sizes.
TEST(PdqBoxFilter, TwoDimensionalFilterEqualsPerColumnReference) {
  for (auto [rows, cols, rw, cw] : {std::array{37, 53, 3, 4}, std::array{100, 64, 1, 8}, std::array{9, 700, 6, 1}}) {
    auto image = random_image(rows, cols, 7);
    auto expected = image;
    std::vector<float> scratch(image.size());
    for (int pass = 0; pass < 2; ++pass) {
      for (int r = 0; r < rows; ++r) box_filter_1d(&expected[r * cols], &scratch[r * cols], cols, 1, rw);
      for (int c = 0; c < cols; ++c) box_filter_1d(&scratch[c], &expected[c], rows, cols, cw);
    }
    std::vector<float> scratch2(image.size());
    jarosz_filter(image, scratch2, rows, cols, rw, cw);
    EXPECT_EQ(image, expected) << rows << "x" << cols;
  }
}

TEST(PdqDecimate, SamplesCellCentres) {
  const int n = 128;
  std::vector<float> in(n * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) in[i * n + j] = static_cast<float>(i * 1000 + j);
  }
  Buffer64 out{};
  decimate(in, n, n, out.data(), 64, 64);
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 64; ++j) ASSERT_EQ(out[i * 64 + j], static_cast<float>((2 * i + 1) * 1000 + 2 * j + 1));
  }
}

TEST(PdqQuality, FlatImageHasNone) {
  Buffer64 flat;
  flat.fill(128.0f);
  EXPECT_EQ(quality_metric(flat), 0);
}

TEST(PdqQuality, CountsTruncatedPercentGradients) {
  Buffer64 ramp{};
  // Horizontal steps of 4 grey levels: (4 * 100) / 255 truncates to 1 per pair; 64 * 63 pairs.
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 64; ++j) ramp[i * 64 + j] = static_cast<float>(j * 4);
  }
  EXPECT_EQ(quality_metric(ramp), 64 * 63 / 90);
  Buffer64 checker{};
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 64; ++j) checker[i * 64 + j] = ((i + j) & 1) ? 255.0f : 0.0f;
  }
  EXPECT_EQ(quality_metric(checker), 100);  // capped
}

Buffer64 basis_image(int u, int v) {
  Buffer64 a{};
  for (int k = 0; k < 64; ++k) {
    for (int j = 0; j < 64; ++j) {
      a[k * 64 + j] = static_cast<float>(std::cos(M_PI / 128.0 * (u + 1) * (2 * k + 1)) *
                                         std::cos(M_PI / 128.0 * (v + 1) * (2 * j + 1)));
    }
  }
  return a;
}

TEST(PdqDct, ConstantImageHasNoEnergyInTheKeptCoefficients) {
  Buffer64 flat;
  flat.fill(200.0f);
  for (float c : dct_64_to_16(flat)) EXPECT_NEAR(c, 0.0f, 1e-3);
}

TEST(PdqDct, BasisImageLandsOnItsCoefficient) {
  for (auto [u, v] : {std::pair{0, 0}, std::pair{3, 11}, std::pair{15, 15}, std::pair{7, 0}}) {
    const Dct16 d = dct_64_to_16(basis_image(u, v));
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 16; ++j) {
        // Orthonormal rows: the basis image c_u c_v^T has coefficient |c_u| |c_v| = 32.
        EXPECT_NEAR(d[i * 16 + j], (i == u && j == v) ? 32.0f : 0.0f, 1e-3) << i << "," << j;
      }
    }
  }
}

TEST(PdqMedian, IsTheLowerMedianLikeTorben) {
  Dct16 d{};
  for (int i = 0; i < 256; ++i) d[i] = static_cast<float>(i);
  std::shuffle(d.begin(), d.end(), std::mt19937(3));
  EXPECT_EQ(median(d), 127.0f);
  d.fill(5.0f);
  EXPECT_EQ(median(d), 5.0f);
  for (int i = 0; i < 200; ++i) d[i] = 1.0f;  // ties below the middle
  EXPECT_EQ(median(d), 1.0f);
}

TEST(PdqBits, HalfTheBitsAreSetAboveTheMedian) {
  Dct16 d{};
  for (int i = 0; i < 256; ++i) d[i] = static_cast<float>((i * 97) % 256);  // a permutation
  const Hash256 h = bits_from_dct(d);
  int set = 0;
  for (int k = 0; k < 256; ++k) {
    EXPECT_EQ(reference_bit(h, k), d[k] > 127.0f) << k;
    set += reference_bit(h, k);
  }
  EXPECT_EQ(set, 128);
}

// The reference prints 16-bit words from word 15 down to word 0; bit k is bit k%16 of word k/16.
TEST(PdqHex, BitIndexMapsToTheCanonicalHexDigits) {
  Hash256 h;
  set_reference_bit(h, 0);
  EXPECT_EQ(h.to_hex(), std::string(63, '0') + "1");
  h = Hash256{};
  set_reference_bit(h, 255);
  EXPECT_EQ(h.to_hex(), "8" + std::string(63, '0'));
  h = Hash256{};
  set_reference_bit(h, 9);  // word 0, bit 9 -> "0200" at the end
  EXPECT_EQ(h.to_hex(), std::string(60, '0') + "0200");
  h = Hash256{};
  set_reference_bit(h, 16 + 4);  // word 1, bit 4 -> "0010" in the second-to-last group
  EXPECT_EQ(h.to_hex(), std::string(56, '0') + "0010" + "0000");
}

TEST(PdqHex, RoundTripsAndAgreesWithBitAccess) {
  const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
  const Hash256 h = Hash256::parse_hex(hex);
  EXPECT_EQ(h.to_hex(), hex);
  for (int k = 0; k < 256; ++k) {
    const int digit = 63 - k / 4;
    const int value = std::stoi(hex.substr(static_cast<std::size_t>(digit), 1), nullptr, 16);
    EXPECT_EQ(reference_bit(h, k), ((value >> (k % 4)) & 1) != 0) << k;
  }
}

TEST(PdqHashLuma, TooSmallImagesGiveTheZeroHash) {
  std::vector<float> luma(4 * 100, 10.0f);
  const Result r = hash_luma(luma, 4, 100, true);
  EXPECT_EQ(r.hash, Hash256{});
  EXPECT_EQ(r.quality, 0);
}

// Transforming the pixels and hashing equals deriving the dihedral hash from the original's DCT
// (64x64 input, so no filtering blurs the comparison).
TEST(PdqDihedral, DctDerivedHashesEqualHashesOfTransformedPixels) {
  const auto base = random_image(64, 64, 11);
  std::vector<float> copy = base;
  const Result r = hash_luma(copy, 64, 64, true);
  EXPECT_EQ(r.dihedral[0], r.hash);
  const auto at = [&](int y, int x) { return base[y * 64 + x]; };
  const std::array<std::function<float(int, int)>, 8> transforms = {
      [&](int y, int x) { return at(y, x); },
      [&](int y, int x) { return at(x, 63 - y); },       // rotate 90 (counter-clockwise)
      [&](int y, int x) { return at(63 - y, 63 - x); },  // rotate 180
      [&](int y, int x) { return at(63 - x, y); },       // rotate 270
      [&](int y, int x) { return at(63 - y, x); },       // flip x (upside down)
      [&](int y, int x) { return at(y, 63 - x); },       // flip y (mirror)
      [&](int y, int x) { return at(x, y); },            // transpose
      [&](int y, int x) { return at(63 - x, 63 - y); },  // anti-transpose
  };
  for (std::size_t t = 0; t < 8; ++t) {
    std::vector<float> img(64 * 64);
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 64; ++x) img[y * 64 + x] = transforms[t](y, x);
    }
    const Result direct = hash_luma(img, 64, 64, false);
    EXPECT_EQ(r.dihedral[t].to_hex(), direct.hash.to_hex()) << "transform " << t;
  }
}

}  // namespace
}  // namespace vigil::media::pdq
