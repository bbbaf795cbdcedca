// The GoMail-compatible routes: decode the JSON body, call the GoMailService, encode the answer
// in GoMail's shapes ({"status", "msg"}; errors {"status": false, "msg"}).
#include "http/routes.h"

namespace http {

void GoMailSignup(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto key = context.services.gomail.Signup(*body);
  if (!key.ok()) return context.GoMailError(key.error());
  context.Json(200, {{"apiKey", *key}});
}

void GoMailDeregister(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto done = context.services.gomail.Deregister(*body, *context.principal);
  if (!done.ok()) return context.GoMailError(done.error());
  context.Json(200, {{"status", true}, {"msg", "Deregistered successfully!"}});
}

void GoMailTask(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto task = service::ParseGoMailTask(*body);
  if (!task.ok()) return context.GoMailError(task.error());
  auto enqueued = context.services.gomail.Enqueue(*task, *context.principal);
  if (!enqueued.ok()) return context.GoMailError(enqueued.error());
  context.Json(200, {{"status", true}, {"msg", "Task enqueued successfully"}});
}

void GoMailCreateContentType(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto created = context.services.gomail.CreateContentType(*body, *context.principal);
  if (!created.ok()) return context.GoMailError(created.error());
  context.Json(200, {{"status", true}, {"msg", "Content Type created successfully"}});
}

void GoMailUpdateContentType(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto updated = context.services.gomail.UpdateContentType(*body, *context.principal);
  if (!updated.ok()) return context.GoMailError(updated.error());
  context.Json(200, {{"status", true}, {"msg", "Content Type updated successfully"}});
}

void GoMailVerify(Context& context) {
  auto body = service::ParseGoMailJson(context.request.body);
  if (!body.ok()) return context.GoMailError(body.error());
  auto verified = context.services.gomail.Verify(*body, *context.principal);
  if (!verified.ok()) return context.GoMailError(verified.error());
  context.Json(200, {{"type", "otp verification"}, {"verified", *verified}});
}

void GoMailMetrics(Context& context) {
  auto metrics = context.services.gomail.Metrics();
  if (!metrics.ok()) return context.GoMailError(metrics.error());
  context.Json(200, {{"status", true},
                     {"Total Jobs Executed", metrics->executed},
                     {"Jobs Successful", metrics->successful},
                     {"Jobs Failed", metrics->failed}});
}

}  // namespace http
