#include "vigil/match/matcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "vigil/common/error.h"
#include "vigil/common/ascii.h"
#include "vigil/common/hex.h"
#include "vigil/match/index_snapshot.h"

namespace vigil::match {
namespace {

// An entry added or changed since the base was built (searched linearly; kept small).
struct DeltaEntry {
  std::int64_t entry_id = 0;
  std::int64_t bank_id = 0;
  SignalType type = SignalType::pdq;
  std::string value;  // lowercase hex
  Hash256 pdq;        // when type == pdq
  std::vector<std::string> labels;
};

// One published state. Immutable once published; readers hold a shared_ptr to it.
struct Generation {
  std::shared_ptr<const IndexData> base;
  std::unordered_map<std::int64_t, store::Bank> banks;   // current settings of every bank
  std::unordered_map<std::int64_t, std::int64_t> versions;  // bank id -> version applied
  std::unordered_set<std::int64_t> hidden;  // entry ids whose base copy is out of date
  std::vector<DeltaEntry> delta;            // current state of changed (enabled) entries
};

struct Candidate {
  std::int64_t entry_id;
  std::int64_t bank_id;
  const std::vector<std::string>* labels;
  std::string value;
  int distance;
  int variant;
};

}  // namespace

Signal parse_signal(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw Error(fmt::format("a hash is written type:value (e.g. pdq:<64 hex digits>), got '{}'",
                            text.substr(0, 80)));
  }
  const std::string type_name = ascii_lower(text.substr(0, colon));
  const auto type = parse_signal_type(type_name);
  if (!type) {
    throw Error(fmt::format("unknown signal type '{}' (known: pdq, md5, sha1, sha256)", text.substr(0, std::min<std::size_t>(colon, 40))));
  }
  Signal s{*type, std::string(text.substr(colon + 1))};
  validate_signal(s);
  s.value = ascii_lower(s.value);
  return s;
}

void validate_signal(const Signal& signal) {
  const auto want = hex_length(signal.type);
  if (signal.value.size() != want) {
    throw Error(fmt::format("a {} hash has {} hex digits, got {}", to_string(signal.type), want, signal.value.size()));
  }
  if (const auto pos = find_non_hex(signal.value); pos != std::string_view::npos) {
    throw Error(fmt::format("a {} hash is hexadecimal; character {} is not a hex digit", to_string(signal.type), pos + 1));
  }
}

struct Matcher::State {
  store::BankStore& store;
  MatcherOptions options;
  mutable std::mutex publish_mutex;  // guards `current` (the pointer, not the generation)
  std::shared_ptr<const Generation> current;
  std::mutex update_mutex;  // serialises refresh/rebuild
  bool loaded_from_snapshot = false;
  std::string snapshot_status;

  State(store::BankStore& s, MatcherOptions o) : store(s), options(std::move(o)) {}

  std::shared_ptr<const Generation> snapshot() const {
    std::lock_guard lock(publish_mutex);
    return current;
  }
  void publish(std::shared_ptr<const Generation> g) {
    std::lock_guard lock(publish_mutex);
    current = std::move(g);
  }

  // Reads every enabled entry of every bank into a fresh base.
  std::shared_ptr<Generation> build_from_store(const std::vector<store::Bank>& banks) {
    auto data = std::make_shared<IndexData>();
    std::map<std::vector<std::string>, std::uint32_t> label_ids;
    data->label_sets.push_back({});
    label_ids[{}] = 0;
    auto label_id = [&](const std::vector<std::string>& labels) {
      auto [it, inserted] = label_ids.emplace(labels, static_cast<std::uint32_t>(data->label_sets.size()));
      if (inserted) data->label_sets.push_back(labels);
      return it->second;
    };
    std::vector<Hash256> hashes;
    for (const auto& bank : banks) {
      const auto slot = static_cast<std::uint32_t>(data->banks.size());
      data->banks.emplace_back(bank.id, bank.version);
      store.for_each_entry(bank.id, [&](const store::BankEntry& e) {
        if (e.disabled) return;
        const EntryMeta meta{e.id, slot, label_id(e.labels)};
        if (e.signal_type == SignalType::pdq) {
          auto h = Hash256::from_hex(e.value);
          if (!h) return;  // the store validates values; never index a malformed one
          hashes.push_back(*h);
          data->pdq_meta.push_back(meta);
        } else {
          ExactEntry x;
          x.type = static_cast<std::uint8_t>(e.signal_type);
          x.length = static_cast<std::uint8_t>(hex_length(e.signal_type) / 2);
          if (e.value.size() != hex_length(e.signal_type) || !hex_decode(e.value, x.digest)) return;
          x.meta = meta;
          data->exact_entries.push_back(x);
        }
      });
    }
    data->pdq = PdqIndex::build(hashes, {.chunks = 0, .layout = options.pdq_layout}, options.threads);
    data->rebuild_exact();
    return generation_over(std::move(data), banks);
  }

  static std::shared_ptr<Generation> generation_over(std::shared_ptr<const IndexData> data,
                                                     const std::vector<store::Bank>& banks) {
    auto g = std::make_shared<Generation>();
    g->base = std::move(data);
    for (const auto& b : banks) g->banks[b.id] = b;
    for (const auto& [id, version] : g->base->banks) g->versions[id] = version;
    return g;
  }

  // True when the snapshot reflects exactly the store's banks at these versions.
  static bool snapshot_current(const IndexData& data, const std::vector<store::Bank>& banks) {
    if (data.banks.size() != banks.size()) return false;
    std::unordered_map<std::int64_t, std::int64_t> v;
    for (const auto& [id, version] : data.banks) v[id] = version;
    for (const auto& b : banks) {
      auto it = v.find(b.id);
      if (it == v.end() || it->second != b.version) return false;
    }
    return true;
  }

  void full_build(bool try_snapshot) {
    const auto banks = store.list_banks();
    loaded_from_snapshot = false;
    const auto& path = options.snapshot_path;
    if (try_snapshot && !path.empty()) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) {
        snapshot_status = "no snapshot file yet: built from the store";
      } else {
        try {
          auto data = std::make_shared<IndexData>(read_snapshot(path));
          const PdqIndexLayout wanted = options.pdq_layout == PdqIndexLayout::automatic
                                            ? PdqIndexParams::auto_layout(data->pdq.size())
                                            : options.pdq_layout;
          if (data->pdq.layout() != wanted) {
            snapshot_status = "snapshot has another PDQ index layout than configured: rebuilt from the store";
          } else if (snapshot_current(*data, banks)) {
            publish(generation_over(std::move(data), banks));
            loaded_from_snapshot = true;
            snapshot_status = "loaded from the snapshot (bank versions match the store)";
            return;
          } else {
            snapshot_status = "snapshot is stale (bank versions changed): rebuilt from the store";
          }
        } catch (const Error& e) {
          snapshot_status = fmt::format("snapshot unusable ({}): rebuilt from the store", e.what());
        }
      }
    } else if (!path.empty()) {
      snapshot_status = "rebuilt from the store";
    }
    auto g = build_from_store(banks);
    publish(g);
    if (!path.empty()) {
      try {
        write_snapshot(*g->base, path);
      } catch (const Error& e) {
        // Matching works without it; the next start simply rebuilds.
        snapshot_status += fmt::format("; the snapshot could not be written: {}", e.what());
      }
    }
  }

  void apply_changes() {
    const auto old = snapshot();
    const auto banks = store.list_banks();  // versions read BEFORE the changes (see BankStore)
    auto g = std::make_shared<Generation>(*old);
    g->banks.clear();
    for (const auto& b : banks) g->banks[b.id] = b;
    std::unordered_map<std::int64_t, std::size_t> delta_pos;
    for (std::size_t i = 0; i < g->delta.size(); ++i) delta_pos[g->delta[i].entry_id] = i;
    std::vector<bool> drop(g->delta.size(), false);
    for (const auto& b : banks) {
      const auto it = g->versions.find(b.id);
      const std::int64_t since = it == g->versions.end() ? 0 : it->second;
      if (since == b.version) continue;
      for (const auto& change : store.changes_since(b.id, since)) {
        const auto& e = change.entry;
        g->hidden.insert(e.id);
        const bool live = !change.deleted && !e.disabled;
        DeltaEntry d;
        if (live) {
          d = {e.id, b.id, e.signal_type, ascii_lower(e.value), {}, e.labels};
          if (e.signal_type == SignalType::pdq) {
            auto h = Hash256::from_hex(e.value);
            if (!h) continue;
            d.pdq = *h;
          } else if (e.value.size() != hex_length(e.signal_type) || find_non_hex(e.value) != std::string_view::npos) {
            continue;
          }
        }
        if (auto p = delta_pos.find(e.id); p != delta_pos.end()) {
          if (live) {
            g->delta[p->second] = std::move(d);
            drop[p->second] = false;
          } else {
            drop[p->second] = true;
          }
        } else if (live) {
          delta_pos[e.id] = g->delta.size();
          g->delta.push_back(std::move(d));
          drop.push_back(false);
        }
      }
      g->versions[b.id] = b.version;
    }
    std::vector<DeltaEntry> kept;
    for (std::size_t i = 0; i < g->delta.size(); ++i) {
      if (!drop[i]) kept.push_back(std::move(g->delta[i]));
    }
    g->delta = std::move(kept);
    // Forget versions of deleted banks (their entries never match: the bank is gone).
    for (auto it = g->versions.begin(); it != g->versions.end();) {
      it = g->banks.count(it->first) ? std::next(it) : g->versions.erase(it);
    }
    const std::size_t base_size = old->base->pdq.size() + old->base->exact_entries.size();
    const std::size_t churn = g->delta.size() + g->hidden.size();
    if (churn > std::max<std::size_t>(50'000, base_size / 10)) {
      full_build(false);  // the delta has grown too large to scan linearly: fold it in
      return;
    }
    publish(std::move(g));
  }
};

Matcher::Matcher(store::BankStore& store, MatcherOptions options)
    : state_(std::make_unique<State>(store, std::move(options))) {
  std::lock_guard lock(state_->update_mutex);
  state_->full_build(true);
}

Matcher::~Matcher() = default;

void Matcher::refresh() {
  std::lock_guard lock(state_->update_mutex);
  state_->apply_changes();
}

void Matcher::rebuild() {
  std::lock_guard lock(state_->update_mutex);
  state_->full_build(false);
}

void Matcher::save_snapshot() const {
  if (state_->options.snapshot_path.empty()) return;
  auto g = state_->snapshot();
  if (!g->delta.empty() || !g->hidden.empty()) {
    // The snapshot must reflect the versions it records: fold the delta in first.
    const_cast<Matcher*>(this)->rebuild();
    return;
  }
  write_snapshot(*g->base, state_->options.snapshot_path);
}

MatcherStats Matcher::stats() const {
  auto g = state_->snapshot();
  MatcherStats s;
  std::size_t delta_pdq = 0;
  for (const auto& d : g->delta) delta_pdq += d.type == SignalType::pdq;
  s.pdq_entries = g->base->pdq.size() + delta_pdq;
  s.exact_entries = g->base->exact_entries.size() + (g->delta.size() - delta_pdq);
  s.index_bytes = g->base->memory_bytes();
  std::lock_guard lock(state_->update_mutex);
  s.loaded_from_snapshot = state_->loaded_from_snapshot;
  s.snapshot_status = state_->snapshot_status;
  return s;
}

namespace {

std::vector<std::string> unite(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out = a;
  for (const auto& l : b) {
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

QueryResult match_one(const Generation& g, const MatcherOptions& options, const Query& query) {
  QueryResult result;
  const IndexData& base = *g.base;
  std::vector<Match> hits;
  for (std::size_t si = 0; si < query.signals.size(); ++si) {
    const Signal& signal = query.signals[si];
    validate_signal(signal);
    const std::string value = ascii_lower(signal.value);
    // Keyed by entry id: the closest variant wins.
    std::unordered_map<std::int64_t, Candidate> found;
    auto offer = [&](Candidate c) {
      auto [it, inserted] = found.emplace(c.entry_id, c);
      if (!inserted && c.distance < it->second.distance) it->second = std::move(c);
    };
    if (signal.type == SignalType::pdq) {
      // Banks that take part: enabled, and not excluded by min_quality.
      std::unordered_set<std::int64_t> eligible;
      int radius = -1;
      for (const auto& [id, bank] : g.banks) {
        if (!bank.enabled) continue;
        if (query.pdq_quality && *query.pdq_quality < bank.min_quality) {
          result.skipped.push_back({id, bank.name,
                                    fmt::format("PDQ quality {} is below the bank's min_quality {}",
                                                *query.pdq_quality, bank.min_quality)});
          continue;
        }
        eligible.insert(id);
        radius = std::max(radius, bank.pdq_threshold);
      }
      if (radius < 0) continue;
      std::vector<Hash256> variants{Hash256::parse_hex(value)};
      if (options.dihedral && query.pdq_dihedral) {
        for (int k = 1; k < 8; ++k) variants.push_back((*query.pdq_dihedral)[k]);
      }
      std::vector<PdqHit> pdq_hits;
      for (std::size_t v = 0; v < variants.size(); ++v) {
        pdq_hits.clear();
        base.pdq.search(variants[v], radius, pdq_hits);
        for (const auto& h : pdq_hits) {
          const auto& m = base.pdq_meta[h.position];
          const std::int64_t bank_id = base.banks[m.bank_slot].first;
          if (g.hidden.count(m.entry_id) || !eligible.count(bank_id)) continue;
          if (h.distance > g.banks.at(bank_id).pdq_threshold) continue;
          offer({m.entry_id, bank_id, &base.label_sets[m.label_set], base.pdq.hash(h.position).to_hex(), h.distance,
                 static_cast<int>(v)});
        }
        for (const auto& d : g.delta) {
          if (d.type != SignalType::pdq || !eligible.count(d.bank_id)) continue;
          const int dist = hamming_distance(d.pdq, variants[v]);
          if (dist > g.banks.at(d.bank_id).pdq_threshold) continue;
          offer({d.entry_id, d.bank_id, &d.labels, d.value, dist, static_cast<int>(v)});
        }
      }
    } else {
      std::uint8_t digest[32];
      hex_decode(value, digest);
      std::vector<std::uint32_t> positions;
      base.exact.find(signal.type, {digest, value.size() / 2}, positions);
      for (auto p : positions) {
        const auto& m = base.exact_entries[p].meta;
        const std::int64_t bank_id = base.banks[m.bank_slot].first;
        auto b = g.banks.find(bank_id);
        if (g.hidden.count(m.entry_id) || b == g.banks.end() || !b->second.enabled) continue;
        offer({m.entry_id, bank_id, &base.label_sets[m.label_set], value, 0, 0});
      }
      for (const auto& d : g.delta) {
        if (d.type != signal.type || d.value != value) continue;
        auto b = g.banks.find(d.bank_id);
        if (b == g.banks.end() || !b->second.enabled) continue;
        offer({d.entry_id, d.bank_id, &d.labels, d.value, 0, 0});
      }
    }
    for (auto& [id, c] : found) {
      const auto& bank = g.banks.at(c.bank_id);
      Match m;
      m.signal_index = si;
      m.signal_type = signal.type;
      m.query_value = c.variant == 0 ? value : (*query.pdq_dihedral)[c.variant].to_hex();
      m.dihedral_variant = c.variant;
      m.bank_id = bank.id;
      m.bank_name = bank.name;
      m.bank_kind = bank.kind;
      m.entry_id = c.entry_id;
      m.value = std::move(c.value);
      m.distance = c.distance;
      m.threshold = signal.type == SignalType::pdq ? bank.pdq_threshold : 0;
      m.labels = unite(*c.labels, bank.default_labels);
      hits.push_back(std::move(m));
    }
  }
  auto order = [](const Match& a, const Match& b) {
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.bank_name != b.bank_name) return a.bank_name < b.bank_name;
    if (a.entry_id != b.entry_id) return a.entry_id < b.entry_id;
    return a.signal_index < b.signal_index;
  };
  std::sort(hits.begin(), hits.end(), order);
  for (auto& h : hits) {
    (h.bank_kind == store::BankKind::allow ? result.allow_matches : result.matches).push_back(std::move(h));
  }
  if (!result.allow_matches.empty()) {
    const auto& by = result.allow_matches.front();
    for (auto& m : result.matches) {
      m.suppressed = true;
      m.suppressed_by_entry = by.entry_id;
      m.suppressed_by_bank = by.bank_name;
    }
  }
  std::sort(result.skipped.begin(), result.skipped.end(),
            [](const SkippedBank& a, const SkippedBank& b) { return a.bank_name < b.bank_name; });
  return result;
}

}  // namespace

QueryResult Matcher::match(const Query& query) const {
  auto g = state_->snapshot();
  return match_one(*g, state_->options, query);
}

std::vector<QueryResult> Matcher::match(std::span<const Query> queries) const {
  auto g = state_->snapshot();  // one consistent state for the whole batch
  std::vector<QueryResult> out(queries.size());
  const int threads = std::max(1, std::min<int>(state_->options.threads, static_cast<int>(queries.size() / 16)));
  if (threads <= 1) {
    for (std::size_t i = 0; i < queries.size(); ++i) out[i] = match_one(*g, state_->options, queries[i]);
    return out;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < queries.size();) {
        try {
          out[i] = match_one(*g, state_->options, queries[i]);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace vigil::match
