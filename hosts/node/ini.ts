/**
 * The wg-quick flavour of INI, as lines: `[Section]` headers and `Key = value`
 * entries, each with its 1-based line number so every later error can name
 * `file:line`. Meaning (which keys exist, what values are valid) lives in
 * config.ts; this file only splits text.
 *
 * Syntax accepted, as wg-quick(8) and wg(8) accept it:
 * - `#` starts a comment anywhere on a line (wg-quick strips `${line%%#*}`;
 *   base64 keys never contain `#`);
 * - a line whose first non-blank character is `;` is a comment (INI habit);
 * - blank lines are ignored;
 * - whitespace around `=`, around the value and inside `[ Section ]` is ignored;
 * - section and key names are compared case-insensitively by the caller (both
 *   are given lower-cased alongside the original spelling).
 */

/** One `Key = value` line. */
export interface IniEntry {
  line: number;
  /** The key as written (for messages). */
  key: string;
  /** The key lower-cased (for matching). */
  lowerKey: string;
  value: string;
}

/** One `[Section]` and the entries under it. */
export interface IniSection {
  line: number;
  name: string;
  lowerName: string;
  entries: IniEntry[];
}

/** A line that is neither a section, an entry, a comment nor blank. */
export interface IniProblem {
  line: number;
  /** What the problem is about: the key, or the offending text. */
  subject: string;
  message: string;
}

export interface IniDocument {
  sections: IniSection[];
  problems: IniProblem[];
}

/**
 * Splits `text` into sections and entries. Never throws: malformed lines and
 * entries before the first section come back as `problems`, so the caller can
 * report every one of them at once.
 */
export function parseIni(text: string): IniDocument {
  const sections: IniSection[] = [];
  const problems: IniProblem[] = [];
  // A UTF-8 byte-order mark (Windows editors) is not part of the first line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  let current: IniSection | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const hash = lines[i].indexOf('#');
    const stripped = (hash >= 0 ? lines[i].slice(0, hash) : lines[i]).trim();
    if (stripped === '' || stripped.startsWith(';')) continue;
    if (stripped.startsWith('[')) {
      const m = /^\[\s*([^\]]*?)\s*\]$/.exec(stripped);
      if (!m || m[1] === '') {
        problems.push({ line: lineNo, subject: stripped, message: 'malformed section header, expected e.g. "[Peer]"' });
        // Its entries are swallowed: one error for the header, not one per line under it.
        current = { line: lineNo, name: '', lowerName: '', entries: [] };
        continue;
      }
      current = { line: lineNo, name: m[1], lowerName: m[1].toLowerCase(), entries: [] };
      sections.push(current);
      continue;
    }
    const eq = stripped.indexOf('=');
    if (eq <= 0) {
      problems.push({ line: lineNo, subject: stripped, message: 'expected "Key = value" or "[Section]"' });
      continue;
    }
    const key = stripped.slice(0, eq).trim();
    const value = stripped.slice(eq + 1).trim();
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) {
      problems.push({ line: lineNo, subject: key, message: 'malformed key name' });
      continue;
    }
    if (current === null) {
      problems.push({ line: lineNo, subject: key, message: 'key outside a section (put it under [Interface] or [Peer])' });
      continue;
    }
    current.entries.push({ line: lineNo, key, lowerKey: key.toLowerCase(), value });
  }
  return { sections, problems };
}
