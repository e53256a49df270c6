// Reads README.md's commands for test/readme.test.ts: every command of every ```sh block (a
// command continues past a trailing `\`, an open quote or a here-document), the comment after it
// on its line and the `#  {…}` comment lines under it (its documented output), and the inline
// `code` spans in the prose that are commands (they start with a program a user would type).

export interface Command {
  /** The command as written, continuation lines joined with their newlines. */
  text: string;
  /** Where it is: `sh block N` (1-based, in README order) or `inline`. */
  where: string;
  /** README line (1-based) of its first line. */
  line: number;
  /** The comment on the command's (last) line, without `#`, or ''. */
  comment: string;
  /** The comment lines directly under it, joined (the documented output), or ''. */
  output: string;
}

export interface ShBlock {
  index: number;
  line: number;
  commands: Command[];
}

/** State of a shell line scan: inside single quotes, double quotes or neither. */
type Quote = '' | "'" | '"';

/** Scans `s` from quote state `q`; returns the state at its end and where a `#` comment starts (-1 if none). */
function scan(s: string, q: Quote): { q: Quote; comment: number } {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q === "'") {
      if (c === "'") q = '';
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (q === '"') {
      if (c === '"') q = '';
      continue;
    }
    if (c === "'" || c === '"') q = c;
    // A comment starts at a word boundary: `a#b` and `${x#y}` are not comments.
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return { q, comment: i };
  }
  return { q, comment: -1 };
}

/** Splits one ```sh block into commands. */
export function blockCommands(lines: string[], firstLine: number, where: string): Command[] {
  const out: Command[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.trimStart().startsWith('#')) {
      i++;
      continue;
    }
    const start = i;
    const parts: string[] = [];
    let q: Quote = '';
    let comment = '';
    let heredoc: string | undefined;
    for (;;) {
      const cur = lines[i]!;
      const s = scan(cur, q);
      const code = s.comment >= 0 ? cur.slice(0, s.comment).trimEnd() : cur;
      if (q === '' && s.q === '' && s.comment >= 0) comment = cur.slice(s.comment + 1).trim();
      parts.push(code);
      q = s.q;
      heredoc ??= /<<-?\s*'?(\w+)'?/.exec(code)?.[1];
      i++;
      if (heredoc) {
        while (i < lines.length && lines[i]!.trim() !== heredoc) parts.push(lines[i++]!);
        if (i < lines.length) parts.push(lines[i++]!);
        break;
      }
      if (q === '' && !code.endsWith('\\')) break;
      if (i >= lines.length) throw new Error(`README line ${firstLine + start}: a command is not closed (open quote or trailing \\)`);
    }
    // The `#` lines right under a command are its documented output (or notes on it).
    const below: string[] = [];
    while (i < lines.length && /^#(\s|$)/.test(lines[i]!)) below.push(lines[i++]!.replace(/^#\s?/, '').trim());
    out.push({ text: parts.join('\n'), where, line: firstLine + start, comment, output: below.join(' ') });
  }
  return out;
}

/** Every ```sh block of the README, in order. */
export function shBlocks(readme: string): ShBlock[] {
  const lines = readme.split('\n');
  const blocks: ShBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i]!)) {
      if (lines[i]!.startsWith('```')) {
        // skip other fences whole, so their content is not read as prose
        const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
        i = end < 0 ? lines.length : end;
      }
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`README line ${i + 1}: an unclosed sh block`);
    const index = blocks.length + 1;
    blocks.push({ index, line: i + 1, commands: blockCommands(lines.slice(i + 1, end), i + 2, `sh block ${index}`) });
    i = end;
  }
  return blocks;
}

/**
 * Programs a command in the prose starts with: the package's tools, the runtimes, the CLI, and the
 * others the README tells a user to run. A `code` span starting with one (after `VAR=value`
 * assignments) is a command; `node:http`, `bun --hot` in a sentence about flags etc. are not,
 * because they are not followed by an argument that makes a command (see NOT_COMMANDS).
 */
const PROGRAMS =
  /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npm|npx|bun|node|deno|curl|docker|skopeo|wrangler|edgeserve|bin\/edgeserve|dist\/edgeserve|node_modules\/\.bin\/\w+)(?:\s|$)/;

/** Spans that match PROGRAMS but name a thing rather than give a command to run. */
export const NOT_COMMANDS = new Set(['bun --hot', 'deno task', 'bun test', 'npm run <script>', 'node_modules/.bin/deno', 'deno']);

/** The commands in the prose (outside fenced blocks): each distinct span once, at its first line. */
export function inlineCommands(readme: string): Command[] {
  const lines = readme.split('\n');
  const seen = new Map<string, Command>();
  // Paragraphs (and table rows) outside fences, each read whole: a span may wrap onto the next line.
  let fenced = false;
  let para: { text: string; first: number } = { text: '', first: 1 };
  const flush = () => {
    for (const m of para.text.matchAll(/`([^`]+)`/g)) {
      const text = m[1]!.replace(/\s*\n\s*/g, ' ').trim();
      if (!PROGRAMS.test(text) || NOT_COMMANDS.has(text) || seen.has(text)) continue;
      const line = para.first + (para.text.slice(0, m.index).match(/\n/g)?.length ?? 0);
      seen.set(text, { text, where: 'inline', line, comment: '', output: '' });
    }
    para = { text: '', first: 0 };
  };
  lines.forEach((l, n) => {
    if (l.startsWith('```')) {
      flush();
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    if (l.trim() === '' || l.startsWith('|')) flush();
    if (l.trim() === '') return;
    if (para.text === '') para.first = n + 1;
    para.text += `${l}\n`;
    if (l.startsWith('|')) flush();
  });
  flush();
  return [...seen.values()];
}
