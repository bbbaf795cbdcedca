#pragma once
// `outbox users ...`: people's accounts from the command line, on the database of --data-dir,
// also while a server runs on it (the store is opened without the server's lock file; SQLite
// orders the writes). Prints no secret except a password it generated.
#include <functional>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/result.h"

namespace app {

// `args` are what follows "users"; `load` turns the remaining --flags into the configuration.
// Returns the exit code: 0, 1 for a failure, 2 for a usage error.
int UsersCommand(
    std::vector<std::string> args,
    const std::function<core::Result<LoadedConfig>(const std::vector<std::string>&)>& load);

}  // namespace app
