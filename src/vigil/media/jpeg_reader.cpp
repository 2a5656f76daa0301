#include "vigil/media/jpeg_reader.h"

#include <chrono>
#include <csetjmp>
#include <cstdio>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "vigil/common/error.h"

namespace vigil::media {

struct JpegReader::State {
  jpeg_decompress_struct cinfo{};
  struct Err {
    jpeg_error_mgr mgr;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
  } err{};
  jpeg_progress_mgr progress{};
  std::chrono::steady_clock::time_point deadline;
  bool created = false;
  bool started = false;
  int next_row = 0;  // the next scanline libjpeg will produce
  std::vector<std::uint8_t> row;

  ~State() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }

  [[noreturn]] void fail() const { throw Error(std::string("cannot decode JPEG image: ") + err.message); }
};

namespace {

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegReader::State*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, err->err.message);
  std::longjmp(err->err.jump, 1);
}

// Warnings (level -1) mean corrupt or truncated data: treated as errors. Trace messages ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

// Far more than any real encoder writes (libjpeg's own progressions use about 10).
constexpr int kMaxScans = 500;

void on_progress(j_common_ptr cinfo) {
  auto* state = reinterpret_cast<JpegReader::State*>(cinfo->client_data);
  const char* reason = nullptr;
  if (cinfo->is_decompressor && reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxScans) {
    reason = "more than 500 progressive scans";
  } else if (std::chrono::steady_clock::now() > state->deadline) {
    reason = "decoding took longer than the time limit";
  }
  if (reason != nullptr) {
    std::snprintf(state->err.message, sizeof state->err.message, "%s", reason);
    std::longjmp(state->err.jump, 1);
  }
}

}  // namespace

// Every libjpeg call sits in a function whose locals are trivial, so longjmp skips no
// destructors; the exception is thrown after setjmp returns.
#define VIGIL_JPEG_GUARD(state) \
  if (setjmp((state).err.jump) != 0) (state).fail()

JpegReader::JpegReader(std::span<const std::uint8_t> bytes, std::chrono::steady_clock::time_point deadline)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.deadline = deadline;
  s.cinfo.err = jpeg_std_error(&s.err.mgr);
  s.err.mgr.error_exit = on_error;
  s.err.mgr.emit_message = on_message;
  s.cinfo.client_data = &s;
  VIGIL_JPEG_GUARD(s);
  jpeg_create_decompress(&s.cinfo);
  s.created = true;
  s.progress.progress_monitor = on_progress;
  s.cinfo.progress = &s.progress;
  jpeg_mem_src(&s.cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&s.cinfo, TRUE);
}

JpegReader::~JpegReader() = default;

int JpegReader::image_width() const { return static_cast<int>(s_->cinfo.image_width); }
int JpegReader::image_height() const { return static_cast<int>(s_->cinfo.image_height); }
int JpegReader::width() const { return static_cast<int>(s_->cinfo.output_width); }
int JpegReader::height() const { return static_cast<int>(s_->cinfo.output_height); }
bool JpegReader::cmyk() const {
  return s_->cinfo.jpeg_color_space == JCS_CMYK || s_->cinfo.jpeg_color_space == JCS_YCCK;
}
int JpegReader::components() const { return s_->cinfo.output_components; }

void JpegReader::start(int scale_denom, bool luma_only) {
  State& s = *s_;
  VIGIL_JPEG_GUARD(s);
  switch (s.cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: s.cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr: s.cinfo.out_color_space = luma_only ? JCS_GRAYSCALE : JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: s.cinfo.out_color_space = JCS_CMYK; break;
    default: s.cinfo.out_color_space = JCS_RGB; break;
  }
  s.cinfo.scale_num = 1;
  s.cinfo.scale_denom = static_cast<unsigned>(scale_denom);
  jpeg_start_decompress(&s.cinfo);
  s.row.resize(static_cast<std::size_t>(s.cinfo.output_width) *
               static_cast<std::size_t>(s.cinfo.output_components));
  s.started = true;
}

const std::uint8_t* JpegReader::row(int y) {
  State& s = *s_;
  VIGIL_JPEG_GUARD(s);
  if (y > s.next_row) {
    s.next_row += static_cast<int>(jpeg_skip_scanlines(&s.cinfo, static_cast<JDIMENSION>(y - s.next_row)));
  }
  if (y != s.next_row) {
    std::snprintf(s.err.message, sizeof s.err.message, "row %d requested out of order", y);
    s.fail();
  }
  JSAMPROW rows[1] = {s.row.data()};
  if (jpeg_read_scanlines(&s.cinfo, rows, 1) != 1) {
    std::snprintf(s.err.message, sizeof s.err.message, "no data for row %d", y);
    s.fail();
  }
  ++s.next_row;
  if (s.cinfo.output_components == 4 && s.cinfo.saw_Adobe_marker) {
    // Adobe writes CMYK inverted (0 = full ink); hand out ink amounts, as libvips does.
    for (auto& v : s.row) v = static_cast<std::uint8_t>(255 - v);
  }
  return s.row.data();
}

}  // namespace vigil::media
