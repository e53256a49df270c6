// What every SQLite opener does the same way: the file's folder is created, and the connection
// gets the settings the gallery relies on. WAL lets identify read while an enrolment commits;
// synchronous=FULL makes an acknowledged commit survive a power cut, not only a killed process;
// foreign keys refuse a face under a subject deleted meanwhile (SQLite leaves them off per
// connection unless asked); busy_timeout lets several processes share one file.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const SQLITE_PRAGMAS = ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000'];

export function ensureFolder(path: string): void {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
}

/** For statements a binding cannot classify itself: does it return rows? */
export const returnsRows = (sql: string) => /^\s*(select|with|pragma|values|explain)\b/i.test(sql) || /\breturning\b/i.test(sql);
