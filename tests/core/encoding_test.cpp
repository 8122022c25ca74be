#include "core/encoding.hpp"

#include <gtest/gtest.h>

#include "core/ledger.hpp"
#include "core/outbox.hpp"
#include "core/test_support.hpp"

namespace stockd {
namespace {

TEST(Encoding, PositionRoundTrips) {
  Position p;
  p.on_hand = -5;
  p.reserved = 2;
  p.allocated = 3;
  p.in_transit = 4;
  p.incoming = 5;
  p.damaged = 6;
  p.quarantine = 7;
  p.non_sellable = 8;
  p.version = 99;
  p.last_event_at = testing::at("2026-11-27T10:00:00.123456Z");
  p.last_set = LastSet{"wms", 100, testing::at("2026-11-27T09:00:00Z")};
  EXPECT_EQ(decode_position(encode_position(p)), p);
  p.last_set.reset();
  EXPECT_EQ(decode_position(encode_position(p)), p);
  // With a demand model: every double comes back bit for bit.
  for (int day = 0; day < 40; ++day) {
    observe_demand(p.demand, 1 + day % 5,
                   testing::at("2026-10-01T12:00:00Z") + std::chrono::hours(24 * day));
  }
  ASSERT_GT(p.demand.days_closed, 30);
  const std::string bytes = encode_position(p);
  EXPECT_EQ(decode_position(bytes), p);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_position(std::string_view(bytes).substr(0, cut)).has_value()) << cut;
  }
}

TEST(Encoding, TruncatedOrTrailingBytesAreRefused) {
  const std::string bytes = encode_position(Position{});
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_position(bytes.substr(0, cut)).has_value()) << cut;
  }
  EXPECT_FALSE(decode_position(bytes + "x").has_value());
}

TEST(Encoding, CatalogEntriesRoundTrip) {
  Location location{"S1", LocationType::store, "Berlin", 52.5, 13.4, 2, 650, 2, 24, 40, 2, true};
  EXPECT_EQ(decode_location(encode_location(location)), location);
  // Written before order routing (no radius, handling days or damaged flag): the defaults.
  const std::string current = encode_location(location);
  const std::optional<Location> older =
      decode_location(std::string_view(current).substr(0, current.size() - 17));
  ASSERT_TRUE(older.has_value());
  EXPECT_EQ(older->ship_radius_km, 0);
  EXPECT_EQ(older->handling_days, 1);
  EXPECT_FALSE(older->accepts_damaged);
  EXPECT_EQ(older->count_sla_hours, 24);
  Source source{"wms", 100};
  EXPECT_EQ(decode_source(encode_source(source)), source);
  Channel channel;
  channel.id = "web";
  channel.locations = {{"W1", 1}, {"S1", 2}};
  channel.buffer_units = 2;
  channel.pickup = true;
  channel.sku_limits = {{"HOT-1", 1, 2}};
  EXPECT_EQ(decode_channel(encode_channel(channel)), channel);
  const Bundle kit{"KIT", {{"CAM", 1}, {"BAT", 2}}};
  EXPECT_EQ(decode_bundle(encode_bundle(kit)), kit);
}

TEST(Encoding, ReservationAndIdempotencyEntryRoundTrip) {
  Reservation r;
  r.id = "r0001-00000000000000ff";
  r.sku = "A";
  r.location = "W1";
  r.channel = "web";
  r.quantity = 3;
  r.state = ReservationState::committed;
  r.order_id = "o-1";
  EXPECT_EQ(decode_reservation(encode_reservation(r)), r);
  IdempotencyEntry entry{sha256("x"), testing::at("2026-11-27T10:00:00Z"), EventStatus::superseded,
                         7, 3};
  EXPECT_EQ(decode_idempotency_entry(encode_idempotency_entry(entry)), entry);
}

TEST(Encoding, RequestKeyEntryAndPurchaseOrderRoundTrip) {
  RequestKeyEntry entry;
  entry.fingerprint = sha256("POST /v1/reservations");
  entry.created_at = testing::at("2026-11-27T10:00:00Z");
  entry.status = ReserveStatus::insufficient_stock;
  entry.available = 4;
  entry.reservation.id = "r0001-00000000000000ff";
  entry.reservation.backorder = true;
  entry.reservation.promise_to = testing::at("2026-12-13T00:00:00Z");
  entry.version = 9;
  EXPECT_EQ(decode_request_key_entry(encode_request_key_entry(entry)), entry);
  PurchaseOrder po;
  po.id = "PO-1";
  po.vendor = "acme";
  po.sku = "A";
  po.location = "W1";
  po.quantity = 10;
  po.received = 3;
  po.promised = 2;
  po.expected_at = testing::at("2026-12-10T00:00:00Z");
  EXPECT_EQ(decode_purchase_order(encode_purchase_order(po)), po);
}

TEST(Ledger, RecordRoundTripsAndItsHashCoversEveryField) {
  LedgerRecord record;
  record.stream = 1;
  record.sequence = 42;
  record.received_at = testing::at("2026-11-27T10:00:00Z");
  record.sku = "A";
  record.event = testing::event(EventType::transfer_out, 3);
  record.deltas = {{"W1", Bucket::on_hand, -3}, {"W2", Bucket::in_transit, 3}};
  record.versions = {{"W1", 5}, {"W2", 1}};
  record.prev_hash = sha256("previous");
  record.hash = chain_hash(record.prev_hash, record);
  const auto decoded = decode_ledger_record(encode_ledger_record(record));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, record);

  LedgerRecord changed = record;
  changed.event.quantity = 4;
  EXPECT_NE(chain_hash(record.prev_hash, changed), record.hash);
  changed = record;
  changed.deltas[1].delta = 4;
  EXPECT_NE(chain_hash(record.prev_hash, changed), record.hash);
  EXPECT_NE(chain_hash(sha256("other"), record), record.hash);
}

TEST(Ledger, AttributedRecordsKeepWhoAndWhyUnderTheHashAndOldOnesKeepTheirBytes) {
  LedgerRecord record;
  record.stream = 0;
  record.sequence = 7;
  record.received_at = testing::at("2026-11-27T10:00:00Z");
  record.sku = "A";
  record.event = testing::event(EventType::receipt, 3);
  record.status = EventStatus::rejected;
  record.error = EventError::unknown_location;
  record.principal = "0123456789abcdef";
  record.hash = chain_hash(record.prev_hash, record);
  const auto decoded = decode_ledger_record(encode_ledger_record(record));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, record);
  LedgerRecord changed = record;
  changed.principal = "someone-else";
  EXPECT_NE(chain_hash(record.prev_hash, changed), record.hash);
  // Without a principal or an error the record is format 1, byte for byte as before.
  LedgerRecord plain = record;
  plain.principal.clear();
  plain.error = EventError::none;
  plain.status = EventStatus::applied;
  EXPECT_EQ(canonical_bytes(plain)[0], 1);
  EXPECT_EQ(canonical_bytes(record)[0], 2);
}

TEST(PayloadHash, DiffersWhenAnyFieldDiffers) {
  const Event e = testing::event(EventType::sale, 1);
  Event other = e;
  other.quantity = 2;
  EXPECT_NE(event_payload_hash(e), event_payload_hash(other));
  other = e;
  other.reference = "x";
  EXPECT_NE(event_payload_hash(e), event_payload_hash(other));
  EXPECT_EQ(event_payload_hash(e), event_payload_hash(Event(e)));
}

}  // namespace
}  // namespace stockd

namespace stockd {
namespace {

TEST(OutboxCursors, RoundTripAndRefuseAnythingElse) {
  EXPECT_EQ(encode_outbox_cursors({12, 0, 7}), "12,0,7");
  EXPECT_EQ(decode_outbox_cursors("12,0,7", 3), (std::vector<uint64_t>{12, 0, 7}));
  EXPECT_FALSE(decode_outbox_cursors("12,0,7", 2));  // the shard count changed
  EXPECT_FALSE(decode_outbox_cursors("12,x,7", 3));
  EXPECT_FALSE(decode_outbox_cursors("12,,7", 3));
  EXPECT_FALSE(decode_outbox_cursors("-1", 1));
}

}  // namespace
}  // namespace stockd
