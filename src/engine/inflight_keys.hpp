// Idempotency keys (source, id) being applied right now, across shards. Events are
// routed by SKU, so the same key with another SKU reaches another shard; this table
// lets the second shard see the first one's unwritten claim. A shard holds a key from
// the moment it accepts the event until its batch is durable.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace stockd {

class InflightKeys {
 public:
  // True if `shard` now holds `key` (or already did). False if another shard does.
  bool acquire(const std::string& key, uint32_t shard) {
    Stripe& stripe = stripe_of(key);
    std::lock_guard lock(stripe.mutex);
    const auto [it, inserted] = stripe.owners.try_emplace(key, shard);
    return inserted || it->second == shard;
  }

  void release(const std::string& key, uint32_t shard) {
    Stripe& stripe = stripe_of(key);
    std::lock_guard lock(stripe.mutex);
    const auto it = stripe.owners.find(key);
    if (it != stripe.owners.end() && it->second == shard) stripe.owners.erase(it);
  }

 private:
  static constexpr size_t kStripes = 64;
  struct Stripe {
    std::mutex mutex;
    std::unordered_map<std::string, uint32_t> owners;
  };
  Stripe& stripe_of(const std::string& key) {
    return stripes_[std::hash<std::string>{}(key) % kStripes];
  }
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace stockd
