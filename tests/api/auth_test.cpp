#include "api/auth.hpp"

#include <gtest/gtest.h>

#include "engine/engine_fixture.hpp"

namespace stockd {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RocksStoreOptions options;
    options.data_dir = dir_.path();
    std::string error;
    store_ = RocksStore::open(options, &error);
    ASSERT_TRUE(store_) << error;
  }
  testing::TempDir dir_;
  ManualClock clock_{timestamp_from_micros(1'800'000'000'000'000)};
  std::unique_ptr<RocksStore> store_;
};

TEST_F(AuthTest, ScopesParseAndPrint) {
  EXPECT_EQ(parse_scopes("stock:read,events:write"), scope_stock_read | scope_events_write);
  EXPECT_FALSE(parse_scopes("stock:read,root").has_value());
  EXPECT_FALSE(parse_scopes("").has_value());
  EXPECT_EQ(scopes_text(scope_admin | scope_stock_read), "stock:read,admin");
}

TEST_F(AuthTest, ATokenAuthenticatesWithItsScopesAndSurvivesReload) {
  TokenStore tokens(*store_, clock_);
  ASSERT_TRUE(tokens.load().is_ok());
  TokenInfo info;
  const std::string token = tokens.create("wms", scope_events_write, std::nullopt, &info);
  const auto principal = tokens.authenticate(token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->token_id, info.id);
  EXPECT_TRUE(principal->has(scope_events_write));
  EXPECT_FALSE(principal->has(scope_stock_read));

  TokenStore reloaded(*store_, clock_);
  ASSERT_TRUE(reloaded.load().is_ok());
  EXPECT_TRUE(reloaded.authenticate(token).has_value());
  ASSERT_EQ(reloaded.list().size(), 1u);
  EXPECT_NE(reloaded.list()[0].secret_hash, Sha256Digest{});  // only the hash is kept
}

TEST_F(AuthTest, WrongSecretsRevokedAndExpiredTokensAreRefused) {
  TokenStore tokens(*store_, clock_);
  const std::string token = tokens.create("a", scope_stock_read, std::chrono::hours{1});
  std::string tampered = token;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(tokens.authenticate(tampered).has_value());
  EXPECT_FALSE(tokens.authenticate("stk_").has_value());
  EXPECT_FALSE(tokens.authenticate("").has_value());
  EXPECT_TRUE(tokens.authenticate(token).has_value());
  clock_.advance(std::chrono::hours{2});
  EXPECT_FALSE(tokens.authenticate(token).has_value());

  const std::string other = tokens.create("b", scope_stock_read, std::nullopt);
  TokenInfo info;
  tokens.create("c", scope_stock_read, std::nullopt, &info);
  ASSERT_TRUE(tokens.revoke(other.substr(4, 16)).is_ok());
  EXPECT_FALSE(tokens.authenticate(other).has_value());
  EXPECT_FALSE(tokens.revoke("missing").is_ok());
}

TEST_F(AuthTest, RestrictionsSurviveReloadAndRotationOverlapsThenExpires) {
  TokenStore tokens(*store_, clock_);
  ASSERT_TRUE(tokens.load().is_ok());
  TokenRestrictions pos{PrincipalKind::source, "pos", {"S1"}, {}};
  TokenInfo info;
  const std::string old_token =
      tokens.create("berlin-pos", scope_events_write, std::nullopt, &info, pos);
  const auto principal = tokens.authenticate(old_token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_TRUE(principal->may_write_at("S1"));
  EXPECT_FALSE(principal->may_write_at("W1"));
  EXPECT_TRUE(principal->may_use_channel("anything"));
  EXPECT_TRUE(principal->is(PrincipalKind::source));

  TokenInfo fresh;
  std::string error;
  const std::string new_token = tokens.rotate(info.id, std::chrono::hours{1}, &fresh, &error);
  ASSERT_FALSE(new_token.empty()) << error;
  EXPECT_EQ(fresh.restrictions, pos);
  EXPECT_EQ(fresh.rotated_from, info.id);
  EXPECT_TRUE(tokens.rotate(info.id, std::chrono::hours{1}, &fresh, &error).empty());  // once
  clock_.advance(std::chrono::minutes{59});
  EXPECT_TRUE(tokens.authenticate(old_token).has_value());  // the overlap
  EXPECT_TRUE(tokens.authenticate(new_token).has_value());
  tokens.persist_last_use();
  clock_.advance(std::chrono::minutes{2});
  EXPECT_FALSE(tokens.authenticate(old_token).has_value());  // grace over
  // Everything survives a reload, last use included.
  TokenStore reloaded(*store_, clock_);
  ASSERT_TRUE(reloaded.load().is_ok());
  const auto again = reloaded.authenticate(new_token);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->restrictions, pos);
  const auto old_info = reloaded.find(info.id);
  ASSERT_TRUE(old_info.has_value());
  EXPECT_EQ(old_info->rotated_to, fresh.id);
  EXPECT_NE(micros_of(old_info->last_used_at), 0);
}

TEST_F(AuthTest, TheSeededAdminTokenHasEveryScope) {
  TokenStore tokens(*store_, clock_);
  tokens.seed_admin("from-the-environment");
  const auto principal = tokens.authenticate("from-the-environment");
  ASSERT_TRUE(principal.has_value());
  EXPECT_TRUE(principal->has(scope_admin));
  EXPECT_TRUE(principal->has(scope_orders_write));
  EXPECT_FALSE(tokens.authenticate("from-the-environmenT").has_value());
  EXPECT_TRUE(tokens.list().empty());  // never stored
}

}  // namespace
}  // namespace stockd
