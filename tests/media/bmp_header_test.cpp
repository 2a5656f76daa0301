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
  bmp.resize(54, 0);                   // the rest of the info header: no palette
  bmp.resize(54 + 16 * 16 * 3, 0x80);  // pixels
  try {
    hash_image_bytes(bmp);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pixel data offset"), std::string::npos) << e.what();
  }
  bmp[13] = 0x00;  // the same image with its real offset (54) hashes
  EXPECT_EQ(hash_image_bytes(bmp).width, 16);
}

// A 16x1 1-bit BMP whose header declares 2^32 - 1 palette colours: gdk-pixbuf would allocate
// 4 GiB for the colour table (a libFuzzer find). Refused up front; a palette that fits decodes.
TEST(BmpHeader, ColourTableLargerThanTheSpaceBeforeThePixelsIsRefused) {
  // 14-byte file header, 40-byte info header, 2 palette entries (black, white), one 4-byte row.
  std::vector<std::uint8_t> bmp = {'B', 'M', 66, 0, 0, 0, 0, 0, 0, 0, 62, 0, 0, 0,   // offset 62
                                   40, 0, 0, 0, 16, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,  // 16 x -1
                                   1, 0, 1, 0, 0, 0, 0, 0,                              // 1 plane, 1 bit, BI_RGB
                                   4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                // image size, resolution
                                   0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,                 // colours used, important
                                   0, 0, 0, 0, 0xff, 0xff, 0xff, 0,                    // palette
                                   0xaa, 0x55, 0, 0};                                  // pixels
  ASSERT_EQ(bmp.size(), 66u);
  try {
    hash_image_bytes(bmp);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("colour table of 4294967295 entries"), std::string::npos) << e.what();
  }
  bmp[46] = 2;  // the same image declaring its real two colours decodes
  bmp[47] = bmp[48] = bmp[49] = 0;
  const auto h = hash_image_bytes(bmp);
  EXPECT_EQ(h.width, 16);
  EXPECT_EQ(h.height, 1);
  bmp[46] = 3;  // three entries do not fit in the 8 bytes before the pixels
  EXPECT_THROW(hash_image_bytes(bmp), Error);
}

}  // namespace
}  // namespace vigil::media
