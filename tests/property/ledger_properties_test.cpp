// Property tests over random sequences of facts and promises, on the real engine and
// a real RocksDB store, checked against an independent model written here from the
// table in DESIGN §3 (not from src/core). rapidcheck prints the seed of any failure;
// rerun it with RC_PARAMS="seed=N".
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <thread>

#include "crash/power_loss_fs.hpp"
#include "engine/audit.hpp"
#include "engine/blocking.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

const std::vector<std::string> kSkus = {"A", "B", "C"};
const std::vector<std::string> kLocations = {"W1", "W2", "S1"};

struct Step {
  enum Kind { fact, reserve, commit, release, advance, disk_fault } kind = fact;
  Event event;
  std::string sku;
  std::string location;
  int64_t quantity = 0;
  size_t pick = 0;  // which earlier reservation
  int seconds = 0;
};

rc::Gen<Event> gen_event() {
  return rc::gen::exec([] {
    Event e;
    e.id = "e" + std::to_string(*rc::gen::inRange(0, 40));  // small pool: repeats happen
    e.source = *rc::gen::element(std::string("wms"), std::string("pos"));
    e.type = *rc::gen::elementOf(
        std::vector<EventType>(std::begin(kAllEventTypes), std::end(kAllEventTypes)));
    e.sku = *rc::gen::elementOf(kSkus);
    e.location = *rc::gen::elementOf(kLocations);
    e.quantity = *rc::gen::inRange<int64_t>(1, 30);
    e.occurred_at =
        testing::at("2026-11-27T09:00:00Z") +
        std::chrono::minutes{*rc::gen::inRange(0, 65)};  // never beyond the clock: no drift clamp
    switch (e.type) {
      case EventType::cancellation:
        e.reason = "oversold";
        break;
      case EventType::shrink:
        e.reason = "theft";
        break;
      case EventType::adjustment:
        e.reason = "recount";
        if (*rc::gen::arbitrary<bool>()) e.quantity = -e.quantity;
        break;
      case EventType::count:
        e.quantity -= 1;
        break;  // 0..29
      case EventType::return_:
        e.condition = *rc::gen::element(std::string("resellable"), std::string("damaged"),
                                        std::string("needs_inspection"));
        break;
      case EventType::transfer_out:
        e.to_location = e.location == "W1" ? "W2" : "W1";
        break;
      case EventType::status_change:
        e.from_status = *rc::gen::element(std::string("on_hand"), std::string("damaged"),
                                          std::string("quarantine"));
        e.to_status = e.from_status == "non_sellable" ? "on_hand" : "non_sellable";
        break;
      default:
        break;
    }
    if (*rc::gen::inRange(0, 20) == 0) e.location = "NOWHERE";  // rejected, changes nothing
    return e;
  });
}

// With `disk_faults`, about one step in fifteen makes the disk fail its next 1-3 syncs.
rc::Gen<Step> gen_step(bool disk_faults = false) {
  return rc::gen::exec([disk_faults] {
    Step step;
    if (disk_faults && *rc::gen::inRange(0, 15) == 0) {
      step.kind = Step::disk_fault;
      step.quantity = *rc::gen::inRange<int64_t>(1, 4);
      return step;
    }
    const int roll = *rc::gen::inRange(0, 100);
    if (roll < 60) {
      step.kind = Step::fact;
      step.event = *gen_event();
    } else if (roll < 80) {
      step.kind = Step::reserve;
      step.sku = *rc::gen::elementOf(kSkus);
      step.location = *rc::gen::elementOf(kLocations);
      step.quantity = *rc::gen::inRange<int64_t>(1, 25);
    } else if (roll < 88) {
      step.kind = Step::commit;
      step.pick = *rc::gen::inRange<size_t>(0, 1000);
    } else if (roll < 95) {
      step.kind = Step::release;
      step.pick = *rc::gen::inRange<size_t>(0, 1000);
    } else {
      step.kind = Step::advance;
      step.seconds = *rc::gen::inRange(1, 120);
    }
    return step;
  });
}

// The independent model: positions as plain bucket maps, rules from DESIGN §3.
struct ModelPosition {
  std::map<std::string, int64_t> buckets;
  bool has_set = false;
  int64_t set_priority = 0;
  Timestamp set_as_of{};
  int64_t available() { return buckets["on_hand"] - buckets["reserved"] - buckets["allocated"]; }
};

struct Model {
  std::map<std::pair<std::string, std::string>, ModelPosition> positions;
  std::map<std::pair<std::string, std::string>, std::pair<Event, EventStatus>> seen;  // (source,id)

  static int64_t priority(const std::string& source) { return source == "wms" ? 100 : 50; }

  // Returns the status the model expects for `e`.
  EventStatus apply(const Event& e) {
    if (e.location == "NOWHERE") return EventStatus::rejected;
    const auto key = std::make_pair(e.source, e.id);
    if (const auto it = seen.find(key); it != seen.end()) {
      return it->second.first == e ? EventStatus::duplicate : EventStatus::rejected;
    }
    ModelPosition& here = positions[{e.sku, e.location}];
    const int64_t q = e.quantity;
    const int64_t p = priority(e.source);
    EventStatus status = EventStatus::applied;
    if (e.type == EventType::count) {
      if (here.has_set &&
          (p < here.set_priority || (p == here.set_priority && e.occurred_at < here.set_as_of))) {
        status = EventStatus::superseded;
      } else {
        here.buckets["on_hand"] = q;
        here.has_set = true;
        here.set_priority = p;
        here.set_as_of = e.occurred_at;
      }
      seen[key] = {e, status};
      return status;
    }
    const bool covered = here.has_set && here.set_priority >= p && e.occurred_at <= here.set_as_of;
    if (covered) status = EventStatus::superseded;
    const auto on_hand = [&](int64_t delta) {
      if (!covered) here.buckets["on_hand"] += delta;
    };
    const auto consume = [&](const char* bucket, int64_t amount) {
      here.buckets[bucket] -= std::min(amount, std::max<int64_t>(here.buckets[bucket], 0));
    };
    switch (e.type) {
      case EventType::sale:
      case EventType::shrink:
        on_hand(-q);
        break;
      case EventType::shipment:
        consume("allocated", q);
        on_hand(-q);
        break;
      case EventType::cancellation:
        consume("allocated", q);
        break;
      case EventType::return_:
        if (e.condition == "resellable") on_hand(q);
        if (e.condition == "damaged") here.buckets["damaged"] += q;
        if (e.condition == "needs_inspection") here.buckets["quarantine"] += q;
        break;
      case EventType::restock:
        here.buckets["quarantine"] -= q;
        on_hand(q);
        break;
      case EventType::transfer_out:
        on_hand(-q);
        positions[{e.sku, e.to_location}].buckets["in_transit"] += q;
        break;
      case EventType::transfer_in:
        consume("in_transit", q);
        on_hand(q);
        break;
      case EventType::receipt:
        consume("incoming", q);
        on_hand(q);
        break;
      case EventType::damage:
        on_hand(-q);
        here.buckets["damaged"] += q;
        break;
      case EventType::adjustment:
        on_hand(q);
        break;
      case EventType::status_change:
        if (e.from_status == "on_hand") {
          on_hand(-q);
        } else {
          here.buckets[e.from_status] -= q;
        }
        here.buckets[e.to_status] += q;
        break;
      case EventType::count:
        break;
    }
    seen[key] = {e, status};
    return status;
  }
};

class Harness : public testing::EngineFixture {
 public:
  void TestBody() override {}
  void start() { SetUp(); }
  // The store on a file system whose syncs can be made to fail (PowerLossFs).
  void start_on_faulty_disk() {
    fs_ = std::make_shared<testing::PowerLossFs>(rocksdb::FileSystem::Default());
    env_owner_ = rocksdb::NewCompositeEnv(fs_);
    env_ = env_owner_.get();
    SetUp();
  }
  void finish() {
    TearDown();
    env_ = nullptr;
    env_owner_.reset();
  }
  testing::PowerLossFs* fs() { return fs_.get(); }
  // Waits while a shard retries a failed write (a client seeing 503 waits and retries).
  void settle() {
    while (engine_->storage_degraded()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Engine& engine() { return *engine_; }
  Store& store() { return *store_; }
  ManualClock& clock() { return clock_; }
  using EngineFixture::apply;
  using EngineFixture::reopen;

 private:
  std::shared_ptr<testing::PowerLossFs> fs_;
  std::unique_ptr<rocksdb::Env> env_owner_;

 public:
  std::map<std::pair<std::string, std::string>, Position> snapshot() {
    settle();  // the live state, not a stuck shard's last durable one
    std::map<std::pair<std::string, std::string>, Position> out;
    for (const std::string& sku : kSkus) {
      for (const PositionView& view : get_stock_blocking(*engine_, sku).positions) {
        out[{sku, view.location}] = view.position;
      }
    }
    return out;
  }
};

// Runs `steps` against the engine and the model, checking each step as it goes.
// Returns the events the engine accepted (applied or superseded).
std::vector<Event> run_steps(Harness& h, Model& model, const std::vector<Step>& steps) {
  std::vector<Event> accepted;
  std::vector<std::string> holds;
  for (const Step& step : steps) {
    switch (step.kind) {
      case Step::fact: {
        const EventStatus expected = model.apply(step.event);
        EventResult result = h.apply(step.event);
        while (result.error == EventError::overloaded) {  // a shard stuck on a fault
          h.settle();
          result = h.apply(step.event);
        }
        RC_ASSERT(event_status_name(result.status) == event_status_name(expected));
        if (result.status == EventStatus::applied || result.status == EventStatus::superseded) {
          accepted.push_back(step.event);
        }
        break;
      }
      case Step::reserve: {
        const auto before = h.snapshot();
        const auto it = before.find({step.sku, step.location});
        const int64_t available_before = it == before.end() ? 0 : available(it->second);
        ReserveRequest request{
            step.sku, "web", {step.location}, step.quantity, std::chrono::seconds{60}};
        ReserveResult result = reserve_blocking(h.engine(), request);
        while (result.status == ReserveStatus::overloaded) {
          h.settle();
          result = reserve_blocking(h.engine(), request);
        }
        // Promises are granted exactly when they fit.
        RC_ASSERT((result.status == ReserveStatus::ok) == (step.quantity <= available_before));
        if (result.status == ReserveStatus::ok) {
          holds.push_back(result.reservation.id);
          model.positions[{step.sku, step.location}].buckets["reserved"] += step.quantity;
          const Position after = h.snapshot().at({step.sku, step.location});
          RC_ASSERT(available(after) >= 0);  // a promise never exceeds availability
        }
        break;
      }
      case Step::commit:
      case Step::release: {
        if (holds.empty()) break;
        const std::string id = holds[step.pick % holds.size()];
        const ReservationState to =
            step.kind == Step::commit ? ReservationState::committed : ReservationState::released;
        const std::string order_id = step.kind == Step::commit ? "o-1" : "";
        ReserveResult result = end_reservation_blocking(h.engine(), id, to, order_id);
        while (result.status == ReserveStatus::overloaded) {
          h.settle();
          result = end_reservation_blocking(h.engine(), id, to, order_id);
        }
        if (result.status == ReserveStatus::ok) {
          ModelPosition& m = model.positions[{result.reservation.sku, result.reservation.location}];
          m.buckets["reserved"] -= result.reservation.quantity;
          if (to == ReservationState::committed)
            m.buckets["allocated"] += result.reservation.quantity;
        } else {
          RC_ASSERT(result.status == ReserveStatus::reservation_not_active);
        }
        break;
      }
      case Step::advance: {
        h.clock().advance(std::chrono::seconds{step.seconds});
        break;
      }
      case Step::disk_fault: {
        RC_ASSERT(h.fs() != nullptr);
        h.fs()->fail_next_syncs(static_cast<int>(step.quantity));
        break;
      }
    }
  }
  return accepted;
}

// Expired holds leave the model through the engine's own records; reconcile them.
void account_for_expiry(Harness& h, Model& model) {
  RC_ASSERT(
      h.store()
          .for_each_ledger_record([&](uint32_t, uint64_t, std::string_view bytes) {
            const auto record = decode_ledger_record(bytes);
            if (record && record->kind == RecordKind::reservation_expired) {
              model.positions[{record->sku, record->deltas.at(0).location}].buckets["reserved"] -=
                  record->reservation_quantity;
            }
            return true;
          })
          .is_ok());
}

void expect_model_matches(Harness& h, Model& model) {
  const auto actual = h.snapshot();
  for (auto& [key, expected] : model.positions) {
    const auto it = actual.find(key);
    const Position position = it == actual.end() ? Position{} : it->second;
    for (const Bucket bucket : kAllBuckets) {
      RC_ASSERT(position.bucket(bucket) == expected.buckets[std::string(bucket_name(bucket))]);
    }
  }
}

RC_GTEST_PROP(LedgerProperties, EngineMatchesTheIndependentModel, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 80), gen_step());
  Harness h;
  h.start();
  Model model;
  run_steps(h, model, steps);
  get_stock_blocking(h.engine(), "A");  // let due expiries run
  account_for_expiry(h, model);
  expect_model_matches(h, model);
  h.finish();
}

// Storage faults inside the simulation: now and then the disk fails its next 1-3 syncs
// with EIO (dropping what they had not synced). The engine keeps the batch unanswered,
// retries it (reopening the store when RocksDB will not resume) and answers once it is
// durable: every answer, the final state and a restart still match the model. A fault
// delays answers; it never changes one or loses an acknowledged fact.
RC_GTEST_PROP(LedgerProperties, DiskFaultsDelayButNeverChangeAnAnswer, ()) {
  const auto steps =
      *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 60), gen_step(true));
  Harness h;
  h.start_on_faulty_disk();
  Model model;
  run_steps(h, model, steps);
  h.fs()->stop_failing_syncs();         // a fault drawn last, with no write after it
  get_stock_blocking(h.engine(), "A");  // let due expiries run
  h.settle();
  account_for_expiry(h, model);
  expect_model_matches(h, model);
  const auto before = h.snapshot();
  const int failed_syncs = h.fs()->sync_failures();
  const uint64_t reopens = h.store().reopens();
  RC_ASSERT(reopens <= static_cast<uint64_t>(failed_syncs));
  RC_CLASSIFY(failed_syncs > 0, "syncs failed");
  RC_CLASSIFY(reopens > 0, "store reopened");
  h.reopen(2);
  RC_ASSERT(h.snapshot() == before);
  RC_ASSERT(verify_positions(h.store()).ok);
  RC_ASSERT(verify_ledger(h.store()).ok);
  h.finish();
}

RC_GTEST_PROP(LedgerProperties, StoredPositionsAreTheSumOfTheLedger, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 80), gen_step());
  Harness h;
  h.start();
  Model model;
  run_steps(h, model, steps);
  const PositionAuditReport positions = verify_positions(h.store());
  RC_ASSERT(positions.ok);
  const AuditReport chain = verify_ledger(h.store());
  RC_ASSERT(chain.ok);
  h.finish();
}

RC_GTEST_PROP(LedgerProperties, ReapplyingAnySubsetChangesNothing, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 60), gen_step());
  Harness h;
  h.start();
  Model model;
  const std::vector<Event> accepted = run_steps(h, model, steps);
  const auto before = h.snapshot();
  std::vector<Event> subset;
  for (const Event& e : accepted) {
    if (*rc::gen::arbitrary<bool>()) subset.push_back(e);
  }
  if (*rc::gen::arbitrary<bool>()) h.reopen(*rc::gen::inRange<size_t>(1, 4));
  for (const EventResult& result : h.apply(subset)) {
    RC_ASSERT(result.status == EventStatus::duplicate);
  }
  RC_ASSERT(h.snapshot() == before);
  h.finish();
}

RC_GTEST_PROP(LedgerProperties, ReopenEqualsBefore, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 60), gen_step());
  Harness h;
  h.start();
  Model model;
  run_steps(h, model, steps);
  const auto before = h.snapshot();
  h.reopen(*rc::gen::inRange<size_t>(1, 5));
  RC_ASSERT(h.snapshot() == before);
  RC_ASSERT(verify_positions(h.store()).ok);
  h.finish();
}

// The guardrail under channel rules: for any sequence of facts and promises, a hold is
// granted exactly when it fits what the channel may sell at that moment (available after
// its static, percent and dynamic buffers and protected units), and so every location's
// promises stay within on_hand minus the buffer that applied when each was made.
RC_GTEST_PROP(LedgerProperties, PromisesNeverExceedWhatTheChannelMaySell, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(*rc::gen::inRange(1, 80), gen_step());
  SellableRule rule;
  rule.buffer_units = *rc::gen::inRange<int64_t>(0, 5);
  rule.buffer_percent = *rc::gen::inRange<int64_t>(0, 50);
  rule.sync_latency_seconds = *rc::gen::element<int64_t>(0, 3600, 86400);
  rule.protected_units = *rc::gen::inRange<int64_t>(0, 3);
  Harness h;
  h.start();
  for (const Step& step : steps) {
    if (step.kind == Step::fact) {
      h.apply(step.event);
    } else if (step.kind == Step::reserve) {
      const auto before = h.snapshot();
      const auto it = before.find({step.sku, step.location});
      const Position position = it == before.end() ? Position{} : it->second;
      const int64_t may_sell = sellable(position, rule, h.clock().now());
      ReserveRequest request{step.sku,
                             "web",
                             {ReserveCandidate(step.location, rule)},
                             step.quantity,
                             std::chrono::seconds{60}};
      const ReserveResult result = reserve_blocking(h.engine(), request);
      RC_ASSERT((result.status == ReserveStatus::ok) == (step.quantity <= may_sell));
      if (result.status == ReserveStatus::ok) {
        const Position after = h.snapshot().at({step.sku, step.location});
        // What was promised now fits inside on_hand minus the buffer that applied.
        RC_ASSERT(after.reserved + after.allocated <=
                  position.on_hand - buffer_for(position, rule, h.clock().now()).applied -
                      rule.protected_units);
        RC_ASSERT(available(after) >= 0);
      } else {
        RC_ASSERT(result.status == ReserveStatus::insufficient_stock);
        RC_ASSERT(result.available == may_sell);
      }
    } else if (step.kind == Step::advance) {
      h.clock().advance(std::chrono::seconds{step.seconds});
    }
  }
  h.finish();
}

}  // namespace
}  // namespace stockd
