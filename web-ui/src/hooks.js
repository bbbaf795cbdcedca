import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

// Loads `load()` now and again every `intervalMs` (0: once) while the page is visible, and
// whenever `deps` change. Returns {data, error, loading, reload}. A poll that fails keeps the
// last data and shows the error; the next success clears it.
export function usePoll(load, deps, intervalMs = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(async (mine) => {
    try {
      const data = await loadRef.current();
      if (generation.current === mine) setState({ data, error: null, loading: false });
    } catch (error) {
      if (generation.current === mine) setState((old) => ({ ...old, error, loading: false }));
    }
  }, []);

  useEffect(() => {
    const mine = ++generation.current;
    setState({ data: null, error: null, loading: true });
    let timer = 0;
    let stopped = false;
    const tick = async () => {
      if (document.visibilityState !== 'hidden') await run(mine);
      if (!stopped && intervalMs > 0) timer = window.setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [...deps, intervalMs]);

  const reload = useCallback(() => run(generation.current), [run]);
  return { ...state, reload };
}

// Runs an action (a button's), tracking that it is busy and what went wrong.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const act = useCallback(async (action) => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, act, setError };
}
