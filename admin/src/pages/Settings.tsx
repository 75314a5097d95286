import { FormEvent, KeyboardEvent, ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import {
  AccessToken,
  CREATE_TOKEN,
  EXTENSION,
  Named,
  REVOKE_TOKEN,
  SCIM_IMPORT_FIELDS,
  SETTINGS,
  SettingsData,
  UPDATE_SETTINGS,
  USERNAME_FORMATS,
  UserError,
  UsernameFormat,
  catalogMutation,
} from '../api';
import { Link } from '../router';
import { ConfirmButton, Empty, ErrorNotice, FieldError, FormErrors, SecretBox, Section, formatDate } from '../ui';
import { ViewerContext, useCanEdit } from '../viewer';

type Refresh = () => void;
type Payload = { userErrors: UserError[] } & Record<string, unknown>;

/** Runs one mutation; returns its payload's userErrors (empty on success) and refreshes the page's data on success. */
function useAction(name: string, returns: string, refresh: Refresh) {
  const [state, run] = useMutation(catalogMutation(name, returns));
  const [errors, setErrors] = useState<UserError[]>([]);
  const act = async (input: Record<string, unknown>): Promise<Payload | null> => {
    const result = await run({ input });
    const payload = result.data?.[name] as Payload | undefined;
    if (!payload) return null;
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) refresh();
    return payload.userErrors.length === 0 ? payload : null;
  };
  return { act, errors, setErrors, busy: state.fetching, error: state.error };
}

function blankToNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function Settings() {
  const [result, reexecute] = useQuery<SettingsData>({ query: SETTINGS });
  const refresh = () => reexecute({ requestPolicy: 'network-only' });
  const data = result.data;

  return (
    <>
      <div className="page-header">
        <h1>Settings</h1>
      </div>
      <nav className="subnav" aria-label="Settings sections">
        <a href="#import">SCIM import</a>
        <a href="#roles">Roles</a>
        <a href="#teams">Teams</a>
        <a href="#authenticators">Login authenticators</a>
        <a href="#templates">Templates</a>
        <a href="#tokens">Tokens</a>
      </nav>
      <ErrorNotice error={result.error} />
      {!data ? (
        !result.error && <p className="muted page-loading">Loading…</p>
      ) : (
        <>
          <ImportSettings data={data} refresh={refresh} />
          <NamedList kind="role" title="Roles" id="roles" items={data.roles.nodes} defaultId={data.tenantSettings.defaultRole?.id} refresh={refresh} />
          <NamedList kind="team" title="Teams" id="teams" items={data.teams.nodes} refresh={refresh} />
          <Authenticators data={data} refresh={refresh} />
          <Templates data={data} refresh={refresh} />
          <Tokens tokens={data.accessTokens.nodes} refresh={refresh} />
        </>
      )}
    </>
  );
}

function ImportSettings({ data, refresh }: { data: SettingsData; refresh: Refresh }) {
  const canEdit = useCanEdit();
  const settings = data.tenantSettings;
  const [fields, setFields] = useState<Set<string>>(new Set(settings.scimImportFields));
  const [defaultRoleId, setDefaultRoleId] = useState(settings.defaultRole?.id ?? '');
  const [retention, setRetention] = useState(String(settings.provisioningLogRetentionDays));
  const [usernameFormat, setUsernameFormat] = useState<UsernameFormat>(settings.usernameFormat);
  const [phoneRegion, setPhoneRegion] = useState(settings.defaultPhoneRegion ?? '');
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState('');
  const [state, run] = useMutation(UPDATE_SETTINGS);

  // Reset to the server's values when they change, not on every refetch of the same values (which would drop edits).
  const version = JSON.stringify(settings);
  useEffect(() => {
    const saved = JSON.parse(version) as SettingsData['tenantSettings'];
    setFields(new Set(saved.scimImportFields));
    setDefaultRoleId(saved.defaultRole?.id ?? '');
    setRetention(String(saved.provisioningLogRetentionDays));
    setUsernameFormat(saved.usernameFormat);
    setPhoneRegion(saved.defaultPhoneRegion ?? '');
  }, [version]);

  const regionRefused = errors.some((e) => e.field?.[e.field.length - 1] === 'defaultPhoneRegion');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved('');
    const days = Number(retention);
    const response = await run({
      input: {
        scimImportFields: SCIM_IMPORT_FIELDS.map(([f]) => f).filter((f) => fields.has(f)),
        defaultRoleId: defaultRoleId || null,
        provisioningLogRetentionDays: Number.isInteger(days) ? days : -1,
        usernameFormat,
        defaultPhoneRegion: blankToNull(phoneRegion),
      },
    });
    const payload = response.data?.updateTenantSettings as { userErrors: UserError[] } | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) {
      setSaved('Saved.');
      refresh();
    }
  };

  return (
    <Section title="SCIM import" id="import">
      <form onSubmit={submit} noValidate aria-label="Provisioning settings">
        <fieldset className="checkboxes">
          <legend>Optional attributes imported from the identity provider</legend>
          <p className="help">Username, names, email and status are always imported. Attributes not ticked are ignored and listed in the provisioning log.</p>
          {SCIM_IMPORT_FIELDS.map(([field, label, scim]) => (
            <label key={field} className="checkbox">
              <input
                type="checkbox"
                name="scimImportFields"
                value={field}
                checked={fields.has(field)}
                disabled={!canEdit}
                onChange={(e) => {
                  const next = new Set(fields);
                  if (e.target.checked) next.add(field);
                  else next.delete(field);
                  setFields(next);
                }}
              />
              <span>
                {label}
                <span className="hint mono">{scim}</span>
              </span>
            </label>
          ))}
          <FieldError errors={errors} field="scimImportFields" id="import-fields-error" />
          <p className="help" data-testid="extension-note">
            “Rollcall extension” attributes are sent in the SCIM schema extension <code className="break-anywhere">{EXTENSION}</code>, under
            the names shown (in Okta: External namespace and External name). <Link to="/connect">Connect</Link> lists them with copy buttons.
          </p>
        </fieldset>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="default-role">Default role</label>
            <select id="default-role" value={defaultRoleId} disabled={!canEdit} onChange={(e) => setDefaultRoleId(e.target.value)}>
              <option value="">The role named “Agent”</option>
              {data.roles.nodes.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
            <p className="help">Given to employees the identity provider creates without a role.</p>
            <FieldError errors={errors} field="defaultRoleId" id="default-role-error" />
          </div>
          <div className="field">
            <label htmlFor="retention">Keep the provisioning log for (days)</label>
            <input id="retention" type="number" min={1} max={3650} value={retention} readOnly={!canEdit} onChange={(e) => setRetention(e.target.value)} />
            <FieldError errors={errors} field="provisioningLogRetentionDays" id="retention-error" />
          </div>
          <div className="field">
            <label htmlFor="phone-region">Default phone region</label>
            <input
              id="phone-region"
              type="text"
              value={phoneRegion}
              maxLength={2}
              placeholder="None"
              autoComplete="off"
              spellCheck={false}
              readOnly={!canEdit}
              aria-invalid={regionRefused || undefined}
              aria-describedby={regionRefused ? 'phone-region-help phone-region-error' : 'phone-region-help'}
              onChange={(e) => setPhoneRegion(e.target.value.toUpperCase())}
            />
            <p className="help" id="phone-region-help">
              Two-letter country code (e.g. US, GB, DE) for mobile numbers without a +country code, such as 312-320-1707. Empty: none.
            </p>
            <FieldError errors={errors} field="defaultPhoneRegion" id="phone-region-error" />
          </div>
          <fieldset className="radios field-wide" aria-describedby="username-format-help">
            <legend>Usernames</legend>
            {USERNAME_FORMATS.map(([format, label, explanation]) => (
              <label key={format} className="radio">
                <input
                  type="radio"
                  name="usernameFormat"
                  value={format}
                  checked={usernameFormat === format}
                  disabled={!canEdit}
                  onChange={() => setUsernameFormat(format)}
                />
                <span>
                  {label}
                  <span className="hint">{explanation}</span>
                </span>
              </label>
            ))}
            <p className="help" id="username-format-help">
              For the identity provider and this console alike. A change applies to later writes only: stored usernames stay as they are.
            </p>
            <FieldError errors={errors} field="usernameFormat" id="username-format-error" />
          </fieldset>
        </div>
        <div className="form-actions">
          <FormErrors
            errors={errors}
            shown={new Set(['scimImportFields', 'defaultRoleId', 'provisioningLogRetentionDays', 'usernameFormat', 'defaultPhoneRegion'])}
          />
          <span className="saved" role="status">
            {saved}
          </span>
          <button type="submit" className="primary" disabled={!canEdit || state.fetching}>
            {state.fetching ? 'Saving…' : 'Save SCIM import settings'}
          </button>
        </div>
      </form>
      <ErrorNotice error={state.error} />
    </Section>
  );
}

/** One editable cell of a row: a text input, or a select over `options` with a `none` choice meaning "no value". */
interface EditColumn {
  key: string;
  label: string;
  options?: Named[];
  none?: string;
  placeholder?: string;
}
type EditValues = Record<string, string>;

/**
 * Which row of a table is being edited. Closing the edit (saved or cancelled) puts focus back on that row's Edit
 * button, so a keyboard user carries on where they were.
 */
function useRowEdit(clearErrors: () => void) {
  const [editing, setEditing] = useState<string | null>(null);
  const [returnTo, setReturnTo] = useState<string | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  useEffect(() => {
    if (returnTo === null) return;
    buttons.current.get(returnTo)?.focus();
    setReturnTo(null);
  }, [returnTo]);
  return {
    editing,
    open: (id: string) => {
      clearErrors();
      setEditing(id);
    },
    close: () => {
      clearErrors();
      setReturnTo(editing);
      setEditing(null);
    },
    buttonRef: (id: string) => (element: HTMLButtonElement | null) => {
      if (element) buttons.current.set(id, element);
      else buttons.current.delete(id);
    },
  };
}

function EditButton({ name, onClick, buttonRef }: { name: string; onClick: () => void; buttonRef: (element: HTMLButtonElement | null) => void }) {
  return (
    <button type="button" className="small-button" ref={buttonRef} aria-label={`Edit ${name}`} onClick={onClick}>
      Edit
    </button>
  );
}

/**
 * A table row turned into inputs in place (same cells, same height: no layout jump). Enter saves, Escape cancels;
 * each userError shows under its cell.
 */
function EditRow(props: {
  rowId: string;
  name: string;
  columns: EditColumn[];
  initial: EditValues;
  errors: UserError[];
  busy: boolean;
  onSave: (values: EditValues) => Promise<void>;
  onCancel: () => void;
}) {
  const { rowId, name, columns, initial, errors, busy, onSave, onCancel } = props;
  const [values, setValues] = useState(initial);
  const save = () => {
    if (!busy) void onSave(values);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onCancel();
    } else if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      save();
    }
  };
  return (
    <tr className="editing" onKeyDown={onKeyDown} aria-label={`Editing ${name}`}>
      {columns.map((column, i) => {
        const errorId = `edit-${rowId}-${column.key}-error`;
        const invalid = errors.some((e) => e.field?.[e.field.length - 1] === column.key);
        const common = {
          'aria-label': column.label,
          'aria-invalid': invalid || undefined,
          'aria-describedby': invalid ? errorId : undefined,
          value: values[column.key] ?? '',
          autoFocus: i === 0,
          onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [column.key]: e.target.value })),
        };
        return (
          <td key={column.key}>
            {column.options ? (
              <select {...common}>
                <option value="">{column.none ?? '—'}</option>
                {column.options.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            ) : (
              <input {...common} placeholder={column.placeholder} autoComplete="off" />
            )}
            <FieldError errors={errors} field={column.key} id={errorId} />
          </td>
        );
      })}
      <td className="actions-col">
        <span className="confirm">
          <button type="button" className="small-button primary" disabled={busy} onClick={save}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <button type="button" className="small-button" onClick={onCancel}>
            Cancel
          </button>
        </span>
      </td>
    </tr>
  );
}

function AddForm({ label, onSubmit, busy, children }: { label: string; onSubmit: () => Promise<boolean>; busy: boolean; children: ReactNode }) {
  const canEdit = useCanEdit();
  if (!canEdit) return null;
  return (
    <form
      className="add-form"
      aria-label={label}
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        await onSubmit();
      }}
    >
      {children}
      <button type="submit" className="primary" disabled={busy}>
        {label}
      </button>
    </form>
  );
}

function NamedList(props: {
  kind: 'role' | 'team';
  title: string;
  id: string;
  items: (Named & { description: string | null })[];
  defaultId?: string;
  refresh: Refresh;
}) {
  const { kind, title, id, items, defaultId, refresh } = props;
  const canEdit = useCanEdit();
  const Kind = kind === 'role' ? 'Role' : 'Team';
  const create = useAction(`create${Kind}`, `${kind} { id }`, refresh);
  const remove = useAction(`delete${Kind}`, `deleted${Kind}Id`, refresh);
  const update = useAction(`update${Kind}`, `${kind} { id }`, refresh);
  const edit = useRowEdit(() => update.setErrors([]));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const columns: EditColumn[] = [
    { key: 'name', label: 'Name' },
    { key: 'description', label: 'Description' },
  ];

  return (
    <Section title={title} id={id}>
      {items.length === 0 ? (
        <Empty>No {kind}s yet.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col" className="actions-col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) =>
              edit.editing === item.id ? (
                <EditRow
                  key={item.id}
                  rowId={item.id}
                  name={item.name}
                  columns={columns}
                  initial={{ name: item.name, description: item.description ?? '' }}
                  errors={update.errors}
                  busy={update.busy}
                  onSave={async (v) => {
                    if (await update.act({ id: item.id, name: v.name, description: blankToNull(v.description) })) edit.close();
                  }}
                  onCancel={edit.close}
                />
              ) : (
                <tr key={item.id}>
                  <td>
                    {item.name} {item.id === defaultId && <span className="badge">Default</span>}
                  </td>
                  <td>{item.description ?? <span className="muted">—</span>}</td>
                  <td className="actions-col">
                    {canEdit && (
                      <span className="confirm">
                        <EditButton name={item.name} buttonRef={edit.buttonRef(item.id)} onClick={() => edit.open(item.id)} />
                        <ConfirmButton label="Delete" confirmLabel={`Delete ${item.name}`} onConfirm={() => remove.act({ id: item.id })} />
                      </span>
                    )}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      <FormErrors errors={[...update.errors, ...remove.errors]} shown={new Set(['name', 'description'])} />
      <AddForm
        label={`Add ${kind}`}
        busy={create.busy}
        onSubmit={async () => {
          const ok = await create.act({ name, description: blankToNull(description) });
          if (ok) {
            setName('');
            setDescription('');
          }
          return Boolean(ok);
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          <FieldError errors={create.errors} field="name" id={`${id}-name-error`} />
        </div>
        <div className="field field-wide">
          <label htmlFor={`${id}-description`}>Description</label>
          <input id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
          <FieldError errors={create.errors} field="description" id={`${id}-description-error`} />
        </div>
      </AddForm>
      <FormErrors errors={create.errors} shown={new Set(['name', 'description'])} />
      <ErrorNotice error={create.error ?? update.error ?? remove.error} />
    </Section>
  );
}

function Authenticators({ data, refresh }: { data: SettingsData; refresh: Refresh }) {
  const canEdit = useCanEdit();
  const create = useAction('createLoginAuthenticator', 'loginAuthenticator { id }', refresh);
  const update = useAction('updateLoginAuthenticator', 'loginAuthenticator { id isDefault }', refresh);
  const remove = useAction('deleteLoginAuthenticator', 'deletedLoginAuthenticatorId', refresh);
  const edit = useRowEdit(() => update.setErrors([]));
  const [name, setName] = useState('');
  const [isDefault, setIsDefault] = useState(false);
  const items = data.loginAuthenticators.nodes;

  return (
    <Section title="Login authenticators" id="authenticators">
      {items.length === 0 ? (
        <Empty>No login authenticators yet.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="actions-col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) =>
              edit.editing === a.id ? (
                <EditRow
                  key={a.id}
                  rowId={a.id}
                  name={a.name}
                  columns={[{ key: 'name', label: 'Name' }]}
                  initial={{ name: a.name }}
                  errors={update.errors}
                  busy={update.busy}
                  onSave={async (v) => {
                    if (await update.act({ id: a.id, name: v.name })) edit.close();
                  }}
                  onCancel={edit.close}
                />
              ) : (
                <tr key={a.id}>
                  <td>
                    {a.name} {a.isDefault && <span className="badge">Default</span>}
                  </td>
                  <td className="actions-col">
                    {canEdit && (
                      <span className="confirm">
                        <EditButton name={a.name} buttonRef={edit.buttonRef(a.id)} onClick={() => edit.open(a.id)} />
                        {!a.isDefault && (
                          <>
                            <button type="button" className="small-button" onClick={() => update.act({ id: a.id, isDefault: true })}>
                              Make default
                            </button>
                            <ConfirmButton label="Delete" confirmLabel={`Delete ${a.name}`} onConfirm={() => remove.act({ id: a.id })} />
                          </>
                        )}
                      </span>
                    )}
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
      <FormErrors errors={[...update.errors, ...remove.errors]} shown={new Set(edit.editing ? ['name'] : [])} />
      <AddForm
        label="Add authenticator"
        busy={create.busy}
        onSubmit={async () => {
          const ok = await create.act({ name, isDefault });
          if (ok) {
            setName('');
            setIsDefault(false);
          }
          return Boolean(ok);
        }}
      >
        <div className="field">
          <label htmlFor="authenticator-name">Name</label>
          <input id="authenticator-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          <FieldError errors={create.errors} field="name" id="authenticator-name-error" />
        </div>
        <label className="checkbox inline">
          <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} /> Default for new employees
        </label>
      </AddForm>
      <FormErrors errors={create.errors} shown={new Set(['name'])} />
      <ErrorNotice error={create.error ?? update.error ?? remove.error} />
    </Section>
  );
}

function Templates({ data, refresh }: { data: SettingsData; refresh: Refresh }) {
  const canEdit = useCanEdit();
  const create = useAction('createEmployeeTemplate', 'employeeTemplate { id }', refresh);
  const remove = useAction('deleteEmployeeTemplate', 'deletedEmployeeTemplateId', refresh);
  const update = useAction('updateEmployeeTemplate', 'employeeTemplate { id }', refresh);
  const edit = useRowEdit(() => update.setErrors([]));
  const blank = { name: '', primaryRoleId: '', teamId: '', loginAuthenticatorId: '', timeZone: '', type: '' };
  const [form, setForm] = useState(blank);
  const set = (key: keyof typeof blank) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const items = data.employeeTemplates.nodes;
  const templateColumns: EditColumn[] = [
    { key: 'name', label: 'Name' },
    { key: 'primaryRoleId', label: 'Role', options: data.roles.nodes, none: 'No preset' },
    { key: 'teamId', label: 'Team', options: data.teams.nodes, none: 'No preset' },
    { key: 'loginAuthenticatorId', label: 'Authenticator', options: data.loginAuthenticators.nodes, none: 'No preset' },
    { key: 'timeZone', label: 'Time zone', placeholder: 'America/New_York' },
    { key: 'type', label: 'Type', placeholder: 'Contractor' },
  ];
  const options = (list: Named[], none: string) => [
    <option key="" value="">
      {none}
    </option>,
    ...list.map((o) => (
      <option key={o.id} value={o.id}>
        {o.name}
      </option>
    )),
  ];

  return (
    <Section title="Employee templates" id="templates">
      <p className="help">
        Presets for new employees: an identity provider names a template (Rollcall SCIM extension <code>employeeTemplate</code>) and the
        employee starts with its values.
      </p>
      {items.length === 0 ? (
        <Empty>No templates yet.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Team</th>
                <th scope="col">Authenticator</th>
                <th scope="col">Time zone</th>
                <th scope="col">Type</th>
                <th scope="col" className="actions-col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) =>
                edit.editing === t.id ? (
                  <EditRow
                    key={t.id}
                    rowId={t.id}
                    name={t.name}
                    columns={templateColumns}
                    initial={{
                      name: t.name,
                      primaryRoleId: t.primaryRole?.id ?? '',
                      teamId: t.team?.id ?? '',
                      loginAuthenticatorId: t.loginAuthenticator?.id ?? '',
                      timeZone: t.timeZone ?? '',
                      type: t.type ?? '',
                    }}
                    errors={update.errors}
                    busy={update.busy}
                    onSave={async (v) => {
                      const ok = await update.act({
                        id: t.id,
                        name: v.name,
                        primaryRoleId: v.primaryRoleId || null,
                        teamId: v.teamId || null,
                        loginAuthenticatorId: v.loginAuthenticatorId || null,
                        timeZone: blankToNull(v.timeZone),
                        type: blankToNull(v.type),
                      });
                      if (ok) edit.close();
                    }}
                    onCancel={edit.close}
                  />
                ) : (
                  <tr key={t.id}>
                    <td>{t.name}</td>
                    <td>{t.primaryRole?.name ?? '—'}</td>
                    <td>{t.team?.name ?? '—'}</td>
                    <td>{t.loginAuthenticator?.name ?? '—'}</td>
                    <td>{t.timeZone ?? '—'}</td>
                    <td>{t.type ?? '—'}</td>
                    <td className="actions-col">
                      {canEdit && (
                        <span className="confirm">
                          <EditButton name={t.name} buttonRef={edit.buttonRef(t.id)} onClick={() => edit.open(t.id)} />
                          <ConfirmButton label="Delete" confirmLabel={`Delete ${t.name}`} onConfirm={() => remove.act({ id: t.id })} />
                        </span>
                      )}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      <FormErrors errors={[...update.errors, ...remove.errors]} shown={new Set(templateColumns.map((c) => c.key))} />
      <AddForm
        label="Add template"
        busy={create.busy}
        onSubmit={async () => {
          const ok = await create.act({
            name: form.name,
            primaryRoleId: form.primaryRoleId || null,
            teamId: form.teamId || null,
            loginAuthenticatorId: form.loginAuthenticatorId || null,
            timeZone: blankToNull(form.timeZone),
            type: blankToNull(form.type),
          });
          if (ok) setForm(blank);
          return Boolean(ok);
        }}
      >
        <div className="field">
          <label htmlFor="template-name">Name</label>
          <input id="template-name" value={form.name} onChange={set('name')} autoComplete="off" />
          <FieldError errors={create.errors} field="name" id="template-name-error" />
        </div>
        <div className="field">
          <label htmlFor="template-role">Role</label>
          <select id="template-role" value={form.primaryRoleId} onChange={set('primaryRoleId')}>
            {options(data.roles.nodes, 'No preset')}
          </select>
          <FieldError errors={create.errors} field="primaryRoleId" id="template-role-error" />
        </div>
        <div className="field">
          <label htmlFor="template-team">Team</label>
          <select id="template-team" value={form.teamId} onChange={set('teamId')}>
            {options(data.teams.nodes, 'No preset')}
          </select>
          <FieldError errors={create.errors} field="teamId" id="template-team-error" />
        </div>
        <div className="field">
          <label htmlFor="template-authenticator">Authenticator</label>
          <select id="template-authenticator" value={form.loginAuthenticatorId} onChange={set('loginAuthenticatorId')}>
            {options(data.loginAuthenticators.nodes, 'No preset')}
          </select>
          <FieldError errors={create.errors} field="loginAuthenticatorId" id="template-authenticator-error" />
        </div>
        <div className="field">
          <label htmlFor="template-tz">Time zone</label>
          <input id="template-tz" value={form.timeZone} onChange={set('timeZone')} placeholder="America/New_York" autoComplete="off" />
          <FieldError errors={create.errors} field="timeZone" id="template-tz-error" />
        </div>
        <div className="field">
          <label htmlFor="template-type">Type</label>
          <input id="template-type" value={form.type} onChange={set('type')} placeholder="Contractor" autoComplete="off" />
          <FieldError errors={create.errors} field="type" id="template-type-error" />
        </div>
      </AddForm>
      <FormErrors errors={create.errors} shown={new Set(['name', 'primaryRoleId', 'teamId', 'loginAuthenticatorId', 'timeZone', 'type'])} />
      <ErrorNotice error={create.error ?? update.error ?? remove.error} />
    </Section>
  );
}

const SCOPES: Record<string, string> = { ADMIN: 'Admin (GraphQL)', READ: 'Read-only (GraphQL)', SCIM: 'SCIM provisioning' };

function Tokens({ tokens, refresh }: { tokens: AccessToken[]; refresh: Refresh }) {
  const canEdit = useCanEdit();
  const currentTokenId = useContext(ViewerContext).tokenId;
  const [createState, runCreate] = useMutation(CREATE_TOKEN);
  const [revokeState, runRevoke] = useMutation(REVOKE_TOKEN);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('SCIM');
  const [errors, setErrors] = useState<UserError[]>([]);
  const [revokeErrors, setRevokeErrors] = useState<UserError[]>([]);
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const response = await runCreate({ input: { name, scope } });
    const payload = response.data?.createAccessToken as { userErrors: UserError[]; secret: string | null } | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.secret) {
      setSecret({ name: name.trim(), value: payload.secret });
      setName('');
      refresh();
    }
  };

  const revoke = async (id: string) => {
    const response = await runRevoke({ input: { id } });
    const payload = response.data?.revokeAccessToken as { userErrors: UserError[] } | undefined;
    if (!payload) return;
    setRevokeErrors(payload.userErrors);
    refresh();
  };

  return (
    <Section title="Tokens" id="tokens">
      <p className="help">
        SCIM tokens go into your identity provider's provisioning settings; admin and read tokens sign in here and call the GraphQL API.
        Rollcall keeps only a hash: a secret is shown once, when the token is created.
      </p>
      {secret && (
        <SecretBox label="New token secret" onDone={() => setSecret(null)} value={secret.value}>
          <strong>New token “{secret.name}”.</strong> Copy the secret now: it will not be shown again.
        </SecretBox>
      )}
      <div className="table-scroll">
        <table className="table table-cards tokens-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col" className="actions-col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => {
              const expired = !t.revokedAt && t.expiresAt !== null && new Date(t.expiresAt) <= new Date();
              return (
                <tr key={t.id} className={t.revokedAt || expired ? 'row-muted' : undefined}>
                  <td className="token-name">
                    {t.name} {t.id === currentTokenId && <span className="badge">This session</span>}
                  </td>
                  <td>{SCOPES[t.scope] ?? t.scope}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td className="nowrap">{formatDate(t.createdAt)}</td>
                  <td className="nowrap">{formatDate(t.lastUsedAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      <span className="badge badge-muted">Revoked {formatDate(t.revokedAt)}</span>
                    ) : expired ? (
                      <span className="badge badge-muted">Expired</span>
                    ) : (
                      <span className="badge badge-ok">Active{t.expiresAt ? ` until ${formatDate(t.expiresAt)}` : ''}</span>
                    )}
                  </td>
                  <td className="actions-col">
                    {canEdit && !t.revokedAt && !expired && (
                      <ConfirmButton
                        label="Revoke"
                        confirmLabel={t.id === currentTokenId ? `Revoke ${t.name} and sign out` : `Revoke ${t.name}`}
                        disabled={revokeState.fetching}
                        onConfirm={() => revoke(t.id)}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <FormErrors errors={revokeErrors} shown={new Set()} />
      {canEdit && (
        <form className="add-form" onSubmit={create} noValidate aria-label="Create token">
          <div className="field">
            <label htmlFor="token-name">Name</label>
            <input id="token-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Okta production" autoComplete="off" />
            <FieldError errors={errors} field="name" id="token-name-error" />
          </div>
          <div className="field">
            <label htmlFor="token-scope">Scope</label>
            <select id="token-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
              <option value="SCIM">{SCOPES.SCIM}</option>
              <option value="ADMIN">{SCOPES.ADMIN}</option>
              <option value="READ">{SCOPES.READ}</option>
            </select>
          </div>
          <button type="submit" className="primary" disabled={createState.fetching}>
            Create token
          </button>
        </form>
      )}
      <FormErrors errors={errors} shown={new Set(['name'])} />
      <ErrorNotice error={createState.error ?? revokeState.error} />
    </Section>
  );
}
