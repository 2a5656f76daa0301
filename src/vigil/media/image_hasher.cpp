#include "vigil/media/image_hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "vigil/common/error.h"
#include "vigil/media/digests.h"
#include "vigil/media/image_decoder.h"
#include "vigil/media/pdq.h"

namespace vigil::media {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string size_text(std::uint64_t bytes) { return std::to_string(bytes) + " bytes"; }

// Reads the whole file into `bytes` (refusing anything over the size limit) and digests it in
// the same pass.
void read_file(const std::filesystem::path& path, const DecodeLimits& limits, Digests& digests,
               std::vector<std::uint8_t>& bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error(std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error("not a regular file");
  const auto declared = static_cast<std::uint64_t>(st.st_size);
  if (declared > limits.max_file_bytes) {
    throw Error("file is " + size_text(declared) + ", over the limit of " + size_text(limits.max_file_bytes));
  }
  bytes.clear();
  bytes.reserve(static_cast<std::size_t>(declared));
  DigestAccumulator digest;
  constexpr std::size_t kChunk = 1 << 20;
  for (;;) {
    const std::size_t at = bytes.size();
    if (at + kChunk > limits.max_file_bytes + 1) {
      // Read at most one byte past the limit: enough to notice a file that grew.
      const std::size_t room = static_cast<std::size_t>(limits.max_file_bytes + 1 - at);
      if (room == 0) {
        throw Error("file is over the limit of " + size_text(limits.max_file_bytes));
      }
      bytes.resize(at + room);
    } else {
      bytes.resize(at + kChunk);
    }
    const ssize_t n = ::read(fd.get(), bytes.data() + at, bytes.size() - at);
    if (n < 0) {
      if (errno == EINTR) {
        bytes.resize(at);
        continue;
      }
      throw Error(std::string("cannot read: ") + std::strerror(errno));
    }
    bytes.resize(at + static_cast<std::size_t>(n));
    if (n == 0) break;
    if (bytes.size() > limits.max_file_bytes) {
      throw Error("file is over the limit of " + size_text(limits.max_file_bytes));
    }
    digest.update(std::span<const std::uint8_t>(bytes.data() + at, static_cast<std::size_t>(n)));
  }
  digests = digest.finish();
}

// A file's bytes are read into a buffer kept per thread: a fresh one of a few MB per image was
// mapped and page-faulted in by the kernel every time (glibc maps large allocations anew), which
// cost about a tenth of reference mode's CPU at 2 MP. A buffer grown past kKeptBytes by a large
// file is released afterwards rather than kept (a 12 MP JPEG is 3-6 MB; with 16 service handler
// threads, at most 128 MiB stays allocated).
class FileBuffer {
 public:
  FileBuffer() = default;
  FileBuffer(const FileBuffer&) = delete;
  FileBuffer& operator=(const FileBuffer&) = delete;
  ~FileBuffer() {
    if (bytes().capacity() > kKeptBytes) std::vector<std::uint8_t>().swap(bytes());
  }
  std::vector<std::uint8_t>& bytes() {
    thread_local std::vector<std::uint8_t> buffer;
    return buffer;
  }

 private:
  static constexpr std::size_t kKeptBytes = 8u << 20;
};

ImageHashes hash_decoded(std::span<const std::uint8_t> bytes, const HashOptions& options) {
  LumaImage image = decode_luma(bytes, options);
  const pdq::Result result = pdq::hash_luma(image.luma, image.rows, image.cols, options.dihedral);
  recycle_luma(std::move(image.luma));
  ImageHashes hashes;
  hashes.pdq = result.hash;
  hashes.quality = result.quality;
  if (options.dihedral) hashes.dihedral = result.dihedral;
  hashes.width = image.width;
  hashes.height = image.height;
  return hashes;
}

}  // namespace

void initialize_media() { initialize_decoder(); }

ImageHashes hash_image_file(const std::filesystem::path& path, const HashOptions& options) {
  try {
    Digests digests;
    FileBuffer buffer;
    std::vector<std::uint8_t>& bytes = buffer.bytes();
    read_file(path, options.limits, digests, bytes);
    if (bytes.empty()) throw Error("empty file (0 bytes)");
    ImageHashes hashes = hash_decoded(bytes, options);
    hashes.digests = std::move(digests);
    return hashes;
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(path.string() + ": out of memory while decoding");
  }
}

ImageHashes hash_image_bytes(std::span<const std::uint8_t> bytes, const HashOptions& options) {
  try {
    if (bytes.size() > options.limits.max_file_bytes) {
      throw Error("image is " + size_text(bytes.size()) + ", over the limit of " +
                  size_text(options.limits.max_file_bytes));
    }
    ImageHashes hashes = hash_decoded(bytes, options);
    hashes.digests = compute_digests(bytes);
    return hashes;
  } catch (const Error& e) {
    throw Error(std::string("image bytes: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw Error("image bytes: out of memory while decoding");
  }
}

}  // namespace vigil::media
