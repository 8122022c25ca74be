#include "codec/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace stockd {
namespace {

ParsedEvent parse(const char* text) { return parse_event_text(text); }

TEST(ParseEvent, ReadsEveryField) {
  const ParsedEvent p = parse(
      R"({"id":"e1","source":"wms","type":"transfer_out","sku":"A","location":"W1","quantity":3,)"
      R"("occurred_at":"2026-11-27T10:00:00Z","reason":"r","reference":"ref","to_location":"W2"})");
  ASSERT_EQ(p.error, EventError::none) << p.detail;
  EXPECT_EQ(p.event.id, "e1");
  EXPECT_EQ(p.event.type, EventType::transfer_out);
  EXPECT_EQ(p.event.quantity, 3);
  EXPECT_EQ(p.event.to_location, "W2");
  EXPECT_EQ(p.event.reference, "ref");
}

struct BadInput {
  const char* text;
  EventError error;
  const char* field;
};

class ParseEventRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(ParseEventRejects, WithTheFieldItConcerns) {
  const ParsedEvent p = parse(GetParam().text);
  EXPECT_EQ(event_error_name(p.error), event_error_name(GetParam().error)) << GetParam().text;
  EXPECT_EQ(p.error_field, GetParam().field);
  EXPECT_FALSE(p.detail.empty());
}

constexpr char kTail[] = R"("sku":"A","location":"W1","occurred_at":"2026-11-27T10:00:00Z")";

INSTANTIATE_TEST_SUITE_P(
    Inputs, ParseEventRejects,
    ::testing::Values(
        BadInput{"not json", EventError::malformed, ""},
        BadInput{"[1,2]", EventError::malformed, ""},
        BadInput{R"({"id":1})", EventError::malformed, "id"},
        BadInput{R"({"id":"a","type":"teleport","quantity":1})", EventError::unknown_event_type,
                 "type"},
        BadInput{R"({"id":"a","type":"sale","quantity":1.5})", EventError::malformed, "quantity"},
        BadInput{R"({"id":"a","type":"sale","quantity":"1"})", EventError::malformed, "quantity"},
        BadInput{R"({"id":"a","type":"sale","quantity":18446744073709551615})",
                 EventError::quantity_out_of_range, "quantity"},
        BadInput{R"({"id":"a","type":"sale","quantity":1,"occurred_at":"yesterday"})",
                 EventError::invalid_occurred_at, "occurred_at"},
        BadInput{R"({"id":"a","type":"sale","quantity":1,"occurred_at":12})",
                 EventError::invalid_occurred_at, "occurred_at"},
        BadInput{R"({"id":"a","type":"sale","quantity":1,"extra":true})",
                 EventError::unexpected_field, "extra"},
        BadInput{R"({"id":"a","quantity":1,"occurred_at":"2026-11-27T10:00:00Z"})",
                 EventError::unknown_event_type, "type"},
        BadInput{R"({"id":"a","type":"sale","occurred_at":"2026-11-27T10:00:00Z"})",
                 EventError::quantity_out_of_range, "quantity"},
        BadInput{R"({"id":"a","type":"sale","quantity":1})", EventError::missing_occurred_at,
                 "occurred_at"}),
    [](const ::testing::TestParamInfo<BadInput>& info) {
      return "case_" + std::to_string(info.index);
    });

TEST(ParseEvent, KeepsTheIdOfARejectedEvent) {
  EXPECT_EQ(parse(R"({"id":"keep-me","type":"nope"})").event.id, "keep-me");
}

TEST(ParseEvent, RefusesDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_EQ(parse(deep.c_str()).error, EventError::malformed);
}

TEST(ResultJson, ShowsErrorsAndAnomalies) {
  EventResult rejected;
  rejected.id = "e1";
  rejected.status = EventStatus::rejected;
  rejected.error = EventError::unknown_location;
  rejected.error_field = "location";
  EXPECT_EQ(boost::json::serialize(event_result_json(rejected)),
            R"({"id":"e1","status":"rejected","error":"unknown_location","field":"location"})");
  EventResult applied;
  applied.id = "e2";
  applied.status = EventStatus::applied;
  applied.version = 3;
  applied.anomalies = static_cast<uint32_t>(Anomaly::negative_on_hand);
  EXPECT_EQ(boost::json::serialize(event_result_json(applied)),
            R"({"id":"e2","status":"applied","version":3,"anomalies":["negative_on_hand"]})");
}

}  // namespace
}  // namespace stockd
