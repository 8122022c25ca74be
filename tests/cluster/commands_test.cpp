#include "cluster/commands.hpp"

#include <gtest/gtest.h>

#include "core/test_support.hpp"

namespace stockd {
namespace {

using testing::at;

constexpr uint32_t kPartitions = 6;

ClusterCommand events_command() {
  ClusterCommand command;
  command.kind = CommandKind::events;
  command.id = "2-17";
  command.origin = 2;
  command.at = at("2026-11-27T10:00:00.123456Z");
  Event first = testing::event(EventType::transfer_out, 3);
  first.id = "e-1";
  first.sku = "TEE-RED-M";
  first.location = "W1";
  first.to_location = "S1";
  first.reason = "rebalance";
  first.if_version = 7;
  first.principal = "tok-1";
  Event second = first;
  second.id = "e-2";
  second.type = EventType::count;
  second.if_version.reset();
  second.condition = "resellable";
  command.events = {first, second};
  return command;
}

ClusterCommand reserve_command() {
  ClusterCommand command;
  command.kind = CommandKind::reserve;
  command.id = "0-1";
  command.at = at("2026-11-27T10:00:01Z");
  command.reserve.sku = "TEE-RED-M";
  command.reserve.channel = "web";
  command.reserve.candidates.emplace_back("W1", SellableRule{2, 10, 60, 1, 24, 1.5});
  command.reserve.candidates.emplace_back("S1");
  command.reserve.quantity = 4;
  command.reserve.ttl = std::chrono::seconds{900};
  command.reserve.request_key = "tok-1\nkey-9";
  command.reserve.request_fingerprint[0] = 0xab;
  command.reserve.request_fingerprint[31] = 0x01;
  command.reserve.principal = "tok-1";
  command.reserve.backorder = true;
  return command;
}

void expect_same(const ClusterCommand& a, const ClusterCommand& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.reserve.sku, b.reserve.sku);
  EXPECT_EQ(a.reserve.channel, b.reserve.channel);
  ASSERT_EQ(a.reserve.candidates.size(), b.reserve.candidates.size());
  for (size_t i = 0; i < a.reserve.candidates.size(); ++i) {
    EXPECT_EQ(a.reserve.candidates[i].location, b.reserve.candidates[i].location);
    EXPECT_EQ(a.reserve.candidates[i].rule.buffer_units, b.reserve.candidates[i].rule.buffer_units);
    EXPECT_EQ(a.reserve.candidates[i].rule.demand_factor,
              b.reserve.candidates[i].rule.demand_factor);
    EXPECT_EQ(a.reserve.candidates[i].rule.count_sla_hours,
              b.reserve.candidates[i].rule.count_sla_hours);
  }
  EXPECT_EQ(a.reserve.quantity, b.reserve.quantity);
  EXPECT_EQ(a.reserve.ttl, b.reserve.ttl);
  EXPECT_EQ(a.reserve.request_key, b.reserve.request_key);
  EXPECT_EQ(a.reserve.request_fingerprint, b.reserve.request_fingerprint);
  EXPECT_EQ(a.reserve.principal, b.reserve.principal);
  EXPECT_EQ(a.reserve.backorder, b.reserve.backorder);
  EXPECT_EQ(a.reserve.prefer_safest, b.reserve.prefer_safest);
  EXPECT_EQ(a.reservation_id, b.reservation_id);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.order_id, b.order_id);
  EXPECT_EQ(a.principal, b.principal);
  EXPECT_EQ(a.sku, b.sku);
}

TEST(ClusterCommandsTest, EveryKindRoundTrips) {
  ClusterCommand end;
  end.kind = CommandKind::end_reservation;
  end.id = "1-5";
  end.reservation_id = "r00a1-0123456789abcdef";
  end.to = ReservationState::committed;
  end.order_id = "order-7";
  end.principal = "tok-2";
  ClusterCommand tick;
  tick.kind = CommandKind::tick;
  tick.at = at("2026-11-27T10:00:02Z");
  ClusterCommand read;
  read.kind = CommandKind::read_stock;
  read.id = "1-6";
  read.sku = "TEE-RED-M";
  for (const ClusterCommand& command : {events_command(), reserve_command(), end, tick, read}) {
    const std::optional<ClusterCommand> decoded = decode_command(encode_command(command));
    ASSERT_TRUE(decoded) << command_kind_name(command.kind);
    expect_same(command, *decoded);
  }
}

TEST(ClusterCommandsTest, AnythingShortTrailingOrOutOfRangeIsRefused) {
  for (const ClusterCommand& command : {events_command(), reserve_command()}) {
    const std::string bytes = encode_command(command);
    for (size_t length = 0; length < bytes.size(); ++length) {
      EXPECT_FALSE(decode_command(bytes.substr(0, length))) << length;
    }
    EXPECT_FALSE(decode_command(bytes + '\0'));
    std::string other_format = bytes;
    other_format[0] = 9;
    EXPECT_FALSE(decode_command(other_format));
    std::string unknown_kind = bytes;
    unknown_kind[1] = 77;
    EXPECT_FALSE(decode_command(unknown_kind));
  }
  ClusterCommand end;
  end.kind = CommandKind::end_reservation;
  end.reservation_id = "r00a1-0123456789abcdef";
  std::string bytes = encode_command(end);
  // The target state is the byte after the id: "active" is no way to end a hold.
  const size_t state_at = bytes.size() - 4 - 4 - 1;
  ASSERT_EQ(static_cast<uint8_t>(bytes[state_at]), uint8_t(ReservationState::released));
  bytes[state_at] = static_cast<char>(ReservationState::active);
  EXPECT_FALSE(decode_command(bytes));
  ClusterCommand empty;
  empty.kind = CommandKind::events;
  EXPECT_FALSE(decode_command(encode_command(empty)));  // a command of no events
}

TEST(ClusterCommandsTest, ACommandBelongsToItsSkusOrItsReservationsPartition) {
  ClusterCommand command = events_command();
  const uint32_t partition = partition_of_sku("TEE-RED-M", kPartitions);
  EXPECT_EQ(partition_of(command, kPartitions), partition);
  std::string other = "X";
  while (partition_of_sku(other, kPartitions) == partition) other += "X";
  command.events[1].sku = other;
  EXPECT_FALSE(partition_of(command, kPartitions));  // facts of two partitions in one command
  ClusterCommand end;
  end.kind = CommandKind::end_reservation;
  end.reservation_id = "r0007-0123456789abcdef";  // slot 7
  EXPECT_EQ(partition_of(end, kPartitions), 7u % kPartitions);
  end.reservation_id = "not-a-hold";
  EXPECT_FALSE(partition_of(end, kPartitions));
  ClusterCommand tick;
  tick.kind = CommandKind::tick;
  EXPECT_FALSE(partition_of(tick, kPartitions));  // a tick is for whichever partition carries it
}

TEST(ClusterCommandsTest, ConfigurationChangesRoundTripAndRefuseMalformedBytes) {
  ConfigChange change;
  change.command_id = "1-9";
  change.origin = 1;
  change.kind = ConfigKind::channel;
  change.entry_id = "web";
  change.bytes = "stored bytes";
  const std::string bytes = encode_config_change(change);
  const auto decoded = decode_config_change(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->command_id, "1-9");
  EXPECT_EQ(decoded->kind, ConfigKind::channel);
  EXPECT_EQ(decoded->entry_id, "web");
  EXPECT_EQ(decoded->bytes, "stored bytes");
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_config_change(bytes.substr(0, length))) << length;
  }
  EXPECT_FALSE(decode_config_change(bytes + 'x'));
  std::string unknown_kind = bytes;
  unknown_kind[1 + 4 + 3 + 4] = 'Z';  // format, id, origin, then the kind
  EXPECT_FALSE(decode_config_change(unknown_kind));
}

TEST(ClusterCommandsTest, RepliesRoundTripAndRefuseMalformedBytes) {
  ClusterReply events;
  events.command_id = "2-17";
  events.kind = CommandKind::events;
  EventResult applied;
  applied.id = "e-1";
  applied.status = EventStatus::applied;
  applied.version = 12;
  applied.anomalies = 3;
  applied.on_hand_delta = -3;
  EventResult rejected;
  rejected.id = "e-2";
  rejected.status = EventStatus::rejected;
  rejected.error = EventError::unknown_location;
  rejected.error_field = "location";
  events.events = {applied, rejected};
  const auto decoded = decode_reply(encode_reply(events));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->events.size(), 2u);
  EXPECT_EQ(decoded->events[0].version, 12u);
  EXPECT_EQ(decoded->events[0].on_hand_delta, -3);
  EXPECT_EQ(decoded->events[1].error, EventError::unknown_location);
  EXPECT_EQ(decoded->events[1].error_field, "location");

  ClusterReply held;
  held.command_id = "0-1";
  held.kind = CommandKind::reserve;
  held.reserve.status = ReserveStatus::ok;
  held.reserve.reservation.id = "r00a1-0123456789abcdef";
  held.reserve.reservation.sku = "TEE-RED-M";
  held.reserve.reservation.quantity = 4;
  held.reserve.reservation.expires_at = at("2026-11-27T10:15:01Z");
  held.reserve.version = 9;
  const auto decoded_hold = decode_reply(encode_reply(held));
  ASSERT_TRUE(decoded_hold);
  EXPECT_EQ(decoded_hold->reserve.reservation, held.reserve.reservation);
  EXPECT_EQ(decoded_hold->reserve.version, 9u);

  ClusterReply stock;
  stock.command_id = "1-6";
  stock.kind = CommandKind::read_stock;
  stock.stock.sku = "TEE-RED-M";
  PositionView view;
  view.location = "W1";
  view.position.on_hand = 40;
  view.position.reserved = 4;
  view.position.version = 12;
  stock.stock.positions = {view};
  const auto decoded_stock = decode_reply(encode_reply(stock));
  ASSERT_TRUE(decoded_stock);
  ASSERT_EQ(decoded_stock->stock.positions.size(), 1u);
  EXPECT_EQ(decoded_stock->stock.positions[0].position, view.position);

  for (const ClusterReply& reply : {events, held, stock}) {
    const std::string bytes = encode_reply(reply);
    for (size_t length = 0; length < bytes.size(); ++length) {
      EXPECT_FALSE(decode_reply(bytes.substr(0, length))) << length;
    }
    EXPECT_FALSE(decode_reply(bytes + 'x'));
  }
}

}  // namespace
}  // namespace stockd
