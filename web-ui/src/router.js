// Routes live in the fragment (#/emails/em_1?status=failed), so every screen has an address the
// server need not know: it serves the one page at / and nothing else.
import { useEffect, useState } from 'preact/hooks';

export function parseHash(hash) {
  const text = hash.replace(/^#/, '') || '/';
  const [pathname, search = ''] = text.split('?');
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(search), hash: text };
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

// "#/emails" + {status: 'failed'} -> "#/emails?status=failed"
export function href(path, params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(path, params) {
  window.location.hash = href(path, params);
}
