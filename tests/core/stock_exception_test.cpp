// Exception detection on a seeded, realistic stream: 40 SKUs at a selling warehouse for
// 150 days (sales at rates from 0.2 to 40 a day, small shrink and adjustments, unrecorded
// losses that counts find, returns, replenishment), with anomalies of each kind
// injected after a 30-day warm-up. Reports precision and recall per kind.
#include "core/stock_exception.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "core/event_rules.hpp"
#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

const Timestamp kStart = at("2026-01-05T00:00:00Z");

struct Tally {
  int injected = 0;
  int found = 0;         // injected and flagged with the right kind
  int false_alarms = 0;  // flagged with this kind, not injected as it
};

class Stream {
 public:
  explicit Stream(uint64_t seed) : random_(seed) {}

  // Applies one fact the way the shard does: detect against the position before, then apply.
  void apply(Event event, bool location_sells, std::optional<ExceptionKind> injected) {
    event.id = "e" + std::to_string(++serial_);
    Position& position = positions_[event.sku + "@" + event.location];
    const EventDecision decision =
        decide_event(event, event.source == "wms" ? 100 : 50, position, Position{},
                     event.occurred_at + std::chrono::minutes(1), RuleOptions{});
    const std::optional<ExceptionFinding> finding =
        detect_exception(event, decision, position, location_sells);
    Position ignored;
    apply_event(event, event.source == "wms" ? 100 : 50, decision, position,
                event.type == EventType::transfer_out ? &ignored : nullptr);
    if (injected) tallies_[*injected].injected += 1;
    if (finding) {
      if (injected && *injected == finding->kind) {
        tallies_[finding->kind].found += 1;
      } else {
        tallies_[finding->kind].false_alarms += 1;
      }
    }
  }

  Position& position(const std::string& sku) { return positions_[sku + "@W1"]; }
  std::mt19937_64& random() { return random_; }
  std::map<ExceptionKind, Tally>& tallies() { return tallies_; }

 private:
  std::mt19937_64 random_;
  std::map<std::string, Position> positions_;
  std::map<ExceptionKind, Tally> tallies_;
  int serial_ = 0;
};

Event fact(EventType type, const std::string& sku, int64_t quantity, Timestamp when,
           const char* location = "W1", const char* source = "pos") {
  Event e = testing::event(type, quantity, "2026-01-05T00:00:00Z", source, location);
  e.sku = sku;
  e.occurred_at = when;
  return e;
}

TEST(StockExceptions, InjectedAnomaliesAreFoundWithFewFalseAlarms) {
  Stream stream(20261128);
  auto& random = stream.random();
  std::uniform_real_distribution<double> unit(0, 1);
  constexpr int kSkus = 40;
  constexpr int kDays = 150;
  std::vector<double> rates;
  for (int i = 0; i < kSkus; ++i) rates.push_back(0.2 * std::pow(200.0, i / (kSkus - 1.0)));

  for (int i = 0; i < kSkus; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    stream.apply(
        fact(EventType::count, sku, static_cast<int64_t>(rates[i] * 20 + 10), kStart, "W1", "wms"),
        true, std::nullopt);
  }
  for (int day = 1; day < kDays; ++day) {
    for (int i = 0; i < kSkus; ++i) {
      const std::string sku = "SKU-" + std::to_string(i);
      const double rate = rates[static_cast<size_t>(i)];
      Timestamp when = kStart + std::chrono::hours(24 * day + 8);
      const auto tick = [&when] { return when += std::chrono::minutes(7); };
      const bool warm = day >= 30;
      // Sales, a few units at a time; about 2 % of units leave unrecorded.
      std::poisson_distribution<int64_t> sold(rate);
      int64_t units = sold(random);
      int64_t unrecorded = 0;
      while (units > 0) {
        const int64_t basket = std::min<int64_t>(units, 1 + static_cast<int64_t>(unit(random) * 3));
        units -= basket;
        if (unit(random) < 0.02) {
          unrecorded += basket;
          continue;
        }
        stream.apply(fact(EventType::sale, sku, basket, tick()), true, std::nullopt);
      }
      // Routine shrink and adjustments: one to three units, now and then four to six.
      if (unit(random) < 0.04) {
        const int64_t lost = unit(random) < 0.9 ? 1 + static_cast<int64_t>(unit(random) * 3)
                                                : 4 + static_cast<int64_t>(unit(random) * 3);
        stream.apply(fact(EventType::shrink, sku, lost, tick(), "W1", "wms"), true, std::nullopt);
      }
      if (unit(random) < 0.03) {
        const int64_t moved = 1 + static_cast<int64_t>(unit(random) * 3);
        stream.apply(fact(EventType::adjustment, sku, unit(random) < 0.5 ? moved : -moved, tick(),
                          "W1", "wms"),
                     true, std::nullopt);
      }
      if (unit(random) < std::min(0.5, 0.05 * rate)) {
        stream.apply(
            fact(EventType::return_, sku, 1 + static_cast<int64_t>(unit(random) * 2), tick()), true,
            std::nullopt);
      }
      // Replenishment before it runs out (a receipt is never judged).
      if (stream.position(sku).on_hand < static_cast<int64_t>(7 * rate) + 5) {
        stream.apply(fact(EventType::receipt, sku, static_cast<int64_t>(14 * rate) + 20, tick(),
                          "W1", "wms"),
                     true, std::nullopt);
      }
      // A cycle count every two weeks finds what was lost unrecorded, ± one unit.
      if ((day + i) % 14 == 0) {
        const int64_t noise = static_cast<int64_t>(unit(random) * 3) - 1;
        const int64_t counted =
            std::max<int64_t>(0, stream.position(sku).on_hand - unrecorded + noise);
        unrecorded = 0;
        stream.apply(fact(EventType::count, sku, counted, tick(), "W1", "wms"), true, std::nullopt);
      }
      if (!warm) continue;
      // Injections, about one in 120 SKU-days for each kind.
      const double roll = unit(random);
      const Position& now = stream.position(sku);
      if (roll < 0.008) {
        const int64_t lost = 15 + static_cast<int64_t>(unit(random) * 30);
        stream.apply(fact(unit(random) < 0.5 ? EventType::shrink : EventType::damage, sku, lost,
                          tick(), "W1", "wms"),
                     true, ExceptionKind::loss_spike);
      } else if (roll < 0.016) {
        const double scale = std::max({static_cast<double>(now.on_hand), 7 * rate, 4.0});
        stream.apply(fact(EventType::adjustment, sku, static_cast<int64_t>(6 * scale) + 20, tick(),
                          "W1", "wms"),
                     true, ExceptionKind::on_hand_jump);
      } else if (roll < 0.024) {
        stream.apply(
            fact(EventType::sale, sku, 1 + static_cast<int64_t>(unit(random) * 3), tick(), "X9"),
            false, ExceptionKind::unexpected_sale);
      } else if (roll < 0.032) {
        const int64_t off = std::max<int64_t>(
            12, static_cast<int64_t>(5 * std::sqrt(std::max(rate, 1.0)) * std::sqrt(14.0)));
        const int64_t counted = std::max<int64_t>(
            0, now.on_hand + (unit(random) < 0.5 || now.on_hand < off ? off : -off));
        stream.apply(fact(EventType::count, sku, counted, tick(), "W1", "wms"), true,
                     ExceptionKind::count_off_model);
      }
    }
  }

  int injected = 0;
  int found = 0;
  int false_alarms = 0;
  for (const ExceptionKind kind : kAllExceptionKinds) {
    const Tally& t = stream.tallies()[kind];
    std::printf(
        "%-16s injected %3d found %3d false alarms %3d  recall %.3f precision %.3f\n",
        std::string(exception_kind_name(kind)).c_str(), t.injected, t.found, t.false_alarms,
        t.injected ? static_cast<double>(t.found) / t.injected : 1.0,
        t.found + t.false_alarms ? static_cast<double>(t.found) / (t.found + t.false_alarms) : 1.0);
    EXPECT_GT(t.injected, 10) << exception_kind_name(kind);
    injected += t.injected;
    found += t.found;
    false_alarms += t.false_alarms;
  }
  const double recall = static_cast<double>(found) / injected;
  const double precision = static_cast<double>(found) / (found + false_alarms);
  std::printf(
      "all              injected %3d found %3d false alarms %3d  recall %.3f precision %.3f\n",
      injected, found, false_alarms, recall, precision);
  EXPECT_GE(recall, 0.9);
  EXPECT_GE(precision, 0.9);
}

TEST(StockExceptions, EachKindSaysWhyAndWhatToDo) {
  Position before;
  before.on_hand = 10;
  before.version = 3;
  before.last_count_at = at("2026-11-20T00:00:00Z");
  Event shrink = testing::event(EventType::shrink, 9, "2026-11-27T10:00:00Z");
  EventDecision decision = decide_event(shrink, 100, before, Position{}, shrink.occurred_at, {});
  auto found = detect_exception(shrink, decision, before, true);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, ExceptionKind::loss_spike);
  EXPECT_EQ(found->action, SuggestedAction::inspect);
  EXPECT_EQ(found->threshold_units, 8);
  EXPECT_NE(found->why.find("8 or more"), std::string::npos) << found->why;
  // Seven units is below the threshold with no history.
  shrink.quantity = 7;
  decision = decide_event(shrink, 100, before, Position{}, shrink.occurred_at, {});
  EXPECT_FALSE(detect_exception(shrink, decision, before, true).has_value());

  Event count = testing::event(EventType::count, 3, "2026-11-27T10:00:00Z");
  decision = decide_event(count, 100, before, Position{}, count.occurred_at, {});
  found = detect_exception(count, decision, before, true);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, ExceptionKind::count_off_model);
  EXPECT_EQ(found->action, SuggestedAction::recount);
  EXPECT_EQ(found->units, -7);
  // The first fact of a position is never an exception.
  EXPECT_FALSE(detect_exception(count, decision, Position{}, true).has_value());

  Event jump = testing::event(EventType::adjustment, 60, "2026-11-27T10:00:00Z");
  decision = decide_event(jump, 100, before, Position{}, jump.occurred_at, {});
  found = detect_exception(jump, decision, before, true);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, ExceptionKind::on_hand_jump);
  EXPECT_EQ(found->action, SuggestedAction::hold);
  EXPECT_EQ(found->threshold_units, 50);

  Event sale = testing::event(EventType::sale, 1, "2026-11-27T10:00:00Z");
  decision = decide_event(sale, 100, before, Position{}, sale.occurred_at, {});
  EXPECT_FALSE(detect_exception(sale, decision, before, true).has_value());
  found = detect_exception(sale, decision, before, false);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->kind, ExceptionKind::unexpected_sale);
}

TEST(StockExceptions, RoundTripAndRefuseDamage) {
  StockException exception;
  exception.id = "x0-42";
  exception.kind = ExceptionKind::on_hand_jump;
  exception.action = SuggestedAction::hold;
  exception.sku = "TEE";
  exception.location = "W1";
  exception.event_source = "wms";
  exception.event_id = "e-1";
  exception.event_type = EventType::adjustment;
  exception.units = 60;
  exception.threshold_units = 50;
  exception.why = "because";
  exception.occurred_at = at("2026-11-27T10:00:00Z");
  exception.detected_at = at("2026-11-27T10:00:01Z");
  exception.stream = 1;
  exception.sequence = 42;
  exception.resolved = true;
  exception.resolved_at = at("2026-11-27T12:00:00Z");
  exception.resolved_by = "tok_ops";
  exception.resolution = "miscount at receiving";
  const std::string bytes = encode_stock_exception(exception);
  EXPECT_EQ(decode_stock_exception(bytes), exception);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_stock_exception(std::string_view(bytes).substr(0, cut)).has_value());
  }
}

}  // namespace
}  // namespace stockd
