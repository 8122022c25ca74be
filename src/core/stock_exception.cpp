#include "core/stock_exception.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "core/forecast.hpp"

namespace stockd {
namespace {

constexpr uint8_t kStockExceptionFormat = 1;
constexpr int64_t kNeverCountedDays = 30;
constexpr int64_t kCountWindowMaxDays = 90;

int64_t ceil_units(double units) { return static_cast<int64_t>(std::ceil(units - 1e-9)); }

std::optional<ExceptionFinding> loss_spike(const Event& event, const EventDecision& decision,
                                           const Position& before) {
  if (!is_loss_type(event.type)) return std::nullopt;
  const int64_t lost = -on_hand_change(decision);
  if (lost <= 0) return std::nullopt;
  const int64_t threshold = ceil_units(loss_spike_threshold(before.demand));
  if (lost < threshold) return std::nullopt;
  ExceptionFinding finding;
  finding.kind = ExceptionKind::loss_spike;
  // A written-off count difference wants a recount; a physical loss wants eyes on it.
  finding.action =
      event.type == EventType::adjustment ? SuggestedAction::recount : SuggestedAction::inspect;
  finding.units = lost;
  finding.threshold_units = threshold;
  finding.why = before.demand.losses >= 3
                    ? fmt::format(
                          "{} took {} units off on-hand; the {} losses on record here "
                          "average {:.1f} units, and {} or more is a spike",
                          event_type_name(event.type), lost, before.demand.losses,
                          before.demand.loss_size, threshold)
                    : fmt::format(
                          "{} took {} units off on-hand; with fewer than three losses "
                          "on record, {} or more is a spike",
                          event_type_name(event.type), lost, threshold);
  return finding;
}

std::optional<ExceptionFinding> on_hand_jump(const Event& event, const EventDecision& decision,
                                             const Position& before) {
  if (event.type != EventType::adjustment && event.type != EventType::return_) return std::nullopt;
  const int64_t added = on_hand_change(decision);
  if (added <= 0) return std::nullopt;
  ForecastRequest request;
  request.now = decision.occurred_at;
  request.horizon_days = 7;
  const double week_of_demand = forecast_demand(before.demand, request).mean_units;
  const double scale =
      std::max(static_cast<double>(std::max<int64_t>(0, before.on_hand)), week_of_demand);
  const int64_t threshold = std::max(kJumpMinUnits, ceil_units(kJumpFactor * scale));
  if (added < threshold) return std::nullopt;
  ExceptionFinding finding;
  finding.kind = ExceptionKind::on_hand_jump;
  finding.action = SuggestedAction::hold;
  finding.units = added;
  finding.threshold_units = threshold;
  finding.why = fmt::format(
      "{} added {} units to on-hand; {} were there and a week's demand is {:.1f}, so {} or "
      "more is a jump: hold them until someone has seen them",
      event_type_name(event.type), added, before.on_hand, week_of_demand, threshold);
  return finding;
}

std::optional<ExceptionFinding> unexpected_sale(const Event& event, bool location_sells) {
  if (event.type != EventType::sale && event.type != EventType::shipment) return std::nullopt;
  if (location_sells) return std::nullopt;
  ExceptionFinding finding;
  finding.kind = ExceptionKind::unexpected_sale;
  finding.action = SuggestedAction::inspect;
  finding.units = event.quantity;
  finding.threshold_units = 1;
  finding.why = fmt::format(
      "a {} of {} units at {}, which feeds no channel and is not a store: a mis-keyed location "
      "or stock leaving without an order",
      event_type_name(event.type), event.quantity, event.location);
  return finding;
}

std::optional<ExceptionFinding> count_off_model(const Event& event, const EventDecision& decision,
                                                const Position& before) {
  if (event.type != EventType::count || !decision.sets_count) return std::nullopt;
  if (before.version == 0) return std::nullopt;  // the first fact: nothing to compare
  const int64_t variance = event.quantity - before.on_hand;
  const bool never_counted = micros_of(before.last_count_at) == 0;
  const int64_t days = never_counted
                           ? kNeverCountedDays
                           : std::clamp<int64_t>(std::chrono::duration_cast<std::chrono::hours>(
                                                     decision.occurred_at - before.last_count_at)
                                                         .count() /
                                                     24,
                                                 1, kCountWindowMaxDays);
  const double daily_sigma = demand_now(before.demand, decision.occurred_at).daily_sigma;
  const int64_t threshold =
      std::max(kCountOffMinUnits,
               ceil_units(kCountOffSigmas * daily_sigma * std::sqrt(static_cast<double>(days))));
  if (std::abs(variance) < threshold) return std::nullopt;
  ExceptionFinding finding;
  finding.kind = ExceptionKind::count_off_model;
  finding.action = SuggestedAction::recount;
  finding.units = variance;
  finding.threshold_units = threshold;
  finding.why = fmt::format(
      "counted {} where the book said {} ({:+}); demand here varies by {:.1f} units a day, "
      "which explains at most ±{} over {} days{}: recount before accepting it",
      event.quantity, before.on_hand, variance, daily_sigma, threshold, days,
      never_counted ? " (never counted before)" : " since the last count");
  return finding;
}

}  // namespace

std::string_view exception_kind_name(ExceptionKind kind) {
  switch (kind) {
    case ExceptionKind::loss_spike:
      return "loss_spike";
    case ExceptionKind::on_hand_jump:
      return "on_hand_jump";
    case ExceptionKind::unexpected_sale:
      return "unexpected_sale";
    case ExceptionKind::count_off_model:
      return "count_off_model";
  }
  return "unknown";
}

std::optional<ExceptionKind> exception_kind_from_name(std::string_view name) {
  for (const ExceptionKind kind : kAllExceptionKinds) {
    if (exception_kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view suggested_action_name(SuggestedAction action) {
  switch (action) {
    case SuggestedAction::recount:
      return "recount";
    case SuggestedAction::inspect:
      return "inspect";
    case SuggestedAction::hold:
      return "hold";
  }
  return "inspect";
}

std::optional<ExceptionFinding> detect_exception(const Event& event, const EventDecision& decision,
                                                 const Position& before, bool location_sells) {
  if (decision.status != EventStatus::applied) return std::nullopt;
  if (auto found = unexpected_sale(event, location_sells)) return found;
  if (auto found = loss_spike(event, decision, before)) return found;
  if (auto found = on_hand_jump(event, decision, before)) return found;
  return count_off_model(event, decision, before);
}

std::string stock_exception_id(uint32_t stream, uint64_t sequence) {
  return fmt::format("x{}-{}", stream, sequence);
}

std::string stock_exception_key(std::string_view id) {
  return std::string(kStockExceptionPrefix) + std::string(id);
}

std::string encode_stock_exception(const StockException& exception) {
  ByteWriter out;
  out.u8(kStockExceptionFormat);
  out.str(exception.id);
  out.u8(static_cast<uint8_t>(exception.kind));
  out.u8(static_cast<uint8_t>(exception.action));
  out.str(exception.sku);
  out.str(exception.location);
  out.str(exception.event_source);
  out.str(exception.event_id);
  out.u8(static_cast<uint8_t>(exception.event_type));
  out.i64(exception.units);
  out.i64(exception.threshold_units);
  out.str(exception.why);
  out.i64(micros_of(exception.occurred_at));
  out.i64(micros_of(exception.detected_at));
  out.u32(exception.stream);
  out.u64(exception.sequence);
  out.u8(exception.resolved ? 1 : 0);
  out.i64(micros_of(exception.resolved_at));
  out.str(exception.resolved_by);
  out.str(exception.resolution);
  return out.take();
}

std::optional<StockException> decode_stock_exception(std::string_view bytes) {
  ByteReader in(bytes);
  if (in.u8() != kStockExceptionFormat) return std::nullopt;
  StockException exception;
  exception.id = in.str();
  const uint8_t kind = in.u8();
  const uint8_t action = in.u8();
  exception.sku = in.str();
  exception.location = in.str();
  exception.event_source = in.str();
  exception.event_id = in.str();
  const uint8_t type = in.u8();
  exception.units = in.i64();
  exception.threshold_units = in.i64();
  exception.why = in.str();
  exception.occurred_at = timestamp_from_micros(in.i64());
  exception.detected_at = timestamp_from_micros(in.i64());
  exception.stream = in.u32();
  exception.sequence = in.u64();
  const uint8_t resolved = in.u8();
  exception.resolved_at = timestamp_from_micros(in.i64());
  exception.resolved_by = in.str();
  exception.resolution = in.str();
  if (!in.ok() || !in.at_end()) return std::nullopt;
  if (kind < 1 || kind > 4 || action < 1 || action > 3 || resolved > 1) return std::nullopt;
  if (type < 1 || type > static_cast<uint8_t>(EventType::count)) return std::nullopt;
  exception.kind = static_cast<ExceptionKind>(kind);
  exception.action = static_cast<SuggestedAction>(action);
  exception.event_type = static_cast<EventType>(type);
  exception.resolved = resolved == 1;
  return exception;
}

}  // namespace stockd
