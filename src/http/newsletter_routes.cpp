// /v1/lists, /v1/subscriptions/{list}/run and the public unsubscribe pages: decode, call the
// NewsletterService, encode.
#include <cctype>
#include <tuple>

#include "http/html_page.h"
#include "http/routes.h"
#include "service/newsletters.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

json ListToJson(const store::ContentType& list) {
  return {{"name", list.name},
          {"subject", list.subject},
          {"html", list.content},
          {"created_at", core::FormatRfc3339(list.created_at)},
          {"updated_at", core::FormatRfc3339(list.updated_at)}};
}

json SubscriberToJson(const store::Subscriber& subscriber) {
  return {{"list", subscriber.content_type},
          {"email", subscriber.user_id},
          {"frequency", subscriber.frequency},
          {"timezone", subscriber.timezone.empty() ? json(nullptr) : json(subscriber.timezone)},
          {"created_at", core::FormatRfc3339(subscriber.created_at)}};
}

json ScheduleToJson(const store::Schedule& group) {
  const auto time = [](const std::optional<core::TimeMs>& at) {
    return at && *at != sched::kNever ? json(core::FormatRfc3339(*at)) : json(nullptr);
  };
  return {{"frequency", group.frequency},
          {"timezone", group.timezone.empty() ? json(nullptr) : json(group.timezone)},
          {"last_fire_at", time(group.last_fire)},
          {"next_fire_at", time(group.next_fire)}};
}

// A list with its subscriber count, its schedule groups and the earliest next fire among them.
json DetailToJson(const service::ListDetail& detail) {
  json body = ListToJson(detail.list);
  body["subscribers"] = detail.subscribers;
  body["next_run_at"] = TimeOrNull(detail.next_run_at);
  body["schedules"] = json::array();
  for (const auto& group : detail.schedules) body["schedules"].push_back(ScheduleToJson(group));
  return body;
}

// The subject and HTML of a list from a request body; `name` from the path or the body.
Result<store::ContentType> DecodeList(const json& body, std::string name) {
  store::ContentType list;
  list.name = std::move(name);
  auto subject = StringMember(body, "subject", true);
  if (!subject.ok()) return subject.error();
  auto html = StringMember(body, "html", true);
  if (!html.ok()) return html.error();
  list.subject = std::move(*subject);
  list.content = std::move(*html);
  return list;
}

std::string ListName(const Context& context) { return context.request.matches[1]; }

void NoSuchLink(Context& context) {
  HtmlPage(context, 404, "Link not valid",
           "<p>This unsubscribe link is not valid any more: the address was already unsubscribed, "
           "or the link is incomplete.</p>");
}

constexpr const char* kUnsubscribeButton =
    "<form method=\"post\"><button type=\"submit\" name=\"List-Unsubscribe\" "
    "value=\"One-Click\">Unsubscribe</button></form>";

// A campaign recipient's link (the same /unsubscribe/<token> path; tokens never collide).
void CampaignUnsubscribePage(Context& context, const std::string& token) {
  auto recipient = context.services.campaigns.FindRecipient(token);
  if (!recipient.ok()) {
    if (recipient.error().code != core::ErrorCode::kNotFound) {
      return context.Problem(recipient.error());
    }
    return NoSuchLink(context);
  }
  if (recipient->unsubscribed_at) {
    return HtmlPage(context, 200, "Unsubscribed",
                    "<p>" + HtmlEscape(recipient->address) +
                        " is already unsubscribed from campaign mail.</p>");
  }
  HtmlPage(context, 200, "Unsubscribe",
           "<p>Stop sending campaign mail to " + HtmlEscape(recipient->address) + "?</p>" +
               kUnsubscribeButton);
}

void CampaignUnsubscribe(Context& context, const std::string& token) {
  auto first = context.services.campaigns.Unsubscribe(token);
  if (!first.ok()) {
    if (first.error().code != core::ErrorCode::kNotFound) return context.Problem(first.error());
    return NoSuchLink(context);
  }
  auto recipient = context.services.campaigns.FindRecipient(token);
  HtmlPage(context, 200, "Unsubscribed",
           "<p>" + (recipient.ok() ? HtmlEscape(recipient->address) : std::string("You")) +
               " will no longer receive campaign mail.</p>");
}

}  // namespace

void CreateList(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"name", "subject", "html"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto name = StringMember(*body, "name", true);
  if (!name.ok()) return context.Problem(name.error());
  if (auto valid = service::ValidateContentTypeName(*name); !valid.ok()) {
    return context.Problem({valid.error().code, valid.error().message, "name"});
  }
  auto list = DecodeList(*body, *name);
  if (!list.ok()) return context.Problem(list.error());
  auto created = context.services.newsletters.CreateList(*list);
  if (!created.ok()) return context.Problem(created.error());
  context.Json(201, ListToJson(*created));
}

void ListLists(Context& context) {
  auto lists = context.services.newsletters.DescribeLists();
  if (!lists.ok()) return context.Problem(lists.error());
  json data = json::array();
  for (const auto& detail : *lists) data.push_back(DetailToJson(detail));
  context.Json(200, {{"data", std::move(data)}});
}

void GetList(Context& context) {
  auto detail = context.services.newsletters.DescribeList(ListName(context));
  if (!detail.ok()) return context.Problem(detail.error());
  context.Json(200, DetailToJson(*detail));
}

void UpdateList(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"subject", "html"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto list = DecodeList(*body, ListName(context));
  if (!list.ok()) return context.Problem(list.error());
  auto updated = context.services.newsletters.UpdateList(*list);
  if (!updated.ok()) return context.Problem(updated.error());
  context.Json(200, ListToJson(*updated));
}

void AddSubscriber(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"email", "frequency", "timezone"}); !known.ok()) {
    return context.Problem(known.error());
  }
  service::SubscriptionRequest request;
  request.list = ListName(context);
  for (auto [name, target, required] : {std::tuple{"email", &request.email, true},
                                        std::tuple{"frequency", &request.frequency, true},
                                        std::tuple{"timezone", &request.timezone, false}}) {
    auto value = StringMember(*body, name, required);
    if (!value.ok()) return context.Problem(value.error());
    *target = std::move(*value);
  }
  auto subscribed = context.services.newsletters.Subscribe(request);
  if (!subscribed.ok()) return context.Problem(subscribed.error());
  std::string email = request.email;
  for (char& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json answer = {{"list", request.list},
                 {"email", email},
                 {"frequency", request.frequency},
                 {"timezone", request.timezone.empty() ? json(nullptr) : json(request.timezone)}};
  context.Json(subscribed->already_subscribed ? 200 : 201, answer);
}

void ListSubscribers(Context& context) {
  auto query = DecodePageQuery(context.request, kDefaultPageSize, kMaxPageSize);
  if (!query.ok()) return context.Problem(query.error());
  auto page =
      context.services.newsletters.Subscribers(ListName(context), query->cursor, query->limit);
  if (!page.ok()) return context.Problem(page.error());
  json data = json::array();
  for (const auto& subscriber : page->subscribers) data.push_back(SubscriberToJson(subscriber));
  context.Json(
      200, {{"data", std::move(data)},
            {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}});
}

void RemoveSubscriber(Context& context) {
  auto removed =
      context.services.newsletters.Unsubscribe(ListName(context), context.request.matches[2]);
  if (!removed.ok()) return context.Problem(removed.error());
  context.response.status = 204;
}

void RunSubscriptions(Context& context) {
  auto fired = context.services.newsletters.RunNow(ListName(context));
  if (!fired.ok()) return context.Problem(fired.error());
  context.Json(200, {{"fire", fired->key}, {"enqueued", fired->enqueued}});
}

void UnsubscribePage(Context& context) {
  const std::string& token = context.request.matches[1];
  auto subscriber = context.services.newsletters.FindByToken(token);
  if (!subscriber.ok()) {
    if (subscriber.error().code != core::ErrorCode::kNotFound) {
      return context.Problem(subscriber.error());
    }
    return CampaignUnsubscribePage(context, token);
  }
  // A GET only shows the question: mail scanners follow links, and must not unsubscribe anyone.
  HtmlPage(context, 200, "Unsubscribe",
           "<p>Stop sending <strong>" + HtmlEscape(subscriber->content_type) + "</strong> to " +
               HtmlEscape(subscriber->user_id) + "?</p>" + kUnsubscribeButton);
}

void UnsubscribeOneClick(Context& context) {
  const std::string& token = context.request.matches[1];
  auto removed = context.services.newsletters.UnsubscribeByToken(token);
  if (!removed.ok()) {
    if (removed.error().code != core::ErrorCode::kNotFound) {
      return context.Problem(removed.error());
    }
    return CampaignUnsubscribe(context, token);
  }
  context.services.logger.Info("unsubscribed by link", {{"list", removed->content_type}});
  HtmlPage(context, 200, "Unsubscribed",
           "<p>" + HtmlEscape(removed->user_id) + " will no longer receive <strong>" +
               HtmlEscape(removed->content_type) + "</strong>.</p>");
}

}  // namespace http
