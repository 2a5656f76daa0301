// PDQ matching index benchmark: vigil::match::PdqIndex against FAISS 1.7.3 (Debian libfaiss-dev)
// binary indexes on the same data, in one run. Not a timed test; see docs/benchmarks.md.
//
//   pdq_index_bench [--n 1000000,10000000] [--queries 10000] [--radius 31] [--data uniform,clustered]
//                   [--chunks 16] [--layout compact,filtered] [--faiss-queries 1000] [--hnsw-max-n 1000000] [--no-faiss] [--no-kernels]
//                   [--multihash 16x16x1,20x12x0,12x21x2] [--snapshot-dir DIR] [--threads T]
//
// Data: N random 256-bit codes (uniform), or families of near-duplicates (clustered: a random
// centre and up to 20 members 20-40 bits from it, as real hash lists have). Queries: half
// near-duplicates of indexed codes (0-30 bits flipped), half random. Ground truth is a linear
// popcount scan of every query over every code. Recall = found true pairs / true pairs; a result
// farther than the radius counts as a false hit.
//
// FAISS indexes are timed on the first --faiss-queries queries (the same mix), one thread
// (omp_set_num_threads(1)); ours on every query, on one thread and on all threads. Single-thread
// q/s are per CPU second of the querying thread (memory stalls included), so that a busy shared
// machine does not skew the comparison; wall-clock figures are printed too. Memory is the growth
// of malloc'd bytes (mallinfo2) while the index is built.
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <malloc.h>
#include <omp.h>
#include <time.h>

#include <atomic>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/match/index_snapshot.h"
#include "vigil/match/pdq_index.h"

namespace {

using vigil::Hash256;
using vigil::match::PdqHit;
using vigil::match::PdqIndex;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread: on a shared machine this, not wall time, is what one query costs.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Bytes currently allocated through malloc (glibc mallinfo2): the memory an index holds.
std::size_t heap_bytes() {
  const auto mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}


struct Options {
  std::vector<std::size_t> sizes{1'000'000};
  std::size_t queries = 10'000;
  int radius = 31;
  std::vector<std::string> data{"uniform", "clustered"};
  std::vector<int> chunks{16};
  std::vector<std::string> layouts{"compact", "filtered"};  // PdqIndexLayout of each of our rows
  bool compare_kernels = true;  // filtered rows: also time each slower filter kernel (PdqKernel)
  std::size_t faiss_queries = 1000;
  std::size_t hnsw_max_n = 1'000'000;
  bool faiss = true;
  std::string snapshot_dir;  // when set: time writing and loading a matcher snapshot of the index
  std::vector<std::array<int, 3>> multihash{{16, 16, 1}, {20, 12, 0}, {12, 21, 2}};
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--n") {
      o.sizes.clear();
      for (const auto& s : split(value(), ',')) o.sizes.push_back(std::stoull(s));
    } else if (a == "--queries") {
      o.queries = std::stoull(value());
    } else if (a == "--radius") {
      o.radius = std::stoi(value());
    } else if (a == "--data") {
      o.data = split(value(), ',');
    } else if (a == "--no-kernels") {
      o.compare_kernels = false;
    } else if (a == "--layout") {
      o.layouts = split(value(), ',');
      for (const auto& l : o.layouts) {
        if (l != "compact" && l != "filtered") {
          std::fprintf(stderr, "--layout takes compact and/or filtered, not %s\n", l.c_str());
          std::exit(2);
        }
      }
    } else if (a == "--chunks") {
      o.chunks.clear();
      for (const auto& s : split(value(), ',')) o.chunks.push_back(std::stoi(s));
    } else if (a == "--faiss-queries") {
      o.faiss_queries = std::stoull(value());
    } else if (a == "--hnsw-max-n") {
      o.hnsw_max_n = std::stoull(value());
    } else if (a == "--snapshot-dir") {
      o.snapshot_dir = value();
    } else if (a == "--no-faiss") {
      o.faiss = false;
    } else if (a == "--threads") {
      o.threads = std::stoi(value());
    } else if (a == "--multihash") {
      o.multihash.clear();
      for (const auto& s : split(value(), ',')) {
        const auto p = split(s, 'x');
        if (p.size() != 3) {
          std::fprintf(stderr, "--multihash takes NHASHxBITSxNFLIP,...\n");
          std::exit(2);
        }
        o.multihash.push_back({std::stoi(p[0]), std::stoi(p[1]), std::stoi(p[2])});
      }
    } else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of pdq_index_bench.cpp)\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

Hash256 random_hash(std::mt19937_64& rng) {
  Hash256 h;
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t w = rng();
    std::memcpy(h.bytes.data() + 8 * i, &w, 8);
  }
  return h;
}

Hash256 flip_random_bits(Hash256 h, int count, std::mt19937_64& rng) {
  std::array<bool, 256> done{};
  for (int flipped = 0; flipped < count;) {
    const int b = static_cast<int>(rng() % 256);
    if (done[b]) continue;
    done[b] = true;
    h.flip(b);
    ++flipped;
  }
  return h;
}

std::vector<Hash256> make_data(const std::string& kind, std::size_t n, std::mt19937_64& rng) {
  std::vector<Hash256> out;
  out.reserve(n);
  if (kind == "uniform") {
    while (out.size() < n) out.push_back(random_hash(rng));
  } else {
    while (out.size() < n) {
      const Hash256 centre = random_hash(rng);
      out.push_back(centre);
      const int members = static_cast<int>(rng() % 21);
      for (int m = 0; m < members && out.size() < n; ++m) {
        out.push_back(flip_random_bits(centre, 20 + static_cast<int>(rng() % 21), rng));
      }
    }
    std::shuffle(out.begin(), out.end(), rng);
  }
  return out;
}

std::vector<Hash256> make_queries(const std::vector<Hash256>& data, std::size_t count, std::mt19937_64& rng) {
  std::vector<Hash256> q;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 2 == 0) q.push_back(flip_random_bits(data[rng() % data.size()], static_cast<int>(rng() % 31), rng));
    else q.push_back(random_hash(rng));
  }
  return q;
}

using Truth = std::vector<std::vector<std::uint32_t>>;  // sorted positions per query

__attribute__((target("popcnt"))) void brute_force_block(const std::vector<Hash256>& data, std::size_t d0,
                                                         std::size_t d1, const Hash256& query, int radius,
                                                         std::vector<std::uint32_t>& out) {
  const auto q = query.words();
  for (std::size_t j = d0; j < d1; ++j) {
    std::uint64_t w[4];
    std::memcpy(w, data[j].bytes.data(), 32);
    const int d = __builtin_popcountll(w[0] ^ q[0]) + __builtin_popcountll(w[1] ^ q[1]) +
                  __builtin_popcountll(w[2] ^ q[2]) + __builtin_popcountll(w[3] ^ q[3]);
    if (d <= radius) out.push_back(static_cast<std::uint32_t>(j));
  }
}

struct Recall {
  std::size_t truth = 0, found = 0, false_hits = 0;
  double value() const { return truth ? static_cast<double>(found) / static_cast<double>(truth) : 1.0; }
};

// `got[i]` is an unsorted list of (position, distance) for query i (i < got.size()).
Recall score(const Truth& truth, const std::vector<std::vector<std::pair<std::int64_t, int>>>& got, int radius) {
  Recall r;
  for (std::size_t i = 0; i < got.size(); ++i) {
    r.truth += truth[i].size();
    std::set<std::int64_t> seen;
    for (const auto& [pos, dist] : got[i]) {
      if (dist > radius) continue;
      if (!seen.insert(pos).second) continue;
      if (std::binary_search(truth[i].begin(), truth[i].end(), static_cast<std::uint32_t>(pos))) ++r.found;
      else ++r.false_hits;
    }
  }
  return r;
}

void row(const char* name, double build_s, double bytes_per_entry, double qps1, double qpsn, const Recall& r,
         std::size_t nq) {
  char qn[32] = "-";
  if (qpsn > 0) std::snprintf(qn, sizeof qn, "%.0f", qpsn);
  std::printf("  %-46s build %8.2f s  %7.1f B/entry  %10.1f q/s (1 thread, CPU time)  %10s q/s (all)  recall %.6f (%zu/%zu pairs, "
              "%zu false) over %zu queries\n",
              name, build_s, bytes_per_entry, qps1, qn, r.value(), r.found, r.truth, r.false_hits, nq);
  std::fflush(stdout);
}

// FAISS binary range_search keeps distances strictly below its radius argument (checked here on
// a pair at exactly that distance, rather than assumed).
bool faiss_range_is_strict() {
  faiss::IndexBinaryFlat flat(256);
  Hash256 a{}, b{};
  for (int i = 0; i < 5; ++i) b.flip(i * 7);
  flat.add(1, a.bytes.data());
  faiss::RangeSearchResult res(1);
  flat.range_search(1, b.bytes.data(), 5, &res);
  return res.lims[1] == 0;
}

template <class RangeFn>
std::pair<double, Recall> run_faiss_range(const std::vector<Hash256>& qs, std::size_t nq, int radius, bool strict,
                                          const Truth& truth, RangeFn&& range_search) {
  faiss::RangeSearchResult res(static_cast<faiss::IndexBinary::idx_t>(nq));
  const double cpu0 = thread_cpu_seconds();
  range_search(static_cast<faiss::IndexBinary::idx_t>(nq), reinterpret_cast<const std::uint8_t*>(qs.data()), strict ? radius + 1 : radius,
               &res);
  const double s = thread_cpu_seconds() - cpu0;  // one OpenMP thread: the calling thread
  std::vector<std::vector<std::pair<std::int64_t, int>>> got(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    for (std::size_t k = res.lims[i]; k < res.lims[i + 1]; ++k) {
      got[i].push_back({res.labels[k], static_cast<int>(res.distances[k])});
    }
  }
  return {static_cast<double>(nq) / s, score(truth, got, radius)};
}

void bench_one(const Options& o, const std::string& kind, std::size_t n) {
  std::mt19937_64 rng(0x5eed + n + (kind == "uniform" ? 0 : 1));
  std::printf("\n== %s, N = %zu, %zu queries (half near-duplicates 0-30 bits, half random), radius %d ==\n",
              kind.c_str(), n, o.queries, o.radius);
  auto t = Clock::now();
  const auto data = make_data(kind, n, rng);
  const auto qs = make_queries(data, o.queries, rng);
  std::printf("  data generated in %.1f s\n", seconds_since(t));

  // Ground truth by brute force: every query against every code, blocked so that a slice of the
  // data stays in cache while a block of queries runs over it.
  Truth truth(qs.size());
  t = Clock::now();
  {
    constexpr std::size_t kDataBlock = 4096, kQueryBlock = 256;
    const std::size_t qblocks = (qs.size() + kQueryBlock - 1) / kQueryBlock;
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int k = 0; k < o.threads; ++k) {
      pool.emplace_back([&] {
        for (std::size_t qb; (qb = next.fetch_add(1)) < qblocks;) {
          const std::size_t q0 = qb * kQueryBlock, q1 = std::min(qs.size(), q0 + kQueryBlock);
          for (std::size_t d0 = 0; d0 < data.size(); d0 += kDataBlock) {
            const std::size_t d1 = std::min(data.size(), d0 + kDataBlock);
            for (std::size_t i = q0; i < q1; ++i) brute_force_block(data, d0, d1, qs[i], o.radius, truth[i]);
          }
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  const double brute_qps_all = static_cast<double>(qs.size()) / seconds_since(t);
  std::size_t pairs = 0, with_hits = 0;
  for (const auto& v : truth) pairs += v.size(), with_hits += !v.empty();
  std::printf("  ground truth (blocked brute force, %d threads, %.1f q/s wall): %zu pairs, %zu of %zu queries have a hit\n",
              o.threads, brute_qps_all, pairs, with_hits, qs.size());

  double best_ours = 0;
  for (int chunks : o.chunks)
  for (const auto& layout_name : o.layouts) {
    const auto layout = layout_name == "filtered" ? vigil::match::PdqIndexLayout::filtered : vigil::match::PdqIndexLayout::compact;
    const std::size_t heap0 = heap_bytes();
    t = Clock::now();
    const auto index = PdqIndex::build(data, {chunks, layout}, 1);
    const double build_s = seconds_since(t);
    const double bytes = static_cast<double>(index.memory_bytes()) / static_cast<double>(n);
    const std::size_t heap1 = heap_bytes();
    std::vector<std::vector<std::pair<std::int64_t, int>>> got(qs.size());
    std::vector<PdqHit> hits;
    t = Clock::now();
    const double cpu0 = thread_cpu_seconds();
    for (std::size_t i = 0; i < qs.size(); ++i) {
      hits.clear();
      index.search(qs[i], o.radius, hits);
      for (const auto& h : hits) got[i].push_back({h.position, h.distance});
    }
    const double qps1 = static_cast<double>(qs.size()) / (thread_cpu_seconds() - cpu0);
    const double qps1_wall = static_cast<double>(qs.size()) / seconds_since(t);
    t = Clock::now();
    const auto batch = index.search_batch(qs, o.radius, o.threads);
    const double qpsn = static_cast<double>(qs.size()) / seconds_since(t);
    const Recall r = score(truth, got, o.radius);
    char name[64];
    std::snprintf(name, sizeof name, "vigil PdqIndex %dx%d-bit MIH %s", chunks, 256 / chunks, layout_name.c_str());
    row(name, build_s, bytes, qps1, qpsn, r, qs.size());
    std::printf("      (wall-clock 1 thread %.1f q/s; heap grew %.1f B/entry; %zu probes/query; batch results identical: %s)\n",
                qps1_wall, static_cast<double>(heap1 - std::min(heap0, heap1)) / static_cast<double>(n), index.probes_for_radius(o.radius),
                [&] {
                  for (std::size_t i = 0; i < qs.size(); ++i) {
                    if (batch[i].size() != got[i].size()) return "NO";
                  }
                  return "yes";
                }());
    if (r.value() == 1.0 && r.false_hits == 0) best_ours = std::max(best_ours, qps1);
    if (layout == vigil::match::PdqIndexLayout::filtered && o.compare_kernels) {
      // Each filter kernel this CPU has on the same queries, interleaved in blocks of 500 so
      // that the host's load drifts over all of them alike (this VM's speed moves by up to 2x
      // within a minute), CPU time of this thread summed per kernel.
      using vigil::match::PdqKernel;
      const int kinds = static_cast<int>(vigil::match::best_pdq_kernel()) + 1;
      std::vector<double> cpu(static_cast<std::size_t>(kinds), 0.0);
      std::vector<std::size_t> differ(static_cast<std::size_t>(kinds), 0);
      constexpr std::size_t kBlock = 500;
      for (std::size_t b = 0; b < qs.size(); b += kBlock) {
        for (int k = 0; k < kinds; ++k) {
          vigil::match::limit_pdq_kernel(static_cast<PdqKernel>(k));
          const double c0 = thread_cpu_seconds();
          for (std::size_t i = b; i < std::min(qs.size(), b + kBlock); ++i) {
            hits.clear();
            index.search(qs[i], o.radius, hits);
            differ[static_cast<std::size_t>(k)] += hits.size() != got[i].size() ? 1 : 0;
          }
          cpu[static_cast<std::size_t>(k)] += thread_cpu_seconds() - c0;
        }
      }
      vigil::match::limit_pdq_kernel(PdqKernel::avx512);
      const double best_qps = static_cast<double>(qs.size()) / cpu.back();
      for (int k = 0; k < kinds; ++k) {
        const double qk = static_cast<double>(qs.size()) / cpu[static_cast<std::size_t>(k)];
        std::printf("      filter kernel %-8s %10.1f q/s (1 thread, CPU time, interleaved)  best / this %.2fx  same results: %s\n",
                    vigil::match::to_string(static_cast<PdqKernel>(k)), qk, best_qps / qk,
                    differ[static_cast<std::size_t>(k)] == 0 ? "yes" : "NO");
      }
    }
    if (!o.snapshot_dir.empty() && chunks == o.chunks.back() && layout_name == o.layouts.back()) {
      // What a restart costs: the matcher's snapshot of this index (one bank, no labels).
      vigil::match::IndexData d;
      d.banks = {{1, 1}};
      d.label_sets = {{}};
      d.pdq = index;
      d.pdq_meta.resize(n);
      for (std::size_t i = 0; i < n; ++i) d.pdq_meta[i] = {static_cast<std::int64_t>(i + 1), 0, 0};
      const auto path = std::filesystem::path(o.snapshot_dir) / "pdq_index_bench.snapshot";
      t = Clock::now();
      vigil::match::write_snapshot(d, path);
      const double write_s = seconds_since(t);
      d = {};
      t = Clock::now();
      const auto loaded = vigil::match::read_snapshot(path);
      const double load_s = seconds_since(t);
      std::vector<PdqHit> check;
      loaded.pdq.search(qs[0], o.radius, check);
      std::printf("      snapshot: %.0f MB written in %.1f s, mapped and fully validated in %.1f s (wall)\n",
                  static_cast<double>(std::filesystem::file_size(path)) / 1e6, write_s, load_s);
      std::filesystem::remove(path);
    }
  }
  if (!o.faiss) return;

  omp_set_num_threads(1);
  const bool strict = faiss_range_is_strict();
  const std::size_t fq = std::min(o.faiss_queries, qs.size());
  std::printf("  FAISS %s (range_search radius argument %s), %zu queries, 1 thread:\n", "1.7.3",
              strict ? "is exclusive: passing r+1" : "is inclusive", fq);
  double best_faiss = 0;
  std::string best_faiss_name = "none";
  auto note = [&](const std::string& name, double qps, const Recall& r) {
    if (r.value() == 1.0 && r.false_hits == 0 && qps > best_faiss) {
      best_faiss = qps;
      best_faiss_name = name;
    }
  };
  {
    const std::size_t heap0 = heap_bytes();
    t = Clock::now();
    faiss::IndexBinaryFlat flat(256);
    flat.add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(data.data()));
    const double build_s = seconds_since(t);
    const double bytes = static_cast<double>(heap_bytes() - std::min(heap0, heap_bytes())) / static_cast<double>(n);
    auto [qps, r] = run_faiss_range(qs, fq, o.radius, strict, truth, [&](auto nq, auto x, int rad, auto* res) {
      flat.range_search(nq, x, rad, res);
    });
    row("FAISS IndexBinaryFlat", build_s, bytes, qps, 0, r, fq);
    note("IndexBinaryFlat", qps, r);
  }
  for (const auto& [nhash, b, nflip] : o.multihash) {
    const std::size_t heap0 = heap_bytes();
    t = Clock::now();
    faiss::IndexBinaryMultiHash mh(256, nhash, b);
    mh.nflip = nflip;
    mh.add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(data.data()));
    const double build_s = seconds_since(t);
    const double bytes = static_cast<double>(heap_bytes() - std::min(heap0, heap_bytes())) / static_cast<double>(n);
    auto [qps, r] = run_faiss_range(qs, fq, o.radius, strict, truth, [&](auto nq, auto x, int rad, auto* res) {
      mh.range_search(nq, x, rad, res);
    });
    char name[64];
    std::snprintf(name, sizeof name, "FAISS IndexBinaryMultiHash %dx%d nflip=%d", nhash, b, nflip);
    row(name, build_s, bytes, qps, 0, r, fq);
    note(name, qps, r);
  }
  if (n <= o.hnsw_max_n) {
    omp_set_num_threads(o.threads);  // HNSW build is slow: all threads for the build only
    const std::size_t heap0 = heap_bytes();
    t = Clock::now();
    faiss::IndexBinaryHNSW hnsw(256, 16);
    hnsw.add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(data.data()));
    const double build_s = seconds_since(t);
    const double bytes = static_cast<double>(heap_bytes() - std::min(heap0, heap_bytes())) / static_cast<double>(n);
    omp_set_num_threads(1);
    for (int ef : {64, 256}) {
      // No range_search on binary HNSW in 1.7.3: k-NN with k = 64, then keep distance <= radius.
      constexpr faiss::IndexBinary::idx_t k = 64;
      hnsw.hnsw.efSearch = std::max<int>(ef, static_cast<int>(k));
      std::vector<std::int32_t> dist(fq * k);
      std::vector<faiss::IndexBinary::idx_t> labels(fq * k);
      const double cpu0 = thread_cpu_seconds();
      hnsw.search(static_cast<faiss::IndexBinary::idx_t>(fq), reinterpret_cast<const std::uint8_t*>(qs.data()), k, dist.data(),
                  labels.data());
      const double qps = static_cast<double>(fq) / (thread_cpu_seconds() - cpu0);
      std::vector<std::vector<std::pair<std::int64_t, int>>> got(fq);
      for (std::size_t i = 0; i < fq; ++i) {
        for (faiss::IndexBinary::idx_t j = 0; j < k; ++j) {
          if (labels[i * k + j] >= 0) got[i].push_back({labels[i * k + j], dist[i * k + j]});
        }
      }
      const Recall r = score(truth, got, o.radius);
      char name[64];
      std::snprintf(name, sizeof name, "FAISS IndexBinaryHNSW M=16 ef=%d k=64", ef);
      row(name, build_s, bytes, qps, 0, r, fq);
      note(name, qps, r);
    }
  } else {
    std::printf("  FAISS IndexBinaryHNSW: skipped at N = %zu (build time; --hnsw-max-n)\n", n);
  }
  if (best_faiss > 0) {
    std::printf("  RATIO %s N=%zu: vigil %.1f q/s vs FAISS %s %.1f q/s (fastest at 100%% recall), 1 thread: %.1fx\n",
                kind.c_str(), n, best_ours, best_faiss_name.c_str(), best_faiss, best_ours / best_faiss);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf("pdq_index_bench: %d hardware threads, radius %d\n", o.threads, o.radius);
  for (std::size_t n : o.sizes) {
    for (const auto& kind : o.data) bench_one(o, kind, n);
  }
  return 0;
}
