import { AnchorHTMLAttributes, MouseEvent, useSyncExternalStore } from 'react';

/** Client routes live under /admin; the server answers every such path with the app. */
export const BASE = '/admin';
const CHANGE = 'rollcall:navigate';

/**
 * A page with unsaved edits registers a guard: leaving it in the app (a link, Back) asks first. The browser's own
 * prompt covers reloads and closing the tab (the page's beforeunload handler).
 */
let guard: string | null = null;
/** The URL shown, to go back to when Back is refused. */
let shownUrl = window.location.pathname + window.location.search + window.location.hash;

export function setNavigationGuard(message: string | null): void {
  guard = message;
}

function allowed(): boolean {
  if (guard === null) return true;
  if (!window.confirm(guard)) return false;
  guard = null;
  return true;
}

// Back and Forward have already changed the URL when popstate fires: a refused one is undone by putting it back.
window.addEventListener('popstate', () => {
  if (!allowed()) {
    window.history.pushState(null, '', shownUrl);
    return;
  }
  shownUrl = window.location.pathname + window.location.search + window.location.hash;
  window.dispatchEvent(new Event(CHANGE));
});

function subscribe(onChange: () => void): () => void {
  window.addEventListener(CHANGE, onChange);
  return () => window.removeEventListener(CHANGE, onChange);
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
  shownUrl = window.location.pathname + window.location.search + window.location.hash;
}

/** Goes to `to` inside the app; false when the admin chose to stay on a page with unsaved edits. */
export function navigate(to: string, options: { replace?: boolean; force?: boolean } = {}): boolean {
  if (!options.force && !allowed()) return false;
  if (options.force) guard = null;
  const url = BASE + to;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  shownUrl = url;
  window.dispatchEvent(new Event(CHANGE));
  window.scrollTo(0, 0);
  return true;
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
