#!/bin/sh
# Installs the Debian 12 packages outbox needs. Idempotent: installs only what is missing.
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --test   also what the test suite and benchmarks need
#   packaging/install-deps.sh --ci     also clang and its libFuzzer/sanitizer runtimes (.ci/run)
set -eu
# nodejs and npm build the dashboard (web-ui/: npm ci, then esbuild) into the binary.
build="build-essential cmake pkg-config libcpp-httplib-dev libsqlitecpp-dev libsqlite3-dev \
nlohmann-json3-dev libkainjow-mustache-dev libboost-dev libcurl4-openssl-dev libssl-dev libidn2-dev libargon2-dev libesmtp-dev libjemalloc-dev \
ca-certificates tzdata nodejs npm"
# chromium, its driver and Selenium drive the dashboard's browser tests (headless); pytest-xdist
# runs the sanitizer build's black-box tests two at a time.
test_pkgs="doctest-dev python3 python3-aiosmtpd python3-pytest python3-pytest-xdist postfix wrk \
procps openssl chromium chromium-driver python3-selenium"
ci_pkgs="clang libclang-rt-14-dev"
want=$build
[ "${1:-}" = "--test" ] && want="$build $test_pkgs"
[ "${1:-}" = "--ci" ] && want="$build $test_pkgs $ci_pkgs"
# Installed as a Debian package; for node and npm, also a working command from elsewhere (a
# NodeSource nodejs bundles npm and conflicts with Debian's npm package).
have() {
  case $1 in
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
  esac
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=""
for p in $want; do
  have "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# Postfix is installed only for its smtp-sink/smtp-source test tools: no mail system is set up.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
