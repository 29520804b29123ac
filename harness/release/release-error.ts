// A release (an artifact set) that cannot be used as given: a bad manifest, a missing artifact, a
// hostOS image labelled for another version or machine. Bad input: the CLI prints it and exits 2.
export class ReleaseError extends Error {
  override name = 'ReleaseError';
}
