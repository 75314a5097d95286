import { caseFold } from 'unicode-case-folding';

/**
 * How Rollcall tells whether two usernames name the same person: by one canonical key computed here, after the PRECIS
 * UsernameCaseMapped profile (RFC 8265, section 3.3): width mapping, Unicode Default Case Folding (full), NFC. The
 * key serves uniqueness (the unique index on `employees.username_key`), SCIM `userName` filters and lookups, and
 * GraphQL username filters and sorting. The username itself is stored as sent (trimmed, NFC), for display.
 *
 * Never compare usernames with PostgreSQL's `lower()` or citext: they follow the database's locale, under which
 * `'ADMİN'::citext = 'admin'::citext`, so an IdP looking up `admin@` would be linked to the `ADMİN@` person.
 *
 * The profile's refusals that matter for look-alikes are in usernameCharacterProblem; the rest of its
 * IdentifierClass (spaces, symbols) is not enforced, because the tenant's ANY username format takes such text.
 */
export function usernameKey(username: string): string {
  return caseFold(mapWidth(username.trim())).normalize('NFC');
}

/**
 * Characters a username may not contain: default-ignorable code points (invisible: U+200B ZERO WIDTH SPACE, U+200C/D
 * joiners, U+00AD SOFT HYPHEN, U+034F, variation selectors such as U+FE0F, …) and bidirectional controls (U+202E
 * RIGHT-TO-LEFT OVERRIDE, …). Each would let two usernames that look the same be two people. Returns the sentence
 * naming the first such character, or undefined.
 */
export function usernameCharacterProblem(username: string): string | undefined {
  const found = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u.exec(username);
  if (!found) return undefined;
  const codePoint = `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `username contains ${codePoint}, an invisible or text-direction character that would make it look like another username; remove it.`;
}

/**
 * PRECIS width mapping (RFC 8264, section 9.2): fullwidth and halfwidth characters to their decomposition mappings,
 * e.g. `ｊｏｓｅ` to `jose`. These are exactly the characters of U+3000 and U+FF01 to U+FFEE whose compatibility
 * decomposition is tagged <wide> or <narrow>; NFKC of one such character is its mapping.
 */
function mapWidth(value: string): string {
  return value.replace(/[\u3000\uFF01-\uFFEE]/g, (char) => char.normalize('NFKC'));
}
