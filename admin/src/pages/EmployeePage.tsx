import { FormEvent, useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CATALOG, CREATE_EMPLOYEE, CatalogData, EMPLOYEE, Employee, EmployeeData, EmployeeField, UPDATE_EMPLOYEE, UserError } from '../api';
import { Link, navigate, setNavigationGuard } from '../router';
import {
  Empty,
  ErrorNotice,
  FieldError,
  FormErrors,
  ManagedByBadge,
  OutcomeBadge,
  Section,
  StatusBadge,
  WarningsTable,
  formatDate,
  formatExactTime,
  personName,
  warningLabel,
} from '../ui';
import { useCanEdit } from '../viewer';

type Kind = 'text' | 'email' | 'tel' | 'role' | 'team' | 'authenticator' | 'status' | 'timeZone';

interface FieldSpec {
  /** The UpdateEmployeeInput field, also the last element of a userError's `field` path. */
  input: string;
  /** The name of the field in `lockedFields`. */
  field: EmployeeField;
  label: string;
  kind: Kind;
  required?: boolean;
  /** Shown under the field: an example, never a placeholder that could pass for a stored value. */
  help?: string;
}

const FIELDS: FieldSpec[] = [
  { input: 'username', field: 'USERNAME', label: 'Username', kind: 'email', required: true },
  { input: 'email', field: 'EMAIL', label: 'Email', kind: 'email', required: true },
  { input: 'firstName', field: 'FIRST_NAME', label: 'First name', kind: 'text', required: true },
  { input: 'lastName', field: 'LAST_NAME', label: 'Last name', kind: 'text', required: true },
  { input: 'status', field: 'STATUS', label: 'Status', kind: 'status', required: true },
  { input: 'middleName', field: 'MIDDLE_NAME', label: 'Middle name', kind: 'text' },
  { input: 'displayName', field: 'DISPLAY_NAME', label: 'Display name', kind: 'text' },
  { input: 'mobileNumber', field: 'MOBILE_NUMBER', label: 'Mobile number', kind: 'tel', help: 'With its +country code, e.g. +1 415 555 0100.' },
  { input: 'timeZone', field: 'TIME_ZONE', label: 'Time zone', kind: 'timeZone' },
  { input: 'type', field: 'TYPE', label: 'Employee type', kind: 'text', help: 'Free text, e.g. Employee or Contractor.' },
  { input: 'primaryRoleId', field: 'PRIMARY_ROLE', label: 'Primary role', kind: 'role' },
  { input: 'teamId', field: 'TEAM', label: 'Team', kind: 'team' },
  { input: 'loginAuthenticatorId', field: 'LOGIN_AUTHENTICATOR', label: 'Login authenticator', kind: 'authenticator' },
];
const FIELD_INPUTS = new Set(FIELDS.map((f) => f.input));

type Values = Record<string, string>;

function valuesOf(e: Employee): Values {
  return {
    username: e.username,
    email: e.email,
    firstName: e.firstName,
    lastName: e.lastName,
    status: e.status,
    middleName: e.middleName ?? '',
    displayName: e.displayName ?? '',
    mobileNumber: e.mobileNumber ?? '',
    timeZone: e.timeZone ?? '',
    type: e.type ?? '',
    primaryRoleId: e.primaryRole?.id ?? '',
    teamId: e.team?.id ?? '',
    loginAuthenticatorId: e.loginAuthenticator?.id ?? '',
  };
}

/** Only what changed is sent; an emptied optional field is cleared (null), an emptied required one is sent to be refused. */
function changes(before: Values, after: Values, locked: Set<EmployeeField>): Record<string, string | null> {
  const input: Record<string, string | null> = {};
  for (const spec of FIELDS) {
    if (locked.has(spec.field)) continue;
    const value = spec.kind === 'text' || spec.kind === 'tel' || spec.kind === 'email' ? after[spec.input].trim() : after[spec.input];
    if (value === before[spec.input]) continue;
    input[spec.input] = value === '' && !spec.required ? null : value;
  }
  return input;
}

export function EmployeePage({ id }: { id: string }) {
  const [result] = useQuery<EmployeeData>({ query: EMPLOYEE, variables: { id } });
  const [catalog] = useQuery<CatalogData>({ query: CATALOG });
  const employee = result.data?.employee;
  // An id that is not an employee's (`/admin/employees/abc`) is refused by the API as bad input: to the admin it is
  // the same as an id of nobody.
  const badId = result.error?.graphQLErrors.some((e) => e.extensions?.code === 'BAD_USER_INPUT');

  if (!result.data && !badId) {
    return (
      <>
        <p className="breadcrumb">
          <Link to="/employees">← Employees</Link>
        </p>
        <ErrorNotice error={result.error} />
        {!result.error && <p className="muted page-loading">Loading…</p>}
      </>
    );
  }
  if (!employee || !result.data) {
    return (
      <>
        <p className="breadcrumb">
          <Link to="/employees">← Employees</Link>
        </p>
        <h1>No such employee</h1>
        <p>
          There is no employee with this id in your tenant. They may have been deleted; <Link to="/employees">search the list</Link> for them.
        </p>
      </>
    );
  }
  return (
    <>
      <p className="breadcrumb">
        <Link to="/employees">← Employees</Link>
      </p>
      <div className="page-header">
        <h1 className="break">{personName(employee)}</h1>
        <StatusBadge status={employee.status} />
        <ManagedByBadge managedBy={employee.managedBy} />
      </div>
      <ErrorNotice error={result.error} />
      <ProvisioningWarnings data={result.data} />
      <EmployeeForm employee={employee} catalog={catalog.data} />
      <Details employee={employee} />
      <History data={result.data} />
    </>
  );
}

/** The latest SCIM requests about this employee that skipped values: what the IdP admin may want to correct there. */
function ProvisioningWarnings({ data }: { data: EmployeeData }) {
  const { totalCount, nodes } = data.warningEvents;
  if (nodes.length === 0) return null;
  return (
    <section className="notice notice-warn" data-testid="warnings-note" aria-labelledby="warnings-note-title">
      <p id="warnings-note-title">
        <strong>The identity provider sent values Rollcall could not use.</strong> They were skipped and the rest of each
        request was saved. Correct them in the identity provider (or, for fields kept in Rollcall, below).
        {totalCount > nodes.length && ` The latest ${nodes.length} of ${totalCount} requests with skipped values:`}
      </p>
      {nodes.map((event) => (
        <div key={event.id} className="warning-event">
          <p className="small muted">
            {formatDate(event.occurredAt)} · <span className="mono">{event.method} {event.path}</span>
          </p>
          <WarningsTable warnings={event.warnings} />
        </div>
      ))}
    </section>
  );
}

function EmployeeForm({ employee, catalog }: { employee: Employee; catalog: CatalogData | undefined }) {
  const canEdit = useCanEdit();
  const locked = useMemo(() => new Set(employee.lockedFields), [employee.lockedFields]);
  // Keyed on the version, not the object: a background refetch of the same version must not wipe what is being typed.
  const original = useMemo(() => valuesOf(employee), [employee.id, employee.updatedAt]);
  const [values, setValues] = useState<Values>(original);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [update, runUpdate] = useMutation(UPDATE_EMPLOYEE);

  // A newer version of the employee (after a save, or changed elsewhere) replaces what the form shows.
  useEffect(() => {
    setValues(original);
  }, [original]);

  const pending = changes(original, values, locked);
  const dirty = Object.keys(pending).length > 0;
  useUnsavedChanges(dirty);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (!dirty) return;
    const response = await runUpdate({ input: { id: employee.id, ...pending } });
    const payload = response.data?.updateEmployee as { userErrors: UserError[]; employee: Employee | null } | undefined;
    if (!payload) {
      setErrors([]);
      return;
    }
    setErrors(payload.userErrors);
    if (payload.userErrors.length === 0) setSaved('Saved.');
  };

  const set = (input: string, value: string) => {
    setValues((v) => ({ ...v, [input]: value }));
    setSaved(null);
  };

  const lockedLabels = FIELDS.filter((f) => locked.has(f.field)).map((f) => f.label.toLowerCase());
  const lockedList = lockedLabels.length > 1 ? `${lockedLabels.slice(0, -1).join(', ')} and ${lockedLabels[lockedLabels.length - 1]}` : lockedLabels[0];

  return (
    <Section title="Profile" id="profile">
      {locked.size > 0 && (
        <p className="notice notice-idp" data-testid="idp-note">
          <strong>Managed by your identity provider.</strong> The {lockedList} of this employee change only in the
          identity provider, which sends them to Rollcall over SCIM. The other fields are kept in Rollcall and can be edited here.
        </p>
      )}
      <form className="form-grid" onSubmit={submit} noValidate aria-label="Employee profile">
        {FIELDS.map((spec) => (
          <FieldRow
            key={spec.input}
            spec={spec}
            value={values[spec.input]}
            employee={employee}
            catalog={catalog}
            locked={locked.has(spec.field)}
            readOnly={!canEdit}
            errors={errors}
            onChange={(v) => set(spec.input, v)}
          />
        ))}
        <div className="form-actions">
          <FormErrors errors={errors} shown={FIELD_INPUTS} />
          <span className="saved" role="status">
            {saved ?? ''}
          </span>
          <button type="button" disabled={!dirty || update.fetching} onClick={() => { setValues(original); setErrors([]); }}>
            Discard changes
          </button>
          <button type="submit" className="primary" disabled={!canEdit || !dirty || update.fetching}>
            {update.fetching ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
      <ErrorNotice error={update.error} />
    </Section>
  );
}

function FieldRow(props: {
  spec: FieldSpec;
  value: string;
  employee: Employee;
  catalog: CatalogData | undefined;
  locked: boolean;
  readOnly: boolean;
  errors: UserError[];
  onChange: (value: string) => void;
}) {
  const { spec, value, employee, catalog, locked, readOnly, errors, onChange } = props;
  const id = `field-${spec.input}`;
  const hasError = errors.some((e) => e.field && e.field[e.field.length - 1] === spec.input);
  const describedBy =
    [locked ? `${id}-locked` : null, !locked && spec.help ? `${id}-help` : null, hasError ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: spec.input,
    'aria-describedby': describedBy,
    'aria-invalid': hasError || undefined,
  };

  let control;
  if (locked) {
    const shown = spec.kind === 'status' ? (employee.status === 'ACTIVE' ? 'Active' : 'Inactive') : value;
    control = <input {...common} type="text" value={shown} readOnly aria-readonly="true" className="locked" />;
  } else if (spec.kind === 'status') {
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)} disabled={readOnly}>
        <option value="ACTIVE">Active</option>
        <option value="INACTIVE">Inactive</option>
      </select>
    );
  } else if (spec.kind === 'role' || spec.kind === 'team' || spec.kind === 'authenticator') {
    const options =
      spec.kind === 'role' ? catalog?.roles.nodes : spec.kind === 'team' ? catalog?.teams.nodes : catalog?.loginAuthenticators.nodes;
    const current = spec.kind === 'role' ? employee.primaryRole : spec.kind === 'team' ? employee.team : employee.loginAuthenticator;
    const list = options ?? (current ? [current] : []);
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)} disabled={readOnly}>
        <option value="">{spec.kind === 'team' ? 'No team' : 'None'}</option>
        {list.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    );
  } else if (spec.kind === 'timeZone') {
    control = <TimeZoneSelect {...common} value={value} onChange={onChange} disabled={readOnly} />;
  } else {
    control = (
      <input
        {...common}
        type={spec.kind}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        readOnly={readOnly}
        autoComplete="off"
        spellCheck={false}
      />
    );
  }

  return (
    <div className={`field ${locked ? 'field-locked' : ''}`}>
      <div className="label-row">
        <label htmlFor={id}>{spec.label}</label>
        {locked && (
          <span className="lock" aria-hidden="true">
            IdP
          </span>
        )}
      </div>
      {control}
      {locked && (
        <p className="help" id={`${id}-locked`}>
          Managed by your identity provider
        </p>
      )}
      {!locked && spec.help && (
        <p className="help" id={`${id}-help`}>
          {spec.help}
        </p>
      )}
      {spec.input === 'mobileNumber' && <E164Note employee={employee} value={value} />}
      <FieldError errors={errors} field={spec.input} id={`${id}-error`} />
    </div>
  );
}

/**
 * The E.164 form the server derived from the stored number, when it is not what is shown. Only for the stored number:
 * while another one is being typed, the old number's form would mislead.
 */
function E164Note({ employee, value }: { employee: Employee; value: string }) {
  const stored = employee.mobileNumber;
  if (!stored || value.trim() !== stored) return null;
  if (employee.mobileNumberE164 === null) {
    return (
      <p className="help" data-testid="mobile-e164">
        Rollcall cannot derive its E.164 form. A national number needs a default phone region (Settings).
      </p>
    );
  }
  if (employee.mobileNumberE164 === stored) return null;
  return (
    <p className="help" data-testid="mobile-e164">
      E.164: <span className="mono">{employee.mobileNumberE164}</span>
    </p>
  );
}

function Details({ employee }: { employee: Employee }) {
  return (
    <Section title="Record" id="record">
      <dl className="details">
        <div>
          <dt>Managed by</dt>
          <dd>{employee.managedBy === 'IDENTITY_PROVIDER' ? 'Identity provider (SCIM)' : 'Rollcall'}</dd>
        </div>
        <div>
          <dt>External id</dt>
          <dd className="mono">{employee.externalId ?? '—'}</dd>
        </div>
        <div>
          <dt>Groups</dt>
          <dd>{employee.groups.length ? employee.groups.map((g) => g.displayName).join(', ') : '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(employee.createdAt)}</dd>
        </div>
        <div>
          <dt>Last changed</dt>
          <dd>{formatDate(employee.updatedAt)}</dd>
        </div>
        <div>
          <dt>Id</dt>
          <dd className="mono small">{employee.id}</dd>
        </div>
      </dl>
    </Section>
  );
}

const SURFACES: Record<string, string> = { SCIM: 'Identity provider (SCIM)', GRAPHQL: 'Admin API', CLI: 'Command line', SYSTEM: 'Rollcall' };

/** What an audit action means, in words (the API's action names are for scripts). */
const ACTIONS: Record<string, string> = {
  'employee.created': 'Created',
  'employee.updated': 'Changed',
  'employee.deleted': 'Deleted',
  'employee.claimed': 'Taken over by the identity provider',
  'group.members_added': 'Added to a group',
  'group.members_removed': 'Removed from a group',
};

/** Stored values shown as the form shows them (enum values of status and managedBy). */
const VALUE_LABELS: Record<string, Record<string, string>> = {
  status: { ACTIVE: 'Active', INACTIVE: 'Inactive' },
  managedBy: { IDENTITY_PROVIDER: 'Identity provider', LOCAL: 'Rollcall' },
};

/** "Okta production" over "Identity provider (SCIM)": the token or connection by name, and the door it came through. */
function Actor({ actor }: { actor: { surface: string; name: string | null } }) {
  const surface = SURFACES[actor.surface] ?? actor.surface;
  if (!actor.name) return <>{surface}</>;
  return (
    <>
      <span className="actor-name">{actor.name}</span>
      <span className="small muted"> · {surface}</span>
    </>
  );
}

/** Audit field names as the form labels them; fields the form has no input for keep their API name. */
const CHANGE_LABELS: Record<string, string> = {
  ...Object.fromEntries(FIELDS.map((f) => [f.input, f.label])),
  externalId: 'External id',
  managedBy: 'Managed by',
  deletedAt: 'Deleted',
};

function ChangeLabel({ field }: { field: string }) {
  const label = CHANGE_LABELS[field];
  return label ? <span title={field}>{label}</span> : <span className="mono">{field}</span>;
}

/** A role, team or authenticator by the name the API resolved, else the stored value (e.g. an id since deleted). */
function ChangeValue({ field, value, name, className }: { field: string; value: string | null; name: string | null; className: string }) {
  if (value === null) return <span className="muted">—</span>;
  if (name !== null) return <span className={className} title={value}>{name}</span>;
  const label = VALUE_LABELS[field]?.[value];
  if (label) return <span className={className} title={value}>{label}</span>;
  return <span className={className}>{value}</span>;
}

function History({ data }: { data: EmployeeData }) {
  return (
    <>
      <Section title={`Audit history (${data.auditEvents.totalCount})`} id="audit">
        {data.auditEvents.nodes.length === 0 ? (
          <Empty>No recorded changes.</Empty>
        ) : (
          // On a phone the table scrolls sideways: focusable (and named) so that the keyboard can scroll it too.
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Audit history table">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">By</th>
                  <th scope="col">Changes</th>
                </tr>
              </thead>
              <tbody>
                {data.auditEvents.nodes.map((a) => (
                  <tr key={a.id}>
                    <td className="nowrap">{formatExactTime(a.occurredAt)}</td>
                    <td title={a.action}>{ACTIONS[a.action] ?? a.action}</td>
                    <td>
                      <Actor actor={a.actor} />
                    </td>
                    <td>
                      {a.changes.length === 0 ? (
                        <span className="muted">—</span>
                      ) : (
                        <ul className="changes">
                          {a.changes.map((c) => (
                            <li key={c.field} data-field={c.field}>
                              <ChangeLabel field={c.field} />: <ChangeValue field={c.field} value={c.from} name={c.fromName} className="from" /> →{' '}
                              <ChangeValue field={c.field} value={c.to} name={c.toName} className="to" />
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title={`Provisioning events (${data.provisioningEvents.totalCount})`} id="provisioning">
        {data.provisioningEvents.nodes.length === 0 ? (
          <Empty>No SCIM requests about this employee are in the log.</Empty>
        ) : (
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Provisioning events table">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Request</th>
                  <th scope="col">Result</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {data.provisioningEvents.nodes.map((p) => (
                  <tr key={p.id}>
                    <td className="nowrap">{formatExactTime(p.occurredAt)}</td>
                    <td className="mono">
                      {p.method} {p.path}
                    </td>
                    <td>
                      <OutcomeBadge outcome={p.outcome} status={p.status} />
                    </td>
                    <td>
                      {p.detail ?? (p.warnings.length === 0 && <span className="muted">—</span>)}
                      {p.warnings.length > 0 && (
                        <ul className="changes">
                          {p.warnings.map((w, i) => (
                            <li key={i}>
                              Skipped <span title={w.attribute}>{warningLabel(w.attribute)}</span> <span className="mono">“{w.value}”</span>: {w.reason}
                            </li>
                          ))}
                        </ul>
                      )}
                      {p.ignoredAttributes.length > 0 && <p className="small muted">Not imported: {p.ignoredAttributes.join(', ')}</p>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}

const UNSAVED = 'This page has unsaved changes. Leave it and lose them?';

/** While `dirty`, leaving the page asks first: in the app (links, Back) and in the browser (reload, closing the tab). */
function useUnsavedChanges(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    setNavigationGuard(UNSAVED);
    const prompt = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', prompt);
    return () => {
      setNavigationGuard(null);
      window.removeEventListener('beforeunload', prompt);
    };
  }, [dirty]);
}

/** The IANA time zones the browser knows (Intl), which are the names the server accepts. */
const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

/** A time zone picked from the IANA list; a stored value the browser does not list is kept as a choice. */
function TimeZoneSelect(props: {
  id: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}) {
  const { value, onChange, ...rest } = props;
  const zones = value && !TIME_ZONES.includes(value) ? [value, ...TIME_ZONES] : TIME_ZONES;
  return (
    <select {...rest} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">None</option>
      {zones.map((zone) => (
        <option key={zone} value={zone}>
          {zone.replace(/_/g, ' ')}
        </option>
      ))}
    </select>
  );
}

/** The fields of a new LOCAL employee: the profile form's, all editable. */
const NEW_FIELDS = FIELDS;
const NEW_BLANK: Values = Object.fromEntries(FIELDS.map((f) => [f.input, f.input === 'status' ? 'ACTIVE' : '']));

/** Adds an employee kept in Rollcall (LOCAL): for people the identity provider does not send, e.g. a contractor. */
export function NewEmployeePage() {
  const canEdit = useCanEdit();
  const [catalog] = useQuery<CatalogData>({ query: CATALOG });
  const [values, setValues] = useState<Values>(NEW_BLANK);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [state, run] = useMutation(CREATE_EMPLOYEE);
  const dirty = Object.entries(values).some(([k, v]) => v !== NEW_BLANK[k]);
  useUnsavedChanges(dirty);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input: Record<string, string> = {};
    for (const spec of NEW_FIELDS) {
      const value = spec.kind === 'text' || spec.kind === 'tel' || spec.kind === 'email' ? values[spec.input].trim() : values[spec.input];
      if (value !== '' || spec.required) input[spec.input] = value;
    }
    const response = await run({ input });
    const payload = response.data?.createEmployee as { userErrors: UserError[]; employee: { id: string } | null } | undefined;
    if (!payload) return;
    setErrors(payload.userErrors);
    if (payload.employee) navigate(`/employees/${encodeURIComponent(payload.employee.id)}`, { replace: true, force: true });
  };

  const placeholder = { id: '', username: '', firstName: '', lastName: '', status: 'ACTIVE' } as unknown as Employee;
  return (
    <>
      <p className="breadcrumb">
        <Link to="/employees">← Employees</Link>
      </p>
      <div className="page-header">
        <h1>Add employee</h1>
      </div>
      <p className="lead">
        An employee added here is kept in Rollcall: every field is edited here. People your identity provider sends are added by it.
        {!canEdit && ' Adding employees needs an admin token.'}
      </p>
      <Section title="Profile" id="new-employee">
        <form className="form-grid" onSubmit={submit} noValidate aria-label="New employee">
          {NEW_FIELDS.map((spec) => (
            <FieldRow
              key={spec.input}
              spec={spec}
              value={values[spec.input]}
              employee={placeholder}
              catalog={catalog.data}
              locked={false}
              readOnly={!canEdit}
              errors={errors}
              onChange={(v) => setValues((old) => ({ ...old, [spec.input]: v }))}
            />
          ))}
          <div className="form-actions">
            <FormErrors errors={errors} shown={FIELD_INPUTS} />
            <button type="submit" className="primary" disabled={!canEdit || state.fetching}>
              {state.fetching ? 'Adding…' : 'Add employee'}
            </button>
          </div>
        </form>
        <ErrorNotice error={state.error} />
      </Section>
    </>
  );
}
