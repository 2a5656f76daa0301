#pragma once
// HugePageBuffer: a zero-filled, 64-byte aligned block of anonymous memory that asks the kernel for
// transparent huge pages (madvise(MADV_HUGEPAGE)).
//
// Large lookup tables that are read at random (the PDQ index: one random 32-byte read per
// candidate, hundreds of MB) spend most of their time on TLB misses with 4 KiB pages; with 2 MiB
// pages the same reads are about twice as fast (docs/matching.md). Debian's default THP setting
// is "madvise", so the advice is needed; where THP is off the buffer is ordinary memory and only
// the speed-up is lost. Move-only; the memory is unmapped on destruction.
#include <cstddef>

namespace vigil {

class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  // Throws vigil::Error when the memory cannot be mapped.
  explicit HugePageBuffer(std::size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;     // bytes asked for
  std::size_t mapped_ = 0;   // bytes mapped (rounded up to whole huge pages)
};

}  // namespace vigil
