#include "service/newsletters.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>

#include "core/random.h"
#include "mail/html_text.h"
#include "mail/message.h"

namespace service {
namespace {

using core::Result;

constexpr const char* kNewsletterOwner = "scheduler";
// A group whose fire failed (no sender configured, storage unavailable) is tried again after this.
constexpr core::TimeMs kRetryFailedGroupMs = 60'000;

// The name a group's fires are keyed by: "<list>/<frequency>/<time zone>".
std::string GroupName(const store::Schedule& group, const std::string& zone) {
  return group.content_type + "/" + group.frequency + "/" + zone;
}

std::string DomainOf(const std::string& address) { return address.substr(address.rfind('@') + 1); }

}  // namespace

store::NewEmail BulkRecipientEmail(const std::string& from, const std::string& envelope_from,
                                   const std::string& subject, const mail::Address& to,
                                   const std::string& unsubscribe_url, core::TimeMs now) {
  store::NewEmail email;
  email.id = core::TimeOrderedId("em_", now);
  email.from = from;
  email.to = {to.address};
  email.envelope_recipients = {to.address};
  email.envelope_from = envelope_from;
  email.subject = subject;
  email.raw_message =
      mail::RenderRecipientHeaders(to, email.id + "@" + DomainOf(envelope_from),
                                   {{"List-Unsubscribe", "<" + unsubscribe_url + ">"},
                                    {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}});
  email.send_at = now;
  email.priority = store::kPriorityBulk;
  return email;
}

core::Status ValidateContentTypeName(const std::string& name) {
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (name.empty() || name.size() > kMaxContentTypeName || !allowed) {
    return core::InvalidArgument(
        "content_type",
        "content_type must be 1 to 128 characters of letters, digits, '_', '.' or '-'");
  }
  return {};
}

core::Status ValidateSchedule(const std::string& frequency, const std::string& timezone,
                              const std::string& zoneinfo_root) {
  // Tabs and line breaks would make a second spelling of a schedule (and a second group of
  // fires); fields are separated by spaces.
  if (std::any_of(frequency.begin(), frequency.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; })) {
    return core::InvalidArgument("frequency",
                                 "frequency must not contain control characters (tabs, line "
                                 "breaks); separate the fields with spaces");
  }
  auto schedule = sched::CronSchedule::Parse(frequency);
  if (!schedule.ok()) {
    return core::InvalidArgument("frequency", schedule.error().message);
  }
  if (!timezone.empty()) {
    auto zone = sched::TimeZone::Load(timezone, zoneinfo_root);
    if (!zone.ok()) return zone.error();
  }
  return {};
}

Result<std::unique_ptr<NewsletterService>> NewsletterService::Create(
    const NewsletterOptions& options, store::NewsletterStore& store, const core::Clock& clock,
    core::Logger& logger, WakeWorkers wake_workers) {
  auto zone = sched::TimeZone::Load(options.timezone, options.zoneinfo_root);
  if (!zone.ok()) return zone.error();
  return std::unique_ptr<NewsletterService>(new NewsletterService(
      options, store, clock, logger, std::move(wake_workers), std::move(zone).value()));
}

Result<store::ContentType> NewsletterService::CreateList(const store::ContentType& list) {
  if (auto created = store_.CreateContentType(list, clock_.NowMs()); !created.ok()) {
    return created.error();
  }
  return store_.GetContentType(list.name);
}

Result<store::ContentType> NewsletterService::UpdateList(const store::ContentType& list) {
  if (auto updated = store_.UpdateContentType(list, clock_.NowMs()); !updated.ok()) {
    return updated.error();
  }
  return store_.GetContentType(list.name);
}

Result<store::ContentType> NewsletterService::GetList(const std::string& name) {
  return store_.GetContentType(name);
}

Result<ListDetail> NewsletterService::DescribeList(const std::string& name) {
  auto list = store_.GetContentType(name);
  if (!list.ok()) return list.error();
  auto count = store_.CountSubscribers(list->name);
  if (!count.ok()) return count.error();
  auto schedules = store_.ListSchedules();
  if (!schedules.ok()) return schedules.error();
  std::erase_if(*schedules,
                [&](const store::Schedule& group) { return group.content_type != list->name; });
  ListDetail detail{std::move(*list), *count, std::move(*schedules), std::nullopt};
  ComputeNextFires(detail, clock_.NowMs());
  return detail;
}

Result<std::vector<ListDetail>> NewsletterService::DescribeLists() {
  auto lists = store_.ListContentTypes();
  if (!lists.ok()) return lists.error();
  auto schedules = store_.ListSchedules();
  if (!schedules.ok()) return schedules.error();
  const core::TimeMs now = clock_.NowMs();
  std::vector<ListDetail> details;
  details.reserve(lists->size());
  for (store::ContentType& list : *lists) {
    auto count = store_.CountSubscribers(list.name);
    if (!count.ok()) return count.error();
    ListDetail detail{std::move(list), *count, {}, std::nullopt};
    std::copy_if(
        schedules->begin(), schedules->end(), std::back_inserter(detail.schedules),
        [&](const store::Schedule& group) { return group.content_type == detail.list.name; });
    ComputeNextFires(detail, now);
    details.push_back(std::move(detail));
  }
  return details;
}

void NewsletterService::ComputeNextFires(ListDetail& detail, core::TimeMs now) {
  for (store::Schedule& group : detail.schedules) {
    auto schedule = ScheduleOf(group.frequency);
    auto zone = Zone(group.timezone);
    if (schedule.ok() && zone.ok()) {
      // As FireGroupIfDue has it: until its first fire a group counts from its creation.
      group.next_fire =
          sched::NextFire(group.last_fire.value_or(group.created_at), *schedule, *zone, now);
    }
    if (group.next_fire && *group.next_fire != sched::kNever) {
      detail.next_run_at = std::min(detail.next_run_at.value_or(sched::kNever), *group.next_fire);
    }
  }
}

Result<store::SubscriberPage> NewsletterService::Subscribers(const std::string& list,
                                                             const std::string& cursor, int limit) {
  if (auto found = store_.GetContentType(list); !found.ok()) return found.error();
  return store_.ListSubscribers(list, cursor, limit);
}

Result<store::SubscribeResult> NewsletterService::Subscribe(const SubscriptionRequest& request) {
  auto address = mail::ParseSendableAddress(request.email, "email");
  if (!address.ok()) return address.error();
  if (!address->display_name.empty()) {
    return core::InvalidArgument("email", "a subscriber is a bare address, without a name");
  }
  if (auto valid = ValidateSchedule(request.frequency, request.timezone, options_.zoneinfo_root);
      !valid.ok()) {
    return valid.error();
  }
  store::NewSubscription subscription;
  subscription.content_type = request.list;
  subscription.user_id = address->address;
  subscription.frequency = sched::CronSchedule::Parse(request.frequency)->spelling();
  subscription.timezone = request.timezone;
  subscription.subject = request.subject;
  subscription.content = request.content;
  subscription.unsubscribe_token = core::RandomHex(16);
  return store_.Subscribe(subscription, clock_.NowMs());
}

Result<store::Subscriber> NewsletterService::Unsubscribe(const std::string& list,
                                                         const std::string& email) {
  return store_.Unsubscribe(list, email);
}

Result<store::Subscriber> NewsletterService::FindByToken(const std::string& token) {
  return store_.FindSubscriberByToken(token);
}

Result<store::Subscriber> NewsletterService::UnsubscribeByToken(const std::string& token) {
  return store_.UnsubscribeByToken(token);
}

std::string NewsletterService::UnsubscribeUrl(const std::string& token) const {
  return public_url_ + "/unsubscribe/" + token;
}

Result<FireResult> NewsletterService::RunNow(const std::string& list) {
  const core::TimeMs now = clock_.NowMs();
  return Fire(sched::FireKey(list + "/now", now), list, std::nullopt, now);
}

Result<FireResult> NewsletterService::Fire(const std::string& key, const std::string& list,
                                           const std::optional<store::Schedule>& group,
                                           core::TimeMs scheduled_at) {
  auto content = store_.GetContentType(list);
  if (!content.ok()) return content.error();
  if (options_.default_from.empty()) {
    return core::FailedPrecondition("newsletters need a sender: set --default-from");
  }
  auto from = mail::ParseAddress(options_.default_from, "default_from");
  if (!from.ok()) return from.error();

  // Everything but the recipient's own headers is rendered once and stored with the fire.
  mail::Message shared;
  shared.from = *from;
  shared.subject = content->subject;
  shared.html = content->content;
  shared.text = mail::HtmlToText(content->content);
  shared.date = clock_.NowMs();
  store::Fire fire{key,
                   list,
                   group,
                   scheduled_at,
                   options_.default_from,
                   content->subject,
                   mail::RenderSharedPart(shared)};
  if (auto started = store_.StartFire(fire, clock_.NowMs()); !started.ok()) {
    return started.error();
  }
  logger_.Info("newsletter fire started", {{"fire", key}, {"list", list}});
  auto enqueued = FanOut(key);
  if (!enqueued.ok()) return enqueued.error();
  return FireResult{key, *enqueued};
}

Result<std::int64_t> NewsletterService::FanOut(const std::string& key) {
  std::string envelope_from;  // the fire's, parsed once (the store calls `recipient` in turn)
  const auto recipient = [this, &envelope_from](const store::Fire& fire,
                                                const store::Subscriber& subscriber) {
    if (envelope_from.empty()) {
      auto from = mail::ParseAddress(fire.sender, "sender");
      envelope_from = from.ok() ? from->address : fire.sender;
    }
    store::NewEmail email = BulkRecipientEmail(
        fire.sender, envelope_from, fire.subject, mail::Address{"", subscriber.user_id},
        UnsubscribeUrl(subscriber.unsubscribe_token), clock_.NowMs());
    email.tags = {"newsletter"};
    email.metadata = {{"list", fire.content_type}, {"fire", fire.key}};
    email.max_attempts = options_.max_attempts;
    email.owner = kNewsletterOwner;
    return email;
  };
  std::int64_t total = 0;
  for (;;) {
    auto progress = store_.FanOutFire(key, options_.fan_out_batch, recipient, clock_.NowMs());
    if (!progress.ok()) return progress.error();
    total += progress->enqueued;
    if (progress->enqueued > 0) wake_workers_();
    if (progress->done) break;
  }
  logger_.Info("newsletter fire enqueued", {{"fire", key}, {"emails", total}});
  return total;
}

Result<sched::TimeZone> NewsletterService::Zone(const std::string& name) {
  if (name.empty()) return default_zone_;
  std::lock_guard lock(cache_mutex_);
  if (auto found = zones_.find(name); found != zones_.end()) return found->second;
  auto zone = sched::TimeZone::Load(name, options_.zoneinfo_root);
  if (!zone.ok()) return zone.error();
  return zones_.emplace(name, std::move(zone).value()).first->second;
}

Result<sched::CronSchedule> NewsletterService::ScheduleOf(const std::string& frequency) {
  std::lock_guard lock(cache_mutex_);
  if (auto found = schedules_.find(frequency); found != schedules_.end()) return found->second;
  auto schedule = sched::CronSchedule::Parse(frequency);
  if (!schedule.ok()) return schedule.error();
  return schedules_.emplace(frequency, std::move(schedule).value()).first->second;
}

core::Status NewsletterService::FireGroupIfDue(const store::Schedule& group, core::TimeMs now,
                                               core::TimeMs& next_fire) {
  auto schedule = ScheduleOf(group.frequency);
  if (!schedule.ok()) return schedule.error();
  auto zone = Zone(group.timezone);
  if (!zone.ok()) return zone.error();
  // Until its first fire a group counts from its creation: nothing before it is "missed".
  const core::TimeMs due =
      sched::NextFire(group.last_fire.value_or(group.created_at), *schedule, *zone, now);
  next_fire = due;
  if (due <= now) {
    const std::string key = sched::FireKey(GroupName(group, zone->name()), due);
    auto fired = Fire(key, group.content_type, group, due);
    // kAlreadyExists: this fire happened (here before a restart, or on another node).
    if (!fired.ok() && fired.error().code != core::ErrorCode::kAlreadyExists) {
      return fired.error();
    }
    next_fire = sched::NextFire(due, *schedule, *zone, now);
  }
  if (group.next_fire != next_fire) {
    return store_.SetNextFire(group, next_fire);
  }
  return {};
}

core::TimeMs NewsletterService::Tick() {
  core::TimeMs earliest = sched::kNever;
  auto unfinished = store_.ListUnfinishedFires();
  if (!unfinished.ok()) {
    logger_.Error("unfinished fires could not be listed", {{"error", unfinished.error().message}});
  } else {
    for (const std::string& key : *unfinished) {
      logger_.Warn("resuming an interrupted newsletter fire", {{"fire", key}});
      if (auto resumed = FanOut(key); !resumed.ok()) {
        logger_.Error("newsletter fire failed",
                      {{"fire", key}, {"error", resumed.error().message}});
      }
    }
  }
  auto groups = store_.ListSchedules();
  if (!groups.ok()) {
    logger_.Error("schedules could not be listed", {{"error", groups.error().message}});
    return earliest;
  }
  const core::TimeMs now = clock_.NowMs();
  for (const store::Schedule& group : *groups) {
    core::TimeMs next = sched::kNever;
    if (auto fired = FireGroupIfDue(group, now, next); !fired.ok()) {
      logger_.Error("newsletter group failed to fire", {{"list", group.content_type},
                                                        {"frequency", group.frequency},
                                                        {"error", fired.error().message}});
      next = now + kRetryFailedGroupMs;
    }
    earliest = std::min(earliest, next);
  }
  return earliest;
}

NewsletterScheduler::NewsletterScheduler(NewsletterService& service, const core::Clock& clock)
    : service_(service), clock_(clock), thread_([this] { Run(); }) {}

NewsletterScheduler::~NewsletterScheduler() { Stop(); }

void NewsletterScheduler::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NewsletterScheduler::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const core::TimeMs next = service_.Tick();
    lock.lock();
    const core::TimeMs now = clock_.NowMs();
    const core::TimeMs sleep = std::clamp<core::TimeMs>(next - now, 0, kMaxSleepMs);
    stop_.wait_for(lock, std::chrono::milliseconds(sleep), [this] { return stopping_; });
  }
}

}  // namespace service
