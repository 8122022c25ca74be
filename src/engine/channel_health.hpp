// Which channels are degraded: their sync destination is failing or behind the
// channel's sync_latency_seconds. Set by the sync adapters, read by availability and
// reservations (a degraded channel sells conservatively). Thread-safety: any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"

namespace stockd {

struct ChannelDegradation {
  Timestamp since{};
  std::string reason;  // a sentence: which destination, and why
};

class ChannelHealth {
 public:
  // Returns true when this changed the channel's state.
  bool set_degraded(const std::string& channel, Timestamp since, std::string reason) {
    std::lock_guard lock(mutex_);
    const auto [it, inserted] = degraded_.try_emplace(channel, ChannelDegradation{since, reason});
    if (!inserted) it->second.reason = std::move(reason);
    return inserted;
  }
  bool clear(const std::string& channel) {
    std::lock_guard lock(mutex_);
    return degraded_.erase(channel) > 0;
  }
  std::optional<ChannelDegradation> degraded(std::string_view channel) const {
    std::lock_guard lock(mutex_);
    const auto it = degraded_.find(channel);
    if (it == degraded_.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, ChannelDegradation, std::less<>> all() const {
    std::lock_guard lock(mutex_);
    return degraded_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, ChannelDegradation, std::less<>> degraded_;
};

}  // namespace stockd
