#include "web/assets.h"

#include <doctest/doctest.h>

#include <span>
#include <string>

#include "core/embedded.h"

namespace web_assets {
std::span<const core::EmbeddedFile> Files();
}  // namespace web_assets

TEST_CASE("the page is the built dashboard: no-cache, with a CSP that allows no inline script") {
  auto page = web::FindAsset("");
  REQUIRE(page.has_value());
  CHECK(page->content_type == "text/html; charset=utf-8");
  CHECK(page->cache_control == "no-cache");
  const std::string_view policy = page->content_security_policy;
  CHECK(policy.find("script-src 'self';") != std::string_view::npos);
  // Inline styles only (the template preview); never inline or evaluated script.
  CHECK(policy.find("style-src 'self' 'unsafe-inline';") != std::string_view::npos);
  CHECK(policy.find("'unsafe-inline'") == policy.rfind("'unsafe-inline'"));
  CHECK(policy.find("unsafe-eval") == std::string_view::npos);
  CHECK(policy.find("frame-ancestors 'none'") != std::string_view::npos);
  CHECK(page->data.find("<script defer src=\"assets/app-") != std::string_view::npos);
  auto same = web::FindAsset("index.html");
  REQUIRE(same.has_value());
  CHECK(same->data == page->data);
}

TEST_CASE("hashed assets are immutable for a year and carry no CSP; unknown paths are absent") {
  int scripts = 0;
  int styles = 0;
  for (const core::EmbeddedFile& file : web_assets::Files()) {
    if (!file.path.starts_with("assets/")) continue;
    auto asset = web::FindAsset(file.path);
    REQUIRE(asset.has_value());
    CHECK(asset->cache_control == "public, max-age=31536000, immutable");
    CHECK(asset->content_security_policy.empty());
    if (file.path.ends_with(".js")) {
      ++scripts;
      CHECK(asset->content_type == "text/javascript; charset=utf-8");
    }
    if (file.path.ends_with(".css")) {
      ++styles;
      CHECK(asset->content_type == "text/css; charset=utf-8");
    }
  }
  CHECK(scripts == 1);
  CHECK(styles == 1);
  CHECK_FALSE(web::FindAsset("assets/app-unknown.js").has_value());
  CHECK_FALSE(web::FindAsset("../index.html").has_value());
}
