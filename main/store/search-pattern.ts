/** Free-text search as SQL LIKE: the user's text matches literally, anywhere, case-insensitively (ASCII). */

/** `%text%` with LIKE's wildcards escaped; use with `ESCAPE '\'`. */
export function likePattern(text: string): string {
  return `%${text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
