// Campaigns on the native API (/v1/campaigns: drafts, the approval transitions, test sends) and
// the customers' CSV import (/v1/customers/import). Decode, call CampaignService or
// CustomerImports, encode. Seed 004's door to the same campaigns is in seed004_routes.cpp.
#include "http/account_routes.h"
#include "http/routes.h"
#include "service/campaigns.h"
#include "service/customer_import.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

Result<std::int64_t> CampaignIdOf(const Context& context) {
  return QueryInteger(context.request.matches[1], "id", 1, INT64_MAX);
}

json AudienceToJson(const std::string& audience) {
  if (audience.starts_with(store::kAudienceListPrefix)) {
    return {{"list", audience.substr(std::string_view(store::kAudienceListPrefix).size())}};
  }
  return audience;
}

Result<std::optional<core::TimeMs>> OptionalTime(const json& value, const char* field) {
  if (value.is_null()) return std::optional<core::TimeMs>();
  core::TimeMs at = 0;
  if (!value.is_string() || !core::ParseRfc3339(value.get<std::string>(), &at)) {
    return core::InvalidArgument(field, std::string(field) +
                                            " must be an RFC 3339 time, e.g. "
                                            "2026-11-23T09:00:00Z, or null");
  }
  return std::optional<core::TimeMs>(at);
}

// Applies the members of a POST or PATCH body to `content`.
core::Status ApplyCampaignFields(const json& body, store::CampaignContent& content) {
  if (auto known = OnlyMembers(body, {"name", "subject", "html", "text", "template", "data", "from",
                                      "audience", "send_at", "rate_per_minute"});
      !known.ok()) {
    return known;
  }
  for (auto [member, name] :
       {std::pair{&content.name, "name"}, std::pair{&content.subject, "subject"},
        std::pair{&content.html, "html"}, std::pair{&content.text, "text"},
        std::pair{&content.template_name, "template"}, std::pair{&content.from, "from"}}) {
    if (body.contains(name)) {
      auto value = StringMember(body, name, false);
      if (!value.ok()) return value.error();
      *member = std::move(*value);
    }
  }
  if (const auto found = body.find("data"); found != body.end()) {
    if (!found->is_object() && !found->is_null()) {
      return core::InvalidArgument("data", "data must be an object");
    }
    content.data = found->is_null() ? "{}" : found->dump();
  }
  if (const auto found = body.find("audience"); found != body.end()) {
    if (found->is_string() && found->get<std::string>() == store::kAudienceCustomers) {
      content.audience = store::kAudienceCustomers;
    } else if (found->is_object() && found->size() == 1 && found->contains("list") &&
               (*found)["list"].is_string()) {
      content.audience = store::kAudienceListPrefix + (*found)["list"].get<std::string>();
    } else {
      return core::InvalidArgument(
          "audience", "audience must be \"customers\" or {\"list\": \"<a list's name>\"}");
    }
  }
  if (const auto found = body.find("send_at"); found != body.end()) {
    auto at = OptionalTime(*found, "send_at");
    if (!at.ok()) return at.error();
    content.send_at = *at;
  }
  if (const auto found = body.find("rate_per_minute"); found != body.end()) {
    if (found->is_null()) {
      content.rate_per_minute.reset();
    } else {
      auto rate = IntegerMember(body, "rate_per_minute", 1, service::kMaxRatePerMinute, 0);
      if (!rate.ok()) return rate.error();
      content.rate_per_minute = static_cast<int>(*rate);
    }
  }
  return {};
}

json ImportToJson(const service::ImportReport& report) {
  json errors = json::array();
  for (const service::ImportRowError& error : report.errors) {
    errors.push_back({{"line", error.line}, {"field", error.field}, {"message", error.message}});
  }
  json out = {{"id", report.id},
              {"status", report.status},
              {"rows", report.rows},
              {"processed", report.processed},
              {"created", report.created},
              {"existing", report.existing},
              {"invalid", report.invalid},
              {"errors", std::move(errors)},
              {"started_at", core::FormatRfc3339(report.started_at)},
              {"finished_at", TimeOrNull(report.finished_at)}};
  if (!report.error.empty()) out["error"] = report.error;
  return out;
}

json CampaignToJson(const store::Campaign& campaign) {
  const store::CampaignContent& content = campaign.content;
  const store::CampaignProgress& progress = campaign.progress;
  return {
      {"id", campaign.id},
      {"status", store::CampaignStatusName(campaign.status)},
      {"name", content.name},
      {"subject", content.subject},
      {"html", content.html},
      {"text", content.text},
      {"template", content.template_name.empty() ? json() : json(content.template_name)},
      {"data", json::parse(content.data, nullptr, false)},
      {"from", content.from.empty() ? json() : json(content.from)},
      {"audience", AudienceToJson(content.audience)},
      {"send_at", TimeOrNull(content.send_at)},
      {"rate_per_minute", content.rate_per_minute ? json(*content.rate_per_minute) : json()},
      {"created_by", campaign.created_by},
      {"created_at", core::FormatRfc3339(campaign.created_at)},
      {"updated_by", campaign.updated_by},
      {"updated_at", core::FormatRfc3339(campaign.updated_at)},
      {"submitted_by", campaign.submitted_by.empty() ? json() : json(campaign.submitted_by)},
      {"submitted_at", TimeOrNull(campaign.submitted_at)},
      {"approved_by", campaign.approved_by.empty() ? json() : json(campaign.approved_by)},
      {"approved_at", TimeOrNull(campaign.approved_at)},
      {"rejection_note", campaign.rejection_note.empty() ? json() : json(campaign.rejection_note)},
      {"version", campaign.version == 0 ? json() : json(campaign.version)},
      {"started_at", TimeOrNull(campaign.started_at)},
      {"finished_at", TimeOrNull(campaign.finished_at)},
      {"progress",
       {{"total", progress.total},
        {"queued", progress.queued()},
        {"sent", progress.sent},
        {"failed", progress.failed},
        {"cancelled", progress.cancelled},
        {"suppressed", progress.suppressed},
        {"unsubscribed", progress.unsubscribed},
        {"opened", progress.opened},
        {"unsubscribes", progress.unsubscribes}}}};
}

// The routes that move a campaign through its states: one call each, the same answer.
void Answer(Context& context, const Result<store::Campaign>& campaign) {
  if (!campaign.ok()) return context.Problem(campaign.error());
  context.Json(200, CampaignToJson(*campaign));
}

// A transition as CampaignService offers it.
using Move = Result<store::Campaign> (service::CampaignService::*)(std::int64_t, const std::string&,
                                                                   const service::Client&);

void Transition(Context& context, Move move) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  if (!context.request.body.empty()) {
    auto body = ParseJsonBody(context.request.body);
    if (!body.ok()) return context.Problem(body.error());
    if (auto known = OnlyMembers(*body, {}); !known.ok()) return context.Problem(known.error());
  }
  Answer(context, (context.services.campaigns.*move)(*id, service::ActorOf(*context.principal),
                                                     ClientOf(context)));
}

}  // namespace

void CreateCampaign(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  store::CampaignContent content;
  if (auto applied = ApplyCampaignFields(*body, content); !applied.ok()) {
    return context.Problem(applied.error());
  }
  if (!body->contains("name")) {
    return context.Problem(core::InvalidArgument("name", "name is required"));
  }
  auto campaign = context.services.campaigns.Create(content, service::ActorOf(*context.principal),
                                                    ClientOf(context));
  if (!campaign.ok()) return context.Problem(campaign.error());
  context.response.set_header("Location", "/v1/campaigns/" + std::to_string(campaign->id));
  context.Json(201, CampaignToJson(*campaign));
}

void ListCampaigns(Context& context) {
  auto page_query = DecodePageQuery(context.request, 50, 1000, {"status"});
  if (!page_query.ok()) return context.Problem(page_query.error());
  store::CampaignQuery query{std::nullopt, page_query->cursor, page_query->limit};
  if (context.request.has_param("status")) {
    query.status = store::ParseCampaignStatus(context.request.get_param_value("status"));
    if (!query.status) {
      return context.Problem(core::InvalidArgument(
          "status",
          "status must be draft, pending_approval, scheduled, sending, paused, sent or "
          "cancelled"));
    }
  }
  auto page = context.services.campaigns.List(query);
  if (!page.ok()) return context.Problem(page.error());
  json data = json::array();
  for (const store::Campaign& campaign : page->campaigns) data.push_back(CampaignToJson(campaign));
  context.Json(200,
               {{"data", std::move(data)},
                {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)}});
}

void GetCampaign(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  Answer(context, context.services.campaigns.Get(*id));
}

void GetCampaignVersion(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto number = QueryInteger(context.request.matches[2], "version", 1, INT32_MAX);
  if (!number.ok()) return context.Problem(number.error());
  auto version = context.services.campaigns.Version(*id, static_cast<int>(*number));
  if (!version.ok()) return context.Problem(version.error());
  context.Json(200, {{"campaign_id", *id},
                     {"version", version->version},
                     {"from", version->from},
                     {"subject", version->subject},
                     {"html", version->html},
                     {"text", version->text},
                     {"created_at", core::FormatRfc3339(version->created_at)}});
}

void UpdateCampaign(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  auto campaign = context.services.campaigns.Get(*id);
  if (!campaign.ok()) return context.Problem(campaign.error());
  store::CampaignContent content = campaign->content;
  if (auto applied = ApplyCampaignFields(*body, content); !applied.ok()) {
    return context.Problem(applied.error());
  }
  Answer(context, context.services.campaigns.Update(
                      *id, content, service::ActorOf(*context.principal), ClientOf(context)));
}

void DeleteCampaign(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto deleted = context.services.campaigns.Delete(*id, service::ActorOf(*context.principal),
                                                   ClientOf(context));
  if (!deleted.ok()) return context.Problem(deleted.error());
  context.response.status = 204;
}

void SubmitCampaign(Context& context) { Transition(context, &service::CampaignService::Submit); }

void ApproveCampaign(Context& context) { Transition(context, &service::CampaignService::Approve); }

void PauseCampaign(Context& context) { Transition(context, &service::CampaignService::Pause); }

void ResumeCampaign(Context& context) { Transition(context, &service::CampaignService::Resume); }

void CancelCampaign(Context& context) { Transition(context, &service::CampaignService::Cancel); }

void RejectCampaign(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"note"}); !known.ok()) return context.Problem(known.error());
  auto note = StringMember(*body, "note", true);
  if (!note.ok()) return context.Problem(note.error());
  Answer(context, context.services.campaigns.Reject(
                      *id, *note, service::ActorOf(*context.principal), ClientOf(context)));
}

void TestCampaign(Context& context) {
  auto id = CampaignIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"to"}); !known.ok()) return context.Problem(known.error());
  const auto to = body->find("to");
  std::vector<std::string> addresses;
  if (to == body->end() || !to->is_array()) {
    return context.Problem(core::InvalidArgument("to", "to must be an array of addresses"));
  }
  for (const json& address : *to) {
    if (!address.is_string()) {
      return context.Problem(core::InvalidArgument("to", "to must be an array of addresses"));
    }
    addresses.push_back(address.get<std::string>());
  }
  auto sent =
      context.services.campaigns.SendTest(*id, addresses, *context.principal, ClientOf(context));
  if (!sent.ok()) return context.Problem(sent.error());
  context.Json(202, {{"emails", *sent}});
}

void ImportCustomers(Context& context) {
  auto report = context.services.customer_imports.Start(
      context.request.body, service::ActorOf(*context.principal), ClientOf(context));
  if (!report.ok()) return context.Problem(report.error());
  context.response.set_header("Location", "/v1/customers/import/" + report->id);
  context.Json(202, ImportToJson(*report));
}

void GetCustomerImport(Context& context) {
  auto report = context.services.customer_imports.Get(context.request.matches[1]);
  if (!report.ok()) return context.Problem(report.error());
  context.Json(200, ImportToJson(*report));
}

}  // namespace http
