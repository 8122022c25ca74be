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

TEST(Catalog, BundlesAreMadeOfPlainDistinctSkus) {
  Catalog catalog;
  Bundle kit{"KIT", {{"CAM", 1}, {"BAT", 2}}};
  EXPECT_TRUE(catalog.check(kit).ok());
  catalog.put(kit);
  EXPECT_EQ(catalog.check(Bundle{"BIG", {{"KIT", 1}}}).error, ConfigError::invalid_component);
  EXPECT_EQ(catalog.check(Bundle{"SELF", {{"SELF", 1}}}).error, ConfigError::invalid_component);
  EXPECT_EQ(catalog.check(Bundle{"DUP", {{"A", 1}, {"A", 1}}}).error,
            ConfigError::invalid_component);
  EXPECT_EQ(catalog.check(Bundle{"CAM", {{"X", 1}}}).error, ConfigError::invalid_component);
  EXPECT_EQ(catalog.check(Bundle{"ZERO", {{"X", 0}}}).error, ConfigError::value_out_of_range);
  EXPECT_EQ(catalog.check(Bundle{"EMPTY", {}}).error, ConfigError::value_out_of_range);
  EXPECT_TRUE(catalog.remove_bundle("KIT"));
  EXPECT_EQ(catalog.find_bundle("KIT"), nullptr);
}

}  // namespace
}  // namespace stockd
