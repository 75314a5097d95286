import { ReactNode } from 'react';
import { CombinedError } from 'urql';
import { describeError } from './client';
import { EmployeeStatus, ManagedBy, UserError } from './api';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(value: string | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '—';
}

export function StatusBadge({ status }: { status: EmployeeStatus }) {
  return <span className={`badge ${status === 'ACTIVE' ? 'badge-ok' : 'badge-muted'}`}>{status === 'ACTIVE' ? 'Active' : 'Inactive'}</span>;
}

export function ManagedByBadge({ managedBy }: { managedBy: ManagedBy }) {
  return managedBy === 'IDENTITY_PROVIDER' ? <span className="badge badge-idp">Identity provider</span> : <span className="badge">Rollcall</span>;
}

/** An operation that failed as a whole (network, rate limit): shown in place, with the server's words. */
export function ErrorNotice({ error }: { error: CombinedError | undefined }) {
  if (!error) return null;
  return (
    <p className="notice notice-error" role="alert">
      {describeError(error)}
    </p>
  );
}

/** userErrors of a mutation that name no known field of the form. */
export function FormErrors({ errors, shown }: { errors: UserError[]; shown: Set<string> }) {
  const rest = errors.filter((e) => !e.field || !shown.has(e.field[e.field.length - 1]));
  if (rest.length === 0) return null;
  return (
    <div className="notice notice-error" role="alert">
      {rest.map((e, i) => (
        <p key={i}>{e.message}</p>
      ))}
    </div>
  );
}

/** The userErrors about one input field, shown under it. */
export function FieldError({ errors, field, id }: { errors: UserError[]; field: string; id: string }) {
  const mine = errors.filter((e) => e.field && e.field[e.field.length - 1] === field);
  if (mine.length === 0) return null;
  return (
    <p className="field-error" id={id} role="alert" data-code={mine[0].code}>
      {mine.map((e) => e.message).join(' ')}
    </p>
  );
}

export function Section({ title, id, children, actions }: { title: string; id?: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" id={id} aria-labelledby={id ? `${id}-title` : undefined}>
      <header className="card-header">
        <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
