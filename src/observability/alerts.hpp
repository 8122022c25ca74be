// Alerts: named conditions that are raised and clear by themselves, with their history.
// Raised by adapters (sync: a degraded channel, a disabled webhook), read by the API and
// the dashboard. Thread-safety: any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"

namespace stockd {

enum class AlertSeverity : uint8_t { warning, critical };
std::string_view alert_severity_name(AlertSeverity severity);

struct Alert {
  std::string key;   // stable: "channel_degraded:amazon", "webhook_disabled:wh_..."
  std::string kind;  // "channel_degraded", ...
  AlertSeverity severity = AlertSeverity::warning;
  std::string message;
  std::string action;  // what to do about it
  Timestamp raised_at{};
  std::optional<Timestamp> cleared_at;  // set once it cleared
};

class AlertBook {
 public:
  // Raises (or updates the message of) an active alert; true when newly raised.
  bool raise(const std::string& key, const std::string& kind, AlertSeverity severity,
             std::string message, Timestamp now, std::string action = {});
  // Clears an active alert; true when it was active.
  bool clear(const std::string& key, Timestamp now);
  std::vector<Alert> active() const;
  std::vector<Alert> recent() const;  // cleared ones, newest first (bounded)
  uint64_t raised_total() const;

 private:
  static constexpr size_t kRecentMax = 200;
  mutable std::mutex mutex_;
  std::map<std::string, Alert> active_;
  std::deque<Alert> recent_;
  uint64_t raised_total_ = 0;
};

}  // namespace stockd
