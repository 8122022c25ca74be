// JSON forms of events, results, positions and reservations (Boost.JSON), shared by
// the CLI and the HTTP API. Parsing is strict: wrong types, unknown fields and
// out-of-range numbers are rejected with the field they concern, never guessed at.
#pragma once

#include <boost/json/fwd.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/event.hpp"
#include "engine/engine.hpp"

namespace stockd {

struct ParsedEvent {
  Event event;
  EventError error = EventError::none;  // none when `event` is ready for the engine
  std::string error_field;
  std::string detail;  // a sentence for people, with the parse problem
};

ParsedEvent parse_event(const boost::json::value& json);
// One line of NDJSON (or any JSON text holding one event).
ParsedEvent parse_event_text(std::string_view text);

// Submits parsed events: the ones that failed to parse are answered here, the rest go
// to the engine; `done` gets one result per input, in input order.
void submit_parsed_events(Engine& engine, std::vector<ParsedEvent> parsed,
                          std::function<void(std::vector<EventResult>)> done);

boost::json::object event_result_json(const EventResult& result);
boost::json::object position_json(const PositionView& view);
boost::json::object stock_json(const StockView& view);
boost::json::object reservation_json(const Reservation& reservation);
boost::json::array anomalies_json(uint32_t anomalies);

}  // namespace stockd
