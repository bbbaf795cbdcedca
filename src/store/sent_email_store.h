#pragma once
// Seed 001's log of sends: one record per POST /api/v1/emails/sent-email/, naming who sent which
// template to whom and the email each recipient got. The record and its emails are stored in one
// transaction, so a record never names an email that was not queued and no email of a send is
// queued without its record. Its own area rather than more EmailStore methods: the record is
// seed 001's (who sent which template, the recipients as given) and is read by user and by
// recipient, which no other API needs; EmailStore stays about emails, and a backend implements
// the record next to the emails it names.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

struct SentEmail {
  std::int64_t id = 0;  // assigned by the store: positive, increasing, never reused
  std::int64_t user_id = 0;
  // The template sent; reads answer 0 once that template is deleted.
  std::int64_t template_id = 0;
  std::vector<std::string> recipients;  // as given, in order, distinct
  std::vector<std::string> email_ids;   // email_ids[i] went to recipients[i]
  TimeMs created_at = 0;
};

struct SentEmailQuery {
  std::int64_t user_id = 0;  // only this user's records
  // Records with at least one of these recipients (compared lower-cased); empty: every record.
  std::vector<std::string> recipients;
  std::optional<TimeMs> since, until;  // created_at in [since, until], both inclusive
  int offset = 0;
  int limit = 10;
};

struct SentEmailPage {
  std::vector<SentEmail> records;  // oldest first
  std::int64_t total = 0;          // records matching the query
};

class SentEmailStore {
 public:
  virtual ~SentEmailStore() = default;

  // Stores `emails` as CreateEmail does without a claim (each with its job and "queued" event,
  // counted in enqueued_total) and `record` naming them, all or nothing; returns the record with
  // its id and created_at = now. REQUIRES: record.email_ids[i] == emails[i].id, as many as
  // recipients. kInvalidArgument when they do not match, kAlreadyExists for a taken email id.
  virtual Result<SentEmail> CreateSentEmail(const SentEmail& record,
                                            const std::vector<NewEmail>& emails, TimeMs now) = 0;
  // kNotFound for an unknown id.
  virtual Result<SentEmail> GetSentEmail(std::int64_t id) = 0;
  // kInvalidArgument for a negative offset or limit.
  virtual Result<SentEmailPage> ListSentEmails(const SentEmailQuery& query) = 0;
};

}  // namespace store
