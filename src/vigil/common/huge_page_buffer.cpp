#include "vigil/common/huge_page_buffer.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "vigil/common/error.h"

namespace vigil {
namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

HugePageBuffer::HugePageBuffer(std::size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  mapped_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    mapped_ = size_ = 0;
    throw Error(fmt::format("cannot map {} bytes of memory: {}", bytes, std::strerror(err)));
  }
#ifdef MADV_HUGEPAGE
  // Advice only: refused (THP disabled, old kernel) means ordinary pages, which still work.
  (void)::madvise(p, mapped_, MADV_HUGEPAGE);
#endif
  data_ = static_cast<std::byte*>(p);
}

HugePageBuffer::~HugePageBuffer() {
  if (data_) ::munmap(data_, mapped_);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, mapped_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

}  // namespace vigil
