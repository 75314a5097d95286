import { ScimError } from '../src/scim/errors';
import { MAX_PATCH_OPERATIONS, PATCH_OP_SCHEMA, PatchOperation, applyPatch, parsePatchRequest } from '../src/scim/patch';
import { idpRequestBody } from './support/idp-fixtures';

/**
 * The SCIM PATCH parser and the User PATCH engine on their own: every User PATCH shape Okta and Entra send (docs/okta.md,
 * docs/entra.md). Groups are patched by group-patch.ts; their shapes are tested over HTTP in scim-groups.test.ts.
 */

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const EXT = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A User document as toScimUser renders it. */
function userDoc(): Record<string, unknown> {
  return {
    schemas: [CORE, EXT],
    id: 'e-1',
    externalId: 'okta-1',
    userName: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
    displayName: 'Ada L.',
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    phoneNumbers: [{ value: '+15550100', type: 'mobile' }],
    active: true,
    [EXT]: { primaryRole: 'Agent', team: 'Blue' },
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z', location: 'https://x/Users/e-1', version: 'W/"1"' },
  };
}

function patchUser(operations: unknown[], doc = userDoc()): Record<string, any> {
  return applyPatch(doc, parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }));
}

/** userDoc() with these emails. */
function withEmails(...emails: Record<string, unknown>[]): Record<string, unknown> {
  return { ...userDoc(), emails };
}

function scimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    const err = e as ScimError;
    expect(err.status).toBe(400);
    expect(err.detail.length).toBeGreaterThan(15);
    return err;
  }
  throw new Error('expected a ScimError');
}

function expectError(fn: () => unknown, scimType: string, detail?: RegExp): ScimError {
  const err = scimError(fn);
  expect(err.scimType).toBe(scimType);
  if (detail) expect(err.detail).toMatch(detail);
  return err;
}

describe('parsePatchRequest', () => {
  test('accepts a PatchOp body and lower-cases op in any case (Entra sends Add/Replace/Remove)', () => {
    const ops = parsePatchRequest({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [
        { op: 'Add', path: 'displayName', value: 'x' },
        { op: 'REPLACE', path: 'active', value: 'False' },
        { op: 'Remove', path: 'displayName' },
        { op: 'replace', value: { active: false } },
      ],
    });
    expect(ops.map((o) => o.op)).toEqual(['add', 'replace', 'remove', 'replace']);
    expect(ops[2]).toEqual({ op: 'remove', path: 'displayName' });
    expect(ops[3]).toEqual({ op: 'replace', value: { active: false } });
  });

  test('Operations and the op keys are matched case-insensitively; schemas may be omitted', () => {
    expect(parsePatchRequest({ operations: [{ OP: 'add', Path: 'title', Value: 'Boss' }] })).toEqual([
      { op: 'add', path: 'title', value: 'Boss' },
    ]);
  });

  test('a blank path is no path', () => {
    expect(parsePatchRequest({ Operations: [{ op: 'replace', path: '', value: { active: true } }] })).toEqual([
      { op: 'replace', value: { active: true } },
    ]);
  });

  test.each([
    ['not an object', [], 'invalidSyntax'],
    ['null', null, 'invalidSyntax'],
    ['a string', 'add', 'invalidSyntax'],
    ['wrong schemas', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'add', path: 'a', value: 1 }] }, 'invalidSyntax'],
    ['schemas not an array', { schemas: PATCH_OP_SCHEMA, Operations: [{ op: 'add', path: 'a', value: 1 }] }, 'invalidSyntax'],
    ['no Operations', { schemas: [PATCH_OP_SCHEMA] }, 'invalidSyntax'],
    ['Operations not an array', { Operations: { op: 'add' } }, 'invalidSyntax'],
    ['empty Operations', { Operations: [] }, 'invalidSyntax'],
    ['an operation that is not an object', { Operations: ['add'] }, 'invalidSyntax'],
    ['no op', { Operations: [{ path: 'a', value: 1 }] }, 'invalidSyntax'],
    ['op not a string', { Operations: [{ op: 1, path: 'a', value: 1 }] }, 'invalidSyntax'],
    ['path not a string', { Operations: [{ op: 'add', path: 3, value: 1 }] }, 'invalidPath'],
    ['remove without path', { Operations: [{ op: 'remove' }] }, 'noTarget'],
    ['pathless add without an object', { Operations: [{ op: 'add', value: 'x' }] }, 'invalidValue'],
    ['pathless replace with an array', { Operations: [{ op: 'replace', value: [{ active: false }] }] }, 'invalidValue'],
    ['add with a path but no value', { Operations: [{ op: 'add', path: 'displayName' }] }, 'invalidValue'],
  ])('refuses %s', (_name, body, scimType) => {
    expectError(() => parsePatchRequest(body), scimType);
  });

  test('names an unknown op', () => {
    expectError(() => parsePatchRequest({ Operations: [{ op: 'add', path: 'a', value: 1 }, { op: 'Move', path: 'a' }] }), 'invalidSyntax', /Operation 2.*"Move"/);
  });

  test(`at most ${MAX_PATCH_OPERATIONS} operations`, () => {
    const op = { op: 'replace', path: 'displayName', value: 'x' };
    expect(parsePatchRequest({ Operations: Array(MAX_PATCH_OPERATIONS).fill(op) })).toHaveLength(MAX_PATCH_OPERATIONS);
    expectError(() => parsePatchRequest({ Operations: Array(MAX_PATCH_OPERATIONS + 1).fill(op) }), 'tooMany', /1001/);
  });
});

describe('Okta', () => {
  test('deactivate and reactivate: pathless replace {"active": false|true}', () => {
    const off = patchUser(idpRequestBody('okta', '08-patch-deactivate').Operations);
    expect(off.active).toBe(false);
    expect(patchUser(idpRequestBody('okta', '09-patch-reactivate').Operations, off).active).toBe(true);
  });

  test('profile update by pathless replace: complex values merge, arrays replace', () => {
    const next = patchUser([
      { op: 'replace', value: { name: { givenName: 'Augusta' }, emails: [{ value: 'aal@example.com', type: 'work', primary: true }] } },
    ]);
    expect(next.name).toEqual({ givenName: 'Augusta', familyName: 'Lovelace', formatted: 'Ada Lovelace' });
    expect(next.emails).toEqual([{ value: 'aal@example.com', type: 'work', primary: true }]);
  });
});

describe('Microsoft Entra ID', () => {
  test('Replace active with the string "False" / "True" stores booleans', () => {
    expect(patchUser([{ op: 'Replace', path: 'active', value: 'False' }]).active).toBe(false);
    expect(patchUser([{ op: 'Replace', path: 'active', value: 'true' }], { ...userDoc(), active: false }).active).toBe(true);
    expect(patchUser([{ op: 'replace', value: { active: 'FALSE' } }]).active).toBe(false);
  });

  test.each([['yes'], [1], [null], [{}]])('refuses active = %p', (value) => {
    expectError(() => patchUser([{ op: 'Replace', path: 'active', value }]), 'invalidValue', /active/);
  });

  test('Add emails[type eq "work"].value with an existing work email sets it', () => {
    const next = patchUser([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.com' }]);
    expect(next.emails).toEqual([{ value: 'x@y.com', type: 'work', primary: true }]);
  });

  test('Add emails[type eq "work"].value without a work email creates the element', () => {
    const doc = { ...userDoc(), emails: [{ value: 'home@y.com', type: 'home' }] };
    const next = patchUser([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.com' }], doc);
    expect(next.emails).toEqual([
      { value: 'home@y.com', type: 'home' },
      { type: 'work', value: 'x@y.com' },
    ]);
    const none = { ...userDoc() };
    delete none.emails;
    expect(patchUser([{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.com' }], none).emails).toEqual([
      { type: 'work', value: 'x@y.com' },
    ]);
  });

  test('Replace with a filter path and no match creates the element from the eq/and filter', () => {
    const next = patchUser([
      { op: 'Replace', path: 'phoneNumbers[type eq "work" and primary eq false].value', value: '+15550199' },
    ]);
    expect(next.phoneNumbers).toEqual([
      { value: '+15550100', type: 'mobile' },
      { type: 'work', primary: false, value: '+15550199' },
    ]);
  });

  test('a filter that cannot describe a new element gives noTarget', () => {
    expectError(() => patchUser([{ op: 'Replace', path: 'emails[type ne "work"].value', value: 'x@y.com' }]), 'noTarget', /eq/);
  });

  test('aadOptscim062020: pathless replace with dotted and URN-qualified keys', () => {
    const next = patchUser([
      {
        op: 'replace',
        value: {
          'name.givenName': 'A',
          [`${ENTERPRISE}:employeeNumber`]: '7',
          [`${EXT}:team`]: 'Red',
          'emails[type eq "work"].value': 'a@example.com',
          active: false,
        },
      },
    ]);
    expect(next.name).toEqual({ givenName: 'A', familyName: 'Lovelace', formatted: 'Ada Lovelace' });
    expect(next[ENTERPRISE]).toEqual({ employeeNumber: '7' });
    expect(next.schemas).toEqual([CORE, EXT, ENTERPRISE]);
    expect(next[EXT]).toEqual({ primaryRole: 'Agent', team: 'Red' });
    expect(next.emails[0].value).toBe('a@example.com');
    expect(next.active).toBe(false);
  });

  test('URN-qualified extension paths create the extension object', () => {
    const next = patchUser([
      { op: 'Add', path: `${ENTERPRISE}:employeeNumber`, value: '42' },
      { op: 'Add', path: `${ENTERPRISE}:manager`, value: { value: 'e-9' } },
      { op: 'Replace', path: `${EXT}:primaryRole`, value: 'Supervisor' },
    ]);
    expect(next[ENTERPRISE]).toEqual({ employeeNumber: '42', manager: { value: 'e-9' } });
    expect(next[EXT].primaryRole).toBe('Supervisor');
    const removed = patchUser([{ op: 'Remove', path: `${ENTERPRISE}:manager` }, { op: 'Remove', path: `${EXT}:team` }], next);
    expect(removed[ENTERPRISE]).toEqual({ employeeNumber: '42', manager: null });
    expect(removed[EXT]).toEqual({ primaryRole: 'Supervisor', team: null });
  });

  test('core-qualified paths name core attributes', () => {
    const next = patchUser([{ op: 'Replace', path: `${CORE}:displayName`, value: 'Countess' }]);
    expect(next.displayName).toBe('Countess');
    expectError(() => patchUser([{ op: 'Replace', path: `${CORE}:id`, value: 'x' }]), 'mutability');
  });
});

describe('add', () => {
  test('add on an existing single-valued attribute replaces it; new attributes are set', () => {
    const next = patchUser([
      { op: 'add', path: 'displayName', value: 'Countess' },
      { op: 'add', path: 'title', value: 'Analyst' },
      { op: 'add', path: 'name.middleName', value: 'King' },
    ]);
    expect(next.displayName).toBe('Countess');
    expect(next.title).toBe('Analyst');
    expect(next.name).toEqual({ givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace', middleName: 'King' });
  });

  test('add of an existing value is a no-op (value compared ignoring case)', () => {
    expect(patchUser([{ op: 'add', path: 'emails', value: [{ value: 'ADA@example.com', type: 'work' }] }]).emails).toEqual(userDoc().emails);
  });

  test('add to a multi-valued attribute appends, skipping duplicates within the request', () => {
    const next = patchUser([
      { op: 'add', path: 'emails', value: [{ value: 'b@example.com', type: 'home' }, { value: 'B@example.com', type: 'other' }] },
    ]);
    expect(next.emails).toEqual([
      { value: 'ada@example.com', type: 'work', primary: true },
      { value: 'b@example.com', type: 'home' },
    ]);
  });

  test('adding a primary value makes it the only primary (RFC 7643 §2.4)', () => {
    const next = patchUser([{ op: 'add', path: 'emails', value: [{ value: 'b@example.com', type: 'home', primary: true }] }]);
    expect(next.emails).toEqual([
      { value: 'ada@example.com', type: 'work', primary: false },
      { value: 'b@example.com', type: 'home', primary: true },
    ]);
  });

  test('pathless add applies each key as an add (RFC 7644 §3.5.2.1 example)', () => {
    const next = patchUser([
      { op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickName: 'Babs' } },
    ]);
    expect(next.emails).toHaveLength(2);
    expect(next.nickName).toBe('Babs');
  });

  test('a whole extension object as path or pathless key merges into the extension', () => {
    const next = patchUser([
      { op: 'add', path: ENTERPRISE, value: { department: 'Ops' } },
      { op: 'replace', value: { [EXT]: { team: 'Green' } } },
    ]);
    expect(next[ENTERPRISE]).toEqual({ department: 'Ops' });
    expect(next[EXT]).toEqual({ primaryRole: 'Agent', team: 'Green' });
  });

  test('a single object (not an array) is added to a multi-valued attribute as one element', () => {
    expect(patchUser([{ op: 'add', path: 'emails', value: { value: 'b@example.com', type: 'home' } }]).emails).toEqual([
      ...(userDoc().emails as unknown[]),
      { value: 'b@example.com', type: 'home' },
    ]);
  });

  test('attribute names are case-insensitive and existing keys are reused', () => {
    const next = patchUser([
      { op: 'replace', path: 'DISPLAYNAME', value: 'A' },
      { op: 'replace', path: 'Name.GivenName', value: 'B' },
      { op: 'replace', value: { UserName: 'b@example.com', ACTIVE: 'false' } },
      { op: 'add', path: 'EMAILS[TYPE eq "WORK"].VALUE', value: 'c@example.com' },
    ]);
    expect(next.displayName).toBe('A');
    expect(next.name.givenName).toBe('B');
    expect(next.userName).toBe('b@example.com');
    expect(next.active).toBe(false);
    expect(next.emails).toEqual([{ value: 'c@example.com', type: 'work', primary: true }]);
    for (const key of ['DISPLAYNAME', 'UserName', 'ACTIVE', 'EMAILS']) expect(next).not.toHaveProperty(key);
    expect(next.name).not.toHaveProperty('GivenName');
    expect(next.emails[0]).not.toHaveProperty('VALUE');
  });
});

describe('replace', () => {
  test('replace of a multi-valued attribute replaces the whole array', () => {
    const next = patchUser([{ op: 'replace', path: 'phoneNumbers', value: [{ value: '+1', type: 'work' }] }]);
    expect(next.phoneNumbers).toEqual([{ value: '+1', type: 'work' }]);
  });

  test('replace of a complex attribute keeps unmentioned sub-attributes', () => {
    const next = patchUser([{ op: 'replace', path: 'name', value: { familyName: 'King' } }]);
    expect(next.name).toEqual({ givenName: 'Ada', familyName: 'King', formatted: 'Ada Lovelace' });
  });

  test('replace of a filtered element merges the value (RFC 7644 §3.5.2.3 example)', () => {
    const doc = { ...userDoc(), addresses: [{ type: 'work', streetAddress: '1 Old St', country: 'US' }] };
    const next = patchUser([
      { op: 'replace', path: 'addresses[type eq "work"]', value: { type: 'work', streetAddress: '911 Universal City Plaza' } },
    ], doc);
    expect(next.addresses).toEqual([{ type: 'work', streetAddress: '911 Universal City Plaza', country: 'US' }]);
  });

  test('replace of phoneNumbers[value eq ...].type sets the sub-attribute of that element only', () => {
    const doc = { ...userDoc(), phoneNumbers: [{ value: '+1', type: 'mobile' }, { value: '+2', type: 'mobile' }] };
    const next = patchUser([{ op: 'replace', path: 'phoneNumbers[value eq "+2"].type', value: 'work' }], doc);
    expect(next.phoneNumbers).toEqual([
      { value: '+1', type: 'mobile' },
      { value: '+2', type: 'work' },
    ]);
  });

  test('a sub-attribute of a multi-valued attribute without a filter applies to every element', () => {
    const doc = { ...userDoc(), emails: [{ value: 'a@x.com', type: 'work' }, { value: 'b@x.com', type: 'home' }] };
    expect(patchUser([{ op: 'replace', path: 'emails.type', value: 'other' }], doc).emails.map((e: any) => e.type)).toEqual(['other', 'other']);
  });
});

describe('remove', () => {
  test('remove of a singular attribute sets it to null (clear), not absent (unchanged)', () => {
    const next = patchUser([{ op: 'remove', path: 'displayName' }, { op: 'remove', path: 'name.middleName' }, { op: 'remove', path: 'timezone' }]);
    expect(next).toHaveProperty('displayName', null);
    expect(next).toHaveProperty('timezone', null);
    expect(next.name).toHaveProperty('middleName', null);
  });

  test('remove of a multi-valued attribute empties it', () => {
    expect(patchUser([{ op: 'remove', path: 'phoneNumbers' }]).phoneNumbers).toEqual([]);
  });

  test('remove with a value list removes only those elements (values compared ignoring case)', () => {
    const doc = withEmails({ value: 'a@x.com', type: 'work' }, { value: 'b@x.com', type: 'home' }, { value: 'c@x.com', type: 'other' });
    const next = patchUser([{ op: 'remove', path: 'emails', value: [{ value: 'a@x.com' }, { value: 'C@X.com' }] }], doc);
    expect(next.emails).toEqual([{ value: 'b@x.com', type: 'home' }]);
  });

  test('remove with a value list naming no element leaves the attribute alone', () => {
    expect(patchUser([{ op: 'remove', path: 'emails', value: [{ value: 'nobody@x.com' }] }]).emails).toEqual(userDoc().emails);
  });

  test('remove emails[type eq "work"] removes the matching elements only', () => {
    const doc = { ...userDoc(), emails: [{ value: 'a@x.com', type: 'work' }, { value: 'b@x.com', type: 'home' }] };
    expect(patchUser([{ op: 'remove', path: 'emails[type eq "work"]' }], doc).emails).toEqual([{ value: 'b@x.com', type: 'home' }]);
  });

  test('remove of a filtered sub-attribute sets it to null on the matching elements', () => {
    const next = patchUser([{ op: 'remove', path: 'emails[type eq "work"].primary' }]);
    expect(next.emails).toEqual([{ value: 'ada@example.com', type: 'work', primary: null }]);
  });

  test('remove of an absent element or unmatched filter is a no-op', () => {
    expect(patchUser([{ op: 'remove', path: 'emails[value eq "nobody@x.com"]' }]).emails).toEqual(userDoc().emails);
    expect(patchUser([{ op: 'remove', path: 'emails[type eq "home"].value' }]).emails).toEqual(userDoc().emails);
  });

  test('RFC 7644 §3.5.2.2 filter with "and"', () => {
    const doc = withEmails({ value: 'a@x.com', type: 'work' }, { value: 'a@x.com', type: 'home' }, { value: 'b@x.com', type: 'work' });
    expect(patchUser([{ op: 'remove', path: 'emails[value eq "a@x.com" and type eq "work"]' }], doc).emails).toEqual([
      { value: 'a@x.com', type: 'home' },
      { value: 'b@x.com', type: 'work' },
    ]);
  });

  test('remove by a filtered path and add in one request; replaying it changes nothing', () => {
    const ops = [
      { op: 'remove', path: 'emails[value eq "ada@example.com"]' },
      { op: 'add', path: 'emails', value: [{ value: 'aal@example.com', type: 'work' }] },
    ];
    const once = patchUser(ops, withEmails({ value: 'ada@example.com', type: 'work' }, { value: 'ada@home.example', type: 'home' }));
    expect(once.emails).toEqual([
      { value: 'ada@home.example', type: 'home' },
      { value: 'aal@example.com', type: 'work' },
    ]);
    expect(patchUser(ops, once)).toEqual(once);
  });

  test('remove of a whole extension clears each of its attributes', () => {
    expect(patchUser([{ op: 'remove', path: EXT }])[EXT]).toEqual({ primaryRole: null, team: null });
    expect(patchUser([{ op: 'remove', path: `${ENTERPRISE}:department` }])).not.toHaveProperty([ENTERPRISE]);
  });
});

describe('read-only attributes', () => {
  test.each([
    ['replace', 'id', 'x', 'id'],
    ['add', 'meta', {}, 'meta'],
    ['replace', 'meta.lastModified', '2030-01-01', 'meta'],
    ['remove', 'id', undefined, 'id'],
    ['add', 'groups', [{ value: 'g-1' }], 'groups'],
    ['remove', 'groups[value eq "g-1"]', undefined, 'groups'],
  ])('%s %s is refused with mutability', (op, path, value, named) => {
    expectError(() => patchUser([{ op, path, ...(value !== undefined ? { value } : {}) }]), 'mutability', new RegExp(`"${named}" is read-only`));
  });

  test('pathless values may echo read-only attributes unchanged', () => {
    const doc = userDoc();
    const next = patchUser([{ op: 'replace', value: { id: 'e-1', meta: doc.meta, name: { formatted: 'Ada Lovelace' }, displayName: 'X' } }]);
    expect(next.displayName).toBe('X');
    // Entra's default mapping writes name.formatted; Rollcall derives it, so the write is accepted and later ignored.
    expect(patchUser([{ op: 'replace', value: { name: { formatted: 'Someone Else' } } }]).name).toMatchObject({ formatted: 'Someone Else' });
    expect(patchUser([{ op: 'replace', path: 'name.formatted', value: 'A L' }]).name).toMatchObject({ givenName: 'Ada' });
    expectError(() => patchUser([{ op: 'replace', value: { 'meta.version': 'W/"9"' } }]), 'mutability', /meta/);
  });

  test('a pathless value echoing an id that differs is refused', () => {
    expectError(() => patchUser([{ op: 'replace', value: { id: 'e-2', displayName: 'X' } }]), 'mutability', /"id" is read-only/);
  });
});

describe('invalid paths', () => {
  test.each([
    ['displayName.first'],
    ['urn:example:unknown:1.0:User:team'],
    ['emails[type eq]'],
    ['a.b.c'],
    ['emails[type eq "work"]x'],
  ])('%s gives invalidPath naming the path', (path) => {
    const doc = { ...userDoc() };
    const err = expectError(() => patchUser([{ op: 'replace', path, value: 'x' }], doc), 'invalidPath');
    expect(err.detail).toContain(path.slice(0, 9));
  });

  test('a filter on a singular attribute is invalidPath', () => {
    expectError(() => patchUser([{ op: 'replace', path: 'name[givenName eq "Ada"].familyName', value: 'x' }]), 'invalidPath', /not multi-valued/);
  });

  test('unknown plain attributes are allowed', () => {
    expect(patchUser([{ op: 'add', path: 'preferredLanguage', value: 'en' }]).preferredLanguage).toBe('en');
  });
});

describe('prototype pollution', () => {
  const paths = [
    '__proto__',
    '__proto__.polluted',
    'constructor',
    'constructor.prototype',
    'name.__proto__',
    'prototype',
    'emails[type eq "work"].__proto__',
    'emails[__proto__ eq "x"].value',
    `${EXT}:__proto__`,
    `${EXT}:constructor.prototype`,
    'urn:__proto__:x',
  ];

  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  test.each(paths)('path %s is refused with invalidPath', (path) => {
    for (const op of ['add', 'replace', 'remove']) {
      expectError(() => patchUser([{ op, path, value: { polluted: true } }]), 'invalidPath');
    }
  });

  test('pathless value keys are refused with invalidPath', () => {
    for (const json of [
      '{"__proto__": {"polluted": true}}',
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"constructor.prototype.polluted": true}',
      '{"prototype": {"polluted": true}}',
      '{"name.__proto__": {"polluted": true}}',
    ]) {
      const value = JSON.parse(json);
      expectError(() => patchUser([{ op: 'replace', value }]), 'invalidPath');
      expectError(() => applyPatch(userDoc(), [{ op: 'add', value }]), 'invalidPath');
    }
  });

  test('keys nested in values are refused with invalidValue', () => {
    for (const [path, json] of [
      ['name', '{"__proto__": {"polluted": true}}'],
      ['emails', '[{"value": "x@y.com", "__proto__": {"polluted": true}}]'],
      [EXT, '{"constructor": {"prototype": {"polluted": true}}}'],
      ['emails[type eq "work"]', '{"value": "x@y.com", "deep": {"__proto__": {"polluted": true}}}'],
    ]) {
      const value = JSON.parse(json);
      expectError(() => applyPatch(userDoc(), [{ op: 'add', path, value }]), 'invalidValue', /__proto__|constructor/);
    }
    expectError(() => patchUser([{ op: 'replace', value: JSON.parse(`{"${ENTERPRISE}": {"__proto__": {"polluted": true}}}`) }]), 'invalidValue');
  });

  test('a resource carrying such keys is copied without touching prototypes', () => {
    const doc = JSON.parse('{"id": "e-1", "__proto__": {"polluted": true}, "name": {"givenName": "A"}}');
    const next = applyPatch(doc, [{ op: 'replace', path: 'name.givenName', value: 'B' }]);
    expect(Object.getPrototypeOf(next)).toBe(Object.prototype);
    expect((next as Record<string, any>).name.givenName).toBe('B');
  });
});

describe('all-or-nothing and immutability', () => {
  test('the input document is never modified', () => {
    const doc = userDoc();
    const snapshot = JSON.parse(JSON.stringify(doc));
    const next = patchUser([
      { op: 'replace', path: 'name.givenName', value: 'B' },
      { op: 'add', path: 'emails[type eq "work"].value', value: 'b@x.com' },
      { op: 'remove', path: `${EXT}:team` },
      { op: 'add', path: 'phoneNumbers', value: [{ value: '+2', type: 'work' }] },
      { op: 'add', path: `${ENTERPRISE}:department`, value: 'Ops' },
    ], doc);
    expect(doc).toEqual(snapshot);
    expect(next).not.toBe(doc);
    expect(next.name).not.toBe(doc.name);
  });

  test('the input operations are not modified and their values are not aliased into the result', () => {
    const email = { value: 'b@example.com', type: 'home' };
    const ops: PatchOperation[] = [{ op: 'add', path: 'emails', value: [email] }];
    const next = applyPatch(userDoc(), ops);
    (next.emails as Record<string, unknown>[])[1].type = 'changed';
    expect(email.type).toBe('home');
    expect(ops).toEqual([{ op: 'add', path: 'emails', value: [{ value: 'b@example.com', type: 'home' }] }]);
  });

  test('when a later operation fails nothing is returned and the input is unchanged', () => {
    const doc = userDoc();
    const snapshot = JSON.parse(JSON.stringify(doc));
    const err = expectError(
      () => patchUser([{ op: 'replace', path: 'displayName', value: 'X' }, { op: 'replace', path: 'id', value: 'other' }], doc),
      'mutability',
    );
    expect(err.detail).toMatch(/^Operation 2 \(replace "id"\)/);
    expect(doc).toEqual(snapshot);
  });

  test('deeply nested values are refused', () => {
    let value: unknown = 'x';
    for (let i = 0; i < 100; i++) value = { v: value };
    expectError(() => patchUser([{ op: 'add', path: 'deep', value }]), 'invalidValue', /nested/);
  });
});
