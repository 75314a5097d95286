import { ReactNode, useState } from 'react';
import { CombinedError } from 'urql';
import { describeError } from './client';
import { EmployeeStatus, ManagedBy, ProvisioningOutcome, ProvisioningWarning, SCIM_ATTRIBUTE_LABELS, UserError } from './api';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** To the second, with the time zone: for logs, where two requests a few seconds apart must read apart. */
const exactTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

export function formatDate(value: string | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '—';
}

export function formatExactTime(value: string | null | undefined): string {
  return value ? exactTime.format(new Date(value)) : '—';
}

/** "Last, First": the name the list sorts by (EmployeeOrderField.NAME), so the order on screen reads as sorted. */
export function sortName(e: { firstName: string; lastName: string }): string {
  if (!e.lastName) return e.firstName;
  if (!e.firstName) return e.lastName;
  return `${e.lastName}, ${e.firstName}`;
}

/** The name a person goes by: the display name, else "First Last". */
export function personName(e: { firstName: string; lastName: string; displayName: string | null }): string {
  return e.displayName || `${e.firstName} ${e.lastName}`.trim();
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

const OUTCOME_BADGES: Record<ProvisioningOutcome, [string, string]> = {
  SUCCESS: ['badge-ok', 'Succeeded'],
  WARNING: ['badge-warn', 'Succeeded, with values skipped'],
  FAILURE: ['badge-error', 'Failed'],
};

/** The HTTP status of a SCIM request, coloured by its outcome (a warning is a success the IdP shows as such). */
export function OutcomeBadge({ outcome, status }: { outcome: ProvisioningOutcome; status: number }) {
  const [className, title] = OUTCOME_BADGES[outcome];
  return (
    <span className={`badge ${className}`} title={title} data-outcome={outcome}>
      {status}
    </span>
  );
}

/** Control characters an IdP sent (and that are why a value was refused) are invisible as text: shown as \u escapes. */
function visible(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A warning's SCIM path under the label the console gives the field, when it has one. */
export function WarningAttribute({ attribute }: { attribute: string }) {
  const label = SCIM_ATTRIBUTE_LABELS[attribute];
  if (!label) return <span className="mono scim-path">{attribute}</span>;
  return (
    <>
      {label}
      <span className="hint mono scim-path">{attribute}</span>
    </>
  );
}

export function warningLabel(attribute: string): string {
  return SCIM_ATTRIBUTE_LABELS[attribute] ?? attribute;
}

/** Optional values a SCIM write skipped: which attribute, the value as sent, and why (with what was kept instead). */
export function WarningsTable({ warnings }: { warnings: ProvisioningWarning[] }) {
  return (
    <table className="table warnings-table">
      <thead>
        <tr>
          <th scope="col">Attribute</th>
          <th scope="col">Value sent</th>
          <th scope="col">Why it was skipped</th>
        </tr>
      </thead>
      <tbody>
        {warnings.map((w, i) => (
          <tr key={i} data-attribute={w.attribute}>
            <td>
              <WarningAttribute attribute={w.attribute} />
            </td>
            <td className="mono warning-value">{w.value === '' ? <span className="muted">(empty)</span> : visible(w.value)}</td>
            <td>{w.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A two-step delete/revoke button: the first press asks, the second acts; Escape or "Cancel" backs out. */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled }: { label: string; confirmLabel: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="small-button" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <button
        type="button"
        className="small-button danger"
        title={confirmLabel}
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="small-button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/**
 * A secret shown once (a new token, a webhook signing secret): the whole value in a wrapping monospace box, so every
 * character (`+`, `/`, `=` too) is visible at any width, with Copy and Done. `children` says what it is and that it
 * will not be shown again.
 */
export function SecretBox({ label, value, onDone, children }: { label: string; value: string; onDone: () => void; children: ReactNode }) {
  // Which value was copied: a new secret in the same box shows Copy again.
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div className="secret" role="status" data-testid="new-secret">
      <p>{children}</p>
      <div className="secret-row">
        <textarea aria-label={label} readOnly value={value} className="mono secret-value" rows={2} spellCheck={false} onFocus={(e) => e.target.select()} />
        <div className="secret-actions">
          <button
            type="button"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(value);
                setCopied(value);
              } catch {
                setCopied(null);
              }
            }}
          >
            {copied === value ? 'Copied' : 'Copy'}
          </button>
          <button type="button" onClick={onDone}>
            Done
          </button>
        </div>
      </div>
    </div>
  );
}

/** Copies one value (a URL or a client id to paste into an identity provider); says "Copied" until the value changes. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <button
      type="button"
      className="small-button"
      aria-label={`Copy ${label}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
          setCopied(value);
        } catch {
          setCopied(null);
        }
      }}
    >
      {copied === value ? 'Copied' : 'Copy'}
    </button>
  );
}

/**
 * Earlier/later pages of a cursor connection. `cursors` holds the `after` of each page shown so far (null for the
 * first); the next page appends the current `endCursor`, the previous one drops the last.
 */
export function CursorPager({
  label = 'Pages',
  cursors,
  setCursors,
  pageInfo,
  busy,
  previous = '← Previous',
  next = 'Next →',
}: {
  label?: string;
  cursors: (string | null)[];
  setCursors: (update: (current: (string | null)[]) => (string | null)[]) => void;
  pageInfo: { hasNextPage: boolean; endCursor: string | null } | undefined;
  busy: boolean;
  previous?: string;
  next?: string;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
        {previous}
      </button>
      <span>Page {cursors.length}</span>
      <button
        type="button"
        disabled={!pageInfo?.hasNextPage || busy}
        onClick={() => {
          const after = pageInfo?.endCursor;
          if (after) setCursors((c) => [...c, after]);
        }}
      >
        {next}
      </button>
    </nav>
  );
}
