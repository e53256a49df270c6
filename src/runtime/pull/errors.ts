// Errors raised while pulling model weights. Each carries a `kind` so the CLI can choose an exit
// code or a hint without parsing messages; the message itself is written for the operator and
// says what to do next.

export type PullErrorKind =
  | 'NETWORK' // registry or URL unreachable (offline, DNS, refused, timeout, TLS)
  | 'NOT_FOUND' // package, version, URL or local file does not exist
  | 'AUTH' // 401/403 from the registry
  | 'HTTP' // any other unexpected HTTP status
  | 'INTEGRITY' // tarball bytes differ from the registry's dist.integrity
  | 'SHA256' // model bytes differ from the sha256 in config.json
  | 'NOT_IN_TARBALL' // source.path is not inside the package tarball
  | 'TAR' // the tarball is not a readable .tgz
  | 'CONFIG' // bad source spec, bad npmrc value, missing generator
  | 'DERIVE'; // building a derived model (quantization) failed

export class PullError extends Error {
  constructor(
    readonly kind: PullErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PullError';
  }
}

export function isPullError(e: unknown): e is PullError {
  return e instanceof PullError;
}
