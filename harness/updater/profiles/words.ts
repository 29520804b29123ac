/** A version (or any text) as a regular expression that matches it literally. */
export const versionPattern = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
