/**
 * Edits of a spec's YAML text for tests that start from the example: whole top-level sections
 * removed, so a test can drop the grid search or replace the example's `deploy` section.
 */

/** `yaml` without the top-level sections `keys` (each key line and its indented lines). */
export function withoutSections(yaml: string, ...keys: string[]): string {
  return keys.reduce(
    (text, key) => text.replace(new RegExp(`^${key}:\\n( {2}.*\\n)+`, "m"), ""),
    yaml,
  );
}
