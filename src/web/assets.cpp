#include "web/assets.h"

#include "core/embedded.h"

namespace web_assets {
std::span<const core::EmbeddedFile> Files();
}  // namespace web_assets

namespace web {
namespace {

std::string_view ContentType(std::string_view path) {
  struct Type {
    std::string_view extension, content_type;
  };
  constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& type : kTypes) {
    if (path.size() >= type.extension.size() &&
        path.substr(path.size() - type.extension.size()) == type.extension) {
      return type.content_type;
    }
  }
  return "application/octet-stream";
}

// The hashed files build.mjs writes: their content never changes under a name.
constexpr std::string_view kHashedFolder = "assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// frame-src allows the sandboxed previews: of mail (GET /v1/emails/{id}/preview, same origin,
// with a CSP of its own) and of a template being edited (a blob: document, which inherits this
// policy). style-src allows inline styles for that preview: a mail's CSS is inline. Scripts
// stay 'self' only, and nothing may be loaded from elsewhere (img-src, font-src and
// connect-src are this origin), so injected CSS could not send anything out.
constexpr std::string_view kPagePolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-src 'self' blob:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

}  // namespace

std::optional<Asset> FindAsset(std::string_view path) {
  if (path.empty()) path = "index.html";
  for (const auto& file : web_assets::Files()) {
    if (file.path != path) continue;
    const bool hashed = path.starts_with(kHashedFolder);
    const bool page = path.ends_with(".html");
    return Asset{file.data, ContentType(path), hashed ? kImmutable : kRevalidate,
                 page ? kPagePolicy : std::string_view()};
  }
  return std::nullopt;
}

}  // namespace web
