// The Status objects the kubelet's streaming endpoints report (as Kubernetes' remotecommand
// does): on the error channel/stream after an exec or attach, and as HTTP bodies of refused
// requests.
import { ApiError, type Status } from '../../api/errors.js';

/** Reason and cause type Kubernetes uses for a command's non-zero exit (kubectl reads the code from the cause). */
export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

export function successStatus(): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
}

/** `command terminated with non-zero exit code: ...` with the code in details.causes[ExitCode]. */
export function exitCodeStatus(command: readonly string[], code: number): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(code) }] },
    code: 500,
  };
}

export function errorStatus(e: unknown): Status {
  if (e instanceof ApiError) return e.toStatus();
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e instanceof Error ? e.message : String(e), reason: 'InternalError', code: 500 };
}

/** A refusal the kubelet answers before any stream exists. `plain`: a text body (as Kubernetes' kubelet writes for logs), else a Status. */
export class KubeletHttpError extends ApiError {
  constructor(code: number, message: string, readonly plain = false) {
    super(code, code === 404 ? 'NotFound' : code === 400 ? 'BadRequest' : code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError', message);
  }
}
