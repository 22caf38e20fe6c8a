// The two error shapes Kubernetes gives patch failures that are not plain BadRequests.
import { ApiError } from '../../api/errors.js';

/**
 * 422 as the apiserver builds it with NewGenericServerResponse for a patch that is well formed
 * but cannot be applied (a failing JSON-patch `test`, a missing path, lists of lists): reason
 * Invalid, a fixed message, and the detail in a cause of type UnexpectedServerResponse.
 */
export function patchNotApplicable(detail: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}

/**
 * A strategic-merge failure Kubernetes does not classify (a list item without its merge key, an
 * unknown `$patch` directive): the apiserver answers 500 with an empty reason and the message as
 * is, which kubectl prints as `Error from server: MESSAGE`.
 */
export function unclassifiedPatchError(message: string): ApiError {
  return new ApiError(500, '', message);
}
