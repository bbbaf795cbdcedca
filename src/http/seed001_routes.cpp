// Seed 001's routes in Django REST Framework's shapes: /api/v1/users/{register,login,logout}/,
// the /api/v1/emails/ router root, email-template (the templates of /v1/templates, known by id)
// and sent-email (a person's sends). Decode as DRF's serializers would (every field's errors at
// once, DRF's messages), call one service, encode. Refusals before a handler runs (401, 403,
// 413, unknown paths and methods) are shaped by the server's kDrf door.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "http/account_routes.h"
#include "http/routes.h"
#include "service/accounts.h"
#include "service/sent_emails.h"
#include "service/templates.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

constexpr int kPageSize = 10;                        // DRF's PAGE_SIZE in the seed's project
constexpr std::size_t kMaxCharacters = 255;          // the seed's CharField(max_length=255)
constexpr std::size_t kMaxUsernameCharacters = 150;  // Django's User.username
constexpr char kRequired[] = "This field is required.";
constexpr char kInvalidEmail[] = "Enter a valid email address.";

// A JSON value's type in Python's words, as DRF's messages name it.
std::string PythonType(const json& value) {
  switch (value.type()) {
    case json::value_t::array: return "list";
    case json::value_t::object: return "dict";
    case json::value_t::string: return "str";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_float: return "float";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "int";
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary: break;
  }
  return "NoneType";
}

std::size_t CountCharacters(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string Strip(const std::string& text) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  const auto first = std::find_if_not(text.begin(), text.end(), space);
  const auto last = std::find_if_not(text.rbegin(), text.rend(), space).base();
  return first < last ? std::string(first, last) : std::string();
}

// A request's field errors, collected as a DRF serializer collects them: {"field": [messages]}.
class FieldErrors {
 public:
  void Add(const std::string& field, const std::string& message) {
    errors_[field].push_back(message);
  }
  // An error of item `index` of a list field: {"field": {"index": [message]}}.
  void AddItem(const std::string& field, std::size_t index, const std::string& message) {
    errors_[field][std::to_string(index)].push_back(message);
  }
  bool empty() const { return errors_.empty(); }
  void Answer(Context& context) const { context.Json(400, errors_); }

 private:
  json errors_ = json::object();
};

struct CharRules {
  bool required = true;            // false: an absent field is left out (PATCH)
  bool trim = true;                // DRF's trim_whitespace (off for passwords)
  std::size_t max_characters = 0;  // 0: no limit
};

// `body[name]` as DRF's CharField reads it: a string, or a number as its text. nullopt when it
// is absent (an error if required) or has an error, recorded in `errors`.
std::optional<std::string> CharField(const json& body, const char* name, const CharRules& rules,
                                     FieldErrors& errors) {
  const auto found = body.find(name);
  if (found == body.end()) {
    if (rules.required) errors.Add(name, kRequired);
    return std::nullopt;
  }
  std::string value;
  if (found->is_string()) {
    value = found->get<std::string>();
  } else if (found->is_number()) {
    value = found->dump();
  } else if (found->is_null()) {
    errors.Add(name, "This field may not be null.");
    return std::nullopt;
  } else {
    errors.Add(name, "Not a valid string.");
    return std::nullopt;
  }
  if (rules.trim) value = Strip(value);
  if (value.empty()) {
    errors.Add(name, "This field may not be blank.");
    return std::nullopt;
  }
  if (rules.max_characters > 0 && CountCharacters(value) > rules.max_characters) {
    errors.Add(name, "Ensure this field has no more than " + std::to_string(rules.max_characters) +
                         " characters.");
    return std::nullopt;
  }
  return value;
}

// A request body as DRF's JSON parser and serializers take it: nothing is an empty object; not
// JSON is 400 {"detail": "JSON parse error - ..."}; a value other than an object is a
// non-field error. nullopt once answered.
std::optional<json> ParseDrfBody(Context& context) {
  const std::string& body = context.request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  auto parsed = core::ParseJson(body, "body");
  if (!parsed.ok()) {
    context.Json(400, {{"detail", "JSON parse error - " + parsed.error().message}});
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    context.Drf(core::InvalidArgument(
        "", "Invalid data. Expected a dictionary, but got " + PythonType(*parsed) + "."));
    return std::nullopt;
  }
  return std::move(*parsed);
}

// The base of absolute URLs, from the Host header as Django's build_absolute_uri takes it.
std::string BaseUrl(const Context& context) {
  std::string host = context.request.get_header_value("Host");
  if (host.empty() || host.find_first_of(" /\\\"<>") != std::string::npos) host = "localhost";
  return "http://" + host;
}

// Python's urllib.parse.quote_plus.
std::string QuotePlus(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '_' || c == '.' || c == '-' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// This request's absolute URL with `page` as its page parameter, or without one for 0; the
// other parameters kept, sorted by name, as DRF's replace_query_param / remove_query_param do.
std::string PageUrl(const Context& context, std::int64_t page) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [name, value] : context.request.params) {
    if (name != "page") params.emplace_back(name, value);
  }
  if (page > 0) params.emplace_back("page", std::to_string(page));
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string url = BaseUrl(context) + context.request.path;
  for (std::size_t i = 0; i < params.size(); ++i) {
    url += (i == 0 ? "?" : "&") + QuotePlus(params[i].first) + "=" + QuotePlus(params[i].second);
  }
  return url;
}

// The ?page= of a DRF page-number list: a positive integer or "last" (-1); nullopt for
// anything else (DRF's "Invalid page.").
std::optional<std::int64_t> RequestedPage(const Request& request) {
  if (!request.has_param("page")) return 1;
  const std::string text = request.get_param_value("page");
  if (text == "last") return -1;
  auto page = QueryInteger(text, "page", 1, INT32_MAX);
  if (!page.ok()) return std::nullopt;
  return *page;
}

std::int64_t PageCount(std::int64_t total) {
  return std::max<std::int64_t>(1, (total + kPageSize - 1) / kPageSize);
}

void InvalidPage(Context& context) { context.Json(404, {{"detail", "Invalid page."}}); }

// {count, next, previous, results} for page `page` of `total`.
json Paged(const Context& context, std::int64_t page, std::int64_t total, json results) {
  const std::int64_t pages = PageCount(total);
  return {{"count", total},
          {"next", page < pages ? json(PageUrl(context, page + 1)) : json()},
          {"previous", page > 1 ? json(PageUrl(context, page == 2 ? 0 : page - 1)) : json()},
          {"results", std::move(results)}};
}

// A page of a list, read by `read(page)` (which answers the page's items and the total): the
// requested page, "last" resolved once the total is known; nullopt after answering 404.
template <typename Page, typename Read>
std::optional<std::pair<std::int64_t, Page>> ReadPage(Context& context, Read read) {
  const std::optional<std::int64_t> requested = RequestedPage(context.request);
  if (!requested) {
    InvalidPage(context);
    return std::nullopt;
  }
  std::int64_t page = *requested == -1 ? 1 : *requested;
  auto listed = read(static_cast<int>(page));
  if (!listed.ok()) {
    context.Drf(listed.error());
    return std::nullopt;
  }
  const std::int64_t pages = PageCount(listed->total);
  if (*requested == -1 && pages != 1) {
    page = pages;
    listed = read(static_cast<int>(page));
    if (!listed.ok()) {
      context.Drf(listed.error());
      return std::nullopt;
    }
  } else if (page > pages) {
    InvalidPage(context);
    return std::nullopt;
  }
  return std::make_pair(page, std::move(*listed));
}

// Django's DateTimeField times: microseconds and Z ("2023-03-30T06:54:15.278000Z").
std::string DrfTime(core::TimeMs time) {
  std::string text = core::FormatRfc3339(time);
  text.insert(text.size() - 1, "000");
  return text;
}

// A date ("2023-03-25", its midnight UTC) or a date-time ("2023-03-25T10:00", "...:30",
// "...:30.5", with "Z", "+05:45" or no zone for UTC; 'T' or a space between), as Django's
// DateTimeField takes them. A '+' that arrived as a space (an unencoded query) is read as '+'.
std::optional<core::TimeMs> ParseDrfTime(std::string text) {
  if (text.size() == 10) text += "T00:00:00Z";
  if (text.size() < 16) return std::nullopt;
  if (text.size() == 16 || text[16] != ':') text.insert(16, ":00");
  std::size_t zone = 19;
  if (zone < text.size() && (text[zone] == '.' || text[zone] == ',')) {
    text[zone] = '.';
    ++zone;
    while (zone < text.size() && std::isdigit(static_cast<unsigned char>(text[zone])) != 0) {
      ++zone;
    }
  }
  if (zone == text.size()) {
    text += 'Z';
  } else if (text[zone] == ' ' && zone + 1 < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[zone + 1])) != 0) {
    text[zone] = '+';
  }
  core::TimeMs time = 0;
  if (!core::ParseRfc3339(text, &time)) return std::nullopt;
  return time;
}

// The id in a detail path; nullopt (answered 404) past int64, as DRF's lookup finds nothing.
std::optional<std::int64_t> PathId(Context& context) {
  auto id = QueryInteger(context.request.matches[1], "id", 0, INT64_MAX);
  if (!id.ok()) {
    context.Drf(core::NotFound("no such id"));
    return std::nullopt;
  }
  return *id;
}

// Users -------------------------------------------------------------------------------------

bool UsernameCharacter(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || byte >= 0x80 || c == '.' || c == '@' || c == '+' || c == '-' ||
         c == '_';
}

// Template errors in the seed's field names: its `body` is the template's text.
core::Error TemplateError(core::Error error) {
  if (error.field == "text" || error.field == "html" || error.field == "template") {
    error.field = "body";
  }
  if (error.code == core::ErrorCode::kAlreadyExists && error.field == "name") {
    error.message = "email template with this name already exists.";
  }
  return error;
}

json TemplateToDrf(const store::Template& tmpl) {
  return {{"id", tmpl.id},
          {"name", tmpl.name},
          {"subject", tmpl.subject},
          {"body", tmpl.text.empty() ? tmpl.html : tmpl.text},
          {"created", DrfTime(tmpl.created_at)},
          {"modified", DrfTime(tmpl.updated_at)}};
}

// The name, subject and body of a template request; every field required unless `partial`.
struct TemplateFields {
  std::optional<std::string> name, subject, body;
};

std::optional<TemplateFields> DecodeTemplate(Context& context, bool partial) {
  const auto body = ParseDrfBody(context);
  if (!body) return std::nullopt;
  FieldErrors errors;
  CharRules rules{!partial, true, kMaxCharacters};
  TemplateFields fields;
  fields.name = CharField(*body, "name", rules, errors);
  fields.subject = CharField(*body, "subject", rules, errors);
  rules.max_characters = 0;
  fields.body = CharField(*body, "body", rules, errors);
  if (!errors.empty()) {
    errors.Answer(context);
    return std::nullopt;
  }
  return fields;
}

// PUT (all fields) or PATCH (those given) of a template; the HTML part, which seed 001 does not
// know, is kept.
void UpdateTemplate(Context& context, bool partial) {
  const auto id = PathId(context);
  if (!id) return;
  auto current = context.services.templates.GetById(*id);
  if (!current.ok()) return context.Drf(current.error());
  const auto fields = DecodeTemplate(context, partial);
  if (!fields) return;
  store::Template tmpl = *current;
  if (fields->name) tmpl.name = *fields->name;
  if (fields->subject) tmpl.subject = *fields->subject;
  if (fields->body) tmpl.text = *fields->body;
  auto saved = context.services.templates.Save(tmpl, service::SaveMode::kUpdate);
  if (!saved.ok()) return context.Drf(TemplateError(saved.error()));
  context.Json(200, TemplateToDrf(*saved));
}

// Sent emails ---------------------------------------------------------------------------------

json SentEmailToDrf(const store::SentEmail& record, const std::string& sender) {
  return {{"id", record.id},
          {"sent_by_email_address", sender},
          {"template", record.template_id != 0 ? json(record.template_id) : json()},
          {"recipients", record.recipients},
          {"sent_time", DrfTime(record.created_at)}};
}

// The caller's email, for sent_by_email_address.
Result<std::string> CallerEmail(const Context& context) {
  auto user = context.services.accounts.GetUser(context.principal->user_id);
  if (!user.ok()) return user.error();
  return user->email;
}

// Send errors in DRF's words.
core::Error SendError(core::Error error, std::int64_t template_id) {
  if (error.field.rfind("recipients[", 0) == 0) {
    error.message = kInvalidEmail;
  } else if (error.field == "recipients" && error.code == core::ErrorCode::kInvalidArgument) {
    error.message = "Ensure this field has no more than " +
                    std::to_string(service::kMaxSentEmailRecipients) + " elements.";
  } else if (error.field == "template" && error.code == core::ErrorCode::kNotFound) {
    error = core::InvalidArgument(
        "template", "Invalid pk \"" + std::to_string(template_id) + "\" - object does not exist.");
  }
  return error;
}

}  // namespace

void DrfRegister(Context& context) {
  const auto body = ParseDrfBody(context);
  if (!body) return;
  FieldErrors errors;
  const auto email = CharField(*body, "email", {true, true, 254}, errors);
  const auto username = CharField(*body, "username", {true, true, kMaxUsernameCharacters}, errors);
  const auto password = CharField(*body, "password", {true, false, 0}, errors);
  if (username && !std::all_of(username->begin(), username->end(), UsernameCharacter)) {
    errors.Add("username",
               "Enter a valid username. This value may contain only letters, numbers, and "
               "@/./+/-/_ characters.");
  }
  if (!errors.empty()) return errors.Answer(context);
  service::NewUser user;
  user.email = *email;
  user.username = *username;
  user.password = *password;
  user.role = auth::Role::kCustomer;
  user.confirmed = true;
  const std::string actor =
      context.principal != nullptr ? service::ActorOf(*context.principal) : std::string();
  auto created = context.services.accounts.CreateUser(user, actor, ClientOf(context));
  if (!created.ok()) {
    core::Error error = created.error();
    if (error.field == "email") {
      error.message = error.code == core::ErrorCode::kAlreadyExists
                          ? "user with this email already exists."
                          : kInvalidEmail;
    }
    return context.Drf(error);
  }
  context.Json(201, {{"email", created->user.email}, {"username", created->user.username}});
}

void DrfLogin(Context& context) {
  const auto body = ParseDrfBody(context);
  if (!body) return;
  FieldErrors errors;
  const auto username = CharField(*body, "username", {}, errors);
  const auto password = CharField(*body, "password", {true, false, 0}, errors);
  if (!errors.empty()) return errors.Answer(context);
  auto signed_in = context.services.accounts.Login(
      *username, *password, service::SessionKind::kDrfToken, ClientOf(context));
  if (!signed_in.ok()) {
    const core::ErrorCode code = signed_in.error().code;
    if (code == core::ErrorCode::kUnauthenticated || code == core::ErrorCode::kPermissionDenied) {
      return context.Drf(core::InvalidArgument("", "Unable to log in with provided credentials."));
    }
    return context.Drf(signed_in.error());
  }
  context.Json(200, {{"email", signed_in->user.email}, {"token", signed_in->token}});
}

void DrfLogout(Context& context) {
  if (auto out = context.services.accounts.Logout(*context.principal, ClientOf(context));
      !out.ok()) {
    return context.Drf(out.error());
  }
  context.Json(200, json::object());
}

void DrfEmailsRoot(Context& context) {
  const std::string base = BaseUrl(context) + "/api/v1/emails/";
  context.Json(
      200, {{"email-template", base + "email-template/"}, {"sent-email", base + "sent-email/"}});
}

void DrfCreateTemplate(Context& context) {
  const auto fields = DecodeTemplate(context, false);
  if (!fields) return;
  store::Template tmpl;
  tmpl.name = *fields->name;
  tmpl.subject = *fields->subject;
  tmpl.text = *fields->body;
  auto saved = context.services.templates.Save(tmpl, service::SaveMode::kCreate);
  if (!saved.ok()) return context.Drf(TemplateError(saved.error()));
  context.Json(201, TemplateToDrf(*saved));
}

void DrfListTemplates(Context& context) {
  auto page = ReadPage<store::TemplatePage>(context, [&](int number) {
    return context.services.templates.List(number, kPageSize, store::TemplateOrder::kById, true);
  });
  if (!page) return;
  json results = json::array();
  for (const store::Template& tmpl : page->second.templates) results.push_back(TemplateToDrf(tmpl));
  context.Json(200, Paged(context, page->first, page->second.total, std::move(results)));
}

void DrfGetTemplate(Context& context) {
  const auto id = PathId(context);
  if (!id) return;
  auto tmpl = context.services.templates.GetById(*id);
  if (!tmpl.ok()) return context.Drf(tmpl.error());
  context.Json(200, TemplateToDrf(*tmpl));
}

void DrfReplaceTemplate(Context& context) { UpdateTemplate(context, false); }

void DrfPatchTemplate(Context& context) { UpdateTemplate(context, true); }

void DrfDeleteTemplate(Context& context) {
  const auto id = PathId(context);
  if (!id) return;
  if (auto deleted = context.services.templates.DeleteById(*id); !deleted.ok()) {
    return context.Drf(deleted.error());
  }
  context.response.status = 204;
}

void DrfSendEmail(Context& context) {
  const auto body = ParseDrfBody(context);
  if (!body) return;
  FieldErrors errors;
  service::SendTemplateRequest request;
  const auto recipients = body->find("recipients");
  if (recipients == body->end()) {
    errors.Add("recipients", kRequired);
  } else if (recipients->is_null()) {
    errors.Add("recipients", "This field may not be null.");
  } else if (!recipients->is_array()) {
    errors.Add("recipients",
               "Expected a list of items but got type \"" + PythonType(*recipients) + "\".");
  } else if (recipients->empty()) {
    errors.Add("recipients", "This list may not be empty.");
  } else {
    for (std::size_t i = 0; i < recipients->size(); ++i) {
      const json& item = (*recipients)[i];
      if (item.is_string()) {
        request.recipients.push_back(item.get<std::string>());
      } else {
        errors.AddItem("recipients", i, item.is_number() ? kInvalidEmail : "Not a valid string.");
      }
    }
  }
  const auto tmpl = body->find("template");
  if (tmpl == body->end()) {
    errors.Add("template", kRequired);
  } else if (tmpl->is_null()) {
    errors.Add("template", "This field may not be null.");
  } else if (tmpl->is_number_unsigned() && tmpl->get<std::uint64_t>() > INT64_MAX) {
    errors.Add("template", "Invalid pk \"" + tmpl->dump() + "\" - object does not exist.");
  } else if (tmpl->is_number_integer()) {
    request.template_id = tmpl->get<std::int64_t>();
  } else if (auto digits = tmpl->is_string() ? QueryInteger(tmpl->get<std::string>(), "template",
                                                            INT64_MIN, INT64_MAX)
                                             : Result<std::int64_t>(core::NotFound(""));
             digits.ok()) {
    request.template_id = *digits;
  } else {
    errors.Add("template",
               "Incorrect type. Expected pk value, received " + PythonType(*tmpl) + ".");
  }
  if (!errors.empty()) return errors.Answer(context);
  auto sent = context.services.sent_emails.Send(*context.principal, request);
  if (!sent.ok()) return context.Drf(SendError(sent.error(), request.template_id));
  context.Json(200, {{"message", "Email sent. It might take a while to deliver."}});
}

void DrfListSentEmails(Context& context) {
  const Request& request = context.request;
  service::SentEmailFilter filter;
  filter.page_size = kPageSize;
  const auto range = request.params.equal_range("recipient");
  for (auto it = range.first; it != range.second; ++it) filter.recipients.push_back(it->second);
  FieldErrors errors;
  for (auto [name, bound] :
       {std::pair{"start_time", &filter.since}, std::pair{"end_time", &filter.until}}) {
    if (!request.has_param(name)) continue;
    *bound = ParseDrfTime(request.get_param_value(name));
    if (!*bound) errors.Add(name, "Enter a valid date/time.");
  }
  if (!errors.empty()) return errors.Answer(context);
  auto sender = CallerEmail(context);
  if (!sender.ok()) return context.Drf(sender.error());
  auto page = ReadPage<store::SentEmailPage>(context, [&](int number) {
    service::SentEmailFilter one = filter;
    one.page = number;
    return context.services.sent_emails.List(*context.principal, one);
  });
  if (!page) return;
  json results = json::array();
  for (const store::SentEmail& record : page->second.records) {
    results.push_back(SentEmailToDrf(record, *sender));
  }
  context.Json(200, Paged(context, page->first, page->second.total, std::move(results)));
}

void DrfGetSentEmail(Context& context) {
  const auto id = PathId(context);
  if (!id) return;
  auto record = context.services.sent_emails.Get(*context.principal, *id);
  if (!record.ok()) return context.Drf(record.error());
  auto sender = CallerEmail(context);
  if (!sender.ok()) return context.Drf(sender.error());
  context.Json(200, SentEmailToDrf(*record, *sender));
}

void DrfMethodNotAllowed(Context& context) {
  context.response.set_header("Allow", "GET, HEAD");
  context.Json(405, {{"detail", "Method \"" + context.request.method + "\" not allowed."}});
}

}  // namespace http
