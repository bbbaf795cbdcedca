#pragma once
// The dashboard, built from web-ui/ and compiled into the binary, with how each file is served.
#include <optional>
#include <string_view>

namespace web {

struct Asset {
  std::string_view data;
  std::string_view content_type;
  // "public, max-age=31536000, immutable" for the hashed files under assets/ (a new build has
  // new names); "no-cache" for the page, so a new binary's page is fetched on the next load.
  std::string_view cache_control;
  // The page's Content-Security-Policy: scripts, styles and requests from this origin only, no
  // inline script, never framed. "" for the other files (they are not documents).
  std::string_view content_security_policy;
};

// "" and "index.html" give the dashboard page; nullopt for unknown paths.
std::optional<Asset> FindAsset(std::string_view path);

}  // namespace web
