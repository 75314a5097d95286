import { createContext, useContext } from 'react';
import { TokenScope } from './api';

/** Who is signed in: a READ token sees everything and changes nothing; `tokenId` marks "this session" among tokens. */
export const ViewerContext = createContext<{ scope: TokenScope; tokenId: string | null }>({ scope: 'READ', tokenId: null });

export function useCanEdit(): boolean {
  return useContext(ViewerContext).scope === 'ADMIN';
}
