// Group reservations (bundles, multi-line carts): all at once or none across shards.
//
// The coordinator thread runs one group operation at a time. It asks each involved shard
// to pause (a PauseCommand, handled at a batch boundary after the shard has flushed), so
// while the work runs it alone touches those shards' state. It decides every line before
// changing anything, then applies, then writes every shard's changes and the group record
// in one atomic RocksDB batch, and only then lets the shards go on and answers.
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "base/assert.hpp"
#include "base/bytes.hpp"
#include "base/limits.hpp"
#include "core/ids.hpp"
#include "engine/engine.hpp"
#include "engine/shard.hpp"

namespace stockd {
namespace {

constexpr size_t kGroupLinesMax = 100;
constexpr std::string_view kGroupPrefix = "group/";

std::string encode_group(const GroupReservation& group) {
  ByteWriter out;
  out.u8(1);
  out.str(group.id);
  out.str(group.label);
  out.str(group.channel);
  out.str(group.location);
  out.i64(group.units);
  out.u8(static_cast<uint8_t>(group.state));
  out.u32(static_cast<uint32_t>(group.member_ids.size()));
  for (const std::string& id : group.member_ids) out.str(id);
  return out.take();
}

std::optional<GroupReservation> decode_group(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != 1) return std::nullopt;
  GroupReservation group;
  group.id = in.str();
  group.label = in.str();
  group.channel = in.str();
  group.location = in.str();
  group.units = in.i64();
  const uint8_t state = in.u8();
  if (state < 1 || state > 4) return std::nullopt;
  group.state = static_cast<ReservationState>(state);
  const uint32_t count = in.u32();
  if (count > kGroupLinesMax) return std::nullopt;
  for (uint32_t i = 0; i < count && in.ok(); ++i) group.member_ids.push_back(in.str());
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return group;
}

// The stored group record, or nullopt when there is none (or it does not decode).
std::optional<GroupReservation> find_group(Store& store, std::string_view id) {
  const std::optional<std::string> stored =
      store.get_aux(std::string(kGroupPrefix) + std::string(id));
  return stored ? decode_group(*stored) : std::nullopt;
}

}  // namespace

void Engine::run_coordinator() {
  std::vector<std::function<void()>> tasks;
  while (true) {
    tasks.clear();
    coordinator_queue_->pop_batch(tasks, 1,
                                  std::chrono::steady_clock::now() + std::chrono::seconds{1});
    for (auto& task : tasks) {
      if (!task) return;  // the stop sentinel
      task();
    }
  }
}

void Engine::with_paused_shards(const std::vector<std::string>& skus,
                                const std::function<void()>& work) {
  std::set<size_t> involved;
  for (const std::string& sku : skus) involved.insert(slot_of(sku) % shards_.size());
  std::promise<void> resume;
  const std::shared_future<void> resumed = resume.get_future().share();
  std::vector<std::future<void>> paused;
  for (const size_t index : involved) {
    auto gate = std::make_shared<PauseGate>();
    gate->resumed = resumed;
    paused.push_back(gate->paused.get_future());
    shards_[index]->push_pause(std::move(gate));
  }
  for (auto& each : paused) each.wait();
  work();
  resume.set_value();
}

void Engine::reserve_group(GroupReserveRequest request, std::function<void(GroupResult)> done) {
  std::function<void()> task = [this, request = std::move(request), done]() mutable {
    GroupResult result;
    // Sum lines per SKU (two lines or bundles sharing a component count together).
    std::map<std::string, int64_t> needed;
    if (request.lines.empty() || request.lines.size() > kGroupLinesMax || request.units < 1 ||
        request.units > limits::quantity_max) {
      result.status = ReserveStatus::quantity_out_of_range;
      return done(std::move(result));
    }
    for (const GroupLine& line : request.lines) {
      if (!is_valid_sku(line.sku)) {
        result.status = ReserveStatus::invalid_sku;
        return done(std::move(result));
      }
      if (line.quantity < 1 || line.quantity > limits::quantity_max / request.units) {
        result.status = ReserveStatus::quantity_out_of_range;
        return done(std::move(result));
      }
      needed[line.sku] += line.quantity * request.units;
      if (needed[line.sku] > limits::quantity_max) {
        result.status = ReserveStatus::quantity_out_of_range;
        return done(std::move(result));
      }
    }
    const std::shared_ptr<const Catalog> catalog = this->catalog();
    if (request.candidates.empty()) {
      result.status = ReserveStatus::unknown_location;
      return done(std::move(result));
    }
    for (const ReserveCandidate& candidate : request.candidates) {
      if (catalog->find_location(candidate.location) == nullptr) {
        result.status = ReserveStatus::unknown_location;
        return done(std::move(result));
      }
    }
    std::vector<std::string> skus;
    for (const auto& [sku, quantity] : needed) skus.push_back(sku);

    // Idempotency-Key: a stored outcome is replayed (the coordinator runs one group
    // operation at a time, so no other group request with this key is in flight here).
    if (!request.request_key.empty()) {
      if (const auto stored = store_.find_request_key(request.request_key);
          stored && stored->created_at + options_.request_key_retention > clock_.now()) {
        if (stored->fingerprint != request.request_fingerprint) {
          result.status = ReserveStatus::idempotency_conflict;
          return done(std::move(result));
        }
        GroupResult replay;
        get_group(stored->reservation.id, [&](GroupResult found) { replay = std::move(found); });
        replay.status = stored->status;
        replay.available = stored->available;
        replay.replayed = true;
        if (stored->status == ReserveStatus::ok) {
          replay.group.state = ReservationState::active;  // as first answered
          for (Reservation& member : replay.group.members) {
            member.state = ReservationState::active;
            member.ended_at = Timestamp{};
            member.order_id.clear();
          }
        }
        return done(std::move(replay));
      }
    }
    const auto remember = [&](WriteSet& into) {
      if (request.request_key.empty()) return;
      RequestKeyEntry entry;
      entry.fingerprint = request.request_fingerprint;
      entry.created_at = clock_.now();
      entry.status = result.status;
      entry.available = result.available;
      entry.reservation.id = result.group.id;  // the group, found again by its id on replay
      into.request_keys.push_back({request.request_key, std::move(entry)});
    };

    with_paused_shards(skus, [&] {
      const Timestamp now = clock_.now();
      const Position empty;
      // Decide: the first location where every SKU fits what the channel may sell.
      const ReserveCandidate* chosen = nullptr;
      int64_t best_units = 0;
      for (const ReserveCandidate& candidate : request.candidates) {
        bool fits = true;
        int64_t units_here = limits::quantity_max;
        for (const auto& [sku, quantity] : needed) {
          const Position* position = shard_for_sku(sku).find(sku, candidate.location);
          const int64_t may_sell =
              sellable(position != nullptr ? *position : empty, candidate.rule, now);
          fits = fits && may_sell >= quantity;
          units_here = std::min(units_here, may_sell / (quantity / request.units));
        }
        best_units = std::max(best_units, units_here);
        if (fits) {
          chosen = &candidate;
          break;
        }
      }
      if (chosen == nullptr) {
        result.status = ReserveStatus::insufficient_stock;
        result.available = best_units;
        WriteSet refusal;
        remember(refusal);
        if (!refusal.empty()) {
          write_durably(refusal, "coordinator");
        }
        return;
      }
      // Apply: one hold per SKU, then one durable write for every shard and the group.
      GroupReservation& group = result.group;
      char id[24];
      std::snprintf(
          id, sizeof id, "g%016llx",
          static_cast<unsigned long long>(std::random_device{}()) << 32 | ++group_serial_);
      group.id = id;
      group.label = request.label;
      group.channel = request.channel;
      group.location = chosen->location;
      group.units = request.units;
      for (const auto& [sku, quantity] : needed) {
        Shard& shard = shard_for_sku(sku);
        shard.current_principal_ = request.principal;
        shard.place_hold(sku, chosen->location, request.channel, quantity, request.ttl, now);
        shard.current_principal_.clear();
        group.member_ids.push_back(shard.last_hold_id_);
        group.members.push_back(shard.active_.at(shard.last_hold_id_));
      }
      WriteSet merged;
      std::set<Shard*> touched;
      for (const std::string& sku : skus) touched.insert(&shard_for_sku(sku));
      for (Shard* shard : touched) shard->export_batch(merged);
      merged.aux.emplace_back(std::string(kGroupPrefix) + group.id, encode_group(group));
      remember(merged);
      write_durably(merged, "coordinator");
      if (!merged.outbox.empty()) notify_outbox();
    });
    done(std::move(result));
  };
  if (stopped_.load() || !coordinator_queue_->try_push(task)) {
    GroupResult result;
    result.status = ReserveStatus::overloaded;
    done(std::move(result));
  }
}

void Engine::end_group(std::string id, ReservationState to, std::string order_id,
                       std::function<void(GroupResult)> done, std::string principal) {
  STOCKD_ASSERT(to != ReservationState::active);
  std::function<void()> task = [this, id = std::move(id), to, order_id = std::move(order_id),
                                principal = std::move(principal), done]() mutable {
    GroupResult result;
    std::optional<GroupReservation> group = find_group(store_, id);
    if (!group) {
      result.status = ReserveStatus::reservation_not_found;
      return done(std::move(result));
    }
    if (to == ReservationState::committed && !is_valid_id(order_id)) {
      result.status = ReserveStatus::invalid_order_id;
      return done(std::move(result));
    }
    std::vector<std::string> skus;
    for (const std::string& member : group->member_ids) {
      const auto reservation = store_.find_reservation(member);
      if (reservation) skus.push_back(reservation->sku);
    }
    with_paused_shards(skus, [&] {
      const Timestamp now = clock_.now();
      // Decide: every member must still be active, or nothing ends.
      std::vector<std::pair<Shard*, Reservation*>> members;
      for (const std::string& member : group->member_ids) {
        Shard* shard = shard_for_reservation(member);
        if (shard == nullptr) {
          result.status = ReserveStatus::reservation_not_active;
          return;
        }
        const auto found = shard->active_.find(member);
        if (found == shard->active_.end() || decide_end(found->second, now) != ReserveStatus::ok) {
          result.status = ReserveStatus::reservation_not_active;
          return;
        }
        members.emplace_back(shard, &found->second);
      }
      for (auto& [shard, reservation] : members) {
        shard->current_principal_ = principal;
        result.group.members.push_back(shard->end(*reservation, to, order_id, now).reservation);
        shard->current_principal_.clear();
      }
      group->state = to;
      WriteSet merged;
      std::set<Shard*> touched;
      for (auto& [shard, reservation] : members) touched.insert(shard);
      for (Shard* shard : touched) shard->export_batch(merged);
      merged.aux.emplace_back(std::string(kGroupPrefix) + group->id, encode_group(*group));
      write_durably(merged, "coordinator");
      if (!merged.outbox.empty()) notify_outbox();
    });
    if (result.status == ReserveStatus::ok) {
      std::vector<Reservation> members = std::move(result.group.members);
      result.group = *group;
      result.group.members = std::move(members);
    } else {
      result.group = *group;
      for (const std::string& member : group->member_ids) {
        if (auto reservation = store_.find_reservation(member)) {
          result.group.members.push_back(std::move(*reservation));
        }
      }
    }
    done(std::move(result));
  };
  if (stopped_.load() || !coordinator_queue_->try_push(task)) {
    GroupResult result;
    result.status = ReserveStatus::overloaded;
    done(std::move(result));
  }
}

void Engine::get_group(std::string id, std::function<void(GroupResult)> done) {
  GroupResult result;
  std::optional<GroupReservation> group = find_group(store_, id);
  if (!group) {
    result.status = ReserveStatus::reservation_not_found;
    return done(std::move(result));
  }
  result.group = *group;
  for (const std::string& member : group->member_ids) {
    if (auto reservation = store_.find_reservation(member)) {
      // Members expire on their own; the group's state follows its members.
      if (reservation->state != ReservationState::active &&
          result.group.state == ReservationState::active) {
        result.group.state = reservation->state;
      }
      result.group.members.push_back(std::move(*reservation));
    }
  }
  done(std::move(result));
}

}  // namespace stockd
