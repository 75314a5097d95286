import { ROOT_ORDERED_LANGUAGES, canonicalLocale } from '../src/services/collation';
import { csvField } from '../src/http/export';
import { createContext } from '../src/services/context';
import { employeeService } from '../src/services/employee.service';
import { Harness, TestTenant, oktaCreateUser } from './support/harness';

/**
 * Lists that fit people's names (issue 20): the tenant's locale, name order in its ICU collation with keyset pages,
 * accent- and case-insensitive search, the provisioning log by userName or person, and the CSV export of a list.
 */
let h: Harness;
let t: TestTenant;
const onPostgres = process.env.DATABASE_URL !== undefined;

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

const SETTINGS = `mutation($input: UpdateTenantSettingsInput!) {
  updateTenantSettings(input: $input) { tenantSettings { locale } userErrors { code field message } }
}`;
const PAGE = `query($order: EmployeeOrder, $first: Int!, $after: String, $search: String, $filter: EmployeeFilter) {
  employees(orderBy: $order, first: $first, after: $after, search: $search, filter: $filter) {
    totalCount nodes { id firstName lastName } pageInfo { hasNextPage endCursor }
  }
}`;

/** Every employee of a list, walked page by page through its cursors: "Last, First" in order. */
async function walk(tenant: TestTenant, order: { field: string; direction?: string }, first = 2, extra: Record<string, unknown> = {}): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const result = await h.graphql(tenant.tokens.read, PAGE, { order, first, after, ...extra });
    expect(result.body.errors).toBeUndefined();
    const page: { nodes: { firstName: string; lastName: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = result.body.data.employees;
    names.push(...page.nodes.map((n) => `${n.lastName}, ${n.firstName}`));
    if (!page.pageInfo.hasNextPage) return names;
    after = page.pageInfo.endCursor;
  }
  throw new Error('the walk did not end');
}

async function people(tenant: TestTenant, names: [string, string][]): Promise<void> {
  await h.dataSource.query(
    `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by)
     SELECT $1, 'p' || i || '@example.com', 'p' || i || '@example.com', n.first, n.last, 'p' || i || '@example.com', 'LOCAL'
       FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS n(first, last, i)`,
    [tenant.tenant.id, names.map((n) => n[0]), names.map((n) => n[1])],
  );
}

beforeAll(async () => {
  h = await Harness.start();
  t = await h.tenant('lists');
  await people(t, [
    ['Tim', 'Zone'],
    ['José', 'Álvarez-Núñez'],
    ['Ana', 'Álvarez'],
    ['Zoë', 'Öberg'],
    ['abel', 'zetterlund'],
    ['Émile', 'Durand'],
    ['Emile', 'Durand'],
    ['Ola', 'Oberg'],
  ]);
});
afterAll(async () => h?.close());

describe('tenant locale', () => {
  test('en-US by default; a tag is stored in its canonical spelling and audited', async () => {
    const other = await h.tenant('lists-locale');
    const read = await h.graphql(other.tokens.read, '{ tenantSettings { locale } }');
    expect(read.body.data.tenantSettings.locale).toBe('en-US');
    const set = await h.graphql(other.tokens.admin, SETTINGS, { input: { locale: 'fr-fr' } });
    expect(set.body.data.updateTenantSettings).toEqual({ tenantSettings: { locale: 'fr-FR' }, userErrors: [] });
    const [audit] = await h.dataSource.query(
      `SELECT changes FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.settings_updated' ORDER BY occurred_at DESC LIMIT 1`,
      [other.tenant.id],
    );
    expect(audit.changes.locale).toEqual({ from: 'en-US', to: 'fr-FR' });
  });

  test.each([['klingon-tlh-xx'], ['en-US-u-co-phonebk'], [''], ['en_US'], ['x-private'], ['en-US"; DROP TABLE tenants; --']])(
    'refuses %j as INVALID_VALUE and changes nothing',
    async (locale) => {
      const other = await h.tenant(`lists-bad-${Math.random().toString(36).slice(2, 8)}`);
      const result = await h.graphql(other.tokens.admin, SETTINGS, { input: { locale } });
      expect(result.body.data.updateTenantSettings.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', field: ['input', 'locale'] })]);
      const [row] = await h.dataSource.query('SELECT locale FROM tenants WHERE id = $1', [other.tenant.id]);
      expect(row.locale).toBe('en-US');
    },
  );

  test('null is REQUIRED; a READ token cannot change it', async () => {
    const result = await h.graphql(t.tokens.admin, SETTINGS, { input: { locale: null } });
    expect(result.body.data.updateTenantSettings.userErrors).toEqual([expect.objectContaining({ code: 'REQUIRED', field: ['input', 'locale'] })]);
    const forbidden = await h.graphql(t.tokens.read, SETTINGS, { input: { locale: 'de-DE' } });
    expect(forbidden.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  test('canonicalLocale accepts language, script and region only', () => {
    expect(canonicalLocale('EN-us')).toBe('en-US');
    expect(canonicalLocale('sr-latn-rs')).toBe('sr-Latn-RS');
    expect(canonicalLocale('es-419')).toBe('es-419');
    expect(canonicalLocale('de-DE-1996')).toBeUndefined();
    expect(canonicalLocale('en-US-u-kn-true')).toBeUndefined();
  });
});

describe('name order', () => {
  const ROOT = ['Álvarez, Ana', 'Álvarez-Núñez, José', 'Durand, Emile', 'Durand, Émile', 'Oberg, Ola', 'Öberg, Zoë', 'zetterlund, abel', 'Zone, Tim'];

  test('NAME: last name then first name in the collation (José Álvarez before Tim Zone), walked by cursors', async () => {
    expect(await walk(t, { field: 'NAME' })).toEqual(ROOT);
    expect(await walk(t, { field: 'NAME', direction: 'DESC' }, 3)).toEqual([...ROOT].reverse());
    expect(await walk(t, { field: 'LAST_NAME' }, 100)).toEqual(ROOT);
  });

  test('FIRST_NAME: first name then last name, collated', async () => {
    const names = await walk(t, { field: 'FIRST_NAME' }, 3);
    expect(names.map((n) => n.split(', ')[1])).toEqual(['abel', 'Ana', 'Emile', 'Émile', 'José', 'Ola', 'Tim', 'Zoë']);
  });

  test('a search keeps the order and its cursors', async () => {
    expect(await walk(t, { field: 'NAME' }, 1, { search: 'alvarez' })).toEqual(['Álvarez, Ana', 'Álvarez-Núñez, José']);
  });

  test('a cursor of another order or a forged one is BAD_USER_INPUT', async () => {
    const byUsername = await h.graphql(t.tokens.read, PAGE, { order: { field: 'USERNAME' }, first: 1 });
    const cursor = byUsername.body.data.employees.pageInfo.endCursor;
    const result = await h.graphql(t.tokens.read, PAGE, { order: { field: 'NAME' }, first: 1, after: cursor });
    expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(JSON.stringify(['a\u0000', 'b', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    const nul = await h.graphql(t.tokens.read, PAGE, { order: { field: 'NAME' }, first: 1, after: forged });
    expect(nul.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a tailored locale sorts in its own collation: Swedish puts Ö after Z (on PostgreSQL; the embedded ICU has root data only)', async () => {
    const sv = await h.tenant('lists-sv');
    await people(sv, [
      ['Zoë', 'Öberg'],
      ['abel', 'Zetterlund'],
      ['Ola', 'Oberg'],
    ]);
    expect(await walk(sv, { field: 'NAME' })).toEqual(['Oberg, Ola', 'Öberg, Zoë', 'Zetterlund, abel']);
    const set = await h.graphql(sv.tokens.admin, SETTINGS, { input: { locale: 'sv-SE' } });
    expect(set.body.data.updateTenantSettings.userErrors).toEqual([]);
    const swedish = onPostgres ? ['Oberg, Ola', 'Zetterlund, abel', 'Öberg, Zoë'] : ['Oberg, Ola', 'Öberg, Zoë', 'Zetterlund, abel'];
    expect(await walk(sv, { field: 'NAME' })).toEqual(swedish);
    expect(await walk(sv, { field: 'NAME', direction: 'DESC' })).toEqual([...swedish].reverse());
    const [collation] = await h.dataSource.query(`SELECT collname FROM pg_collation WHERE collname = 'rollcall-sv-SE'`);
    expect(collation).toEqual({ collname: 'rollcall-sv-SE' });
  });

  (onPostgres ? test : test.skip)('the languages sorted by the root index order as PostgreSQL\'s own collation of the language', async () => {
    const probe = [
      'Öberg', 'Oberg', 'Zetterlund', 'Ängel', 'Angel', 'Åsa', 'Ñandú', 'Nube', 'Çelik', 'Celik', 'Łukasz', 'Lukas', 'Ðoković',
      'Dokovic', 'Straße', 'Strasse', 'Chávez', 'Cruz', 'llama', 'luz', 'côte', 'coté', 'cote', 'côté', 'Ijsbrand', 'IJsbrand',
      'Yves', 'Ÿvonne', 'Þór', 'Tor', 'Ørsted', 'Orsted', 'æther', 'aether', 'Şahin', 'Sahin', 'Ğ', 'G', 'ı', 'i', 'İ', 'Ch', 'Cz', 'Hz',
    ];
    const order = async (collation: string): Promise<string[]> =>
      (await h.dataSource.query(`SELECT x FROM unnest($1::text[]) AS x ORDER BY x COLLATE "${collation}"`, [probe])).map((r: { x: string }) => r.x);
    const root = await order('und-x-icu');
    for (const language of ROOT_ORDERED_LANGUAGES) expect({ language, order: await order(`${language}-x-icu`) }).toEqual({ language, order: root });
    // The probe tells a tailored language apart.
    expect(await order('sv-x-icu')).not.toEqual(root);
    expect(await order('fr-CA-x-icu')).not.toEqual(root);
  });

  (onPostgres ? test : test.skip)('the NAME page can be read off ix_employees_tenant_name in order, without a sort', async () => {
    const runner = h.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_seqscan = off');
      await runner.query('SET LOCAL enable_sort = off');
      await runner.query('SET LOCAL enable_bitmapscan = off');
      const plan = (
        await runner.query(
          `EXPLAIN SELECT e.id FROM employees e WHERE e.tenant_id = $1 AND e.deleted_at IS NULL
             AND (e.last_name COLLATE "und-x-icu", e.first_name COLLATE "und-x-icu", e.id) > ($2::text, $3::text, $4::uuid)
           ORDER BY e.last_name COLLATE "und-x-icu" DESC, e.first_name COLLATE "und-x-icu" DESC, e.id DESC LIMIT 21`,
          [t.tenant.id, 'M', 'M', '00000000-0000-4000-8000-000000000000'],
        )
      )
        .map((r: Record<string, string>) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(/Index (Only )?Scan Backward using ix_employees_tenant_name/);
      expect(plan).toMatch(/Index Cond: .*ROW\(/);
      expect(plan).not.toMatch(/Sort/);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});

describe('accent- and case-insensitive search', () => {
  const found = async (search: string): Promise<string[]> => {
    const result = await h.graphql(t.tokens.read, PAGE, { search, first: 100, order: { field: 'NAME' } });
    expect(result.body.errors).toBeUndefined();
    return result.body.data.employees.nodes.map((n: { firstName: string; lastName: string }) => `${n.firstName} ${n.lastName}`);
  };

  test('"Jose Alvarez" finds José Álvarez-Núñez; accents and case in the term do not matter either', async () => {
    expect(await found('Jose Alvarez')).toEqual(['José Álvarez-Núñez']);
    expect(await found('JOSÉ ÁLVAREZ-NÚÑEZ')).toEqual(['José Álvarez-Núñez']);
    expect(await found('nunez')).toEqual(['José Álvarez-Núñez']);
    expect(await found('emile durand')).toEqual(['Emile Durand', 'Émile Durand']);
    expect(await found('oberg')).toEqual(['Ola Oberg', 'Zoë Öberg']);
    expect(await found('Zoe')).toEqual(['Zoë Öberg']);
  });

  test('the totalCount of a search counts the folded matches; LIKE characters stay literal', async () => {
    const result = await h.graphql(t.tokens.read, '{ employees(search: "alvarez") { totalCount } }');
    expect(result.body.data.employees.totalCount).toBe(2);
    expect(await found('%')).toEqual([]);
    expect(await found('_')).toEqual([]);
  });

  test('the trigram index holds the folded document (migration Lists)', async () => {
    const [index] = await h.dataSource.query(`SELECT pg_get_indexdef('ix_employees_search_trgm'::regclass) AS def`);
    expect(index.def).toContain('rollcall_search_fold(');
    expect(index.def).toContain('gin_trgm_ops');
  });
});

describe('provisioning log search', () => {
  const LOG = `query($userName: String, $outcome: ProvisioningOutcome, $employeeId: ID) {
    provisioningEvents(first: 100, userName: $userName, outcome: $outcome, employeeId: $employeeId) { totalCount nodes { userName outcome employee { id } } }
  }`;

  test('by userName (substring, any case), combined with the outcome and the person', async () => {
    const log = await h.tenant('lists-log');
    const created = await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('jose.alvarez@example.com'));
    expect(created.status).toBe(201);
    await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('tim.zone@example.com'));
    const conflict = await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('Jose.Alvarez@example.com'));
    expect(conflict.status).toBe(409);
    await h.app.provisioningLog.flush();

    const byName = await h.graphql(log.tokens.read, LOG, { userName: 'ALVAREZ' });
    expect(byName.body.data.provisioningEvents.totalCount).toBe(2);
    expect(byName.body.data.provisioningEvents.nodes.map((n: { userName: string }) => n.userName.toLowerCase())).toEqual([
      'jose.alvarez@example.com',
      'jose.alvarez@example.com',
    ]);
    const failures = await h.graphql(log.tokens.read, LOG, { userName: 'alvarez', outcome: 'FAILURE' });
    expect(failures.body.data.provisioningEvents.nodes).toEqual([{ userName: 'Jose.Alvarez@example.com', outcome: 'FAILURE', employee: null }]);
    const person = await h.graphql(log.tokens.read, LOG, { employeeId: gid('Employee', created.body.id), userName: 'alvarez' });
    expect(person.body.data.provisioningEvents.nodes).toEqual([{ userName: 'jose.alvarez@example.com', outcome: 'SUCCESS', employee: { id: gid('Employee', created.body.id) } }]);
    const none = await h.graphql(log.tokens.read, LOG, { userName: '%' });
    expect(none.body.data.provisioningEvents.totalCount).toBe(0);
    const bad = await h.graphql(log.tokens.read, LOG, { userName: 'a\u0001' });
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('by person: the employee\'s names, username or email, accent- and case-insensitively, or the userName sent', async () => {
    const log = await h.tenant('lists-log-person');
    const PERSON = `query($person: String, $outcome: ProvisioningOutcome) {
      provisioningEvents(first: 100, person: $person, outcome: $outcome) { totalCount nodes { userName outcome employee { firstName lastName } } }
    }`;
    // The userName does not name her: only her employee's name does.
    const jose = await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('u1001@example.com', { name: { givenName: 'José', familyName: 'Álvarez' } }));
    expect(jose.status).toBe(201);
    await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('tim.zone@example.com', { name: { givenName: 'Tim', familyName: 'Zone' } }));
    // A failed create has no employee: its userName alone finds it (folded too).
    expect((await h.scim('POST', '/Users', log.tokens.scim, oktaCreateUser('jose.failed@example.com', { emails: 'not a list' }))).status).toBe(400);
    await h.app.provisioningLog.flush();

    const names = async (person: string, outcome?: string): Promise<string[]> => {
      const result = await h.graphql(log.tokens.read, PERSON, { person, outcome });
      expect(result.body.errors).toBeUndefined();
      const connection = result.body.data.provisioningEvents;
      expect(connection.totalCount).toBe(connection.nodes.length);
      return connection.nodes.map((n: { userName: string; employee: { firstName: string; lastName: string } | null }) =>
        n.employee ? `${n.employee.firstName} ${n.employee.lastName}` : n.userName,
      );
    };
    expect(await names('jose')).toEqual(['jose.failed@example.com', 'José Álvarez']);
    expect(await names('JOSÉ ÁLVAREZ')).toEqual(['José Álvarez']);
    expect(await names('alvarez')).toEqual(['José Álvarez']);
    expect(await names('u1001')).toEqual(['José Álvarez']);
    expect(await names('jose', 'FAILURE')).toEqual(['jose.failed@example.com']);
    expect(await names('zone')).toEqual(['Tim Zone']);
    expect(await names('%')).toEqual([]);
    expect(await names('nobody')).toEqual([]);
    // Another tenant's José is not found, and does not bring this tenant's rows either.
    const other = await h.tenant('lists-log-person-other');
    const otherResult = await h.graphql(other.tokens.read, PERSON, { person: 'jose' });
    expect(otherResult.body.data.provisioningEvents.totalCount).toBe(0);
    const bad = await h.graphql(log.tokens.read, PERSON, { person: 'x'.repeat(301) });
    expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('CSV export', () => {
  let big: TestTenant;
  /** More than one page of the export (EXPORT_PAGE, 1,000 rows), so that its keyset continuation is walked. */
  const COUNT = 2_150;

  const COLUMNS_HEADER = ['id', 'username', 'firstName', 'lastName', 'middleName', 'displayName', 'email', 'status', 'managedBy', 'type', 'primaryRole', 'team', 'loginAuthenticator', 'timeZone', 'mobileNumber', 'externalId', 'createdAt', 'updatedAt'];

  /** RFC 4180 records of a CSV text (quoted fields may hold commas, quotes and line breaks). */
  function parseCsv(text: string): string[][] {
    const records: string[][] = [];
    let field = '';
    let record: string[] = [];
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        record.push(field);
        field = '';
      } else if (c === '\r' && text[i + 1] === '\n') {
        record.push(field);
        records.push(record);
        record = [];
        field = '';
        i++;
      } else field += c;
    }
    expect(field).toBe('');
    return records;
  }

  beforeAll(async () => {
    big = await h.tenant('lists-export');
    const names: [string, string][] = Array.from({ length: COUNT - 3 }, (_, i) => [`First${i}`, `Last${String(i).padStart(4, '0')}`]);
    names.push(['=HYPERLINK("http://evil")', 'Formula'], ['Quote "Q", comma', 'Line\nBreak'], ['José', 'Álvarez-Núñez']);
    await people(big, names);
    await h.dataSource.query(`UPDATE employees SET status = 'INACTIVE' WHERE tenant_id = $1 AND first_name LIKE 'First1%'`, [big.tenant.id]);
  });

  test('every matching person, in the list order, as an attachment in UTF-8 with a BOM', async () => {
    const response = await h.request('GET', '/export/employees.csv?orderBy=NAME', { token: big.tokens.read });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="employees-\d{4}-\d{2}-\d{2}\.csv"$/);
    // fetch's text() drops a leading BOM: read the bytes.
    const raw = Buffer.from(await (await fetch(`${h.baseUrl}/export/employees.csv`, { headers: { Authorization: `Bearer ${big.tokens.read}` } })).arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);

    const [header, ...rows] = parseCsv(response.text);
    expect(header.slice(0, 4)).toEqual(['id', 'username', 'firstName', 'lastName']);
    expect(rows).toHaveLength(COUNT);
    const col = (name: string) => header.indexOf(name);
    // The same order as GraphQL's NAME walk.
    const graphqlOrder = await walk(big, { field: 'NAME' }, 100);
    expect(graphqlOrder).toHaveLength(COUNT);
    expect(rows.map((r) => `${r[col('lastName')]}, ${r[col('firstName')].replace(/^'=/, '=')}`)).toEqual(graphqlOrder);
    expect(rows[0][col('lastName')]).toBe('Álvarez-Núñez');
    expect(rows.find((r) => r[col('lastName')] === 'Formula')![col('firstName')]).toBe(`'=HYPERLINK("http://evil")`);
    expect(rows.find((r) => r[col('lastName')] === 'Line\nBreak')![col('firstName')]).toBe('Quote "Q", comma');
    expect(new Set(rows.map((r) => r[col('id')])).size).toBe(COUNT);
    expect(rows[0][col('primaryRole')]).toBe('');
  });

  test('search, filters and direction as in GraphQL', async () => {
    const inactive = parseCsv((await h.request('GET', '/export/employees.csv?status=INACTIVE&orderBy=NAME&direction=DESC', { token: big.tokens.admin })).text);
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM employees WHERE tenant_id = $1 AND status = 'INACTIVE'`, [big.tenant.id]);
    expect(inactive.length - 1).toBe(n);
    expect(inactive.slice(1).map((r) => r[3])).toEqual(inactive.slice(1).map((r) => r[3]).sort().reverse());
    const searched = parseCsv((await h.request('GET', `/export/employees.csv?search=${encodeURIComponent('jose alvarez')}`, { token: big.tokens.read })).text);
    expect(searched.slice(1).map((r) => r[2])).toEqual(['José']);
  });

  test('refusals: no token 401, a SCIM token 403, bad parameters 400, each before any CSV', async () => {
    expect((await h.request('GET', '/export/employees.csv')).status).toBe(401);
    expect((await h.request('GET', '/export/employees.csv', { token: big.tokens.scim })).status).toBe(403);
    for (const query of ['orderBy=SIZE', 'status=active', 'direction=UP', 'teamIds=abc', 'search=a%01b', 'search=a&search=b']) {
      const response = await h.request('GET', `/export/employees.csv?${query}`, { token: big.tokens.read });
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.error).toBe('bad_request');
    }
  });

  test('one snapshot: a person renamed across the export position mid-export appears once, neither twice nor missing', async () => {
    const ctx = createContext(h.dataSource, big.tenant.id, { surface: 'graphql', tokenId: null });
    const pages = employeeService.snapshotPages(ctx, { orderBy: { field: 'name', descending: false }, withReferences: ['team'] }, 1000);
    const seen: { id: string; lastName: string }[] = [];
    const first = await pages.next();
    if (first.done) throw new Error('the export gave no page');
    seen.push(...first.value.map((r) => ({ id: r.employee.id, lastName: r.employee.lastName })));
    expect(seen).toHaveLength(1000);
    // Between pages, as an IdP's PUT would: one not yet exported moves before the export's position, one already
    // exported moves after it, and one new person arrives. A walk by keyset over live rows misses the first and lists
    // the second twice.
    const [{ id: late }] = await h.dataSource.query(`SELECT id FROM employees WHERE tenant_id = $1 AND last_name = 'Last2000'`, [big.tenant.id]);
    const early = seen[10].id;
    await h.dataSource.query(`UPDATE employees SET last_name = 'Aardvark' WHERE id = $1`, [late]);
    await h.dataSource.query(`UPDATE employees SET last_name = 'Zzyzx' WHERE id = $1`, [early]);
    await h.dataSource.query(
      `INSERT INTO employees (tenant_id, username, username_key, first_name, last_name, email, managed_by)
       VALUES ($1, 'newcomer@example.com', 'newcomer@example.com', 'Newcomer', 'Midway', 'newcomer@example.com', 'LOCAL')`,
      [big.tenant.id],
    );
    try {
      for await (const page of pages) seen.push(...page.map((r) => ({ id: r.employee.id, lastName: r.employee.lastName })));
      expect(seen).toHaveLength(COUNT);
      expect(new Set(seen.map((r) => r.id)).size).toBe(COUNT);
      // Each in its place as of the start, with its values as the page read them.
      expect(seen.find((r) => r.id === late)!.lastName).toBe('Aardvark');
      expect(seen.findIndex((r) => r.id === late)).toBeGreaterThan(1000);
      expect(seen.find((r) => r.lastName === 'Midway')).toBeUndefined();
    } finally {
      await h.dataSource.query(`UPDATE employees SET last_name = 'Last2000' WHERE id = $1`, [late]);
      await h.dataSource.query(`UPDATE employees SET last_name = $2 WHERE id = $1`, [early, seen[10].lastName]);
      await h.dataSource.query(`DELETE FROM employees WHERE tenant_id = $1 AND last_name = 'Midway'`, [big.tenant.id]);
    }
  });

  test('a tenant without employees gets the header alone; the default order (username) lists everyone once', async () => {
    const empty = await h.tenant('lists-export-empty');
    const nobody = await h.request('GET', '/export/employees.csv', { token: empty.tokens.read });
    expect(nobody.status).toBe(200);
    expect(parseCsv(nobody.text)).toEqual([COLUMNS_HEADER]);
    const [, ...rows] = parseCsv((await h.request('GET', '/export/employees.csv', { token: big.tokens.read })).text);
    expect(rows).toHaveLength(COUNT);
    const usernames = rows.map((r) => r[1]);
    expect(new Set(usernames).size).toBe(COUNT);
  });

  test('csvField: RFC 4180 quoting and the formula guard', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvField(`${start}1+1`).replace(/^"/, '')).toMatch(/^'/);
    expect(csvField('=SUM(A1,A2)')).toBe(`"'=SUM(A1,A2)"`);
  });
});
