/**
 * Class names from a file (pure: no DOM): a .txt file with one name per line, or a .json file
 * holding a list of names, or an object with such a list under "labels" or "classes" (the demo's
 * shapes.json).
 */

/** The class names in `text` (the contents of the file `name`), or an error saying what is wrong. */
export function parseLabels(text: string, name: string): string[] {
  if (name.toLowerCase().endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${name} is not valid JSON (${(error as Error).message}): give a list of class names, or an object with "labels" or "classes"`,
        { cause: error }
      );
    }
    const record = value as Record<string, unknown> | null;
    const list = Array.isArray(value)
      ? value
      : (record?.labels ?? record?.classes);
    if (!Array.isArray(list) || !list.every(v => typeof v === 'string')) {
      throw new Error(
        `${name} holds no list of class names: expected ["cat", "dog", ...] or {"labels": [...]} or {"classes": [...]}`
      );
    }
    return list as string[];
  }
  const lines = text.split(/\r?\n/).map(line => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  if (lines.length === 0) {
    throw new Error(`${name} is empty: give one class name per line`);
  }
  return lines;
}
