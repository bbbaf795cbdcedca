#pragma once
// Newsletters: content types ("lists"), their subscribers and the scheduler that sends them.
// The GoMail routes (/task/ subscribe, /task/subscriptionContent) and the native /v1/lists
// routes both call this one implementation.
//
// A subscriber has a schedule (a macro such as "@daily" or a 5-field cron expression) in a time
// zone; the subscribers of one list sharing a schedule and zone form a group, which the store
// keeps one schedule row for. The scheduler fires each group at its times: a fire is recorded
// once under sched::FireKey(group, scheduled time), so it is enqueued exactly once even across
// restarts, and after downtime only the latest missed time fires (sched::NextFire). A fire
// renders the message once and fans out one email per subscriber in batched transactions;
// each email carries its subscriber's List-Unsubscribe link (RFC 2369) and
// List-Unsubscribe-Post (RFC 8058 one-click).
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "mail/message.h"
#include "sched/cron.h"
#include "sched/timezone.h"
#include "service/email_service.h"
#include "store/newsletter_store.h"

namespace service {

struct NewsletterOptions {
  std::string default_from;  // the sender of newsletters; empty: fires fail (logged)
  // The base URL unsubscribe links are built on, e.g. "https://mail.example.com"; no trailing
  // slash. May be set later, before the first fire (see SetPublicUrl).
  std::string public_url;
  std::string timezone = "UTC";  // for subscriptions that name none
  std::string zoneinfo_root = std::string(sched::kDefaultZoneInfoRoot);
  int fan_out_batch = 5000;  // subscribers enqueued per transaction
  int max_attempts = 5;      // of each newsletter email
};

struct SubscriptionRequest {
  std::string list;              // content type
  std::string email;             // the subscriber; validated, lower-cased
  std::string frequency;         // macro or cron expression
  std::string timezone;          // IANA name; "" for the server's
  std::string subject, content;  // create the list if it does not exist (optional)
};

// A list with its subscriber count and its groups' last and next fire times. A group's
// next_fire is what the scheduler's cron code gives at the time of the read (at or before then:
// due, the scheduler fires it within NewsletterScheduler::kMaxSleepMs); next_run_at is the
// earliest of them, none without groups.
struct ListDetail {
  store::ContentType list;
  std::int64_t subscribers = 0;
  std::vector<store::Schedule> schedules;
  std::optional<core::TimeMs> next_run_at;
};

struct FireResult {
  std::string key;
  std::int64_t enqueued = 0;
};

// Pure: a list (content type) name is 1-128 characters of [A-Za-z0-9_.-] (field
// "content_type", GoMail's name for it).
inline constexpr std::size_t kMaxContentTypeName = 128;
core::Status ValidateContentTypeName(const std::string& name);

// One recipient's email of a bulk send (a newsletter fire, a campaign), whose message is rendered
// once elsewhere: a new id, the envelope, and only the recipient's own headers (To, Message-ID,
// RFC 8058 one-click List-Unsubscribe to `unsubscribe_url`), at bulk priority, due `now`. The
// caller adds tags, metadata, attempts and owner.
store::NewEmail BulkRecipientEmail(const std::string& from, const std::string& envelope_from,
                                   const std::string& subject, const mail::Address& to,
                                   const std::string& unsubscribe_url, core::TimeMs now);

// Pure: checks a subscription schedule: a macro or a 5-field cron expression (field
// "frequency"; control characters refused), and a time zone name that loads (field
// "timezone"; "" is the server's).
core::Status ValidateSchedule(const std::string& frequency, const std::string& timezone,
                              const std::string& zoneinfo_root);

class NewsletterService {
 public:
  // kInvalidArgument if the default time zone does not load.
  static core::Result<std::unique_ptr<NewsletterService>> Create(const NewsletterOptions& options,
                                                                 store::NewsletterStore& store,
                                                                 const core::Clock& clock,
                                                                 core::Logger& logger,
                                                                 WakeWorkers wake_workers);
  NewsletterService(const NewsletterService&) = delete;
  NewsletterService& operator=(const NewsletterService&) = delete;

  // Lists (content types). Create (kAlreadyExists if the name is taken) and Update (kNotFound
  // if there is no such list) return the list as stored.
  core::Result<store::ContentType> CreateList(const store::ContentType& list);
  core::Result<store::ContentType> UpdateList(const store::ContentType& list);
  core::Result<store::ContentType> GetList(const std::string& name);
  // The list, its subscriber count and its groups. kNotFound for an unknown list.
  core::Result<ListDetail> DescribeList(const std::string& name);
  // Every list as DescribeList has it.
  core::Result<std::vector<ListDetail>> DescribeLists();
  // A page of the list's subscribers. kNotFound for an unknown list.
  core::Result<store::SubscriberPage> Subscribers(const std::string& list,
                                                  const std::string& cursor, int limit);

  // Validates the schedule and address, then subscribes (see Store::Subscribe). Errors name the
  // field: email, frequency, timezone; kNotFound when the list does not exist and subject or
  // content is missing to create it.
  core::Result<store::SubscribeResult> Subscribe(const SubscriptionRequest& request);
  core::Result<store::Subscriber> Unsubscribe(const std::string& list, const std::string& email);
  // The one-click link: kNotFound for a token no subscription has.
  core::Result<store::Subscriber> FindByToken(const std::string& token);
  core::Result<store::Subscriber> UnsubscribeByToken(const std::string& token);
  std::string UnsubscribeUrl(const std::string& token) const;
  // For a server whose port is known only once it listens. Call before the scheduler starts and
  // before requests are served.
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }

  // Sends the list to every subscriber now, whatever their schedule. kNotFound for an unknown
  // list.
  core::Result<FireResult> RunNow(const std::string& list);

  // One scheduler pass: finishes fires a crash interrupted, fires every due group once and
  // records each group's next fire time. Returns the earliest next fire time (sched::kNever if
  // none). Errors of one group are logged and do not stop the others.
  core::TimeMs Tick();

 private:
  NewsletterService(const NewsletterOptions& options, store::NewsletterStore& store,
                    const core::Clock& clock, core::Logger& logger, WakeWorkers wake_workers,
                    sched::TimeZone zone)
      : options_(options),
        store_(store),
        clock_(clock),
        logger_(logger),
        wake_workers_(std::move(wake_workers)),
        default_zone_(std::move(zone)),
        public_url_(options.public_url) {}

  core::Result<sched::TimeZone> Zone(const std::string& name);
  core::Result<sched::CronSchedule> ScheduleOf(const std::string& frequency);
  // Starts the fire (kAlreadyExists if it happened) and fans it out.
  core::Result<FireResult> Fire(const std::string& key, const std::string& list,
                                const std::optional<store::Schedule>& group,
                                core::TimeMs scheduled_at);
  core::Result<std::int64_t> FanOut(const std::string& key);
  // Sets each group's next_fire (kept as stored where its schedule or zone does not load) and
  // the list's next_run_at, as of `now`.
  void ComputeNextFires(ListDetail& detail, core::TimeMs now);
  core::Status FireGroupIfDue(const store::Schedule& group, core::TimeMs now,
                              core::TimeMs& next_fire);

  const NewsletterOptions options_;
  store::NewsletterStore& store_;
  const core::Clock& clock_;
  core::Logger& logger_;
  WakeWorkers wake_workers_;
  const sched::TimeZone default_zone_;
  std::string public_url_;

  std::mutex cache_mutex_;  // guards the caches below
  std::map<std::string, sched::TimeZone> zones_;
  std::map<std::string, sched::CronSchedule> schedules_;
};

// Runs NewsletterService::Tick on its own thread at each group's next fire time, and at least
// every kMaxSleepMs, so a group whose first subscriber just arrived fires at most that late.
class NewsletterScheduler {
 public:
  static constexpr core::TimeMs kMaxSleepMs = 30'000;

  NewsletterScheduler(NewsletterService& service, const core::Clock& clock);
  ~NewsletterScheduler();  // stops the thread
  NewsletterScheduler(const NewsletterScheduler&) = delete;
  NewsletterScheduler& operator=(const NewsletterScheduler&) = delete;

  // Returns once a fan-out in progress has finished its current batch and the thread has ended.
  void Stop();

 private:
  void Run();

  NewsletterService& service_;
  const core::Clock& clock_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace service
