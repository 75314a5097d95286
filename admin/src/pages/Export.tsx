import { useState } from 'react';
import { storedToken } from '../session';

/** The query string of `GET /export/employees.csv` for the list on screen (the names src/http/export.ts reads). */
export function exportQuery(search: string, filter: Record<string, unknown>, orderBy: { field: string; direction: string }): string {
  const params = new URLSearchParams();
  if (search) params.set('search', search);
  if (typeof filter.status === 'string') params.set('status', filter.status);
  if (typeof filter.managedBy === 'string') params.set('managedBy', filter.managedBy);
  if (Array.isArray(filter.primaryRoleIds)) params.set('primaryRoleIds', filter.primaryRoleIds.join(','));
  if (Array.isArray(filter.teamIds)) params.set('teamIds', filter.teamIds.join(','));
  params.set('orderBy', orderBy.field);
  params.set('direction', orderBy.direction);
  return params.toString();
}

/**
 * Downloads every employee of the current list (search, filters, order; all pages) as CSV. The token goes in the
 * Authorization header, never in a URL, so the file is fetched here and handed to the browser as a download.
 */
export function ExportButton(props: { search: string; filter: Record<string, unknown>; orderBy: { field: string; direction: string }; disabled?: boolean }) {
  const { search, filter, orderBy, disabled } = props;
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const run = async () => {
    setState({ busy: true, error: null });
    try {
      const response = await fetch(`/export/employees.csv?${exportQuery(search, filter, orderBy)}`, {
        headers: { Authorization: `Bearer ${storedToken() ?? ''}` },
        credentials: 'omit',
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { message?: string } | null;
        throw new Error(body?.message ?? `The export failed (HTTP ${response.status}).`);
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `employees-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <span className="export">
      <button type="button" onClick={run} disabled={disabled || state.busy} title="Every employee of this list, all pages, as CSV">
        {state.busy ? 'Exporting…' : 'Export CSV'}
      </button>
      {state.error && (
        <span className="field-error" role="alert">
          {state.error}
        </span>
      )}
    </span>
  );
}
