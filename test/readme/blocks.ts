// The command blocks of README.md, as the walk-through test (test/readme/walkthrough.test.ts)
// runs them: fenced blocks (```sh, ```console, ``` with no language) and indented ones
// (4 spaces, outside fences). A command is a line of a sh block (or after `$ ` in a console
// block; the lines after it, to the next `$ `, are its output), with `\` continuations
// joined, `# comments` dropped, and split into words as sh would (quotes, backslashes).
// Only what the README uses is supported: no variables, globs or redirections; a
// `<placeholder>` is one word.

export interface Command {
  /** README line number (1-based) of the command's first line */
  line: number;
  /** the command as written (continuations joined, comment dropped) */
  text: string;
  /** the words, `&&`-separated commands split apart */
  argv: string[][];
  /** console blocks: the output lines the README shows under the command */
  output: string[];
}

export interface Block {
  line: number;
  kind: 'sh' | 'console' | 'plain' | 'indented';
  heading: string;
  commands: Command[];
}

const COMMAND = /^(pnpm|npm|bash|curl|node)\b/;

/** Splits one command line into words, as sh does for what the README uses. */
export function shellWords(text: string): string[][] {
  const cmds: string[][] = [[]];
  let word: string | null = null;
  let i = 0;
  const push = () => {
    if (word !== null) cmds[cmds.length - 1]!.push(word);
    word = null;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated ' in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        s += text[j];
        j++;
      }
      if (j >= text.length) throw new Error(`unterminated " in: ${text}`);
      word = (word ?? '') + s;
      i = j + 1;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[i + 1];
      i += 2;
    } else if (c === '&' && text[i + 1] === '&') {
      push();
      cmds.push([]);
      i += 2;
    } else if (/\s/.test(c)) {
      push();
      i++;
    } else if (c === '#' && word === null) {
      break; // a comment
    } else if (c === '<' && /^<[^<>]+>/.test(text.slice(i))) {
      // A placeholder the reader fills in (`<my-charity verifier key>`): one word, kept as written.
      const j = text.indexOf('>', i);
      word = (word ?? '') + text.slice(i, j + 1);
      i = j + 1;
    } else if ('|;<>$`*?'.includes(c)) {
      throw new Error(`shellWords: ${JSON.stringify(c)} is not supported (README: ${text})`);
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  push();
  return cmds.filter((c) => c.length > 0);
}

/** Joins `\`-continued lines; each result keeps the number of its first line. */
function logicalLines(lines: Array<{ n: number; text: string }>): Array<{ n: number; text: string }> {
  const out: Array<{ n: number; text: string }> = [];
  let cur: { n: number; text: string } | null = null;
  for (const l of lines) {
    const t = l.text;
    if (cur) cur.text += ' ' + t.trim();
    else cur = { n: l.n, text: t };
    if (/\\$/.test(cur.text.replace(/\s+#.*$/, ''))) {
      cur.text = cur.text.replace(/\s+#.*$/, '').replace(/\s*\\$/, '');
    } else {
      out.push(cur);
      cur = null;
    }
  }
  if (cur) out.push(cur);
  return out;
}

function commandsOf(kind: Block['kind'], lines: Array<{ n: number; text: string }>): Command[] {
  const out: Command[] = [];
  if (kind === 'console') {
    let cur: Command | null = null;
    const raw: Array<{ n: number; text: string }> = [];
    // `$ ` lines (with their continuations) are commands; the rest is output.
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.text.startsWith('$ ')) {
        raw.length = 0;
        raw.push({ n: l.n, text: l.text.slice(2) });
        while (/\\$/.test(raw[raw.length - 1]!.text) && i + 1 < lines.length) raw.push(lines[++i]!);
        const [joined] = logicalLines(raw);
        cur = { line: l.n, text: joined!.text.trim(), argv: shellWords(joined!.text), output: [] };
        out.push(cur);
      } else if (cur) cur.output.push(l.text);
    }
    return out;
  }
  for (const l of logicalLines(lines)) {
    const t = l.text.trim();
    if (!COMMAND.test(t)) continue;
    out.push({ line: l.n, text: t.replace(/\s+#.*$/, ''), argv: shellWords(t), output: [] });
  }
  return out;
}

/** Every block of the README holding at least one command. */
export function readmeBlocks(readme: string): Block[] {
  const lines = readme.split('\n');
  const blocks: Block[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const fence = /^```(\S*)\s*$/.exec(l);
    if (fence) {
      const lang = fence[1]!;
      const body: Array<{ n: number; text: string }> = [];
      let j = i + 1;
      while (j < lines.length && !/^```\s*$/.test(lines[j]!)) body.push({ n: j + 1, text: lines[j++]! });
      const kind: Block['kind'] | null = lang === 'sh' ? 'sh' : lang === 'console' ? 'console' : lang === '' ? 'plain' : null;
      if (kind) {
        const commands = commandsOf(kind, body);
        if (commands.length) blocks.push({ line: i + 1, kind, heading, commands });
      }
      i = j;
      continue;
    }
    const h = /^#{1,4} (.*)$/.exec(l);
    if (h) heading = h[1]!.trim();
    if (/^ {4}\S/.test(l) && (i === 0 || lines[i - 1]!.trim() === '')) {
      const body: Array<{ n: number; text: string }> = [];
      let j = i;
      while (j < lines.length && (/^ {4}/.test(lines[j]!) || (lines[j]!.trim() === '' && /^ {4}/.test(lines[j + 1] ?? '')))) {
        body.push({ n: j + 1, text: lines[j]!.slice(4) });
        j++;
      }
      const commands = commandsOf('indented', body);
      if (commands.length) blocks.push({ line: i + 1, kind: 'indented', heading, commands });
      i = j - 1;
    }
  }
  return blocks;
}
