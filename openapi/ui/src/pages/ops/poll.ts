import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls `tick` now and then every `everyMs` while the page is visible: paused while the tab is
 * hidden (and called again as soon as it shows), stopped when the component goes away. The next
 * call waits for the previous one, so a slow hub never gets a pile of requests. `tick` returning
 * false stops the polling (a finished run).
 */
export function usePoll(tick: () => Promise<boolean | void>, everyMs: number, deps: readonly unknown[]): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let running = false;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && document.visibilityState === 'visible') timer = setTimeout(run, everyMs);
    };
    const run = async () => {
      if (stopped || running) return;
      running = true;
      try {
        if ((await latest.current()) === false) stopped = true;
      } catch {
        // The next tick tries again; the page shows the last answer it had.
      } finally {
        running = false;
      }
      schedule();
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void run();
      else clearTimeout(timer);
    };
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, deps);
}
