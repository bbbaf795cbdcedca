#pragma once
// Several messages in one SMTP session over libESMTP (PIPELINING when offered). Used by
// smtp_transport.cpp for SendBatch; declared apart so the curl side stays libESMTP-free.
#include <functional>
#include <string>
#include <vector>

#include "mail/transport.h"

namespace mail::internal {

// False where libESMTP cannot serve the options: implicit TLS (SMTPS, port 465).
bool CanPipeline(const SmtpOptions& options);

// One session for the whole batch: one result per message, in order (see ClassifyPipelined).
// With require_all_recipients a message goes out only if every RCPT TO was accepted (libESMTP
// then waits for the RCPT replies before DATA); without it a message with some refused
// recipients would still reach the others, so callers pass true for messages with more than
// one recipient. `progress` (may be empty) runs after each message's last reply and each RCPT
// reply. `session_error` is set when the session ended before QUIT.
std::vector<SendResult> SendPipelined(const SmtpOptions& options,
                                      const std::vector<Outgoing>& batch,
                                      bool require_all_recipients,
                                      const std::function<void()>& progress,
                                      std::string& session_error);

}  // namespace mail::internal
