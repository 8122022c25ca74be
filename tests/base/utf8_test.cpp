#include "base/utf8.hpp"

#include <gtest/gtest.h>

namespace stockd {
namespace {

TEST(Utf8Test, WellFormedTextIsKeptAsItIs) {
  for (const std::string text :
       {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x93\xA6", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(is_valid_utf8(text)) << text;
    EXPECT_EQ(valid_utf8(text), text);
  }
}

TEST(Utf8Test, EveryIllFormedByteBecomesAReplacementCharacter) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("/v1/\xFF"
                       "a"),
            "/v1/" + fffd + "a");                                        // never a lead
  EXPECT_EQ(valid_utf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), fffd + fffd + fffd);             // overlong
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
  EXPECT_EQ(valid_utf8("ab\xE2\x82"), "ab" + fffd + fffd);               // cut short
  EXPECT_EQ(valid_utf8("\x80"
                       "caf\xC3\xA9"),
            fffd + "caf\xC3\xA9");  // stray continuation
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_TRUE(is_valid_utf8(valid_utf8("\xC3\x28\xA0\xA1\xE2\x28\xA1")));
}

}  // namespace
}  // namespace stockd
