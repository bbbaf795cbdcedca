#pragma once
// The storage seam, in domain words, one narrow interface per area:
//   JobQueue (job_queue.h)             lease, heartbeat, finish, release, recover, stats
//   EmailStore (email_store.h)         emails, their events and rendered messages
//   AccessStore (access_store.h)       API keys, settings, one-time codes
//   NewsletterStore (newsletter_store.h) content types, subscriptions, schedules, fires
//   CallbackStore (callback_store.h)   status callbacks, attempts, endpoints, expiring tasks
//   TrackingStore (tracking_store.h)   tracked mail, open pixel, provider events, suppressions
//   TemplateStore (template_store.h)   email templates and their versions
//   RetentionStore (retention_store.h) purging what finished before a cutoff, in batches
//   SentEmailStore (sent_email_store.h) seed 001's log of sends, stored with their emails
//   UserStore (user_store.h)           user accounts, the login throttle
//   SessionStore (session_store.h)     sign-in sessions, rotating refresh tokens, seed-001 tokens
//   VerificationStore (verification_store.h) single-use confirmation links
//   AuditStore (audit_store.h)         the append-only audit trail
//   CampaignStore (campaign_store.h)   campaigns: approval, versions, fan-out ledger, progress
// Services take only the interfaces they use. `Store` is all of them at once: what a backend
// implements (SQLite today: store/sqlite/sqlite_store.h) and what App owns and hands out; it
// converts to each interface implicitly.
//
// What every backend promises (leases and fencing, recovery, atomicity, durability, cursors,
// time) is written down once, in src/store/README.md.
#include "store/access_store.h"
#include "store/audit_store.h"
#include "store/callback_store.h"
#include "store/campaign_store.h"
#include "store/email_store.h"
#include "store/job_queue.h"
#include "store/newsletter_store.h"
#include "store/retention_store.h"
#include "store/sent_email_store.h"
#include "store/session_store.h"
#include "store/template_store.h"
#include "store/tracking_store.h"
#include "store/types.h"
#include "store/user_store.h"
#include "store/verification_store.h"

namespace store {

class Store : public JobQueue,
              public EmailStore,
              public AccessStore,
              public NewsletterStore,
              public CallbackStore,
              public TrackingStore,
              public TemplateStore,
              public RetentionStore,
              public UserStore,
              public SessionStore,
              public VerificationStore,
              public AuditStore,
              public SentEmailStore,
              public CampaignStore {
 public:
  ~Store() override = default;

  // Health: a cheap read that proves the store answers.
  virtual Status Ping() = 0;
};

}  // namespace store
