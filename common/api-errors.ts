/**
 * Errors the API throws that every transport maps to the same status: a missing
 * experiment or run is 404 over HTTP, `NotFoundError` over IPC and exit code 4 in the
 * CLI; an operation the current state forbids (deleting a running run) is 409 and
 * exit code 5 (the status in main/transport/call-api.ts errorBody, the exit code in
 * main/cli/index.ts). Plain classes, no I/O: the renderer may construct and test them too.
 */

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';

  constructor(
    /** what kind of thing was asked for: 'run', 'experiment' */
    readonly resource: string,
    readonly id: number,
  ) {
    super(`${resource} ${id} does not exist`);
  }
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';

  constructor(
    readonly resource: string,
    readonly id: number,
    /** what is in the way, said so the user knows what to do first */
    reason: string,
  ) {
    super(`${resource} ${id} ${reason}`);
  }
}
