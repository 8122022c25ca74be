// A position is the stock of one SKU at one location, as integer buckets. It is the
// unit the engine versions: every applied change bumps `version` by one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "core/forecast.hpp"

namespace stockd {

// Stable values: they are stored in ledger records.
enum class Bucket : uint8_t {
  on_hand = 1,     // sellable-condition units physically there, claims included
  reserved = 2,    // checkout holds with an expiry
  allocated = 3,   // committed to orders, not yet shipped
  in_transit = 4,  // inbound transfers
  incoming = 5,    // open vendor purchase orders
  damaged = 6,
  quarantine = 7,
  non_sellable = 8,
};
inline constexpr Bucket kAllBuckets[] = {Bucket::on_hand,    Bucket::reserved,    Bucket::allocated,
                                         Bucket::in_transit, Bucket::incoming,    Bucket::damaged,
                                         Bucket::quarantine, Bucket::non_sellable};

std::string_view bucket_name(Bucket bucket);
std::optional<Bucket> bucket_from_name(std::string_view name);
// Buckets an event's status_change may move units between (the physical conditions).
bool is_status_bucket(Bucket bucket);

// The last absolute set (a count) applied to a position; later counts and deltas
// are judged against it (DESIGN §3, conflicts).
struct LastSet {
  std::string source;
  int64_t priority = 0;
  Timestamp as_of{};
  friend bool operator==(const LastSet&, const LastSet&) = default;
};

struct Position {
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t allocated = 0;
  int64_t in_transit = 0;
  int64_t incoming = 0;
  int64_t damaged = 0;
  int64_t quarantine = 0;
  int64_t non_sellable = 0;
  uint64_t version = 0;
  Timestamp last_event_at{};
  Timestamp last_count_at{};  // epoch when never counted
  std::optional<LastSet> last_set;
  // Sales velocity (core/velocity.hpp): derived from sales and shipments, used for
  // dynamic buffers. Not a bucket; not part of the ledger sum.
  int64_t sales_rate_milli_per_day = 0;
  Timestamp sales_rate_at{};
  // Daily demand model (core/forecast.hpp): sales and shipments less returns, by day.
  DemandModel demand;

  int64_t& bucket(Bucket which);
  int64_t bucket(Bucket which) const;
  friend bool operator==(const Position&, const Position&) = default;
};

// Derived, never stored: what can still be promised.
inline int64_t available(const Position& position) {
  return position.on_hand - position.reserved - position.allocated;
}

}  // namespace stockd
