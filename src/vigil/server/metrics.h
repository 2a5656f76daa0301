#pragma once
// Prometheus text-format metrics (exposition format 0.0.4): labelled counters, gauges filled at
// scrape time, and fixed-bucket histograms. Thread-safe.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vigil::server {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();
  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void observe(const std::string& name, double value, const Labels& labels = {});
  // Declares a metric's help text and type ("counter", "gauge", "histogram").
  void describe(const std::string& name, const std::string& type, const std::string& help);
  // Gauges computed at scrape time: fn appends (labels, value) pairs.
  void gauge_fn(const std::string& name, std::function<void(std::vector<std::pair<Labels, double>>&)> fn);

  std::string render() const;
  double counter_value(const std::string& name, const Labels& labels = {}) const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;
    std::uint64_t count = 0;
    double sum = 0;
  };
  static std::string key(const Labels& labels);
  mutable std::mutex mutex_;
  std::vector<double> bounds_;
  std::map<std::string, std::pair<std::string, std::string>> meta_;  // name -> (type, help)
  std::map<std::string, std::map<std::string, double>> counters_;    // name -> label key -> value
  std::map<std::string, std::map<std::string, Histogram>> histograms_;
  std::map<std::string, std::function<void(std::vector<std::pair<Labels, double>>&)>> gauges_;
};

}  // namespace vigil::server
