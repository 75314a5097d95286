import type Router from 'router';
import { RequestContext } from '../services/context';
import { groupService } from '../services/group.service';
import { LIST_RESPONSE_SCHEMA, SCIM_MAX_RESULTS } from './discovery';
import { ScimError } from './errors';
import { parseFilter } from './filter';
import { fromScimGroup, toScimGroup } from './group-mapping';
import { echoesOwnId, toGroupChanges } from './group-patch';
import { groupFilterToQuery, groupSortField } from './group-query';
import { parsePatchRequest } from './patch';
import { applyProjection, parseProjection, requests } from './projection';
import { CORE_GROUP_SCHEMA_URN } from './schema-definitions';
import { Handler, ScimResponse, context, ifMatchVersion, listParameters, send, sendEmpty } from './request';
import { etag } from './user-mapping';

/**
 * Largest body accepted under /Groups: Okta's "push now" and a PUT list every member, and 50,000 members with
 * `display` and `$ref` come to several megabytes.
 */
export const GROUP_BODY_LIMIT = '16mb';


/**
 * SCIM /Groups (RFC 7644 §3) on the SCIM router, behind its authentication, body parsing and provisioning log (every
 * write and every failure is recorded there like user requests; the path names the group). Okta and Entra both
 * accept 204 to a group PATCH, and Entra requires it.
 */
export function registerGroupRoutes(router: Router.Router, options: { baseUrl: string }): void {
  const { baseUrl } = options;

  const listGroups: Handler = async (req, res) => {
    const ctx = context(req);
    const query = req.query;
    const { filter, startIndex, count, sortBy, descending } = listParameters(query, SCIM_MAX_RESULTS);
    const projection = parseProjection(query, CORE_GROUP_SCHEMA_URN);
    const { views, totalResults } = await groupService.list(ctx, {
      query: filter !== undefined ? groupFilterToQuery(parseFilter(filter)) : undefined,
      sortBy: sortBy !== undefined ? groupSortField(sortBy) : undefined,
      descending,
      startIndex,
      count,
      // Entra lists with excludedAttributes=members: then no membership row is read at all.
      members: requests(projection, 'members'),
    });
    send(res, 200, {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults,
      startIndex,
      itemsPerPage: views.length,
      Resources: views.map((v) => applyProjection(toScimGroup(v, baseUrl), projection)),
    });
  };

  const getGroup: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const projection = parseProjection(req.query, CORE_GROUP_SCHEMA_URN);
    const view = await groupService.get(ctx, id, { members: requests(projection, 'members') });
    if (!view) throw new ScimError(404, `No group with id "${id}" exists.`);
    res.setHeader('ETag', etag(view.group));
    send(res, 200, applyProjection(toScimGroup(view, baseUrl), projection));
  };

  /** The group as it is now, members included (the answer to POST and PUT). */
  const sendGroup = async (res: ScimResponse, ctx: RequestContext, id: string, status: 200 | 201) => {
    const view = await groupService.get(ctx, id, { members: true });
    if (!view) throw new ScimError(404, `No group with id "${id}" exists.`);
    const group = toScimGroup(view, baseUrl);
    res.setHeader('ETag', group.meta.version);
    if (status === 201) res.setHeader('Location', group.meta.location);
    send(res, status, group);
  };

  const createGroup: Handler = async (req, res) => {
    const ctx = context(req);
    const input = fromScimGroup(req.body);
    const group = await groupService.create(ctx, {
      displayName: input.displayName,
      externalId: input.externalId,
      memberIds: input.memberIds ?? [],
    });
    await sendGroup(res, ctx, group.id, 201);
  };

  /**
   * PUT replaces the name and, when `members` is sent, the whole member set. Like PUT /Users, attributes left out
   * keep their value: a PUT without `members` does not empty the group.
   */
  const replaceGroup: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const input = fromScimGroup(req.body);
    if (!echoesOwnId(input.id, id)) {
      throw new ScimError(400, `"id" is read-only: the body names "${String(input.id)}" but this is group "${id}".`, 'mutability');
    }
    await groupService.update(
      ctx,
      id,
      {
        displayName: input.displayName,
        ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
        ...(input.memberIds !== undefined ? { members: [{ kind: 'replace', ids: input.memberIds }] } : {}),
      },
      { expectedVersion: ifMatchVersion(req) },
    );
    await sendGroup(res, ctx, id, 200);
  };

  const patchGroup: Handler = async (req, res) => {
    const ctx = context(req);
    const id = String(req.params.id);
    const changes = toGroupChanges(parsePatchRequest(req.body), id);
    const group = await groupService.update(ctx, id, changes, { expectedVersion: ifMatchVersion(req) });
    res.setHeader('ETag', etag(group));
    sendEmpty(res, 204);
  };

  const deleteGroup: Handler = async (req, res) => {
    const ctx = context(req);
    await groupService.remove(ctx, String(req.params.id), { expectedVersion: ifMatchVersion(req) });
    sendEmpty(res, 204);
  };

  router.get('/Groups', listGroups);
  router.post('/Groups', createGroup);
  router.get('/Groups/:id', getGroup);
  router.put('/Groups/:id', replaceGroup);
  router.patch('/Groups/:id', patchGroup);
  router.delete('/Groups/:id', deleteGroup);
  router.all('/Groups/:id', (req) => {
    throw new ScimError(405, `${req.method} /Groups/{id} is not supported.`, undefined, { Allow: 'GET, PUT, PATCH, DELETE' });
  });
  router.all('/Groups', (req) => {
    throw new ScimError(405, `${req.method} /Groups is not supported.`, undefined, { Allow: 'GET, POST' });
  });
}
