// Statistical exceptions on the event stream (pure): a fact that the position's own
// history says is unlikely becomes an exception with a suggested action, for a person
// to look at. Found when the fact is applied, against the position as it was before.
//
//   loss_spike       shrink, damage or a downward adjustment of at least
//                    loss_spike_threshold (max(8, 4 × the typical loss))      inspect / recount
//   on_hand_jump     an upward adjustment or a return adding at least
//                    max(20, 5 × max(on-hand before, a week of demand))       hold
//   unexpected_sale  a sale or shipment at a location that sells nowhere
//                    (feeds no channel and is not a store)                    inspect
//   count_off_model  a count whose variance exceeds max(5, 3 σ_d √D): what the
//                    demand model's daily error σ_d could explain over the D days
//                    since the last count (30 when never; 1..90)              recount
//
// Exceptions are not ledger anomalies: they do not change what is applied or its hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.hpp"
#include "core/event.hpp"
#include "core/event_rules.hpp"
#include "core/position.hpp"

namespace stockd {

// Stable values: stored.
enum class ExceptionKind : uint8_t {
  loss_spike = 1,
  on_hand_jump = 2,
  unexpected_sale = 3,
  count_off_model = 4,
};
inline constexpr ExceptionKind kAllExceptionKinds[] = {
    ExceptionKind::loss_spike, ExceptionKind::on_hand_jump, ExceptionKind::unexpected_sale,
    ExceptionKind::count_off_model};
inline constexpr size_t kExceptionKindSlots = 5;  // indexable by ExceptionKind's value
std::string_view exception_kind_name(ExceptionKind kind);
std::optional<ExceptionKind> exception_kind_from_name(std::string_view name);

enum class SuggestedAction : uint8_t { recount = 1, inspect = 2, hold = 3 };
std::string_view suggested_action_name(SuggestedAction action);

inline constexpr int64_t kJumpMinUnits = 20;
inline constexpr double kJumpFactor = 5;
inline constexpr int64_t kCountOffMinUnits = 5;
inline constexpr double kCountOffSigmas = 3;

struct ExceptionFinding {
  ExceptionKind kind = ExceptionKind::loss_spike;
  SuggestedAction action = SuggestedAction::inspect;
  int64_t units = 0;            // the move (signed for counts: counted − book)
  int64_t threshold_units = 0;  // the smallest move that would have been flagged
  std::string why;
};

// `before` is the position before the fact; `decision` what the fact does (only applied
// facts are judged); `location_sells` whether the location feeds a channel or is a store.
std::optional<ExceptionFinding> detect_exception(const Event& event, const EventDecision& decision,
                                                 const Position& before, bool location_sells);

struct StockException {
  std::string id;
  ExceptionKind kind = ExceptionKind::loss_spike;
  SuggestedAction action = SuggestedAction::inspect;
  std::string sku;
  std::string location;
  std::string event_source;
  std::string event_id;
  EventType event_type = EventType::sale;
  int64_t units = 0;
  int64_t threshold_units = 0;
  std::string why;
  Timestamp occurred_at{};
  Timestamp detected_at{};
  uint32_t stream = 0;  // the ledger record of the fact
  uint64_t sequence = 0;
  // Closed by a person: what they found.
  bool resolved = false;
  Timestamp resolved_at{};
  std::string resolved_by;
  std::string resolution;
  friend bool operator==(const StockException&, const StockException&) = default;
};

// "x<stream>-<sequence>" (the fact's ledger record), and its aux-store key.
std::string stock_exception_id(uint32_t stream, uint64_t sequence);
inline constexpr std::string_view kStockExceptionPrefix = "exception/";
std::string stock_exception_key(std::string_view id);

std::string encode_stock_exception(const StockException& exception);
std::optional<StockException> decode_stock_exception(std::string_view bytes);

}  // namespace stockd
