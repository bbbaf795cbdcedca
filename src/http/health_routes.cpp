// Health, metrics, the queue's figures as JSON and the dashboard's static files.
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

// The version, what /health/ready checks, and every setting: a secret's value is never sent,
// only whether it is set (HealthService holds them masked already).
void GetSettings(Context& context) {
  if (!context.request.params.empty()) {
    const std::string& name = context.request.params.begin()->first;
    return context.Problem(core::InvalidArgument(name, "unknown query parameter '" + name + "'"));
  }
  const service::HealthService& health = context.services.health;
  auto ready = context.services.health.Ready();
  nlohmann::json settings = nlohmann::json::array();
  for (const service::Setting& setting : health.settings()) {
    settings.push_back(
        {{"name", setting.name},
         {"value", setting.secret ? nlohmann::json() : nlohmann::json(setting.value)},
         {"secret", setting.secret},
         {"set", setting.set},
         {"source", setting.source},
         {"doc", setting.doc}});
  }
  context.response.set_header("Cache-Control", "no-store");
  context.Json(200, {{"version", health.version()},
                     {"health", ready.ok() ? nlohmann::json{{"status", "ready"}}
                                           : nlohmann::json{{"status", "unavailable"},
                                                            {"detail", ready.error().message}}},
                     {"settings", std::move(settings)}});
}

void MetricsText(Context& context) {
  auto stats = context.services.stats.Get();
  if (!stats.ok()) return context.Problem(stats.error());
  context.response.status = 200;
  context.response.set_content(context.services.metrics.Render(*stats),
                               "text/plain; version=0.0.4; charset=utf-8");
}

namespace {

template <typename Number>
nlohmann::json OrNull(const std::optional<Number>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json TextOrNull(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// GET /v1/stats's members beside the queue's counts.
nlohmann::json DeliveryToJson(const service::DeliveryOverview& delivery) {
  const service::LatencySummary& latency = delivery.latency;
  const mail::TransportState& transport = delivery.transport;
  const service::RateLimitState& limits = delivery.rate_limit;
  nlohmann::json failures = nlohmann::json::array();
  for (const store::FailureEvent& failure : delivery.recent_failures) {
    failures.push_back({{"email_id", failure.email_id},
                        {"at", core::FormatRfc3339(failure.at)},
                        {"type", failure.type},
                        {"reply", failure.reply},
                        {"to", failure.to},
                        {"subject", failure.subject}});
  }
  return {{"latency",
           {{"window_seconds", service::DeliveryStats::kLatencyWindowMs / 1000},
            {"samples", latency.samples},
            {"p50_ms", OrNull(latency.p50_ms)},
            {"p95_ms", OrNull(latency.p95_ms)}}},
          {"transport",
           {{"kind", transport.kind},
            {"host", TextOrNull(transport.host)},
            {"port", transport.port > 0 ? nlohmann::json(transport.port) : nullptr},
            {"last_error", TextOrNull(transport.last_error)},
            {"last_error_at", transport.last_error.empty()
                                  ? nlohmann::json(nullptr)
                                  : nlohmann::json(core::FormatRfc3339(transport.last_error_at))}}},
          {"rate_limit",
           {{"send_rate", OrNull(limits.send_rate)},
            {"burst", limits.burst},
            {"tokens", OrNull(limits.tokens)},
            {"domain_rate", OrNull(limits.domain_rate)}}},
          {"recent_failures", std::move(failures)}};
}

}  // namespace

void GetStats(Context& context) {
  auto stats = context.services.stats.Get();
  if (!stats.ok()) return context.Problem(stats.error());
  auto delivery = context.services.delivery.Get();
  if (!delivery.ok()) return context.Problem(delivery.error());
  nlohmann::json body = {{"queue",
                          {{"queued", stats->queued},
                           {"scheduled", stats->scheduled},
                           {"leased", stats->leased},
                           {"done", stats->done},
                           {"dead", stats->dead},
                           {"cancelled", stats->cancelled}}},
                         {"totals",
                          {{"enqueued", stats->enqueued_total},
                           {"sent", stats->sent_total},
                           {"failed", stats->failed_total},
                           {"retried", stats->retried_total}}}};
  body.update(DeliveryToJson(*delivery));
  context.Json(200, body);
}

void GetStatsTimeline(Context& context) {
  for (const auto& param : context.request.params) {
    if (param.first != "window") {
      return context.Problem(
          core::InvalidArgument(param.first, "unknown query parameter '" + param.first + "'"));
    }
  }
  const std::string window =
      context.request.has_param("window") ? context.request.get_param_value("window") : "1h";
  if (window != "1h" && window != "24h") {
    return context.Problem(core::InvalidArgument("window", "window must be 1h or 24h"));
  }
  // A point a minute over the hour, every 10 minutes over the day.
  const core::TimeMs step = window == "1h" ? 60'000 : 600'000;
  auto points =
      context.services.emails.EventTimeline(window == "1h" ? 3'600'000 : 86'400'000, step);
  if (!points.ok()) return context.Problem(points.error());
  nlohmann::json out = nlohmann::json::array();
  for (const service::TimelinePoint& point : *points) {
    out.push_back({{"t", core::FormatRfc3339(point.at)},
                   {"sent", point.sent},
                   {"failed", point.failed},
                   {"deferred", point.deferred}});
  }
  context.Json(200,
               {{"window", window}, {"step_seconds", step / 1000}, {"points", std::move(out)}});
}

void WebAsset(Context& context) {
  auto asset = web::FindAsset(context.request.matches[1].str());
  if (!asset.has_value()) {
    return context.Problem(core::NotFound("no such page"));
  }
  context.response.status = 200;
  context.response.set_header("Cache-Control", std::string(asset->cache_control));
  context.response.set_header("X-Content-Type-Options", "nosniff");
  if (!asset->content_security_policy.empty()) {
    context.response.set_header("Content-Security-Policy",
                                std::string(asset->content_security_policy));
    context.response.set_header("Referrer-Policy", "no-referrer");
  }
  context.response.set_content(std::string(asset->data), std::string(asset->content_type));
}

}  // namespace http
