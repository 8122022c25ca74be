#include "core/catalog.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace stockd {
namespace {

TEST(Catalog, RefusesInvalidLocations) {
  Catalog catalog;
  Location location{"W1"};
  EXPECT_TRUE(catalog.check(location).ok());
  location.id = "W 1";
  EXPECT_EQ(catalog.check(location).error, ConfigError::invalid_id);
  location = Location{"W1"};
  location.lat = 91;
  EXPECT_EQ(catalog.check(location).error, ConfigError::invalid_coordinates);
  location.lat = NAN;
  EXPECT_EQ(catalog.check(location).error, ConfigError::invalid_coordinates);
  location = Location{"W1"};
  location.protected_min = -1;
  EXPECT_EQ(catalog.check(location).error, ConfigError::negative_value);
  EXPECT_EQ(catalog.check(location).field, "protected_min");
}

TEST(Catalog, ChannelsNameOnlyKnownLocationsOnce) {
  Catalog catalog;
  catalog.put(Location{"W1"});
  Channel channel;
  channel.id = "web";
  channel.locations = {{"W1", 1}};
  EXPECT_TRUE(catalog.check(channel).ok());
  channel.locations.push_back({"W2", 2});
  EXPECT_EQ(catalog.check(channel).error, ConfigError::unknown_location);
  channel.locations = {{"W1", 1}, {"W1", 2}};
  EXPECT_EQ(catalog.check(channel).error, ConfigError::duplicate_location);
  channel.locations = {{"W1", 1}};
  channel.buffer_percent = 101;
  EXPECT_EQ(catalog.check(channel).error, ConfigError::value_out_of_range);
  channel.buffer_percent = 0;
  channel.reservation_ttl_seconds = 0;
  EXPECT_EQ(catalog.check(channel).field, "reservation_ttl_seconds");
}

TEST(Catalog, PutReplacesAndRemoveForgets) {
  Catalog catalog;
  catalog.put(Source{"wms", 1});
  catalog.put(Source{"wms", 5});
  ASSERT_NE(catalog.find_source("wms"), nullptr);
  EXPECT_EQ(catalog.find_source("wms")->priority, 5);
  EXPECT_TRUE(catalog.remove_source("wms"));
  EXPECT_FALSE(catalog.remove_source("wms"));
  EXPECT_EQ(catalog.find_source("wms"), nullptr);
}

}  // namespace
}  // namespace stockd
