// Errors of the image store: values with a Kubernetes-style reason, as the kubelet shows them in
// a container's waiting state (ErrImagePull, InvalidImageName, ...). The runtime maps them 1:1
// to RuntimeError(reason).

export type ImageErrorReason =
  | 'ErrImagePull' // the registry or the network refused the pull
  | 'InvalidImageName' // the reference does not parse
  | 'ImageNotFound' // no such image in the store
  | 'ImageInspectError' // an archive or a stored image is malformed
  | 'DigestMismatch'; // content does not hash to the digest it claims

export class ImageError extends Error {
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageError';
  }
}

export function isImageError(e: unknown, reason?: ImageErrorReason): e is ImageError {
  return e instanceof ImageError && (reason === undefined || e.reason === reason);
}
