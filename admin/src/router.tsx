import { AnchorHTMLAttributes, MouseEvent, useSyncExternalStore } from 'react';

/** Client routes live under /admin; the server answers every such path with the app. */
export const BASE = '/admin';
const CHANGE = 'rollcall:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

function currentPath(): string {
  const path = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : window.location.pathname;
  return path === '' ? '/' : path;
}

/** The path inside the app, e.g. "/employees/abc". */
export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath);
}

/** The query string of the current URL ("" or "?…"); changes on navigation as the path does. */
export function useQueryString(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

/**
 * Writes the query string of the current page without a new history entry: a page's own state (a list's search and
 * sort) belongs in its URL, so a reload or a shared link shows the same list, but not in Back's steps.
 */
export function replaceQueryString(query: string): void {
  if (query === window.location.search) return;
  window.history.replaceState(window.history.state, '', window.location.pathname + query + window.location.hash);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + to;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(CHANGE));
  window.scrollTo(0, 0);
}

/** A real link (keyboard, middle click and "open in new tab" work) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={handle} {...rest} />;
}
