#include "core/position.hpp"

#include "base/assert.hpp"

namespace stockd {

std::string_view bucket_name(Bucket bucket) {
  switch (bucket) {
    case Bucket::on_hand:
      return "on_hand";
    case Bucket::reserved:
      return "reserved";
    case Bucket::allocated:
      return "allocated";
    case Bucket::in_transit:
      return "in_transit";
    case Bucket::incoming:
      return "incoming";
    case Bucket::damaged:
      return "damaged";
    case Bucket::quarantine:
      return "quarantine";
    case Bucket::non_sellable:
      return "non_sellable";
  }
  STOCKD_UNREACHABLE();
}

std::optional<Bucket> bucket_from_name(std::string_view name) {
  for (const Bucket bucket : kAllBuckets) {
    if (bucket_name(bucket) == name) return bucket;
  }
  return std::nullopt;
}

bool is_status_bucket(Bucket bucket) {
  return bucket == Bucket::on_hand || bucket == Bucket::damaged || bucket == Bucket::quarantine ||
         bucket == Bucket::non_sellable;
}

int64_t& Position::bucket(Bucket which) {
  switch (which) {
    case Bucket::on_hand:
      return on_hand;
    case Bucket::reserved:
      return reserved;
    case Bucket::allocated:
      return allocated;
    case Bucket::in_transit:
      return in_transit;
    case Bucket::incoming:
      return incoming;
    case Bucket::damaged:
      return damaged;
    case Bucket::quarantine:
      return quarantine;
    case Bucket::non_sellable:
      return non_sellable;
  }
  STOCKD_UNREACHABLE();
}

int64_t Position::bucket(Bucket which) const { return const_cast<Position*>(this)->bucket(which); }

}  // namespace stockd
