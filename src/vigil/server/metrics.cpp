#include "vigil/server/metrics.h"

#include <fmt/format.h>

namespace vigil::server {
namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string with_extra(const std::string& key, const std::string& extra) {
  if (key.empty()) return "{" + extra + "}";
  return key.substr(0, key.size() - 1) + "," + extra + "}";
}

}  // namespace

Metrics::Metrics()
    : bounds_{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10} {}

std::string Metrics::key(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard lock(mutex_);
  meta_[name] = {type, help};
}

void Metrics::inc(const std::string& name, const Labels& labels, double by) {
  const std::string k = key(labels);
  std::lock_guard lock(mutex_);
  counters_[name][k] += by;
}

void Metrics::observe(const std::string& name, double value, const Labels& labels) {
  const std::string k = key(labels);
  std::lock_guard lock(mutex_);
  auto& h = histograms_[name][k];
  if (h.buckets.empty()) h.buckets.assign(bounds_.size(), 0);
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += value;
}

void Metrics::gauge_fn(const std::string& name, std::function<void(std::vector<std::pair<Labels, double>>&)> fn) {
  std::lock_guard lock(mutex_);
  gauges_[name] = std::move(fn);
}

double Metrics::counter_value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  auto jt = it->second.find(key(labels));
  return jt == it->second.end() ? 0 : jt->second;
}

std::string Metrics::render() const {
  std::map<std::string, std::function<void(std::vector<std::pair<Labels, double>>&)>> gauges;
  std::map<std::string, std::pair<std::string, std::string>> meta;
  std::string out;
  auto header = [&](const std::string& name, const char* fallback_type) {
    auto m = meta.find(name);
    if (m != meta.end()) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, m->second.second, name, m->second.first);
    } else {
      out += fmt::format("# TYPE {} {}\n", name, fallback_type);
    }
  };
  {
    std::lock_guard lock(mutex_);
    gauges = gauges_;
    meta = meta_;
    for (const auto& [name, series] : counters_) {
      header(name, "counter");
      for (const auto& [k, v] : series) out += fmt::format("{}{} {}\n", name, k, v);
    }
    for (const auto& [name, series] : histograms_) {
      header(name, "histogram");
      for (const auto& [k, h] : series) {
        for (std::size_t i = 0; i < bounds_.size(); ++i) {
          out += fmt::format("{}_bucket{} {}\n", name, with_extra(k, fmt::format("le=\"{}\"", bounds_[i])), h.buckets[i]);
        }
        out += fmt::format("{}_bucket{} {}\n", name, with_extra(k, "le=\"+Inf\""), h.count);
        out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, k, h.sum, name, k, h.count);
      }
    }
  }
  // Gauge callbacks may take other locks (the store): run them outside ours.
  for (const auto& [name, fn] : gauges) {
    std::vector<std::pair<Labels, double>> values;
    fn(values);
    header(name, "gauge");
    for (const auto& [labels, v] : values) out += fmt::format("{}{} {}\n", name, key(labels), v);
  }
  return out;
}

}  // namespace vigil::server
