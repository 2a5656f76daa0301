#include "vigil/match/index_snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "vigil/common/error.h"

namespace vigil::match {
namespace {

constexpr std::uint64_t kMagic = 0x504e534c49474956ull;  // "VIGILSNP" little-endian
constexpr std::uint64_t kFormatVersion = 2;  // 2: PDQ index blob "PDQIDX02" (64-byte header)
constexpr std::size_t kHeaderBytes = 32;
enum Tag : std::uint64_t { kBanks = 1, kLabels = 2, kPdqMeta = 3, kExact = 4, kPdqIndex = 5 };

// A fast, streamable 64-bit checksum over 8-byte words (corruption detection, not security).
class Checksum {
 public:
  void update(const void* data, std::size_t bytes) {  // bytes % 8 == 0
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i + 8 <= bytes; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      // Four independent lanes so the multiplies pipeline.
      auto& h = lane_[(count_++) & 3];
      h = (h ^ w) * 0x9e3779b97f4a7c15ull;
      h ^= h >> 31;
    }
  }
  std::uint64_t value() const {
    std::uint64_t h = count_;
    for (auto l : lane_) h = (h ^ l) * 0xff51afd7ed558ccdull, h ^= h >> 33;
    return h;
  }

 private:
  std::uint64_t lane_[4] = {1, 2, 3, 4};
  std::uint64_t count_ = 0;
};

class Writer {
 public:
  explicit Writer(const std::filesystem::path& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) throw Error(fmt::format("cannot write index snapshot {}: {}", path.string(), std::strerror(errno)));
    const std::uint8_t zero[kHeaderBytes] = {};
    raw(zero, kHeaderBytes);
  }
  ~Writer() {
    if (file_) std::fclose(file_);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void section(std::uint64_t tag, const void* data, std::size_t bytes) {
    const std::uint64_t head[2] = {tag, bytes};
    payload(head, sizeof head);
    payload(data, bytes & ~std::size_t{7});
    if (bytes % 8) {
      std::uint8_t tail[8] = {};
      std::memcpy(tail, static_cast<const std::uint8_t*>(data) + (bytes & ~std::size_t{7}), bytes % 8);
      payload(tail, 8);
    }
  }
  void finish() {
    const std::uint64_t header[4] = {kMagic, kFormatVersion, payload_bytes_, sum_.value()};
    if (std::fseek(file_, 0, SEEK_SET) != 0) fail();
    raw(header, sizeof header);
    if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) fail();
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      fail();
    }
    file_ = nullptr;
  }

 private:
  void payload(const void* data, std::size_t bytes) {
    sum_.update(data, bytes);
    payload_bytes_ += bytes;
    raw(data, bytes);
  }
  void raw(const void* data, std::size_t bytes) {
    if (bytes && std::fwrite(data, 1, bytes, file_) != bytes) fail();
  }
  [[noreturn]] void fail() {
    throw Error(fmt::format("cannot write index snapshot {}: {}", path_.string(), std::strerror(errno)));
  }
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  Checksum sum_;
  std::uint64_t payload_bytes_ = 0;
};

// Bounds-checked reading of the label-set section.
class Cursor {
 public:
  Cursor(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  std::uint32_t u32() {
    need(4);
    std::uint32_t v;
    std::memcpy(&v, p_ + pos_, 4);
    pos_ += 4;
    return v;
  }
  std::string str(std::size_t len) {
    need(len);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  void need(std::size_t k) {
    if (k > n_ - pos_) throw Error("index snapshot: label section is truncated");
  }
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

}  // namespace

void IndexData::rebuild_exact() {
  exact = ExactIndex{};
  exact.reserve(exact_entries.size());
  for (std::size_t i = 0; i < exact_entries.size(); ++i) {
    const auto& e = exact_entries[i];
    exact.add(static_cast<SignalType>(e.type), {e.digest, e.length}, static_cast<std::uint32_t>(i));
  }
}

std::size_t IndexData::memory_bytes() const {
  return pdq.memory_bytes() + pdq_meta.size() * sizeof(EntryMeta) + exact_entries.size() * sizeof(ExactEntry) +
         exact.memory_bytes();
}

void write_snapshot(const IndexData& data, const std::filesystem::path& path) {
  auto tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  try {
    Writer w(tmp);
    w.section(kBanks, data.banks.data(), data.banks.size() * 16);
    std::string labels;
    auto put32 = [&](std::uint32_t v) { labels.append(reinterpret_cast<const char*>(&v), 4); };
    put32(static_cast<std::uint32_t>(data.label_sets.size()));
    for (const auto& set : data.label_sets) {
      put32(static_cast<std::uint32_t>(set.size()));
      for (const auto& l : set) {
        put32(static_cast<std::uint32_t>(l.size()));
        labels += l;
      }
    }
    w.section(kLabels, labels.data(), labels.size());
    w.section(kPdqMeta, data.pdq_meta.data(), data.pdq_meta.size() * sizeof(EntryMeta));
    w.section(kExact, data.exact_entries.data(), data.exact_entries.size() * sizeof(ExactEntry));
    w.section(kPdqIndex, data.pdq.blob().data(), data.pdq.blob().size());
    w.finish();
    std::filesystem::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

IndexData read_snapshot(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(fmt::format("cannot open index snapshot {}: {}", path.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("index snapshot {} is not a regular file", path.string()));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kHeaderBytes) {
    ::close(fd);
    throw Error(fmt::format("index snapshot {} is truncated ({} bytes)", path.string(), size));
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (addr == MAP_FAILED) throw Error(fmt::format("cannot map index snapshot {}: {}", path.string(), std::strerror(errno)));
  std::shared_ptr<const void> owner(addr, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  const auto* base = static_cast<const std::uint8_t*>(addr);
  const auto where = path.string();

  std::uint64_t header[4];
  std::memcpy(header, base, sizeof header);
  if (header[0] != kMagic) throw Error(fmt::format("index snapshot {} is not a Vigil index snapshot", where));
  if (header[1] != kFormatVersion) {
    throw Error(fmt::format("index snapshot {} has format version {}, this build reads {}", where, header[1], kFormatVersion));
  }
  if (header[2] != size - kHeaderBytes || header[2] % 8) {
    throw Error(fmt::format("index snapshot {} is truncated or has trailing data ({} payload bytes, header says {})",
                            where, size - kHeaderBytes, header[2]));
  }
  Checksum sum;
  sum.update(base + kHeaderBytes, header[2]);
  if (sum.value() != header[3]) throw Error(fmt::format("index snapshot {} is corrupt (checksum mismatch)", where));

  IndexData data;
  bool seen[6] = {};
  std::size_t pos = kHeaderBytes;
  while (pos < size) {
    if (size - pos < 16) throw Error(fmt::format("index snapshot {}: truncated section header", where));
    std::uint64_t head[2];
    std::memcpy(head, base + pos, 16);
    pos += 16;
    const std::uint64_t tag = head[0], len = head[1];
    const std::uint64_t padded = (len + 7) & ~std::uint64_t{7};
    if (len > size || padded > size - pos) throw Error(fmt::format("index snapshot {}: section {} overruns the file", where, tag));
    if (tag < 1 || tag > 5 || seen[tag]) throw Error(fmt::format("index snapshot {}: unexpected section {}", where, tag));
    seen[tag] = true;
    const auto* p = base + pos;
    switch (tag) {
      case kBanks:
        if (len % 16) throw Error(fmt::format("index snapshot {}: bad bank section", where));
        data.banks.resize(len / 16);
        if (len > 0) std::memcpy(data.banks.data(), p, len);  // an empty vector's data() may be null
        break;
      case kLabels: {
        Cursor c(p, len);
        const std::uint32_t sets = c.u32();
        if (sets > len / 4) throw Error(fmt::format("index snapshot {}: bad label section", where));
        data.label_sets.resize(sets);
        for (auto& set : data.label_sets) {
          const std::uint32_t n = c.u32();
          if (n > len / 4) throw Error(fmt::format("index snapshot {}: bad label section", where));
          for (std::uint32_t i = 0; i < n; ++i) set.push_back(c.str(c.u32()));
        }
        break;
      }
      case kPdqMeta:
        if (len % sizeof(EntryMeta)) throw Error(fmt::format("index snapshot {}: bad PDQ entry section", where));
        data.pdq_meta.resize(len / sizeof(EntryMeta));
        if (len > 0) std::memcpy(data.pdq_meta.data(), p, len);
        break;
      case kExact:
        if (len % sizeof(ExactEntry)) throw Error(fmt::format("index snapshot {}: bad digest section", where));
        data.exact_entries.resize(len / sizeof(ExactEntry));
        if (len > 0) std::memcpy(data.exact_entries.data(), p, len);
        break;
      case kPdqIndex:
        try {
          data.pdq = PdqIndex::from_blob({reinterpret_cast<const std::byte*>(p), len});
        } catch (const Error& e) {
          throw Error(fmt::format("index snapshot {}: {}", where, e.what()));
        }
        break;
    }
    pos += padded;
  }
  for (int t = 1; t <= 5; ++t) {
    if (!seen[t]) throw Error(fmt::format("index snapshot {}: section {} is missing", where, t));
  }
  if (data.label_sets.empty()) throw Error(fmt::format("index snapshot {}: no label sets", where));
  if (data.pdq_meta.size() != data.pdq.size()) {
    throw Error(fmt::format("index snapshot {}: {} PDQ entries but {} hashes", where, data.pdq_meta.size(), data.pdq.size()));
  }
  auto check_meta = [&](const EntryMeta& m) {
    if (m.bank_slot >= data.banks.size() || m.label_set >= data.label_sets.size()) {
      throw Error(fmt::format("index snapshot {}: an entry refers to a bank or label set that is not there", where));
    }
  };
  for (const auto& m : data.pdq_meta) check_meta(m);
  for (const auto& e : data.exact_entries) {
    check_meta(e.meta);
    const auto type = static_cast<SignalType>(e.type);
    if (e.type > static_cast<std::uint8_t>(SignalType::sha256) || type == SignalType::pdq ||
        e.length != hex_length(type) / 2) {
      throw Error(fmt::format("index snapshot {}: a digest entry has a bad type or length", where));
    }
  }
  data.rebuild_exact();
  return data;
}

}  // namespace vigil::match
