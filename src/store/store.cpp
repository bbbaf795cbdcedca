#include "store/store.h"

namespace store {

// These names are persisted in the database and shown by the API, so they never change.

const char* JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kEmail: return "email";
    case JobKind::kCallback: return "callback";
    case JobKind::kCampaign: return "campaign";
  }
  return "email";
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kLeased: return "leased";
    case JobState::kDone: return "done";
    case JobState::kDead: return "dead";
    case JobState::kCancelled: return "cancelled";
  }
  return "queued";
}

const char* EmailStatusName(EmailStatus status) {
  switch (status) {
    case EmailStatus::kQueued: return "queued";
    case EmailStatus::kSending: return "sending";
    case EmailStatus::kSent: return "sent";
    case EmailStatus::kDeferred: return "deferred";
    case EmailStatus::kFailed: return "failed";
    case EmailStatus::kCancelled: return "cancelled";
    case EmailStatus::kSuppressed: return "suppressed";
  }
  return "queued";
}

std::optional<EmailStatus> ParseEmailStatus(const std::string& name) {
  for (EmailStatus status :
       {EmailStatus::kQueued, EmailStatus::kSending, EmailStatus::kSent, EmailStatus::kDeferred,
        EmailStatus::kFailed, EmailStatus::kCancelled, EmailStatus::kSuppressed}) {
    if (name == EmailStatusName(status)) {
      return status;
    }
  }
  return std::nullopt;
}

const char* CampaignStatusName(CampaignStatus status) {
  switch (status) {
    case CampaignStatus::kDraft: return "draft";
    case CampaignStatus::kPendingApproval: return "pending_approval";
    case CampaignStatus::kScheduled: return "scheduled";
    case CampaignStatus::kSending: return "sending";
    case CampaignStatus::kPaused: return "paused";
    case CampaignStatus::kSent: return "sent";
    case CampaignStatus::kCancelled: return "cancelled";
  }
  return "draft";
}

std::optional<CampaignStatus> ParseCampaignStatus(const std::string& name) {
  for (CampaignStatus status :
       {CampaignStatus::kDraft, CampaignStatus::kPendingApproval, CampaignStatus::kScheduled,
        CampaignStatus::kSending, CampaignStatus::kPaused, CampaignStatus::kSent,
        CampaignStatus::kCancelled}) {
    if (name == CampaignStatusName(status)) {
      return status;
    }
  }
  return std::nullopt;
}

}  // namespace store
