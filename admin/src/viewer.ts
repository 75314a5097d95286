import { createContext, useContext } from 'react';
import { TokenScope } from './api';

/** The scope of the signed-in token: a READ token sees everything and changes nothing. */
export const ScopeContext = createContext<TokenScope>('READ');

export function useCanEdit(): boolean {
  return useContext(ScopeContext) === 'ADMIN';
}
