#include "sync/delivery_queue.hpp"

#include <algorithm>
#include <cmath>

#include "base/assert.hpp"

namespace stockd {

DeliveryQueue::DeliveryQueue(std::vector<uint64_t> cursors)
    : read_(std::move(cursors)), first_seqs_(read_.size()) {}

std::string DeliveryQueue::key_of(const OutboxRow& row) {
  std::string key(1, static_cast<char>(row.kind));
  key.append(row.sku).push_back('\0');
  key.append(row.kind == OutboxKind::availability_changed ? row.channel : row.location);
  return key;
}

void DeliveryQueue::offer(const OutboxRow& row, bool wanted, Timestamp now) {
  STOCKD_ASSERT(row.shard < read_.size());
  if (row.sequence <= read_[row.shard]) return;  // already offered (or delivered)
  read_[row.shard] = row.sequence;
  if (!wanted) return;
  const std::string key = key_of(row);
  if (const auto found = by_key_.find(key); found != by_key_.end()) {
    PendingDelivery& entry = *found->second;
    STOCKD_ASSERT(entry.row.shard == row.shard);  // a SKU lives on one shard
    entry.row = row;
    entry.conflated += 1;
    conflated_total_ += 1;
    return;
  }
  PendingDelivery entry;
  entry.row = row;
  entry.first_sequence = row.sequence;
  entry.queued_at = now;
  first_seqs_[row.shard].insert(row.sequence);
  order_.push_back(std::move(entry));
  by_key_.emplace(key, std::prev(order_.end()));
}

bool DeliveryQueue::ready(Timestamp now) const {
  for (const PendingDelivery& entry : order_) {
    if (!entry.in_flight && entry.next_attempt_at <= now) return true;
  }
  return false;
}

std::optional<DeliveryClaim> DeliveryQueue::claim(Timestamp now) {
  for (PendingDelivery& entry : order_) {
    if (entry.in_flight || entry.next_attempt_at > now) continue;
    entry.in_flight = true;
    entry.sent_sequence = entry.row.sequence;
    ++in_flight_;
    return DeliveryClaim{key_of(entry.row), entry.row, entry.attempts};
  }
  return std::nullopt;
}

DeliveryQueue::Entries::iterator DeliveryQueue::find(const std::string& key) {
  const auto found = by_key_.find(key);
  STOCKD_ASSERT(found != by_key_.end());
  STOCKD_ASSERT(found->second->in_flight);
  return found->second;
}

void DeliveryQueue::erase(Entries::iterator entry) {
  if (entry->in_flight) --in_flight_;
  const auto& seqs = first_seqs_[entry->row.shard];
  const auto at = seqs.find(entry->first_sequence);
  STOCKD_ASSERT(at != seqs.end());
  first_seqs_[entry->row.shard].erase(at);
  by_key_.erase(key_of(entry->row));
  order_.erase(entry);
}

void DeliveryQueue::succeeded(const DeliveryClaim& claim, Timestamp now) {
  const auto entry = find(claim.key);
  if (entry->row.sequence == entry->sent_sequence) return erase(entry);
  // A newer row arrived while this one was in flight: it stands for the rows after the
  // one delivered, and is due at once.
  auto& seqs = first_seqs_[entry->row.shard];
  seqs.erase(seqs.find(entry->first_sequence));
  entry->first_sequence = entry->sent_sequence + 1;
  seqs.insert(entry->first_sequence);
  entry->in_flight = false;
  entry->attempts = 0;
  entry->next_attempt_at = Timestamp{};
  entry->queued_at = now;
  --in_flight_;
  order_.splice(order_.end(), order_, entry);  // iterators stay valid
}

void DeliveryQueue::failed(const DeliveryClaim& claim, Timestamp retry_at, std::string error) {
  const auto entry = find(claim.key);
  entry->in_flight = false;
  --in_flight_;
  entry->attempts += 1;
  entry->next_attempt_at = retry_at;
  entry->last_error = std::move(error);
}

void DeliveryQueue::remove(const DeliveryClaim& claim) { erase(find(claim.key)); }

std::optional<Timestamp> DeliveryQueue::next_due() const {
  std::optional<Timestamp> due;
  for (const PendingDelivery& entry : order_) {
    if (entry.in_flight) continue;
    if (!due || entry.next_attempt_at < *due) due = entry.next_attempt_at;
  }
  return due;
}

uint64_t DeliveryQueue::durable_cursor(uint32_t shard) const {
  const auto& pending = first_seqs_.at(shard);
  if (pending.empty()) return read_[shard];
  return *pending.begin() - 1;
}

std::vector<uint64_t> DeliveryQueue::durable_cursors() const {
  std::vector<uint64_t> cursors;
  for (uint32_t shard = 0; shard < read_.size(); ++shard) cursors.push_back(durable_cursor(shard));
  return cursors;
}

std::optional<Timestamp> DeliveryQueue::oldest_queued_at() const {
  if (order_.empty()) return std::nullopt;
  return order_.front().queued_at;  // kept in order of arrival
}

Duration retry_delay(uint32_t attempt, Duration base, Duration cap, double unit_random) {
  STOCKD_ASSERT(attempt >= 1);
  const double exponent = std::min<double>(attempt - 1, 40);
  const double raw = static_cast<double>(base.count()) * std::pow(2.0, exponent);
  const double capped = std::min(raw, static_cast<double>(cap.count()));
  const double jitter = 0.5 + 0.5 * std::clamp(unit_random, 0.0, 1.0);
  return Duration{static_cast<int64_t>(capped * jitter)};
}

bool CircuitBreaker::allows(Timestamp now) {
  if (!open_) return true;
  if (now < open_until_ || trial_in_flight_) return false;
  trial_in_flight_ = true;  // half-open: one trial
  return true;
}

void CircuitBreaker::success() {
  consecutive_failures_ = 0;
  open_ = false;
  trial_in_flight_ = false;
}

void CircuitBreaker::failure(Timestamp now) {
  consecutive_failures_ += 1;
  if (open_ || consecutive_failures_ >= failures_to_open_) {
    if (!open_ || trial_in_flight_) times_opened_ += 1;
    open_ = true;
    trial_in_flight_ = false;
    open_until_ = now + open_for_;
  }
}

CircuitBreaker::State CircuitBreaker::state(Timestamp now) const {
  if (!open_) return State::closed;
  return now < open_until_ ? State::open : State::half_open;
}

std::string_view circuit_state_name(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::closed:
      return "closed";
    case CircuitBreaker::State::open:
      return "open";
    case CircuitBreaker::State::half_open:
      return "half_open";
  }
  return "unknown";
}

}  // namespace stockd
