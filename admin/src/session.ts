/**
 * The admin token lives in sessionStorage only: it is gone when the tab closes, is never put in a URL, and is sent
 * solely as the Authorization header of same-origin /graphql requests.
 */
const KEY = 'rollcall.adminToken';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
