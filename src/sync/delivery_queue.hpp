// What one destination still has to deliver, conflated: one pending entry per
// (kind, SKU, channel or location) holds the newest row for it, in the order its first
// undelivered row arrived. Several senders may deliver at once, but a key is never in
// flight twice, so deliveries are ordered per key, and a flash sale's thousand changes
// of one SKU wait in line as one entry carrying the newest number. Tracks, per shard, the durable
// cursor: every outbox row at or below it is delivered or replaced by a delivered newer row. Pure;
// one thread.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "core/outbox.hpp"

namespace stockd {

struct PendingDelivery {
  OutboxRow row;                // the newest row for its key
  uint64_t first_sequence = 0;  // the oldest undelivered row it stands for
  Timestamp queued_at{};        // when that oldest row entered the queue
  uint32_t attempts = 0;        // failed attempts of this entry
  Timestamp next_attempt_at{};  // not before
  uint64_t conflated = 0;       // rows it replaced
  std::string last_error;
  bool in_flight = false;
  uint64_t sent_sequence = 0;  // the row in flight (row may be newer by completion)
};

// An entry handed to a sender: its key and the row to send.
struct DeliveryClaim {
  std::string key;
  OutboxRow row;
  uint32_t attempts = 0;  // failed attempts before this one
};

class DeliveryQueue {
 public:
  // `cursors[shard]`: the durable cursor to resume from (rows at or below are done).
  explicit DeliveryQueue(std::vector<uint64_t> cursors);

  // A row read from the outbox, in sequence order per shard. `wanted` = false when the
  // destination does not subscribe to it: it only moves the read position.
  void offer(const OutboxRow& row, bool wanted, Timestamp now);
  uint64_t read_position(uint32_t shard) const { return read_.at(shard); }
  size_t shard_count() const { return read_.size(); }

  bool empty() const { return order_.empty(); }
  size_t size() const { return order_.size(); }
  size_t in_flight() const { return in_flight_; }

  // Whether claim() would return an entry now.
  bool ready(Timestamp now) const;
  // The oldest entry that is due and not in flight, marked in flight: a key is never in
  // flight twice, so deliveries of one key stay in order.
  std::optional<DeliveryClaim> claim(Timestamp now);
  // Delivered: the entry goes, unless a newer row for its key arrived meanwhile (then
  // that one waits, at the back, queued as of `now`).
  void succeeded(const DeliveryClaim& claim, Timestamp now);
  // Failed: tried again (with its newest row) not before `retry_at`.
  void failed(const DeliveryClaim& claim, Timestamp retry_at, std::string error);
  // Removes the entry (to dead-letter it).
  void remove(const DeliveryClaim& claim);
  // The earliest time an entry that is not in flight becomes due (nullopt: none waits).
  std::optional<Timestamp> next_due() const;

  uint64_t durable_cursor(uint32_t shard) const;
  std::vector<uint64_t> durable_cursors() const;
  std::optional<Timestamp> oldest_queued_at() const;
  uint64_t conflated_total() const { return conflated_total_; }

 private:
  using Entries = std::list<PendingDelivery>;
  static std::string key_of(const OutboxRow& row);
  Entries::iterator find(const std::string& key);
  void erase(Entries::iterator entry);

  std::vector<uint64_t> read_;                       // per shard: the last sequence offered
  std::vector<std::multiset<uint64_t>> first_seqs_;  // per shard: first_sequence of pending
  Entries order_;                                    // by arrival of their oldest row
  std::unordered_map<std::string, Entries::iterator> by_key_;
  size_t in_flight_ = 0;
  uint64_t conflated_total_ = 0;
};

// Exponential backoff with jitter: base·2^(attempt−1), capped, times a factor in
// [0.5, 1) from `unit_random` (a uniform number in [0, 1)).
Duration retry_delay(uint32_t attempt, Duration base, Duration cap, double unit_random);

// Stops hammering a failing endpoint: opens after `failures_to_open` consecutive
// failures, stays open for `open_for`, then lets one trial through (half-open); a
// success closes it, a failure opens it again.
class CircuitBreaker {
 public:
  enum class State : uint8_t { closed, open, half_open };
  CircuitBreaker(uint32_t failures_to_open, Duration open_for)
      : failures_to_open_(failures_to_open), open_for_(open_for) {}
  bool allows(Timestamp now);
  void success();
  void failure(Timestamp now);
  State state(Timestamp now) const;
  Timestamp open_until() const { return open_until_; }
  uint64_t times_opened() const { return times_opened_; }

 private:
  uint32_t failures_to_open_;
  Duration open_for_;
  uint32_t consecutive_failures_ = 0;
  bool open_ = false;
  bool trial_in_flight_ = false;
  Timestamp open_until_{};
  uint64_t times_opened_ = 0;
};
std::string_view circuit_state_name(CircuitBreaker::State state);

}  // namespace stockd
