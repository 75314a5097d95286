import { DataSource } from 'typeorm';
import { Config } from '../config';
import { Tenant } from '../entities';
import { Actor, RequestContext } from './context';
import * as sql from './sql';
import { CreatedToken, tokenService } from './token.service';
import { tenantService } from './tenant.service';

const SYSTEM: Actor = { surface: 'system', tokenId: null };

export interface BootstrapResult {
  /** Set when this start created the demo tenant; its secrets are shown once. */
  demo?: { tenant: Tenant; scimToken: CreatedToken; adminToken: CreatedToken };
  /** Set when ROLLCALL_BOOTSTRAP_TENANT was applied. */
  bootstrapped?: { tenant: Tenant; created: boolean };
}

/**
 * Start-up contract. With ROLLCALL_BOOTSTRAP_TENANT (and tokens) set: make sure the tenant exists and the given
 * secrets are valid tokens for it, idempotently, leaving the tenant's other tokens alone. With nothing set and an
 * empty database: create the `demo` tenant with one SCIM and one admin token, returned so main can print them once.
 */
export async function bootstrap(dataSource: DataSource, config: Config): Promise<BootstrapResult> {
  const { tenant: slug, scimToken, adminToken } = config.bootstrap;
  if (slug !== undefined) {
    return dataSource.transaction(async (manager) => {
      // Two instances starting together must not both create the tenant.
      await sql.rows({ manager }, 'SELECT pg_advisory_xact_lock(4242001)');
      let tenant = await tenantService.findBySlug(manager, slug);
      const created = tenant === null;
      if (!tenant) tenant = await tenantService.create(manager, SYSTEM, { slug });
      const ctx: RequestContext = { tenantId: tenant.id, actor: SYSTEM, requestId: 'bootstrap', manager };
      if (scimToken) await tokenService.ensure(ctx, { name: 'bootstrap-scim', scope: 'scim', secret: scimToken });
      if (adminToken) await tokenService.ensure(ctx, { name: 'bootstrap-admin', scope: 'admin', secret: adminToken });
      return { bootstrapped: { tenant, created } };
    });
  }
  return dataSource.transaction(async (manager) => {
    await sql.rows({ manager }, 'SELECT pg_advisory_xact_lock(4242001)');
    if ((await tenantService.count(manager)) > 0) return {};
    const tenant = await tenantService.create(manager, SYSTEM, { slug: 'demo', name: 'Demo' });
    const ctx: RequestContext = { tenantId: tenant.id, actor: SYSTEM, requestId: 'bootstrap', manager };
    const scim = await tokenService.create(ctx, { name: 'demo-scim', scope: 'scim' });
    const admin = await tokenService.create(ctx, { name: 'demo-admin', scope: 'admin' });
    return { demo: { tenant, scimToken: scim, adminToken: admin } };
  });
}
