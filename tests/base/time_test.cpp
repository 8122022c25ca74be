#include "base/time.hpp"

#include <gtest/gtest.h>

#include "base/bytes.hpp"
#include "base/sha256.hpp"

namespace stockd {
namespace {

TEST(Rfc3339, ParsesAndFormats) {
  const auto at = parse_rfc3339("2026-11-27T10:15:02.120Z");
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(format_rfc3339(*at), "2026-11-27T10:15:02.120Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-27T10:15:02.000001Z")),
            "2026-11-27T10:15:02.000001Z");
  EXPECT_EQ(parse_rfc3339("2026-11-27T11:15:02.120+01:00"), at);
  EXPECT_EQ(parse_rfc3339("2026-11-27T09:15:02.120-01:00"), at);
  EXPECT_EQ(micros_of(*parse_rfc3339("1970-01-01T00:00:01Z")), 1'000'000);
}

TEST(Rfc3339, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "2026-11-27", "2026-11-27T10:15:02", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-27T25:00:00Z", "2026-11-27T10:15:02.Z",
                          "2026-11-27T10:15:02Zjunk", "yesterday", "2026-11-27T10:15:02+1:00"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(Duration, Parses) {
  EXPECT_EQ(parse_duration("90d"), std::chrono::hours{90 * 24});
  EXPECT_EQ(parse_duration("15m"), std::chrono::minutes{15});
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds{250});
  EXPECT_FALSE(parse_duration("ten").has_value());
  EXPECT_FALSE(parse_duration("10y").has_value());
}

TEST(ManualClock, OnlyMovesWhenTold) {
  ManualClock clock(timestamp_from_micros(1000));
  EXPECT_EQ(micros_of(clock.now()), 1000);
  clock.advance(std::chrono::seconds{1});
  EXPECT_EQ(micros_of(clock.now()), 1'001'000);
}

TEST(Bytes, RoundTripAndShortInput) {
  ByteWriter out;
  out.u8(7);
  out.u32(0xdeadbeef);
  out.i64(-42);
  out.str("hello");
  ByteReader in(out.bytes());
  EXPECT_EQ(in.u8(), 7);
  EXPECT_EQ(in.u32(), 0xdeadbeefu);
  EXPECT_EQ(in.i64(), -42);
  EXPECT_EQ(in.str(), "hello");
  EXPECT_TRUE(in.ok());
  EXPECT_TRUE(in.at_end());
  ByteReader short_in(std::string_view(out.bytes()).substr(0, 3));
  short_in.u32();
  EXPECT_FALSE(short_in.ok());
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("ab", "c"), sha256("abc"));
}

}  // namespace
}  // namespace stockd
