import { ASSERTION_ALGORITHMS } from './assertion';

/** What an identity provider's admin pastes (the console's Connections page shows these), from PUBLIC_URL. */
export interface OAuthEndpoints {
  scimBaseUrl: string;
  tokenUrl: string;
  authorizeUrl: string;
  issuer: string;
}

export function oauthEndpoints(publicUrl: string): OAuthEndpoints {
  return {
    scimBaseUrl: `${publicUrl}/scim/v2`,
    tokenUrl: `${publicUrl}/oauth/token`,
    authorizeUrl: `${publicUrl}/oauth/authorize`,
    issuer: publicUrl,
  };
}

/** The authorization server's metadata (RFC 8414 §2). */
export function oauthMetadata(publicUrl: string): Record<string, unknown> {
  const endpoints = oauthEndpoints(publicUrl);
  return {
    issuer: endpoints.issuer,
    authorization_endpoint: endpoints.authorizeUrl,
    token_endpoint: endpoints.tokenUrl,
    revocation_endpoint: `${publicUrl}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['scim'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    code_challenge_methods_supported: ['S256'],
  };
}
