// Cluster mode's messages (docs/SCALING.md): the commands appended to the commands topic
// (one partition's work each) and the replies the applying node sends back to the node
// that proposed them. Binary (base/bytes.hpp), led by a format byte; decoding is strict:
// anything malformed, out of range or trailing is refused, never guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace stockd {

enum class CommandKind : uint8_t {
  events = 1,            // facts, all of one partition
  reserve = 2,           // a hold on one SKU
  end_reservation = 3,   // commit, release
  tick = 4,              // the owner's clock: expires holds due by `at`
  read_stock = 5,        // a read for a node that does not own the partition
  read_reservation = 6,  // the same for a hold
};
std::string_view command_kind_name(CommandKind kind);

struct ClusterCommand {
  CommandKind kind = CommandKind::tick;
  std::string id;       // "<node>-<run>-<sequence>": the proposal the reply answers ("" for ticks)
  uint32_t origin = 0;  // the proposing node (where the reply goes)
  Timestamp at{};       // the proposer's clock (the partition's time never goes back)
  std::vector<Event> events;                         // events
  ReserveRequest reserve;                            // reserve
  std::string reservation_id;                        // end_reservation, read_reservation
  ReservationState to = ReservationState::released;  // end_reservation
  std::string order_id;                              // end_reservation (commit)
  std::string principal;                             // end_reservation
  std::string sku;                                   // read_stock
};

std::string encode_command(const ClusterCommand& command);
std::optional<ClusterCommand> decode_command(std::string_view bytes);

// The partition a command belongs to: its SKU's (events: every event's, which must agree),
// or its reservation's; nullopt when it names none or several.
std::optional<uint32_t> partition_of(const ClusterCommand& command, uint32_t partitions);
inline uint32_t partition_of_sku(std::string_view sku, uint32_t partitions) {
  return Engine::slot_of(sku) % partitions;
}
// A hold's partition (its id carries its SKU's slot); nullopt for a malformed id.
inline std::optional<uint32_t> partition_of_reservation(std::string_view id, uint32_t partitions) {
  const std::optional<uint32_t> slot = Engine::slot_of_reservation(id);
  if (!slot) return std::nullopt;
  return *slot % partitions;
}

struct ClusterReply {
  std::string command_id;
  CommandKind kind = CommandKind::events;
  std::vector<EventResult> events;  // events
  ReserveResult reserve;            // reserve, end_reservation, read_reservation
  StockView stock;                  // read_stock
};

std::string encode_reply(const ClusterReply& reply);
std::optional<ClusterReply> decode_reply(std::string_view bytes);

// A configuration change on the configuration topic (one partition, applied by every node
// in its order).
struct ConfigChange {
  std::string command_id;  // "<node>-<run>-<sequence>": the proposal it answers
  uint32_t origin = 0;
  ConfigKind kind = ConfigKind::location;
  std::string entry_id;
  std::string bytes;  // the entry's stored encoding; empty = removed
};

std::string encode_config_change(const ConfigChange& change);
std::optional<ConfigChange> decode_config_change(std::string_view bytes);

}  // namespace stockd
