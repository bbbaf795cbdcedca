#pragma once
// Seed 001's sends: a signed-in person sends a stored template to a list of recipients, one email
// each (so recipients do not see each other), from their own address; each send is kept as one
// record (store::SentEmailStore) that only its sender can read back.
//
// Deliverability: From is the person's address, as the seed has it. A receiver checking DMARC
// judges that address's domain, which has not authorised this server unless it is the
// operator's own; so each email also carries a Sender header naming the server's --default-from
// (RFC 5322 3.6.2: the mailbox that actually sent it), which mail clients show as "sent on
// behalf of" and which needs no Reply-To: replies go to From, the person.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/email_service.h"
#include "service/templates.h"
#include "store/sent_email_store.h"
#include "store/user_store.h"

namespace service {

// The most recipients one send takes.
inline constexpr std::size_t kMaxSentEmailRecipients = 100;

struct SendTemplateRequest {
  std::int64_t template_id = 0;
  std::vector<std::string> recipients;  // bare addresses
};

struct SentEmailFilter {
  std::vector<std::string> recipients;       // records to at least one of them; empty: all
  std::optional<core::TimeMs> since, until;  // created in [since, until], both inclusive
  int page = 1;                              // 1-based
  int page_size = 10;
};

class SentEmailService {
 public:
  // `server_sender` is --default-from ("" for none): the Sender header of every email.
  SentEmailService(store::SentEmailStore& sent, store::UserStore& users, TemplateService& templates,
                   EmailService& emails, const core::Clock& clock, std::string server_sender,
                   WakeWorkers wake)
      : sent_(sent),
        users_(users),
        templates_(templates),
        emails_(emails),
        clock_(clock),
        server_sender_(std::move(server_sender)),
        wake_(std::move(wake)) {}
  SentEmailService(const SentEmailService&) = delete;
  SentEmailService& operator=(const SentEmailService&) = delete;

  // Renders the template's current version for each recipient (data: "recipient" and "sender",
  // the addresses) and stores one email per recipient with the record, in one transaction.
  // Recipients are trimmed of spaces and kept once each (compared ignoring case), in order.
  // Errors: kPermissionDenied when `sender` is not a person; kInvalidArgument for no recipients
  // or more than kMaxSentEmailRecipients (field "recipients"), an address that is not a bare
  // sendable one (field "recipients[i]", i its place in the request), or a template that cannot
  // be rendered with that data (field "template"); kNotFound (field "template") when there is
  // no such template.
  core::Result<store::SentEmail> Send(const auth::Principal& sender,
                                      const SendTemplateRequest& request);
  // The caller's own record; kNotFound for another person's or an unknown id.
  core::Result<store::SentEmail> Get(const auth::Principal& owner, std::int64_t id);
  // The caller's records, oldest first, one page of the filter's, with the total.
  // kInvalidArgument for page < 1 (field "page") or page_size outside 1..100.
  core::Result<store::SentEmailPage> List(const auth::Principal& owner,
                                          const SentEmailFilter& filter);

 private:
  store::SentEmailStore& sent_;
  store::UserStore& users_;
  TemplateService& templates_;
  EmailService& emails_;
  const core::Clock& clock_;
  const std::string server_sender_;
  WakeWorkers wake_;
};

}  // namespace service
