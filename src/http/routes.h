#pragma once
// Internal to http/: the request context handed to handlers and the handlers themselves.
#include <functional>
#include <nlohmann/json.hpp>

#include "auth/auth.h"
#include "http/front.h"
#include "http/message.h"
#include "http/problem.h"
#include "http/server.h"

namespace http {

struct Context {
  Request& request;  // the handler's to take from (moving a large upload's parts, say)
  Response& response;
  const Services& services;
  const auth::Principal* principal;  // set on authenticated routes
  Exchange* exchange = nullptr;      // the front's, while it is handling the request

  // Answers later, without holding the handler's thread: the handler returns at once, and
  // whoever finishes the work calls the returned function once, from any thread, with a function
  // that fills the response (it runs on a front thread; a copy of this context stays valid in
  // it, its own reference members being the exchange's). Without an exchange (a handler called
  // directly), the fill runs at once, on the calling thread.
  using Finish = std::function<void(std::function<void()> fill)>;
  Finish Later();

  void Json(int status, const nlohmann::json& body);
  void Problem(const core::Error& error);
  // GoMail's error shape, {"status": false, "msg": ...}, with the status of the error table.
  void GoMailError(const core::Error& error);
  // The SES-compatible error shape (SesErrorBody), with the status of the error table.
  void SesError(const core::Error& error, std::string_view seed_code = {});
  // Seed 001's DRF shape (DrfErrorBody, DrfStatusFor); a 401 says `WWW-Authenticate: Token`
  // and a 429 Retry-After, as DRF does.
  void Drf(const core::Error& error);
  // Seed 002's error shape, {"error": ...} (GinErrorBody), with the status of the error table
  // and Retry-After when the error has one.
  void GinError(const core::Error& error);
};

// A request body that must be a JSON object; kInvalidArgument (field "body") otherwise.
core::Result<nlohmann::json> ParseJsonBody(const std::string& body);
// The same, also taking // and /* */ comments, which the SES-compatible seed's examples carry.
core::Result<nlohmann::json> ParseSesJsonBody(const std::string& body);
// Refuses members other than `allowed`, so a misspelt field is an error, not ignored.
core::Status OnlyMembers(const nlohmann::json& object, std::initializer_list<const char*> allowed);
// `object[name]` as a string: "" when absent or null unless `required` (then also non-empty).
// kInvalidArgument naming `name` otherwise.
core::Result<std::string> StringMember(const nlohmann::json& object, const char* name,
                                       bool required);
// The query of a cursor-paged list: `cursor` as given, `limit` in [1, max_limit] (else
// default_limit), and the other parameters named in `extra`, which the route reads itself.
// Any other parameter is kInvalidArgument naming it. Checked in the order they were sent.
struct PageQuery {
  std::string cursor;
  int limit = 0;
};
core::Result<PageQuery> DecodePageQuery(const Request& request, int default_limit, int max_limit,
                                        std::initializer_list<const char*> extra = {});
// `object[name]` as an integer in [min, max], `fallback` when absent or null. Read as 64 bits, so
// a number past int's range is refused, not cut; a fraction or a string is refused too.
core::Result<std::int64_t> IntegerMember(const nlohmann::json& object, const char* name,
                                         std::int64_t min, std::int64_t max, std::int64_t fallback);

// An RFC 3339 time, or null when there is none.
nlohmann::json TimeOrNull(const std::optional<core::TimeMs>& time);

// A query parameter's integer value in [min, max]; kInvalidArgument naming it otherwise.
core::Result<std::int64_t> QueryInteger(const std::string& text, const char* name, std::int64_t min,
                                        std::int64_t max);

void PostEmail(Context& context);
void GetEmail(Context& context);
void ListEmails(Context& context);
void GetEmailRaw(Context& context);
void GetEmailParts(Context& context);
void GetEmailAttachment(Context& context);
void GetEmailPreview(Context& context);
void ResendEmail(Context& context);
void RetryEmail(Context& context);
void CancelEmail(Context& context);
void RetryEmails(Context& context);
void CancelEmails(Context& context);

void GoMailSignup(Context& context);
void GoMailDeregister(Context& context);
void GoMailTask(Context& context);
void GoMailCreateContentType(Context& context);
void GoMailUpdateContentType(Context& context);
void GoMailVerify(Context& context);
void GoMailMetrics(Context& context);

void CreateKey(Context& context);
void ListKeys(Context& context);
void DeleteKey(Context& context);
void SendOtp(Context& context);
void VerifyOtp(Context& context);

void SesSendEmail(Context& context);
void SesFetchSpecificRecords(Context& context);
void SesFetchApiRecords(Context& context);
void TrackingPixel(Context& context);
void SesCreateKey(Context& context);
void SesDeleteKey(Context& context);
void SesAddTask(Context& context);
void SesRemoveTask(Context& context);
void CreateTask(Context& context);
void GetTask(Context& context);
void ListTasks(Context& context);
void DeleteTask(Context& context);
void ListWebhookDeliveries(Context& context);
void ListWebhookEndpoints(Context& context);
void EnableWebhookEndpoint(Context& context);
void ReplayWebhookDelivery(Context& context);

void CreateList(Context& context);
void ListLists(Context& context);
void GetList(Context& context);
void UpdateList(Context& context);
void AddSubscriber(Context& context);
void ListSubscribers(Context& context);
void RemoveSubscriber(Context& context);
void RunSubscriptions(Context& context);
void UnsubscribePage(Context& context);
void UnsubscribeOneClick(Context& context);

void HealthPing(Context& context);
void HealthReady(Context& context);
void MetricsText(Context& context);
void GetStats(Context& context);
void GetStatsTimeline(Context& context);
void GetSettings(Context& context);
void WebAsset(Context& context);

// Templates: the SES-compatible routes (the seed's shapes and {"valid": false, "msg", "code"}
// errors) and /v1/templates.
void SesAddTemplate(Context& context);
void SesListTemplates(Context& context);
void SesRemoveTemplate(Context& context);
void CreateTemplate(Context& context);
void ListTemplates(Context& context);
void GetTemplate(Context& context);
void UpdateTemplate(Context& context);
void DeleteTemplate(Context& context);
void ListTemplateVersions(Context& context);
void PreviewTemplate(Context& context);

// SES delivery events through SNS (POST /email-status, SES-compatible answers) and the native
// suppression list (/v1/suppressions).
// Campaigns and the customers' import (campaign_routes.cpp).
void CreateCampaign(Context& context);
void ListCampaigns(Context& context);
void GetCampaign(Context& context);
void GetCampaignVersion(Context& context);
void UpdateCampaign(Context& context);
void DeleteCampaign(Context& context);
void SubmitCampaign(Context& context);
void ApproveCampaign(Context& context);
void RejectCampaign(Context& context);
void PauseCampaign(Context& context);
void ResumeCampaign(Context& context);
void CancelCampaign(Context& context);
void TestCampaign(Context& context);
void ImportCustomers(Context& context);
void GetCustomerImport(Context& context);

// People (account_routes.cpp): sessions, the caller's own account, users and the audit trail.
void Login(Context& context);
void OpenDashboardSession(Context& context);
void GetDashboardSession(Context& context);
void CloseDashboardSession(Context& context);
void RefreshSession(Context& context);
void Logout(Context& context);
void ListOwnSessions(Context& context);
void EndOwnSession(Context& context);
void Signup(Context& context);
void GetMe(Context& context);
void CreateUser(Context& context);
void ListUsers(Context& context);
void GetUser(Context& context);
void UpdateUser(Context& context);
void DeleteUser(Context& context);
void ListAudit(Context& context);
void CreateVerification(Context& context);
void GetVerification(Context& context);
// Seed 002, the Gin user service (seed002_routes.cpp): registration with a mailed link, the
// link's page (GET shows, POST confirms), resending it, login (token and jwt_token cookie), the
// caller's profile and the admin's user list.
void GinRegister(Context& context);
void GinConfirmPage(Context& context);
void GinConfirm(Context& context);
void GinResendConfirmation(Context& context);
void GinLogin(Context& context);
void GinProfile(Context& context);
void GinListUsers(Context& context);

void SesEmailStatus(Context& context);

// Seed 001, the DRF-shaped routes (seed001_routes.cpp): users (register, login, logout), the
// router root, email-template and sent-email.
void DrfRegister(Context& context);
void DrfLogin(Context& context);
void DrfLogout(Context& context);
void DrfEmailsRoot(Context& context);
void DrfCreateTemplate(Context& context);
void DrfListTemplates(Context& context);
void DrfGetTemplate(Context& context);
void DrfReplaceTemplate(Context& context);
void DrfPatchTemplate(Context& context);
void DrfDeleteTemplate(Context& context);
void DrfSendEmail(Context& context);
void DrfListSentEmails(Context& context);
void DrfGetSentEmail(Context& context);
void DrfMethodNotAllowed(Context& context);
void ListSuppressions(Context& context);
void CreateSuppression(Context& context);
void DeleteSuppression(Context& context);

}  // namespace http
