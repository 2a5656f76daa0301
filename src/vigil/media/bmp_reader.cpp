#include "vigil/media/bmp_reader.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "vigil/common/error.h"

namespace vigil::media {
namespace {

std::int32_t le32(const std::uint8_t* p) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                                   static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
}
int le16(const std::uint8_t* p) { return p[0] | p[1] << 8; }

[[noreturn]] void fail(const std::string& reason) { throw Error("cannot decode BMP image: " + reason); }

struct LoaderUnref {
  void operator()(GdkPixbufLoader* l) const {
    gdk_pixbuf_loader_close(l, nullptr);
    g_object_unref(l);
  }
};

}  // namespace

BmpSize bmp_size(std::span<const std::uint8_t> b) {
  if (b.size() < 26 || b[0] != 'B' || b[1] != 'M') fail("header too short");
  const std::int32_t header = le32(&b[14]);
  BmpSize size;
  if (header == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    size.width = le16(&b[18]);
    size.height = le16(&b[20]);
  } else if (header >= 40 && header <= 124 && b.size() >= 26) {
    const std::int32_t w = le32(&b[18]);
    const std::int32_t h = le32(&b[22]);
    if (w <= 0 || h == 0 || h == INT32_MIN) fail("invalid size in header");
    size.width = w;
    size.height = h < 0 ? -h : h;
  } else {
    fail("unknown header size " + std::to_string(header));
  }
  if (size.width <= 0 || size.height <= 0) fail("invalid size in header");
  return size;
}

BmpImage decode_bmp(std::span<const std::uint8_t> bytes) {
  bmp_size(bytes);  // the header must be sane before gdk-pixbuf sees it
  // gdk-pixbuf buffers everything up to the pixel data offset: an offset past the end of the
  // file would make it allocate up to 4 GiB before noticing (found by the fuzzer).
  const auto offset = static_cast<std::uint32_t>(le32(&bytes[10]));
  const auto header = static_cast<std::uint32_t>(le32(&bytes[14]));
  if (offset > bytes.size() || offset < 14 + header) {
    fail("pixel data offset " + std::to_string(offset) + " is outside the file");
  }
  // Likewise it sizes the colour table from the header's colour count (times 4, in 32 bits): a
  // count of 2^32 - 1 made it ask for 4 GiB (another libFuzzer find). The table lies between the
  // header and the pixel data, so a count that does not fit there is refused.
  if (header >= 40) {
    if (bytes.size() < 14 + 40) fail("header too short");
    const auto colours = static_cast<std::uint32_t>(le32(&bytes[46]));
    if (colours > (offset - 14 - header) / 4) {
      fail("colour table of " + std::to_string(colours) + " entries does not fit before the pixel data");
    }
  }
  GError* error = nullptr;
  std::unique_ptr<GdkPixbufLoader, LoaderUnref> loader(gdk_pixbuf_loader_new_with_type("bmp", &error));
  if (!loader) {
    const std::string reason = error != nullptr ? error->message : "no BMP loader";
    g_clear_error(&error);
    throw Error("BMP support is not available: " + reason);
  }
  const bool written = gdk_pixbuf_loader_write(loader.get(), bytes.data(), bytes.size(), &error) != 0;
  const bool closed = written && gdk_pixbuf_loader_close(loader.get(), &error) != 0;
  if (!closed) {
    const std::string reason = error != nullptr ? error->message : "invalid data";
    g_clear_error(&error);
    fail(reason);
  }
  GdkPixbuf* pixbuf = gdk_pixbuf_loader_get_pixbuf(loader.get());  // owned by the loader
  if (pixbuf == nullptr) fail("no image in the file");
  if (gdk_pixbuf_get_bits_per_sample(pixbuf) != 8 || gdk_pixbuf_get_colorspace(pixbuf) != GDK_COLORSPACE_RGB) {
    fail("unexpected pixel layout");
  }
  const int channels = gdk_pixbuf_get_n_channels(pixbuf);
  if (channels != 3 && channels != 4) fail("unexpected number of channels");
  BmpImage image;
  image.width = gdk_pixbuf_get_width(pixbuf);
  image.height = gdk_pixbuf_get_height(pixbuf);
  const int stride = gdk_pixbuf_get_rowstride(pixbuf);
  const guchar* pixels = gdk_pixbuf_read_pixels(pixbuf);
  image.rgb.resize(static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3);
  for (int y = 0; y < image.height; ++y) {
    const guchar* src = pixels + static_cast<std::size_t>(y) * static_cast<std::size_t>(stride);
    std::uint8_t* dst = image.rgb.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) * 3;
    if (channels == 3) {
      std::memcpy(dst, src, static_cast<std::size_t>(image.width) * 3);
    } else {
      for (int x = 0; x < image.width; ++x) std::memcpy(dst + 3 * x, src + 4 * x, 3);
    }
  }
  return image;
}

}  // namespace vigil::media
