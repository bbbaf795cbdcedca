#include "sched/timezone.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "sched/posix_tz.h"

namespace sched {
namespace {

// Instants are kept in seconds. Transitions beyond +-9e15 s (285 million years) are dropped
// so that every instant reported converts to milliseconds without overflow; zic writes
// "big bang" transitions at -2^59 s, which would not.
constexpr std::int64_t kMaxSeconds = 9'000'000'000'000'000 / 1000;
// An instant whose wall time is L lies within kOffsetWindow of L.
constexpr std::int64_t kOffsetWindow = kMaxUtcOffsetSeconds + 1;
// The largest zone in tzdata is under 4 KiB; anything this big is not a zone.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

core::Error ZoneError(std::string message) {
  return core::InvalidArgument("timezone", std::move(message));
}

// What is wrong with a zone name, or empty if it may be looked up under the zoneinfo root.
std::string NameProblem(std::string_view name) {
  if (name.empty()) {
    return "time zone name is empty";
  }
  if (name.size() > 255) {
    return "time zone name is longer than 255 characters";
  }
  for (const char c : name) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' || c == '.' ||
                         c == '/';
    if (!allowed) {
      return "time zone name may only contain letters, digits and _ + - . /";
    }
  }
  if (name.front() == '/') {
    return "time zone name must not start with '/'";
  }
  if (name.find("..") != std::string_view::npos) {
    return "time zone name must not contain \"..\"";
  }
  // Every '/'-separated component must be non-empty and must not start with '.'.
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = name.find('/', start);
    const std::string_view component = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (component.empty() || component.front() == '.') {
      return "time zone name \"" + std::string(name) + "\" is malformed";
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  if (name == "localtime") {
    return "\"localtime\" is the host's zone; give an IANA name such as Europe/Berlin";
  }
  return {};
}

// The zone database holds TZif files that are not places: "Factory" (a zone whose abbreviation
// is "-00", for images not yet configured), "posixrules" (the rules POSIX TZ strings borrow),
// the POSIX-style "EST5EDT" family, the legacy country aliases ("Japan", "GB") and the posix/
// copy of the whole tree. Accepted are Area/Location names ("Europe/Berlin", "Etc/GMT+5") and
// "GMT" beside "UTC" (the two one-word names people mean as UTC), so a zone name names a place.
std::string NotAreaLocation(std::string_view name) {
  if (name == "GMT") return {};
  if (name.find('/') == std::string_view::npos || name.substr(0, 6) == "posix/") {
    return "\"" + std::string(name) +
           "\" is not an Area/Location time zone name; give one such as Europe/Berlin, or UTC";
  }
  return {};
}

// Big-endian reads over the file's bytes; each returns false, consuming nothing, when short.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  std::uint64_t remaining() const { return data_.size() - position_; }
  bool Skip(std::uint64_t count) {
    if (count > remaining()) {
      return false;
    }
    position_ += static_cast<std::size_t>(count);
    return true;
  }
  bool Bytes(std::size_t count, std::string_view* out) {
    if (count > remaining()) {
      return false;
    }
    *out = data_.substr(position_, count);
    position_ += count;
    return true;
  }
  bool Unsigned(int width, std::uint64_t* out) {
    std::string_view bytes;
    if (!Bytes(static_cast<std::size_t>(width), &bytes)) {
      return false;
    }
    std::uint64_t value = 0;
    for (const char byte : bytes) {
      value = (value << 8) | static_cast<unsigned char>(byte);
    }
    *out = value;
    return true;
  }
  // A two's-complement signed integer of 4 or 8 bytes.
  bool Signed(int width, std::int64_t* out) {
    std::uint64_t value = 0;
    if (!Unsigned(width, &value)) {
      return false;
    }
    if (width == 4) {
      *out = static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
    } else {
      *out = static_cast<std::int64_t>(value);
    }
    return true;
  }
  std::string_view rest() const { return data_.substr(position_); }

 private:
  std::string_view data_;
  std::size_t position_ = 0;
};

struct Header {
  char version = 0;
  std::uint64_t isutcnt = 0;
  std::uint64_t isstdcnt = 0;
  std::uint64_t leapcnt = 0;
  std::uint64_t timecnt = 0;
  std::uint64_t typecnt = 0;
  std::uint64_t charcnt = 0;

  // Bytes of the data block that follows, with `time_size`-byte times (4 in v1, 8 in v2+).
  std::uint64_t BlockSize(std::uint64_t time_size) const {
    return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
           isstdcnt + isutcnt;
  }
};

bool ReadHeader(ByteReader* reader, Header* header) {
  std::string_view magic;
  std::string_view version;
  if (!reader->Bytes(4, &magic) || magic != "TZif" || !reader->Bytes(1, &version) ||
      !reader->Skip(15)) {
    return false;
  }
  header->version = version[0];
  return reader->Unsigned(4, &header->isutcnt) && reader->Unsigned(4, &header->isstdcnt) &&
         reader->Unsigned(4, &header->leapcnt) && reader->Unsigned(4, &header->timecnt) &&
         reader->Unsigned(4, &header->typecnt) && reader->Unsigned(4, &header->charcnt);
}

// The transitions of a data block, in the form TimeZone::Rules keeps them.
struct TransitionTable {
  int initial_offset = 0;
  std::vector<std::int64_t> times;
  std::vector<int> offsets;
};

// Parses one data block (RFC 8536 3.2) into `table`; returns what is wrong, or empty.
std::string ParseDataBlock(ByteReader* reader, const Header& header, int time_size,
                           TransitionTable* table) {
  if (header.leapcnt != 0) {
    return "has leap-second records (a right/ zone); use the zone without leap seconds";
  }
  if (header.typecnt == 0) {
    return "has no local time types";
  }
  if (header.BlockSize(static_cast<std::uint64_t>(time_size)) > reader->remaining()) {
    return "is truncated";
  }
  std::vector<std::int64_t> times(static_cast<std::size_t>(header.timecnt));
  for (auto& time : times) {
    (void)reader->Signed(time_size, &time);  // sizes were checked above
  }
  std::vector<std::uint64_t> type_indexes(static_cast<std::size_t>(header.timecnt));
  for (auto& index : type_indexes) {
    (void)reader->Unsigned(1, &index);
    if (index >= header.typecnt) {
      return "has a transition to a nonexistent local time type";
    }
  }
  std::vector<int> type_offsets(static_cast<std::size_t>(header.typecnt));
  for (auto& offset : type_offsets) {
    std::int64_t utoff = 0;
    (void)reader->Signed(4, &utoff);
    (void)reader->Skip(2);  // isdst, desigidx: not needed to map instants
    if (utoff < -kMaxUtcOffsetSeconds || utoff > kMaxUtcOffsetSeconds) {
      return "has a UTC offset of 26 hours or more";
    }
    offset = static_cast<int>(utoff);
  }
  (void)reader->Skip(header.charcnt + header.isstdcnt + header.isutcnt);
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) {
      return "has transitions out of order";
    }
  }

  table->initial_offset = type_offsets[0];
  for (std::size_t i = 0; i < times.size(); ++i) {
    const int offset = type_offsets[static_cast<std::size_t>(type_indexes[i])];
    if (times[i] < -kMaxSeconds) {
      table->initial_offset = offset;  // too early to report; it only sets the starting offset
    } else if (times[i] <= kMaxSeconds) {
      table->times.push_back(times[i]);
      table->offsets.push_back(offset);
    }
  }
  return {};
}

}  // namespace

struct TimeZone::Rules {
  std::string name = "UTC";
  int initial_offset = 0;               // before the first transition: time type 0 (RFC 8536 3.2)
  std::vector<std::int64_t> times;      // transition instants, UTC seconds, strictly ascending
  std::vector<int> offsets;             // offsets[i] applies from times[i]
  std::optional<PosixTimeZone> footer;  // applies from the last transition on

  void SetTable(TransitionTable table) {
    initial_offset = table.initial_offset;
    times = std::move(table.times);
    offsets = std::move(table.offsets);
  }

  int OffsetAt(std::int64_t t) const {
    if (!times.empty() && t < times.front()) {
      return initial_offset;
    }
    if (footer && (times.empty() || t >= times.back())) {
      return footer->OffsetAt(t);
    }
    if (times.empty()) {
      return initial_offset;
    }
    const auto after = std::upper_bound(times.begin(), times.end(), t);
    return offsets[static_cast<std::size_t>(std::distance(times.begin(), after) - 1)];
  }

  // The first instant after `t` at which OffsetAt changes.
  std::optional<std::int64_t> NextChange(std::int64_t t) const {
    for (auto it = std::upper_bound(times.begin(), times.end(), t); it != times.end(); ++it) {
      if (OffsetAt(*it - 1) != OffsetAt(*it)) {
        return *it;
      }
    }
    if (!footer) {
      return std::nullopt;
    }
    return footer->NextChange(times.empty() ? t : std::max(t, times.back()));
  }
};

TimeZone::TimeZone() : rules_(std::make_shared<const Rules>()) {}

TimeZone::TimeZone(std::shared_ptr<const Rules> rules) : rules_(std::move(rules)) {}

const std::string& TimeZone::name() const { return rules_->name; }

core::Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view data) {
  const std::string prefix = "time zone file for \"" + std::string(name) + "\" ";
  ByteReader reader(data);
  Header header;
  if (!ReadHeader(&reader, &header)) {
    return ZoneError(prefix + "is not TZif data");
  }
  auto rules = std::make_shared<Rules>();
  rules->name = std::string(name);
  TransitionTable table;
  if (header.version == '\0') {
    // Version 1: 32-bit transition times and no footer; the last type holds forever.
    if (std::string problem = ParseDataBlock(&reader, header, 4, &table); !problem.empty()) {
      return ZoneError(prefix + problem);
    }
    rules->SetTable(std::move(table));
    return TimeZone(std::move(rules));
  }
  if (header.version < '2' || header.version > '9') {
    return ZoneError(prefix + "has an unknown TZif version");
  }
  // Version 2+: skip the 32-bit block, which only serves old readers, and read the 64-bit one.
  Header header64;
  if (!reader.Skip(header.BlockSize(4)) || !ReadHeader(&reader, &header64)) {
    return ZoneError(prefix + "is truncated");
  }
  if (std::string problem = ParseDataBlock(&reader, header64, 8, &table); !problem.empty()) {
    return ZoneError(prefix + problem);
  }
  rules->SetTable(std::move(table));
  // The footer: "\n" TZ-string "\n". An empty TZ string means "no rule after the last
  // transition": its type holds forever.
  const std::string_view rest = reader.rest();
  const std::size_t end = rest.size() > 1 ? rest.find('\n', 1) : std::string_view::npos;
  if (rest.empty() || rest.front() != '\n' || end == std::string_view::npos) {
    return ZoneError(prefix + "has no footer");
  }
  const std::string_view tz_string = rest.substr(1, end - 1);
  if (!tz_string.empty()) {
    rules->footer = PosixTimeZone::Parse(tz_string);
    if (!rules->footer) {
      return ZoneError(prefix + "has an unsupported footer TZ string \"" +
                       std::string(tz_string.substr(0, 64)) + "\"");
    }
  }
  return TimeZone(std::move(rules));
}

core::Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view root) {
  if (name == "UTC") {
    return TimeZone();
  }
  if (std::string problem = NameProblem(name); !problem.empty()) {
    return ZoneError(std::move(problem));
  }
  std::error_code error;
  const std::filesystem::path root_path{std::string(root)};
  if (!std::filesystem::is_directory(root_path, error)) {
    return core::Error{core::ErrorCode::kFailedPrecondition,
                       "time zone database not found at " + root_path.string() +
                           " (is the tzdata package installed?)",
                       "timezone"};
  }
  const std::filesystem::path path = root_path / std::string(name);
  const std::string unknown = "unknown time zone \"" + std::string(name) + "\"";
  if (!std::filesystem::is_regular_file(path, error)) {
    return ZoneError(unknown);
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size > kMaxFileBytes) {
    return ZoneError(unknown);
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  std::ifstream file(path, std::ios::binary);
  if (!file.read(data.data(), static_cast<std::streamsize>(data.size()))) {
    return ZoneError("cannot read the time zone file for \"" + std::string(name) + "\"");
  }
  auto zone = FromTzif(name, data);
  if (!zone.ok()) return zone;
  // Checked after the file is read, so a file that is not a zone at all says so first.
  if (std::string problem = NotAreaLocation(name); !problem.empty()) return ZoneError(problem);
  return zone;
}

int TimeZone::OffsetSecondsAt(core::TimeMs utc) const {
  return rules_->OffsetAt(FloorDiv(utc, 1000));
}

CivilTime TimeZone::ToCivil(core::TimeMs utc) const {
  const std::int64_t seconds = FloorDiv(utc, 1000);
  return CivilFromSeconds(seconds + rules_->OffsetAt(seconds));
}

std::vector<core::TimeMs> TimeZone::FromCivil(const CivilTime& local) const {
  if (local.month < 1 || local.month > 12 || local.day < 1 ||
      local.day > DaysInMonth(local.year, local.month) || local.hour < 0 || local.hour > 23 ||
      local.minute < 0 || local.minute > 59 || local.second < 0 || local.second > 59) {
    return {};
  }
  const std::int64_t wall = CivilToSeconds(local);
  if (wall < -kMaxSeconds + 2 * kOffsetWindow || wall > kMaxSeconds - 2 * kOffsetWindow) {
    return {};
  }
  // An instant t has wall time t + offset(t), so a match lies within kOffsetWindow of `wall`;
  // try every offset in effect there.
  std::vector<int> offsets = {rules_->OffsetAt(wall - kOffsetWindow)};
  std::int64_t cursor = wall - kOffsetWindow;
  while (const auto change = rules_->NextChange(cursor)) {
    if (*change > wall + kOffsetWindow) {
      break;
    }
    offsets.push_back(rules_->OffsetAt(*change));
    cursor = *change;
  }
  std::vector<core::TimeMs> instants;
  for (const int offset : offsets) {
    const std::int64_t candidate = wall - offset;
    if (rules_->OffsetAt(candidate) == offset) {
      instants.push_back(candidate * 1000);
    }
  }
  std::sort(instants.begin(), instants.end());
  instants.erase(std::unique(instants.begin(), instants.end()), instants.end());
  return instants;
}

std::optional<ZoneTransition> TimeZone::NextTransition(core::TimeMs after) const {
  const auto change = rules_->NextChange(FloorDiv(after, 1000));
  if (!change || *change > kMaxSeconds) {
    return std::nullopt;
  }
  return ZoneTransition{*change * 1000, rules_->OffsetAt(*change - 1), rules_->OffsetAt(*change)};
}

}  // namespace sched
