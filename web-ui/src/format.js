// Times are shown in the viewer's time zone (the browser's), numbers with its separators.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const number = new Intl.NumberFormat();

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

// An RFC 3339 time from the API -> "7 Dec 2026, 14:03:05" in the viewer's zone; '' for null.
export function formatTime(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : dateTime.format(at);
}

export function formatNumber(value) {
  return typeof value === 'number' ? number.format(value) : '–';
}

// An <input type="datetime-local"> value (the viewer's zone) <-> an RFC 3339 UTC time.
export function localInputToIso(value) {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoToLocalInput(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export function percent(part, whole) {
  if (!whole) return 0;
  return Math.min(100, Math.round((part / whole) * 100));
}

// A span of milliseconds for people: "850 ms", "2.4 s", "3 min 5 s", "2 h 10 min"; "–" for none.
export function formatDuration(ms) {
  if (typeof ms !== 'number') return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
