#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/image_hasher.h"

namespace vigil::media {
namespace {

// A 16x16 24-bit BMP header whose pixel data offset (bytes 10..13) is 0xc2000036: gdk-pixbuf
// would try to buffer ~3 GiB before failing (a libFuzzer find). It must be refused up front.
TEST(BmpHeader, PixelDataOffsetPastTheEndIsRefusedBeforeDecoding) {
  std::vector<std::uint8_t> bmp = {'B', 'M', 0x36, 0x03, 0, 0, 0, 0, 0, 0, 0x36, 0x00, 0x00, 0xc2,
                                   40, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0};
  bmp.resize(54 + 16 * 16 * 3, 0x80);
  try {
    hash_image_bytes(bmp);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pixel data offset"), std::string::npos) << e.what();
  }
  bmp[13] = 0x00;  // the same image with its real offset (54) hashes
  EXPECT_EQ(hash_image_bytes(bmp).width, 16);
}

}  // namespace
}  // namespace vigil::media
