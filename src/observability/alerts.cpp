#include "observability/alerts.hpp"

namespace stockd {

std::string_view alert_severity_name(AlertSeverity severity) {
  return severity == AlertSeverity::critical ? "critical" : "warning";
}

bool AlertBook::raise(const std::string& key, const std::string& kind, AlertSeverity severity,
                      std::string message, Timestamp now, std::string action) {
  std::lock_guard lock(mutex_);
  const auto found = active_.find(key);
  if (found != active_.end()) {
    found->second.message = std::move(message);
    found->second.action = std::move(action);
    found->second.severity = severity;
    return false;
  }
  active_.emplace(
      key, Alert{key, kind, severity, std::move(message), std::move(action), now, std::nullopt});
  ++raised_total_;
  return true;
}

bool AlertBook::clear(const std::string& key, Timestamp now) {
  std::lock_guard lock(mutex_);
  const auto found = active_.find(key);
  if (found == active_.end()) return false;
  Alert alert = std::move(found->second);
  active_.erase(found);
  alert.cleared_at = now;
  recent_.push_front(std::move(alert));
  if (recent_.size() > kRecentMax) recent_.pop_back();
  return true;
}

std::vector<Alert> AlertBook::active() const {
  std::lock_guard lock(mutex_);
  std::vector<Alert> out;
  for (const auto& [key, alert] : active_) out.push_back(alert);
  return out;
}

std::vector<Alert> AlertBook::recent() const {
  std::lock_guard lock(mutex_);
  return {recent_.begin(), recent_.end()};
}

uint64_t AlertBook::raised_total() const {
  std::lock_guard lock(mutex_);
  return raised_total_;
}

}  // namespace stockd
