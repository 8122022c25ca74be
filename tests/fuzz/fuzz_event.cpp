// An event as a client sends it (JSON): parsed strictly, validated against a catalog,
// and, when valid, decided and applied to a position. Nothing may crash or assert.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codec/json.hpp"
#include "core/encoding.hpp"
#include "core/event_rules.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Catalog catalog = [] {
    Catalog c;
    for (const char* id : {"W1", "W2", "S1"}) {
      Location location;
      location.id = id;
      c.put(location);
    }
    c.put(Source{"wms", 100});
    c.put(Source{"pos", 50});
    return c;
  }();
  const ParsedEvent parsed =
      parse_event_text(std::string_view(reinterpret_cast<const char*>(data), size));
  if (parsed.error != EventError::none) return 0;
  if (!validate_event(parsed.event, catalog).ok()) return 0;
  (void)canonical_event_bytes(parsed.event);
  Position here;
  here.on_hand = 5;
  Position there;
  const Timestamp now = parsed.event.occurred_at;
  const EventDecision decision = decide_event(parsed.event, 100, here, there, now, RuleOptions{});
  apply_event(parsed.event, 100, decision, here,
              parsed.event.type == EventType::transfer_out ? &there : nullptr);
  return 0;
}
