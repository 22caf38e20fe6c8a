// The self reviews: objects a client creates to ask the server something about itself, which
// are answered and never stored — `kubectl auth can-i` (authorization.k8s.io/v1
// SelfSubjectAccessReview; `--list`: SelfSubjectRulesReview) and `kubectl auth whoami`
// (authentication.k8s.io/v1 SelfSubjectReview). Tools such as k9s ask them too.
//
// skiff's authorizer allows every authenticated user everything (its bearer tokens are the
// cluster admin's), so an access review is always allowed and the rules are `*`; a request
// without a valid token never gets here (401).
import type { ResourceInfo } from '../api/resources.js';
import { BadRequestError, InvalidError } from '../api/errors.js';
import { invalid } from '../api/field-errors.js';
import { isObject } from '../api/object.js';
import type { User } from './auth.js';

/** The reason an allowed access review gives. */
export const ALLOWED_REASON = 'skiff authorizes every authenticated user for every request';

/** Whether `info` names one of the self reviews. */
export function isSelfReview(info: Pick<ResourceInfo, 'group' | 'plural'>): boolean {
  return (info.group === 'authorization.k8s.io' && (info.plural === 'selfsubjectaccessreviews' || info.plural === 'selfsubjectrulesreviews')) || (info.group === 'authentication.k8s.io' && info.plural === 'selfsubjectreviews');
}

/**
 * The answer to a review `body` (decoded, of `info`'s kind) created by `user`: the review with its
 * status, as the 201 body. Throws ApiErrors for what Kubernetes refuses.
 */
export function answerSelfReview(info: ResourceInfo, body: Record<string, unknown>, user: User): Record<string, unknown> {
  const metadata = isObject(body.metadata) ? { ...body.metadata } : {};
  delete metadata.resourceVersion;
  const base = { apiVersion: `${info.group}/${info.version}`, kind: info.kind, metadata: { ...metadata, creationTimestamp: null } };
  const spec = isObject(body.spec) ? body.spec : {};
  switch (info.plural) {
    case 'selfsubjectaccessreviews': {
      const resource = isObject(spec.resourceAttributes);
      const nonResource = isObject(spec.nonResourceAttributes);
      // ValidateSelfSubjectAccessReviewSpec
      if (resource === nonResource) {
        throw new InvalidError(
          { resource: info.plural, group: info.group, kind: info.kind, name: '' },
          [
            resource
              ? invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes')
              : invalid('spec.resourceAttributes', spec.nonResourceAttributes ?? null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
          ],
        );
      }
      return { ...base, spec, status: { allowed: true, reason: ALLOWED_REASON } };
    }
    case 'selfsubjectrulesreviews':
      return {
        ...base,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    case 'selfsubjectreviews':
      return { ...base, status: { userInfo: { username: user.name, groups: [...user.groups] } } };
    default:
      throw new BadRequestError(`${info.plural} is not a self review`);
  }
}
