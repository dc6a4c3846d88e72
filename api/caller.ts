/** Who is calling the API, as authenticated: the identity is the `by` of everything it does. */
export interface Caller {
  identity: string;
  groups: string[];
  /** How the caller proved it: a configured token or an OIDC token (JWT). */
  via: 'token' | 'oidc';
}
