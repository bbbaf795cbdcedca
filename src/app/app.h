#pragma once
// The composition root: the only place that knows every concrete type.

namespace app {

// Runs the command line (serve, version, config check, migrate, help); returns the exit code.
int Main(int argc, char** argv);

}  // namespace app
