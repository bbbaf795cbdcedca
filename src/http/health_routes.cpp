// Health, metrics and the dashboard's static files.
#include "http/routes.h"
#include "web/assets.h"

namespace http {

void HealthPing(Context& context) { context.Json(200, {{"message", "pong"}}); }

void HealthReady(Context& context) {
  auto ready = context.services.health.Ready();
  if (!ready.ok()) {
    context.Json(503, {{"status", "unavailable"}, {"detail", ready.error().message}});
    return;
  }
  context.Json(200, {{"status", "ready"}});
}

void MetricsText(Context& context) {
  auto stats = context.services.stats.Get();
  if (!stats.ok()) return context.Problem(stats.error());
  context.response.status = 200;
  context.response.set_content(context.services.metrics.Render(*stats),
                               "text/plain; version=0.0.4; charset=utf-8");
}

void WebAsset(Context& context) {
  auto asset = web::FindAsset(context.request.matches[1].str());
  if (!asset.has_value()) {
    return context.Problem(core::NotFound("no such page"));
  }
  context.response.status = 200;
  context.response.set_content(std::string(asset->data), std::string(asset->content_type));
}

}  // namespace http
