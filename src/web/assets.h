#pragma once
// The dashboard, built from web-ui/ and compiled into the binary.
#include <optional>
#include <string_view>

namespace web {

struct Asset {
  std::string_view data;
  std::string_view content_type;
};

// "" and "index.html" give the dashboard page; nullopt for unknown paths.
std::optional<Asset> FindAsset(std::string_view path);

}  // namespace web
