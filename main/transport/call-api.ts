/**
 * The one entry every transport (IPC, HTTP) goes through: checks the method
 * name, validates the input with its `apiInputs` schema, calls the API and
 * turns any failure into an `ApiErrorBody` a user can act on.
 */
import { apiInputs, type ApiErrorBody, type ApiMethod, type BatchscopeApi } from '../../common/api-contract';
import { ConflictError, NotFoundError } from '../../common/api-errors';
import { toSpecIssues, type SpecIssue } from '../../common/spec';

export type ErrorStatus = 400 | 404 | 409 | 500;
export type CallOutcome = { ok: true; value: unknown } | { ok: false; status: ErrorStatus; body: ApiErrorBody };

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(apiInputs, name);
}

function issuesOf(error: unknown): SpecIssue[] | undefined {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.filter((issue): issue is SpecIssue => typeof issue?.path === 'string' && typeof issue?.message === 'string');
}

/**
 * Errors the API throws: those carrying field issues (SpecError) are the caller's to fix (400),
 * a missing record is 404, a state that forbids the call 409; anything else is ours (500).
 */
export function errorBody(error: unknown): { status: ErrorStatus; body: ApiErrorBody } {
  const e = error instanceof Error ? error : new Error(String(error));
  const issues = issuesOf(error);
  return {
    status: issues ? 400 : error instanceof NotFoundError ? 404 : error instanceof ConflictError ? 409 : 500,
    body: { error: { name: e.name, message: e.message, ...(issues ? { issues } : {}) } },
  };
}

export async function callApi(api: BatchscopeApi, method: unknown, input: unknown): Promise<CallOutcome> {
  if (!isApiMethod(method)) {
    const name = typeof method === 'string' ? method : typeof method;
    return { ok: false, status: 404, body: { error: { name: 'UnknownMethod', message: `no API method named ${JSON.stringify(name)}` } } };
  }
  const parsed = apiInputs[method].safeParse(input ?? {});
  if (!parsed.success) {
    const issues = toSpecIssues(parsed.error);
    const summary = issues.map((i) => `${i.path || '(input)'}: ${i.message}`).join('; ');
    return { ok: false, status: 400, body: { error: { name: 'ValidationError', message: `${method}: invalid input: ${summary}`, issues } } };
  }
  try {
    const call = api[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await call.call(api, parsed.data) };
  } catch (error) {
    return { ok: false, ...errorBody(error) };
  }
}
